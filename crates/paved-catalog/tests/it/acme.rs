//! `examples/acme`, the example organisation, loads cleanly.

use std::path::PathBuf;

use crate::support::{entity, kinds, load_paths, relations, render};

fn acme() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/acme"))
}

#[test]
fn loads_with_no_problem_and_the_expected_entities() {
    let load = load_paths(&[acme()]);
    assert!(load.problems.is_empty(), "{}", render(&load));
    let expected = [
        ("API", 1),
        ("Component", 7),
        ("Domain", 1),
        ("Group", 6),
        ("Location", 1),
        ("Resource", 1),
        ("Schedule", 1),
        ("System", 3),
        ("User", 13),
    ];
    let expected = expected.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    assert_eq!(kinds(&load), expected);
    assert_eq!(load.documents, 34);
    assert_eq!(load.files_read.len(), 13);
}

#[test]
fn following_the_root_location_reads_the_same_catalog_as_walking() {
    let walked = load_paths(&[acme()]);
    let followed = load_paths(&[acme().join("catalog-info.yaml")]);
    assert!(followed.problems.is_empty(), "{}", render(&followed));
    let refs = |load: &paved_catalog::CatalogLoad| {
        let mut refs: Vec<String> = load.entities.iter().map(|e| e.entity_ref.to_string()).collect();
        refs.sort();
        refs
    };
    assert_eq!(refs(&followed), refs(&walked));
}

#[test]
fn relations_and_annotations_are_derived() {
    let load = load_paths(&[acme()]);
    assert_eq!(
        relations(&load, "component:default/checkout-api"),
        [
            "ownedBy group:default/checkout",
            "partOf system:default/storefront",
            "consumesApi api:default/payments-api",
            "dependsOn resource:default/orders-db",
        ]
    );
    assert_eq!(
        relations(&load, "component:default/payments-service"),
        ["ownedBy group:default/payments", "partOf system:default/payments", "providesApi api:default/payments-api"]
    );
    assert_eq!(relations(&load, "user:default/lena.fischer"), ["memberOf group:default/checkout"]);
    assert_eq!(
        relations(&load, "system:default/storefront"),
        ["ownedBy group:default/checkout", "partOf domain:default/commerce"]
    );

    let payments = &entity(&load, "component:default/payments-service").paved;
    assert_eq!(payments.repo.as_deref(), Some("github.com/acme/payments"));
    assert_eq!(payments.runbooks, ["https://wiki.acme.example/runbooks/payments"]);

    let web = &entity(&load, "component:default/storefront-web").paved;
    let search = &entity(&load, "component:default/search-service").paved;
    assert_eq!(web.repo, search.repo);
    assert_eq!(web.paths, ["apps/storefront/**", "packages/ui/**"]);
    assert_eq!(search.paths, ["services/search/**", "packages/search-index/**"]);

    let priya = &entity(&load, "user:default/priya.raman").paved;
    assert_eq!(priya.emails, ["priya.raman@acme.example", "priya@example.com"]);
    assert_eq!(priya.timezone.as_deref(), Some("Asia/Kolkata"));
    assert_eq!(entity(&load, "group:default/platform").paved.role.as_deref(), Some("platform"));
}
