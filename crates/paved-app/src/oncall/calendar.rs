//! The shifts of the iCalendar feeds: a Schedule's, or a person's across
//! every Schedule, for the weeks ahead. The server writes them as RFC 5545;
//! what is in them is decided here.

use chrono::{DateTime, Duration, Utc};
use paved_domain::EntityRef;

use super::{OnCallShift, schedule_named, whole_shifts_between};
use crate::{App, AppError};

/// How many weeks ahead a feed reaches.
pub const CALENDAR_WEEKS: i64 = 8;

/// Whose shifts a feed holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarOf {
    /// A Schedule's, by name or reference: everyone's shifts on it.
    Schedule(String),
    /// A catalog User's, by name or reference, on every Schedule.
    Person(String),
}

/// A feed's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// The Schedule or the person.
    pub of: EntityRef,
    /// How a calendar app names it: `On call: checkout-oncall`, `On call:
    /// Lena Fischer`.
    pub name: String,
    /// Every shift that has not ended by `now` and begins within
    /// [`CALENDAR_WEEKS`], whole (a shift under way keeps its start, so
    /// that it stays the same event however often the feed is read), by
    /// start.
    pub shifts: Vec<OnCallShift>,
}

impl App {
    /// The shifts of a feed from `now` to [`CALENDAR_WEEKS`] ahead.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a Schedule or a person the catalog does
    /// not have; a store failure.
    pub async fn calendar(&self, of: &CalendarOf, now: DateTime<Utc>) -> Result<Calendar, AppError> {
        let catalog = self.catalog.current().await?;
        let until = now + Duration::weeks(CALENDAR_WEEKS);
        match of {
            CalendarOf::Schedule(name) => {
                let schedule = schedule_named(&catalog, name)?.entity_ref.clone();
                let shifts =
                    whole_shifts_between(&self.store, &catalog, std::slice::from_ref(&schedule), now, until).await?;
                Ok(Calendar { name: format!("On call: {}", schedule.name()), of: schedule, shifts })
            }
            CalendarOf::Person(name) => {
                let person = EntityRef::parse(name, Some("user"), paved_domain::DEFAULT_NAMESPACE)
                    .ok()
                    .and_then(|user| catalog.person(&user))
                    .ok_or_else(|| AppError::NotFound(format!("no User `{}` in the catalog", name.trim())))?;
                let schedules: Vec<EntityRef> = catalog.schedules().iter().map(|s| s.entity_ref.clone()).collect();
                let shifts = whole_shifts_between(&self.store, &catalog, &schedules, now, until)
                    .await?
                    .into_iter()
                    .filter(|shift| shift.person.as_ref().is_some_and(|p| p.key() == person.entity_ref.key()))
                    .collect();
                Ok(Calendar {
                    name: format!("On call: {}", person.display_name),
                    of: person.entity_ref.clone(),
                    shifts,
                })
            }
        }
    }
}
