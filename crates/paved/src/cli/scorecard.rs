//! `paved scorecard [--service S | --team T] [--history S]`: each service's
//! level on each `kind: Scorecard`, with every rule's figure and fix.

use std::process::ExitCode;

use clap::Args;
use paved_app::scorecards::{Outcome, ScoreHistory, ScoreScope, ScorecardResults, ServiceScore};

use super::client::Target;
use super::oncall::{ItemsOf, Where, call, call_list, encode, open};
use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;
use crate::output::{Format, OutputArgs, outln, print_json};

/// Each service's maturity level on each scorecard of the catalog (`kind:
/// Scorecard`), from configuration and behaviour: who deploys, who is on
/// call, who changes pipelines, DORA tiers.
///
/// A service reaches a level when every rule of that level and of every
/// level below passes (or is exempted until a date); a rule without data
/// in its window does not pass. Each rule shows its figure and, when it
/// does not pass, its fix. Every evaluation is kept as the day's result:
/// `--history SERVICE` lists the days kept and when the level changed.
///
/// On the local database it evaluates now. With --server it shows what the
/// server last kept (it evaluates once a day), or with --evaluate has it
/// evaluate now.
///
/// Examples:
///   paved scorecard
///   paved scorecard --team checkout --format json
///   paved scorecard --service checkout-api
///   paved scorecard --history checkout-api
///   paved scorecard --server https://paved.acme.example --token "$PAVED_TOKEN" --evaluate
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// Only this service (`checkout-api`).
    #[arg(long, conflicts_with_all = ["team", "history"])]
    service: Option<String>,
    /// Only this team's services (`checkout`).
    #[arg(long, conflicts_with = "history")]
    team: Option<String>,
    /// The kept days of this service instead (`checkout-api`).
    #[arg(long, value_name = "SERVICE")]
    history: Option<String>,
    /// How many days of history (default 90).
    #[arg(long, default_value_t = 90, requires = "history")]
    days: u32,
    /// With --server: evaluate now instead of showing what the server last
    /// kept.
    #[arg(long, conflicts_with = "history")]
    evaluate: bool,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

impl Cmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        self.target.overrides(flags)
    }
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let place = open(&config).await?;
    if let Some(service) = &cmd.history {
        if !(1..=paved_domain::scorecard::MAX_WINDOW_DAYS).contains(&cmd.days) {
            return Err(BadInput(format!("--days {} is not between 1 and 730", cmd.days)).into());
        }
        let history: Vec<ScoreHistory> = match place {
            Where::Local(app) => app.scorecard_history(service, cmd.days).await?,
            Where::Server { base, token } => {
                let path = format!("/api/v1/scorecards/services/{}/history?days={}", encode(service), cmd.days);
                call_list(&base, &token, &path).await?
            }
        };
        if cmd.output.format == Format::Json {
            print_json(&history)?;
        } else {
            print_history(service, &history)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let results: Vec<ScorecardResults> = match place {
        Where::Local(app) => {
            let scope = ScoreScope { service: cmd.service, team: cmd.team };
            app.evaluate_scorecards(&paved_app::Caller::Local, &scope, None).await?
        }
        Where::Server { base, token } if cmd.evaluate => {
            let body = serde_json::json!({ "service": cmd.service, "team": cmd.team });
            let page: ItemsOf<ScorecardResults> =
                call(&base, &token, reqwest::Method::POST, "/api/v1/scorecards/evaluate", Some(body)).await?;
            page.items
        }
        Where::Server { base, token } => {
            let query: Vec<String> = [("service", &cmd.service), ("team", &cmd.team)]
                .into_iter()
                .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={}", encode(v))))
                .collect();
            call_list(&base, &token, &format!("/api/v1/scorecards?{}", query.join("&"))).await?
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&results)?;
        return Ok(ExitCode::SUCCESS);
    }
    if results.is_empty() {
        outln!(
            "The catalog has no Scorecard yet: declare one (`kind: Scorecard`, see the README's scorecards section)."
        );
    }
    for card in &results {
        print_card(card)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn level(level: &Option<String>) -> &str {
    level.as_deref().unwrap_or("below the first level")
}

fn print_card(card: &ScorecardResults) -> anyhow::Result<()> {
    let spread: Vec<String> = card.distribution.iter().map(|d| format!("{} {}", d.services, level(&d.level))).collect();
    outln!("{} ({}): {}", card.title, card.levels.join(" < "), spread.join(", "));
    for service in &card.services {
        print_service(service)?;
    }
    outln!();
    Ok(())
}

fn print_service(score: &ServiceScore) -> anyhow::Result<()> {
    let next = score.next_level.as_deref().map(|n| format!("; for {n}: the rules marked below")).unwrap_or_default();
    outln!("  {}: {} (score {:.0} %){next}", score.service.name(), level(&score.level), score.score * 100.0);
    for rule in &score.rules {
        let mark = match rule.outcome {
            Outcome::Pass => "pass",
            Outcome::Exempt => "exempt",
            Outcome::Fail => "FAIL",
            Outcome::NoData => "no data",
            Outcome::NotApplicable => "n/a",
        };
        let threshold = rule.threshold.as_deref().map(|t| format!(" (wants {t})")).unwrap_or_default();
        outln!("    {} {:<7} {}: {}{threshold}", crate::colour::mark(mark, 8), rule.level, rule.rule, rule.shown);
        if let Some(exemption) = &rule.exemption {
            outln!("             exempt until {}: {}", exemption.until, exemption.reason);
        } else if let Some(fix) = &rule.fix {
            outln!("             fix: {fix}");
        }
    }
    Ok(())
}

fn print_history(service: &str, history: &[ScoreHistory]) -> anyhow::Result<()> {
    if history.is_empty() {
        outln!("No scorecard result is kept for {service} yet: `paved scorecard --service {service}` evaluates it.");
    }
    for card in history {
        outln!("{} on {}:", service, card.scorecard.name());
        for day in &card.days {
            outln!("  {}  {:<22} {:.0} %", day.day, level(&day.level), day.score * 100.0);
        }
        for change in &card.changes {
            let verb = if change.dropped { "dropped" } else { "rose" };
            outln!("  {} {verb} from {} to {}", change.day, level(&change.from), level(&change.to));
        }
    }
    Ok(())
}
