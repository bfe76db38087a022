//! On call in the web UI: the panel of team and service pages (who is on
//! call now, until when, who is next), the overrides of a team's Schedules
//! with the form to make and delete one (signed-in people; the application
//! decides who may), and the iCalendar feeds `GET /oncall/{schedule}.ics`
//! and `GET /oncall/people/{user}.ics`.
//!
//! The feeds are read by calendar apps, which cannot sign in: like the API
//! (whose `GET /api/v1/shifts` says the same), they are not pages that ask
//! for signing in.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use maud::{Markup, html};
use paved_app::oncall::{CalendarOf, OnCallNow, OnCallShift, OverrideRequest};
use paved_app::{AppError, Caller};
use paved_domain::{CatalogIndex, EntityRef, ShiftSource};
use paved_store::StoredOverride;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::session::{Viewer, csrf_field};
use super::{PageWindow, Section, WebError, encode, link, when};
use crate::AppState;
use crate::ical::{self, Event};

/// A person as a page names them: a link to their page, or the identity
/// recorded by another tool.
fn who(shift: &OnCallShift) -> Markup {
    match &shift.person {
        Some(person) => link(person),
        None => html! { (shift.who()) },
    }
}

/// The "On call" panel: per Schedule (and layer), who is on call now, since
/// and until when, and who takes over next.
pub fn panel(answers: &[OnCallNow]) -> Markup {
    html! {
        section aria-labelledby="on-call" {
            h2 id="on-call" { "On call" }
            @if answers.is_empty() {
                p { "No on-call schedule covers this. Give a service one with the " code { "paved.dev/oncall" } " annotation." }
            } @else {
                table.on-call {
                    thead { tr {
                        th scope="col" { "Schedule" } th scope="col" { "On call now" } th scope="col" { "Since" }
                        th scope="col" { "Until" } th scope="col" { "Next" } th scope="col" { "Calendar" }
                    } }
                    tbody {
                        @for answer in answers {
                            @let schedule = answer.schedule.name();
                            tr data-schedule=(schedule) {
                                th scope="row" {
                                    (schedule)
                                    @if let Some(rotation) = answer.current.as_ref().and_then(|c| c.rotation.as_ref()) { " (" (rotation) ")" }
                                }
                                @match &answer.current {
                                    Some(current) => {
                                        td.now { (who(current)) @if current.source == ShiftSource::Override { " (override)" } }
                                        td { (when(current.start)) }
                                        td.until { (when(current.end)) " UTC" }
                                    }
                                    None => { td.now { "nobody" } td { "–" } td.until { "–" } }
                                }
                                td.next {
                                    @match &answer.next {
                                        Some(next) => { (who(next)) " from " (when(next.start)) " UTC" }
                                        None => "nobody in the next 62 days",
                                    }
                                }
                                td { a href={ "/oncall/" (encode(schedule)) ".ics" } { (schedule) ".ics" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The overrides of a team's Schedules, with a form to make one and a
/// button to delete each, for a signed-in person who may act on them
/// (the application checks again on every form).
pub fn overrides_section(
    viewer: &Viewer,
    catalog: &CatalogIndex,
    team: &EntityRef,
    schedules: &[EntityRef],
    overrides: &[StoredOverride],
) -> Markup {
    if schedules.is_empty() {
        return html! {};
    }
    let path = format!("/teams/{}", encode(team.name()));
    let may_act = |caller: &Caller| schedules.iter().any(|s| caller.may_act_on_schedule(catalog, s).is_ok());
    let acting = viewer.caller().filter(|caller| may_act(caller));
    let members: Vec<EntityRef> = catalog
        .group_and_descendants(team)
        .iter()
        .filter_map(|group| catalog.group(group))
        .flat_map(|info| info.members.iter().cloned())
        .collect();
    html! {
        section aria-labelledby="overrides" {
            h2 id="overrides" { "Overrides" }
            @if overrides.is_empty() { p { "No override is coming up: the rotations decide who is on call." } }
            @else {
                table.overrides {
                    thead { tr {
                        th scope="col" { "Schedule" } th scope="col" { "Who" } th scope="col" { "From" } th scope="col" { "Until" }
                        th scope="col" { "Why" } th scope="col" { "Made by" }
                        @if acting.is_some() { th scope="col" { span.skip { "Delete" } } }
                    } }
                    tbody {
                        @for over in overrides {
                            tr data-override=(over.id) {
                                td { (over.schedule.name()) }
                                td { (link(&over.person)) }
                                td { (when(over.start)) " UTC" }
                                td { (when(over.end)) " UTC" }
                                td { (over.reason.as_deref().unwrap_or("–")) }
                                td { (over.created_by) }
                                @if acting.is_some() {
                                    td {
                                        form method="post" action={ (path) "/overrides/" (over.id) "/delete" } class="delete-override" {
                                            (csrf_field(viewer))
                                            button type="submit" { "Delete override " (over.id) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @match (viewer.person(), acting) {
                (None, _) => p { a href={ "/sign-in?next=" (encode(&path)) } { "Sign in" } " to override who is on call." },
                (Some(_), None) => p { "Only the people of " (team.name()) " may override its schedules." },
                (Some(_), Some(_)) => {
                    form method="post" action={ (path) "/overrides" } class="override-form" {
                        (csrf_field(viewer))
                        label { "Schedule "
                            select name="schedule" {
                                @for schedule in schedules {
                                    option value=(schedule.name()) { (schedule.name())
                                        @if let Some(s) = catalog.schedule(schedule) { " (" (s.timezone.name()) ")" } }
                                }
                            }
                        }
                        label { " Who " input type="text" name="user" required list="override-people" placeholder="lena.fischer"; }
                        datalist id="override-people" { @for member in &members { option value=(member.name()) {} } }
                        label { " From " input type="datetime-local" name="from" required; }
                        label { " Until " input type="datetime-local" name="to" required; }
                        label { " Why " input type="text" name="reason" maxlength="500"; }
                        " "
                        button type="submit" { "Override" }
                        p.hint { "Times are the schedule's local time (its time zone is named above); at most 31 days." }
                    }
                }
            }
        }
    }
}

/// What the override form sends.
#[derive(Debug, Deserialize)]
pub struct OverrideForm {
    schedule: String,
    user: String,
    from: String,
    to: String,
    #[serde(default)]
    reason: Option<String>,
}

/// A refused form as a page: the reason, and the way back.
fn refused(error: AppError, team: &str, window: &PageWindow) -> Result<Response, WebError> {
    let back = format!("/teams/{}#overrides", encode(team));
    let label = format!("Back to {team}");
    let page = super::Refused {
        title: "Override refused",
        section: Section::Teams,
        back: &back,
        back_label: &label,
        json: "/api/v1/overrides",
    };
    super::refused(error, &page, window)
}

/// `POST /teams/{name}/overrides`: an override, as the signed-in person.
pub async fn create(
    State(state): State<AppState>,
    Path(team): Path<String>,
    viewer: Viewer,
    window: PageWindow,
    Form(form): Form<OverrideForm>,
) -> Result<Response, WebError> {
    let caller = viewer.signed_in("sign in to override: an override is made by a person")?;
    let request = OverrideRequest {
        schedule: form.schedule,
        user: form.user,
        from: form.from,
        to: form.to,
        reason: form.reason.filter(|r| !r.trim().is_empty()),
    };
    match state.create_override(caller, &request, Utc::now()).await {
        Ok(_) => Ok(super::see_other(&format!("/teams/{}#overrides", encode(&team)))),
        Err(error) => refused(error, &team, &window),
    }
}

/// `POST /teams/{name}/overrides/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path((team, id)): Path<(String, i64)>,
    viewer: Viewer,
    window: PageWindow,
) -> Result<Response, WebError> {
    let caller = viewer.signed_in("sign in to delete an override")?;
    match state.delete_override(caller, id).await {
        Ok(_) => Ok(super::see_other(&format!("/teams/{}#overrides", encode(&team)))),
        Err(error) => refused(error, &team, &window),
    }
}

/// `GET /oncall/{schedule}.ics`: the Schedule's shifts of the next 8 weeks.
pub async fn schedule_feed(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, WebError> {
    let name = ics_name(&file)?;
    feed(&state, CalendarOf::Schedule(name.to_owned()), &file).await
}

/// `GET /oncall/people/{user}.ics`: a person's shifts on every Schedule.
pub async fn person_feed(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, WebError> {
    let name = ics_name(&file)?;
    feed(&state, CalendarOf::Person(name.to_owned()), &file).await
}

/// The name before `.ics`.
fn ics_name(file: &str) -> Result<&str, WebError> {
    file.strip_suffix(".ics")
        .filter(|name| !name.is_empty())
        .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, format!("no feed `{file}`; a feed's address ends in .ics")))
}

async fn feed(state: &AppState, of: CalendarOf, file: &str) -> Result<Response, WebError> {
    let now = Utc::now().trunc_subsecs(0);
    let calendar = state.calendar(&of, now).await?;
    let catalog = state.catalog.current().await?;
    let person_feed = matches!(of, CalendarOf::Person(_));
    let events: Vec<Event> = calendar.shifts.iter().map(|shift| event(&catalog, shift, person_feed)).collect();
    let body = ical::calendar(&calendar.name, &events, now);
    let disposition = format!("inline; filename=\"{}\"", file.replace(['"', '\\'], ""));
    Ok((
        [
            (CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (CACHE_CONTROL, "private, max-age=300".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// A shift as an event. Its UID is a hash of what makes it this shift
/// (Schedule, person, start, end), so that it stays the same event however
/// often the feed is read, and changes when the shift does.
fn event(catalog: &CatalogIndex, shift: &OnCallShift, person_feed: bool) -> Event {
    let name = shift
        .person
        .as_ref()
        .and_then(|person| catalog.person(person))
        .map_or_else(|| shift.who(), |info| info.display_name.clone());
    let schedule = shift.schedule.name();
    let summary = if person_feed { format!("On call: {schedule}") } else { format!("On call: {schedule} ({name})") };
    let how = match (shift.source, &shift.rotation) {
        (ShiftSource::Rotation, Some(rotation)) => format!("the {rotation} rotation"),
        (ShiftSource::Rotation, None) => "its rotation".to_owned(),
        (ShiftSource::Override, _) => "an override".to_owned(),
        (ShiftSource::Recorded, _) => "a shift recorded from another tool".to_owned(),
    };
    let description = format!("{name} is on call for {schedule}, by {how}. From pavedroad.");
    let mut hash = Sha256::new();
    let identity = shift.person.as_ref().map_or_else(|| shift.who(), EntityRef::key);
    for part in [shift.schedule.key(), identity, instant(shift.start), instant(shift.end)] {
        hash.update(part.as_bytes());
        hash.update(b"\n");
    }
    let uid = format!("{}@pavedroad", hex::encode(&hash.finalize()[..16]));
    Event { uid, start: shift.start, end: shift.end, summary, description }
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
