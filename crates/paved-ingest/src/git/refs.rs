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

/// References that no patterns leave out although `git rev-list --all` walks
/// them: stashes (WIP and index commits), notes, `filter-branch` backups and
/// replacements are not the project's history.
pub const NOT_HISTORY: [&str; 4] = ["refs/stash", "refs/notes/*", "refs/original/*", "refs/replace/*"];

/// No patterns select every reference but [`NOT_HISTORY`] (`--all` less
/// those); otherwise any matching pattern.
fn selected(patterns: &[String], name: &str) -> bool {
    if patterns.is_empty() {
        return !NOT_HISTORY.iter().any(|pattern| matches(pattern, name));
    }
    patterns.iter().any(|pattern| matches(pattern, name))
}

/// A pattern starting with `refs/` is matched against the full name (glob
/// or prefix); any other is a short name as git resolves it, exactly (or as
/// a glob): `<p>`, `refs/heads/<p>`, `refs/tags/<p>` or `refs/remotes/<p>`.
fn matches(pattern: &str, name: &str) -> bool {
    if pattern.starts_with("refs/") || pattern == "refs" {
        return matches_full(pattern, name);
    }
    let is_glob = pattern.contains(['*', '?', '[']);
    let short = |candidate: &str| {
        if is_glob {
            gix::glob::wildmatch(pattern.into(), candidate.into(), gix::glob::wildmatch::Mode::empty())
        } else {
            candidate == pattern
        }
    };
    short(name)
        || ["refs/heads/", "refs/tags/", "refs/remotes/"]
            .iter()
            .any(|namespace| name.strip_prefix(namespace).is_some_and(short))
}

fn matches_full(pattern: &str, name: &str) -> bool {
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
        assert!(selected(&[], "refs/heads/main"));
        assert!(selected(&[], "HEAD"));
        for not_history in ["refs/stash", "refs/notes/commits", "refs/original/refs/heads/main", "refs/replace/abc"] {
            assert!(!selected(&[], not_history), "{not_history}");
            assert!(selected(&[not_history.to_owned()], not_history), "{not_history}");
        }
        assert!(selected(&["refs/notes/*".to_owned()], "refs/notes/commits"));
        assert!(!selected(&["refs/heads/*".to_owned()], "HEAD"));
    }

    #[test]
    fn short_names_match_like_git() {
        assert!(matches("main", "refs/heads/main"));
        assert!(matches("v1.0", "refs/tags/v1.0"));
        assert!(matches("origin/main", "refs/remotes/origin/main"));
        assert!(!matches("origin", "refs/remotes/origin/main"));
        assert!(matches("HEAD", "HEAD"));
        assert!(!matches("main", "refs/heads/main2"));
        assert!(!matches("main", "refs/notes/main"));
        assert!(!matches("HEAD", "refs/heads/HEAD2"));
        assert!(matches("feature/*", "refs/heads/feature/x"));
        assert!(!matches("refs/heads/main", "refs/remotes/refs/heads/main"));
    }
}
