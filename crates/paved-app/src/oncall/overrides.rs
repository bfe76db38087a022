//! Overrides made at run time: "for these hours, this person is on call
//! instead" — made, listed and deleted by the CLI, the API and the team
//! page alike. Only who may act on the Schedule may make or delete one:
//! the members of its owning team (and of the teams below it), admin
//! tokens and the local CLI, by the same rule as deploys
//! ([`crate::Caller::may_act_on_schedule`]); the team-scoped permission an
//! on-call tool without teams lacks.

use chrono::{DateTime, Duration, Utc};
use paved_domain::{CatalogIndex, EntityRef};
use paved_store::{NewAudit, NewOverride, OverrideFilter, StoredOverride};

use super::schedule_named;
use crate::{App, AppError, Caller};

/// The longest override, in days: longer cover is a change of the
/// rotation, in the catalog.
pub const MAX_OVERRIDE_DAYS: i64 = 31;

/// The longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// What an override asks for, as a person gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverrideRequest {
    /// The Schedule, by name or reference.
    pub schedule: String,
    /// The catalog User who takes the hours, by name or reference.
    pub user: String,
    /// From: RFC 3339, or a local time in the Schedule's time zone
    /// (`2026-07-10 18:00`).
    pub from: String,
    /// Until, written like `from`.
    pub to: String,
    /// Why (optional; audited and shown).
    pub reason: Option<String>,
}

/// `over` with the Schedule as the catalog names it (the store keeps its
/// key, lower-cased).
fn as_named(catalog: &CatalogIndex, mut over: StoredOverride) -> StoredOverride {
    if let Some(schedule) = catalog.schedule(&over.schedule) {
        over.schedule = schedule.entity_ref.clone();
    }
    over
}

/// How an override reads in the audit log.
fn detail(over_person: &EntityRef, start: DateTime<Utc>, end: DateTime<Utc>, reason: Option<&str>) -> String {
    let time = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut text = format!("{over_person} on call from {} to {}", time(start), time(end));
    if let Some(reason) = reason {
        text.push_str(&format!(": {reason}"));
    }
    text
}

impl App {
    /// Makes an override of a Schedule by `caller` at `now`: checked, then
    /// stored with its audit entry (`oncall.override.create`).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a Schedule the catalog does not have;
    /// [`AppError::Forbidden`] when the caller may not act on it (saying
    /// who may); [`AppError::Invalid`] for a user who is not in the
    /// catalog, a malformed time, an end not after the start or before
    /// `now`, a span over [`MAX_OVERRIDE_DAYS`], a reason over
    /// [`MAX_REASON_CHARS`]; a store failure.
    pub async fn create_override(
        &self,
        caller: &Caller,
        request: &OverrideRequest,
        now: DateTime<Utc>,
    ) -> Result<StoredOverride, AppError> {
        let catalog = self.catalog.current().await?;
        let schedule = schedule_named(&catalog, &request.schedule)?;
        caller.may_act_on_schedule(&catalog, &schedule.entity_ref)?;
        let person = EntityRef::parse(&request.user, Some("user"), schedule.entity_ref.namespace())
            .ok()
            .and_then(|user| catalog.person(&user))
            .map(|info| info.entity_ref.clone())
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "no User `{}` in the catalog; name who takes the hours by their catalog name, e.g. lena.fischer",
                    request.user.trim()
                ))
            })?;
        let start = schedule.time("from", &request.from).map_err(AppError::Invalid)?;
        let end = schedule.time("to", &request.to).map_err(AppError::Invalid)?;
        let shown = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        if end <= start {
            return Err(AppError::Invalid(format!(
                "to ({}) is not after from ({}); an override covers the hours between them",
                shown(end),
                shown(start)
            )));
        }
        if end <= now {
            return Err(AppError::Invalid(format!(
                "the override ends ({}) before now ({}); an override changes who is on call from now on",
                shown(end),
                shown(now)
            )));
        }
        if end - start > Duration::days(MAX_OVERRIDE_DAYS) {
            return Err(AppError::Invalid(format!(
                "the override spans {} days; the most is {MAX_OVERRIDE_DAYS}: for longer cover change the rotation \
                 in the catalog",
                (end - start).num_days()
            )));
        }
        let reason = request.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
        if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            return Err(AppError::Invalid(format!("the reason is longer than {MAX_REASON_CHARS} characters")));
        }
        let new = NewOverride {
            schedule: schedule.entity_ref.clone(),
            person: person.clone(),
            start,
            end,
            reason: reason.clone(),
            created_by: caller.audit_name(),
        };
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: "oncall.override.create".to_owned(),
            target: String::new(),
            detail: Some(detail(&person, start, end, reason.as_deref())),
            service: None,
            decision: None,
        };
        let stored = self.store.create_override(&new, &audit).await?;
        Ok(as_named(&catalog, stored))
    }

    /// The overrides of a Schedule (by name or reference; every Schedule's
    /// when `None`) that end after `ending_after`, by start.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a Schedule the catalog does not have; a
    /// store failure.
    pub async fn overrides(
        &self,
        schedule: Option<&str>,
        ending_after: DateTime<Utc>,
    ) -> Result<Vec<StoredOverride>, AppError> {
        let catalog = self.catalog.current().await?;
        let schedules = match schedule {
            Some(name) => vec![schedule_named(&catalog, name)?.entity_ref.clone()],
            None => Vec::new(),
        };
        let filter = OverrideFilter { schedules, ends_after: Some(ending_after), starts_before: None };
        let mut found: Vec<StoredOverride> =
            self.store.overrides(&filter).await?.into_iter().map(|over| as_named(&catalog, over)).collect();
        found.sort_by(|a, b| a.start.cmp(&b.start).then(a.id.cmp(&b.id)));
        Ok(found)
    }

    /// Deletes override `id` by `caller`, with its audit entry
    /// (`oncall.override.delete`); returns it as it was.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when there is no such override;
    /// [`AppError::Forbidden`] when the caller may not act on its
    /// Schedule; a store failure.
    pub async fn delete_override(&self, caller: &Caller, id: i64) -> Result<StoredOverride, AppError> {
        let catalog = self.catalog.current().await?;
        let not_found = || AppError::NotFound(format!("no on-call override {id}"));
        let over = self.store.override_by_id(id).await?.ok_or_else(not_found)?;
        caller.may_act_on_schedule(&catalog, &over.schedule)?;
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: "oncall.override.delete".to_owned(),
            target: String::new(),
            detail: Some(detail(&over.person, over.start, over.end, over.reason.as_deref())),
            service: None,
            decision: None,
        };
        // Deleted meanwhile by someone else: as if it never was.
        let deleted = self.store.delete_override(id, &audit).await?.ok_or_else(not_found)?;
        Ok(as_named(&catalog, deleted))
    }
}
