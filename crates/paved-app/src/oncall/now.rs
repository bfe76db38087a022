//! Who is on call at an instant, for a team, a service, a Schedule or
//! everyone: per Schedule, the person on call (one per layer), since and
//! until when, and the hand-off that follows — `paved oncall`, `GET
//! /api/v1/oncall`, and the panels of team and service pages.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use paved_domain::{CatalogIndex, EntityRef};

use super::{OnCallShift, schedule_named, whole_shifts_between};
use crate::{App, AppError};

/// How far before and after the instant asked about shifts are read: a
/// person on call longer than this in one stretch (a one-person rotation)
/// shows as on call until the end of it, with nobody next.
pub const HORIZON_DAYS: i64 = 62;

/// Whose on-call Schedules to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnCallScope {
    /// Every Schedule of the catalog.
    All,
    /// The Schedules a team (a Group, with the Groups below it) owns, and
    /// those of the services it owns.
    Team(String),
    /// The Schedule of a service (its `paved.dev/oncall`).
    Service(String),
    /// One Schedule.
    Schedule(String),
}

/// Who is on call on one Schedule (one layer of it) at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallNow {
    /// The Schedule.
    pub schedule: EntityRef,
    /// The instant asked about.
    pub at: DateTime<Utc>,
    /// The person on call then, their stretch whole: when it began and
    /// when they hand off (adjacent shifts of the same person are one
    /// stretch). `None` when nobody is on call.
    pub current: Option<OnCallShift>,
    /// The hand-off that follows: who takes over and from when (`start`).
    /// `None` when nobody takes over within [`HORIZON_DAYS`].
    pub next: Option<OnCallShift>,
}

/// Adjacent or overlapping shifts of the same person (and layer, where
/// both have one) as one stretch each, by start.
fn stretches(mut shifts: Vec<OnCallShift>) -> Vec<OnCallShift> {
    shifts.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.end.cmp(&b.end)));
    let mut merged: Vec<OnCallShift> = Vec::new();
    for shift in shifts {
        let layer_fits = |kept: &OnCallShift| match (&kept.rotation, &shift.rotation) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        match merged
            .iter_mut()
            .rev()
            .find(|kept| kept.same_person(&shift) && layer_fits(kept) && kept.end >= shift.start)
        {
            Some(kept) => {
                kept.end = kept.end.max(shift.end);
                if kept.rotation.is_none() {
                    kept.rotation.clone_from(&shift.rotation);
                }
            }
            None => merged.push(shift),
        }
    }
    merged
}

/// Who is on call on `schedule` at `at`, from its shifts around it: one
/// answer per person on call then (one per layer), or one saying nobody
/// is and who comes next. Pure.
pub fn on_call_at(schedule: &EntityRef, shifts: Vec<OnCallShift>, at: DateTime<Utc>) -> Vec<OnCallNow> {
    let stretches = stretches(shifts);
    let next_after = |current: Option<&OnCallShift>| {
        let from = current.map_or(at, |c| c.end);
        stretches
            .iter()
            .filter(|s| s.start >= from && s.start > at && current.is_none_or(|c| !c.same_person(s)))
            .min_by_key(|s| {
                let other_layer = current.is_some_and(|c| c.rotation.is_some() && s.rotation != c.rotation);
                (s.start, other_layer)
            })
            .cloned()
    };
    let now: Vec<OnCallNow> = stretches
        .iter()
        .filter(|s| s.start <= at && at < s.end)
        .map(|current| OnCallNow {
            schedule: schedule.clone(),
            at,
            current: Some(current.clone()),
            next: next_after(Some(current)),
        })
        .collect();
    if now.is_empty() {
        return vec![OnCallNow { schedule: schedule.clone(), at, current: None, next: next_after(None) }];
    }
    now
}

impl App {
    /// Who is on call at `at` (RFC 3339, or a local time read in each
    /// Schedule's own time zone; default now) on the Schedules of `scope`,
    /// by Schedule: the person on call (one per layer), their stretch, and
    /// the next hand-off. A Schedule with nobody on call says so, with who
    /// comes next. An empty list: no Schedule covers the scope.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a team, service or Schedule the catalog
    /// does not have, or a malformed time; a store failure.
    pub async fn who_is_on_call(&self, scope: &OnCallScope, at: Option<&str>) -> Result<Vec<OnCallNow>, AppError> {
        let catalog = self.catalog.current().await?;
        let schedules = schedules_of(&catalog, scope)?;
        let now = Utc::now().trunc_subsecs(0);
        let mut answers = Vec::new();
        for schedule in &schedules {
            let Some(resolved) = catalog.schedule(schedule) else { continue };
            let at = match at {
                Some(text) => resolved.time("at", text).map_err(AppError::Invalid)?,
                None => now,
            };
            let horizon = Duration::days(HORIZON_DAYS);
            let shifts =
                whole_shifts_between(&self.store, &catalog, std::slice::from_ref(schedule), at - horizon, at + horizon)
                    .await?;
            answers.extend(on_call_at(schedule, shifts, at));
        }
        Ok(answers)
    }
}

/// The Schedules `scope` covers, in reference order.
fn schedules_of(catalog: &CatalogIndex, scope: &OnCallScope) -> Result<Vec<EntityRef>, AppError> {
    let default = paved_domain::DEFAULT_NAMESPACE;
    let mut schedules: Vec<EntityRef> = match scope {
        OnCallScope::All => catalog.schedules().iter().map(|s| s.entity_ref.clone()).collect(),
        OnCallScope::Schedule(name) => {
            vec![schedule_named(catalog, name).map_err(|e| AppError::Invalid(e.message()))?.entity_ref.clone()]
        }
        OnCallScope::Service(name) => {
            let service = EntityRef::parse(name, Some("component"), default)
                .ok()
                .and_then(|service| catalog.service(&service))
                .ok_or_else(|| AppError::Invalid(format!("no service `{}` in the catalog", name.trim())))?;
            catalog.schedule_of(&service.entity_ref).map(|s| s.entity_ref.clone()).into_iter().collect()
        }
        OnCallScope::Team(name) => {
            let team = EntityRef::parse(name, Some("group"), default)
                .ok()
                .filter(|team| catalog.group(team).is_some())
                .ok_or_else(|| AppError::Invalid(format!("no team `{}` in the catalog", name.trim())))?;
            let owned = catalog.schedules().into_iter().filter(|s| catalog.team_owns_schedule(&team, &s.entity_ref));
            let of_services = catalog
                .services()
                .into_iter()
                .filter(|service| catalog.team_owns(&team, &service.entity_ref))
                .filter_map(|service| catalog.schedule_of(&service.entity_ref));
            owned.chain(of_services).map(|s| s.entity_ref.clone()).collect()
        }
    };
    schedules.sort();
    schedules.dedup_by(|a, b| a.key() == b.key());
    Ok(schedules)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use paved_domain::ShiftSource;

    use super::*;

    fn hour(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn shift(person: &str, from: i64, to: i64, rotation: Option<&str>) -> OnCallShift {
        OnCallShift {
            schedule: "schedule:default/s".parse().unwrap(),
            person: Some(format!("user:default/{person}").parse().unwrap()),
            identity: None,
            start: hour(from),
            end: hour(to),
            source: if rotation.is_some() { ShiftSource::Rotation } else { ShiftSource::Override },
            rotation: rotation.map(str::to_owned),
        }
    }

    fn summary(answers: &[OnCallNow]) -> Vec<(String, i64, i64, String, i64)> {
        let h = |t: DateTime<Utc>| (t - hour(0)).num_hours();
        answers
            .iter()
            .map(|a| {
                let (who, from, to) =
                    a.current.as_ref().map_or(("nobody".to_owned(), 0, 0), |c| (c.who(), h(c.start), h(c.end)));
                let (next, at) = a.next.as_ref().map_or(("nobody".to_owned(), 0), |n| (n.who(), h(n.start)));
                (who, from, to, next, at)
            })
            .collect()
    }

    #[test]
    fn an_override_is_who_is_next_and_a_person_s_turns_are_one_stretch() {
        let schedule: EntityRef = "schedule:default/s".parse().unwrap();
        let shifts = vec![
            shift("lena", 0, 24, Some("primary")),
            shift("lena", 24, 42, Some("primary")),
            shift("ana", 42, 54, None),
            shift("marco", 54, 72, Some("primary")),
        ];
        let answers = on_call_at(&schedule, shifts.clone(), hour(30));
        assert_eq!(summary(&answers), [("lena".to_owned(), 0, 42, "ana".to_owned(), 42)]);
        let answers = on_call_at(&schedule, shifts, hour(45));
        assert_eq!(summary(&answers), [("ana".to_owned(), 42, 54, "marco".to_owned(), 54)]);
    }

    #[test]
    fn each_layer_hands_off_to_its_own_next_person() {
        let schedule: EntityRef = "schedule:default/s".parse().unwrap();
        let shifts = vec![
            shift("lena", 0, 24, Some("primary")),
            shift("bo", 0, 24, Some("secondary")),
            shift("chen", 24, 48, Some("secondary")),
            shift("marco", 24, 48, Some("primary")),
        ];
        let mut answers = summary(&on_call_at(&schedule, shifts, hour(3)));
        answers.sort();
        assert_eq!(
            answers,
            [("bo".to_owned(), 0, 24, "chen".to_owned(), 24), ("lena".to_owned(), 0, 24, "marco".to_owned(), 24)]
        );
    }

    #[test]
    fn nobody_on_call_says_who_comes_first() {
        let schedule: EntityRef = "schedule:default/s".parse().unwrap();
        let answers = on_call_at(&schedule, vec![shift("lena", 10, 20, Some("primary"))], hour(2));
        assert_eq!(summary(&answers), [("nobody".to_owned(), 0, 0, "lena".to_owned(), 10)]);
        let answers = on_call_at(&schedule, Vec::new(), hour(2));
        assert_eq!(summary(&answers), [("nobody".to_owned(), 0, 0, "nobody".to_owned(), 0)]);
    }
}
