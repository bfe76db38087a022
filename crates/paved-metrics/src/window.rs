//! Windows of time and the periods of a series: ISO weeks (Monday 00:00
//! UTC) and calendar months, in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// A half-open range of time `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first instant in the window.
    pub since: DateTime<Utc>,
    /// The first instant after the window.
    pub until: DateTime<Utc>,
}

/// The default window of a report: the 90 days before `until`.
pub const DEFAULT_WINDOW_DAYS: i64 = 90;

/// The longest window a report covers, in days (ten years): a weekly
/// series over it has 522 points. Longer windows are refused rather than
/// computed, so that no request can ask for an answer of hundreds of
/// megabytes.
pub const MAX_WINDOW_DAYS: i64 = 3653;

/// Reads a time given as RFC 3339 or as a date (midnight UTC), as every
/// `since` and `until` is given.
///
/// # Errors
/// A message naming `what` and both accepted forms.
pub fn parse_time(what: &str, text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => Ok(midnight(date)),
        Err(_) => Err(format!("{what} `{text}` is not a date (2026-11-01) or an RFC 3339 time (2026-11-01T09:00:00Z)")),
    }
}

/// Refuses a span from `since` to `until` longer than `max_days`.
///
/// # Errors
/// A message that says the span and how to narrow it.
pub fn check_span(since: DateTime<Utc>, until: DateTime<Utc>, max_days: i64) -> Result<(), String> {
    let days = (until - since).num_days();
    if until - since > Duration::days(max_days) {
        return Err(format!(
            "the window from {} to {} spans {days} days; the most is {max_days}: narrow since/until",
            since.format("%Y-%m-%d"),
            until.format("%Y-%m-%d")
        ));
    }
    Ok(())
}

impl Window {
    /// The window `[since, until)`; `None` when `until` is not after `since`.
    pub fn new(since: DateTime<Utc>, until: DateTime<Utc>) -> Option<Self> {
        (until > since).then_some(Self { since, until })
    }

    /// The window of `since`/`until` as a user gives them (each a date or
    /// an RFC 3339 time; defaults: `now`, and [`DEFAULT_WINDOW_DAYS`]
    /// before `until`).
    ///
    /// # Errors
    /// A message when a time does not parse, the window is empty or it is
    /// longer than [`MAX_WINDOW_DAYS`].
    pub fn parse(since: Option<&str>, until: Option<&str>, now: DateTime<Utc>) -> Result<Self, String> {
        let until = until.map(|text| parse_time("until", text)).transpose()?.unwrap_or(now);
        let since = since
            .map(|text| parse_time("since", text))
            .transpose()?
            .unwrap_or(until - Duration::days(DEFAULT_WINDOW_DAYS));
        let window = Self::new(since, until)
            .ok_or_else(|| format!("the window is empty: since {since} is not before until {until}"))?;
        check_span(since, until, MAX_WINDOW_DAYS)?;
        Ok(window)
    }

    /// The `days` days before `until`.
    pub fn last_days(until: DateTime<Utc>, days: i64) -> Self {
        Self { since: until - Duration::days(days), until }
    }

    /// True when `at` is in the window.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.since <= at && at < self.until
    }

    /// The part of `sorted` (in the order of `at`) that falls in the
    /// window: two binary searches instead of a scan.
    pub fn slice<'a, T>(&self, sorted: &'a [T], at: impl Fn(&T) -> DateTime<Utc>) -> &'a [T] {
        let start = sorted.partition_point(|item| at(item) < self.since);
        let end = sorted.partition_point(|item| at(item) < self.until);
        &sorted[start..end.max(start)]
    }

    /// Its bounds in whole Unix seconds, for times kept in whole seconds
    /// (committer times): `t` is in the window when `since ≤ t < until`.
    pub fn whole_seconds(&self) -> (i64, i64) {
        (whole_seconds(self.since), whole_seconds(self.until))
    }

    /// Its length in days (fractional).
    pub fn days(&self) -> f64 {
        (self.until - self.since).num_milliseconds() as f64 / 86_400_000.0
    }

    /// The part of the window inside `other`, if any.
    pub fn intersect(&self, other: &Window) -> Option<Window> {
        Window::new(self.since.max(other.since), self.until.min(other.until))
    }

    /// The periods of `period` that overlap the window, each cut to it.
    pub fn periods(&self, period: Period) -> Vec<(DateTime<Utc>, Window)> {
        let mut out = Vec::new();
        let mut start = period.start_of(self.since);
        while start < self.until {
            let next = period.next(start);
            if let Some(inside) = (Window { since: start, until: next }).intersect(self) {
                out.push((start, inside));
            }
            start = next;
        }
        out
    }
}

/// The first whole second at or after `at`: for `t` in whole seconds,
/// `t < at` is `t < whole_seconds(at)`.
pub(crate) fn whole_seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0)
}

/// The period of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// ISO weeks, from Monday 00:00 UTC.
    Week,
    /// Calendar months, from the 1st 00:00 UTC.
    Month,
}

/// A period by its name, `week` or `month` (any case), as `--by` and
/// `?by=` take it.
impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().as_str() {
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            _ => Err(format!("by `{name}` is not week or month")),
        }
    }
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

impl Period {
    /// The start of the period that holds `at`.
    pub fn start_of(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let date = at.date_naive();
        match self {
            Self::Week => midnight(date - Duration::days(i64::from(date.weekday().num_days_from_monday()))),
            Self::Month => midnight(date.with_day(1).expect("every month has a 1st")),
        }
    }

    /// Whether `inside`, the period starting at `start` cut to a window
    /// ([`Window::periods`]), is the whole period: a period the window's
    /// start or end cuts (the month in progress, say) is partial, its data
    /// incomplete.
    pub fn is_whole(self, start: DateTime<Utc>, inside: &Window) -> bool {
        inside.since == start && inside.until == self.next(start)
    }

    /// The start of the period after the one starting at `start`.
    pub fn next(self, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Week => start + Duration::days(7),
            Self::Month => {
                let date = start.date_naive();
                let (year, month) =
                    if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
                midnight(NaiveDate::from_ymd_opt(year, month, 1).expect("the 1st of a month exists"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2026-11-04 is a Wednesday.
        assert_eq!(Period::Week.start_of(at("2026-11-04T15:00:00Z")), at("2026-11-02T00:00:00Z"));
        assert_eq!(Period::Month.start_of(at("2026-11-04T15:00:00Z")), at("2026-11-01T00:00:00Z"));
        assert_eq!(Period::Month.next(at("2026-12-01T00:00:00Z")), at("2027-01-01T00:00:00Z"));
    }

    #[test]
    fn a_slice_is_what_the_window_contains() {
        let window = Window::new(at("2026-11-04T00:00:00Z"), at("2026-11-18T00:00:00Z")).unwrap();
        let times: Vec<DateTime<Utc>> =
            ["2026-11-01", "2026-11-04", "2026-11-10", "2026-11-17", "2026-11-18", "2026-12-01"]
                .iter()
                .map(|day| at(&format!("{day}T00:00:00Z")))
                .collect();
        let inside: Vec<_> = times.iter().copied().filter(|t| window.contains(*t)).collect();
        assert_eq!(window.slice(&times, |t| *t), inside.as_slice());
        assert_eq!(inside.len(), 3, "since is in, until is out");
        let before = Window::new(at("2025-01-01T00:00:00Z"), at("2025-02-01T00:00:00Z")).unwrap();
        assert!(before.slice(&times, |t| *t).is_empty());
    }

    #[test]
    fn periods_are_cut_to_the_window() {
        let window = Window::new(at("2026-11-04T00:00:00Z"), at("2026-11-18T00:00:00Z")).unwrap();
        let weeks = window.periods(Period::Week);
        assert_eq!(weeks.len(), 3);
        assert_eq!(weeks[0].0, at("2026-11-02T00:00:00Z"));
        assert_eq!(weeks[0].1.since, at("2026-11-04T00:00:00Z"), "cut to the window");
        assert_eq!(weeks[2].1.until, at("2026-11-18T00:00:00Z"));
        assert!((window.days() - 14.0).abs() < 1e-9);
        let whole: Vec<bool> = weeks.iter().map(|(start, inside)| Period::Week.is_whole(*start, inside)).collect();
        assert_eq!(whole, [false, true, false], "the weeks the window cuts are partial");
        assert!(Window::new(at("2026-11-04T00:00:00Z"), at("2026-11-04T00:00:00Z")).is_none());
    }
}
