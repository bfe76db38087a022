//! `paved runner`: the runner loop on another machine, pulling deploys from
//! a pavedroad server over its API.

use std::process::ExitCode;

use anyhow::Context;
use async_trait::async_trait;
use clap::Args;
use paved_app::deploy::{ClaimedJob, JobReport};
use paved_runner::worker::{JobSource, RunnerSettings};
use paved_server::api::deploys::{ClaimBody, HeartbeatView, RunnerLine, RunnerReport};
use paved_store::LogStream;

use super::client::Target;
use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;

/// Run deploys for a pavedroad server, where the deploy credentials are.
///
/// Pulls queued deploys from --server (with an admin token), runs their
/// steps and health checks here — with this machine's environment, so
/// credentials never reach the server — streams their logs back and reports
/// how they ended. With --label, also runs the deploys of targets whose
/// `spec.runner` names that label (a runner without labels runs only
/// unlabelled targets). Stops on SIGINT or SIGTERM; a deploy in flight is
/// then marked interrupted by the server once its lease runs out.
///
/// Example:
///   paved runner --server https://paved.acme.example --token "$PAVED_RUNNER_TOKEN" --label prod
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// A label of the targets this runner may run (repeatable).
    #[arg(long = "label", value_name = "LABEL")]
    labels: Vec<String>,
    #[command(flatten)]
    target: Target,
}

impl Cmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        self.target.overrides(flags)
    }
}

/// The server's API as a job source.
struct HttpSource {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl HttpSource {
    async fn post(&self, path: &str, body: &impl serde::Serialize) -> Result<reqwest::Response, String> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(|error| format!("{}: {error}", self.base))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Err(format!("{}{path} answered {status}: {text}", self.base))
    }
}

#[async_trait]
impl JobSource for HttpSource {
    async fn claim(&self, runner: &str, labels: &[String]) -> Result<Option<ClaimedJob>, String> {
        let body = ClaimBody { runner: runner.to_owned(), labels: labels.to_vec() };
        let response = self.post("/api/v1/runner/claim", &body).await?;
        if response.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        response
            .json::<ClaimedJob>()
            .await
            .map(Some)
            .map_err(|error| format!("a claimed deploy does not read: {error}"))
    }

    async fn heartbeat(&self, id: i64, runner: &str) -> Result<bool, String> {
        let body = RunnerReport { runner: runner.to_owned(), lines: Vec::new(), succeeded: None, error: None };
        let response = self.post(&format!("/api/v1/runner/deploys/{id}/heartbeat"), &body).await?;
        let view: HeartbeatView = response.json().await.map_err(|error| error.to_string())?;
        Ok(view.running)
    }

    async fn log(&self, id: i64, lines: Vec<(LogStream, String)>) -> Result<(), String> {
        let lines = lines.into_iter().map(|(stream, line)| RunnerLine { stream, line }).collect();
        let body = RunnerReport { runner: String::new(), lines, succeeded: None, error: None };
        self.post(&format!("/api/v1/runner/deploys/{id}/log"), &body).await.map(|_| ())
    }

    async fn finish(&self, id: i64, runner: &str, report: &JobReport) -> Result<(), String> {
        let body = RunnerReport {
            runner: runner.to_owned(),
            lines: Vec::new(),
            succeeded: Some(report.succeeded),
            error: report.error.clone(),
        };
        self.post(&format!("/api/v1/runner/deploys/{id}/finish"), &body).await.map(|_| ())
    }
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let base = config.server.trim().trim_end_matches('/').to_owned();
    if base.is_empty() {
        return Err(BadInput(
            "paved runner needs --server URL (or PAVED_SERVER): the server whose deploys it runs".into(),
        )
        .into());
    }
    let token = config.token.trim().to_owned();
    if token.is_empty() {
        return Err(BadInput(format!(
            "--server {base} needs an admin token: give --token (or PAVED_TOKEN); create one with `paved token create \
             --admin --name runner`"
        ))
        .into());
    }
    let client = reqwest::Client::builder().build().context("building the HTTP client")?;
    let source = HttpSource { client, base: base.clone(), token };
    let settings = RunnerSettings::new(cmd.labels);
    tracing::info!(runner = %settings.name, server = %base, labels = ?settings.labels, "running deploys");
    paved_runner::worker::run_forever(&source, &settings, paved_server::shutdown_signal()).await;
    Ok(ExitCode::SUCCESS)
}
