//! The `alert_runbooks` check's facts: the Prometheus alert rules in a
//! service's repository, and how many link their runbook
//! (`annotations.runbook_url`). Read from the commit pavedroad last
//! imported (`paved import git`), else, for a service made on a golden
//! path into a repository on this machine, its default branch; kept per
//! repository and commit, so that a warm evaluation reads nothing again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// Rule files larger than this are not read (no rule file comes close).
const MAX_FILE_BYTES: u64 = 512 * 1024;

/// What a repository's Prometheus rule files hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct AlertRules {
    /// Rule files read (paths from the repository's root).
    pub files: Vec<String>,
    /// Alerting rules (`alert:`) found.
    pub alerts: u32,
    /// Of those, the ones with a non-empty `annotations.runbook_url`.
    pub with_runbook: u32,
    /// The first alerts without one, by name.
    pub missing: Vec<String>,
}

/// Where a service's repository is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Source {
    /// A local path (work tree, git directory or bare repository).
    pub path: String,
    /// The commit (40 hex digits); `None`: its `HEAD` now.
    pub commit: Option<String>,
    /// Only files under these globs count (`paved.dev/paths`, a part of
    /// a monorepo); empty: every file.
    pub paths: Vec<String>,
}

/// Facts read before: the last commit read of each repository (and part
/// of it), so that an import of a new commit replaces what the old one
/// gave instead of keeping both.
#[derive(Debug, Default)]
pub(crate) struct AlertCache {
    read: Mutex<HashMap<Repository, (String, Found)>>,
}

/// A repository's path and the part of it read (`paved.dev/paths`).
type Repository = (String, Vec<String>);

/// What reading a commit gave.
type Found = Arc<Result<AlertRules, String>>;

impl AlertCache {
    /// `source`'s alert rules, read once per commit (a source without a
    /// commit is read every time: its `HEAD` moves).
    pub(super) fn get(&self, source: &Source) -> Found {
        let Some(commit) = &source.commit else { return Arc::new(read(source)) };
        let key = (source.path.clone(), source.paths.clone());
        let lock = || self.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((read_at, found)) = lock().get(&key)
            && read_at == commit
        {
            return found.clone();
        }
        let found = Arc::new(read(source));
        lock().insert(key, (commit.clone(), found.clone()));
        found
    }
}

/// Reads `source`'s rule files.
fn read(source: &Source) -> Result<AlertRules, String> {
    let repo = paved_ingest::git::open(Path::new(&source.path)).map_err(|e| e.to_string())?;
    let globs = globset(&source.paths)?;
    let wanted = |path: &str| {
        let yaml = path.ends_with(".yml") || path.ends_with(".yaml");
        let vendored = path.split('/').any(|part| matches!(part, "node_modules" | "vendor" | ".git"));
        yaml && !vendored && globs.as_ref().is_none_or(|g| g.is_match(path))
    };
    let (_, files) = repo.files_at(source.commit.as_deref(), wanted, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
    let mut rules = AlertRules::default();
    for file in files {
        let Ok(text) = std::str::from_utf8(&file.bytes) else { continue };
        // Files that are not YAML, or not rule files, are not counted.
        let Ok(documents) = paved_catalog::yaml_documents(text) else { continue };
        let before = rules.alerts;
        for document in &documents {
            count(document, &mut rules);
        }
        if rules.alerts > before {
            rules.files.push(file.path);
        }
    }
    Ok(rules)
}

fn globset(paths: &[String]) -> Result<Option<globset::GlobSet>, String> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut set = globset::GlobSetBuilder::new();
    for path in paths {
        set.add(globset::Glob::new(path).map_err(|e| format!("paved.dev/paths `{path}`: {e}"))?);
    }
    set.build().map(Some).map_err(|e| e.to_string())
}

/// Counts the alerting rules of one YAML document in Prometheus's rule
/// file format (`groups: [{name, rules: [{alert, expr, annotations}]}]`);
/// recording rules and other YAML count nothing.
fn count(document: &Value, rules: &mut AlertRules) {
    let Some(groups) = document.get("groups").and_then(Value::as_array) else { return };
    for group in groups {
        let Some(list) = group.get("rules").and_then(Value::as_array) else { continue };
        for rule in list {
            let Some(alert) = rule.get("alert").and_then(Value::as_str) else { continue };
            rules.alerts += 1;
            let runbook = rule.pointer("/annotations/runbook_url").and_then(Value::as_str);
            if runbook.is_some_and(|url| !url.trim().is_empty()) {
                rules.with_runbook += 1;
            } else if rules.missing.len() < 5 {
                rules.missing.push(alert.to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerting_rules_are_counted_with_their_runbooks() {
        let text = "groups:\n  - name: api\n    rules:\n      - alert: Down\n        expr: up == 0\n        \
                    annotations: { runbook_url: https://example.com/runbook#down }\n      - record: job:rate5m\n        \
                    expr: rate(x[5m])\n      - alert: Slow\n        expr: latency > 1\n        annotations: { summary: slow }\n";
        let mut rules = AlertRules::default();
        for document in paved_catalog::yaml_documents(text).unwrap() {
            count(&document, &mut rules);
        }
        assert_eq!((rules.alerts, rules.with_runbook), (2, 1));
        assert_eq!(rules.missing, vec!["Slow".to_owned()]);
    }

    #[test]
    fn other_yaml_counts_nothing() {
        let mut rules = AlertRules::default();
        for document in paved_catalog::yaml_documents("apiVersion: v1\nkind: Service\n").unwrap() {
            count(&document, &mut rules);
        }
        assert_eq!(rules, AlertRules::default());
    }
}
