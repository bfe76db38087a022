//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use paved_catalog::{CatalogLoad, LoadOptions, Problem, load};

/// Loads `paths` with the default options.
pub fn load_paths(paths: &[PathBuf]) -> CatalogLoad {
    load(paths, &LoadOptions::default())
}

/// Writes `files` (relative path, content) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (relative, content) in files {
        let path = dir.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
}

/// Each problem as `code file:line:column`, with `file` relative to `dir`.
pub fn located(problems: &[&Problem], dir: &Path) -> Vec<String> {
    let prefix = format!("{}/", dir.display());
    problems
        .iter()
        .map(|p| format!("{} {}:{}:{}", p.code, p.file.strip_prefix(&prefix).unwrap_or(&p.file), p.line, p.column))
        .collect()
}

/// How many entities of each kind were loaded.
pub fn kinds(load: &CatalogLoad) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entity in &load.entities {
        *counts.entry(entity.kind.clone()).or_insert(0) += 1;
    }
    counts
}

/// Every problem, one per line, for assertion messages.
pub fn render(load: &CatalogLoad) -> String {
    load.problems.iter().map(|p| format!("{p}\n")).collect()
}

/// The entity with this reference, e.g. `component:default/checkout-api`.
pub fn entity<'a>(load: &'a CatalogLoad, reference: &str) -> &'a paved_domain::CatalogEntity {
    load.entities
        .iter()
        .find(|e| e.entity_ref.to_string() == reference)
        .unwrap_or_else(|| panic!("{reference} is not loaded; problems:\n{}", render(load)))
}

/// An entity's relations as `type target`.
pub fn relations(load: &CatalogLoad, reference: &str) -> Vec<String> {
    entity(load, reference).relations.iter().map(|r| format!("{} {}", r.kind, r.target)).collect()
}

/// A valid Group descriptor, `group:default/checkout`.
pub const GROUP: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: checkout
spec:
  type: team
  children: []
";
