//! The fuzz targets' bodies, one function per target, which the
//! libFuzzer binaries in `fuzz_targets/` call and which the project's own
//! tests replay over the seed corpora and every input a fuzzer ever made
//! fail (`crates/paved/tests/it/fuzz_replay.rs` includes this file).
//! Each must return for any input, without a panic: a panic is a bug.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use paved_app::AppError;
use paved_domain::{CatalogIndex, Source};
use paved_ingest::{IngestSettings, RawInput};
use serde_json::{Value, json};

/// A target: what it does with one input.
pub type Target = fn(&[u8]);

/// The targets, by name, as `scripts/fuzz.sh` and the replay know them.
pub const TARGETS: &[(&str, Target)] =
    &[("catalog", catalog), ("parameters", parameters), ("webhook", webhook), ("template", template)];

/// Catalog loading with Locations: up to four descriptor files (cut at
/// `#--file--` lines), the first loaded and the others reachable through
/// Location entities (`target: ./a.yaml`); what loads is indexed, and an
/// accepted Module's parameters can be checked.
pub fn catalog(data: &[u8]) {
    let files = split(data, "\n#--file--\n", 4);
    let first = write_files(&files);
    let load = paved_catalog::load(&[first], &options());
    for problem in &load.problems {
        let _ = problem.to_string();
    }
    let index = CatalogIndex::new(&load.entities);
    for module in index.modules() {
        if let Err(AppError::Internal(bug)) = paved_app::fuzzing::module_parameters(module, &[]) {
            panic!("an accepted Module's parameters cannot be checked: {bug}");
        }
    }
}

/// Module and Template parameters: one descriptor file, then `#--set--`
/// and `key=value` lines as `paved provision --set` and `paved new --set`
/// send them. A descriptor the catalog accepts checks any values without
/// an internal error.
pub fn parameters(data: &[u8]) {
    let parts = split(data, "\n#--set--\n", 2);
    let first = write_files(&parts[..1]);
    let set: Vec<(String, String)> = parts
        .get(1)
        .map(|lines| {
            lines
                .lines()
                .filter_map(|line| line.split_once('='))
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let load = paved_catalog::load(&[first], &options());
    if load.has_errors() {
        return;
    }
    let index = CatalogIndex::new(&load.entities);
    for module in index.modules() {
        if let Err(AppError::Internal(bug)) = paved_app::fuzzing::module_parameters(module, &set) {
            panic!("an accepted Module's parameters cannot be checked: {bug}");
        }
    }
    for template in index.templates() {
        if let Err(AppError::Internal(bug)) = paved_app::fuzzing::template_parameters(template, &set) {
            panic!("an accepted Template's parameters cannot be checked: {bug}");
        }
    }
}

/// What the server's routes hand the normalisers: a source and its event
/// type. The webhook target's first byte chooses one.
pub const KINDS: &[(Source, &str)] = &[
    (Source::GitHub, "push"),
    (Source::GitHub, "pull_request"),
    (Source::GitHub, "pull_request_review"),
    (Source::GitHub, "deployment"),
    (Source::GitHub, "deployment_status"),
    (Source::GitHub, "workflow_run"),
    (Source::GitHub, "workflow_job"),
    (Source::GitHub, "check_run"),
    (Source::GitHub, "issues"),
    (Source::GitHub, "deployment_protection_rule"),
    (Source::GitHub, "ping"),
    (Source::GitLab, "Push Hook"),
    (Source::GitLab, "Tag Push Hook"),
    (Source::GitLab, "Merge Request Hook"),
    (Source::GitLab, "Note Hook"),
    (Source::GitLab, "Pipeline Hook"),
    (Source::GitLab, "Job Hook"),
    (Source::GitLab, "Deployment Hook"),
    (Source::GitLab, "Issue Hook"),
    (Source::GitLab, "Release Hook"),
    (Source::Alertmanager, "alert"),
    (Source::PagerDuty, "incident.triggered"),
    (Source::PagerDuty, "incident.acknowledged"),
    (Source::PagerDuty, "incident.resolved"),
    (Source::PagerDuty, "incident.priority_updated"),
    (Source::PagerDuty, "incident.escalated"),
    (Source::PagerDuty, "incident.reassigned"),
    (Source::PagerDuty, "incident.annotated"),
    (Source::PagerDuty, "service.updated"),
    (Source::EventsV2, "trigger"),
    (Source::EventsV2, "acknowledge"),
    (Source::EventsV2, "resolve"),
    (Source::Api, "deployment"),
    (Source::Api, "incident.open"),
    (Source::Api, "incident.acknowledge"),
    (Source::Api, "incident.resolve"),
    (Source::Api, "shift"),
    (Source::Paved, "deploy"),
    (Source::Paved, "page"),
    (Source::Paved, "provision"),
];

/// Every webhook normaliser and the derivation after it: the first byte
/// chooses the source and event type ([`KINDS`]), the rest is the body as
/// received, resolved against the example organisation's catalog.
pub fn webhook(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else { return };
    let (source, event_type) = KINDS[usize::from(kind) % KINDS.len()];
    let context = json!({ "incident": "INC-1", "id": "fuzz" });
    let received_at = chrono::DateTime::from_timestamp(1_764_000_000, 0).expect("a time");
    let input = RawInput { source, event_type, body, context: &context, received_at };
    let settings = IngestSettings::default();
    let _ = paved_ingest::normalize(&input, &settings);
    let derivation = paved_ingest::derive(&input, acme(), &settings);
    let _ = format!("{derivation:?}");
}

/// Golden-path rendering: a template text (a skeleton file's contents, a
/// path or a step's input), then `#--values--` and the form's values as
/// JSON, rendered as the scaffolder renders them (Backstage's `${{ }}`
/// delimiters), as a string and as a step input.
pub fn template(data: &[u8]) {
    thread_local! {
        static RENDERER: paved_app::scaffold::render::Renderer = paved_app::scaffold::render::Renderer::new();
    }
    let parts = split(data, "\n#--values--\n", 2);
    let values = parts.get(1).and_then(|text| serde_json::from_str::<Value>(text).ok()).unwrap_or(json!({}));
    let context = json!({ "values": values, "parameters": values });
    RENDERER.with(|renderer| {
        let _ = renderer.string(&parts[0], &context, "fuzz");
        let _ = renderer.input(&Value::String(parts[0].clone()), &context, "fuzz");
    });
}

/// How the catalog targets load: as `paved catalog import` does, with a
/// smaller walk (a Location that targets `/` is stopped sooner).
fn options() -> paved_catalog::LoadOptions {
    paved_catalog::LoadOptions { max_walked: 1_000, ..paved_catalog::LoadOptions::default() }
}

/// `data` as text cut at `separator` into at most `parts` pieces (lossy
/// UTF-8: the parsers read text).
fn split(data: &[u8], separator: &str, parts: usize) -> Vec<String> {
    String::from_utf8_lossy(data).splitn(parts, separator).map(str::to_owned).collect()
}

/// A directory of this process's own: the catalog targets write their
/// files there (`PAVED_FUZZ_SCRATCH`, else the temporary directory).
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::env::var_os("PAVED_FUZZ_SCRATCH").map_or_else(std::env::temp_dir, PathBuf::from);
        let dir = base.join(format!("paved-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
}

/// Writes `files` as `catalog-info.yaml`, `a.yaml`, `b.yaml`, `c.yaml` in
/// the scratch directory (removing what an earlier input left) and
/// returns the first's path.
fn write_files(files: &[String]) -> PathBuf {
    const NAMES: [&str; 4] = ["catalog-info.yaml", "a.yaml", "b.yaml", "c.yaml"];
    let dir = scratch();
    for (i, name) in NAMES.iter().enumerate() {
        let path = dir.join(name);
        match files.get(i) {
            Some(text) => std::fs::write(&path, text).expect("the scratch file is written"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    dir.join(NAMES[0])
}

/// The example organisation's catalog (`examples/acme`), indexed once.
fn acme() -> &'static CatalogIndex {
    static INDEX: OnceLock<CatalogIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        // `fuzz/` or `crates/paved/` (the replay): the repository above.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|dir| dir.join("examples/acme"))
            .find(|dir| dir.is_dir())
            .expect("the repository's examples/acme");
        let load = paved_catalog::load(&[dir], &paved_catalog::LoadOptions::default());
        CatalogIndex::new(&load.entities)
    })
}
