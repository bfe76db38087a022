//! `paved deploy SERVICE --version V`: check, queue, run and follow a
//! deploy — on the local database with this process as the runner, or on
//! a server (`--server URL --token T`) whose runners run it.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use paved_app::deploy::DeployRequest;
use paved_app::{App, Caller};
use paved_server::api::deploys::{DeployResponse, DeployWithLog, deploy_with_log, respond};

use super::client::{self, Target};
use crate::config::Config;
use crate::exit::BadInput;
use crate::output::{Format, OutputArgs, outln, print_json};

/// Arguments of `paved deploy SERVICE`.
#[derive(Debug, Args)]
pub struct StartCmd {
    /// The service (a Component's name).
    service: Option<String>,
    /// The environment.
    #[arg(long, default_value = "production")]
    environment: String,
    /// What to deploy: a commit (full or abbreviated), a tag, or a version
    /// the steps understand.
    #[arg(long)]
    version: Option<String>,
    /// The incident this deploy fixes (an open incident of it does not block).
    #[arg(long, value_name = "INCIDENT")]
    fixes: Option<String>,
    /// Evaluate the checks only; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// As the on-call person during an open incident, deploy past a deny
    /// window or an incident block (needs --reason; audited, and shown).
    #[arg(long, requires = "reason")]
    break_glass: bool,
    /// Why the glass is broken.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// The person a team token (or the local CLI) deploys for: a catalog
    /// User, a login or an e-mail. A personal token always deploys as its
    /// person.
    #[arg(long)]
    actor: Option<String>,
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

pub async fn run(cmd: StartCmd, config: Config) -> anyhow::Result<ExitCode> {
    let (Some(service), Some(version)) = (cmd.service.clone(), cmd.version.clone()) else {
        return Err(BadInput(
            "name the service to deploy and its --version (paved deploy SERVICE --version V), or use `paved deploy \
             check` / `paved deploy record`; see paved deploy --help"
                .into(),
        )
        .into());
    };
    let request = DeployRequest {
        service,
        environment: Some(cmd.environment.clone()),
        version,
        fixes: cmd.fixes.clone(),
        break_glass: cmd.break_glass.then(|| cmd.reason.clone().unwrap_or_default()),
        actor: cmd.actor.clone(),
        at: None,
    };
    let format = cmd.output.format;
    if config.server.trim().is_empty() {
        run_locally(&config, &request, cmd.dry_run, format).await
    } else {
        run_remotely(&config, &request, cmd.dry_run, format).await
    }
}

async fn run_locally(
    config: &Config,
    request: &DeployRequest,
    dry_run: bool,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let (store, _) = client::local_store(config).await?;
    let app = App::new(store, config.ingest_settings()).with_deploy_defaults(config.deploy_defaults()?);
    let outcome = app.deploy(&Caller::Local, request, dry_run).await?;
    let (status, response) = respond(outcome);
    let Some(id) = show_checks(&response.0, format)? else {
        return Ok(exit_of_checks(status.as_u16(), &response.0));
    };
    // This process is the runner until the deploy (and its rollback) end.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner_app = app.clone();
    let runner = tokio::spawn(async move {
        let settings = paved_runner::worker::RunnerSettings::new(Vec::new());
        let source = paved_runner::worker::AppSource { app: runner_app, caller: Caller::Local };
        let mut stopped = stopped;
        paved_runner::worker::run_forever(&source, &settings, async move {
            let _ = stopped.changed().await;
        })
        .await;
    });
    let result = follow(id, format, |id, after| {
        let app = app.clone();
        async move { deploy_with_log(&app, id, after).await.map_err(anyhow::Error::from) }
    })
    .await;
    let _ = stop.send(true);
    let _ = runner.await;
    result
}

async fn run_remotely(
    config: &Config,
    request: &DeployRequest,
    dry_run: bool,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let base = config.server.trim_end_matches('/').to_owned();
    let token = config.token.trim().to_owned();
    if token.is_empty() {
        return Err(BadInput(format!(
            "--server {base} needs a token: give --token (or PAVED_TOKEN); create one with `paved token create`"
        ))
        .into());
    }
    let client = reqwest::Client::new();
    let body = serde_json::json!({
        "environment": request.environment,
        "version": request.version,
        "fixes": request.fixes,
        "dry_run": dry_run,
        "break_glass": request.break_glass,
        "actor": request.actor,
    });
    let service = url::form_urlencoded::byte_serialize(request.service.as_bytes()).collect::<String>();
    let response = client
        .post(format!("{base}/api/v1/services/{service}/deploys"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("sending the deploy to {base}"))?;
    let status = response.status().as_u16();
    let text = response.text().await.with_context(|| format!("reading the answer of {base}"))?;
    let Ok(answer) = serde_json::from_str::<DeployResponse>(&text) else {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|body| body.pointer("/error/message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or(text);
        let message = format!("{base} answered {status}: {message}");
        return Err(if (400..500).contains(&status) { BadInput(message).into() } else { anyhow::anyhow!(message) });
    };
    let Some(id) = show_checks(&answer, format)? else { return Ok(exit_of_checks(status, &answer)) };
    follow(id, format, |id, after| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let response = client
                .get(format!("{base}/api/v1/deploys/{id}?after={after}"))
                .bearer_auth(&token)
                .send()
                .await
                .with_context(|| format!("following deploy {id} on {base}"))?;
            let response = response.error_for_status().with_context(|| format!("following deploy {id} on {base}"))?;
            Ok(response.json::<DeployWithLog>().await?)
        }
    })
    .await
}

/// Prints the checks; the id of the queued deploy, when one was.
fn show_checks(answer: &DeployResponse, format: Format) -> anyhow::Result<Option<i64>> {
    match format {
        Format::Json => {
            if answer.deploy.is_none() {
                print_json(answer)?;
            }
        }
        Format::Text => {
            for check in &answer.checks {
                let mark = crate::colour::mark(if check.passed { "pass" } else { "FAIL" }, 4);
                outln!("{mark}  {:<14} {}", check.check, check.reason);
            }
            if let Some(refused) = &answer.refused {
                eprintln!("{refused}");
            } else if answer.dry_run {
                outln!(
                    "a deploy {} (dry run: nothing was queued)",
                    if answer.allowed { "may start" } else { "is refused" }
                );
            }
        }
    }
    Ok(answer.deploy.as_ref().map(|deploy| deploy.id))
}

fn exit_of_checks(status: u16, answer: &DeployResponse) -> ExitCode {
    if answer.allowed && status < 400 { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

/// Prints deploy `id`'s log as it grows, then its rollback's, until they
/// end; exit 0 when the deploy succeeded, 1 otherwise.
async fn follow<F, Fut>(mut id: i64, format: Format, read: F) -> anyhow::Result<ExitCode>
where
    F: Fn(i64, i64) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<DeployWithLog>>,
{
    let mut after = 0;
    let mut first: Option<DeployWithLog> = None;
    loop {
        let read_now = read(id, after).await?;
        for line in &read_now.log {
            after = line.seq;
            if format == Format::Text {
                let stream = if line.stream == "system" { "»" } else { " " };
                outln!("{stream} {}", line.line);
            }
        }
        if read_now.done {
            if format == Format::Text {
                let deploy = &read_now.deploy;
                outln!(
                    "deploy {} of {} {} to {}: {}{}",
                    deploy.id,
                    deploy.service,
                    deploy.version,
                    deploy.environment,
                    deploy.state,
                    deploy.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
                );
            }
            let rollback = read_now.rolled_back_by;
            if first.is_none() {
                first = Some(read_now);
            } else if format == Format::Json {
                print_json(&read_now)?;
            }
            match rollback {
                Some(next) if next != id => {
                    if format == Format::Text {
                        outln!("rolling back: deploy {next}");
                    }
                    id = next;
                    after = 0;
                    continue;
                }
                _ => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let first = first.context("the deploy was never read")?;
    if format == Format::Json {
        print_json(&first)?;
    }
    Ok(if first.deploy.state == "succeeded" { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
