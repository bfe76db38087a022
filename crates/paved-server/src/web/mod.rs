//! The web UI at `/`: server-rendered pages (maud), charts as inline SVG,
//! no script, no font, nothing fetched from anywhere but this server. Every
//! page has a stable URL, a window selector (30, 90 or 180 days) and a link
//! to the JSON behind it.
//!
//! Who reads a page, signing in and out, and the check every form passes
//! are in [`session`]: its layer covers every route here but the assets.

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use maud::{DOCTYPE, Markup, html};
use paved_domain::{EntityKind, EntityRef};
use paved_metrics::{Severity, Verdict, Window};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{ApiError, AppState};

mod contacts;
mod deploys;
mod incidents;
mod oncall;
mod overview;
mod people;
mod quality;
mod report;
mod resources;
mod schema_form;
mod scorecards;
mod services;
pub mod session;
mod teams;
mod templates;

/// The windows a page offers, in days.
pub const WINDOWS: [i64; 3] = [30, 90, 180];
/// The window a page shows by default.
pub const DEFAULT_DAYS: i64 = 90;

/// Every route of the UI that takes a form (`POST`). Each is behind
/// [`session::guard`], which refuses a form from another site or without
/// the viewer's CSRF token before the handler runs; a test posts to each of
/// these without a token and expects 403. A new form route goes here.
pub const FORM_ROUTES: [&str; 12] = [
    "/sign-in",
    "/sign-out",
    "/services/checkout-api/deploy",
    "/services/checkout-api/resources",
    "/services/checkout-api/resources/checkout-api-orders/delete",
    "/teams/checkout/overrides",
    "/teams/checkout/overrides/1/delete",
    "/incident-answer",
    "/act/v1.e30.c2ln",
    "/people/ana/contacts",
    "/people/ana/contacts/1/delete",
    "/templates/python-service/runs",
];

/// The UI's routes: the pages (behind the sign-in requirement when it is
/// configured), the forms, all of them behind the session guard; and the
/// assets and the calendar feeds (read by calendar apps, which cannot sign
/// in), open to all.
pub fn routes(state: &AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(overview::page))
        .route("/teams", get(teams::list))
        .route("/teams/{name}", get(teams::page))
        .route("/services", get(services::list))
        .route("/services/{name}", get(services::page))
        .route("/templates", get(templates::list))
        .route("/scorecards", get(scorecards::page))
        .route("/templates/runs/{id}", get(templates::show_run))
        .route("/deployments/{*key}", get(services::deployment))
        .route("/report", get(report::page))
        .route("/people/{name}", get(people::page))
        .route("/data-quality", get(quality::page))
        .route("/deploys/{id}", get(deploys::page))
        .route("/incidents/{*key}", get(incidents::page))
        .route("/act/{token}", get(incidents::confirm).post(incidents::act))
        .route_layer(from_fn_with_state(state.clone(), session::require_sign_in));
    let forms = Router::new()
        .route("/sign-in", get(session::sign_in_form).post(session::sign_in))
        .route("/sign-out", post(session::sign_out))
        .route("/services/{name}/deploy", post(deploys::start))
        .route("/services/{name}/resources", post(resources::request))
        .route("/services/{name}/resources/{resource}/delete", post(resources::remove))
        .route("/incident-answer", post(incidents::answer))
        .route("/teams/{name}/overrides", post(oncall::create))
        .route("/teams/{name}/overrides/{id}/delete", post(oncall::delete))
        .route("/people/{name}/contacts", post(contacts::add))
        .route("/people/{name}/contacts/{id}/delete", post(contacts::remove))
        .route("/templates/{name}/runs", post(templates::run));
    let assets = Router::new()
        .route("/assets/style.css", get(stylesheet))
        .route("/assets/favicon.svg", get(favicon))
        .route("/assets/deploy-log.js", get(deploys::script))
        .route("/oncall/{file}", get(oncall::schedule_feed))
        .route("/oncall/people/{file}", get(oncall::person_feed));
    pages.merge(forms).route_layer(from_fn_with_state(state.clone(), session::guard)).merge(assets)
}

async fn stylesheet() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], STYLE).into_response()
}

async fn favicon() -> Response {
    ([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "public, max-age=86400")], FAVICON).into_response()
}

/// The window of a page: `?days=30|90|180`, ending now (to the minute, so
/// that pages within a minute share their figures).
#[derive(Debug, Clone, Copy)]
pub struct PageWindow {
    /// The days asked for.
    pub days: i64,
    /// The window.
    pub window: Window,
}

impl<S: Send + Sync> FromRequestParts<S> for PageWindow {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let days = match days_parameter(parts.uri.query()) {
            None => DEFAULT_DAYS,
            Some(text) => text.parse().ok().filter(|days| WINDOWS.contains(days)).ok_or_else(|| {
                WebError::new(StatusCode::BAD_REQUEST, format!("days must be 30, 90 or 180, not `{text}`"))
            })?,
        };
        Ok(Self { days, window: window_of(days) })
    }
}

/// The last `days` days up to the current minute (so that the pages, the
/// API's reports and `/metrics` asked within one minute share a window and
/// its memoised report).
fn window_of(days: i64) -> Window {
    let until = Utc::now().trunc_subsecs(0);
    let until = until - Duration::seconds(i64::from(chrono::Timelike::second(&until)));
    Window::new(until - Duration::days(days), until).expect("a positive window")
}

/// The pages' default window (the last [`DEFAULT_DAYS`] days, to the
/// minute), which `/metrics`' gauges use too.
pub(crate) fn default_window() -> Window {
    window_of(DEFAULT_DAYS)
}

/// The value of `days` in a query string, as written (percent-decoded).
fn days_parameter(query: Option<&str>) -> Option<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(name, _)| *name == "days")
        .map(|(_, value)| percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned())
}

impl PageWindow {
    /// The window's bounds as API query parameters.
    pub fn api_query(&self) -> String {
        format!(
            "since={}&until={}",
            self.window.since.format("%Y-%m-%dT%H:%M:%SZ"),
            self.window.until.format("%Y-%m-%dT%H:%M:%SZ")
        )
    }
}

/// A page that could not be made, shown as an HTML page.
#[derive(Debug)]
pub struct WebError {
    status: StatusCode,
    message: String,
}

impl WebError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> Self {
        Self::new(error.status(), error.message())
    }
}

impl From<paved_app::AppError> for WebError {
    fn from(error: paved_app::AppError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<paved_store::StoreError> for WebError {
    fn from(error: paved_store::StoreError) -> Self {
        ApiError::from(error).into()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let title = if self.status == StatusCode::NOT_FOUND { "Not found" } else { "Something went wrong" };
        let body = html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { (title) " — pavedroad" } (head_links()) }
                body { main { h1 { (title) } p { (self.message) } p { a href="/" { "Back to the overview" } } } }
            }
        };
        (self.status, body).into_response()
    }
}

/// The section of the site a page belongs to, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The overview.
    Overview,
    /// Teams.
    Teams,
    /// Services.
    Services,
    /// The report.
    Report,
    /// People.
    People,
    /// Data quality.
    Quality,
}

/// A whole page: navigation, who is signed in (the viewer of the request
/// being served, set by [`session::guard`]), the window selector, the
/// content, and the link to the JSON behind it.
/// 303 See Other to a local path, not cached: where a form's POST goes next.
pub(crate) fn see_other(location: &str) -> Response {
    let location = axum::http::HeaderValue::from_str(location).unwrap_or(axum::http::HeaderValue::from_static("/"));
    (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, location), (CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"))],
    )
        .into_response()
}

/// Where a refused form sends the person back to, and what the page is.
pub(crate) struct Refused<'a> {
    /// The page's title (`Override refused`).
    pub title: &'a str,
    /// The section of the site.
    pub section: Section,
    /// The path of the page the form was on, with its anchor.
    pub back: &'a str,
    /// How the link back reads (`Back to checkout`).
    pub back_label: &'a str,
    /// The JSON alternative of the page.
    pub json: &'a str,
}

/// The page of a form the application refused: its reason, with the status
/// it means (403, 404, 400); any other error is the server's.
pub(crate) fn refused(
    error: paved_app::AppError,
    page: &Refused<'_>,
    window: &PageWindow,
) -> Result<Response, WebError> {
    let status = match &error {
        paved_app::AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        paved_app::AppError::NotFound(_) => StatusCode::NOT_FOUND,
        error if error.is_bad_input() => StatusCode::BAD_REQUEST,
        _ => return Err(error.into()),
    };
    let content = html! {
        p.refused { (error.message()) }
        p { a href=(page.back) { (page.back_label) } }
    };
    let path = page.back.split('#').next().unwrap_or("/");
    Ok((status, layout(page.title, page.section, path, window, page.json, content)).into_response())
}

pub fn layout(title: &str, section: Section, path: &str, window: &PageWindow, json: &str, content: Markup) -> Markup {
    let nav = [
        (Section::Overview, "/", "Overview"),
        (Section::Teams, "/teams", "Teams"),
        (Section::Services, "/services", "Services"),
        (Section::Report, "/report", "Report"),
        (Section::Quality, "/data-quality", "Data quality"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — pavedroad" }
                (head_links())
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header {
                    a.brand href="/" { "pavedroad" }
                    nav aria-label="Sections" {
                        ul {
                            @for (s, href, name) in nav {
                                li { a href=(href) aria-current=[(s == section).then_some("page")] { (name) } }
                            }
                        }
                    }
                    (session::header_status())
                }
                main id="main" {
                    div.toolbar {
                        h1 { (title) }
                        nav.window aria-label="Window" {
                            span { "Last " }
                            @for days in WINDOWS {
                                a href=(format!("{path}?days={days}")) aria-current=[(days == window.days).then_some("true")] { (days) " days" }
                            }
                        }
                    }
                    p.period { (window.window.since.format("%Y-%m-%d")) " to " (window.window.until.format("%Y-%m-%d %H:%M")) " UTC" }
                    (content)
                }
                footer {
                    p { "The data behind this page: " a.json href=(json) { code { (json) } } " · " a href="/api/v1/openapi.json" { "API" } }
                }
            }
        }
    }
}

/// A verdict as a badge.
pub fn verdict(verdict: Verdict) -> Markup {
    let (class, text) = match verdict {
        Verdict::Culture => ("good", "culture"),
        Verdict::Transition => ("middle", "transition"),
        Verdict::Role => ("bad", "role"),
        Verdict::NoData => ("none", "no data"),
    };
    html! { span.badge.(class) { (text) } }
}

/// A severity as a badge.
pub fn severity(severity: Severity) -> Markup {
    let (class, text) = match severity {
        Severity::Ok => ("good", "ok"),
        Severity::Warning => ("middle", "warning"),
        Severity::Critical => ("bad", "critical"),
    };
    html! { span.badge.(class) { (text) } }
}

/// What a path segment built from data must escape: everything but
/// unreserved characters (RFC 3986), so that `/`, `?`, `#`, `%` and quotes
/// in a name or key stay inside the segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `text` percent-encoded as one path segment or one query value.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The path of the page of a person, team or service (the entity's API
/// resource for other kinds), each segment percent-encoded.
pub fn page_path(entity: &EntityRef) -> String {
    let name = encode(entity.name());
    match entity.entity_kind() {
        Some(EntityKind::User) => format!("/people/{name}"),
        Some(EntityKind::Group) => format!("/teams/{name}"),
        Some(EntityKind::Component) => format!("/services/{name}"),
        _ => format!("/api/v1/entities/{}/{}/{name}", encode(entity.kind()), encode(entity.namespace())),
    }
}

/// A link to the page of a person, team or service.
pub fn link(entity: &EntityRef) -> Markup {
    html! { a href=(page_path(entity)) { (entity.name()) } }
}

/// A URL from the data (a runbook, a deployment's link) as a link when it
/// is `http`, `https` or `mailto`, else as text: a `javascript:` or `data:`
/// URL from a descriptor or a payload never becomes something to click.
pub fn external_link(url: &str) -> Markup {
    let scheme = url.trim_start().split(':').next().unwrap_or_default().to_ascii_lowercase();
    let linkable = url.contains(':') && matches!(scheme.as_str(), "http" | "https" | "mailto");
    html! {
        @if linkable { a href=(url) rel="noopener noreferrer" { (url) } }
        @else { code { (url) } }
    }
}

/// A share as a percentage.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

/// A duration for people, or a dash.
pub fn duration(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "–".to_owned(), paved_app::render::duration)
}

/// Evidence: its sentence, then links to the people, teams and services it
/// names.
pub fn evidence(evidence: &paved_metrics::Evidence) -> Markup {
    let named: Vec<&EntityRef> = evidence.people.iter().chain(&evidence.teams).chain(&evidence.services).collect();
    html! {
        (paved_app::render::findings::evidence(&evidence.fact))
        @if !named.is_empty() {
            " — "
            @for (i, entity) in named.iter().enumerate() {
                @if i > 0 { ", " }
                (link(entity))
            }
        }
    }
}

/// A finding with its evidence and recommendation.
pub fn finding(finding: &paved_metrics::Finding, evidence_shown: usize) -> Markup {
    let class = match finding.severity {
        Severity::Ok => "ok",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    };
    html! {
        section.finding.(class) id=(finding.id) {
            h3 { (finding.title) " " (severity(finding.severity)) }
            p { (paved_app::render::findings::summary(&finding.summary)) }
            @if !finding.evidence.is_empty() {
                ul { @for e in finding.evidence.iter().take(evidence_shown) { li { (evidence(e)) } } }
            }
            @if finding.severity != Severity::Ok {
                p { strong { "What to do: " } (finding.recommendation) }
                @if let Some(road) = paved_app::render::findings::paved_road(finding.id) {
                    p.paved-road { (road) " " a href=(paved_app::render::findings::GOLDEN_PATHS) { "The golden paths" } }
                }
            }
        }
    }
}

/// The four lines of the test as cards.
pub fn four_lines(test: &paved_metrics::FourLineTest) -> Markup {
    let lines = [
        ("Developers deploy their own code", &test.deploy_own_code, "production deployments"),
        ("Developers are on call for their services", &test.on_call_own_services, "on-call hours"),
        ("Developers own their pipelines", &test.own_pipelines, "pipeline commits"),
        ("Developers provision what they need", &test.self_provision, "infrastructure commits"),
    ];
    html! {
        div.cards {
            @for (name, line, what) in lines {
                div.card {
                    div.label { (name) }
                    div.value { (percent(line.value)) " " (verdict(line.verdict)) }
                    div.label {
                        @if line.total > 0.0 {
                            (format!("{:.0}", line.by_owners)) " of " (format!("{:.0}", line.total)) " "
                            (match line.basis {
                                "acknowledgements" => "acknowledged incidents",
                                "commits_and_requests" => "infrastructure commits and self-service requests",
                                _ => what,
                            })
                            " by owners"
                        } @else { "nothing to judge by" }
                        @if line.unattributed > 0 { " (" (line.unattributed) " by people not in the catalog)" }
                    }
                }
            }
        }
    }
}

/// What developers did themselves, per month: deployments performed
/// independently and resources provisioned themselves (DESIGN §7, the
/// measure of success).
pub fn self_service(done: &paved_metrics::SelfService) -> Markup {
    let c = &done.counts;
    html! {
        div.cards {
            div.card {
                div.label { "Deployments developers performed independently" }
                div.value { (c.deployments_by_owners) }
                div.label { "of " (c.deployments) " production deployments; " (c.deployments_through_paved) " through pavedroad" }
            }
            div.card {
                div.label { "Resources developers provisioned themselves" }
                div.value { (c.resources_by_owners) }
                div.label { "through self-service, no ticket" @if c.resources > c.resources_by_owners { " (of " (c.resources) " in all)" } }
            }
        }
        table {
            caption { "Per month" }
            thead { tr { th scope="col" { "Month" } th.num scope="col" { "Deployments performed independently" } th.num scope="col" { "Through pavedroad" } th.num scope="col" { "Resources provisioned themselves" } } }
            tbody {
                @for p in &done.series {
                    tr {
                        th scope="row" { (paved_app::render::month_label(p.period_start, p.partial)) }
                        td.num { (p.counts.deployments_by_owners) " of " (p.counts.deployments) }
                        td.num { (p.counts.deployments_through_paved) }
                        td.num { (p.counts.resources_by_owners) }
                    }
                }
            }
        }
    }
}

/// DORA tiles with their tiers and the table they come from.
pub fn dora_tiles(dora: &paved_metrics::DoraReport) -> Markup {
    let f = &dora.figures;
    let tier = |t: Option<paved_metrics::Tier>| t.map_or("–", |t| t.as_str());
    let tiles = [
        (
            "Deployment frequency",
            format!("{} deploys", f.deployment_frequency.deployments),
            format!("{:.1} deploy days a week", f.deployment_frequency.median_deploy_days_per_week),
            f.deployment_frequency.tier.as_str(),
        ),
        (
            "Lead time for changes",
            duration(f.lead_time_for_changes.median_seconds),
            format!(
                "median of {} changes; p90 {}",
                f.lead_time_for_changes.changes,
                duration(f.lead_time_for_changes.p90_seconds)
            ),
            tier(f.lead_time_for_changes.tier),
        ),
        (
            "Change failure rate",
            percent(f.change_failure_rate.rate),
            format!("{} of {} deployments", f.change_failure_rate.failed, f.change_failure_rate.deployments),
            tier(f.change_failure_rate.tier),
        ),
        (
            "Failed deployment recovery",
            duration(f.failed_deployment_recovery_time.median_seconds),
            format!("median of {} recoveries", f.failed_deployment_recovery_time.recoveries),
            tier(f.failed_deployment_recovery_time.tier),
        ),
        (
            "Time to restore service",
            duration(f.time_to_restore_service.median_seconds),
            format!("median of {} incidents", f.time_to_restore_service.incidents),
            tier(f.time_to_restore_service.tier),
        ),
        (
            "Rework rate",
            percent(f.rework_rate.rate),
            format!("{} of {} deployments", f.rework_rate.rework, f.rework_rate.deployments),
            "–",
        ),
    ];
    html! {
        div.cards {
            @for (name, value, detail, tier) in tiles {
                div.card data-metric=(name) {
                    div.label { (name) }
                    div.value { (value) }
                    div.label { (detail) }
                    @if tier == "–" {
                        div.label.no-tier {
                            @if value == "–" { "No tier: nothing in this window to rate (" (dora.table.name()) ")" }
                            @else { "No tier: the DORA benchmark tables (" (dora.table.name()) ") do not rate this figure" }
                        }
                    } @else {
                        div.label { "Tier: " strong { (tier) } " (" (dora.table.name()) ")" }
                    }
                }
            }
        }
    }
}

/// A short date and time.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// The stylesheet and the icon, in every page's head.
fn head_links() -> Markup {
    html! {
        link rel="stylesheet" href="/assets/style.css";
        link rel="icon" type="image/svg+xml" href="/assets/favicon.svg";
    }
}

/// The icon: a road, paved.
const FAVICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><title>pavedroad</title><path d="M11 2h10l7 28H4z" fill="#1f2328"/><path d="M15 5h2v5h-2zm0 8h2v6h-2zm-.5 9h3l.5 7h-4z" fill="#f6f8fa"/></svg>"##;

const STYLE: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--panel:#f6f8fa;--link:#0550ae;--good:#1a7f37;--middle:#9a6700;--bad:#cf222e}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}a:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.75rem 1.5rem;border-bottom:1px solid var(--line);background:var(--panel)}
.brand{font-weight:700;font-size:1.2rem;text-decoration:none;color:var(--fg)}
header ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
header a[aria-current=page]{font-weight:700;color:var(--fg)}
main{max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem}
.toolbar{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:.5rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}h3{font-size:1.05rem;margin:1rem 0 .25rem}
.window a{margin-left:.5rem}.window a[aria-current=true]{font-weight:700;color:var(--fg);text-decoration:none}
.period{color:var(--muted);margin:0 0 1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:.75rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;background:var(--panel)}
.card .value{font-size:1.8rem;font-weight:700}.card .label{color:var(--muted)}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.85rem;font-weight:600;color:#fff}
.badge.good{background:var(--good)}.badge.middle{background:var(--middle)}.badge.bad{background:var(--bad)}.badge.none{background:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600}td.num,th.num{text-align:right}
.finding{border-left:4px solid var(--line);padding:.25rem 1rem;margin:1rem 0;background:var(--panel)}
.finding.critical{border-color:var(--bad)}.finding.warning{border-color:var(--middle)}.finding.ok{border-color:var(--good)}
figure.chart{margin:1rem 0}figure.chart>svg{width:100%;height:auto}.partial-note{color:var(--muted);font-size:.85em}
.grid{stroke:#e1e4e8}.axis{stroke:var(--fg)}.tick{font-size:12px;fill:var(--muted)}.unit{font-size:12px;fill:var(--muted)}
.legend{display:flex;gap:1rem;list-style:none;padding:0;margin:.25rem 0}.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
figcaption{font-weight:600}details{margin:.25rem 0}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin:1rem 0}form.filters label{display:flex;flex-direction:column;font-size:.9rem}
input,select,button{font:inherit;padding:.3rem .4rem}
footer{border-top:1px solid var(--line);padding:1rem 1.5rem;color:var(--muted);font-size:.9rem}
.after-hours{color:var(--bad);font-weight:600}
code{overflow-wrap:anywhere}
.session{margin-left:auto;color:var(--muted)}.session form{display:inline}
.session button{background:none;border:0;padding:0;color:var(--link);text-decoration:underline;cursor:pointer}
form.sign-in{display:flex;flex-direction:column;gap:.5rem;max-width:32rem}
.problem{color:var(--bad);font-weight:600}
form.override-form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:1rem 0}.hint{color:var(--muted);flex-basis:100%;margin:0}
form.request-resource fieldset{display:flex;flex-direction:column;gap:.75rem;max-width:36rem;margin:1rem 0;border:1px solid var(--line);border-radius:6px}
form.request-resource .field{display:flex;flex-direction:column;gap:.2rem}form.request-resource .field.flag{flex-direction:row;flex-wrap:wrap;align-items:center}form.request-resource button{align-self:start}
form.remove-resource input{width:12rem}.once{border-left:4px solid var(--middle);padding:.5rem 1rem;background:var(--panel)}
@media (max-width:48rem){main{padding:.5rem}th,td{padding:.3rem}table{display:block;overflow-x:auto}table.services .wide{display:none}table.services{display:table}}
"#;
