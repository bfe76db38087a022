//! Recording deployments and incidents from the CLI: on the local database
//! (through the same checks and derivation as the API), or on a server with
//! `--server URL --token T`.

use anyhow::Context;
use chrono::{SubsecRound, Utc};
use clap::Args;
use paved_app::{App, Caller, RecordAction};
use paved_domain::{CatalogIndex, Record};
use paved_store::{DatabaseLocation, DynStore};

use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;

/// Where a recording command sends its record.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Record on this pavedroad server (e.g. https://paved.acme.example)
    /// instead of the local database. Env: PAVED_SERVER.
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// The API token to send to --server (`paved token create`); to deploy
    /// and record deployments, a CI job's OIDC ID token works too when the
    /// server trusts its issuer (`[[ci_identity]]`). Env: PAVED_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
}

impl Target {
    /// These flags on top of the global ones.
    pub fn overrides(&self, mut flags: FlagOverrides) -> FlagOverrides {
        flags.server.clone_from(&self.server);
        flags.token.clone_from(&self.token);
        flags
    }
}

/// Opens the local store and reads its catalog. A SQLite file that does
/// not exist is an error naming it (exit 2), never created: these
/// commands read what an import or a server stored.
pub async fn local_store(config: &Config) -> anyhow::Result<(DynStore, CatalogIndex)> {
    let location = DatabaseLocation::parse(&config.database_url)?;
    if let DatabaseLocation::Sqlite(path) = &location
        && !path.exists()
    {
        return Err(BadInput(format!(
            "no database at {}: nothing was imported here yet; import a catalog (paved catalog import DIR) or \
             history (paved import git PATH), point --database-url (PAVED_DATABASE_URL) at your database, or ask a \
             server with --server",
            path.display()
        ))
        .into());
    }
    local_store_or_create(location).await
}

/// Opens the local store, creating a SQLite file on first use (for
/// commands that set a database up, such as `paved token create`).
pub async fn local_store_or_create(location: DatabaseLocation) -> anyhow::Result<(DynStore, CatalogIndex)> {
    let store = paved_store::connect(&location).await.with_context(|| format!("opening {location}"))?;
    let catalog = CatalogIndex::new(&store.catalog_entities().await?);
    Ok((store, catalog))
}

/// What a recording did: the record as stored, and whether it was new.
pub struct Recorded {
    pub record: Record,
    pub new: bool,
}

/// Records `body` as `action`, locally or on `config.server`.
///
/// # Errors
/// [`BadInput`] (exit 2) for a request the checks refuse (a 4xx); any other
/// error (exit 1) when the database or the server fails.
pub async fn record(config: &Config, action: RecordAction, body: serde_json::Value) -> anyhow::Result<Recorded> {
    let body = serde_json::to_vec(&body)?;
    if config.server.trim().is_empty() {
        return record_locally(config, action, body).await;
    }
    record_remotely(config, &action, body).await
}

async fn record_locally(config: &Config, action: RecordAction, body: Vec<u8>) -> anyhow::Result<Recorded> {
    let location = DatabaseLocation::parse(&config.database_url)?;
    let store = paved_store::connect(&location).await.with_context(|| format!("opening {location}"))?;
    let app = App::new(store, config.ingest_settings());
    // A refusal by the checks is the user's input (exit 2), a failure of
    // the database is not (exit 1): `exit::report` reads the error's kind.
    let recorded = app.record(&Caller::Local, action, body, Utc::now().trunc_subsecs(6)).await?;
    Ok(Recorded { record: recorded.record, new: recorded.new })
}

async fn record_remotely(config: &Config, action: &RecordAction, body: Vec<u8>) -> anyhow::Result<Recorded> {
    let base = config.server.trim_end_matches('/');
    let path = match action {
        RecordAction::RecordDeployment => "/api/v1/deployments".to_owned(),
        RecordAction::OpenIncident => "/api/v1/incidents".to_owned(),
        RecordAction::AcknowledgeIncident(id) => format!("/api/v1/incidents/{}/acknowledge", encode(id)),
        RecordAction::ResolveIncident(id) => format!("/api/v1/incidents/{}/resolve", encode(id)),
        RecordAction::RecordShift => "/api/v1/shifts".to_owned(),
    };
    if config.token.trim().is_empty() {
        return Err(BadInput(format!(
            "--server {base} needs a token: give --token (or PAVED_TOKEN); create one with `paved token create`"
        ))
        .into());
    }
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(config.token.trim())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .with_context(|| format!("sending to {base}"))?;
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
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{base} answered {status} with something not JSON"))?;
    let record = match action {
        RecordAction::RecordDeployment => Record::Deployment(serde_json::from_value(value)?),
        RecordAction::RecordShift => Record::Shift(serde_json::from_value(value)?),
        _ => Record::Incident(serde_json::from_value(value)?),
    };
    Ok(Recorded { record, new: status == reqwest::StatusCode::CREATED })
}

/// Percent-encodes an id for a path segment.
fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>().replace('+', "%20")
}
