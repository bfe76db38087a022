//! Each check's figure for one service: configuration from the catalog
//! (and the golden path's kept drift), behaviour from the service's report
//! over the rule's window, the same report `paved report --service` gives.
//! The exact definition of each check is [`Check`]'s documentation.

use paved_domain::scorecard::{Check, Threshold, TierName};
use paved_domain::{CatalogIndex, EntityRef};
use paved_metrics::{CultureReport, Line, Tier};

/// What a check found: the figure compared with the threshold, and how it
/// reads; `None` figure when there is nothing to judge by.
pub(super) struct Found {
    /// Whether it passed (`None`: no data).
    pub passed: Option<bool>,
    /// The figure (a share, a tier's rank, a count), when there is one.
    pub figure: Option<f64>,
    /// The figure in words: `9 of 10 deployments by owners (90 %)`.
    pub shown: String,
}

impl Found {
    fn presence(passed: bool, shown: impl Into<String>) -> Self {
        Self { passed: Some(passed), figure: Some(if passed { 1.0 } else { 0.0 }), shown: shown.into() }
    }

    pub(super) fn no_data(shown: impl Into<String>) -> Self {
        Self { passed: None, figure: None, shown: shown.into() }
    }
}

/// A configuration check of `service`.
pub(super) fn configuration(
    check: Check,
    threshold: Option<Threshold>,
    catalog: &CatalogIndex,
    service: &EntityRef,
    drift: Option<&crate::scaffold::drift::ServiceDrift>,
) -> Found {
    let info = catalog.service(service);
    match check {
        Check::OwnerHasMembers => match info.and_then(|i| i.owner.as_ref()) {
            None => Found::presence(false, "no owner (spec.owner)"),
            Some(owner) if owner.is(paved_domain::EntityKind::User) => {
                Found::presence(catalog.person(owner).is_some(), format!("owned by the person {}", owner.name()))
            }
            Some(owner) => match catalog.group(owner) {
                None => Found::presence(false, format!("{} is not a team of the catalog", owner.name())),
                Some(_) => {
                    let members = catalog
                        .group_and_descendants(owner)
                        .iter()
                        .filter_map(|g| catalog.group(g))
                        .map(|g| g.members.len())
                        .sum::<usize>();
                    Found::presence(
                        members > 0,
                        format!(
                            "{} has {}",
                            owner.name(),
                            crate::render::findings::count(members as u64, "member", "members")
                        ),
                    )
                }
            },
        },
        Check::OncallSchedule => match catalog.schedule_of(service) {
            Some(schedule) => Found::presence(true, format!("on call: {}", schedule.entity_ref.name())),
            None => match info.and_then(|i| i.oncall.as_deref()) {
                Some(named) => Found::presence(false, format!("paved.dev/oncall names {named}, not in the catalog")),
                None => Found::presence(false, "no paved.dev/oncall"),
            },
        },
        Check::EscalationPolicy => match catalog.escalation_policy_of(service) {
            Some(policy) => Found::presence(true, format!("escalates by {}", policy.entity_ref.name())),
            None => Found::presence(false, "no EscalationPolicy (its own or its team's)"),
        },
        Check::RunbookLink => {
            let runbooks = info.map_or(0, |i| i.runbooks.len());
            Found::presence(
                runbooks > 0,
                crate::render::findings::count(runbooks as u64, "runbook link", "runbook links"),
            )
        }
        Check::DeployTarget => {
            let targets = catalog.deploy_targets_of(service);
            let names: Vec<&str> = targets.iter().map(|t| t.environment.as_str()).collect();
            Found::presence(
                !targets.is_empty(),
                if names.is_empty() {
                    "no DeployTarget".to_owned()
                } else {
                    format!("deploys to {}", names.join(", "))
                },
            )
        }
        Check::GoldenPath => match drift {
            None => Found { passed: Some(false), figure: None, shown: "not made from a golden path".to_owned() },
            Some(drift) if drift.problem.is_some() || drift.managed == 0 => Found::no_data(format!(
                "made from {}, its drift not known: {}",
                drift.template.name(),
                drift.problem.as_deref().unwrap_or("no template file")
            )),
            Some(drift) => {
                let share = drift.score();
                Found {
                    passed: Some(share_at_least(share, threshold)),
                    figure: Some(share),
                    shown: format!(
                        "{} of {} {} files in line ({})",
                        drift.in_line,
                        drift.managed,
                        drift.template.name(),
                        percent(share)
                    ),
                }
            }
        },
        _ => Found::no_data("not a configuration check"),
    }
}

/// `alert_runbooks`: the share of the alerting rules in the service's
/// repository that link their runbook.
pub(super) fn alert_runbooks(
    threshold: Option<Threshold>,
    read: Option<&Result<super::alerts::AlertRules, String>>,
) -> Found {
    match read {
        None => Found::no_data("its repository is not known here: import it with `paved import git`"),
        Some(Err(error)) => Found::no_data(format!("its repository could not be read: {error}")),
        Some(Ok(rules)) if rules.alerts == 0 => Found {
            passed: Some(false),
            figure: Some(0.0),
            shown: "no Prometheus alerting rules in its repository".to_owned(),
        },
        Some(Ok(rules)) => {
            let share = f64::from(rules.with_runbook) / f64::from(rules.alerts);
            let missing = if rules.missing.is_empty() {
                String::new()
            } else {
                format!("; without one: {}", rules.missing.join(", "))
            };
            Found {
                passed: Some(share_at_least(share, threshold)),
                figure: Some(share),
                shown: format!(
                    "{} of {} alerting rules in {} link a runbook ({}){missing}",
                    rules.with_runbook,
                    rules.alerts,
                    rules.files.join(", "),
                    percent(share)
                ),
            }
        }
    }
}

/// A behaviour check, from the service's report over the rule's window.
pub(super) fn behaviour(check: Check, threshold: Option<Threshold>, report: &CultureReport) -> Found {
    let line = |line: &Line, what: &str| match line.value {
        None => Found::no_data(format!("no {} with a known person in the window", line.basis.replace('_', " "))),
        Some(share) => Found {
            passed: Some(share_at_least(share, threshold)),
            figure: Some(share),
            shown: format!(
                "{} of {} {} {what} ({})",
                round(line.by_owners),
                round(line.total),
                line.basis.replace('_', " "),
                percent(share)
            ),
        },
    };
    let figures = &report.dora.figures;
    let tier = |tier: Option<Tier>, what: &str| match tier {
        None => Found::no_data(format!("no {what} in the window")),
        Some(tier) => {
            let name = tier_name(tier);
            let wanted = match threshold {
                Some(Threshold::Tier(wanted)) => wanted,
                _ => TierName::High,
            };
            Found {
                passed: Some(name <= wanted),
                figure: Some(rank(name)),
                shown: format!("{what}: {} ({})", name.as_str(), report.dora.table.name()),
            }
        }
    };
    let count = |n: u64, what: String, events: u64| {
        if events == 0 {
            return Found::no_data(format!("no {what} in the window"));
        }
        Found { passed: Some(count_passes(check, n, threshold)), figure: Some(n as f64), shown: format!("{what}: {n}") }
    };
    let scope = &report.bus_factors.scope;
    match check {
        Check::DeploysByOwners => line(&report.test.deploy_own_code, "by owners"),
        Check::OncallByOwners => line(&report.test.on_call_own_services, "by owners"),
        Check::PipelinesByOwners => line(&report.test.own_pipelines, "by owners"),
        Check::ProvisioningByOwners => line(&report.test.self_provision, "by owners"),
        Check::SelfServiceProvisioning => {
            let counts = &report.self_service.counts;
            share_of(
                (counts.resources_by_owners, counts.resources),
                threshold,
                "resources provisioned through pavedroad at an owner's request",
                "nothing provisioned through pavedroad in the window",
            )
        }
        Check::DeploysThroughPaved => {
            let counts = &report.self_service.counts;
            share_of(
                (counts.deployments_through_paved, counts.deployments),
                threshold,
                "production deployments through pavedroad",
                "no successful production deployment in the window",
            )
        }
        Check::ChangeFailureRate => tier(figures.change_failure_rate.tier, "change failure rate"),
        Check::LeadTime => tier(figures.lead_time_for_changes.tier, "lead time for changes"),
        Check::RecoveryTime => tier(figures.failed_deployment_recovery_time.tier, "failed deployment recovery time"),
        Check::DeploymentFrequency => {
            let frequency = &figures.deployment_frequency;
            tier((frequency.deployments > 0).then_some(frequency.tier), "deployment frequency")
        }
        Check::DeployBusFactor => {
            count(scope.deployments.bus_factor, "people who deployed it".to_owned(), scope.deployments.events)
        }
        Check::PageBusFactor => count(scope.pages.bus_factor, "people paged for it".to_owned(), scope.pages.events),
        Check::TruckFactor => match report.bus_factors.truck_factors.first() {
            None => Found::no_data("no commit history of its repository"),
            Some(truck) => {
                count(truck.truck_factor, format!("code truck factor over {} files", truck.files), truck.files)
            }
        },
        Check::AfterHoursPagesPerPerson => {
            let paged: Vec<_> = report.bus_factors.after_hours.iter().filter(|a| a.pages > 0).collect();
            if paged.is_empty() {
                return Found::no_data("nobody was paged in the window");
            }
            let worst = paged.iter().map(|a| a.after_hours_pages).max().unwrap_or(0);
            let who = paged.iter().find(|a| a.after_hours_pages == worst).map(|a| a.person.name()).unwrap_or_default();
            Found {
                passed: Some(count_passes(check, worst, threshold)),
                figure: Some(worst as f64),
                shown: format!(
                    "at most {} per person ({who})",
                    crate::render::findings::count(worst, "after-hours page", "after-hours pages")
                ),
            }
        }
        _ => Found::no_data("not a behaviour check"),
    }
}

/// `part` of `whole` as a share against the threshold, shown as `3 of 4
/// <what> (75 %)`; `none` when `whole` is 0.
fn share_of((part, whole): (u64, u64), threshold: Option<Threshold>, what: &str, none: &str) -> Found {
    if whole == 0 {
        return Found::no_data(none);
    }
    let share = part as f64 / whole as f64;
    Found {
        passed: Some(share_at_least(share, threshold)),
        figure: Some(share),
        shown: format!("{part} of {whole} {what} ({})", percent(share)),
    }
}

fn share_at_least(share: f64, threshold: Option<Threshold>) -> bool {
    let wanted = match threshold {
        Some(Threshold::Share(wanted)) => wanted,
        _ => 0.8,
    };
    // Shares are kept to three decimals; 0.8 written is 0.8 reached.
    share + 1e-9 >= wanted
}

fn count_passes(check: Check, n: u64, threshold: Option<Threshold>) -> bool {
    let wanted = match threshold {
        Some(Threshold::Count(wanted)) => u64::from(wanted),
        _ => 2,
    };
    if check == Check::AfterHoursPagesPerPerson { n <= wanted } else { n >= wanted }
}

fn tier_name(tier: Tier) -> TierName {
    match tier {
        Tier::Elite => TierName::Elite,
        Tier::High => TierName::High,
        Tier::Medium => TierName::Medium,
        Tier::Low => TierName::Low,
    }
}

/// A tier as a figure: elite 4 down to low 1.
fn rank(tier: TierName) -> f64 {
    match tier {
        TierName::Elite => 4.0,
        TierName::High => 3.0,
        TierName::Medium => 2.0,
        TierName::Low => 1.0,
    }
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

fn round(n: f64) -> String {
    if (n - n.round()).abs() < 1e-9 { format!("{n:.0}") } else { format!("{n:.1}") }
}
