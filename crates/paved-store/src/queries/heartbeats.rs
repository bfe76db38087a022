//! Heartbeats: beats, watching, and marking a miss once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;
use crate::heartbeats::{HeartbeatState, HeartbeatStore};
use crate::sql::{Db, SqlExt};

const COLUMNS: &str = "name, last_beat_at, beats, missed_at, incident_key";

#[derive(sqlx::FromRow)]
struct Row {
    name: String,
    last_beat_at: DateTime<Utc>,
    beats: i64,
    missed_at: Option<DateTime<Utc>>,
    incident_key: Option<String>,
}

impl From<Row> for HeartbeatState {
    fn from(row: Row) -> Self {
        Self {
            name: row.name,
            last_beat_at: row.last_beat_at,
            beats: row.beats,
            missed_at: row.missed_at,
            incident_key: row.incident_key,
        }
    }
}

#[async_trait]
impl<T: Db> HeartbeatStore for T {
    async fn beat(&self, name: &str, at: DateTime<Utc>) -> Result<Option<HeartbeatState>, StoreError> {
        const ACTION: &str = "recording a heartbeat";
        if name.contains('\0') {
            return Err(StoreError::InvalidRecord {
                record: name.replace('\0', ""),
                field: "name".into(),
                problem: "holds a NUL character (\\0)",
            });
        }
        let mut tx = self.writer(ACTION).await?;
        let mut select = tx.statement(format!("SELECT {COLUMNS} FROM heartbeats WHERE name = ?"));
        select.bind(name).push_for_update();
        let before: Option<HeartbeatState> = tx.fetch_optional::<Row>(&select, ACTION).await?.map(Into::into);
        let mut upsert = tx.statement(
            "INSERT INTO heartbeats (name, last_beat_at, beats, missed_at, incident_key) VALUES (?, ?, 1, NULL, NULL) \
             ON CONFLICT (name) DO UPDATE SET last_beat_at = excluded.last_beat_at, beats = heartbeats.beats + 1, \
             missed_at = NULL, incident_key = NULL",
        );
        upsert.bind(name).bind(at);
        tx.run(&upsert, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(before)
    }

    async fn watch_heartbeats(&self, names: &[String], now: DateTime<Utc>) -> Result<(), StoreError> {
        const ACTION: &str = "watching heartbeats";
        if names.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer(ACTION).await?;
        for name in names {
            let mut insert = tx.statement(
                "INSERT INTO heartbeats (name, last_beat_at, beats) VALUES (?, ?, 0) ON CONFLICT (name) DO NOTHING",
            );
            insert.bind(name.replace('\0', "")).bind(now);
            tx.run(&insert, ACTION).await?;
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(())
    }

    async fn mark_heartbeat_missed(
        &self,
        name: &str,
        last_beat_at: DateTime<Utc>,
        incident_key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        const ACTION: &str = "marking a heartbeat missed";
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(
            "UPDATE heartbeats SET missed_at = ?, incident_key = ? \
             WHERE name = ? AND last_beat_at = ? AND missed_at IS NULL",
        );
        update.bind(now).bind(incident_key.replace('\0', "")).bind(name).bind(last_beat_at);
        let changed = tx.run(&update, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(changed == 1)
    }

    async fn heartbeats(&self) -> Result<Vec<HeartbeatState>, StoreError> {
        const ACTION: &str = "reading heartbeats";
        let mut db = self.reader(ACTION).await?;
        let select = db.statement(format!("SELECT {COLUMNS} FROM heartbeats ORDER BY name"));
        Ok(db.fetch_all::<Row>(&select, ACTION).await?.into_iter().map(Into::into).collect())
    }
}
