//! Which commits a walk starts from.

use std::path::Path;

use gix::bstr::ByteSlice;

use super::GitError;

/// A reference and the commit it points to (tags peeled).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tip {
    /// The full reference name, e.g. `refs/heads/main`, or `HEAD`.
    pub reference: String,
    /// The commit, 40 lower-case hex digits.
    pub sha: String,
}

pub(super) fn tips(repo: &gix::Repository, path: &Path, patterns: &[String]) -> Result<Vec<Tip>, GitError> {
    let platform = repo.references().map_err(|e| GitError::read(path, "the references", e))?;
    let all = platform.all().map_err(|e| GitError::read(path, "the references", e))?;
    let mut tips = Vec::new();
    for reference in all {
        // A reference that cannot be read is skipped, as `git rev-list --all`
        // skips (and warns about) broken references.
        let Ok(mut reference) = reference else { continue };
        let name = reference.name().as_bstr().to_str_lossy().into_owned();
        if !selected(patterns, &name) {
            continue;
        }
        if let Some(sha) = peel_to_commit(repo, reference.peel_to_id().ok().map(gix::Id::detach)) {
            tips.push(Tip { reference: name, sha });
        }
    }
    if selected(patterns, "HEAD")
        && let Some(sha) = peel_to_commit(repo, repo.head_id().ok().map(gix::Id::detach))
    {
        tips.push(Tip { reference: "HEAD".to_owned(), sha });
    }
    tips.sort();
    Ok(tips)
}

fn peel_to_commit(repo: &gix::Repository, id: Option<gix::ObjectId>) -> Option<String> {
    let id = id?;
    let header = repo.find_header(id).ok()?;
    (header.kind() == gix::object::Kind::Commit).then(|| id.to_string())
}

/// No patterns select everything (`--all`); otherwise any matching pattern.
fn selected(patterns: &[String], name: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|pattern| matches(pattern, name))
}

fn matches(pattern: &str, name: &str) -> bool {
    if pattern.contains(['*', '?', '[']) {
        return gix::glob::wildmatch(pattern.into(), name.into(), gix::glob::wildmatch::Mode::empty());
    }
    let prefix = pattern.trim_end_matches('/');
    name == prefix || name.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_globs_or_prefixes() {
        assert!(matches("refs/heads/*", "refs/heads/main"));
        assert!(matches("refs/heads/*", "refs/heads/feature/x"));
        assert!(!matches("refs/heads/*", "refs/tags/v1"));
        assert!(matches("refs/tags/v[0-9]*", "refs/tags/v1.2"));
        assert!(matches("refs/heads", "refs/heads/main"));
        assert!(matches("refs/heads/", "refs/heads/main"));
        assert!(matches("refs/heads/main", "refs/heads/main"));
        assert!(!matches("refs/heads/main", "refs/heads/main2"));
        assert!(matches("HEAD", "HEAD"));
        assert!(selected(&[], "refs/anything"));
        assert!(!selected(&["refs/heads/*".to_owned()], "HEAD"));
    }
}
