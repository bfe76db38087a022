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
