//! Scorecards (`kind: Scorecard`, `apiVersion: paved.dev/v1alpha1`):
//! maturity levels made of configuration checks (an owner with members, an
//! on-call Schedule, a runbook) and behaviour checks (who deploys, who is on
//! call, who changes pipelines, DORA tiers), as code (DESIGN §7
//! Scorecards). A service reaches a level when it passes every rule of that
//! level and of every level below it.
//!
//! ```yaml
//! apiVersion: paved.dev/v1alpha1
//! kind: Scorecard
//! metadata: { name: production-readiness }
//! spec:
//!   owner: platform
//!   levels: [bronze, silver, gold]   # lowest first
//!   window: 90d                      # behaviour rules look this far back
//!   filter: { type: [service], lifecycle: [production] }
//!   rules:
//!     - name: deploys-by-owners
//!       level: silver
//!       check: deploys_by_owners
//!       threshold: 0.8
//!       failure_message: Deploy with `paved deploy` as one of the team.
//!   exemptions:
//!     - service: legacy-billing
//!       rule: deploys-by-owners
//!       reason: Moving to the team in January.
//!       until: 2027-01-31
//! ```
//!
//! [`Scorecard::parse`] says every problem with the path of its field, so
//! that the catalog points at the line and column.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::deploy_target::{FieldProblem, Problems};
use crate::{CatalogEntity, EntityRef};

/// What a rule checks. Configuration checks read the catalog (and what
/// pavedroad keeps: a golden path's drift); behaviour checks read the
/// service's report over the rule's window (no second computation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The owner is a Group of the catalog with at least one member.
    OwnerHasMembers,
    /// `paved.dev/oncall` names a Schedule of the catalog.
    OncallSchedule,
    /// The service's EscalationPolicy (`paved.dev/escalation-policy`, else
    /// its team's) is in the catalog.
    EscalationPolicy,
    /// A link of `type: runbook` (or titled Runbook).
    RunbookLink,
    /// Share of the Prometheus alerting rules in its repository (YAML
    /// files in Prometheus's rule format, at the commit last imported)
    /// with a non-empty `annotations.runbook_url` ≥ `threshold` (default
    /// 1: every alert links its runbook); a repository without alerting
    /// rules fails.
    AlertRunbooks,
    /// A DeployTarget deploys it.
    DeployTarget,
    /// Made by `paved new` and, at its last drift check, at least
    /// `threshold` of the template's files in line (default 0.8).
    GoldenPath,
    /// Share of its production deployments (with a known actor) made by
    /// its owners ≥ `threshold` (default 0.8).
    DeploysByOwners,
    /// Share of its successful production deployments made through
    /// pavedroad's own deploy ≥ `threshold` (default 0.5).
    DeploysThroughPaved,
    /// Share of its on-call hours (else acknowledgements) covered by its
    /// owners ≥ `threshold` (default 0.8).
    OncallByOwners,
    /// Share of its pipeline commits made by its owners ≥ `threshold`
    /// (default 0.7).
    PipelinesByOwners,
    /// Share of its infrastructure commits and self-service provisioning
    /// requests made by its owners ≥ `threshold` (default 0.7).
    ProvisioningByOwners,
    /// Share of the resources made for it through pavedroad's
    /// self-service provisioning at one of its owners' request ≥
    /// `threshold` (default 0.8); no data when nothing was provisioned.
    SelfServiceProvisioning,
    /// Change failure rate in tier `threshold` or better (default high).
    ChangeFailureRate,
    /// Lead time for changes in tier `threshold` or better.
    LeadTime,
    /// Failed deployment recovery time in tier `threshold` or better.
    RecoveryTime,
    /// Deployment frequency in tier `threshold` or better.
    DeploymentFrequency,
    /// People who deployed it ≥ `threshold` (default 2).
    DeployBusFactor,
    /// People who were paged for it ≥ `threshold` (default 2).
    PageBusFactor,
    /// Code truck factor of its repository ≥ `threshold` (default 2).
    TruckFactor,
    /// After-hours pages per person paged ≤ `threshold` (default 2).
    AfterHoursPagesPerPerson,
}

/// How a check reads its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Pass or fail: no threshold.
    Presence,
    /// A share from 0 to 1, at least the threshold.
    Share,
    /// A DORA tier, the threshold's or better.
    Tier,
    /// A count, at least the threshold.
    AtLeast,
    /// A count, at most the threshold.
    AtMost,
}

impl Check {
    /// Every check, in the order the docs list them.
    pub const ALL: [Self; 21] = [
        Self::OwnerHasMembers,
        Self::OncallSchedule,
        Self::EscalationPolicy,
        Self::RunbookLink,
        Self::AlertRunbooks,
        Self::DeployTarget,
        Self::GoldenPath,
        Self::DeploysByOwners,
        Self::DeploysThroughPaved,
        Self::OncallByOwners,
        Self::PipelinesByOwners,
        Self::ProvisioningByOwners,
        Self::SelfServiceProvisioning,
        Self::ChangeFailureRate,
        Self::LeadTime,
        Self::RecoveryTime,
        Self::DeploymentFrequency,
        Self::DeployBusFactor,
        Self::PageBusFactor,
        Self::TruckFactor,
        Self::AfterHoursPagesPerPerson,
    ];

    /// As a descriptor writes it: `deploys_by_owners`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OwnerHasMembers => "owner_has_members",
            Self::OncallSchedule => "oncall_schedule",
            Self::EscalationPolicy => "escalation_policy",
            Self::RunbookLink => "runbook_link",
            Self::AlertRunbooks => "alert_runbooks",
            Self::DeployTarget => "deploy_target",
            Self::GoldenPath => "golden_path",
            Self::DeploysByOwners => "deploys_by_owners",
            Self::DeploysThroughPaved => "deploys_through_paved",
            Self::OncallByOwners => "oncall_by_owners",
            Self::PipelinesByOwners => "pipelines_by_owners",
            Self::ProvisioningByOwners => "provisioning_by_owners",
            Self::SelfServiceProvisioning => "self_service_provisioning",
            Self::ChangeFailureRate => "change_failure_rate",
            Self::LeadTime => "lead_time",
            Self::RecoveryTime => "recovery_time",
            Self::DeploymentFrequency => "deployment_frequency",
            Self::DeployBusFactor => "deploy_bus_factor",
            Self::PageBusFactor => "page_bus_factor",
            Self::TruckFactor => "truck_factor",
            Self::AfterHoursPagesPerPerson => "after_hours_pages_per_person",
        }
    }

    /// How its threshold reads.
    pub fn measure(self) -> Measure {
        match self {
            Self::OwnerHasMembers
            | Self::OncallSchedule
            | Self::EscalationPolicy
            | Self::RunbookLink
            | Self::DeployTarget => Measure::Presence,
            Self::GoldenPath
            | Self::AlertRunbooks
            | Self::SelfServiceProvisioning
            | Self::DeploysByOwners
            | Self::DeploysThroughPaved
            | Self::OncallByOwners
            | Self::PipelinesByOwners
            | Self::ProvisioningByOwners => Measure::Share,
            Self::ChangeFailureRate | Self::LeadTime | Self::RecoveryTime | Self::DeploymentFrequency => Measure::Tier,
            Self::DeployBusFactor | Self::PageBusFactor | Self::TruckFactor => Measure::AtLeast,
            Self::AfterHoursPagesPerPerson => Measure::AtMost,
        }
    }

    /// Whether it reads the service's behaviour (its report over a window)
    /// rather than its configuration.
    pub fn is_behaviour(self) -> bool {
        !matches!(self.measure(), Measure::Presence) && !matches!(self, Self::GoldenPath | Self::AlertRunbooks)
    }

    /// The threshold when a rule gives none.
    pub fn default_threshold(self) -> Option<Threshold> {
        Some(match self.measure() {
            Measure::Presence => return None,
            Measure::Share => Threshold::Share(match self {
                Self::AlertRunbooks => 1.0,
                Self::DeploysByOwners | Self::OncallByOwners | Self::GoldenPath | Self::SelfServiceProvisioning => 0.8,
                Self::DeploysThroughPaved => 0.5,
                _ => 0.7,
            }),
            Measure::Tier => Threshold::Tier(TierName::High),
            Measure::AtLeast | Measure::AtMost => Threshold::Count(2),
        })
    }
}

impl std::str::FromStr for Check {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|c| c.as_str() == text.trim()).ok_or_else(|| {
            format!(
                "`{text}` is not a check; write one of {}",
                Self::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// A DORA performance tier, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TierName {
    /// The best.
    Elite,
    /// Second.
    High,
    /// Third.
    Medium,
    /// The last.
    Low,
}

impl TierName {
    /// `elite`, `high`, `medium`, `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Elite => "elite",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }

    /// A tier by name, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Elite, Self::High, Self::Medium, Self::Low].into_iter().find(|t| t.as_str().eq_ignore_ascii_case(text))
    }
}

/// What a rule compares its figure with.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Threshold {
    /// A share, 0 to 1.
    Share(f64),
    /// A tier.
    Tier(TierName),
    /// A count.
    Count(u32),
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Share(share) => write!(f, "{:.0} %", share * 100.0),
            Self::Tier(tier) => f.write_str(tier.as_str()),
            Self::Count(n) => write!(f, "{n}"),
        }
    }
}

/// One rule of a scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its name, unique in the scorecard (`deploys-by-owners`).
    pub name: String,
    /// The level it belongs to (one of the scorecard's).
    pub level: String,
    /// What it checks.
    pub check: Check,
    /// What the figure is compared with (the check's default when the rule
    /// gives none); `None` for a presence check.
    pub threshold: Option<Threshold>,
    /// How far back a behaviour rule looks, in days (the scorecard's
    /// window when it gives none).
    pub window_days: u32,
    /// Its weight in the score (default 1).
    pub weight: u32,
    /// What to do when it fails: how to fix it.
    pub failure_message: String,
    /// Which of the scorecard's components it applies to (empty: all);
    /// to the others it is "not applicable" and counts for nothing.
    pub filter: Filter,
}

/// Which components a scorecard applies to: every list given must match
/// (an empty list matches everything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `spec.type` in this list (`service`).
    pub types: Vec<String>,
    /// `spec.lifecycle` in this list (`production`).
    pub lifecycles: Vec<String>,
    /// Its system, by name.
    pub systems: Vec<String>,
    /// Its owner, by name.
    pub owners: Vec<String>,
    /// At least one of these tags.
    pub tags: Vec<String>,
}

impl Filter {
    /// Whether it matches every component.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Whether the component `info` describes matches.
    pub fn matches_service(&self, info: &crate::catalog_index::ServiceInfo) -> bool {
        self.matches(
            info.spec_type.as_deref(),
            info.lifecycle.as_deref(),
            info.system.as_ref().map(EntityRef::name),
            info.owner.as_ref().map(EntityRef::name),
            &info.tags,
        )
    }

    /// As written: `type service, lifecycle production`.
    pub fn describe(&self) -> String {
        [
            ("type", &self.types),
            ("lifecycle", &self.lifecycles),
            ("system", &self.systems),
            ("owner", &self.owners),
            ("tag", &self.tags),
        ]
        .iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(what, list)| format!("{what} {}", list.join(" or ")))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Whether a component of these facts matches.
    pub fn matches(
        &self,
        spec_type: Option<&str>,
        lifecycle: Option<&str>,
        system: Option<&str>,
        owner: Option<&str>,
        tags: &[String],
    ) -> bool {
        let within = |list: &[String], value: Option<&str>| {
            list.is_empty() || value.is_some_and(|v| list.iter().any(|l| l.eq_ignore_ascii_case(v)))
        };
        within(&self.types, spec_type)
            && within(&self.lifecycles, lifecycle)
            && within(&self.systems, system)
            && within(&self.owners, owner)
            && (self.tags.is_empty() || tags.iter().any(|t| self.tags.iter().any(|f| f.eq_ignore_ascii_case(t))))
    }
}

/// A service let off a rule until a date, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// The service, by name.
    pub service: String,
    /// The rule, by name.
    pub rule: String,
    /// Why.
    pub reason: String,
    /// The last day it applies (UTC); after it, the rule counts again.
    pub until: NaiveDate,
}

/// A scorecard, as the platform team declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// The Scorecard entity.
    pub entity_ref: EntityRef,
    /// Its title, else its name.
    pub title: String,
    /// Who maintains it.
    pub owner: Option<EntityRef>,
    /// Its levels, lowest first.
    pub levels: Vec<String>,
    /// Which components it applies to.
    pub filter: Filter,
    /// Its rules, in the order written.
    pub rules: Vec<Rule>,
    /// Its exemptions.
    pub exemptions: Vec<Exemption>,
}

/// The default window of behaviour rules, in days.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;

/// The longest window a rule may look back, in days (two years, as
/// reports).
pub const MAX_WINDOW_DAYS: u32 = 730;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    owner: Option<String>,
    levels: Option<Vec<String>>,
    window: Option<String>,
    #[serde(default)]
    filter: Option<FilterSpec>,
    rules: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    exemptions: Vec<serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FilterSpec {
    #[serde(default, rename = "type")]
    types: OneOrMany,
    #[serde(default, rename = "lifecycle")]
    lifecycles: OneOrMany,
    #[serde(default, rename = "system")]
    systems: OneOrMany,
    #[serde(default, rename = "owner")]
    owners: OneOrMany,
    #[serde(default)]
    tags: OneOrMany,
}

/// A list, or one value written alone.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl FilterSpec {
    fn into_filter(self) -> Filter {
        Filter {
            types: self.types.into_vec(),
            lifecycles: self.lifecycles.into_vec(),
            systems: self.systems.into_vec(),
            owners: self.owners.into_vec(),
            tags: self.tags.into_vec(),
        }
    }
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::None => Vec::new(),
            Self::One(one) => vec![one],
            Self::Many(many) => many,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: String,
    level: String,
    check: String,
    threshold: Option<serde_json::Value>,
    window: Option<String>,
    weight: Option<u32>,
    failure_message: String,
    #[serde(default)]
    filter: Option<FilterSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExemptionSpec {
    service: String,
    rule: String,
    reason: String,
    until: String,
}

/// `90d` or `12w` as days.
///
/// # Errors
/// A sentence naming the value and the accepted forms.
pub fn parse_days(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u32 = number.parse().map_err(|_| format!("`{text}` is not a window; write e.g. `90d` or `12w`"))?;
    let days = match unit {
        "d" => n,
        "w" => n.saturating_mul(7),
        _ => return Err(format!("`{text}` needs a unit: d or w (e.g. `90d`)")),
    };
    if days == 0 || days > MAX_WINDOW_DAYS {
        return Err(format!("`{text}` is not between 1 day and {} days", MAX_WINDOW_DAYS));
    }
    Ok(days)
}

impl Scorecard {
    /// Reads a Scorecard entity's spec, or every problem with its path.
    ///
    /// # Errors
    /// Every problem found, each with the path of its field.
    pub fn parse(entity: &CatalogEntity) -> Result<Self, Vec<FieldProblem>> {
        const WHAT: &str = "a Scorecard has owner, levels, window, filter, rules and exemptions under spec; see the README's scorecards section";
        let namespace = entity.entity_ref.namespace();
        let mut problems = Problems(Vec::new());
        let Some(spec) = problems.spec::<Spec>(entity, WHAT) else {
            return Err(problems.0);
        };
        let owner = problems.owner(spec.owner.as_deref(), namespace);
        let levels: Vec<String> = spec.levels.unwrap_or_default().into_iter().map(|l| l.trim().to_owned()).collect();
        if levels.is_empty() {
            problems.push("spec", "spec.levels is missing; list the levels lowest first, e.g. [bronze, silver, gold]");
        }
        for (i, level) in levels.iter().enumerate() {
            if level.is_empty() || levels[..i].contains(level) {
                problems.push(format!("spec.levels[{i}]"), format!("spec.levels[{i}] `{level}` is empty or repeated"));
            }
        }
        let window_days = match spec.window.as_deref().map(parse_days).transpose() {
            Ok(days) => days.unwrap_or(DEFAULT_WINDOW_DAYS),
            Err(e) => {
                problems.push("spec.window", format!("spec.window: {e}"));
                DEFAULT_WINDOW_DAYS
            }
        };
        let filter = spec.filter.map(FilterSpec::into_filter).unwrap_or_default();
        let Some(written) = spec.rules.filter(|r| !r.is_empty()) else {
            problems.push("spec", "spec.rules is missing; give each rule a name, level, check and failure_message");
            return Err(problems.0);
        };
        let mut rules: Vec<Rule> = Vec::new();
        for (i, value) in written.into_iter().enumerate() {
            let path = format!("spec.rules[{i}]");
            let what = "a rule has name, level, check, threshold, window, weight, failure_message and filter";
            let Some(rule) = problems.read::<RuleSpec>(&path, value, what) else { continue };
            if let Some(rule) = read_rule(&mut problems, &path, rule, &levels, window_days) {
                if rules.iter().any(|r| r.name == rule.name) {
                    problems.push(format!("{path}.name"), format!("{path}.name `{}` is used twice", rule.name));
                }
                rules.push(rule);
            }
        }
        let mut exemptions = Vec::new();
        for (i, value) in spec.exemptions.into_iter().enumerate() {
            let path = format!("spec.exemptions[{i}]");
            let what = "an exemption has service, rule, reason and until (a date, YYYY-MM-DD)";
            let Some(exemption) = problems.read::<ExemptionSpec>(&path, value, what) else { continue };
            if !rules.iter().any(|r| r.name == exemption.rule) {
                problems.push(
                    format!("{path}.rule"),
                    format!("{path}.rule `{}` is not a rule of this scorecard", exemption.rule),
                );
            }
            if exemption.reason.trim().is_empty() {
                problems
                    .push(format!("{path}.reason"), format!("{path}.reason is empty; say why the service is let off"));
            }
            match NaiveDate::parse_from_str(exemption.until.trim(), "%Y-%m-%d") {
                Ok(until) => exemptions.push(Exemption {
                    service: exemption.service.trim().to_owned(),
                    rule: exemption.rule,
                    reason: exemption.reason.trim().to_owned(),
                    until,
                }),
                Err(_) => problems.push(
                    format!("{path}.until"),
                    format!("{path}.until `{}` is not a date; write YYYY-MM-DD (an exemption ends)", exemption.until),
                ),
            }
        }
        if !problems.0.is_empty() {
            return Err(problems.0);
        }
        let title = entity.title.clone().unwrap_or_else(|| entity.entity_ref.name().to_owned());
        Ok(Self { entity_ref: entity.entity_ref.clone(), title, owner, levels, filter, rules, exemptions })
    }

    /// The rules of `level` and of every level below it.
    pub fn rules_up_to(&self, level: &str) -> impl Iterator<Item = &Rule> {
        let rank = self.levels.iter().position(|l| l == level).unwrap_or(usize::MAX);
        self.rules.iter().filter(move |r| self.levels.iter().position(|l| *l == r.level).is_some_and(|at| at <= rank))
    }
}

fn read_rule(problems: &mut Problems, path: &str, rule: RuleSpec, levels: &[String], window: u32) -> Option<Rule> {
    let check = match rule.check.parse::<Check>() {
        Ok(check) => check,
        Err(e) => {
            problems.push(format!("{path}.check"), format!("{path}.check: {e}"));
            return None;
        }
    };
    if !levels.contains(&rule.level) {
        problems.push(
            format!("{path}.level"),
            format!("{path}.level `{}` is not one of spec.levels ({})", rule.level, levels.join(", ")),
        );
    }
    if rule.failure_message.trim().is_empty() {
        problems.push(format!("{path}.failure_message"), format!("{path}.failure_message is empty; say how to fix it"));
    }
    let threshold = match (&rule.threshold, check.measure()) {
        (None, _) => check.default_threshold(),
        (Some(_), Measure::Presence) => {
            problems
                .push(format!("{path}.threshold"), format!("{path}.threshold: {} has no threshold", check.as_str()));
            None
        }
        (Some(value), Measure::Share) => match value.as_f64().filter(|v| (0.0..=1.0).contains(v)) {
            Some(share) => Some(Threshold::Share(share)),
            None => {
                problems.push(
                    format!("{path}.threshold"),
                    format!("{path}.threshold `{value}`: {} takes a share from 0 to 1 (0.8)", check.as_str()),
                );
                None
            }
        },
        (Some(value), Measure::Tier) => match value.as_str().and_then(TierName::parse) {
            Some(tier) => Some(Threshold::Tier(tier)),
            None => {
                problems.push(
                    format!("{path}.threshold"),
                    format!("{path}.threshold `{value}`: {} takes a tier: elite, high, medium or low", check.as_str()),
                );
                None
            }
        },
        (Some(value), Measure::AtLeast | Measure::AtMost) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Some(Threshold::Count(n)),
            None => {
                problems.push(
                    format!("{path}.threshold"),
                    format!("{path}.threshold `{value}`: {} takes a whole number (2)", check.as_str()),
                );
                None
            }
        },
    };
    let window_days = match rule.window.as_deref().map(parse_days).transpose() {
        Ok(days) => days.unwrap_or(window),
        Err(e) => {
            problems.push(format!("{path}.window"), format!("{path}.window: {e}"));
            window
        }
    };
    Some(Rule {
        name: rule.name.trim().to_owned(),
        level: rule.level,
        check,
        threshold,
        window_days,
        weight: rule.weight.unwrap_or(1),
        failure_message: rule.failure_message.trim().to_owned(),
        filter: rule.filter.map(FilterSpec::into_filter).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(spec: serde_json::Value) -> CatalogEntity {
        let document = serde_json::json!({
            "apiVersion": "paved.dev/v1alpha1",
            "kind": "Scorecard",
            "metadata": { "name": "readiness" },
            "spec": spec,
        });
        CatalogEntity {
            entity_ref: "scorecard:default/readiness".parse().unwrap(),
            kind: "Scorecard".into(),
            api_version: "paved.dev/v1alpha1".into(),
            title: None,
            description: None,
            spec_type: None,
            lifecycle: None,
            owner: None,
            source: crate::SourcePosition { file: String::new(), line: 1, column: 1 },
            document,
            relations: Vec::new(),
            paved: crate::PavedAnnotations::default(),
        }
    }

    #[test]
    fn a_scorecard_reads_its_levels_rules_defaults_and_exemptions() {
        let card = Scorecard::parse(&entity(serde_json::json!({
            "owner": "platform",
            "levels": ["bronze", "silver", "gold"],
            "window": "12w",
            "filter": { "type": "service", "lifecycle": ["production"] },
            "rules": [
                { "name": "owner", "level": "bronze", "check": "owner_has_members", "failure_message": "Set spec.owner." },
                { "name": "deploys", "level": "silver", "check": "deploys_by_owners", "failure_message": "Deploy yourselves.", "weight": 3 },
                { "name": "cfr", "level": "gold", "check": "change_failure_rate", "threshold": "elite", "window": "30d", "failure_message": "Fail less." },
            ],
            "exemptions": [{ "service": "billing", "rule": "deploys", "reason": "moving", "until": "2027-01-31" }],
        })))
        .unwrap();
        assert_eq!(card.levels, ["bronze", "silver", "gold"]);
        assert_eq!(card.filter.types, ["service"]);
        assert_eq!(card.rules[1].threshold, Some(Threshold::Share(0.8)), "the check's default");
        assert_eq!((card.rules[1].window_days, card.rules[1].weight), (84, 3));
        assert_eq!((card.rules[2].threshold, card.rules[2].window_days), (Some(Threshold::Tier(TierName::Elite)), 30));
        let silver: Vec<&str> = card.rules_up_to("silver").map(|r| r.name.as_str()).collect();
        assert_eq!(silver, ["owner", "deploys"], "a level needs its rules and those below");
        assert_eq!(card.exemptions[0].until, NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
    }

    #[test]
    fn every_problem_is_named_with_its_path() {
        let problems = Scorecard::parse(&entity(serde_json::json!({
            "levels": ["bronze"],
            "rules": [
                { "name": "a", "level": "gold", "check": "deploys_by_owner", "failure_message": "x" },
                { "name": "b", "level": "bronze", "check": "deploys_by_owners", "threshold": 80, "failure_message": "" },
                { "name": "c", "level": "bronze", "check": "runbook_link", "threshold": 1, "failure_message": "x" },
            ],
            "exemptions": [{ "service": "s", "rule": "zzz", "reason": "r", "until": "soon" }],
        })))
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.rules[0].check",
                "spec.rules[1].failure_message",
                "spec.rules[1].threshold",
                "spec.rules[2].threshold",
                "spec.exemptions[0].rule",
                "spec.exemptions[0].until"
            ]
        );
        assert!(problems[0].message.contains("`deploys_by_owner` is not a check"), "{}", problems[0].message);
    }
}
