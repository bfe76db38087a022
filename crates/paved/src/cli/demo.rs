//! `paved demo`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use paved_app::Caller;
use paved_app::tokens::TokenRequest;
use paved_catalog::CatalogLoad;
use paved_demo::road::Road;
use paved_demo::{Importer, MonthShare, Options, Plan, Timings};
use paved_domain::RepoId;
use paved_ingest::git::GitRepo;
use paved_server::Application;
use paved_store::{DatabaseLocation, DynStore, OrphanPolicy};
use serde::Serialize;

use crate::config::{Config, DEFAULT_DATABASE, FlagOverrides};
use crate::exit::BadInput;
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// How long the demo's runner may go silent before its deploy counts as
/// interrupted (as `paved serve --runner-lease`).
const RUNNER_LEASE: std::time::Duration = std::time::Duration::from_secs(30);
/// Exit code after Ctrl-C, as shells expect (128 + SIGINT).
const INTERRUPTED: u8 = 130;
/// The file that marks a directory as `paved demo`'s, so that `--out` may
/// overwrite it next time.
const MARKER: &str = ".paved-demo";
/// What `paved demo` writes in its directory, and deletes before writing
/// it again.
const GENERATED: [&str; 13] = [
    "catalog",
    "repos",
    "deploy",
    "paved.db",
    "paved.db-wal",
    "paved.db-shm",
    "plan.json",
    "pages",
    "mail",
    "infra",
    "templates",
    "scorecards",
    "new-repos",
];

/// Generate a realistic demo organisation and serve it.
///
/// Writes the catalog of a made-up company (about 5 teams, 25 people and 15
/// services), six months of git history in real repositories, and the pull
/// requests, deployments, incidents, pages and on-call shifts of those
/// months, then records all of it through pavedroad's own paths (catalog
/// import, git import, webhooks and the API) in an embedded SQLite
/// database, and serves it like `paved serve`.
///
/// What it plants: a two-person platform ("DevOps") team that deploys most
/// of three product teams' services at first and hands over month by
/// month; a team that deploys its own code and is on call for it; one
/// platform engineer who gets most of the night pages; a service whose
/// owning team has no members; a pipeline only the platform team touches;
/// incidents caused by deployments, rollbacks and hotfixes.
///
/// Deterministic: the same --seed and --end give the same files and the
/// same commit ids. Nothing is written to ./paved.db: without --out
/// everything lives in a temporary directory removed on exit.
///
/// Examples:
///   paved demo                              serve it on http://127.0.0.1:7700/
///   paved demo --out demo --no-serve        keep the files, then explore them:
///   paved report --database-url demo/paved.db
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// Address to listen on; port 0 picks a free port. Default
    /// 127.0.0.1:7700. Env: PAVED_LISTEN.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,

    /// The seed of everything generated: names, history, incidents.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// Keep the catalog (DIR/catalog), the git repositories (DIR/repos) and
    /// the database (DIR/paved.db) here. DIR must be new, empty, or an
    /// earlier `paved demo --out` (whose files are replaced).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Copies of the organisation (for benchmarks): N times the teams,
    /// people and services, their names suffixed -2, -3, ...
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: u32,

    /// The end of the data, a date (UTC midnight); it covers the six months
    /// before. Default: today. Give it to get the same data on another day.
    #[arg(long, value_name = "DATE")]
    end: Option<String>,

    /// Generate, print what was generated, and exit without serving.
    #[arg(long)]
    no_serve: bool,

    #[command(flatten)]
    output: OutputArgs,
}

impl Cmd {
    /// This command's flags on top of the global ones.
    pub fn overrides(&self, mut flags: FlagOverrides) -> FlagOverrides {
        flags.listen.clone_from(&self.listen);
        flags
    }
}

/// What `--format json` prints: the plan, and where and how fast.
#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    directory: String,
    database: String,
    kept: bool,
    timings: &'a Timings,
    /// The paved road set up for deploying (only when serving).
    #[serde(skip_serializing_if = "Option::is_none")]
    road: Option<&'a DemoRoad>,
}

/// The demo's deploy targets and the token to deploy with.
#[derive(Serialize)]
struct DemoRoad {
    #[serde(flatten)]
    road: Road,
    /// A personal token of `road.person`, valid for a day.
    token: String,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let end = match cmd.end.as_deref() {
        Some(text) => parse_end(text)?,
        None => today(),
    };
    if !cmd.no_serve {
        super::serve::check_listen(&config.listen)?;
    }
    if config.database_url != DEFAULT_DATABASE {
        eprintln!(
            "note: paved demo keeps its data in its own directory; --database-url (PAVED_DATABASE_URL) is not used"
        );
    }
    // Declared first, dropped last: the directory outlives the database and
    // the server that use it.
    let (temporary, directory) = match &cmd.out {
        Some(out) => {
            prepare_out(out, "paved demo", MARKER, &GENERATED)?;
            (None, out.clone())
        }
        None => {
            let temporary = tempfile::Builder::new()
                .prefix("paved-demo-")
                .tempdir()
                .context("creating a temporary directory for the demo")?;
            let path = temporary.path().to_path_buf();
            (Some(temporary), path)
        }
    };
    std::fs::write(directory.join(MARKER), "Written by `paved demo`; `paved demo --out` may replace this directory.\n")
        .with_context(|| format!("writing {}", directory.join(MARKER).display()))?;
    let database = directory.join("paved.db");
    let location = DatabaseLocation::Sqlite(database.clone());
    let store = paved_store::connect(&location).await.with_context(|| format!("opening {location}"))?;
    let options = Options { seed: cmd.seed, end, scale: cmd.scale as usize, directory: directory.clone() };
    // Ctrl-C while generating stops cleanly, so that the temporary
    // directory is removed.
    let settings = config.ingest_settings();
    let (plan, timings) = tokio::select! {
        generated = paved_demo::generate(&options, &store, &settings, &CommandImporter) => generated?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted");
            return Ok(ExitCode::from(INTERRUPTED));
        }
    };
    let plan_file = directory.join("plan.json");
    std::fs::write(&plan_file, serde_json::to_string_pretty(&plan)? + "\n")
        .with_context(|| format!("writing {}", plan_file.display()))?;
    if cmd.no_serve {
        print(&cmd, &plan, &timings, &directory, &database, temporary.is_none(), None)?;
        return Ok(ExitCode::SUCCESS);
    }

    // The paved road: deploy targets whose steps run here, a health server
    // for them, and a personal token of a member of their team.
    let mut settings = config.server_settings()?;
    let (servers, offered) = provision_servers(&mut settings).await?;
    // Golden paths publish new services' repositories beside the demo's.
    if settings.scaffold.repositories.is_empty() {
        settings.scaffold.repositories = std::path::absolute(directory.join("new-repos"))?.display().to_string();
    }
    let new_repos = settings.scaffold.repositories.clone();
    let gold = gold_services(&store, &config).await?;
    let (road, health) = paved_demo::road::prepare(&directory, &plan, &store, &CommandImporter, servers, &gold).await?;
    // The demo's people are paged through webhooks to its own receiver,
    // signed like any generic webhook page, and by e-mail, written to
    // files unless the configuration names an SMTP server.
    if settings.notify.webhook_secret.is_none() {
        settings.notify.webhook_secret = paved_notify::Secret::new("paved-demo");
    }
    let mail_to_files = settings.notify.smtp.is_none();
    if mail_to_files {
        let mail = std::path::absolute(&road.mail)?;
        let url = url::Url::from_directory_path(&mail)
            .map_err(|()| anyhow::anyhow!("{} is not a directory path", mail.display()))?;
        settings.notify.smtp = Some(paved_notify::SmtpSettings::parse(url.as_str(), &config.smtp_from)?);
    }
    let app = Application::build(&config.listen, store, settings).await?;
    let token = app
        .app()
        .create_token(
            &Caller::Local,
            &TokenRequest {
                name: Some("paved demo".to_owned()),
                team: None,
                user: Some(road.person.clone()),
                expires: Some("1d".to_owned()),
            },
        )
        .await?
        .token;
    let demo_road = DemoRoad { road, token };
    print(&cmd, &plan, &timings, &directory, &database, temporary.is_none(), Some(&demo_road))?;
    let address = app.address();
    let removed = if temporary.is_some() { " and removes it" } else { "" };
    let DemoRoad { road, token } = &demo_road;
    let serving = format!(
        "\nServing the demo on http://{address}/  (Ctrl-C stops{removed})\n  curl http://{address}/api/v1/report\n  \
         curl http://{address}/api/v1/teams/{platform}\n\
         Deploy on the paved road as {person} (team {team}): sign in at http://{address}/sign-in with the token\n  \
         {token}\n\
         then press Deploy on http://{address}/services/{service} ; {failing}'s health check fails on any new \
         version, so its deploy rolls back. From the terminal:\n  \
         curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\\n    \
         -d '{{\"version\": \"{version}\"}}' http://{address}/api/v1/services/{service}/deploys",
        platform = plan.platform_team,
        person = road.person,
        team = road.team,
        service = road.service,
        failing = road.failing_service,
        version = road.versions.get(1).or(road.versions.first()).map_or("v2", String::as_str),
    );
    // Under --format json, stdout stays one JSON document. A closed stdout
    // (`paved demo | head`) must not stop the server: write errors are
    // ignored here.
    match cmd.output.format {
        Format::Json => eprintln!("{serving}"),
        Format::Text => {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{serving}");
            let _ = stdout.flush();
        }
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    super::serve::spawn_deploy_work(app.app(), RUNNER_LEASE, true, stopped.clone());
    super::serve::spawn_pager(&app, stopped.clone())?;
    super::serve::spawn_drift_check(app.app(), stopped);
    let incident = open_demo_incident(&app.app(), road).await?;
    let bucket = provision_demo_bucket(&app.app(), road, token).await?;
    let started = start_demo_service(&app.app(), road, token, address).await;
    let scored = score_demo(&app.app(), plan.end, address).await?;
    let friday = friday_checks(&app.app(), road, token, address).await?;
    let paging = format!(
        "An incident pages {team}'s on-call person now and escalates to the whole team a minute later unless \
         acknowledged:\n  http://{address}/incidents/{incident}\n  (the pages land in {pages}{mail}, each with \
         its acknowledge link)",
        team = road.team,
        pages = road.pages.display(),
        mail = if mail_to_files { format!(" and, as e-mails, in {}", road.mail.display()) } else { String::new() },
    );
    let provisioning = format!(
        "{offered}\n{person} asked for an object-bucket for {service}: its Terraform call is on branch {branch} of \
         {infra}. Ask for more from the service page, or:\n  \
         curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\\n    \
         -d '{{\"module\": \"{module}\"}}' http://{address}/api/v1/services/{service}/resources",
        person = road.person,
        service = road.service,
        branch = bucket,
        infra = road.infra.display(),
        module = if servers.postgres { "postgres-database" } else { "object-bucket\", \"name\": \"archive" },
    );
    let golden = format!(
        "{started}\nStart another service on a golden path (python-service, rust-service) as {person}; its \
         repository is made in {new_repos}:\n  \
         curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\\n    \
         -d '{{\"parameters\": {{\"name\": \"invoices\", \"owner\": \"{team}\"}}}}' \
         http://{address}/api/v1/templates/python-service/runs",
        person = road.person,
        team = road.team,
    );
    let paging = format!("{paging}\n{provisioning}\n{golden}\n{scored}\n{friday}");
    match cmd.output.format {
        Format::Json => eprintln!("{paging}"),
        Format::Text => {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{paging}");
            let _ = stdout.flush();
        }
    }
    let health = tokio::spawn(health.serve());
    tracing::info!(address = %address, "listening on http://{address}");
    app.run_until_stopped(paved_server::shutdown_signal()).await?;
    let _ = stop.send(true);
    health.abort();
    drop(temporary);
    Ok(ExitCode::SUCCESS)
}

/// What the demo prints: under `--format json` one document, else the
/// summary.
fn print(
    cmd: &Cmd,
    plan: &Plan,
    timings: &Timings,
    directory: &Path,
    database: &Path,
    kept: bool,
    road: Option<&DemoRoad>,
) -> anyhow::Result<()> {
    match cmd.output.format {
        Format::Json => print_json(&Output {
            plan,
            directory: directory.display().to_string(),
            database: database.display().to_string(),
            kept,
            timings,
            road,
        }),
        Format::Text => print_summary(plan, timings, directory, kept),
    }
}

/// Opens an incident on the road's service, as an alert would, so that a
/// new user sees it page and escalate. Its key.
async fn open_demo_incident(app: &paved_app::App, road: &Road) -> anyhow::Result<String> {
    let body = serde_json::json!({
        "id": "demo-latency",
        "service": road.service,
        "severity": "SEV-2",
        "title": format!("{} answers slowly: p99 latency above its objective", road.service),
    });
    let recorded = app
        .record(
            &Caller::Local,
            paved_app::RecordAction::OpenIncident,
            body.to_string().into_bytes(),
            chrono::Utc::now(),
        )
        .await?;
    Ok(recorded.record.key().to_owned())
}

/// The servers the demo's Modules run on: those the configuration names
/// (`[provision.servers.demo-postgres]`, `demo-redis`), else PostgreSQL
/// and Redis on this machine's standard ports, each offered only when it
/// answers; and a secret key for what they make, generated unless the
/// configuration has one (the demo's secrets live as long as it does).
/// Which answered, and a sentence saying what is offered.
async fn provision_servers(
    settings: &mut paved_server::ServerSettings,
) -> anyhow::Result<(paved_demo::modules::Servers, String)> {
    use paved_app::provision::ServerUrl;
    use paved_demo::modules::{POSTGRES_SERVER, REDIS_SERVER};
    if settings.secret_key.is_none() {
        settings.secret_key = Some(paved_app::secrets::SecretKey::generate()?);
    }
    let mut servers = paved_demo::modules::Servers::default();
    let mut said = vec![
        "The platform offers self-service provisioning: object-bucket (Terraform, into the demo's own \
                         infrastructure repository)"
            .to_owned(),
    ];
    for (name, default, what) in [
        (POSTGRES_SERVER, "postgres://postgres@127.0.0.1:5432/postgres", "postgres-database"),
        (REDIS_SERVER, "redis://127.0.0.1:6379", "redis-namespace"),
    ] {
        let url = settings.provision.servers.get(name).cloned().unwrap_or_else(|| ServerUrl(default.to_owned()));
        match url.answers(std::time::Duration::from_secs(2)).await {
            Ok(()) => {
                said.push(format!("{what} (on {})", url.shown()));
                settings.provision.servers.insert(name.to_owned(), url);
                servers.postgres |= name == POSTGRES_SERVER;
                servers.redis |= name == REDIS_SERVER;
            }
            Err(error) => said.push(format!(
                "not {what}: {error} (skipped; name a server with [provision.servers.{name}] url = \"...\")"
            )),
        }
    }
    Ok((servers, format!("{}.", said.join("; "))))
}

/// Asks for an object bucket for the road's service, as the road's person
/// would, so that a new user sees a resource on the service page and in
/// the report. The branch its call was pushed to.
async fn provision_demo_bucket(app: &paved_app::App, road: &Road, token: &str) -> anyhow::Result<String> {
    let caller = paved_app::tokens::authenticate(&app.store, token).await?;
    let request = paved_app::provision::ProvisionRequest {
        module: "object-bucket".to_owned(),
        service: road.service.clone(),
        name: None,
        set: Vec::new(),
    };
    let made = app.provision(&caller, &request).await?;
    Ok(made.outputs.get("branch").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned())
}

/// Scores every service on the shipped scorecard at the end of each of the
/// last six months of the demo's data (ending at `end`, `--end`) and now
/// (what the server's daily evaluation keeps, and deploys read), so that a
/// new user finds levels that differ and a history with its changes. A
/// sentence saying where they stand now.
async fn score_demo(app: &paved_app::App, end: DateTime<Utc>, address: std::net::SocketAddr) -> anyhow::Result<String> {
    let now = Utc::now();
    let end = end.min(now);
    let scope = paved_app::scorecards::ScoreScope::default();
    for months_back in (1..=5).rev() {
        app.scorecards(&scope, end - chrono::Duration::days(30 * months_back)).await?;
    }
    if end.date_naive() != now.date_naive() {
        app.scorecards(&scope, end).await?;
    }
    let latest = app.scorecards(&scope, now).await?;
    let said: Vec<String> = latest
        .iter()
        .map(|card| {
            let spread: Vec<String> = card
                .distribution
                .iter()
                .map(|d| format!("{} {}", d.services, d.level.as_deref().unwrap_or("below bronze")))
                .collect();
            format!("{}: {}", card.title, spread.join(", "))
        })
        .collect();
    Ok(format!(
        "Scorecards, from behaviour and configuration ({}), scored each month back to half a year ago:\n  \
         http://{address}/scorecards",
        said.join("; ")
    ))
}

/// The services gold on the shipped readiness scorecard now (what the
/// server's daily evaluation keeps and deploys read), scored before the
/// road is laid so that only a gold service of the road gets the Friday
/// deny window its level lifts.
async fn gold_services(store: &DynStore, config: &Config) -> anyhow::Result<Vec<String>> {
    let app = paved_app::App::new(store.clone(), config.ingest_settings());
    let results = app.scorecards(&paved_app::scorecards::ScoreScope::default(), Utc::now()).await?;
    Ok(results
        .iter()
        .filter(|card| card.scorecard.name() == "readiness")
        .flat_map(|card| &card.services)
        .filter(|score| score.level.as_deref() == Some("gold"))
        .map(|score| score.service.name().to_owned())
        .collect())
}

/// Earned autonomy, shown: the demo's Friday targets deny deploys on
/// Friday afternoons unless the service is gold on readiness; each one's
/// checks as of the next Friday at 15:00 UTC (today's, before then), a
/// gold service's and a lower one's, with what each said.
async fn friday_checks(
    app: &paved_app::App,
    road: &Road,
    token: &str,
    address: std::net::SocketAddr,
) -> anyhow::Result<String> {
    use chrono::{Datelike as _, TimeZone as _};
    let now = Utc::now();
    let days_ahead = (i64::from(chrono::Weekday::Fri.num_days_from_monday())
        - i64::from(now.weekday().num_days_from_monday()))
    .rem_euclid(7);
    let day = now.date_naive() + chrono::Duration::days(days_ahead);
    let mut friday = Utc.from_utc_datetime(&day.and_hms_opt(15, 0, 0).unwrap_or_default());
    if friday < now {
        friday += chrono::Duration::days(7);
    }
    let version = road.versions.first().cloned().unwrap_or_else(|| "v2".to_owned());
    let mut said = Vec::new();
    for service in [&road.friday_gold, &road.friday_service].into_iter().flatten() {
        let request = paved_app::deploy::DeployRequest {
            service: service.clone(),
            version: version.clone(),
            at: Some(friday),
            ..paved_app::deploy::DeployRequest::default()
        };
        let checked = app.deploy_check(&Caller::Local, &request).await?;
        let window = checked.outcomes.iter().find(|o| o.check == paved_app::deploy::CheckKind::DenyWindow);
        said.push(format!(
            "  {service}: {} ({})",
            if checked.allowed { "may deploy" } else { "refused" },
            window.map_or("no deny window", |o| o.reason.as_str()),
        ));
    }
    let Some(lower) = &road.friday_service else {
        return Ok(
            "Earned autonomy: every service of the demo's handover teams is gold; no Friday refusal to show.".into()
        );
    };
    Ok(format!(
        "Earned autonomy: the demo's Friday targets deny deploys on {window} unless the service is gold on \
         readiness. Checked as of {friday}:\n{said}\nAsk the same for any moment:\n  \
         curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\\n    \
         -d '{{\"version\": \"{version}\", \"dry_run\": true, \"at\": \"{at}\"}}' \
         http://{address}/api/v1/services/{lower}/deploys",
        window = paved_demo::road::FRIDAY_WINDOW,
        friday = friday.format("%A %Y-%m-%d %H:%M UTC"),
        said = said.join("\n"),
        at = friday.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ))
}

/// Starts `ledger` on the Python golden path as the road's person, so
/// that a new user finds a service made on the paved road (its run, its
/// repository, its drift on the services, team and overview pages). A
/// sentence saying what was done, or why not: the demo goes on either
/// way (a kept demo directory already has the repository).
async fn start_demo_service(app: &paved_app::App, road: &Road, token: &str, address: std::net::SocketAddr) -> String {
    let request = paved_app::scaffold::NewService {
        template: "python-service".to_owned(),
        set: vec![("name".to_owned(), "ledger".to_owned()), ("owner".to_owned(), road.team.clone())],
        dry_run: false,
    };
    let made = async {
        let caller = paved_app::tokens::authenticate(&app.store, token).await?;
        anyhow::Ok(app.scaffold(&caller, &request).await?)
    };
    match made.await {
        Ok(made) => format!(
            "{person} started ledger on the golden path python-service (run {run}): its first commit, catalog entry \
             and deploy target are made:\n  http://{address}/templates/runs/{run}\n  http://{address}/services/ledger",
            person = road.person,
            run = made.run.unwrap_or_default(),
        ),
        Err(error) => {
            tracing::warn!(%error, "the demo's golden-path service was not started");
            format!("ledger was not started on a golden path: {error}")
        }
    }
}

/// How `paved demo` and `paved synth` import what they generate: with the
/// code of `paved catalog import` and `paved import git` itself.
pub(super) struct CommandImporter;

impl Importer for CommandImporter {
    fn load_catalog(&self, paths: &[PathBuf]) -> anyhow::Result<CatalogLoad> {
        super::catalog::load_valid(paths)
    }

    async fn import_catalog(&self, store: &DynStore, paths: &[PathBuf], load: &CatalogLoad) -> anyhow::Result<()> {
        super::catalog::import(store, paths, load, OrphanPolicy::Mark).await?;
        Ok(())
    }

    async fn import_git(&self, store: &DynStore, repository: GitRepo, identity: RepoId) -> anyhow::Result<Option<u64>> {
        // Every reference, and no progress bar per repository (as under
        // --format json).
        let summary = super::import::import_one(store, repository, identity, &[], Format::Json, None).await?;
        Ok(summary.map(|summary| summary.commits_total))
    }
}

/// Midnight UTC of `YYYY-MM-DD`.
pub(super) fn parse_end(text: &str) -> anyhow::Result<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|error| BadInput(format!("--end `{text}` is not a date ({error}); write e.g. 2026-11-01")))?;
    Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

pub(super) fn today() -> DateTime<Utc> {
    Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Makes `out` ready for `command` (`paved demo`, `paved synth`): created if
/// new; emptied of the `generated` files of an earlier run (recognised by its
/// `marker` file); refused (exit 2) if it holds anything else, so that a typo
/// never overwrites someone's files.
pub(super) fn prepare_out(out: &Path, command: &str, marker: &str, generated: &[&str]) -> anyhow::Result<()> {
    if !out.exists() {
        return std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()));
    }
    if !out.is_dir() {
        return Err(BadInput(format!("--out {} is a file; give a new or empty directory", out.display())).into());
    }
    let mut entries = std::fs::read_dir(out).with_context(|| format!("reading {}", out.display()))?;
    if entries.next().is_none() {
        return Ok(());
    }
    if !out.join(marker).is_file() {
        return Err(BadInput(format!(
            "--out {} is not empty and was not written by `{command}` (it has no {marker} file); \
             give a new or empty directory, so that nothing of yours is overwritten",
            out.display()
        ))
        .into());
    }
    for name in generated {
        let path = out.join(name);
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        match removed {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("removing {} of an earlier `{command}`", path.display()));
            }
        }
    }
    Ok(())
}

fn print_summary(plan: &Plan, timings: &Timings, directory: &Path, kept: bool) -> anyhow::Result<()> {
    let counts = &plan.counts;
    outln!(
        "Generated a demo organisation (seed {}, {} to {}) in {:.1} s",
        plan.seed,
        plan.start.format("%Y-%m-%d"),
        plan.end.format("%Y-%m-%d"),
        timings.total_ms as f64 / 1000.0
    );
    outln!(
        "  {} teams, {} people, {} services, {} repositories",
        counts.teams,
        counts.people,
        counts.services,
        counts.repositories
    );
    outln!(
        "  {} commits, {} pull requests, {} deployments ({} rollbacks, {} hotfixes), {} incidents, {} pages",
        counts.commits,
        counts.pull_requests,
        counts.deployments,
        counts.rollbacks,
        counts.hotfixes,
        counts.incidents,
        counts.pages
    );
    let handover: Vec<&str> = plan.handover_teams.iter().map(|team| team.team.as_str()).collect();
    let (first, last) = (plan.months.first(), plan.months.last());
    let share = |month: Option<&MonthShare>| {
        month.and_then(|m| m.handover_owner_share).map_or_else(|| "-".to_owned(), |s| format!("{:.0}%", s * 100.0))
    };
    outln!("What to look for:");
    outln!(
        "  - platform team `{}` ({}) deploys for {};",
        plan.platform_team,
        plan.platform_members.join(", "),
        handover.join(", ")
    );
    outln!(
        "    those teams make {} of their own production deployments in {}, {} in {}",
        share(first),
        first.map_or("", |m| m.month.as_str()),
        share(last),
        last.map_or("", |m| m.month.as_str()),
    );
    outln!("  - `{}` deploys its own code and is on call for it", plan.healthy_team);
    outln!(
        "  - {} gets most pages between 22:00 and 07:00 ({} of them)",
        plan.after_hours_person,
        plan.after_hours_pages.first().map_or(0, |p| p.count)
    );
    outln!(
        "  - {} is owned by `{}`, a team with no members; only the platform team touches {}'s pipeline",
        plan.unowned_service,
        plan.unowned_service_owner,
        plan.platform_pipeline_service
    );
    outln!(
        "Files: {}{}",
        directory.display(),
        if kept { " (plan.json says what was planted)" } else { " (removed on exit; keep them with --out DIR)" }
    );
    outln!(
        "Took: catalog {} ms, git repositories {} ms, git import {} ms, events {} ms",
        timings.catalog_ms,
        timings.git_write_ms,
        timings.git_import_ms,
        timings.events_ms
    );
    Ok(())
}
