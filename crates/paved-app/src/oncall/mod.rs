//! Who is on call: the catalog's Schedules resolved into shifts (rotations,
//! hand-offs across daylight saving, overrides), together with the shifts
//! recorded through the API for teams whose schedules live in another tool.
//!
//! - this file: the shifts of some Schedules over a span ([`shifts_between`],
//!   [`whole_shifts_between`]), with the overrides made at run time applied;
//! - [`now`]: who is on call at an instant, until when, and who is next;
//! - [`overrides`]: making, listing and deleting overrides, with the
//!   permission check;
//! - [`calendar`]: the shifts of the iCalendar feeds.
//!
//! Overrides win: for the hours one covers, its person is on call instead
//! of every rotation and every recorded shift of its Schedule, and where
//! two overlap the later one wins (the descriptor's first, then those made
//! at run time, in the order they were made). Everything that asks who is
//! on call goes through here, so it sees them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use paved_domain::{CatalogIndex, EntityRef, Identity, Override, Record, RecordKind, ShiftSource, uncovered};
use paved_store::{DynStore, OverrideFilter, RecordFilter, StoreError};

use crate::{App, AppError};

pub mod calendar;
pub mod now;
pub mod overrides;

pub use calendar::{Calendar, CalendarOf};
pub use now::{OnCallNow, OnCallScope};
pub use overrides::OverrideRequest;

/// The longest span [`App::shifts`] lists, in days (a year of daily
/// hand-offs is 366 shifts per schedule).
pub const MAX_SHIFT_WINDOW_DAYS: i64 = 366;

/// How far around a span the overrides that may cut its shifts are read:
/// a turn that overlaps the span may begin or end this long outside it.
const OVERRIDE_MARGIN: Duration = Duration::days(62);

/// One shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallShift {
    /// The Schedule.
    pub schedule: EntityRef,
    /// The catalog User on call, when known.
    pub person: Option<EntityRef>,
    /// The identity as recorded (recorded shifts only).
    pub identity: Option<Identity>,
    /// From.
    pub start: DateTime<Utc>,
    /// Until (exclusive).
    pub end: DateTime<Utc>,
    /// Where it comes from.
    pub source: ShiftSource,
    /// The rotation (layer) of a rotation's shift.
    pub rotation: Option<String>,
}

impl OnCallShift {
    /// Whether `other` names the same person.
    pub fn same_person(&self, other: &Self) -> bool {
        match (&self.person, &other.person) {
            (Some(a), Some(b)) => a.key() == b.key(),
            (None, None) => self.identity == other.identity,
            _ => false,
        }
    }

    /// How the person is named: the catalog User's name, else the identity
    /// as recorded.
    pub fn who(&self) -> String {
        match (&self.person, &self.identity) {
            (Some(person), _) => person.name().to_owned(),
            (None, Some(identity)) => identity.to_string(),
            (None, None) => "unknown".to_owned(),
        }
    }
}

/// Whether shifts are cut to the span asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clip {
    ToSpan,
    Whole,
}

/// The overrides made at run time of `schedules` (every Schedule when
/// empty) that may cut a shift overlapping `since` to `until`, each with
/// its Schedule, in the order they were made.
///
/// # Errors
/// When the store cannot be read.
pub async fn runtime_overrides(
    store: &DynStore,
    schedules: &[EntityRef],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<(EntityRef, Override)>, StoreError> {
    let filter = OverrideFilter {
        schedules: schedules.to_vec(),
        ends_after: Some(since - OVERRIDE_MARGIN),
        starts_before: Some(until + OVERRIDE_MARGIN),
    };
    Ok(store
        .overrides(&filter)
        .await?
        .into_iter()
        .map(|over| (over.schedule, Override { user: over.person, start: over.start, end: over.end }))
        .collect())
}

/// Every shift of `schedules` between `since` and `until`, cut to that
/// span, by start: the catalog's rotations and overrides, the overrides
/// made at run time, and the shifts recorded through the API that cover
/// any part of the span (however long before it they began).
///
/// # Errors
/// [`AppError::Store`] when the store cannot be read.
pub async fn shifts_between(
    store: &DynStore,
    catalog: &CatalogIndex,
    schedules: &[EntityRef],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<OnCallShift>, AppError> {
    shifts_in(store, catalog, schedules, since, until, Clip::ToSpan).await
}

/// Every shift of `schedules` that overlaps `since` to `until`, whole (not
/// cut to the span), by start: what a calendar shows, and "until when".
///
/// # Errors
/// [`AppError::Store`] when the store cannot be read.
pub async fn whole_shifts_between(
    store: &DynStore,
    catalog: &CatalogIndex,
    schedules: &[EntityRef],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<OnCallShift>, AppError> {
    shifts_in(store, catalog, schedules, since, until, Clip::Whole).await
}

async fn shifts_in(
    store: &DynStore,
    catalog: &CatalogIndex,
    schedules: &[EntityRef],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    clip: Clip,
) -> Result<Vec<OnCallShift>, AppError> {
    let mut shifts: Vec<OnCallShift> = Vec::new();
    if schedules.is_empty() {
        return Ok(shifts);
    }
    let mut made: HashMap<String, Vec<Override>> = HashMap::new();
    for (schedule, over) in runtime_overrides(store, schedules, since, until).await? {
        made.entry(schedule.key()).or_default().push(over);
    }
    // Each Schedule with every override that applies to it, by key.
    let mut resolved = HashMap::new();
    for schedule in schedules.iter().filter_map(|s| catalog.schedule(s)) {
        let key = schedule.entity_ref.key();
        let schedule = schedule.with_overrides(made.remove(&key).unwrap_or_default());
        let found = match clip {
            Clip::ToSpan => schedule.shifts(since, until),
            Clip::Whole => schedule.whole_shifts(since, until),
        };
        shifts.extend(found.into_iter().map(|shift| OnCallShift {
            schedule: shift.schedule,
            person: Some(shift.person),
            identity: None,
            start: shift.start,
            end: shift.end,
            source: shift.source,
            rotation: shift.rotation,
        }));
        resolved.insert(key, schedule.overrides);
    }
    let mut filter = RecordFilter::new(RecordKind::Shift);
    filter.schedules = schedules.to_vec();
    filter.since = Some(since);
    filter.until = Some(until);
    for record in store.all_records(&filter).await? {
        let Record::Shift(shift) = record else { continue };
        let key = shift.schedule.key();
        let overrides = resolved.get(&key).or_else(|| made.get(&key)).map_or(&[][..], Vec::as_slice);
        let person = catalog.resolve_person(&shift.person, None).cloned();
        for (start, end) in uncovered(shift.start, shift.end, overrides) {
            if start >= until || end <= since {
                continue;
            }
            let (start, end) = match clip {
                Clip::ToSpan => (start.max(since), end.min(until)),
                Clip::Whole => (start, end),
            };
            shifts.push(OnCallShift {
                person: person.clone(),
                identity: Some(shift.person.clone()),
                schedule: shift.schedule.clone(),
                start,
                end,
                source: ShiftSource::Recorded,
                rotation: None,
            });
        }
    }
    shifts.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.schedule.cmp(&b.schedule)));
    Ok(shifts)
}

/// The Schedule the catalog has under `name` (a name or a reference).
///
/// # Errors
/// [`AppError::NotFound`] naming the Schedules there are.
pub(crate) fn schedule_named<'c>(
    catalog: &'c CatalogIndex,
    name: &str,
) -> Result<&'c paved_domain::Schedule, AppError> {
    EntityRef::parse(name, Some("schedule"), paved_domain::DEFAULT_NAMESPACE)
        .ok()
        .and_then(|schedule| catalog.schedule(&schedule))
        .ok_or_else(|| {
            let known: Vec<&str> = catalog.schedules().iter().map(|s| s.entity_ref.name()).collect();
            AppError::NotFound(format!(
                "no Schedule `{}` in the catalog ({})",
                name.trim(),
                if known.is_empty() { "it has none".to_owned() } else { format!("it has: {}", known.join(", ")) }
            ))
        })
}

impl App {
    /// Who is on call between `since` (default now) and `until` (default a
    /// week after `since`, at most [`MAX_SHIFT_WINDOW_DAYS`] after it), for
    /// one Schedule by name or reference, or for every Schedule.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a malformed time, an empty or too long
    /// span, or a Schedule the catalog does not have; [`AppError::Store`]
    /// when the store cannot be read.
    pub async fn shifts(
        &self,
        schedule: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Vec<OnCallShift>, AppError> {
        let catalog = self.catalog.current().await?;
        let since = since
            .map(|text| paved_metrics::parse_time("since", text))
            .transpose()
            .map_err(AppError::Invalid)?
            .unwrap_or_else(Utc::now);
        let until = until
            .map(|text| paved_metrics::parse_time("until", text))
            .transpose()
            .map_err(AppError::Invalid)?
            .unwrap_or(since + Duration::days(7));
        if until <= since {
            return Err(AppError::Invalid(format!("until {until} is not after since {since}")));
        }
        paved_metrics::check_span(since, until, MAX_SHIFT_WINDOW_DAYS).map_err(AppError::Invalid)?;
        let schedules: Vec<EntityRef> = match schedule {
            Some(name) => {
                let schedule = EntityRef::parse(name, Some("schedule"), paved_domain::DEFAULT_NAMESPACE)
                    .map_err(|error| AppError::Invalid(format!("schedule: {error}")))?;
                if catalog.schedule(&schedule).is_none() {
                    return Err(AppError::Invalid(format!("no Schedule {schedule} in the catalog")));
                }
                vec![schedule]
            }
            None => catalog.schedules().into_iter().map(|s| s.entity_ref.clone()).collect(),
        };
        shifts_between(&self.store, &catalog, &schedules, since, until).await
    }
}
