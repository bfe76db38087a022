//! Repositories and commits as the importer and the readers ask for them.

use async_trait::async_trait;
use paved_domain::RepoId;

use crate::common::{self, RepositoryRow};
use crate::sql::{Db, SqlExt};
use crate::{CommitEmail, CommitStore, RepositoryState, StoreError};

#[async_trait]
impl<T: Db> CommitStore for T {
    async fn repository(&self, repo: &RepoId) -> Result<Option<RepositoryState>, StoreError> {
        const ACTION: &str = "reading a repository";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(
            "SELECT source_path, CAST(tips AS TEXT) AS tips, imported_at, commits FROM repositories WHERE repo = ?",
        );
        select.bind(repo.as_str());
        let row: Option<RepositoryRow> = db.fetch_optional(&select, ACTION).await?;
        row.map(|row| common::repository_state(repo, row)).transpose()
    }

    async fn save_repository(&self, state: &RepositoryState) -> Result<(), StoreError> {
        const ACTION: &str = "saving a repository";
        let row = common::prepare_repository(state)?;
        let mut tx = self.writer(ACTION).await?;
        let mut upsert =
            tx.statement("INSERT INTO repositories (repo, source_path, tips, imported_at, commits) VALUES (?, ?, ");
        upsert.bind(row.repo).bind(row.source_path).push_json(row.tips.clone()).push(", ?, ?)");
        upsert.bind(row.imported_at).bind(row.commits).push(
            " ON CONFLICT (repo) DO UPDATE SET source_path = excluded.source_path, tips = excluded.tips,
                 imported_at = excluded.imported_at, commits = excluded.commits",
        );
        tx.run(&upsert, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))
    }

    async fn commit_count(&self, repo: &RepoId) -> Result<u64, StoreError> {
        const ACTION: &str = "counting commits";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement("SELECT COUNT(*) FROM commits WHERE repo = ?");
        select.bind(repo.as_str());
        let (count,): (i64,) = db.fetch_one(&select, ACTION).await?;
        Ok(common::stored_count(count))
    }

    async fn commit_emails(&self) -> Result<Vec<CommitEmail>, StoreError> {
        const ACTION: &str = "listing commit e-mails";
        let mut db = self.reader(ACTION).await?;
        let select = db.statement(
            "SELECT lower(author_email), max(author_name), COUNT(*), CAST(max(author_time) AS BIGINT) FROM commits
             GROUP BY lower(author_email) ORDER BY COUNT(*) DESC, lower(author_email)",
        );
        common::commit_emails(db.fetch_all(&select, ACTION).await?)
    }

    async fn commits_by_prefix(&self, repos: &[RepoId], prefix: &str) -> Result<Vec<String>, StoreError> {
        const ACTION: &str = "resolving an abbreviated commit";
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) || prefix.len() > 40 {
            return Ok(Vec::new());
        }
        let prefix = prefix.to_ascii_lowercase();
        // `sha >= prefix AND sha < prefix + 'g'` reads the primary key's
        // range on both databases (hex digits sort below `g`).
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement("SELECT DISTINCT sha FROM commits WHERE sha >= ? AND sha < ?");
        select.bind(prefix.clone()).bind(format!("{prefix}g"));
        if !repos.is_empty() {
            let repos: Vec<String> = repos.iter().map(ToString::to_string).collect();
            select.push(" AND ").push_in("repo", &repos);
        }
        select.push(" ORDER BY sha LIMIT 10");
        let rows: Vec<(String,)> = db.fetch_all(&select, ACTION).await?;
        Ok(rows.into_iter().map(|(sha,)| sha).collect())
    }
}
