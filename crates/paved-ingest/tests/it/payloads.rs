//! Shared helpers for the normaliser tests: real payloads from
//! `tests/fixtures/real-payloads/` at the workspace root (and samples written from the
//! providers' documentation in `tests/payloads/`), a small catalog to
//! resolve against, and a JSON view of what a normaliser made, for insta
//! snapshots.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use paved_domain::{
    CatalogEntity, CatalogIndex, Derivation, EntityRef, PavedAnnotations, Relation, RelationType, Source,
    SourcePosition,
};
use paved_ingest::{IngestSettings, Normalized, RawInput};
use serde_json::{Value, json};

/// The directory of the vendored real payloads (`tests/fixtures/real-payloads`).
pub fn real_payloads() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real-payloads")
}

/// A real payload, e.g. `real_payload("github/push/payload.json")`.
pub fn real_payload(path: &str) -> Vec<u8> {
    let file = real_payloads().join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()))
}

/// A sample written from a provider's documentation, in
/// `crates/paved-ingest/tests/payloads/`.
pub fn documented_payload(path: &str) -> Vec<u8> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/payloads").join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()))
}

/// Every file under `real-payloads/<source>/`, sorted, as paths relative
/// to `real-payloads/`.
pub fn real_payload_files(source: &str) -> Vec<String> {
    let root = real_payloads();
    let mut files = Vec::new();
    let mut stack = vec![root.join(source)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    files
}

/// The instant every test event is received at.
pub fn received_at() -> DateTime<Utc> {
    "2026-11-20T12:00:00Z".parse().unwrap()
}

/// A raw input of `source` and `event_type` with `body` and no context.
pub fn input<'a>(source: Source, event_type: &'a str, body: &'a [u8], context: &'a Value) -> RawInput<'a> {
    RawInput { source, event_type, body, context, received_at: received_at() }
}

/// What a normaliser made, as JSON for a snapshot: each record with its
/// service hint, and the people hints.
pub fn view(normalized: &Normalized) -> Value {
    match normalized {
        Normalized::Ignored(reason) => json!({"ignored": reason}),
        Normalized::Observations { observations, people } => json!({
            "observations": observations.iter().map(|o| json!({
                "record": serde_json::to_value(&o.record).unwrap(),
                "service_hint": {
                    "names": o.service.names,
                    "repo": o.service.repo.as_ref().map(ToString::to_string),
                    "pagerduty_service": o.service.pagerduty_service,
                },
            })).collect::<Vec<_>>(),
            "people": people.iter().map(|p| json!({
                "identity": p.identity.to_string(),
                "name": p.name,
                "email": p.email,
                "bot": p.bot,
            })).collect::<Vec<_>>(),
        }),
    }
}

/// A derivation as JSON for a snapshot.
pub fn derivation_view(derivation: &Derivation) -> Value {
    serde_json::to_value(derivation).unwrap()
}

fn entity(kind: &str, name: &str) -> CatalogEntity {
    CatalogEntity {
        entity_ref: EntityRef::new(kind, "default", name).unwrap(),
        kind: kind.to_owned(),
        api_version: "backstage.io/v1alpha1".to_owned(),
        title: None,
        description: None,
        spec_type: None,
        lifecycle: Some("production".to_owned()),
        owner: None,
        source: SourcePosition { file: "catalog-info.yaml".to_owned(), line: 1, column: 1 },
        document: json!({}),
        relations: Vec::new(),
        paved: PavedAnnotations::default(),
    }
}

/// A small catalog: the component `hello-world` in
/// `github.com/codertocat/hello-world` (GitHub's sample repository) owned by
/// `group:default/octo`, whose member `user:default/codertocat` has the
/// GitHub login `Codertocat`; plus `gitlab-test` in GitLab's sample project
/// and `my-mail-service` for PagerDuty's sample.
pub fn catalog() -> CatalogIndex {
    let mut hello = entity("component", "hello-world");
    hello.owner = Some("group:default/octo".parse().unwrap());
    hello.paved.repo = Some("github.com/codertocat/hello-world".to_owned());
    let mut gitlab = entity("component", "gitlab-test");
    gitlab.paved.repo = Some("gitlab.com/mike/diaspora".to_owned());
    let mail = entity("component", "my-mail-service");
    let mut octo = entity("group", "octo");
    octo.relations.push(Relation { kind: RelationType::HasMember, target: "user:default/codertocat".parse().unwrap() });
    let mut codertocat = entity("user", "codertocat");
    codertocat.paved.github_login = Some("Codertocat".to_owned());
    codertocat.paved.emails = vec!["21031067+codertocat@users.noreply.github.com".to_owned()];
    let entities = [hello, gitlab, mail, octo, codertocat];
    CatalogIndex::new(&entities)
}

/// The default settings.
pub fn settings() -> IngestSettings {
    IngestSettings::default()
}
