//! Who may start a service on a golden path for a team: its members (and
//! those of the teams below it), its token, admins and the CLI; another
//! team's person is refused with the team's members named, and a page's
//! signed link creates nothing.

use std::path::PathBuf;

use chrono::Utc;
use paved_app::Caller;
use paved_app::access::Via;
use paved_domain::{CatalogIndex, EntityRef};
use paved_store::{TokenInfo, TokenScope};

fn catalog() -> CatalogIndex {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let paths = [root.join("../../examples/acme")];
    let load = paved_catalog::load(&paths, &paved_catalog::LoadOptions::default());
    assert!(!load.has_errors(), "{:?}", load.problems);
    CatalogIndex::new(&load.entities)
}

fn token(scope: TokenScope) -> Caller {
    Caller::Token(TokenInfo {
        id: 1,
        name: "t".to_owned(),
        scope,
        prefix: "paved_x".to_owned(),
        created_at: Utc::now(),
        revoked_at: None,
        expires_at: None,
    })
}

fn person(name: &str) -> EntityRef {
    format!("user:default/{name}").parse().unwrap()
}

#[test]
fn only_the_owner_team_s_people_may_create_a_service_for_it() {
    let catalog = catalog();
    let ledger: EntityRef = "component:default/ledger".parse().unwrap();
    let payments: EntityRef = "group:default/payments".parse().unwrap();
    let checkout: EntityRef = "group:default/checkout".parse().unwrap();
    assert!(token(TokenScope::User(person("james.carter"))).may_create_for(&catalog, &ledger, &payments).is_ok());
    assert!(Caller::Local.may_create_for(&catalog, &ledger, &payments).is_ok());
    assert!(token(TokenScope::Admin).may_create_for(&catalog, &ledger, &payments).is_ok());
    assert!(token(TokenScope::Team(payments.clone())).may_create_for(&catalog, &ledger, &payments).is_ok());
    let refused =
        token(TokenScope::User(person("ana.souza"))).may_create_for(&catalog, &ledger, &payments).unwrap_err();
    let said = refused.to_string();
    assert!(said.contains("user:default/ana.souza may not act on ledger") && said.contains("james.carter"), "{said}");
    assert!(token(TokenScope::Team(checkout)).may_create_for(&catalog, &ledger, &payments).is_err());
    let linked = Caller::Person { person: person("james.carter"), via: Via::PageLink(7) };
    assert!(linked.may_create_for(&catalog, &ledger, &payments).unwrap_err().to_string().contains("creates nothing"));
}

/// A run whose process stopped mid-way (stored as `running`, never ended)
/// is ended as failed by the sweeper once older than the limit, with the
/// reason last in its log and an audit entry; a run within the limit, and
/// a run already ended, are left as they are.
#[tokio::test]
async fn a_run_whose_process_stopped_is_ended_as_failed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        paved_store::connect(&paved_store::DatabaseLocation::Sqlite(dir.path().join("paved.db"))).await.unwrap();
    let app = paved_app::App::new(store.clone(), paved_ingest::IngestSettings::default());
    let new = paved_store::NewTemplateRun {
        kind: paved_store::RunKind::Create,
        template: "template:default/python-service".parse().unwrap(),
        version: Some("1".into()),
        service: "component:default/ledger".parse().unwrap(),
        team: "group:default/payments".parse().unwrap(),
        parameters: serde_json::json!({ "name": "ledger", "owner": "payments" }),
        requested_by: "user:default/james.carter (session 1)".into(),
        person: Some(person("james.carter")),
    };
    let audit = |action: &str| paved_store::NewAudit {
        actor: "user:default/james.carter (session 1)".into(),
        action: action.into(),
        target: "component:default/ledger".into(),
        detail: None,
        service: None,
        decision: None,
    };
    let stopped = store.start_template_run(&new, &audit("scaffold.run")).await.unwrap();
    store.log_template_run(stopped.id, &["rendered 10 files".to_owned()]).await.unwrap();

    let limit = std::time::Duration::from_secs(60);
    assert_eq!(app.interrupt_stale_template_runs(limit).await.unwrap(), 0, "a run within the limit may still end");
    assert_eq!(app.template_run(stopped.id).await.unwrap().state, paved_store::RunState::Running);

    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let ended = app.interrupt_stale_template_runs(std::time::Duration::from_millis(10)).await.unwrap();
    assert_eq!(ended, 1);
    let run = app.template_run(stopped.id).await.unwrap();
    assert_eq!(run.state, paved_store::RunState::Failed);
    assert_eq!(run.log[0], "rendered 10 files", "what it did is kept");
    let reason = run.error.expect("the reason");
    assert!(reason.starts_with("interrupted: the process running it stopped"), "{reason}");
    assert_eq!(run.log.last(), Some(&reason));
    let log = store.audit_log(5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].actor.as_str()), ("scaffold.run.fail", "pavedroad"));
    assert!(log[0].detail.as_deref().unwrap_or_default().contains(&format!("run {}", stopped.id)));

    assert_eq!(app.interrupt_stale_template_runs(std::time::Duration::ZERO).await.unwrap(), 0, "ended once");
}
