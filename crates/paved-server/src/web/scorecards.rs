//! Scorecards on the pages: `/scorecards` (every scorecard's levels and
//! services), and the panels of the service and team pages. They show the
//! results kept by the last evaluation (`paved scorecard`, the API, the
//! server's periodic one): a page evaluates nothing.

use std::collections::BTreeMap;

use axum::extract::State;
use maud::{Markup, html};
use paved_app::scorecards::{Outcome, ScoreScope, ServiceScore};

use super::{PageWindow, Section, WebError, layout};
use crate::AppState;

fn level(level: &Option<String>) -> &str {
    level.as_deref().unwrap_or("below the first level")
}

fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Exempt => "exempt",
        Outcome::Fail => "fail",
        Outcome::NoData => "nodata",
        Outcome::NotApplicable => "na",
    }
}

/// The scores of one scorecard, grouped.
fn by_card(scores: &[ServiceScore]) -> BTreeMap<String, Vec<&ServiceScore>> {
    let mut cards: BTreeMap<String, Vec<&ServiceScore>> = BTreeMap::new();
    for score in scores {
        cards.entry(score.scorecard.key()).or_default().push(score);
    }
    cards
}

/// How many services stand at each level, below the first first.
fn distribution(scores: &[&ServiceScore]) -> Markup {
    let Some(first) = scores.first() else { return html! {} };
    let levels: Vec<Option<String>> = std::iter::once(None).chain(first.levels.iter().cloned().map(Some)).collect();
    html! {
        p.distribution {
            @for (i, at) in levels.iter().enumerate() {
                @let n = scores.iter().filter(|s| &s.level == at).count();
                @if i > 0 { " · " }
                span data-level=(at.as_deref().unwrap_or("none")) data-services=(n) { strong { (n) } " " (level(at)) }
            }
        }
    }
}

/// One service's rules: outcome, figure, threshold and the fix.
fn rules_table(score: &ServiceScore) -> Markup {
    html! {
        table.scorecard-rules {
            thead { tr {
                th scope="col" { "Level" } th scope="col" { "Rule" } th scope="col" { "Outcome" }
                th scope="col" { "Figure" } th scope="col" { "Wants" } th scope="col" { "Fix" }
            } }
            tbody { @for rule in &score.rules { tr data-rule=(rule.rule) data-outcome=(outcome_class(rule.outcome)) {
                td { (rule.level) }
                th scope="row" { (rule.rule) }
                td class=(outcome_class(rule.outcome)) { (rule.outcome.label()) }
                td { (rule.shown) }
                td { (rule.threshold.as_deref().unwrap_or("–")) }
                td {
                    @if let Some(exemption) = &rule.exemption { "exempt until " (exemption.until) ": " (exemption.reason) }
                    @else if let Some(fix) = &rule.fix { (fix) }
                }
            } } }
        }
    }
}

/// The Scorecards panel of a service's page.
pub(super) fn service_panel(service: &str, scores: &[ServiceScore]) -> Markup {
    html! {
        section aria-labelledby="scorecards" {
            h2 id="scorecards" { "Scorecards" }
            @if scores.is_empty() {
                p { "No scorecard result is kept for this service yet: " code { "paved scorecard --service " (service) } " evaluates it." }
            }
            @for score in scores {
                h3 data-scorecard=(score.scorecard.name()) data-level=(score.level.as_deref().unwrap_or("none")) {
                    (score.title) ": " (level(&score.level))
                }
                p {
                    "Score " (format!("{:.0}", score.score * 100.0)) " %, evaluated for " (score.day)
                    @if let Some(next) = &score.next_level { "; for " (next) ", the rules that do not pass below" }
                    ". " a href="/scorecards" { "Every service" }
                }
                (rules_table(score))
            }
        }
    }
}

/// The Scorecards panel of a team's page: its services' levels.
pub(super) fn team_panel(scores: &[ServiceScore]) -> Markup {
    html! {
        section aria-labelledby="scorecards" {
            h2 id="scorecards" { "Scorecards" }
            @if scores.is_empty() { p { "No scorecard result is kept for this team's services yet." } }
            @for (_, card) in by_card(scores) {
                h3 { (card[0].title) }
                (distribution(&card))
                (services_table(&card))
            }
        }
    }
}

fn services_table(scores: &[&ServiceScore]) -> Markup {
    html! {
        table {
            thead { tr { th scope="col" { "Service" } th scope="col" { "Level" } th.num scope="col" { "Score" } th scope="col" { "What the next level lacks" } } }
            tbody { @for score in scores { tr data-service=(score.service.name()) {
                th scope="row" { a href=(super::page_path(&score.service)) { (score.service.name()) } }
                td { (level(&score.level)) }
                td.num { (format!("{:.0} %", score.score * 100.0)) }
                td {
                    @let lacking: Vec<&str> = score.rules.iter()
                        .filter(|r| !r.outcome.counts() && score.next_level.as_deref().is_some_and(|next| score.levels.iter().position(|l| l == &r.level) <= score.levels.iter().position(|l| l == next)))
                        .map(|r| r.rule.as_str()).collect();
                    @if let Some(next) = &score.next_level { (next) ": " (lacking.join(", ")) } @else { "–" }
                }
            } } }
        }
    }
}

/// `GET /scorecards`: every scorecard, its levels' distribution and each
/// service's level.
pub async fn page(State(state): State<AppState>, window: PageWindow) -> Result<Markup, WebError> {
    let scores = state.kept_scores(&ScoreScope::default()).await?;
    let declared = state.catalog.current().await.map_err(paved_app::AppError::from)?.scorecards().len();
    let content = html! {
        @if declared == 0 {
            p { "The catalog has no Scorecard yet: declare one (" code { "kind: Scorecard" } ", see the README's scorecards section)." }
        } @else if scores.is_empty() {
            p { "No result is kept yet: " code { "paved scorecard" } " evaluates every service (the server does once a day)." }
        }
        @for (_, card) in by_card(&scores) {
            section aria-labelledby=(format!("card-{}", card[0].scorecard.name())) {
                h2 id=(format!("card-{}", card[0].scorecard.name())) { (card[0].title) " (" (card[0].levels.join(" < ")) ")" }
                (distribution(&card))
                (services_table(&card))
            }
        }
    };
    Ok(layout("Scorecards", Section::Services, "/scorecards", &window, "/api/v1/scorecards", content))
}
