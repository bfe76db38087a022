//! The steps of a golden path that change the world: `publish:git` (the
//! rendered files as the first commit of a new repository, authored by who
//! asked) and `catalog:register` / `paved:deploy-target` (the new
//! descriptors imported into the catalog, checked as `paved catalog
//! validate` checks them).

use std::path::Path;

use paved_domain::CatalogEntity;
use paved_store::{CatalogImport, OrphanPolicy};
use serde_json::{Value, json};

use super::render::Workspace;
use crate::gitcli::{Author, Git, one_line, redact};
use crate::{App, AppError};

/// Where `publish:git` pushes: `<repositories>/<name>.git`, where
/// `repositories` is `[scaffold] repositories`. A `repoUrl` input that is a
/// whole URL must start with it.
pub(super) fn destination(repositories: &str, repo: &str) -> Result<String, AppError> {
    let base = repositories.trim().trim_end_matches('/');
    if base.is_empty() {
        return Err(AppError::Invalid(
            "publish:git needs somewhere to make repositories: set [scaffold] repositories in the configuration (a \
             directory of bare repositories, e.g. /srv/git, or a git URL prefix)"
                .to_owned(),
        ));
    }
    let repo = repo.trim();
    if repo.contains('/') || repo.contains(':') {
        return if repo.starts_with(base) {
            Ok(repo.to_owned())
        } else {
            Err(AppError::Invalid(format!(
                "publish:git repoUrl `{}` is not under [scaffold] repositories ({}); name the repository only",
                redact(repo),
                redact(base)
            )))
        };
    }
    let ok = !repo.is_empty() && repo.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if !ok || repo.starts_with('.') {
        return Err(AppError::Invalid(format!("publish:git repoUrl `{repo}` is not a repository name")));
    }
    let name = repo.strip_suffix(".git").unwrap_or(repo);
    Ok(format!("{base}/{name}.git"))
}

/// Whether `remote` names a repository on this machine (a path).
fn is_local(remote: &str) -> bool {
    remote.starts_with('/') || remote.starts_with("file://") || remote.starts_with("./")
}

/// Commits `files` as the first commit of `remote` (made bare when it is a
/// path that does not exist; refused when it already has commits) on
/// `main`, authored by `author`, and pushes it. The step's output.
pub(super) async fn publish_git(
    remote: &str,
    files: &Workspace,
    author: &Author,
    message: &str,
) -> Result<Value, AppError> {
    let shown = redact(remote);
    let git = Git { author: Some(author) };
    let unavailable = |what: String| AppError::Unavailable(format!("publish:git to {shown}: {what}"));
    let scratch = tempfile::Builder::new()
        .prefix("paved-new-")
        .tempdir()
        .map_err(|e| unavailable(format!("no scratch directory ({e})")))?;
    if is_local(remote) {
        let path = Path::new(remote.strip_prefix("file://").unwrap_or(remote));
        if !path.exists() {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| unavailable(format!("cannot make {} ({e})", parent.display())))?;
            }
            git.run(scratch.path(), &["init", "--quiet", "--bare", &path.display().to_string()])
                .await
                .map_err(unavailable)?;
        }
    }
    let heads = git.run(scratch.path(), &["ls-remote", "--heads", "--", remote]).await.map_err(unavailable)?;
    if !heads.trim().is_empty() {
        return Err(AppError::Conflict(format!(
            "{shown} already has commits; a golden path starts a new repository: choose another name"
        )));
    }
    let work = scratch.path().join("repo");
    std::fs::create_dir_all(&work).map_err(|e| unavailable(e.to_string()))?;
    for (path, file) in files {
        let target = work.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| unavailable(e.to_string()))?;
        }
        std::fs::write(&target, &file.bytes).map_err(|e| unavailable(format!("cannot write {path} ({e})")))?;
        #[cfg(unix)]
        if file.executable {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| unavailable(e.to_string()))?;
        }
    }
    git.run(&work, &["init", "--quiet", "-b", "main"]).await.map_err(unavailable)?;
    git.run(&work, &["add", "--all"]).await.map_err(unavailable)?;
    let (subject, body) = message.split_once('\n').unwrap_or((message, ""));
    git.run(&work, &["commit", "--quiet", "-m", &one_line(subject), "-m", body.trim()]).await.map_err(unavailable)?;
    git.run(&work, &["push", "--quiet", "--", remote, "HEAD:refs/heads/main"]).await.map_err(unavailable)?;
    let commit = git.run(&work, &["rev-parse", "HEAD"]).await.map_err(unavailable)?.trim().to_owned();
    Ok(json!({ "remoteUrl": shown, "commit": commit, "branch": "main" }))
}

impl App {
    /// Imports the descriptors at `paths` of `files` (checked as `paved
    /// catalog validate` does, against the stored catalog; an error refuses
    /// them all) under the location `paved:new/<service>`, their source
    /// shown as `repository`. The entities imported.
    pub(super) async fn register_files(
        &self,
        files: &Workspace,
        paths: &[String],
        service: &str,
        repository: &str,
    ) -> Result<Vec<String>, AppError> {
        let (entities, _) = self.checked_descriptors(files, paths, repository).await?;
        let location = format!("paved:new/{service}");
        self.store
            .import_catalog(CatalogImport { location: &location, entities: &entities, orphans: OrphanPolicy::Mark })
            .await?;
        Ok(entities.iter().map(|e| e.entity_ref.to_string()).collect())
    }

    /// The descriptors at `paths` of `files`, checked as `paved catalog
    /// validate` checks them, references to the stored catalog resolved;
    /// with the warnings found (`path:line: message; hint`), such as an
    /// on-call Schedule the catalog does not have.
    pub(super) async fn checked_descriptors(
        &self,
        files: &Workspace,
        paths: &[String],
        repository: &str,
    ) -> Result<(Vec<CatalogEntity>, Vec<String>), AppError> {
        let scratch = tempfile::Builder::new()
            .prefix("paved-register-")
            .tempdir()
            .map_err(|e| AppError::Internal(format!("no scratch directory ({e})")))?;
        let mut on_disk = Vec::new();
        for path in paths {
            let file = files
                .get(path.trim_start_matches('/'))
                .ok_or_else(|| AppError::Invalid(format!("catalog:register: the new repository has no {path}")))?;
            let target = scratch.path().join(path.trim_start_matches('/').replace('/', "__"));
            std::fs::write(&target, &file.bytes).map_err(|e| AppError::Internal(e.to_string()))?;
            on_disk.push((target, path.trim_start_matches('/').to_owned()));
        }
        let known = self.store.catalog_entities().await?.into_iter().map(|e| e.entity_ref.key()).collect();
        let options = paved_catalog::LoadOptions { known, ..paved_catalog::LoadOptions::default() };
        let load = paved_catalog::load(&on_disk.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(), &options);
        let original = |file: &str| {
            on_disk.iter().find(|(disk, _)| disk.display().to_string() == file).map_or("", |(_, path)| path.as_str())
        };
        let warnings = load
            .problems
            .iter()
            .filter(|p| p.severity == paved_catalog::Severity::Warning)
            .map(|p| format!("{}:{}: {}; {}", original(&p.file), p.line, p.message, p.hint))
            .collect();
        if load.has_errors() {
            let problems: Vec<String> = load
                .problems
                .iter()
                .filter(|p| p.severity == paved_catalog::Severity::Error)
                .map(|p| format!("{}:{}:{}: {}", original(&p.file), p.line, p.column, p.message))
                .collect();
            return Err(AppError::Invalid(format!(
                "catalog:register: the new descriptors do not validate: {}",
                problems.join("; ")
            )));
        }
        let entities: Vec<CatalogEntity> = load
            .entities
            .into_iter()
            .map(|mut entity| {
                entity.source.file = format!("{}/{}", redact(repository), original(&entity.source.file));
                entity
            })
            .collect();
        Ok((entities, warnings))
    }
}
