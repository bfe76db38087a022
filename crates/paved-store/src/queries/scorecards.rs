//! Scorecard results, one row per service, scorecard and day.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use paved_domain::EntityRef;

use crate::StoreError;
use crate::scorecards::{ScoreRecord, ScorecardStore};
use crate::sql::{Db, SqlExt};

const COLUMNS: &str = "scorecard, service, day, team, level, score, rules, evaluated_at";

#[derive(sqlx::FromRow)]
struct ScoreRow {
    scorecard: String,
    service: String,
    day: String,
    team: Option<String>,
    level: Option<String>,
    score: f64,
    rules: String,
    evaluated_at: DateTime<Utc>,
}

impl ScoreRow {
    fn decode(self) -> Result<ScoreRecord, StoreError> {
        let corrupt = |what: &str, problem: String| {
            StoreError::Corrupt(format!("score of {} on {}: {what}: {problem}", self.service, self.scorecard))
        };
        let parse = |what: &str, text: &str| text.parse::<EntityRef>().map_err(|e| corrupt(what, e.to_string()));
        Ok(ScoreRecord {
            scorecard: parse("scorecard", &self.scorecard)?,
            service: parse("service", &self.service)?,
            day: NaiveDate::parse_from_str(&self.day, "%Y-%m-%d").map_err(|e| corrupt("day", e.to_string()))?,
            team: self.team.as_deref().map(|t| parse("team", t)).transpose()?,
            level: self.level.clone(),
            score: self.score,
            rules: serde_json::from_str(&self.rules).map_err(|e| corrupt("rules", e.to_string()))?,
            evaluated_at: self.evaluated_at,
        })
    }
}

#[async_trait]
impl<T: Db> ScorecardStore for T {
    async fn record_scores(&self, results: &[ScoreRecord]) -> Result<(), StoreError> {
        const ACTION: &str = "recording scorecard results";
        let mut tx = self.writer(ACTION).await?;
        for result in results {
            let mut upsert = tx.statement(format!(
                "INSERT INTO scorecard_results ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (scorecard, service, day) DO UPDATE SET team = excluded.team, level = excluded.level, \
                 score = excluded.score, rules = excluded.rules, evaluated_at = excluded.evaluated_at"
            ));
            upsert
                .bind(result.scorecard.key())
                .bind(result.service.key())
                .bind(result.day.format("%Y-%m-%d").to_string())
                .bind(result.team.as_ref().map(EntityRef::key))
                .bind(result.level.as_deref().map(|l| l.replace('\0', "")))
                .bind(result.score)
                .bind(result.rules.to_string().replace('\0', ""))
                .bind(result.evaluated_at);
            tx.run(&upsert, ACTION).await?;
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(())
    }

    async fn score_history(&self, service: &EntityRef, since: NaiveDate) -> Result<Vec<ScoreRecord>, StoreError> {
        const ACTION: &str = "reading a service's scorecard history";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!(
            "SELECT {COLUMNS} FROM scorecard_results WHERE service = ? AND day >= ? ORDER BY scorecard, day"
        ));
        select.bind(service.key()).bind(since.format("%Y-%m-%d").to_string());
        db.fetch_all::<ScoreRow>(&select, ACTION).await?.into_iter().map(ScoreRow::decode).collect()
    }

    async fn latest_scores(&self, service: Option<&EntityRef>) -> Result<Vec<ScoreRecord>, StoreError> {
        const ACTION: &str = "reading the latest scorecard results";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!(
            "SELECT {COLUMNS} FROM scorecard_results r WHERE day = (SELECT MAX(day) FROM scorecard_results l \
             WHERE l.scorecard = r.scorecard AND l.service = r.service)"
        ));
        if let Some(service) = service {
            select.push(" AND service = ").push_bind(service.key());
        }
        select.push(" ORDER BY scorecard, service");
        db.fetch_all::<ScoreRow>(&select, ACTION).await?.into_iter().map(ScoreRow::decode).collect()
    }
}
