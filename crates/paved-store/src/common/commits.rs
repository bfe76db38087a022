//! Commits and repository states: checking what a caller gives before any
//! transaction opens, the columns both backends write, and turning rows back
//! into [`Commit`]s. The backends only run the SQL.

use chrono::{DateTime, Utc};
use paved_domain::{Commit, CommitSignature, RepoId};

use super::storable_instant;
use crate::{RefTip, RepositoryState, StoreError};

/// The largest page [`crate::Store::commits`] returns.
#[cfg(feature = "testing")]
pub(crate) const MAX_COMMIT_PAGE: u32 = 10_000;

/// The columns of `commits`, in the order [`PreparedCommit`]s are bound.
pub(crate) const COMMIT_COLUMNS: &str = "repo, sha, parents, author_name, author_email, author_time, \
     author_offset_seconds, committer_name, committer_email, committer_time, committer_offset_seconds, message, \
     files_changed, lines_added, lines_removed";
/// How many values one commit binds.
pub(crate) const COMMIT_BINDS: usize = 15;
/// The columns of `commit_files`, in the order [`PreparedFile`]s are bound.
pub(crate) const FILE_COLUMNS: &str = "repo, sha, path, added, removed, is_binary";
/// How many values one file binds.
pub(crate) const FILE_BINDS: usize = 6;

/// The columns [`CommitRow`] reads.
#[cfg(feature = "testing")]
pub(crate) const COMMIT_ROW_COLUMNS: &str = "sha, parents, author_name, author_email, author_time, \
     author_offset_seconds, committer_name, committer_email, committer_time, committer_offset_seconds, message";

const HAS_NUL: &str = "has a NUL character (\\0), which the database cannot store";
const NOT_AN_OBJECT_ID: &str = "is not a full commit id (40 or 64 lower-case hex digits)";
const COUNT_TOO_LARGE: &str = "is above 2,147,483,647, the largest count the store keeps";
const TOTAL_TOO_LARGE: &str = "add up to more than 2,147,483,647 lines, the largest count the store keeps";
const REPEATED_PATH: &str = "repeats the path of an earlier file of the commit";

/// A commit checked and turned into the columns of its `commits` row.
pub(crate) struct PreparedCommit<'a> {
    pub repo: &'a str,
    pub sha: &'a str,
    pub author: &'a CommitSignature,
    pub committer: &'a CommitSignature,
    pub message: &'a str,
    /// The parents separated by single spaces (object ids hold none).
    pub parents: String,
    pub author_time: i64,
    pub author_offset: i32,
    pub committer_time: i64,
    pub committer_offset: i32,
    pub files_changed: i32,
    pub lines_added: i32,
    pub lines_removed: i32,
    /// The commit's files in path order (the primary key's order).
    pub files: Vec<PreparedFile<'a>>,
}

/// One file of a [`PreparedCommit`].
pub(crate) struct PreparedFile<'a> {
    pub path: &'a str,
    pub added: i32,
    pub removed: i32,
    pub binary: bool,
}

/// True for a full object id: 40 (SHA-1) or 64 (SHA-256) lower-case hex
/// digits. Such an id holds no space, so parents can be joined by spaces.
fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn invalid(record: impl FnOnce() -> String, field: impl Into<String>, problem: &'static str) -> StoreError {
    StoreError::InvalidRecord { record: record(), field: field.into(), problem }
}

fn count(value: u64, record: impl FnOnce() -> String, field: String, problem: &'static str) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| invalid(record, field, problem))
}

/// Checks one commit and computes its columns.
fn prepare_commit(commit: &Commit) -> Result<PreparedCommit<'_>, StoreError> {
    let record = || format!("commit {}@{}", commit.repo, commit.sha);
    if !is_object_id(&commit.sha) {
        return Err(invalid(record, "sha", NOT_AN_OBJECT_ID));
    }
    if let Some(i) = commit.parents.iter().position(|parent| !is_object_id(parent)) {
        return Err(invalid(record, format!("parents[{i}]"), NOT_AN_OBJECT_ID));
    }
    let texts = [
        ("author.name", &commit.author.name),
        ("author.email", &commit.author.email),
        ("committer.name", &commit.committer.name),
        ("committer.email", &commit.committer.email),
        ("message", &commit.message),
    ];
    if let Some((field, _)) = texts.iter().find(|(_, text)| text.contains('\0')) {
        return Err(invalid(record, *field, HAS_NUL));
    }
    let mut files = Vec::with_capacity(commit.files.len());
    for (i, file) in commit.files.iter().enumerate() {
        if file.path.contains('\0') {
            return Err(invalid(record, format!("files[{i}].path"), HAS_NUL));
        }
        let added = count(u64::from(file.added), record, format!("files[{i}].added"), COUNT_TOO_LARGE)?;
        let removed = count(u64::from(file.removed), record, format!("files[{i}].removed"), COUNT_TOO_LARGE)?;
        files.push((i, PreparedFile { path: &file.path, added, removed, binary: file.binary }));
    }
    // Stable: of two files with one path, the later one is reported.
    files.sort_by(|a, b| a.1.path.cmp(b.1.path));
    if let Some(pair) = files.windows(2).find(|pair| pair[0].1.path == pair[1].1.path) {
        return Err(invalid(record, format!("files[{}].path", pair[0].0.max(pair[1].0)), REPEATED_PATH));
    }
    Ok(PreparedCommit {
        repo: commit.repo.as_str(),
        sha: &commit.sha,
        author: &commit.author,
        committer: &commit.committer,
        message: &commit.message,
        parents: commit.parents.join(" "),
        author_time: commit.author.time.timestamp(),
        author_offset: commit.author.time.offset().local_minus_utc(),
        committer_time: commit.committer.time.timestamp(),
        committer_offset: commit.committer.time.offset().local_minus_utc(),
        files_changed: count(commit.files.len() as u64, record, "files".to_owned(), COUNT_TOO_LARGE)?,
        lines_added: count(commit.lines_added(), record, "files[].added".to_owned(), TOTAL_TOO_LARGE)?,
        lines_removed: count(commit.lines_removed(), record, "files[].removed".to_owned(), TOTAL_TOO_LARGE)?,
        files: files.into_iter().map(|(_, file)| file).collect(),
    })
}

/// Checks every commit of a batch before any transaction opens, and returns
/// them in primary-key order (so that inserts walk each B-tree in order)
/// without repeats: of a commit given twice, the first is kept.
///
/// # Errors
/// [`StoreError::InvalidRecord`] for the first commit the store cannot keep.
pub(crate) fn prepare_commits(commits: &[Commit]) -> Result<Vec<PreparedCommit<'_>>, StoreError> {
    let mut prepared = commits.iter().map(prepare_commit).collect::<Result<Vec<_>, _>>()?;
    // Stable, so the first of two equal commits stays first; dedup_by then
    // removes the later one.
    prepared.sort_by(|a, b| (a.repo, a.sha).cmp(&(b.repo, b.sha)));
    prepared.dedup_by(|later, earlier| later.repo == earlier.repo && later.sha == earlier.sha);
    Ok(prepared)
}

/// The files of the commits that `is_new` accepts, as (commit, file) pairs
/// in primary-key order.
pub(crate) fn files_of_new<'p, 'a>(
    commits: &'p [PreparedCommit<'a>],
    mut is_new: impl FnMut(&str, &str) -> bool,
) -> Vec<(&'p PreparedCommit<'a>, &'p PreparedFile<'a>)> {
    commits
        .iter()
        .filter(|commit| !commit.files.is_empty() && is_new(commit.repo, commit.sha))
        .flat_map(|commit| commit.files.iter().map(move |file| (commit, file)))
        .collect()
}

/// A `commits` row as read back (the repository is known to the caller).
#[cfg(feature = "testing")]
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CommitRow {
    pub sha: String,
    pub parents: String,
    pub author_name: String,
    pub author_email: String,
    pub author_time: i64,
    pub author_offset_seconds: i32,
    pub committer_name: String,
    pub committer_email: String,
    pub committer_time: i64,
    pub committer_offset_seconds: i32,
    pub message: String,
}

/// A `commit_files` row of a page of commits.
#[cfg(feature = "testing")]
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CommitFileRow {
    pub sha: String,
    pub path: String,
    pub added: i32,
    pub removed: i32,
    pub is_binary: bool,
}

#[cfg(feature = "testing")]
fn signature(name: String, email: String, time: i64, offset: i32, sha: &str) -> Result<CommitSignature, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("commit {sha} has the time {time} with the offset {offset} s"));
    let offset = chrono::FixedOffset::east_opt(offset).ok_or_else(corrupt)?;
    let time = DateTime::from_timestamp(time, 0).ok_or_else(corrupt)?.with_timezone(&offset);
    Ok(CommitSignature { name, email, time })
}

/// Builds the [`Commit`]s of `repo` from a page of rows, in the rows'
/// order, each with its files (`files` ordered by sha, then path).
#[cfg(feature = "testing")]
pub(crate) fn assemble_commits(
    repo: &RepoId,
    rows: Vec<CommitRow>,
    files: Vec<CommitFileRow>,
) -> Result<Vec<Commit>, StoreError> {
    let mut files_by_sha: std::collections::HashMap<String, Vec<paved_domain::FileStat>> =
        std::collections::HashMap::new();
    for file in files {
        let corrupt = || StoreError::Corrupt(format!("commit {} has a negative count for {}", file.sha, file.path));
        let stat = paved_domain::FileStat {
            added: u32::try_from(file.added).map_err(|_| corrupt())?,
            removed: u32::try_from(file.removed).map_err(|_| corrupt())?,
            binary: file.is_binary,
            path: file.path,
        };
        files_by_sha.entry(file.sha).or_default().push(stat);
    }
    rows.into_iter()
        .map(|row| {
            let author =
                signature(row.author_name, row.author_email, row.author_time, row.author_offset_seconds, &row.sha)?;
            let committer = signature(
                row.committer_name,
                row.committer_email,
                row.committer_time,
                row.committer_offset_seconds,
                &row.sha,
            )?;
            let parents =
                if row.parents.is_empty() { Vec::new() } else { row.parents.split(' ').map(str::to_owned).collect() };
            Ok(Commit {
                repo: repo.clone(),
                files: files_by_sha.remove(&row.sha).unwrap_or_default(),
                sha: row.sha,
                parents,
                author,
                committer,
                message: row.message,
            })
        })
        .collect()
}

/// The page size actually used by [`crate::Store::commits`].
#[cfg(feature = "testing")]
pub(crate) fn commit_page_limit(limit: u32) -> i64 {
    i64::from(limit.min(MAX_COMMIT_PAGE))
}

#[cfg(feature = "testing")]
pub(crate) fn commit_page_offset(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

/// A count read back as the unsigned number it is.
pub(crate) fn stored_count(count: i64) -> u64 {
    u64::try_from(count).unwrap_or_default()
}

/// A [`RepositoryState`] checked and turned into its columns.
pub(crate) struct PreparedRepository<'a> {
    pub repo: &'a str,
    pub source_path: &'a str,
    pub tips: String,
    pub imported_at: DateTime<Utc>,
    pub commits: i64,
}

/// Checks a repository state before anything is written.
///
/// # Errors
/// [`StoreError::InvalidRecord`] for a NUL character, a tip that is not an
/// object id, or a count above `i64::MAX`.
pub(crate) fn prepare_repository(state: &RepositoryState) -> Result<PreparedRepository<'_>, StoreError> {
    let record = || format!("repository {}", state.repo);
    if state.source_path.contains('\0') {
        return Err(invalid(record, "source_path", HAS_NUL));
    }
    for (i, tip) in state.tips.iter().enumerate() {
        if tip.reference.contains('\0') {
            return Err(invalid(record, format!("tips[{i}].reference"), HAS_NUL));
        }
        if !is_object_id(&tip.sha) {
            return Err(invalid(record, format!("tips[{i}].sha"), NOT_AN_OBJECT_ID));
        }
    }
    let commits = i64::try_from(state.commits).map_err(|_| {
        invalid(record, "commits", "is above 9,223,372,036,854,775,807, the largest count the store keeps")
    })?;
    // Serialising strings cannot fail.
    let tips =
        serde_json::to_string(&state.tips).map_err(|e| StoreError::Corrupt(format!("tips of {}: {e}", state.repo)))?;
    Ok(PreparedRepository {
        repo: state.repo.as_str(),
        source_path: &state.source_path,
        tips,
        imported_at: storable_instant(state.imported_at),
        commits,
    })
}

/// A `repositories` row as read back.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RepositoryRow {
    pub source_path: String,
    pub tips: String,
    pub imported_at: DateTime<Utc>,
    pub commits: i64,
}

/// The state of `repo` from its row.
pub(crate) fn repository_state(repo: &RepoId, row: RepositoryRow) -> Result<RepositoryState, StoreError> {
    let tips: Vec<RefTip> = serde_json::from_str(&row.tips)
        .map_err(|e| StoreError::Corrupt(format!("the tips of repository {repo}: {e}")))?;
    Ok(RepositoryState {
        repo: repo.clone(),
        source_path: row.source_path,
        tips,
        imported_at: row.imported_at,
        commits: stored_count(row.commits),
    })
}

/// The columns of a `commits` row a [`crate::GraphRow`] is made of: sha,
/// parents, author time, committer time, message, author name, author
/// e-mail, and the paths of its `commit_files` rows joined by newlines (git
/// prints a path holding a newline quoted, so none holds one).
pub(crate) type GraphRowColumns = (String, String, i64, i64, String, String, String, String);

/// A `commits` row as a [`crate::GraphRow`].
pub(crate) fn graph_row(
    (sha, parents, author_time, committer_time, message, author_name, author_email, files): GraphRowColumns,
) -> crate::GraphRow {
    crate::GraphRow {
        sha,
        parents: parents.split(' ').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        author_time,
        committer_time,
        message,
        author_name,
        author_email,
        files: if files.is_empty() { Vec::new() } else { files.split('\n').map(str::to_owned).collect() },
    }
}

#[cfg(test)]
mod tests {
    use paved_domain::FileStat;

    use super::*;

    fn commit(sha: &str) -> Commit {
        let signature = CommitSignature {
            name: "Ada".to_owned(),
            email: "ada@example.com".to_owned(),
            time: DateTime::parse_from_rfc3339("2025-01-02T03:04:05+01:00").unwrap(),
        };
        Commit {
            repo: RepoId::parse_url("github.com/acme/checkout").unwrap(),
            sha: sha.to_owned(),
            parents: Vec::new(),
            author: signature.clone(),
            committer: signature,
            message: "m".to_owned(),
            files: Vec::new(),
        }
    }

    fn file(path: &str, added: u32) -> FileStat {
        FileStat { path: path.to_owned(), added, removed: 0, binary: false }
    }

    fn refused(commits: &[Commit]) -> (String, &'static str) {
        match prepare_commits(commits) {
            Err(StoreError::InvalidRecord { field, problem, .. }) => (field, problem),
            Err(other) => panic!("refused for another reason: {other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn object_ids_are_full_lower_case_hex() {
        assert!(is_object_id(&"a".repeat(40)));
        assert!(is_object_id(&"0".repeat(64)));
        for bad in ["A".repeat(40), "a".repeat(39), "g".repeat(40), format!("{} ", "a".repeat(39)), String::new()] {
            assert!(!is_object_id(&bad), "{bad:?}");
        }
    }

    #[test]
    fn a_batch_is_sorted_and_a_repeated_commit_keeps_its_first_copy() {
        let mut first = commit(&"b".repeat(40));
        first.message = "first".to_owned();
        let mut again = first.clone();
        again.message = "again".to_owned();
        let batch = [first, commit(&"a".repeat(40)), again];
        let prepared = prepare_commits(&batch).unwrap();
        assert_eq!(prepared.iter().map(|c| c.sha.chars().next().unwrap()).collect::<String>(), "ab");
        assert_eq!(prepared[1].message, "first");
    }

    #[test]
    fn bad_commits_name_the_field() {
        let sha = "c".repeat(40);
        let mut c = commit(&sha);
        c.parents = vec!["d".repeat(40), "D".repeat(40)];
        assert_eq!(refused(&[c]), ("parents[1]".to_owned(), NOT_AN_OBJECT_ID));

        let mut c = commit(&sha);
        c.committer.email = "a\0b".to_owned();
        assert_eq!(refused(&[c]), ("committer.email".to_owned(), HAS_NUL));

        let mut c = commit(&sha);
        c.files = vec![file("b", 1), file("a", 1), file("b", 2)];
        assert_eq!(refused(&[c]), ("files[2].path".to_owned(), REPEATED_PATH));

        let mut c = commit(&sha);
        c.files = vec![file("a", u32::MAX)];
        assert_eq!(refused(&[c]), ("files[0].added".to_owned(), COUNT_TOO_LARGE));

        let mut c = commit(&sha);
        c.files = vec![file("a", i32::MAX as u32), file("b", 1)];
        assert_eq!(refused(&[c]), ("files[].added".to_owned(), TOTAL_TOO_LARGE));
    }

    #[test]
    fn files_are_written_in_path_order_with_totals() {
        let mut c = commit(&"e".repeat(40));
        c.files = vec![file("z", 3), FileStat { path: "a.png".to_owned(), added: 0, removed: 0, binary: true }];
        let prepared = prepare_commits(std::slice::from_ref(&c)).unwrap();
        let paths: Vec<&str> = prepared[0].files.iter().map(|f| f.path).collect();
        assert_eq!(paths, ["a.png", "z"]);
        assert_eq!((prepared[0].files_changed, prepared[0].lines_added, prepared[0].author_offset), (2, 3, 3600));
    }
}
