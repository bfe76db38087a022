//! What only tests read back or write directly ([`crate::InspectStore`],
//! the `testing` feature): single raw events, raw events by source, pages
//! of commits with their files, and the paths of commits.

use async_trait::async_trait;
use paved_domain::{Commit, RepoId};

use crate::StoreError;
use crate::common::{self, COMMIT_ROW_COLUMNS, CommitFileRow, CommitRow, RAW_EVENT_COLUMNS, RawEventRow};
use crate::sql::{Db, SqlExt};

/// What only tests read back: raw events by source, pages of commits with
/// their files, and the paths of commits.
#[async_trait]
impl<T: Db> crate::InspectStore for T {
    async fn insert_raw_event(&self, event: &crate::NewRawEvent) -> Result<crate::RawEventInsert, StoreError> {
        const ACTION: &str = "storing a raw event";
        common::check_raw_event(event)?;
        let mut tx = self.writer(ACTION).await?;
        let mut insert = tx.statement(
            "INSERT INTO raw_events (source, event_type, delivery_id, received_at, body, context)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, delivery_id) DO NOTHING RETURNING id",
        );
        insert
            .bind(&event.source)
            .bind(&event.event_type)
            .bind(&event.delivery_id)
            .bind(common::storable_instant(event.received_at))
            .bind(event.body.clone())
            .bind(event.context.to_string());
        let inserted: Option<(i64,)> = tx.fetch_optional(&insert, ACTION).await?;
        // When another session inserts the same delivery, ON CONFLICT waits
        // for it to commit; this SELECT then sees it.
        let outcome = match inserted {
            Some((id,)) => crate::RawEventInsert::Stored(id),
            None => {
                let mut select = tx.statement("SELECT id FROM raw_events WHERE source = ? AND delivery_id = ?");
                select.bind(&event.source).bind(&event.delivery_id);
                let (id,): (i64,) = tx.fetch_one(&select, ACTION).await?;
                crate::RawEventInsert::Duplicate(id)
            }
        };
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(outcome)
    }

    async fn raw_events(&self, source: &str, after_id: i64, limit: u32) -> Result<Vec<crate::RawEvent>, StoreError> {
        const ACTION: &str = "reading raw events";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!(
            "SELECT {RAW_EVENT_COLUMNS} FROM raw_events WHERE source = ? AND id > ? ORDER BY id LIMIT ?"
        ));
        select.bind(source).bind(after_id).bind(i64::from(limit.min(common::MAX_RAW_EVENT_PAGE)));
        db.fetch_all::<RawEventRow>(&select, ACTION).await?.into_iter().map(RawEventRow::decode).collect()
    }

    async fn commits(&self, repo: &RepoId, limit: u32, offset: u64) -> Result<Vec<Commit>, StoreError> {
        const ACTION: &str = "reading commits";
        // One snapshot: the page and its files agree.
        let mut tx = self.snapshot(ACTION).await?;
        let mut select = tx.statement(format!(
            "SELECT {COMMIT_ROW_COLUMNS} FROM commits WHERE repo = ? ORDER BY committer_time, sha LIMIT ? OFFSET ?"
        ));
        select.bind(repo.as_str()).bind(common::commit_page_limit(limit)).bind(common::commit_page_offset(offset));
        let rows: Vec<CommitRow> = tx.fetch_all(&select, ACTION).await?;
        let files: Vec<CommitFileRow> = if rows.is_empty() {
            Vec::new()
        } else {
            let shas: Vec<String> = rows.iter().map(|row| row.sha.clone()).collect();
            let mut select =
                tx.statement("SELECT sha, path, added, removed, is_binary FROM commit_files WHERE repo = ? AND ");
            select.bind(repo.as_str()).push_in("sha", &shas).push(" ORDER BY sha, path");
            tx.fetch_all(&select, ACTION).await?
        };
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        common::assemble_commits(repo, rows, files)
    }

    async fn commit_paths(&self, repo: &RepoId) -> Result<Vec<(String, String)>, StoreError> {
        const ACTION: &str = "reading the paths of commits";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement("SELECT sha, path FROM commit_files WHERE repo = ?");
        select.bind(repo.as_str());
        db.fetch_all(&select, ACTION).await
    }
}
