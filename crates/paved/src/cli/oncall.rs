//! `paved oncall` (who is on call now, until when, who is next) and `paved
//! oncall override` (make, list and delete overrides): on the local
//! database, or on a server with `--server URL --token T`.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use paved_app::oncall::{OnCallScope, OverrideRequest};
use paved_app::{App, Caller};
use paved_server::api::oncall::{OnCallView, OverrideBody, OverrideView};
use paved_server::api::shifts::ShiftView;
use serde::de::DeserializeOwned;

use super::client::{self, Target};
use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;
use crate::output::{Format, OutputArgs, outln, print_json};

/// Who is on call now (or at a time), until when, and who is next; and
/// overrides of on-call Schedules.
///
/// Per Schedule (and per layer of it: a primary, a secondary), `paved oncall`
/// prints who is on call, since and until when, and who takes over at the
/// next hand-off. Overrides count: for the hours one covers, its person is
/// on call instead of the rotation. Give one of --team (the Schedules the
/// team owns and those of its services), --service (its `paved.dev/oncall`
/// Schedule) or --schedule; none: every Schedule.
///
/// Times (--at, and --from/--to of an override) are RFC 3339
/// (2026-07-10T18:00:00Z) or a local time in the Schedule's own time zone
/// (2026-07-10 18:00, as its descriptor's `spec.timezone` says). Printed
/// times are UTC.
///
/// Only the people of the team that owns a Schedule (members of its Group
/// or of a Group below it), that team's tokens, admin tokens and the CLI
/// on the local database may override it or delete an override.
///
/// Reads the local database, or with --server a pavedroad server (reads
/// need no token; overrides need one: `paved token create --user NAME`).
///
/// Examples:
///   paved oncall
///   paved oncall --team checkout
///   paved oncall --service checkout-api --at "2026-07-10 18:00"
///   paved oncall --schedule checkout-oncall --format json
///   paved oncall override --schedule checkout-oncall --user ana.souza \
///       --from "2026-07-10 18:00" --to "2026-07-11 09:00" --reason "covering for lena"
///   paved oncall override list --schedule checkout-oncall
///   paved oncall override delete 3 --server https://paved.acme.example --token "$PAVED_TOKEN"
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true, verbatim_doc_comment)]
pub struct Cmd {
    #[command(subcommand)]
    sub: Option<Sub>,
    #[command(flatten)]
    now: NowCmd,
}

/// What `paved oncall` does besides saying who is on call.
#[derive(Debug, Subcommand)]
enum Sub {
    /// Override an on-call Schedule: for these hours, this person is on
    /// call instead of the rotation; or list and delete overrides.
    ///
    /// `paved oncall override --schedule S --user U --from T --to T` makes
    /// one (at most 31 days long, ending after now); where it overlaps an
    /// earlier override, it wins. Times are RFC 3339 or a local time in
    /// the Schedule's time zone (2026-07-10 18:00). Only the Schedule's
    /// team (and admins) may; a refusal names who may. Exit 2 when it is
    /// refused or a value is wrong.
    ///
    /// Examples:
    ///   paved oncall override --schedule checkout-oncall --user ana.souza \
    ///       --from "2026-07-10 18:00" --to "2026-07-11 09:00" --reason "covering for lena"
    ///   paved oncall override --schedule checkout-oncall --user marco.rossi \
    ///       --from 2026-07-12T22:00:00Z --to 2026-07-13T06:00:00Z
    ///   paved oncall override list
    ///   paved oncall override list --schedule checkout-oncall --since 2026-07-01 --format json
    ///   paved oncall override delete 3
    #[command(verbatim_doc_comment)]
    Override(OverrideCmd),
    /// The contacts a person's pages go to: list them, add one, remove one.
    ///
    /// A person's catalog entry lists their contacts (`paved.dev/contacts`,
    /// else their profile e-mail); those added here are paged after them.
    /// A contact is `email:ADDRESS`, `slack:URL` (Slack, Mattermost,
    /// Rocket.Chat incoming webhooks) or `webhook:URL` (pavedroad's signed
    /// JSON). Added contacts are kept encrypted (`secret_key`,
    /// PAVED_SECRET_KEY, must be set) and shown redacted. Only the person
    /// themself (with their own token, or signed in) and admins may add or
    /// remove theirs.
    ///
    /// Examples:
    ///   paved oncall contact list --user ana.souza
    ///   paved oncall contact add --user ana.souza webhook:https://pager.example.com/paved \
    ///       --server https://paved.acme.example --token "$PAVED_TOKEN"
    ///   paved oncall contact remove --user ana.souza 2
    #[command(subcommand, verbatim_doc_comment)]
    Contact(super::oncall_contact::ContactSub),
}

/// Arguments of `paved oncall`.
#[derive(Debug, Args)]
struct NowCmd {
    /// A team: the Schedules it (or a team below it) owns, and those of its
    /// services.
    #[arg(long, conflicts_with_all = ["service", "schedule"])]
    team: Option<String>,
    /// A service: its Schedule (`paved.dev/oncall`).
    #[arg(long, conflicts_with = "schedule")]
    service: Option<String>,
    /// One Schedule.
    #[arg(long)]
    schedule: Option<String>,
    /// When: RFC 3339, or a local time in each Schedule's time zone
    /// (2026-07-10 18:00); default now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved oncall override`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct OverrideCmd {
    #[command(subcommand)]
    sub: Option<OverrideSub>,
    #[command(flatten)]
    create: CreateCmd,
}

/// What `paved oncall override` does besides making one.
#[derive(Debug, Subcommand)]
enum OverrideSub {
    /// List the overrides that have not ended (or end after --since), by
    /// start.
    List(ListCmd),
    /// Delete an override by its id (as `list` shows it): the rotation is
    /// on call for its hours again.
    Delete(DeleteCmd),
}

/// Arguments of `paved oncall override --schedule S ...`.
#[derive(Debug, Args)]
struct CreateCmd {
    /// The Schedule to override (`checkout-oncall`).
    #[arg(long)]
    schedule: Option<String>,
    /// Who takes the hours: a catalog User (`ana.souza`).
    #[arg(long)]
    user: Option<String>,
    /// From: RFC 3339, or a local time in the Schedule's time zone
    /// (2026-07-10 18:00).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Until, written like --from; at most 31 days after it.
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Why (shown on the team page and written to the audit log).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved oncall override list`.
#[derive(Debug, Args)]
struct ListCmd {
    /// Only this Schedule's.
    #[arg(long)]
    schedule: Option<String>,
    /// Only those that end after this (RFC 3339 or a date); default now.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved oncall override delete`.
#[derive(Debug, Args)]
struct DeleteCmd {
    /// The override's id.
    id: i64,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

impl Cmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        match &self.sub {
            None => self.now.target.overrides(flags),
            Some(Sub::Override(cmd)) => match &cmd.sub {
                None => cmd.create.target.overrides(flags),
                Some(OverrideSub::List(list)) => list.target.overrides(flags),
                Some(OverrideSub::Delete(delete)) => delete.target.overrides(flags),
            },
            Some(Sub::Contact(sub)) => sub.overrides(flags),
        }
    }
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    match cmd.sub {
        None => who_is_on_call(cmd.now, &config).await,
        Some(Sub::Override(over)) => match over.sub {
            None => create(over.create, &config).await,
            Some(OverrideSub::List(list)) => list_overrides(list, &config).await,
            Some(OverrideSub::Delete(delete)) => delete_override(delete, &config).await,
        },
        Some(Sub::Contact(sub)) => super::oncall_contact::run(sub, &config).await,
    }
}

/// Where the command runs: the local database, or a server.
pub(super) enum Where {
    Local(App),
    Server { base: String, token: String },
}

pub(super) async fn open(config: &Config) -> anyhow::Result<Where> {
    if config.server.trim().is_empty() {
        let (store, _) = client::local_store(config).await?;
        return Ok(Where::Local(
            App::new(store, config.ingest_settings())
                .with_secret_key(config.secret_key()?)
                .with_provision(config.provision_settings()?)
                .with_scaffold(config.scaffold_settings()),
        ));
    }
    Ok(Where::Server {
        base: config.server.trim().trim_end_matches('/').to_owned(),
        token: config.token.trim().to_owned(),
    })
}

/// `text` percent-encoded for a path segment or a query value.
pub(super) fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Sends `method path` (with `body` as JSON) to the server, with the token
/// when there is one; the answer's JSON as a `T`. A 4xx is bad input (exit
/// 2) with the server's message.
pub(super) async fn call<T: DeserializeOwned>(
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> anyhow::Result<T> {
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}"));
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.with_context(|| format!("sending to {base}"))?;
    let status = response.status();
    let text = response.text().await.with_context(|| format!("reading the answer of {base}"))?;
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|body| body.pointer("/error/message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or(text);
        let message = format!("{base} answered {status}: {message}");
        return Err(if status.is_client_error() { BadInput(message).into() } else { anyhow::anyhow!(message) });
    }
    serde_json::from_str(&text).with_context(|| format!("{base} answered {status} with something unexpected"))
}

/// One page of a list as the API answers every list.
#[derive(Debug, serde::Deserialize)]
pub(super) struct ItemsOf<T> {
    /// The items of the page.
    pub items: Vec<T>,
    /// Where the next page starts; none on the last.
    pub next_offset: Option<u64>,
}

/// Every item of a list the server answers page by page (`path` with or
/// without a query), following `next_offset` to the last page.
pub(super) async fn call_list<T: DeserializeOwned>(base: &str, token: &str, path: &str) -> anyhow::Result<Vec<T>> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut offset = 0;
    loop {
        let page: ItemsOf<T> =
            call(base, token, reqwest::Method::GET, &format!("{path}{separator}limit=1000&offset={offset}"), None)
                .await?;
        items.extend(page.items);
        match page.next_offset {
            Some(next) if next > offset => offset = next,
            _ => return Ok(items),
        }
    }
}

/// The token a write to `base` needs.
pub(super) fn token_for_writes<'t>(base: &str, token: &'t str) -> anyhow::Result<&'t str> {
    if token.is_empty() {
        return Err(BadInput(format!(
            "--server {base} needs a token for a change, which is done as the token's person: give --token (or PAVED_TOKEN); create a personal \
             one with `paved token create --user NAME`"
        ))
        .into());
    }
    Ok(token)
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// How a shift names its person: the catalog User's name, or the identity.
fn who(shift: &ShiftView) -> String {
    match (&shift.person, &shift.identity) {
        (Some(person), _) => person.name().to_owned(),
        (None, Some(identity)) => identity.to_string(),
        (None, None) => "unknown".to_owned(),
    }
}

async fn who_is_on_call(cmd: NowCmd, config: &Config) -> anyhow::Result<ExitCode> {
    let scope = match (&cmd.team, &cmd.service, &cmd.schedule) {
        (Some(team), _, _) => OnCallScope::Team(team.clone()),
        (_, Some(service), _) => OnCallScope::Service(service.clone()),
        (_, _, Some(schedule)) => OnCallScope::Schedule(schedule.clone()),
        _ => OnCallScope::All,
    };
    let answers: Vec<OnCallView> = match open(config).await? {
        Where::Local(app) => {
            app.who_is_on_call(&scope, cmd.at.as_deref()).await?.into_iter().map(OnCallView::from).collect()
        }
        Where::Server { base, token } => {
            let mut query = Vec::new();
            for (name, value) in
                [("team", &cmd.team), ("service", &cmd.service), ("schedule", &cmd.schedule), ("at", &cmd.at)]
            {
                if let Some(value) = value {
                    query.push(format!("{name}={}", encode(value)));
                }
            }
            let path = format!("/api/v1/oncall?{}", query.join("&"));
            call_list(&base, &token, &path).await?
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&answers)?;
        return Ok(ExitCode::SUCCESS);
    }
    if answers.is_empty() {
        let scope = match &scope {
            OnCallScope::All => "the catalog".to_owned(),
            OnCallScope::Team(team) => format!("team {team}"),
            OnCallScope::Service(service) => format!("service {service}"),
            OnCallScope::Schedule(schedule) => schedule.clone(),
        };
        outln!("no on-call Schedule covers {scope}; give its services one with the paved.dev/oncall annotation");
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 5]> = answers
        .iter()
        .map(|answer| {
            let mut schedule = answer.schedule.name().to_owned();
            if let Some(rotation) = answer.current.as_ref().and_then(|c| c.rotation.as_ref()) {
                schedule.push_str(&format!(" ({rotation})"));
            }
            let next = answer.next.as_ref().map_or_else(|| "nobody within 62 days".to_owned(), who);
            match &answer.current {
                Some(current) => {
                    let mut person = who(current);
                    if current.source == paved_server::api::shifts::ShiftSourceView::Override {
                        person.push_str(" (override)");
                    }
                    [schedule, person, utc(current.start), utc(current.end), next]
                }
                None => {
                    let until = answer.next.as_ref().map_or_else(|| "–".to_owned(), |n| utc(n.start));
                    [schedule, "nobody".to_owned(), "–".to_owned(), until, next]
                }
            }
        })
        .collect();
    table(&["SCHEDULE", "ON CALL", "SINCE", "UNTIL", "NEXT"], &rows)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints `rows` under `header`, in columns.
pub(super) fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> anyhow::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.trim_end().to_owned()
    };
    outln!("{}", line(header.to_vec()));
    for row in rows {
        outln!("{}", line(row.iter().map(String::as_str).collect()));
    }
    Ok(())
}

fn describe(over: &OverrideView) -> String {
    let mut text = format!(
        "{} is on call for {} from {} to {}",
        over.user.name(),
        over.schedule.name(),
        utc(over.start),
        utc(over.end)
    );
    if let Some(reason) = &over.reason {
        text.push_str(&format!(" ({reason})"));
    }
    text
}

async fn create(cmd: CreateCmd, config: &Config) -> anyhow::Result<ExitCode> {
    let (Some(schedule), Some(user), Some(from), Some(to)) = (cmd.schedule, cmd.user, cmd.from, cmd.to) else {
        return Err(BadInput(
            "an override needs --schedule, --user, --from and --to (paved oncall override --schedule checkout-oncall \
             --user ana.souza --from \"2026-07-10 18:00\" --to \"2026-07-11 09:00\"); or use `paved oncall override \
             list` / `delete ID`; see paved oncall override --help"
                .into(),
        )
        .into());
    };
    let made: OverrideView = match open(config).await? {
        Where::Local(app) => {
            let request = OverrideRequest { schedule, user, from, to, reason: cmd.reason };
            app.create_override(&Caller::Local, &request, Utc::now()).await?.into()
        }
        Where::Server { base, token } => {
            let token = token_for_writes(&base, &token)?;
            let body = serde_json::to_value(OverrideBody { user, from, to, reason: cmd.reason })?;
            let path = format!("/api/v1/schedules/{}/overrides", encode(&schedule));
            call(&base, token, reqwest::Method::POST, &path, Some(body)).await?
        }
    };
    match cmd.output.format {
        Format::Json => print_json(&made)?,
        Format::Text => outln!("override {}: {}", made.id, describe(&made)),
    }
    Ok(ExitCode::SUCCESS)
}

async fn list_overrides(cmd: ListCmd, config: &Config) -> anyhow::Result<ExitCode> {
    let found: Vec<OverrideView> = match open(config).await? {
        Where::Local(app) => {
            let since = cmd
                .since
                .as_deref()
                .map(|text| paved_metrics::parse_time("--since", text))
                .transpose()
                .map_err(BadInput)?
                .unwrap_or_else(Utc::now);
            app.overrides(cmd.schedule.as_deref(), since).await?.into_iter().map(OverrideView::from).collect()
        }
        Where::Server { base, token } => {
            let mut path = match &cmd.schedule {
                Some(schedule) => format!("/api/v1/schedules/{}/overrides", encode(schedule)),
                None => "/api/v1/overrides".to_owned(),
            };
            if let Some(since) = &cmd.since {
                path.push_str(&format!("?since={}", encode(since)));
            }
            call_list(&base, &token, &path).await?
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&found)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        outln!("no override is coming up: the rotations decide who is on call");
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 7]> = found
        .iter()
        .map(|over| {
            [
                over.id.to_string(),
                over.schedule.name().to_owned(),
                over.user.name().to_owned(),
                utc(over.start),
                utc(over.end),
                over.reason.clone().unwrap_or_else(|| "–".to_owned()),
                over.created_by.clone(),
            ]
        })
        .collect();
    table(&["ID", "SCHEDULE", "WHO", "FROM", "UNTIL", "WHY", "MADE BY"], &rows)?;
    Ok(ExitCode::SUCCESS)
}

async fn delete_override(cmd: DeleteCmd, config: &Config) -> anyhow::Result<ExitCode> {
    let deleted: OverrideView = match open(config).await? {
        Where::Local(app) => app.delete_override(&Caller::Local, cmd.id).await?.into(),
        Where::Server { base, token } => {
            let token = token_for_writes(&base, &token)?;
            call(&base, token, reqwest::Method::DELETE, &format!("/api/v1/overrides/{}", cmd.id), None).await?
        }
    };
    match cmd.output.format {
        Format::Json => print_json(&deleted)?,
        Format::Text => outln!("deleted override {}: {}", deleted.id, describe(&deleted)),
    }
    Ok(ExitCode::SUCCESS)
}
