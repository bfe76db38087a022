//! Heartbeats (DESIGN §7 On call): monitoring the team that owns a service
//! sets up itself. A `kind: Heartbeat` names a Component and an interval;
//! the service (or its cron job) beats it with its team's token; a beat
//! later than the interval plus the grace opens an incident for the
//! service, which pages like any alert, and the next beat resolves it.

use chrono::{DateTime, Utc};
use paved_domain::{EntityRef, Heartbeat};
use paved_store::HeartbeatState;
use serde::Serialize;
use serde_json::json;

use crate::record::RecordAction;
use crate::{App, AppError, Caller};

/// A beat, as answered.
#[derive(Debug, Clone, Serialize)]
pub struct Beat {
    /// The Heartbeat's reference.
    pub heartbeat: String,
    /// The Component it watches.
    pub service: String,
    /// When it was received.
    pub at: DateTime<Utc>,
    /// When it counts as missed unless it beats again.
    pub next_deadline: DateTime<Utc>,
    /// The incident this beat resolved (the heartbeat was missed).
    pub resolved_incident: Option<String>,
}

/// A heartbeat and where it stands, for listing.
#[derive(Debug, Clone, Serialize)]
pub struct HeartbeatView {
    /// The Heartbeat's reference.
    pub heartbeat: String,
    /// The Component it watches.
    pub service: String,
    /// Its interval and grace, in seconds.
    pub interval_secs: u64,
    /// See `interval_secs`.
    pub grace_secs: u64,
    /// What the store holds: last beat, missed, incident.
    pub state: Option<HeartbeatState>,
}

/// The incident a miss opens: one per heartbeat and last beat, so that
/// replicas noticing the same miss open the same incident.
fn incident_id(heartbeat: &Heartbeat, last_beat_at: DateTime<Utc>) -> String {
    format!("heartbeat-{}-{}", heartbeat.entity_ref.name(), last_beat_at.timestamp())
}

impl App {
    /// Records a beat of the Heartbeat `name` by `caller` (its service's
    /// team token, an owner, an admin or the CLI); resolves the incident a
    /// miss opened.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a Heartbeat the catalog does not have;
    /// [`AppError::Forbidden`] for a caller who may not act on its
    /// service; a store failure.
    pub async fn beat(&self, caller: &Caller, name: &str) -> Result<Beat, AppError> {
        let catalog = self.catalog.current().await?;
        let reference = EntityRef::parse(name, Some("heartbeat"), paved_domain::DEFAULT_NAMESPACE)
            .map_err(|error| AppError::Invalid(format!("heartbeat `{name}`: {error}")))?;
        let heartbeat = catalog.heartbeat(&reference).ok_or_else(|| {
            AppError::NotFound(format!(
                "no Heartbeat {reference} in the catalog; declare it (kind: Heartbeat, with component and interval) \
                 and import the catalog"
            ))
        })?;
        caller.may_act_on(&catalog, &heartbeat.component)?;
        let at = crate::deploy::runs::storable(Utc::now());
        let before = self.store.beat(&reference.to_string(), at).await?;
        let mut resolved_incident = None;
        if let Some(key) = before.and_then(|state| state.incident_key) {
            let body = json!({ "by": "paved" }).to_string().into_bytes();
            match self.record(&Caller::Local, RecordAction::ResolveIncident(key.clone()), body, Utc::now()).await {
                Ok(_) => resolved_incident = Some(key),
                Err(error) => tracing::warn!(incident = %key, %error, "resolving a heartbeat's incident failed"),
            }
        }
        let deadline = chrono::Duration::from_std(heartbeat.deadline()).unwrap_or(chrono::Duration::MAX);
        Ok(Beat {
            heartbeat: reference.to_string(),
            service: heartbeat.component.to_string(),
            at,
            next_deadline: at + deadline,
            resolved_incident,
        })
    }

    /// Opens an incident for every Heartbeat whose last beat (or, never
    /// beaten, whose first sighting) is older than its interval plus
    /// grace, once per miss across replicas (the incident's id is made of
    /// the heartbeat and its last beat). The incidents opened.
    ///
    /// # Errors
    /// A store failure.
    pub async fn check_heartbeats(&self) -> Result<Vec<String>, AppError> {
        let catalog = self.catalog.current().await?;
        let declared = catalog.heartbeats();
        if declared.is_empty() {
            return Ok(Vec::new());
        }
        let now = crate::deploy::runs::storable(Utc::now());
        let mut states = self.store.heartbeats().await?;
        let unwatched: Vec<String> = declared
            .iter()
            .map(|h| h.entity_ref.to_string())
            .filter(|name| !states.iter().any(|s| s.name == *name))
            .collect();
        if !unwatched.is_empty() {
            self.store.watch_heartbeats(&unwatched, now).await?;
            states = self.store.heartbeats().await?;
        }
        let mut opened = Vec::new();
        for heartbeat in declared {
            let name = heartbeat.entity_ref.to_string();
            let Some(state) = states.iter().find(|s| s.name == name) else { continue };
            let deadline = chrono::Duration::from_std(heartbeat.deadline()).unwrap_or(chrono::Duration::MAX);
            if state.missed_at.is_some() || state.last_beat_at + deadline > now {
                continue;
            }
            let id = incident_id(heartbeat, state.last_beat_at);
            let title = if state.beats == 0 {
                format!("Heartbeat {} never beat", heartbeat.entity_ref.name())
            } else {
                format!(
                    "Heartbeat {} missed: no beat since {}",
                    heartbeat.entity_ref.name(),
                    state.last_beat_at.format("%Y-%m-%d %H:%M UTC")
                )
            };
            let body = json!({
                "id": id,
                "service": heartbeat.component.to_string(),
                "severity": heartbeat.severity,
                "title": title,
                "opened_at": now.to_rfc3339(),
            })
            .to_string()
            .into_bytes();
            let recorded = self.record(&Caller::Local, RecordAction::OpenIncident, body, now).await?;
            let key = recorded.record.key().to_owned();
            if self.store.mark_heartbeat_missed(&name, state.last_beat_at, &key, now).await? {
                tracing::warn!(heartbeat = %name, incident = %key, "a heartbeat was missed; its incident pages");
                opened.push(key);
            }
        }
        Ok(opened)
    }

    /// Every Heartbeat of the catalog with where it stands.
    ///
    /// # Errors
    /// A store failure.
    pub async fn heartbeat_views(&self) -> Result<Vec<HeartbeatView>, AppError> {
        let catalog = self.catalog.current().await?;
        let states = self.store.heartbeats().await?;
        Ok(catalog
            .heartbeats()
            .into_iter()
            .map(|h| {
                let name = h.entity_ref.to_string();
                HeartbeatView {
                    state: states.iter().find(|s| s.name == name).cloned(),
                    heartbeat: name,
                    service: h.component.to_string(),
                    interval_secs: h.interval.as_secs(),
                    grace_secs: h.grace.as_secs(),
                }
            })
            .collect())
    }
}
