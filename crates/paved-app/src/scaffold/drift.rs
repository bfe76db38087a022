//! Drift (DESIGN §7 Golden paths): whether a service made by `paved new`
//! is still on its golden path. The Template is rendered again at its
//! current version with the values the service was made with, and each
//! file is compared three ways — with the service's repository (its
//! default branch) and with the files the service's template version
//! rendered (the common ancestor, kept with the run that rendered them):
//!
//! | repository vs ancestor | template now vs ancestor | state |
//! |---|---|---|
//! | same as the template now | — | identical |
//! | changed | same | changed by the team |
//! | same | changed | the template moved on |
//! | changed | changed (differently) | both changed |
//! | absent | — | missing (new in the template, when the ancestor lacks it too) |
//!
//! The score is the share of the template's files that are identical. The
//! day-2 update ([`App::drift_update`]) commits, on a branch of the
//! service's repository, the template's files where the team left them as
//! made, and a three-way merge (`git merge-file`) where both changed; a
//! merge with conflicts is listed and the team's file kept, never
//! overwritten.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use paved_domain::{CatalogIndex, EntityRef};
use paved_store::{DriftRecord, NewAudit, NewTemplateRun, RunKind, RunOutcome, RunState, StoredTemplateRun};
use serde::{Deserialize, Serialize};

use super::files;
use super::render::Workspace;
use crate::gitcli::{Git, redact};
use crate::{App, AppError, Caller};

/// Where one template-managed file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileDrift {
    /// As the template renders it now.
    Identical,
    /// The team changed it; the template did not.
    ChangedByTeam,
    /// The template changed it; the team did not.
    TemplateMoved,
    /// Both changed it: the update merges them three ways.
    BothChanged,
    /// The template has it and the repository does not (the team removed
    /// it).
    Missing,
    /// New in the template since the service's version.
    NewInTemplate,
}

impl FileDrift {
    /// As shown: `identical`, `changed by the team`, ...
    pub fn label(self) -> &'static str {
        match self {
            Self::Identical => "identical",
            Self::ChangedByTeam => "changed by the team",
            Self::TemplateMoved => "template moved on",
            Self::BothChanged => "changed by both",
            Self::Missing => "missing",
            Self::NewInTemplate => "new in the template",
        }
    }
}

/// One file's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileState {
    /// Its path in the repository.
    pub path: String,
    /// Where it stands.
    pub state: FileDrift,
}

/// Where a service made from a golden path stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceDrift {
    /// The service.
    #[schema(value_type = String)]
    pub service: EntityRef,
    /// Its team.
    #[schema(value_type = String)]
    pub team: EntityRef,
    /// The Template it was made from.
    #[schema(value_type = String)]
    pub template: EntityRef,
    /// The template version its repository declares
    /// (`paved.dev/template-version` in its catalog-info.yaml).
    pub version: Option<String>,
    /// The Template's version now.
    pub current_version: Option<String>,
    /// Its repository, as it may be shown.
    pub repository: String,
    /// Each template-managed file.
    pub files: Vec<FileState>,
    /// Files identical to the template's rendering now.
    pub in_line: usize,
    /// Template-managed files.
    pub managed: usize,
    /// True when the template has something the service has not taken.
    pub behind: bool,
    /// Why it could not be compared (the repository cannot be read, the
    /// Template left the catalog); its files are then empty.
    pub problem: Option<String>,
    /// When it was found.
    pub checked_at: chrono::DateTime<chrono::Utc>,
}

impl ServiceDrift {
    /// The share of template-managed files in line, 0 to 1.
    pub fn score(&self) -> f64 {
        if self.managed == 0 { 0.0 } else { self.in_line as f64 / self.managed as f64 }
    }
}

/// Which services `paved drift` looks at.
#[derive(Debug, Clone, Default)]
pub struct DriftScope {
    /// One service (`ledger`).
    pub service: Option<String>,
    /// A team's services.
    pub team: Option<String>,
}

/// What `paved drift --update` did.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DriftUpdate {
    /// The stored run.
    pub run: i64,
    /// The service.
    #[schema(value_type = String)]
    pub service: EntityRef,
    /// From which template version to which.
    pub from_version: Option<String>,
    /// To which.
    pub to_version: Option<String>,
    /// Its repository, as it may be shown.
    pub repository: String,
    /// The branch pushed for the team to merge.
    pub branch: String,
    /// Its commit.
    pub commit: String,
    /// Files taken from the template as they are.
    pub updated: Vec<String>,
    /// Files merged three ways, the team's changes kept.
    pub merged: Vec<String>,
    /// Files both changed where the merge conflicts: left as the team has
    /// them, for the team to take the template's change by hand.
    pub conflicts: Vec<String>,
}

/// A service's drift, with the clone of its repository it was read from.
struct Checked {
    drift: ServiceDrift,
    checkout: Option<tempfile::TempDir>,
    current: Workspace,
    base: Workspace,
    made: StoredTemplateRun,
}

impl App {
    /// The drift of every service made from a golden path (of `scope`),
    /// each kept as the service's last drift found (pages and scorecards
    /// read it). See the module docs.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a service or team no golden path made;
    /// a store error.
    pub async fn drift(&self, scope: &DriftScope) -> Result<Vec<ServiceDrift>, AppError> {
        let catalog = self.catalog.current().await?;
        let service = scope.service.as_deref().map(|s| parse(s, "component")).transpose()?;
        let team = scope.team.as_deref().map(|t| parse(t, "group")).transpose()?;
        let runs = self.store.template_runs(service.as_ref(), team.as_ref(), 100_000).await?;
        let mut by_service: BTreeMap<String, Vec<StoredTemplateRun>> = BTreeMap::new();
        for run in runs.into_iter().filter(|run| run.state == RunState::Succeeded) {
            by_service.entry(run.service.key()).or_default().push(run);
        }
        if let (true, Some(service)) = (by_service.is_empty(), &service) {
            return Err(not_made(service));
        }
        let mut found = Vec::new();
        for runs in by_service.values() {
            let Some(checked) = self.check(&catalog, runs).await? else { continue };
            self.keep(&checked.drift).await?;
            found.push(checked.drift);
        }
        Ok(found)
    }

    /// The last drift found of each service (of `scope`), as kept: what
    /// the pages and `GET /api/v1/drift` show without reading a repository.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a name that is not a reference; a store
    /// error.
    pub async fn recorded_drift(&self, scope: &DriftScope) -> Result<Vec<ServiceDrift>, AppError> {
        let service = scope.service.as_deref().map(|s| parse(s, "component")).transpose()?;
        let team = scope.team.as_deref().map(|t| parse(t, "group")).transpose()?;
        self.store.drifts(team.as_ref(), service.as_ref()).await?.into_iter().map(kept).collect()
    }

    /// The day-2 update of `service` as `caller` (one of the service's
    /// people): the template's newer files committed on the branch
    /// `paved/<template>-v<version>` of its repository, authored by the
    /// caller, for the team to merge. See the module docs.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a service no golden path made;
    /// [`AppError::Forbidden`] for someone not of the service's people;
    /// [`AppError::Invalid`] when it is in line or every change conflicts;
    /// [`AppError::Conflict`] when the branch is already there;
    /// [`AppError::Unavailable`] when the repository cannot be read or
    /// pushed to.
    pub async fn drift_update(&self, caller: &Caller, service: &str) -> Result<DriftUpdate, AppError> {
        let catalog = self.catalog.current().await?;
        let service = parse(service, "component")?;
        let runs: Vec<StoredTemplateRun> = self
            .store
            .template_runs(Some(&service), None, 100_000)
            .await?
            .into_iter()
            .filter(|run| run.state == RunState::Succeeded)
            .collect();
        let checked = self.check(&catalog, &runs).await?.ok_or_else(|| not_made(&service))?;
        caller.may_act_on(&catalog, &service)?;
        let drift = &checked.drift;
        if let Some(problem) = &drift.problem {
            return Err(AppError::Unavailable(format!("{service} cannot be compared with its template: {problem}")));
        }
        if !drift.behind {
            return Err(AppError::Invalid(format!(
                "{service} has taken everything of {} version {}: nothing to update ({} of {} files in line; the \
                 others are the team's own changes)",
                drift.template,
                drift.current_version.as_deref().unwrap_or("unversioned"),
                drift.in_line,
                drift.managed
            )));
        }
        let Some(checkout) = &checked.checkout else {
            return Err(AppError::Unavailable(format!("{service}'s repository could not be read")));
        };
        let work = checkout.path();
        let version = drift.current_version.clone().unwrap_or_else(|| "unversioned".to_owned());
        let branch = format!("paved/{}-v{}", drift.template.name(), branch_safe(&version));
        let git = Git { author: None };
        let unavailable = |what: String| AppError::Unavailable(format!("updating {service}: {what}"));
        let remote = self.remote_of(&checked.made);
        let there = git.run(work, &["ls-remote", "--heads", "--", &remote, &branch]).await.map_err(unavailable)?;
        if !there.trim().is_empty() {
            return Err(AppError::Conflict(format!(
                "{} already has the branch {branch} (an earlier update to version {version}): merge it or delete it, \
                 then ask again",
                drift.repository
            )));
        }
        let new = NewTemplateRun {
            kind: RunKind::Update,
            template: drift.template.clone(),
            version: drift.current_version.clone(),
            service: service.clone(),
            team: drift.team.clone(),
            parameters: checked.made.parameters.clone(),
            requested_by: caller.audit_name(),
            person: checked.made.person.clone(),
        };
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: "scaffold.update".into(),
            target: service.to_string(),
            detail: Some(format!("{} {version}", drift.template)),
            service: None,
            decision: None,
        };
        let run = self.store.start_template_run(&new, &audit).await?.id;
        let mut log = Vec::new();
        let outcome = self.push_update(&catalog, caller, &checked, &branch, &remote, &mut log).await;
        let (action, error) = match &outcome {
            Ok(_) => ("scaffold.update.ok", None),
            Err(error) => ("scaffold.update.fail", Some(error.to_string())),
        };
        let ended = RunOutcome {
            error: error.clone(),
            log,
            repository: Some(drift.repository.clone()),
            commit: outcome.as_ref().ok().map(|update| update.commit.clone()),
            branch: Some(branch.clone()),
            files: Some(files::encode(&checked.current)),
            links: serde_json::Value::Null,
        };
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: action.into(),
            target: service.to_string(),
            detail: Some(error.unwrap_or_else(|| format!("run {run}: {branch}"))),
            service: None,
            decision: None,
        };
        self.store.finish_template_run(run, &ended, &audit).await?;
        let mut update = outcome?;
        update.run = run;
        Ok(update)
    }

    /// Writes the update into the checkout, commits it on `branch` and
    /// pushes it; `log` says what it did.
    async fn push_update(
        &self,
        catalog: &CatalogIndex,
        caller: &Caller,
        checked: &Checked,
        branch: &str,
        remote: &str,
        log: &mut Vec<String>,
    ) -> Result<DriftUpdate, AppError> {
        let drift = &checked.drift;
        let work = checked.checkout.as_ref().map(tempfile::TempDir::path).unwrap_or(Path::new("."));
        let unavailable = |what: String| AppError::Unavailable(format!("updating {}: {what}", drift.service));
        let author = crate::provision::author_of(catalog, &caller.audit_name());
        let git = Git { author: Some(&author) };
        git.run(work, &["checkout", "--quiet", "-b", branch]).await.map_err(unavailable)?;
        let scratch = tempfile::Builder::new()
            .prefix("paved-merge-")
            .tempdir()
            .map_err(|e| unavailable(format!("no scratch directory ({e})")))?;
        let (mut updated, mut merged, mut conflicts) = (Vec::new(), Vec::new(), Vec::new());
        for file in &drift.files {
            let Some(theirs) = checked.current.get(&file.path) else { continue };
            let target = work.join(&file.path);
            match file.state {
                FileDrift::TemplateMoved | FileDrift::NewInTemplate => {
                    write(&target, &theirs.bytes, theirs.executable).map_err(unavailable)?;
                    updated.push(file.path.clone());
                }
                FileDrift::BothChanged => {
                    let base = checked.base.get(&file.path).map(|f| f.bytes.as_slice()).unwrap_or_default();
                    let ours = std::fs::read(&target).map_err(|e| unavailable(format!("{}: {e}", file.path)))?;
                    let paths = ["ours", "base", "theirs"].map(|name| scratch.path().join(name));
                    for (path, bytes) in paths.iter().zip([ours.as_slice(), base, theirs.bytes.as_slice()]) {
                        std::fs::write(path, bytes).map_err(|e| unavailable(e.to_string()))?;
                    }
                    let [ours_path, base_path, theirs_path] = paths.map(|p| p.display().to_string());
                    let (result, clean) =
                        git.merge_file(work, &ours_path, &base_path, &theirs_path).await.map_err(unavailable)?;
                    if clean {
                        write(&target, &result, theirs.executable).map_err(unavailable)?;
                        merged.push(file.path.clone());
                    } else {
                        conflicts.push(file.path.clone());
                    }
                }
                FileDrift::Identical | FileDrift::ChangedByTeam | FileDrift::Missing => {}
            }
        }
        let list = |paths: &[String]| if paths.is_empty() { "none".to_owned() } else { paths.join(", ") };
        log.push(format!("taken from the template: {}", list(&updated)));
        log.push(format!("merged three ways, the team's changes kept: {}", list(&merged)));
        log.push(format!("conflicting, left as the team has them: {}", list(&conflicts)));
        if updated.is_empty() && merged.is_empty() {
            return Err(AppError::Invalid(format!(
                "every change of the template conflicts with the team's: {}; take them by hand from the template",
                list(&conflicts)
            )));
        }
        git.run(work, &["add", "--all"]).await.map_err(unavailable)?;
        let from = drift.version.as_deref().unwrap_or("unversioned");
        let to = drift.current_version.as_deref().unwrap_or("unversioned");
        let mut body = format!(
            "Asked through pavedroad (paved drift --update) by {}.\n\nTaken from the template: {}\nMerged three ways \
             (the team's changes kept): {}",
            caller.audit_name(),
            list(&updated),
            list(&merged)
        );
        if !conflicts.is_empty() {
            body.push_str(&format!(
                "\nConflicting, left as the team has them (take the template's change by hand): {}",
                list(&conflicts)
            ));
        }
        body.push_str(&format!("\n\nPaved-Template: {}\nPaved-Template-Version: {to}", drift.template));
        let subject = format!(
            "Update {} from the golden path {} (version {from} to {to})",
            drift.service.name(),
            drift.template.name()
        );
        git.run(work, &["commit", "--quiet", "-m", &subject, "-m", &body]).await.map_err(unavailable)?;
        let refspec = format!("HEAD:refs/heads/{branch}");
        git.run(work, &["push", "--quiet", "--", remote, &refspec]).await.map_err(unavailable)?;
        let commit = git.run(work, &["rev-parse", "HEAD"]).await.map_err(unavailable)?.trim().to_owned();
        log.push(format!("pushed {branch} to {} as {commit}", drift.repository));
        Ok(DriftUpdate {
            run: 0,
            service: drift.service.clone(),
            from_version: drift.version.clone(),
            to_version: drift.current_version.clone(),
            repository: drift.repository.clone(),
            branch: branch.to_owned(),
            commit,
            updated,
            merged,
            conflicts,
        })
    }

    /// Compares one service (its succeeded runs, newest first) with its
    /// template; `None` when no run made it.
    async fn check(&self, catalog: &CatalogIndex, runs: &[StoredTemplateRun]) -> Result<Option<Checked>, AppError> {
        let Some(made) = runs.iter().find(|run| run.kind == RunKind::Create && run.repository.is_some()) else {
            return Ok(None);
        };
        let mut drift = ServiceDrift {
            service: made.service.clone(),
            team: made.team.clone(),
            template: made.template.clone(),
            version: made.version.clone(),
            current_version: None,
            repository: made.repository.clone().unwrap_or_default(),
            files: Vec::new(),
            in_line: 0,
            managed: 0,
            behind: false,
            problem: None,
            checked_at: chrono::Utc::now(),
        };
        let unchecked = |drift: ServiceDrift| Checked {
            drift,
            checkout: None,
            current: Workspace::new(),
            base: Workspace::new(),
            made: made.clone(),
        };
        let Some(template) = catalog.template(&made.template) else {
            drift.problem = Some(format!("the Template {} is no longer in the catalog", made.template));
            return Ok(Some(unchecked(drift)));
        };
        drift.current_version = template.version.clone();
        let current = match self.render_files(template, &made.parameters, made.person.as_ref()) {
            Ok(current) => current,
            Err(error) => {
                drift.problem = Some(format!("the template does not render with the service's values: {error}"));
                return Ok(Some(unchecked(drift)));
            }
        };
        let checkout = match clone(&self.remote_of(made)).await {
            Ok(checkout) => checkout,
            Err(error) => {
                drift.problem = Some(error);
                return Ok(Some(unchecked(drift)));
            }
        };
        let read = |path: &str| std::fs::read(checkout.path().join(path)).ok();
        drift.version = read("catalog-info.yaml").and_then(|yaml| declared_version(&yaml)).or(drift.version);
        // The ancestor: what the service's template version rendered for
        // it (its update, or its creation).
        let base_run = runs
            .iter()
            .find(|run| run.files.is_some() && run.version == drift.version)
            .or_else(|| runs.iter().find(|run| run.files.is_some() && run.kind == RunKind::Create));
        let base = base_run.and_then(|run| run.files.as_ref()).map(files::decode).unwrap_or_default();
        let paths: BTreeSet<&String> = current.keys().collect();
        for path in paths {
            let now = current.get(path).map(|f| f.bytes.as_slice());
            let was = base.get(path).map(|f| f.bytes.as_slice());
            let state = match read(path) {
                None if was.is_none() => FileDrift::NewInTemplate,
                None => FileDrift::Missing,
                Some(theirs) if Some(theirs.as_slice()) == now => FileDrift::Identical,
                Some(theirs) if Some(theirs.as_slice()) == was => FileDrift::TemplateMoved,
                Some(_) if was == now => FileDrift::ChangedByTeam,
                Some(_) => FileDrift::BothChanged,
            };
            drift.files.push(FileState { path: path.clone(), state });
        }
        drift.managed = drift.files.len();
        drift.in_line = drift.files.iter().filter(|f| f.state == FileDrift::Identical).count();
        drift.behind = drift.version != drift.current_version
            || drift.files.iter().any(|f| {
                matches!(f.state, FileDrift::TemplateMoved | FileDrift::NewInTemplate | FileDrift::BothChanged)
            });
        Ok(Some(Checked { drift, checkout: Some(checkout), current, base, made: made.clone() }))
    }

    /// Keeps `drift` as its service's last drift found.
    async fn keep(&self, drift: &ServiceDrift) -> Result<(), AppError> {
        let states: serde_json::Map<String, serde_json::Value> =
            drift.files.iter().map(|f| (f.path.clone(), serde_json::json!(f.state))).collect();
        let record = DriftRecord {
            service: drift.service.clone(),
            team: drift.team.clone(),
            template: drift.template.clone(),
            version: drift.version.clone(),
            current_version: drift.current_version.clone(),
            in_line: i64::try_from(drift.in_line).unwrap_or(i64::MAX),
            managed: i64::try_from(drift.managed).unwrap_or(i64::MAX),
            behind: drift.behind,
            repository: drift.repository.clone(),
            problem: drift.problem.clone(),
            files: serde_json::Value::Object(states),
            checked_at: drift.checked_at,
        };
        Ok(self.store.record_drift(&record).await?)
    }

    /// Where `run` published, with the credentials of the configuration
    /// when it is under `[scaffold] repositories` (the stored address has
    /// its password hidden).
    fn remote_of(&self, run: &StoredTemplateRun) -> String {
        let shown = run.repository.clone().unwrap_or_default();
        let name = run.service.name();
        match super::publish::destination(&self.scaffold.repositories, name) {
            Ok(remote) if redact(&remote) == shown => remote,
            _ => shown,
        }
    }
}

/// A shallow clone of `remote`'s default branch.
async fn clone(remote: &str) -> Result<tempfile::TempDir, String> {
    let checkout =
        tempfile::Builder::new().prefix("paved-drift-").tempdir().map_err(|e| format!("no scratch directory ({e})"))?;
    let git = Git { author: None };
    let into = checkout.path().display().to_string();
    git.run(checkout.path(), &["clone", "--quiet", "--no-tags", "--single-branch", "--", remote, &into])
        .await
        .map_err(|error| format!("its repository cannot be read: {error}"))?;
    Ok(checkout)
}

/// `paved.dev/template-version` of a catalog-info.yaml.
fn declared_version(yaml: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(yaml).ok()?;
    text.lines().find_map(|line| {
        let value = line.trim().strip_prefix("paved.dev/template-version:")?;
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then(|| value.to_owned())
    })
}

fn write(target: &Path, bytes: &[u8], executable: bool) -> Result<(), String> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot make {} ({e})", parent.display()))?;
    }
    std::fs::write(target, bytes).map_err(|e| format!("cannot write {} ({e})", target.display()))?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `version` as a branch name may hold it.
fn branch_safe(version: &str) -> String {
    version.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect()
}

fn parse(text: &str, kind: &str) -> Result<EntityRef, AppError> {
    EntityRef::parse(text.trim(), Some(kind), paved_domain::DEFAULT_NAMESPACE)
        .map_err(|e| AppError::Invalid(format!("`{}` is not a {kind}: {e}", text.trim())))
}

/// A service's drift as it was kept.
fn kept(record: DriftRecord) -> Result<ServiceDrift, AppError> {
    let corrupt = |problem: String| {
        AppError::Store(paved_store::StoreError::Corrupt(format!("drift of {}: {problem}", record.service)))
    };
    let serde_json::Value::Object(states) = &record.files else {
        return Err(corrupt(format!("files are not an object: {}", record.files)));
    };
    let files = states
        .iter()
        .map(|(path, state)| {
            let state = FileDrift::deserialize(state).map_err(|e| corrupt(format!("{path}: {e}")))?;
            Ok(FileState { path: path.clone(), state })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok(ServiceDrift {
        in_line: count(record.in_line),
        managed: count(record.managed),
        service: record.service,
        team: record.team,
        template: record.template,
        version: record.version,
        current_version: record.current_version,
        repository: record.repository,
        files,
        behind: record.behind,
        problem: record.problem,
        checked_at: record.checked_at,
    })
}

fn not_made(service: &EntityRef) -> AppError {
    AppError::NotFound(format!(
        "{service} was not made from a golden path here (no `paved new` run made it); drift compares the services \
         paved new made with their template"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_version_is_read_quoted_or_not() {
        let yaml = b"metadata:\n  annotations:\n    paved.dev/template-version: \"2\"\n";
        assert_eq!(declared_version(yaml).as_deref(), Some("2"));
        assert_eq!(declared_version(b"paved.dev/template-version: 1.4\n").as_deref(), Some("1.4"));
        assert_eq!(declared_version(b"name: ledger\n"), None);
    }

    #[test]
    fn a_version_makes_a_branch_name() {
        assert_eq!(branch_safe("2"), "2");
        assert_eq!(branch_safe("1.4 beta/x"), "1.4-beta-x");
    }
}
