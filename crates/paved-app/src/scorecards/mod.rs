//! Scorecards: each service's maturity level on each `kind: Scorecard` of
//! the catalog, from configuration checks (the catalog, a golden path's
//! kept drift) and behaviour checks (the service's report over the rule's
//! window: the same analysis `paved report` reads, not a second
//! computation). A service reaches a level when every rule of that level
//! and of every level below passes or is exempted; a rule without data
//! does not pass. Each evaluation is kept as the day's result of each
//! service, for trends and "when did it drop a level".

pub(crate) mod alerts;
mod checks;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use paved_domain::scorecard::{Check, Scorecard};
use paved_domain::{CatalogIndex, EntityRef};
use paved_metrics::Window;
use paved_store::ScoreRecord;
use serde::{Deserialize, Serialize};

use crate::analysis_cache::{AnalysisCache, OrgAnalysis};
use crate::deploy::policy::Standing;
use crate::scaffold::drift::{DriftScope, ServiceDrift};
use crate::{App, AppError};

/// How a rule came out for a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its figure meets the threshold.
    Pass,
    /// It does not.
    Fail,
    /// Nothing to judge by in its window: it does not pass.
    NoData,
    /// An exemption lets the service off it until a date: it counts as
    /// passed.
    Exempt,
    /// Its filter leaves the service out: it counts for nothing (not in
    /// the score; no bar to a level).
    NotApplicable,
}

impl Outcome {
    /// Whether it counts towards a level.
    pub fn counts(self) -> bool {
        matches!(self, Self::Pass | Self::Exempt | Self::NotApplicable)
    }

    /// As shown: `pass`, `fail`, `no data`, `exempt`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::NoData => "no data",
            Self::Exempt => "exempt",
            Self::NotApplicable => "not applicable",
        }
    }
}

/// An exemption that applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Exempted {
    /// Why.
    pub reason: String,
    /// Its last day.
    pub until: NaiveDate,
}

/// One rule's result for one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleResult {
    /// The rule.
    pub rule: String,
    /// Its level.
    pub level: String,
    /// What it checks (`deploys_by_owners`).
    pub check: String,
    /// How it came out.
    pub outcome: Outcome,
    /// The figure (a share, a tier's rank from 4 elite to 1 low, a count).
    pub figure: Option<f64>,
    /// The figure in words.
    pub shown: String,
    /// The threshold, as shown (`80 %`, `high`, `2`).
    pub threshold: Option<String>,
    /// Its window in days (behaviour rules).
    pub window_days: Option<u32>,
    /// Its weight.
    pub weight: u32,
    /// How to fix it, when it does not pass.
    pub fix: Option<String>,
    /// The exemption that applied.
    pub exemption: Option<Exempted>,
}

/// One service on one scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceScore {
    /// The Scorecard.
    #[schema(value_type = String)]
    pub scorecard: EntityRef,
    /// Its title.
    pub title: String,
    /// Its levels, lowest first.
    pub levels: Vec<String>,
    /// The service.
    #[schema(value_type = String)]
    pub service: EntityRef,
    /// Its team.
    #[schema(value_type = Option<String>)]
    pub team: Option<EntityRef>,
    /// The highest level reached; `None` below the first.
    pub level: Option<String>,
    /// The next level, and what it lacks: the rules of it and below that
    /// do not pass.
    pub next_level: Option<String>,
    /// The weighted share of rules that count, 0 to 1.
    pub score: f64,
    /// Every rule, in the scorecard's order.
    pub rules: Vec<RuleResult>,
    /// The day it stands for.
    pub day: NaiveDate,
}

/// How many services stand at each level of one scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LevelCount {
    /// The level; `None`: below the first.
    pub level: Option<String>,
    /// Services at it.
    pub services: usize,
}

/// One scorecard's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScorecardResults {
    /// The Scorecard.
    #[schema(value_type = String)]
    pub scorecard: EntityRef,
    /// Its title.
    pub title: String,
    /// Its levels, lowest first.
    pub levels: Vec<String>,
    /// How many services stand at each level, below the first first.
    pub distribution: Vec<LevelCount>,
    /// Each service it applies to, by name.
    pub services: Vec<ServiceScore>,
}

/// Which services to score.
#[derive(Debug, Clone, Default)]
pub struct ScoreScope {
    /// One service (`checkout-api`).
    pub service: Option<String>,
    /// A team's services (and those of the teams below it).
    pub team: Option<String>,
}

/// One day of a service's history on one scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryPoint {
    /// The day.
    pub day: NaiveDate,
    /// The level reached that day.
    pub level: Option<String>,
    /// The score that day.
    pub score: f64,
}

/// A service's history on one scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreHistory {
    /// The Scorecard.
    #[schema(value_type = String)]
    pub scorecard: EntityRef,
    /// Each day evaluated, oldest first.
    pub days: Vec<HistoryPoint>,
    /// The days its level changed: `(day, from, to)`.
    pub changes: Vec<LevelChange>,
}

/// A change of level between two evaluated days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LevelChange {
    /// The first day at the new level.
    pub day: NaiveDate,
    /// The level before.
    pub from: Option<String>,
    /// The level after.
    pub to: Option<String>,
    /// Whether it went down.
    pub dropped: bool,
}

impl App {
    /// Every scorecard's results for the services of `scope`, as of `at`
    /// (behaviour rules look back their window from it), kept as the
    /// results of `at`'s day.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a service or team the catalog lacks; a
    /// store error.
    pub async fn scorecards(&self, scope: &ScoreScope, at: DateTime<Utc>) -> Result<Vec<ScorecardResults>, AppError> {
        let org = self.org_analysis().await?;
        let services = services_in(&org.catalog, scope)?;
        let drift: BTreeMap<String, ServiceDrift> =
            self.recorded_drift(&DriftScope::default()).await?.into_iter().map(|d| (d.service.key(), d)).collect();
        let sources =
            if org.catalog.scorecards().iter().any(|c| c.rules.iter().any(|r| r.check == Check::AlertRunbooks)) {
                self.repository_sources(&org.catalog, &services, &drift).await?
            } else {
                HashMap::new()
            };
        let read = Repositories { sources, cache: self.alert_rules.clone() };
        // The scoring is CPU work over the analysis (and reading rule
        // files from repositories): off the async threads.
        let (all, kept) = tokio::task::spawn_blocking(move || score_all(&org, &services, &drift, &read, at))
            .await
            .map_err(|e| AppError::Internal(format!("scoring stopped: {e}")))?;
        self.store.record_scores(&kept).await?;
        Ok(all)
    }

    /// Where each of `services`' repository is read from: the commit of
    /// its last `paved import git` (`HEAD`'s, else the default branch's),
    /// else a golden path's repository on this machine.
    async fn repository_sources(
        &self,
        catalog: &CatalogIndex,
        services: &[EntityRef],
        drift: &BTreeMap<String, ServiceDrift>,
    ) -> Result<HashMap<String, alerts::Source>, AppError> {
        let mut sources = HashMap::new();
        for service in services {
            let Some(info) = catalog.service(service) else { continue };
            let imported = match &info.repo {
                Some(repo) => self.store.repository(repo).await?,
                None => None,
            };
            let source = match imported {
                Some(state) => {
                    let tip = ["HEAD", "refs/heads/main", "refs/heads/master"]
                        .iter()
                        .find_map(|name| state.tips.iter().find(|t| t.reference == *name))
                        .or_else(|| state.tips.iter().find(|t| t.reference.starts_with("refs/heads/")))
                        .or(state.tips.first());
                    alerts::Source {
                        path: state.source_path,
                        commit: tip.map(|t| t.sha.clone()),
                        paths: info.paths.clone(),
                    }
                }
                None => match drift.get(&service.key()) {
                    Some(made) if std::path::Path::new(&made.repository).is_absolute() => {
                        alerts::Source { path: made.repository.clone(), commit: None, paths: Vec::new() }
                    }
                    _ => continue,
                },
            };
            sources.insert(service.key(), source);
        }
        Ok(sources)
    }

    /// `service`'s history on every scorecard over the last `days` days.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a service the catalog lacks; a store
    /// error.
    pub async fn scorecard_history(&self, service: &str, days: u32) -> Result<Vec<ScoreHistory>, AppError> {
        let catalog = self.catalog.current().await?;
        let service = service_ref(&catalog, service)?;
        let since = (Utc::now() - Duration::days(i64::from(days))).date_naive();
        let cards = catalog.scorecards();
        let mut by_card: BTreeMap<String, ScoreHistory> = BTreeMap::new();
        for record in self.store.score_history(&service, since).await? {
            let history = by_card.entry(record.scorecard.key()).or_insert_with(|| ScoreHistory {
                scorecard: record.scorecard.clone(),
                days: Vec::new(),
                changes: Vec::new(),
            });
            if let Some(last) = history.days.last()
                && last.level != record.level
            {
                let levels = cards.iter().find(|c| c.entity_ref == record.scorecard).map(|c| c.levels.as_slice());
                let rank = |level: &Option<String>| {
                    level.as_ref().and_then(|l| levels?.iter().position(|x| x == l)).map_or(0, |p| p + 1)
                };
                history.changes.push(LevelChange {
                    day: record.day,
                    from: last.level.clone(),
                    to: record.level.clone(),
                    dropped: rank(&record.level) < rank(&last.level),
                });
            }
            history.days.push(HistoryPoint { day: record.day, level: record.level, score: record.score });
        }
        Ok(by_card.into_values().collect())
    }

    /// The latest kept result of each service of `scope` on each scorecard
    /// still in the catalog, by scorecard and service: what the pages show
    /// without evaluating anything.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a service or team the catalog lacks; a
    /// store error.
    pub async fn kept_scores(&self, scope: &ScoreScope) -> Result<Vec<ServiceScore>, AppError> {
        let catalog = self.catalog.current().await?;
        let service = scope.service.as_deref().map(|s| service_ref(&catalog, s)).transpose()?;
        let wanted: Option<std::collections::HashSet<String>> = match (&service, &scope.team) {
            (None, Some(_)) => Some(services_in(&catalog, scope)?.iter().map(EntityRef::key).collect()),
            _ => None,
        };
        let cards = catalog.scorecards();
        let mut kept = Vec::new();
        for record in self.store.latest_scores(service.as_ref()).await? {
            if wanted.as_ref().is_some_and(|w| !w.contains(&record.service.key())) {
                continue;
            }
            let Some(card) = cards.iter().find(|c| c.entity_ref == record.scorecard) else { continue };
            let rules: Vec<RuleResult> = serde_json::from_value(record.rules).map_err(|e| {
                AppError::Store(paved_store::StoreError::Corrupt(format!(
                    "scorecard result of {} on {}: {e}",
                    record.service, record.scorecard
                )))
            })?;
            let (_, next_level) = levels(card, &rules);
            kept.push(ServiceScore {
                scorecard: record.scorecard,
                title: card.title.clone(),
                levels: card.levels.clone(),
                service: record.service,
                team: record.team,
                level: record.level,
                next_level,
                score: record.score,
                rules,
                day: record.day,
            });
        }
        Ok(kept)
    }

    /// The latest kept results of the services of `scope`, per scorecard of
    /// the catalog, as [`App::scorecards`] answers them: what `GET
    /// /api/v1/scorecards` reads, evaluating nothing.
    ///
    /// # Errors
    /// As [`App::kept_scores`].
    pub async fn kept_scorecards(&self, scope: &ScoreScope) -> Result<Vec<ScorecardResults>, AppError> {
        let catalog = self.catalog.current().await?;
        let mut scores = self.kept_scores(scope).await?;
        Ok(catalog
            .scorecards()
            .iter()
            .map(|card| {
                let (mine, rest): (Vec<ServiceScore>, Vec<ServiceScore>) =
                    std::mem::take(&mut scores).into_iter().partition(|s| s.scorecard == card.entity_ref);
                scores = rest;
                let mut mine = mine;
                mine.sort_by(|a, b| a.service.cmp(&b.service));
                results(card, mine)
            })
            .collect())
    }

    /// Evaluates the scorecards for `scope` by `caller` (as
    /// [`App::scorecards`]): now, or as of `at`, which rewrites that day's
    /// kept results and so needs an admin.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for a past day by anyone else; as
    /// [`App::scorecards`].
    pub async fn evaluate_scorecards(
        &self,
        caller: &crate::Caller,
        scope: &ScoreScope,
        at: Option<DateTime<Utc>>,
    ) -> Result<Vec<ScorecardResults>, AppError> {
        let now = Utc::now();
        if let Some(at) = at
            && at.date_naive() != now.date_naive()
        {
            caller.may_rescore_a_past_day()?;
        }
        let at = at.unwrap_or(now);
        let results = self.scorecards(scope, at).await?;
        let audit = paved_store::NewAudit {
            actor: caller.audit_name(),
            action: "scorecard.evaluate".into(),
            target: scope.service.clone().or_else(|| scope.team.clone()).unwrap_or_default(),
            detail: Some(format!("as of {}", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
            service: None,
            decision: None,
        };
        self.audit(&audit, None).await?;
        Ok(results)
    }

    /// `service`'s latest kept level on each scorecard of the catalog, with
    /// the levels below it: what the deploy policy reads for earned
    /// autonomy. A level is earned by an evaluation (`paved scorecard`, the
    /// API, the server's daily one), not by a deploy's own.
    ///
    /// # Errors
    /// A store error.
    pub async fn standing(&self, catalog: &CatalogIndex, service: &EntityRef) -> Result<Vec<Standing>, AppError> {
        let cards = catalog.scorecards();
        Ok(self
            .store
            .latest_scores(Some(service))
            .await?
            .into_iter()
            .filter_map(|record| {
                let card = cards.iter().find(|c| c.entity_ref == record.scorecard)?;
                let reached = record.level.as_ref().and_then(|l| card.levels.iter().position(|x| x == l));
                let earned = reached.map(|at| card.levels[..=at].to_vec()).unwrap_or_default();
                Some(Standing { scorecard: card.entity_ref.name().to_owned(), earned })
            })
            .collect())
    }
}

/// Where services' repositories are read from, and what was read before.
struct Repositories {
    sources: HashMap<String, alerts::Source>,
    cache: Arc<alerts::AlertCache>,
}

/// What pavedroad keeps of one service besides the analysis.
struct Found<'a> {
    drift: Option<&'a ServiceDrift>,
    repository: Option<&'a alerts::Source>,
}

/// One service on one scorecard as of `at`.
fn score(
    org: &OrgAnalysis,
    card: &Scorecard,
    service: &EntityRef,
    index: Option<usize>,
    kept: &Found<'_>,
    cache: &alerts::AlertCache,
    at: DateTime<Utc>,
) -> ServiceScore {
    let catalog = &org.catalog;
    let day = at.date_naive();
    let mut rules = Vec::with_capacity(card.rules.len());
    // One report per window the rules look back over.
    let mut reports: BTreeMap<u32, Option<paved_metrics::CultureReport>> = BTreeMap::new();
    let info = catalog.service(service);
    for rule in &card.rules {
        if !rule.filter.is_empty() && !info.is_some_and(|info| rule.filter.matches_service(info)) {
            rules.push(RuleResult {
                rule: rule.name.clone(),
                level: rule.level.clone(),
                check: rule.check.as_str().to_owned(),
                outcome: Outcome::NotApplicable,
                figure: None,
                shown: format!("applies only to {}", rule.filter.describe()),
                threshold: rule.threshold.map(|t| t.to_string()),
                window_days: None,
                weight: rule.weight,
                fix: None,
                exemption: None,
            });
            continue;
        }
        let found = if rule.check == Check::AlertRunbooks {
            checks::alert_runbooks(rule.threshold, kept.repository.map(|source| cache.get(source)).as_deref())
        } else if rule.check.is_behaviour() {
            let report = reports.entry(rule.window_days).or_insert_with(|| {
                let window = Window::last_days(at, i64::from(rule.window_days));
                index.map(|i| AnalysisCache::diagnose_service(org, i, window))
            });
            match report {
                Some(report) => checks::behaviour(rule.check, rule.threshold, report),
                None => checks::Found::no_data("not in the analysis yet"),
            }
        } else {
            checks::configuration(rule.check, rule.threshold, catalog, service, kept.drift)
        };
        let exemption = card
            .exemptions
            .iter()
            .find(|e| e.rule == rule.name && e.service.eq_ignore_ascii_case(service.name()) && e.until >= day)
            .map(|e| Exempted { reason: e.reason.clone(), until: e.until });
        let outcome = match (found.passed, &exemption) {
            (Some(true), _) => Outcome::Pass,
            (_, Some(_)) => Outcome::Exempt,
            (Some(false), None) => Outcome::Fail,
            (None, None) => Outcome::NoData,
        };
        rules.push(RuleResult {
            rule: rule.name.clone(),
            level: rule.level.clone(),
            check: rule.check.as_str().to_owned(),
            outcome,
            figure: found.figure,
            shown: found.shown,
            threshold: rule.threshold.map(|t| t.to_string()),
            window_days: rule.check.is_behaviour().then_some(rule.window_days),
            weight: rule.weight,
            fix: (!outcome.counts()).then(|| rule.failure_message.clone()),
            exemption,
        });
    }
    let (reached, next_level) = levels(card, &rules);
    let judged = || rules.iter().filter(|r| r.outcome != Outcome::NotApplicable);
    let total: u32 = judged().map(|r| r.weight).sum();
    let passed: u32 = judged().filter(|r| r.outcome.counts()).map(|r| r.weight).sum();
    ServiceScore {
        scorecard: card.entity_ref.clone(),
        title: card.title.clone(),
        levels: card.levels.clone(),
        service: service.clone(),
        team: catalog.service(service).and_then(|i| i.owner.clone()),
        level: reached,
        next_level,
        score: if total == 0 { 0.0 } else { f64::from(passed) / f64::from(total) },
        rules,
        day,
    }
}

/// Every scorecard of the catalog for `services`, with the records to keep.
fn score_all(
    org: &OrgAnalysis,
    services: &[EntityRef],
    drift: &BTreeMap<String, ServiceDrift>,
    read: &Repositories,
    at: DateTime<Utc>,
) -> (Vec<ScorecardResults>, Vec<ScoreRecord>) {
    let catalog = &org.catalog;
    let positions: std::collections::HashMap<String, usize> =
        org.services.iter().enumerate().map(|(i, s)| (s.key(), i)).collect();
    let mut all = Vec::new();
    let mut kept = Vec::new();
    for card in catalog.scorecards() {
        let mut scores = Vec::new();
        for service in services {
            if !applies(card, catalog, service) {
                continue;
            }
            let index = positions.get(&service.key()).copied();
            let found = Found { drift: drift.get(&service.key()), repository: read.sources.get(&service.key()) };
            let result = score(org, card, service, index, &found, &read.cache, at);
            kept.push(record(&result, at));
            scores.push(result);
        }
        all.push(results(card, scores));
    }
    (all, kept)
}

/// `card`'s results from its services' scores: the distribution of levels.
fn results(card: &Scorecard, scores: Vec<ServiceScore>) -> ScorecardResults {
    let mut distribution: Vec<LevelCount> = std::iter::once(None)
        .chain(card.levels.iter().cloned().map(Some))
        .map(|level| LevelCount { services: scores.iter().filter(|s| s.level == level).count(), level })
        .collect();
    distribution.retain(|d| d.level.is_some() || d.services > 0);
    ScorecardResults {
        scorecard: card.entity_ref.clone(),
        title: card.title.clone(),
        levels: card.levels.clone(),
        distribution,
        services: scores,
    }
}

/// The level `rules` reach on `card` (every rule of it and below counts)
/// and the next one.
fn levels(card: &Scorecard, rules: &[RuleResult]) -> (Option<String>, Option<String>) {
    let holds = |level: &str| {
        card.rules_up_to(level).all(|r| rules.iter().find(|x| x.rule == r.name).is_some_and(|x| x.outcome.counts()))
    };
    let reached = card.levels.iter().take_while(|level| holds(level)).last().cloned();
    let next_level = card.levels.iter().find(|level| !holds(level)).cloned();
    (reached, next_level)
}

/// Whether `card` applies to `service`.
fn applies(card: &Scorecard, catalog: &CatalogIndex, service: &EntityRef) -> bool {
    catalog.service(service).is_some_and(|info| card.filter.matches_service(info))
}

/// The services of `scope`, by reference.
fn services_in(catalog: &CatalogIndex, scope: &ScoreScope) -> Result<Vec<EntityRef>, AppError> {
    if let Some(service) = &scope.service {
        return Ok(vec![service_ref(catalog, service)?]);
    }
    let mut services: Vec<EntityRef> = match &scope.team {
        Some(team) => {
            let team = EntityRef::parse(team.trim(), Some("group"), paved_domain::DEFAULT_NAMESPACE)
                .map_err(|e| AppError::Invalid(format!("`{team}` is not a team: {e}")))?;
            if catalog.group(&team).is_none() {
                return Err(AppError::Invalid(format!("{team} is not a team of the catalog")));
            }
            catalog
                .services()
                .into_iter()
                .filter(|s| catalog.team_owns(&team, &s.entity_ref))
                .map(|s| s.entity_ref.clone())
                .collect()
        }
        None => catalog.services().into_iter().map(|s| s.entity_ref.clone()).collect(),
    };
    services.sort();
    Ok(services)
}

fn service_ref(catalog: &CatalogIndex, service: &str) -> Result<EntityRef, AppError> {
    let service = EntityRef::parse(service.trim(), Some("component"), paved_domain::DEFAULT_NAMESPACE)
        .map_err(|e| AppError::Invalid(format!("`{service}` is not a service: {e}")))?;
    if catalog.service(&service).is_none() {
        return Err(AppError::Invalid(format!("{service} is not a service of the catalog")));
    }
    Ok(service)
}

fn record(score: &ServiceScore, at: DateTime<Utc>) -> ScoreRecord {
    ScoreRecord {
        scorecard: score.scorecard.clone(),
        service: score.service.clone(),
        day: score.day,
        team: score.team.clone(),
        level: score.level.clone(),
        score: score.score,
        rules: serde_json::to_value(&score.rules).unwrap_or_default(),
        evaluated_at: at,
    }
}
