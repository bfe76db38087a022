//! Runs whose process stopped: a golden-path run is stored as `running`
//! when it starts and ended by the process running it; a process killed
//! mid-way leaves it `running`. The server's sweeper ends each such run as
//! failed once it is older than [`RUN_LIMIT`], with the reason and an
//! audit entry, on whichever replica looks first (the store ends a run
//! once).

use std::time::Duration;

use paved_store::{NewAudit, RunKind, RunOutcome};

use crate::{App, AppError};

/// How long a run may stay `running` before its process is taken for
/// stopped: well beyond its git commands' timeouts together.
pub const RUN_LIMIT: Duration = Duration::from_secs(15 * 60);

impl App {
    /// Ends as failed every run still `running` that started more than
    /// `limit` ago; how many it ended.
    ///
    /// # Errors
    /// A store error.
    pub async fn interrupt_stale_template_runs(&self, limit: Duration) -> Result<usize, AppError> {
        let limit = chrono::Duration::from_std(limit).unwrap_or(chrono::Duration::MAX);
        let before = chrono::Utc::now().checked_sub_signed(limit).unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let mut ended = 0;
        for run in self.store.stale_template_runs(before).await? {
            let minutes = (chrono::Utc::now() - run.created_at).num_minutes();
            let reason = format!(
                "interrupted: the process running it stopped ({minutes} minutes without an end); the steps above \
                 are what it did, so a repository may have been pushed without being registered: look at it before \
                 running again"
            );
            let mut log = run.log.clone();
            log.push(reason.clone());
            let outcome = RunOutcome {
                error: Some(reason.clone()),
                log,
                repository: None,
                commit: None,
                branch: None,
                files: None,
                links: serde_json::Value::Null,
            };
            let action = match run.kind {
                RunKind::Create => "scaffold.run.fail",
                RunKind::Update => "scaffold.update.fail",
            };
            let audit = NewAudit {
                actor: "pavedroad".into(),
                action: action.into(),
                target: run.service.to_string(),
                detail: Some(format!("run {}: {reason}", run.id)),
                service: None,
                decision: None,
            };
            if self.store.finish_template_run(run.id, &outcome, &audit).await?.is_some() {
                tracing::warn!(run = run.id, service = %run.service, "a golden-path run's process stopped; ended as failed");
                ended += 1;
            }
        }
        Ok(ended)
    }
}
