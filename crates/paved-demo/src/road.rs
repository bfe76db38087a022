//! The paved road in the demo: deploy targets whose steps really run on
//! this machine, so that a new user can press Deploy and watch the checks,
//! the log, the health check and an automatic rollback.
//!
//! [`prepare`] picks two services of the team that deploys its own code,
//! writes a release script and a `DeployTarget` for each into the demo's
//! directory (the catalog is imported again with them), and binds a tiny
//! health server. The script "releases" a version by writing it to
//! `deploy/releases/<service>`; the health server answers `200` for a
//! service whose release file exists, except for the *failing* service,
//! which is healthy only on the version it ran when the demo started (its
//! last successful production deployment). A deploy of anything else to it
//! fails its health check and rolls back to that version.
//!
//! The targets name absolute paths and the health server's port, so they
//! are written only when the demo serves (never under `--no-serve`, whose
//! files stay the same for a seed).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use paved_domain::{DeploymentStatus, EntityRef, Record, RecordKind};
use paved_store::{DynStore, RecordFilter};
use serde::Serialize;
use tokio::net::TcpListener;

use crate::org::Org;
use crate::{Importer, Plan};

/// The environment the demo's targets deploy to.
const ENVIRONMENT: &str = "production";

/// What [`prepare`] set up, for the demo to print and serve.
#[derive(Debug, Clone, Serialize)]
pub struct Road {
    /// The service whose deploys succeed.
    pub service: String,
    /// The service whose health check fails on any new version, so that
    /// its deploys roll back.
    pub failing_service: String,
    /// The version `failing_service` runs and rolls back to (a sha), if it
    /// was ever deployed successfully.
    pub failing_good_version: Option<String>,
    /// Recent versions of `service` (shas of its successful production
    /// deployments, newest first), to deploy again.
    pub versions: Vec<String>,
    /// A service gold on the readiness scorecard whose target denies
    /// deploys on Friday afternoons except to a gold service: the window is
    /// lifted for it (earned autonomy). `service` when it is gold.
    pub friday_gold: Option<String>,
    /// A service of a team the platform team deployed for, not gold, with
    /// a target of its own that denies deploys on Friday afternoons except
    /// to a gold service: refused then.
    pub friday_service: Option<String>,
    /// The team owning `service` and `failing_service`, whose members may
    /// deploy them.
    pub team: String,
    /// A member of `team`, who deploys in the demo.
    pub person: String,
    /// The health server's address.
    pub health_address: SocketAddr,
    /// The EscalationPolicy of the team's services.
    pub escalation_policy: String,
    /// Where the pages the demo's people get by webhook are written, one
    /// JSON file each (their `paved.dev/contacts` lists a webhook to the
    /// demo's receiver).
    pub pages: PathBuf,
    /// Where the pages they get by e-mail are written, one `.eml` file each
    /// (their contacts list their e-mail too; the demo's `smtp_url` is
    /// `file://` this directory unless the configuration names a server).
    pub mail: PathBuf,
    /// The team's infrastructure repository (bare), where the Terraform
    /// Module's requests are pushed as branches.
    pub infra: PathBuf,
}

/// The demo's health endpoints, bound and ready to serve.
#[derive(Debug)]
pub struct HealthServer {
    listener: TcpListener,
    health: Arc<Health>,
}

/// What the health server answers from, and where it writes pages.
#[derive(Debug)]
struct Health {
    releases: PathBuf,
    /// Services healthy only on one version.
    pinned: HashMap<String, String>,
    /// Where pages received are written.
    pages: PathBuf,
    /// How many pages were received.
    received: std::sync::atomic::AtomicU64,
}

/// Writes the demo's release script and deploy targets under `directory`
/// (`gold`: the services gold on the readiness scorecard, for the Friday
/// targets),
/// imports the catalog again with them (as `paved catalog import` would),
/// and binds the health server on a free local port.
///
/// # Errors
/// When a file cannot be written, the catalog does not load, the store
/// fails, or no port can be bound.
pub async fn prepare(
    directory: &Path,
    plan: &Plan,
    store: &DynStore,
    importer: &impl Importer,
    servers: crate::modules::Servers,
    gold: &[String],
) -> anyhow::Result<(Road, HealthServer)> {
    let org = Org::build(plan.seed, plan.scale, plan.start);
    let team =
        org.teams.iter().position(|team| team.name == plan.healthy_team).context("the healthy team is in the org")?;
    let mut services: Vec<&str> =
        org.services.iter().filter(|service| service.team == team).map(|service| service.name.as_str()).collect();
    services.sort_unstable();
    let [service, failing_service, ..] = services[..] else {
        anyhow::bail!("the team {} owns fewer than two services", plan.healthy_team);
    };
    let person = plan.healthy_members.first().context("the healthy team has members")?.clone();
    // Earned autonomy: a gold service's target and a lower one's deny
    // Friday afternoons except to gold. Only a gold service of the road
    // gets the window, so the road's own deploys are never refused by it.
    let is_gold = |name: &str| gold.iter().any(|g| g == name);
    let friday_gold = [service, failing_service]
        .into_iter()
        .find(|name| is_gold(name))
        .or_else(|| gold.iter().map(String::as_str).find(|name| *name != service && *name != failing_service))
        .map(str::to_owned);
    let friday_service =
        plan.handover_teams.iter().flat_map(|team| &team.services).find(|name| !is_gold(name)).cloned();

    let listener = TcpListener::bind("127.0.0.1:0").await.context("binding the demo's health server")?;
    let health_address = listener.local_addr()?;

    let deploy = directory.join("deploy");
    let releases = deploy.join("releases");
    std::fs::create_dir_all(&releases).with_context(|| format!("creating {}", releases.display()))?;
    let script = deploy.join("release.sh");
    std::fs::write(&script, RELEASE_SCRIPT).with_context(|| format!("writing {}", script.display()))?;

    let versions = successful_versions(store, service).await?;
    let failing_good_version = successful_versions(store, failing_service).await?.into_iter().next();
    for (name, current) in [(service, versions.first()), (failing_service, failing_good_version.as_ref())] {
        if let Some(version) = current {
            let path = releases.join(name);
            std::fs::write(&path, format!("{version}\n")).with_context(|| format!("writing {}", path.display()))?;
        }
    }

    let catalog = directory.join("catalog");
    let pages = directory.join("pages");
    std::fs::create_dir_all(&pages).with_context(|| format!("creating {}", pages.display()))?;
    let mail = directory.join("mail");
    std::fs::create_dir_all(&mail).with_context(|| format!("creating {}", mail.display()))?;
    add_contacts(&catalog.join("teams").join(format!("{}.yaml", plan.healthy_team)), health_address)?;
    let schedule = org.teams[team].schedule.clone().context("the healthy team has an on-call schedule")?;
    let escalation_policy = format!("{}-escalation", plan.healthy_team);
    let targets = catalog.join("deploy-targets.yaml");
    let friday = |name: &str| friday_gold.as_deref() == Some(name) || friday_service.as_deref() == Some(name);
    let mut text = vec![
        target(
            service,
            &script,
            health_address,
            "Deploys succeed: the release script runs, then the health check passes.",
            friday(service),
        ),
        target(
            failing_service,
            &script,
            health_address,
            "Health fails on any new version, so a deploy rolls back to the last good one.",
            friday(failing_service),
        ),
        policy(&escalation_policy, &plan.healthy_team, &schedule),
    ];
    for other in [&friday_gold, &friday_service].into_iter().flatten() {
        if other != service && other != failing_service {
            let description = if is_gold(other) {
                "Deploys on Friday afternoons too: the service is gold on readiness."
            } else {
                "Refused on Friday afternoons until the service is gold on readiness."
            };
            text.push(target(other, &script, health_address, description, true));
        }
    }
    let text = text.join("---\n");
    std::fs::write(&targets, text).with_context(|| format!("writing {}", targets.display()))?;
    let infra = crate::modules::write(&catalog, directory, &plan.platform_team, &plan.healthy_team, servers)?;
    let mut paths = vec![catalog];
    paths.extend(crate::templates::write(directory)?);
    paths.extend(crate::scorecards::write(directory)?);
    let load = importer.load_catalog(&paths).context("the demo's deploy targets are invalid")?;
    importer.import_catalog(store, &paths, &load).await?;

    let pinned = failing_good_version.iter().map(|version| (failing_service.to_owned(), version.clone())).collect();
    let road = Road {
        service: service.to_owned(),
        failing_service: failing_service.to_owned(),
        failing_good_version,
        versions,
        friday_gold,
        friday_service,
        team: plan.healthy_team.clone(),
        person,
        health_address,
        escalation_policy,
        pages: pages.clone(),
        mail,
        infra,
    };
    let health = Health { releases, pinned, pages, received: std::sync::atomic::AtomicU64::new(0) };
    Ok((road, HealthServer { listener, health: Arc::new(health) }))
}

impl HealthServer {
    /// Serves `GET /healthz/<service>` and the demo people's webhook,
    /// `POST /pages/<person>`, until the future is dropped.
    ///
    /// # Errors
    /// When serving fails.
    pub async fn serve(self) -> anyhow::Result<()> {
        let routes = axum::Router::new()
            .route("/healthz/{service}", axum::routing::get(healthz))
            .route("/pages/{person}", axum::routing::post(page))
            .with_state(self.health);
        axum::serve(self.listener, routes).await.context("serving the demo's health endpoints")
    }
}

/// `200` when the service runs a healthy version, `503` otherwise, with a
/// line saying why.
async fn healthz(State(health): State<Arc<Health>>, UrlPath(service): UrlPath<String>) -> (StatusCode, String) {
    if service.contains(['/', '.']) {
        return (StatusCode::NOT_FOUND, format!("no service {service}\n"));
    }
    let current = match tokio::fs::read_to_string(health.releases.join(&service)).await {
        Ok(text) => text.trim().to_owned(),
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, format!("{service} has never been released\n")),
    };
    match health.pinned.get(&service) {
        Some(good) if *good != current => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{service} {current} fails its health check (only {good} is healthy in this demo)\n"),
        ),
        _ => (StatusCode::OK, format!("{service} {current} is healthy\n")),
    }
}

/// A page sent to a demo person's webhook contact: written to
/// `DIR/pages/<n>-<person>.json` with its delivery key and signature.
async fn page(
    State(health): State<Arc<Health>>,
    UrlPath(person): UrlPath<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    // A User's name (letters, digits, `-`, `_`, `.`), never a path.
    if person.is_empty()
        || person.starts_with('.')
        || !person.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return StatusCode::NOT_FOUND;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let n = health.received.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let file = health.pages.join(format!("{n:04}-{person}.json"));
    let written = serde_json::json!({
        "delivery": header("x-paved-delivery"),
        "signature": header("x-paved-signature-256"),
        "page": page,
    });
    match tokio::fs::write(&file, serde_json::to_vec_pretty(&written).unwrap_or_default()).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Gives each person of the team file at `path` two contacts: their first
/// e-mail address and a webhook on the demo's receiver (after their time
/// zone annotation).
fn add_contacts(path: &Path, receiver: SocketAddr) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = String::with_capacity(text.len() + 512);
    let (mut name, mut email) = (None, None);
    for line in text.lines() {
        if let Some(found) = line.strip_prefix("  name: ") {
            name = Some(found.trim().to_owned());
        }
        if let Some(found) = line.strip_prefix("    paved.dev/emails: ") {
            email = found.split(',').next().map(|first| first.trim().to_owned());
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with("    paved.dev/timezone: ")
            && let (Some(person), Some(email)) = (&name, &email)
        {
            out.push_str(&format!("    paved.dev/contacts: email:{email}, webhook:http://{receiver}/pages/{person}\n"));
        }
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// The team's EscalationPolicy: the person on call, then the whole team,
/// a minute apart, so that a new user sees it escalate.
fn policy(name: &str, team: &str, schedule: &str) -> String {
    format!(
        "apiVersion: paved.dev/v1alpha1\n\
         kind: EscalationPolicy\n\
         metadata:\n  name: {name}\n  description: \"The demo's escalation: on call first, then the whole team a minute later.\"\n\
         spec:\n  owner: {team}\n  steps:\n    \
         - notify: [schedule:{schedule}]\n      after: 1m\n    \
         - notify: [group:{team}]\n      after: 1m\n"
    )
}

/// Shas of the service's successful production deployments, newest first,
/// each once.
async fn successful_versions(store: &DynStore, service: &str) -> anyhow::Result<Vec<String>> {
    let mut filter = RecordFilter::new(RecordKind::Deployment);
    filter.services = vec![EntityRef::new("component", paved_domain::DEFAULT_NAMESPACE, service)?];
    filter.environment = Some(ENVIRONMENT.to_owned());
    let mut deployments: Vec<_> = store
        .all_records(&filter)
        .await?
        .into_iter()
        .filter_map(|record| match record {
            Record::Deployment(d) if d.status == DeploymentStatus::Success => {
                Some((d.finished_at.or(d.status_at)?, d.sha?))
            }
            _ => None,
        })
        .collect();
    deployments.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut versions: Vec<String> = Vec::new();
    for (_, sha) in deployments {
        if !versions.contains(&sha) {
            versions.push(sha);
        }
    }
    Ok(versions)
}

/// When the demo's targets deny deploys (Friday afternoons, UTC) and
/// the level that lifts it: earned autonomy.
pub const FRIDAY_WINDOW: &str = "Fridays 12:00-23:59 UTC";

/// One `DeployTarget` descriptor; with `friday`, deploys are denied on
/// Friday afternoons except for a service gold on the readiness scorecard.
fn target(service: &str, script: &Path, health: SocketAddr, description: &str, friday: bool) -> String {
    let friday = if friday {
        "    deny_windows: [ { days: [fri], from: \"12:00\", to: \"23:59\", timezone: UTC } ]\n    \
         when_level:\n      readiness/gold: { deny_windows: [] }\n"
    } else {
        ""
    };
    format!(
        "apiVersion: paved.dev/v1alpha1\n\
         kind: DeployTarget\n\
         metadata:\n  name: {service}-{ENVIRONMENT}\n  description: \"{description}\"\n\
         spec:\n  component: {service}\n  environment: {ENVIRONMENT}\n  steps:\n    \
         - name: release\n      run: sh '{script}' {service}\n      timeout: 1m\n  \
         health:\n    http: {{ url: \"http://{health}/healthz/{service}\", expect: 200, consecutive: 2, interval: 1s, timeout: 8s }}\n  \
         rollback: automatic\n  \
         policy:\n    checks_passed: false\n    block_on_open_incident: SEV-1\n{friday}",
        script = script.display(),
    )
}

/// The demo's release step: it "releases" a version by writing it where
/// the health server reads it, slowly enough to watch the log.
const RELEASE_SCRIPT: &str = r#"#!/bin/sh
# Written by `paved demo`: the `release` step of the demo's deploy targets.
# A real one would roll out a container image; this one writes the version
# where the demo's health endpoint reads it.
set -eu
service=$1
releases=$(dirname "$0")/releases
echo "releasing $service $PAVED_VERSION to $PAVED_ENVIRONMENT (deployment $PAVED_DEPLOYMENT_ID)"
sleep 1
echo "pulling the build of ${PAVED_SHA:-$PAVED_VERSION}"
sleep 1
printf '%s\n' "$PAVED_VERSION" > "$releases/$service.new"
mv "$releases/$service.new" "$releases/$service"
echo "$service now runs $PAVED_VERSION"
"#;
