//! Backstage's own example catalog, copied unchanged, loads as Backstage
//! would load it.

use std::path::PathBuf;

use paved_catalog::ProblemCode;

use crate::support::{kinds, load_paths, relations, render};

fn examples() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/backstage-examples"))
}

#[test]
fn all_yaml_with_acme_corp_loads_with_only_the_ai_resource_warnings() {
    let load = load_paths(&[examples().join("all.yaml"), examples().join("acme-corp.yaml")]);
    assert!(!load.has_errors(), "{}", render(&load));
    let warnings: Vec<_> = load.warnings().map(|p| (p.code, p.file.rsplit('/').next().unwrap().to_owned())).collect();
    assert_eq!(
        warnings,
        [
            (ProblemCode::UnknownKind, "code-review-plugin.yaml".to_owned()),
            (ProblemCode::UnknownKind, "frontend-design-skill.yaml".to_owned()),
            (ProblemCode::UnknownKind, "use-internal-apis-rule.yaml".to_owned()),
        ],
        "{}",
        render(&load)
    );
    let expected = [
        ("API", 10),
        ("AiResource", 3),
        ("Component", 13),
        ("Domain", 3),
        ("Group", 8),
        ("Location", 9),
        ("Resource", 1),
        ("System", 3),
        ("User", 17),
    ];
    let expected = expected.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    assert_eq!(kinds(&load), expected);
    // The same name in two namespaces is two entities.
    assert_eq!(relations(&load, "user:development/guest"), ["memberOf group:default/team-a"]);
    assert_eq!(relations(&load, "domain:default/playback"), ["ownedBy user:default/frank.tiernan"]);
    assert_eq!(
        relations(&load, "component:default/artist-lookup"),
        [
            "ownedBy group:default/team-a",
            "partOf system:default/artist-engagement-portal",
            "dependsOn resource:default/artists-db",
        ]
    );
}

#[test]
fn walking_the_directory_finds_the_deliberately_invalid_component_and_nothing_else() {
    let load = load_paths(&[examples()]);
    let errors: Vec<_> = load.errors().collect();
    assert!(!errors.is_empty());
    for error in &errors {
        assert!(error.file.ends_with("components/invalid-component.yaml"), "{}", render(&load));
        assert_eq!(error.entity.as_deref(), Some("component:default/invalid component"));
    }
    let located: Vec<_> = errors.iter().map(|p| (p.code, p.line, p.column)).collect();
    // The name with a space, and the tag `go 1.15.3`.
    assert_eq!(located, [(ProblemCode::BadName, 4, 9), (ProblemCode::InvalidField, 11, 7)]);
    assert_eq!(load.warnings().count(), 3, "{}", render(&load));
    assert!(load.entities.iter().all(|e| e.entity_ref.name() != "invalid component"));
    // The OpenAPI document next to the APIs is not a descriptor: skipped silently.
    assert!(load.files_read.iter().all(|f| !f.ends_with("petstore-webhook.oas.yaml")));
    assert_eq!(load.entities.len(), 67);
}
