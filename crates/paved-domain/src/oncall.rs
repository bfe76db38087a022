//! On-call schedules (DESIGN §3 "On-call shift", §7): the `Schedule` kind
//! of `apiVersion: paved.dev/v1alpha1`, resolved into shifts.
//!
//! ```yaml
//! apiVersion: paved.dev/v1alpha1
//! kind: Schedule
//! metadata: {name: checkout-oncall}
//! spec:
//!   owner: checkout
//!   timezone: Europe/Berlin
//!   rotations:
//!     - name: primary
//!       participants: [lena.fischer, marco.rossi]
//!       start: 2026-06-01T09:00        # local time: the hand-off time
//!       shift: 7d                      # or 12h, 1w
//!   overrides:
//!     - user: ana.souza
//!       start: 2026-07-10T18:00
//!       end: 2026-07-11T09:00
//! ```
//!
//! Each rotation hands the pager to the next participant every `shift`, at
//! the local time of `start` (hand-offs keep their local time across
//! daylight-saving changes). Several rotations are layers that run at once
//! (a primary and a secondary). An override gives the hours it covers, in
//! every rotation, to its user; where overrides overlap, the later one wins
//! (the descriptor's in their order, then those made at run time, which
//! [`Schedule::with_overrides`] appends).

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{CatalogEntity, EntityRef};

/// How a shift became known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftSource {
    /// From a rotation of a Schedule in the catalog.
    Rotation,
    /// From an override: in the Schedule's descriptor, or made at run time
    /// (`paved oncall override`).
    Override,
    /// Recorded through the API (`POST /api/v1/shifts`), from an on-call
    /// tool outside pavedroad.
    Recorded,
}

/// Someone on call, from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// The Schedule.
    pub schedule: EntityRef,
    /// Who is on call.
    pub person: EntityRef,
    /// From.
    pub start: DateTime<Utc>,
    /// Until (exclusive).
    pub end: DateTime<Utc>,
    /// How it became known.
    pub source: ShiftSource,
    /// The rotation (layer) it belongs to; `None` for an override, which
    /// covers every layer, and for a recorded shift.
    #[serde(default)]
    pub rotation: Option<String>,
}

impl Shift {
    /// Its length in hours.
    pub fn hours(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / 3600.0
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScheduleSpec {
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    rotations: Vec<RotationSpec>,
    #[serde(default)]
    overrides: Vec<OverrideSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotationSpec {
    #[serde(default)]
    name: Option<String>,
    participants: Vec<String>,
    start: String,
    shift: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideSpec {
    user: String,
    start: String,
    end: String,
}

/// A rotation, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Its name (`primary`), or its position.
    pub name: String,
    /// Who takes turns, in order.
    pub participants: Vec<EntityRef>,
    /// The first hand-off, in the schedule's time zone.
    pub start: NaiveDateTime,
    /// How long each turn lasts.
    pub shift: ShiftLength,
}

/// The length of a turn: whole days keep hand-offs at the same local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftLength {
    /// N local days.
    Days(u32),
    /// N hours.
    Hours(u32),
}

/// An override: from the descriptor, or made at run time (`paved oncall
/// override`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Who takes the hours.
    pub user: EntityRef,
    /// From.
    pub start: DateTime<Utc>,
    /// Until.
    pub end: DateTime<Utc>,
}

/// A Schedule, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The Schedule entity.
    pub entity_ref: EntityRef,
    /// The Group (or User) it belongs to.
    pub owner: Option<EntityRef>,
    /// The time zone of its hand-offs.
    pub timezone: Tz,
    /// Its rotations (layers).
    pub rotations: Vec<Rotation>,
    /// Its overrides.
    pub overrides: Vec<Override>,
}

fn parse_shift(text: &str) -> Result<ShiftLength, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u32 =
        number.parse().map_err(|_| format!("shift `{text}` is not a length; write e.g. `7d`, `1w` or `12h`"))?;
    if n == 0 {
        return Err(format!("shift `{text}` is zero long; write e.g. `7d`"));
    }
    match unit {
        "d" => Ok(ShiftLength::Days(n)),
        "w" => Ok(ShiftLength::Days(n * 7)),
        "h" => Ok(ShiftLength::Hours(n)),
        _ => Err(format!("shift `{text}` has no unit; write e.g. `7d`, `1w` or `12h`")),
    }
}

/// A local time (`2026-06-01T09:00`, seconds optional) or an RFC 3339 time
/// (converted to the zone's local time).
fn parse_local(text: &str, zone: Tz, field: &str) -> Result<NaiveDateTime, String> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&zone).naive_local());
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .ok_or_else(|| {
            format!("{field} `{text}` is not a time; write e.g. `2026-06-01T09:00` (local) or an RFC 3339 time")
        })
}

/// Whether [`Schedule`]'s shifts are cut to the span asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clip {
    /// Cut to the span.
    ToSpan,
    /// Whole, for every shift that overlaps the span.
    Whole,
}

/// `[start, end)` without the hours any of `overrides` covers, in order.
pub fn uncovered(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    overrides: &[Override],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut pieces = vec![(start, end)];
    for over in overrides {
        pieces = pieces
            .into_iter()
            .flat_map(|(s, e)| {
                if over.end <= s || over.start >= e {
                    return vec![(s, e)];
                }
                let mut kept = Vec::new();
                if s < over.start {
                    kept.push((s, over.start));
                }
                if over.end < e {
                    kept.push((over.end, e));
                }
                kept
            })
            .collect();
    }
    pieces.into_iter().filter(|(s, e)| s < e).collect()
}

/// The instant a local time names in `zone`: the earlier of an ambiguous
/// one, and for one skipped by a daylight-saving change, the instant an hour
/// later.
fn instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

impl Schedule {
    /// Reads a Schedule entity's spec. `person` turns a participant as
    /// written (`lena.fischer`, `user:default/lena.fischer`) into a
    /// reference.
    ///
    /// # Errors
    /// Every problem, each naming the field and how to write it.
    pub fn parse(entity: &CatalogEntity) -> Result<Self, Vec<String>> {
        let namespace = entity.entity_ref.namespace();
        let spec_value = entity.document.get("spec").cloned().unwrap_or(serde_json::Value::Null);
        let spec: ScheduleSpec = serde_json::from_value(spec_value)
            .map_err(|error| vec![format!("spec: {error}; see the Schedule format in docs (rotations, overrides)")])?;
        let mut problems = Vec::new();
        let timezone = match spec.timezone.as_deref() {
            None => Tz::UTC,
            Some(name) => name.parse().unwrap_or_else(|_| {
                problems.push(format!("spec.timezone `{name}` is not an IANA time zone; write e.g. `Europe/Berlin`"));
                Tz::UTC
            }),
        };
        let user =
            |text: &str, field: &str, problems: &mut Vec<String>| match EntityRef::parse(text, Some("user"), namespace)
            {
                Ok(user) if user.is(crate::EntityKind::User) => Some(user),
                _ => {
                    problems.push(format!("{field} `{text}` is not a User; write a user name, e.g. `lena.fischer`"));
                    None
                }
            };
        let owner = spec.owner.as_deref().and_then(|owner| EntityRef::parse(owner, Some("group"), namespace).ok());
        if spec.rotations.is_empty() {
            problems.push("spec.rotations is empty; add a rotation with participants, start and shift".to_owned());
        }
        let mut rotations = Vec::new();
        for (i, rotation) in spec.rotations.iter().enumerate() {
            let field = |name: &str| format!("spec.rotations[{i}].{name}");
            let participants: Vec<EntityRef> =
                rotation.participants.iter().filter_map(|p| user(p, &field("participants"), &mut problems)).collect();
            if rotation.participants.is_empty() {
                problems.push(format!("{} is empty; list who takes turns", field("participants")));
            }
            let start = parse_local(&rotation.start, timezone, &field("start")).map_err(|e| problems.push(e)).ok();
            let shift =
                parse_shift(&rotation.shift).map_err(|e| problems.push(format!("{}: {e}", field("shift")))).ok();
            if let (Some(start), Some(shift)) = (start, shift) {
                rotations.push(Rotation {
                    name: rotation.name.clone().unwrap_or_else(|| format!("rotation {}", i + 1)),
                    participants,
                    start,
                    shift,
                });
            }
        }
        let mut overrides = Vec::new();
        for (i, over) in spec.overrides.iter().enumerate() {
            let field = |name: &str| format!("spec.overrides[{i}].{name}");
            let person = user(&over.user, &field("user"), &mut problems);
            let start = parse_local(&over.start, timezone, &field("start")).map_err(|e| problems.push(e)).ok();
            let end = parse_local(&over.end, timezone, &field("end")).map_err(|e| problems.push(e)).ok();
            if let (Some(user), Some(start), Some(end)) = (person, start, end) {
                let (start, end) = (instant(timezone, start), instant(timezone, end));
                if end <= start {
                    problems.push(format!("{} is not after {}", field("end"), field("start")));
                } else {
                    overrides.push(Override { user, start, end });
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self { entity_ref: entity.entity_ref.clone(), owner, timezone, rotations, overrides })
    }

    /// The `n`-th hand-off of `rotation`.
    fn hand_off(&self, rotation: &Rotation, n: i64) -> DateTime<Utc> {
        match rotation.shift {
            ShiftLength::Days(days) => instant(self.timezone, rotation.start + Duration::days(n * i64::from(days))),
            ShiftLength::Hours(hours) => instant(self.timezone, rotation.start) + Duration::hours(n * i64::from(hours)),
        }
    }

    /// The same Schedule with `more` overrides after its own: where they
    /// overlap an earlier override, they win.
    #[must_use]
    pub fn with_overrides(&self, more: impl IntoIterator<Item = Override>) -> Self {
        let mut schedule = self.clone();
        schedule.overrides.extend(more);
        schedule
    }

    /// The instant `text` names: an RFC 3339 time (`2026-07-10T18:00:00Z`),
    /// or a local time in the schedule's time zone (`2026-07-10 18:00`,
    /// `2026-07-10T18:00`, a date for its midnight). A local time that a
    /// daylight-saving change skips is read an hour later; one it repeats,
    /// the first time.
    ///
    /// # Errors
    /// A sentence saying how to write a time, naming `field`.
    pub fn time(&self, field: &str, text: &str) -> Result<DateTime<Utc>, String> {
        if let Ok(time) = DateTime::parse_from_rfc3339(text.trim()) {
            return Ok(time.with_timezone(&Utc));
        }
        parse_local(text, self.timezone, field).map(|local| instant(self.timezone, local)).map_err(|_| {
            format!(
                "{field} `{}` is not a time; write RFC 3339 (2026-07-10T18:00:00Z) or a local time in {} \
                 (2026-07-10 18:00)",
                text.trim(),
                self.timezone.name()
            )
        })
    }

    /// Everyone on call between `since` and `until`, shifts cut to that
    /// range, overrides applied.
    pub fn shifts(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Shift> {
        self.shifts_in(since, until, Clip::ToSpan)
    }

    /// Every shift that overlaps `since` to `until`, whole (not cut to the
    /// range), overrides applied: what a calendar shows, and where "until
    /// when" must not depend on when one asks.
    pub fn whole_shifts(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Shift> {
        self.shifts_in(since, until, Clip::Whole)
    }

    fn shifts_in(&self, since: DateTime<Utc>, until: DateTime<Utc>, clip: Clip) -> Vec<Shift> {
        let mut shifts = Vec::new();
        let mut push = |person: &EntityRef, (start, end): (DateTime<Utc>, DateTime<Utc>), source, rotation| {
            if start >= until || end <= since {
                return;
            }
            let (start, end) = match clip {
                Clip::ToSpan => (start.max(since), end.min(until)),
                Clip::Whole => (start, end),
            };
            shifts.push(Shift {
                schedule: self.entity_ref.clone(),
                person: person.clone(),
                start,
                end,
                source,
                rotation,
            });
        };
        for rotation in &self.rotations {
            if rotation.participants.is_empty() {
                continue;
            }
            let approximate = match rotation.shift {
                ShiftLength::Days(d) => Duration::days(i64::from(d)),
                ShiftLength::Hours(h) => Duration::hours(i64::from(h)),
            };
            let first = instant(self.timezone, rotation.start);
            // Start a turn early: daylight-saving changes move hand-offs by
            // an hour against the approximation.
            let mut n = if since > first { (since - first).num_seconds() / approximate.num_seconds() - 1 } else { 0 };
            n = n.max(0);
            loop {
                let (start, end) = (self.hand_off(rotation, n), self.hand_off(rotation, n + 1));
                if start >= until {
                    break;
                }
                let person = &rotation.participants[(n as usize) % rotation.participants.len()];
                for piece in uncovered(start, end, &self.overrides) {
                    push(person, piece, ShiftSource::Rotation, Some(rotation.name.clone()));
                }
                n += 1;
            }
        }
        for (i, over) in self.overrides.iter().enumerate() {
            for piece in uncovered(over.start, over.end, &self.overrides[i + 1..]) {
                push(&over.user, piece, ShiftSource::Override, None);
            }
        }
        shifts.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.person.cmp(&b.person)));
        shifts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PavedAnnotations, SourcePosition};

    fn schedule(spec: serde_json::Value) -> Result<Schedule, Vec<String>> {
        Schedule::parse(&CatalogEntity {
            entity_ref: "schedule:default/checkout-oncall".parse().unwrap(),
            kind: "Schedule".to_owned(),
            api_version: "paved.dev/v1alpha1".to_owned(),
            title: None,
            description: None,
            spec_type: None,
            lifecycle: None,
            owner: None,
            source: SourcePosition { file: "s.yaml".to_owned(), line: 1, column: 1 },
            document: serde_json::json!({"spec": spec}),
            relations: Vec::new(),
            paved: PavedAnnotations::default(),
        })
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_weekly_rotation_hands_off_at_local_time_across_daylight_saving() {
        let s = schedule(serde_json::json!({
            "timezone": "Europe/Berlin",
            "rotations": [{"participants": ["lena", "marco"], "start": "2026-03-23T09:00", "shift": "1w"}]
        }))
        .unwrap();
        let shifts = s.shifts(at("2026-03-23T00:00:00Z"), at("2026-04-13T00:00:00Z"));
        let people: Vec<&str> = shifts.iter().map(|s| s.person.name()).collect();
        assert_eq!(people, ["lena", "marco", "lena"], "nobody before the first hand-off");
        // 09:00 CET is 08:00 UTC; after 29 March, 09:00 CEST is 07:00 UTC.
        assert_eq!(shifts[0].start, at("2026-03-23T08:00:00Z"));
        assert_eq!(shifts[1].start, at("2026-03-30T07:00:00Z"));
        assert_eq!(shifts[0].hours(), 167.0, "the week with the change is an hour short");
        assert_eq!(shifts.last().unwrap().end, at("2026-04-13T00:00:00Z"), "cut to the range");
    }

    #[test]
    fn overrides_take_the_hours_they_cover() {
        let s = schedule(serde_json::json!({
            "rotations": [{"participants": ["lena"], "start": "2026-06-01T00:00", "shift": "24h"}],
            "overrides": [{"user": "ana", "start": "2026-06-01T18:00", "end": "2026-06-02T06:00"}]
        }))
        .unwrap();
        let shifts = s.shifts(at("2026-06-01T00:00:00Z"), at("2026-06-02T12:00:00Z"));
        let hours = |name: &str| shifts.iter().filter(|s| s.person.name() == name).map(Shift::hours).sum::<f64>();
        assert_eq!(hours("ana"), 12.0);
        assert_eq!(hours("lena"), 24.0, "36 hours in all");
    }

    #[test]
    fn a_later_override_wins_where_it_overlaps_an_earlier_one() {
        let s = schedule(serde_json::json!({
            "rotations": [{"name": "primary", "participants": ["lena"], "start": "2026-06-01T00:00", "shift": "24h"}],
            "overrides": [{"user": "ana", "start": "2026-06-01T06:00", "end": "2026-06-01T18:00"}]
        }))
        .unwrap();
        let bo = Override {
            user: "user:default/bo".parse().unwrap(),
            start: at("2026-06-01T12:00:00Z"),
            end: at("2026-06-01T20:00:00Z"),
        };
        let shifts = s.with_overrides([bo]).shifts(at("2026-06-01T00:00:00Z"), at("2026-06-02T00:00:00Z"));
        let plan: Vec<(&str, u32, u32, Option<&str>)> = shifts
            .iter()
            .map(|s| {
                let hour = |t: DateTime<Utc>| ((t - at("2026-06-01T00:00:00Z")).num_hours()) as u32;
                (s.person.name(), hour(s.start), hour(s.end), s.rotation.as_deref())
            })
            .collect();
        assert_eq!(
            plan,
            [
                ("lena", 0, 6, Some("primary")),
                ("ana", 6, 12, None),
                ("bo", 12, 20, None),
                ("lena", 20, 24, Some("primary"))
            ],
            "nobody is on call twice over, and the rotation's layer is named"
        );
    }

    #[test]
    fn whole_shifts_are_not_cut_to_the_span_asked_for() {
        let s = schedule(serde_json::json!({
            "rotations": [{"participants": ["lena", "marco"], "start": "2026-06-01T09:00", "shift": "7d"}]
        }))
        .unwrap();
        let (since, until) = (at("2026-06-03T00:00:00Z"), at("2026-06-04T00:00:00Z"));
        let whole = s.whole_shifts(since, until);
        assert_eq!(whole.len(), 1);
        assert_eq!((whole[0].start, whole[0].end), (at("2026-06-01T09:00:00Z"), at("2026-06-08T09:00:00Z")));
        let cut = s.shifts(since, until);
        assert_eq!((cut[0].start, cut[0].end), (since, until));
    }

    #[test]
    fn times_are_rfc_3339_or_local_to_the_schedule() {
        let s = schedule(serde_json::json!({
            "timezone": "Europe/Berlin",
            "rotations": [{"participants": ["lena"], "start": "2026-06-01T09:00", "shift": "7d"}]
        }))
        .unwrap();
        assert_eq!(s.time("--from", "2026-07-10 18:00").unwrap(), at("2026-07-10T16:00:00Z"), "CEST is UTC+2");
        assert_eq!(s.time("--from", "2026-07-10T18:00").unwrap(), at("2026-07-10T16:00:00Z"));
        assert_eq!(s.time("--from", "2026-12-10 18:00").unwrap(), at("2026-12-10T17:00:00Z"), "CET is UTC+1");
        assert_eq!(s.time("--from", "2026-07-10T18:00:00Z").unwrap(), at("2026-07-10T18:00:00Z"));
        let error = s.time("--from", "tomorrow").unwrap_err();
        assert!(error.contains("--from `tomorrow`") && error.contains("Europe/Berlin"), "{error}");
    }

    #[test]
    fn bad_schedules_name_every_field() {
        let problems = schedule(serde_json::json!({
            "timezone": "Mars/Olympus",
            "rotations": [{"participants": [], "start": "soon", "shift": "7"}],
            "overrides": [{"user": "group:x", "start": "2026-06-02T00:00", "end": "2026-06-01T00:00"}]
        }))
        .unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "spec.timezone `Mars/Olympus`",
            "participants is empty",
            "start `soon`",
            "shift `7` has no unit",
            "user `group:x` is not a User",
        ] {
            assert!(all.contains(expected), "{expected} in {all}");
        }
        assert!(schedule(serde_json::json!({"rotations": [], "color": "red"})).unwrap_err()[0].contains("color"));
    }
}
