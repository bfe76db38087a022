//! The runner loop: claim a deploy, run its steps and health check in a
//! fresh working directory, stream the log, keep the claim alive with
//! heartbeats, and report the end. The same loop runs embedded in `paved
//! serve` (on the [`App`] directly, [`AppSource`]) and as `paved runner`
//! elsewhere (over the HTTP API, a [`JobSource`] of the binary's).
//!
//! When a heartbeat says the deploy is no longer this runner's (it was
//! marked interrupted), the steps are dropped, which kills their process
//! groups, and nothing is reported.

use std::time::Duration;

use async_trait::async_trait;
use paved_app::deploy::{ClaimedJob, JobReport};
use paved_app::{App, Caller};
use paved_store::LogStream as StoredStream;
use tokio::sync::mpsc;

use crate::{LogLine, LogStream, StepContext, check_health, run_step};

/// Where a runner gets deploys and reports on them.
#[async_trait]
pub trait JobSource: Send + Sync {
    /// The oldest queued deploy this runner may run, now claimed by it.
    async fn claim(&self, runner: &str, labels: &[String]) -> Result<Option<ClaimedJob>, String>;
    /// Still working on deploy `id`; `false` when it is no longer this
    /// runner's.
    async fn heartbeat(&self, id: i64, runner: &str) -> Result<bool, String>;
    /// Lines of deploy `id`'s log.
    async fn log(&self, id: i64, lines: Vec<(StoredStream, String)>) -> Result<(), String>;
    /// Deploy `id` ended.
    async fn finish(&self, id: i64, runner: &str, report: &JobReport) -> Result<(), String>;
    /// Waits at most `longest` for a deploy to be queued; by default it
    /// simply waits (polling).
    async fn wait_for_work(&self, longest: Duration) {
        tokio::time::sleep(longest).await;
    }
}

/// The application itself as a job source: the embedded runner of `paved
/// serve`, and `paved deploy` on the local database.
#[derive(Debug, Clone)]
pub struct AppSource {
    /// The application.
    pub app: App,
    /// Who the runner acts as (the local CLI, or the server itself).
    pub caller: Caller,
}

#[async_trait]
impl JobSource for AppSource {
    async fn claim(&self, runner: &str, labels: &[String]) -> Result<Option<ClaimedJob>, String> {
        self.app.claim_deploy(&self.caller, runner, labels).await.map_err(|e| e.to_string())
    }

    async fn heartbeat(&self, id: i64, runner: &str) -> Result<bool, String> {
        self.app.deploy_heartbeat(&self.caller, id, runner).await.map_err(|e| e.to_string())
    }

    async fn log(&self, id: i64, lines: Vec<(StoredStream, String)>) -> Result<(), String> {
        self.app.append_deploy_log(&self.caller, id, lines).await.map_err(|e| e.to_string())
    }

    async fn finish(&self, id: i64, runner: &str, report: &JobReport) -> Result<(), String> {
        self.app.finish_deploy(&self.caller, id, runner, report).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// Wakes as soon as this process queues a deploy: the embedded runner
    /// starts it without waiting for its next poll.
    async fn wait_for_work(&self, longest: Duration) {
        let _ = tokio::time::timeout(longest, self.app.deploy_queued()).await;
    }
}

/// How a runner works.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Its name, unique among runners (`hostname:pid:uuid` by default).
    pub name: String,
    /// The labels of the targets it may run (`--label prod`).
    pub labels: Vec<String>,
    /// How often it says it still works on a deploy.
    pub heartbeat: Duration,
    /// How often it asks for a deploy when there is none.
    pub poll: Duration,
}

impl RunnerSettings {
    /// A runner named after this host and process, with `labels`.
    pub fn new(labels: Vec<String>) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "runner".to_owned());
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            name: format!("{host}:{}:{}", std::process::id(), &id[..8]),
            labels,
            heartbeat: Duration::from_secs(2),
            poll: Duration::from_millis(500),
        }
    }
}

/// Claims and runs deploys until `shutdown` resolves (a deploy in flight
/// is then dropped, and its claim runs out).
pub async fn run_forever(
    source: &dyn JobSource,
    settings: &RunnerSettings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    loop {
        let claimed = tokio::select! {
            claimed = source.claim(&settings.name, &settings.labels) => claimed,
            () = &mut shutdown => return,
        };
        match claimed {
            Ok(Some(job)) => {
                tokio::select! {
                    _ = run_job(source, settings, job) => {}
                    () = &mut shutdown => return,
                }
            }
            Ok(None) => {
                tokio::select! {
                    () = source.wait_for_work(settings.poll) => {}
                    () = &mut shutdown => return,
                }
            }
            Err(error) => {
                tracing::warn!(%error, "the runner could not ask for a deploy; trying again");
                tokio::select! {
                    () = tokio::time::sleep(settings.poll * 4) => {}
                    () = &mut shutdown => return,
                }
            }
        }
    }
}

/// Runs one claimed deploy to its end and reports it; `None` when the
/// deploy was taken from this runner (interrupted) before it ended.
pub async fn run_job(source: &dyn JobSource, settings: &RunnerSettings, job: ClaimedJob) -> Option<JobReport> {
    let id = job.id;
    tracing::info!(deploy = id, service = %job.service, version = %job.version, "running a deploy");
    let (sender, mut receiver) = mpsc::unbounded_channel::<LogLine>();
    let steps = async {
        let workdir = match tempfile::Builder::new().prefix(&format!("paved-deploy-{id}-")).tempdir() {
            Ok(dir) => dir,
            Err(error) => return JobReport { succeeded: false, error: Some(format!("no working directory: {error}")) },
        };
        let ctx = StepContext {
            service: job.service.clone(),
            environment: job.environment.clone(),
            version: job.version.clone(),
            sha: job.sha.clone(),
            deployment_id: id.to_string(),
            actor: job.actor.clone(),
            workdir: workdir.path().to_path_buf(),
        };
        let _ = sender.send(LogLine {
            stream: LogStream::System,
            text: format!(
                "deploy {id}: {} {} to {} on runner {}",
                job.service, job.version, job.environment, settings.name
            ),
        });
        for step in &job.plan.steps {
            if let Err(error) = run_step(step, &ctx, &sender).await {
                return JobReport { succeeded: false, error: Some(error.to_string()) };
            }
        }
        if let Some(health) = &job.plan.health
            && let Err(error) = check_health(health, &sender).await
        {
            let text = error.to_string();
            let _ = sender.send(LogLine { stream: LogStream::System, text: text.clone() });
            return JobReport { succeeded: false, error: Some(text) };
        }
        let _ = sender.send(LogLine { stream: LogStream::System, text: "deploy succeeded".into() });
        JobReport { succeeded: true, error: None }
    };
    tokio::pin!(steps);
    let mut heartbeat = tokio::time::interval(settings.heartbeat);
    heartbeat.tick().await;
    let mut flush = tokio::time::interval(Duration::from_millis(200));
    let mut pending: Vec<(StoredStream, String)> = Vec::new();
    let report = loop {
        tokio::select! {
            report = &mut steps => break Some(report),
            Some(line) = receiver.recv() => pending.push((stored(line.stream), line.text)),
            _ = flush.tick() => {
                if !pending.is_empty() && let Err(error) = source.log(id, std::mem::take(&mut pending)).await {
                    tracing::warn!(deploy = id, %error, "a deploy's log lines could not be stored");
                }
            }
            _ = heartbeat.tick() => match source.heartbeat(id, &settings.name).await {
                Ok(true) => {}
                Ok(false) => break None,
                Err(error) => tracing::warn!(deploy = id, %error, "a heartbeat failed; the deploy goes on"),
            },
        }
    };
    while let Ok(line) = receiver.try_recv() {
        pending.push((stored(line.stream), line.text));
    }
    if !pending.is_empty()
        && let Err(error) = source.log(id, pending).await
    {
        tracing::warn!(deploy = id, %error, "a deploy's last log lines could not be stored");
    }
    let Some(report) = report else {
        tracing::warn!(deploy = id, "the deploy was taken from this runner (interrupted); its steps were stopped");
        return None;
    };
    // The end must reach the server: a lost report leaves the deploy to be
    // marked interrupted.
    for attempt in 1..=5u32 {
        match source.finish(id, &settings.name, &report).await {
            Ok(()) => break,
            Err(error) => {
                tracing::warn!(deploy = id, attempt, %error, "reporting a deploy's end failed");
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
        }
    }
    tracing::info!(deploy = id, succeeded = report.succeeded, "a deploy ended");
    Some(report)
}

fn stored(stream: LogStream) -> StoredStream {
    match stream {
        LogStream::Stdout => StoredStream::Stdout,
        LogStream::Stderr => StoredStream::Stderr,
        LogStream::System => StoredStream::System,
    }
}
