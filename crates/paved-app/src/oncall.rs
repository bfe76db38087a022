//! Who is on call: the catalog's Schedules resolved into shifts (rotations,
//! hand-offs across daylight saving, overrides), together with the shifts
//! recorded through the API for teams whose schedules live in another tool.

use chrono::{DateTime, Duration, Utc};
use paved_domain::{CatalogIndex, EntityRef, Identity, Record, RecordKind, ShiftSource};
use paved_store::{DynStore, RecordFilter};

use crate::{App, AppError};

/// The longest span [`App::shifts`] lists, in days (a year of daily
/// hand-offs is 366 shifts per schedule).
pub const MAX_SHIFT_WINDOW_DAYS: i64 = 366;

/// One shift, clipped to the span asked for.
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
}

/// Every shift of `schedules` between `since` and `until`, by start: the
/// catalog's rotations and overrides, and the shifts recorded through the
/// API that cover any part of the span (however long before it they began).
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
    let mut shifts: Vec<OnCallShift> = Vec::new();
    for schedule in schedules.iter().filter_map(|s| catalog.schedule(s)) {
        shifts.extend(schedule.shifts(since, until).into_iter().map(|shift| OnCallShift {
            schedule: shift.schedule,
            person: Some(shift.person),
            identity: None,
            start: shift.start,
            end: shift.end,
            source: shift.source,
        }));
    }
    if !schedules.is_empty() {
        let mut filter = RecordFilter::new(RecordKind::Shift);
        filter.schedules = schedules.to_vec();
        filter.since = Some(since);
        filter.until = Some(until);
        for record in store.all_records(&filter).await? {
            let Record::Shift(shift) = record else { continue };
            let (start, end) = (shift.start.max(since), shift.end.min(until));
            if start < end {
                shifts.push(OnCallShift {
                    person: catalog.resolve_person(&shift.person, None).cloned(),
                    identity: Some(shift.person),
                    schedule: shift.schedule,
                    start,
                    end,
                    source: ShiftSource::Recorded,
                });
            }
        }
    }
    shifts.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.schedule.cmp(&b.schedule)));
    Ok(shifts)
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
