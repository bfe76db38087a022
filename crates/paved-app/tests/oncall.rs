//! Who is on call and overrides, on the example organisation in a SQLite
//! store: only checkout's people (and admins, and the local CLI) may
//! override checkout's Schedule, a refusal names who may, and an override
//! changes who is on call — now, next, and in the shifts every reader sees.

use std::path::PathBuf;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use paved_app::oncall::{OnCallScope, OverrideRequest};
use paved_app::{App, AppError, Caller, Via};
use paved_store::{CatalogImport, DatabaseLocation, OrphanPolicy, TokenInfo, TokenScope};

struct Acme {
    app: App,
    _dir: tempfile::TempDir,
}

async fn acme() -> Acme {
    let dir = tempfile::tempdir().unwrap();
    let store = paved_store::connect(&DatabaseLocation::Sqlite(dir.path().join("paved.db"))).await.unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/acme");
    let load = paved_catalog::load(&[root], &paved_catalog::LoadOptions::default());
    assert!(!load.has_errors(), "{:?}", load.problems);
    store
        .import_catalog(CatalogImport { location: "acme", entities: &load.entities, orphans: OrphanPolicy::Mark })
        .await
        .unwrap();
    Acme { app: App::new(store, paved_ingest::IngestSettings::default()), _dir: dir }
}

fn signed_in(name: &str) -> Caller {
    Caller::Person { person: format!("user:default/{name}").parse().unwrap(), via: Via::Session(1) }
}

fn token(scope: TokenScope) -> Caller {
    Caller::Token(TokenInfo {
        id: 9,
        name: "ci".into(),
        scope,
        prefix: "paved_x".into(),
        created_at: Utc::now(),
        revoked_at: None,
        expires_at: None,
    })
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// An override of checkout's Schedule for ana.souza, from an hour ago to
/// `hours` from now.
fn ana_covers(hours: i64) -> OverrideRequest {
    OverrideRequest {
        schedule: "checkout-oncall".into(),
        user: "ana.souza".into(),
        from: rfc(now() - Duration::hours(1)),
        to: rfc(now() + Duration::hours(hours)),
        reason: Some("lena is at the dentist".into()),
    }
}

#[tokio::test]
async fn a_member_of_another_team_is_refused_with_the_owners_named() {
    let acme = acme().await;
    let refused = acme.app.create_override(&signed_in("james.carter"), &ana_covers(4), now()).await.unwrap_err();
    let AppError::Forbidden(message) = &refused else { panic!("{refused:?}") };
    assert_eq!(
        message,
        "user:default/james.carter may not act on checkout-oncall: checkout-oncall is owned by group:default/checkout \
         (ana.souza, lena.fischer, marco.rossi); ask one of them, or add yourself to group:default/checkout's \
         spec.members in the catalog"
    );
    let payments = token(TokenScope::Team("group:default/payments".parse().unwrap()));
    let refused = acme.app.create_override(&payments, &ana_covers(4), now()).await.unwrap_err().message();
    assert!(refused.contains("belongs to group:default/payments, which does not own"), "{refused}");
    assert!(acme.app.overrides(None, now()).await.unwrap().is_empty(), "nothing was stored");
    assert!(acme.app.store.audit_log(10).await.unwrap().is_empty(), "nor audited");
}

#[tokio::test]
async fn a_member_an_admin_the_team_s_token_and_the_cli_may_override() {
    let acme = acme().await;
    let callers = [
        signed_in("marco.rossi"),
        token(TokenScope::Admin),
        token(TokenScope::Team("group:default/checkout".parse().unwrap())),
        Caller::Local,
    ];
    for caller in &callers {
        let made = acme.app.create_override(caller, &ana_covers(2), now()).await.unwrap();
        assert_eq!(made.schedule.to_string(), "schedule:default/checkout-oncall");
        assert_eq!(made.person.to_string(), "user:default/ana.souza");
        assert_eq!(made.created_by, caller.audit_name());
    }
    let made = acme.app.overrides(Some("checkout-oncall"), now()).await.unwrap();
    assert_eq!(made.len(), 4);
    let audit = acme.app.store.audit_log(10).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "oncall.override.create").count(), 4);
    assert!(
        audit[0].detail.as_deref().unwrap().contains("user:default/ana.souza on call from")
            && audit[0].detail.as_deref().unwrap().ends_with(": lena is at the dentist"),
        "{:?}",
        audit[0]
    );
    // Deleting follows the same rule.
    let refused = acme.app.delete_override(&signed_in("priya.raman"), made[0].id).await.unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    acme.app.delete_override(&signed_in("lena.fischer"), made[0].id).await.unwrap();
    let gone = acme.app.delete_override(&signed_in("lena.fischer"), made[0].id).await.unwrap_err();
    assert!(matches!(gone, AppError::NotFound(_)), "{gone:?}");
    assert_eq!(acme.app.overrides(Some("checkout-oncall"), now()).await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_override_is_who_is_on_call_until_it_ends_then_the_rotation_again() {
    let acme = acme().await;
    let scope = OnCallScope::Service("checkout-api".into());
    let who_at = |at: DateTime<Utc>| {
        let (app, scope) = (acme.app.clone(), scope.clone());
        async move { app.who_is_on_call(&scope, Some(&rfc(at))).await.unwrap()[0].current.as_ref().unwrap().who() }
    };
    // Without the override: the rotation's people (a hand-off may fall
    // within the hours, so each instant is asked).
    let (end, later) = (now() + Duration::hours(3), now() + Duration::hours(4));
    let rotation_now = who_at(now()).await;
    let (rotation_at_end, rotation_later) = (who_at(end).await, who_at(later).await);
    assert!(["lena.fischer", "marco.rossi"].contains(&rotation_now.as_str()), "{rotation_now}");

    let made = acme.app.create_override(&signed_in("lena.fischer"), &ana_covers(3), now()).await.unwrap();
    let during = acme.app.who_is_on_call(&scope, None).await.unwrap();
    assert_eq!(during.len(), 1, "{during:?}");
    let current = during[0].current.as_ref().unwrap();
    assert_eq!((current.who(), current.start, current.end), ("ana.souza".to_owned(), made.start, made.end));
    let next = during[0].next.as_ref().expect("the rotation takes over again");
    assert_eq!((next.who(), next.start), (rotation_at_end, made.end));

    // Every reader of shifts sees it: the team's Schedule over the next hour.
    let shifts = acme
        .app
        .shifts(Some("checkout-oncall"), Some(&rfc(now())), Some(&rfc(now() + Duration::hours(1))))
        .await
        .unwrap();
    assert_eq!(shifts.iter().map(|s| s.who()).collect::<Vec<_>>(), ["ana.souza"]);

    // At a later time, given in the Schedule's own zone, the rotation again.
    let at = later.with_timezone(&chrono_tz::Europe::Berlin).format("%Y-%m-%d %H:%M").to_string();
    let after = acme.app.who_is_on_call(&OnCallScope::Team("checkout".into()), Some(&at)).await.unwrap();
    assert_eq!(after[0].current.as_ref().unwrap().who(), rotation_later);

    acme.app.delete_override(&Caller::Local, made.id).await.unwrap();
    assert_eq!(who_at(now()).await, rotation_now, "deleted, the rotation is back");
}

#[tokio::test]
async fn bad_overrides_are_refused_with_what_to_write() {
    let acme = acme().await;
    let lena = signed_in("lena.fischer");
    let cases: Vec<(OverrideRequest, &str)> = vec![
        (OverrideRequest { user: "nobody.here".into(), ..ana_covers(2) }, "no User `nobody.here` in the catalog"),
        (OverrideRequest { to: rfc(now() - Duration::hours(2)), ..ana_covers(2) }, "is not after from"),
        (
            OverrideRequest {
                from: rfc(now() - Duration::hours(5)),
                to: rfc(now() - Duration::hours(2)),
                ..ana_covers(2)
            },
            "before now",
        ),
        (ana_covers(24 * 40), "the most is 31"),
        (OverrideRequest { from: "next tuesday".into(), ..ana_covers(2) }, "from `next tuesday` is not a time"),
        (OverrideRequest { reason: Some("x".repeat(501)), ..ana_covers(2) }, "longer than 500"),
    ];
    for (request, says) in cases {
        let refused = acme.app.create_override(&lena, &request, now()).await.unwrap_err();
        assert!(matches!(refused, AppError::Invalid(_)), "{says}: {refused:?}");
        assert!(refused.message().contains(says), "{says}: {}", refused.message());
    }
    let unknown = OverrideRequest { schedule: "nope".into(), ..ana_covers(2) };
    let refused = acme.app.create_override(&lena, &unknown, now()).await.unwrap_err();
    assert!(matches!(&refused, AppError::NotFound(m) if m.contains("it has: checkout-oncall")), "{refused:?}");
    assert!(acme.app.overrides(None, now() - Duration::days(400)).await.unwrap().is_empty());
}
