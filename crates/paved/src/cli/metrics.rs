//! `paved metrics`.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, ValueEnum};
use paved_app::ScopeRequest;
use paved_app::metrics::dora_report;
use paved_app::render::duration;
use paved_metrics::{BenchmarkTable, DoraReport, Figures, Period, Tier, Window};

use super::client::local_store;
use crate::config::Config;
use crate::exit::BadInput;
use crate::output::out;
use crate::output::{Format, OutputArgs, print_json};

/// The DORA metrics of a service, a team or the whole organisation.
///
/// Deployment frequency, lead time for changes (median and p90, and by
/// stage for merged pull requests), change failure rate (with the rule
/// that made each deployment fail), failed deployment recovery time, time
/// to restore service and rework rate — each with its tier from a named
/// benchmark table — computed from the imported git history and the
/// recorded deployments and incidents, exactly as DESIGN §5 defines them
/// (docs/metrics.md). Only successful production deployments count. A
/// metric with no data says so instead of showing 0.
///
/// Examples:
///   paved metrics --team checkout
///   paved metrics --service checkout-api --since 2026-09-01 --by month
///   paved metrics --org --table dora-2021 --format json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
#[command(group(clap::ArgGroup::new("scope").args(["service", "team", "org"])))]
pub struct Cmd {
    /// One Component (`checkout-api` or `component:default/checkout-api`).
    #[arg(long)]
    service: Option<String>,
    /// The services a team (a Group) and the teams below it own.
    #[arg(long)]
    team: Option<String>,
    /// Every service (the default).
    #[arg(long)]
    org: bool,
    /// Start of the window: a date (2026-09-01, UTC) or an RFC 3339 time;
    /// default 90 days before --until.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// End of the window (exclusive); default now.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Add a series per ISO week or calendar month.
    #[arg(long, value_enum)]
    by: Option<By>,
    /// The benchmark table the tiers come from.
    #[arg(long, default_value = "dora-2023", value_parser = ["dora-2023", "dora-2021"])]
    table: String,
    /// List every failed deployment (text); by default the first 10.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    output: OutputArgs,
}

/// The period of a series.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum By {
    /// ISO weeks (Monday 00:00 UTC).
    Week,
    /// Calendar months.
    Month,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let scope = match (&cmd.service, &cmd.team) {
        (Some(service), _) => ScopeRequest::Service(service.clone()),
        (None, Some(team)) => ScopeRequest::Team(team.clone()),
        (None, None) => ScopeRequest::Org,
    };
    let window = Window::parse(cmd.since.as_deref(), cmd.until.as_deref(), Utc::now()).map_err(BadInput)?;
    let series = cmd.by.map(|by| match by {
        By::Week => Period::Week,
        By::Month => Period::Month,
    });
    let table: BenchmarkTable = cmd.table.parse().map_err(BadInput)?;
    let (store, catalog) = local_store(&config).await?;
    let report = dora_report(&store, &catalog, &config.ingest_settings(), &scope, window, series, table).await?;
    match cmd.output.format {
        Format::Json => print_json(&paved_app::wire::DoraReport::from(&report))?,
        Format::Text => out!("{}", text(&report, if cmd.all { usize::MAX } else { FAILED_SHOWN })),
    }
    Ok(ExitCode::SUCCESS)
}

fn or_none(value: Option<f64>, show: impl Fn(f64) -> String, none: &str) -> String {
    value.map_or_else(|| none.to_owned(), show)
}

fn tier(tier: Option<Tier>) -> &'static str {
    tier.map_or("", Tier::as_str)
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// The rows of the figures: name, value, tier.
fn rows(f: &Figures) -> Vec<(&'static str, String, &'static str)> {
    let df = &f.deployment_frequency;
    let lt = &f.lead_time_for_changes;
    let cfr = &f.change_failure_rate;
    let fdrt = &f.failed_deployment_recovery_time;
    let ttr = &f.time_to_restore_service;
    let rework = &f.rework_rate;
    let b = &f.lead_time_breakdown;
    let stage = |value: Option<f64>| or_none(value, duration, "–");
    vec![
        (
            "Deployment frequency",
            format!(
                "{} deployments, {:.2}/day, median {:.1} deploy days/week",
                df.deployments, df.per_day, df.median_deploy_days_per_week
            ),
            df.tier.as_str(),
        ),
        (
            "Lead time for changes",
            match (lt.median_seconds, lt.p90_seconds) {
                (Some(median), Some(p90)) => {
                    format!("median {}, p90 {} ({} changes)", duration(median), duration(p90), lt.changes)
                }
                _ => "no changes shipped in the window".to_owned(),
            },
            tier(lt.tier),
        ),
        (
            "Lead time breakdown",
            if b.pull_requests == 0 {
                "no merged pull requests reached production".to_owned()
            } else {
                format!(
                    "{} PRs: coding {}, pickup {}, review {}, deploy {}",
                    b.pull_requests,
                    stage(b.coding_median_seconds),
                    stage(b.pickup_median_seconds),
                    stage(b.review_median_seconds),
                    stage(b.deploy_median_seconds)
                )
            },
            "",
        ),
        (
            "Change failure rate",
            or_none(
                cfr.rate,
                |rate| format!("{} ({} of {})", percent(rate), cfr.failed, cfr.deployments),
                "no deployments",
            ),
            tier(cfr.tier),
        ),
        (
            "Failed deployment recovery",
            or_none(
                fdrt.median_seconds,
                |m| format!("median {} ({} recoveries)", duration(m), fdrt.recoveries),
                "no failed deployment recovered",
            ),
            tier(fdrt.tier),
        ),
        (
            "Time to restore service",
            or_none(
                ttr.median_seconds,
                |m| format!("median {} ({} incidents)", duration(m), ttr.incidents),
                "no incidents resolved",
            ),
            tier(ttr.tier),
        ),
        (
            "Rework rate",
            or_none(
                rework.rate,
                |rate| format!("{} ({} of {})", percent(rate), rework.rework, rework.deployments),
                "no deployments",
            ),
            "",
        ),
    ]
}

/// How many failed deployments the text lists without `--all`.
const FAILED_SHOWN: usize = 10;

/// The report for a terminal, within 100 columns, listing at most `shown`
/// failed deployments.
fn text(report: &DoraReport, shown: usize) -> String {
    let mut out = format!(
        "DORA metrics of {} {}, {} to {} ({:.0} days), tiers from {}\n\n",
        match report.scope.kind {
            paved_metrics::ScopeKind::Service => "service",
            paved_metrics::ScopeKind::Team => "team",
            paved_metrics::ScopeKind::Org => "the",
        },
        report.scope.name,
        report.window.since.format("%Y-%m-%d %H:%M"),
        report.window.until.format("%Y-%m-%d %H:%M"),
        report.window.days(),
        report.table.name()
    );
    for (name, value, tier) in rows(&report.figures) {
        out.push_str(format!("  {name:<28}{value:<60}{tier}").trim_end());
        out.push('\n');
    }
    let failed = &report.figures.change_failure_rate.failed_deployments;
    if !failed.is_empty() {
        out.push_str("\nFailed deployments:\n");
        for deployment in failed.iter().take(shown) {
            let rule = match deployment.rule {
                paved_metrics::FailureRule::Incident => "an incident is linked to it",
                paved_metrics::FailureRule::Rollback => "rolled back",
                paved_metrics::FailureRule::AttributionWindow => "an incident opened within 24 h after it",
            };
            out.push_str(&format!("  {}  ({rule})\n", deployment.id));
        }
        if failed.len() > shown {
            out.push_str(&format!(
                "  ... and {} more (--all lists them, --format json has them all)\n",
                failed.len() - shown
            ));
        }
    }
    if !report.series.is_empty() {
        out.push_str(&format!(
            "\n  {:<12}{:>7}{:>14}{:>9}{:>10}{:>10}\n",
            "period", "deploys", "lead time p50", "CFR", "recovery", "rework"
        ));
        for point in &report.series {
            let f = &point.figures;
            out.push_str(&format!(
                "  {:<12}{:>7}{:>14}{:>9}{:>10}{:>10}\n",
                point.period_start.format("%Y-%m-%d"),
                point.deployments,
                or_none(f.lead_time_for_changes.median_seconds, duration, "–"),
                or_none(f.change_failure_rate.rate, percent, "–"),
                or_none(f.failed_deployment_recovery_time.median_seconds, duration, "–"),
                or_none(f.rework_rate.rate, percent, "–"),
            ));
        }
    }
    if !report.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for note in &report.notes {
            out.push_str(&format!("  - {}\n", note.message));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration(45.0), "45s");
        assert_eq!(duration(720.0), "12m");
        assert_eq!(duration(12_000.0), "3h 20m");
        assert_eq!(duration(187_200.0), "2d 4h");
    }
}
