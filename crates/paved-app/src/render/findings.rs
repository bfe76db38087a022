//! The sentences of the diagnosis: a finding's summary, each piece of its
//! evidence and the rule of the transition phase, written from the facts
//! the metrics crate found. The JSON report, the text, Markdown and HTML
//! reports and the web pages all read them from here, so they say the
//! same thing in the same words.

use paved_domain::EntityRef;
use paved_metrics::{BusFactorEvents, EvidenceFact, PersonInTeam, PhaseRule, Summary, WhyUnowned, WorkForOtherTeams};

/// A share as a whole percentage with a space before the sign: `35 %`.
fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// A person by name, with their team when known: `dana (team platform)`.
fn person(person: &PersonInTeam) -> String {
    match &person.team {
        Some(team) => format!("{} (team {})", person.person.name(), team.name()),
        None => person.person.name().to_owned(),
    }
}

/// `n` and the noun, singular or plural: `1 service`, `3 services`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Names, comma-separated.
fn names(entities: &[EntityRef]) -> String {
    entities.iter().map(EntityRef::name).collect::<Vec<_>>().join(", ")
}

fn work_for_other_teams(work: &WorkForOtherTeams) -> String {
    let top =
        work.top_deployer.as_ref().map(|(who, count)| format!(" ({count} by {})", who.name())).unwrap_or_default();
    format!(
        "the team's people made {} production deployments to {} of other teams{top}, against {} to its own{}",
        work.deployments,
        count(work.services, "service", "services"),
        work.own_deployments,
        work.share_of_their_deployments
            .map(|share| format!("; that is {} of those services' production deployments", percent(share)))
            .unwrap_or_default()
    )
}

/// Why a finding has its severity, in a sentence.
pub fn summary(summary: &Summary) -> String {
    match summary {
        Summary::NewSilo {
            handed_off,
            attributed,
            handoff_rate,
            services_with_pipelines_kept_by_others,
            work_for_other_teams: work,
        } => {
            let mut text = match handoff_rate {
                Some(rate) => format!(
                    "{handed_off} of {attributed} attributed production deployments were made by people who do not own the service (handoff rate {})",
                    percent(*rate)
                ),
                None => "no production deployment with a known actor in the window".to_owned(),
            };
            if *services_with_pipelines_kept_by_others > 0 {
                text.push_str(&format!(
                    "; {} whose pipelines are changed mostly by non-owners",
                    count(*services_with_pipelines_kept_by_others, "service", "services")
                ));
            }
            if let Some(work) = work {
                text = format!("{text}; {}", work_for_other_teams(work));
            }
            text
        }
        Summary::DeploymentBottleneck { deployments, top_deployer_share, top_two_deployers_share } => {
            match top_deployer_share {
                Some(top) => format!(
                    "the top deployer made {} of {deployments} production deployments, the top two {}",
                    percent(*top),
                    top_two_deployers_share.map_or_else(|| "–".to_owned(), percent)
                ),
                None => "no production deployment with a known actor in the window".to_owned(),
            }
        }
        Summary::ResponsibilityDiffusion {
            services_without_owner,
            services_mostly_resolved_by_non_owners,
            incidents_without_responder,
            services_without_on_call,
            services_without_runbook,
        } => format!(
            "{} without a responsible team, {services_mostly_resolved_by_non_owners} whose incidents are mostly resolved by others, {} without a responder, {services_without_on_call} without on-call, {services_without_runbook} without a runbook",
            count(*services_without_owner, "service", "services"),
            count(*incidents_without_responder, "incident", "incidents"),
        ),
        Summary::KnowledgeHoarding {
            bus_factor_pages,
            bus_factor_acknowledgements,
            after_hours_top_share,
            after_hours_pages,
            runbook_coverage,
        } => format!(
            "bus factor of pages {bus_factor_pages}, of acknowledgements {bus_factor_acknowledgements}; the top person received {} of {after_hours_pages} after-hours pages; runbook coverage {}",
            after_hours_top_share.map_or_else(|| "none".to_owned(), percent),
            runbook_coverage.map_or_else(|| "–".to_owned(), percent)
        ),
    }
}

/// One piece of evidence, in a sentence that names who and what.
pub fn evidence(fact: &EvidenceFact) -> String {
    match fact {
        EvidenceFact::DeployedOthersServices { deployer, deployments, services } => format!(
            "{} deployed {deployments} of the production deployments of services they do not own ({})",
            person(deployer),
            names(services)
        ),
        EvidenceFact::PipelinesKeptByOthers { service, commits, by_others, committers } => {
            let committers: Vec<String> = committers.iter().map(|(who, n)| format!("{} {n}", person(who))).collect();
            format!(
                "{by_others} of the {commits} pipeline commits of {} were made by people who do not own it: {}",
                service.name(),
                committers.join(", ")
            )
        }
        EvidenceFact::WorkForOtherTeams(work) => work_for_other_teams(work),
        EvidenceFact::TopDeployer { deployer, deployments, total, to_services_not_owned, services_not_owned } => {
            format!(
                "{} made {deployments} of the {total} production deployments ({}), {to_services_not_owned} of them to {} they do not own",
                person(deployer),
                percent(*deployments as f64 / *total as f64),
                count(*services_not_owned, "service", "services")
            )
        }
        EvidenceFact::NoResponsibleTeam { service, why } => {
            let owner = |owner: &Option<EntityRef>| owner.as_ref().map_or_else(String::new, |o| o.name().to_owned());
            let problem = match why {
                WhyUnowned::NoOwner => "names no owner".to_owned(),
                WhyUnowned::OwnerNotInCatalog(owned_by) => {
                    format!("is owned by {}, which is not in the catalog", owner(owned_by))
                }
                WhyUnowned::OwnerWithoutMembers(owned_by) => {
                    format!("is owned by {}, which has no members", owner(owned_by))
                }
            };
            format!("{} {problem}: nobody is responsible for it", service.name())
        }
        EvidenceFact::ResolvedByOthers { service, by_others, resolved } => format!(
            "{by_others} of the {resolved} resolved incidents of {} were resolved by people who do not own it",
            service.name()
        ),
        EvidenceFact::WithoutResponder { without_responder, incidents } => {
            format!("{without_responder} of {incidents} incidents had nobody acknowledge or resolve them")
        }
        EvidenceFact::WithoutOnCallSchedule { services } => {
            let verb = if *services == 1 { "has" } else { "have" };
            format!("{} {verb} no on-call schedule (paved.dev/oncall)", count(*services, "service", "services"))
        }
        EvidenceFact::WithoutRunbook { services } => {
            let verb = if *services == 1 { "has" } else { "have" };
            format!("{} {verb} no runbook link", count(*services, "service", "services"))
        }
        EvidenceFact::AfterHoursPages { person: who, pages, total } => format!(
            "{} received {pages} of the {total} after-hours pages ({})",
            person(who),
            percent(*pages as f64 / *total as f64)
        ),
        EvidenceFact::HalfOfEvents { person: who, events, count } => {
            let what = match events {
                BusFactorEvents::Deployments => "production deployments",
                BusFactorEvents::Acknowledgements => "incident acknowledgements",
                BusFactorEvents::Pages => "pages",
            };
            format!("{} alone accounts for half or more of the {count} {what}", person(who))
        }
        EvidenceFact::TruckFactorOne { services, authors, files } => format!(
            "the code of {} has a truck factor of 1: {} is the author of most of its {files} files",
            names(services),
            authors.join(", ")
        ),
    }
}

/// The rule that decides the transition phase, in words.
pub fn phase_rule(rule: &PhaseRule) -> String {
    format!(
        "by the share of production deployments made by owners: under {} reframe (a DevOps team does the work), under {} build (the platform builds self-service while still operating), under {} transfer (deployments move to the teams that build), then shift while on call, pipelines or provisioning are below culture, else evolve",
        percent(rule.reframe_below),
        percent(rule.build_below),
        percent(rule.transfer_below)
    )
}

/// Where pavedroad itself is the fix a finding recommends (the
/// self-service path the platform builds): a sentence pointing at the
/// golden paths and the paved road's deploy, for the findings whose fix is
/// "build the self-service path".
pub fn paved_road(finding_id: &str) -> Option<&'static str> {
    match finding_id {
        "new_silo" | "deployment_bottleneck" => Some(
            "On pavedroad: start each service on a golden path (paved new, or the form at /templates), which gives \
             it an owner, a pipeline that deploys through paved deploy and its on-call wiring from its first commit; \
             its owners then deploy it themselves.",
        ),
        _ => None,
    }
}

/// The page of the golden paths, which [`paved_road`] points at.
pub const GOLDEN_PATHS: &str = "/templates";

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(reference: &str) -> EntityRef {
        reference.parse().unwrap()
    }

    #[test]
    fn evidence_names_people_with_their_team_and_shares_as_percentages() {
        let dana = PersonInTeam { person: entity("user:default/dana"), team: Some(entity("group:default/platform")) };
        let fact = EvidenceFact::TopDeployer {
            deployer: dana,
            deployments: 87,
            total: 100,
            to_services_not_owned: 80,
            services_not_owned: 3,
        };
        assert_eq!(
            evidence(&fact),
            "dana (team platform) made 87 of the 100 production deployments (87 %), 80 of them to 3 services they do not own"
        );
        let unowned = EvidenceFact::NoResponsibleTeam {
            service: entity("component:default/legacy"),
            why: WhyUnowned::OwnerWithoutMembers(Some(entity("group:default/growth"))),
        };
        assert_eq!(evidence(&unowned), "legacy is owned by growth, which has no members: nobody is responsible for it");
    }

    #[test]
    fn a_summary_without_figures_says_so() {
        let summary = summary(&Summary::DeploymentBottleneck {
            deployments: 0,
            top_deployer_share: None,
            top_two_deployers_share: None,
        });
        assert_eq!(summary, "no production deployment with a known actor in the window");
        assert!(
            phase_rule(&PhaseRule { reframe_below: 0.35, build_below: 0.5, transfer_below: 0.8 })
                .starts_with("by the share of production deployments made by owners: under 35 % reframe")
        );
    }
}
