//! The four dysfunctions of a "DevOps team" (DESIGN §6) as findings with
//! evidence: the new silo, the deployment bottleneck, responsibility
//! diffusion and knowledge hoarding.
//!
//! A finding says what was found as facts (counts, shares, people, teams,
//! services); the sentences that tell people are written from them by the
//! application layer (`paved_app::render::findings`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use paved_domain::EntityRef;

use super::{Diagnosis, Knowledge, TruckFactor, globs, round3};
use crate::facts::ChangeSet;
use crate::input::{IncidentInput, Ownership};
use crate::outside::OutsideWork;
use crate::stats::{median, percentile};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Nothing to act on.
    Ok,
    /// Worth acting on.
    Warning,
    /// Act now.
    Critical,
}

/// Who and what a finding is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// What was found, with its figures.
    pub fact: EvidenceFact,
    /// The people it names.
    pub people: Vec<EntityRef>,
    /// The teams it names.
    pub teams: Vec<EntityRef>,
    /// The services it names.
    pub services: Vec<EntityRef>,
    /// The count behind it.
    pub count: u64,
}

/// A person named by evidence, with their team when the catalog knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonInTeam {
    /// The catalog User.
    pub person: EntityRef,
    /// The Group they are a member of.
    pub team: Option<EntityRef>,
}

/// One kind of evidence, with the figures, people, teams and services
/// behind it.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidenceFact {
    /// New silo: a person deployed services they do not own.
    DeployedOthersServices {
        /// Who.
        deployer: PersonInTeam,
        /// Their production deployments to services they do not own.
        deployments: u64,
        /// Those services.
        services: Vec<EntityRef>,
    },
    /// New silo: most of a service's pipeline commits in the window were
    /// made by people who do not own it.
    PipelinesKeptByOthers {
        /// The service.
        service: EntityRef,
        /// Its pipeline commits in the window.
        commits: u64,
        /// Those made by people who do not own it.
        by_others: u64,
        /// Who made them, with how many, most first.
        committers: Vec<(PersonInTeam, u64)>,
    },
    /// New silo, in a team's report: the team's people deployed services of
    /// other teams.
    WorkForOtherTeams(WorkForOtherTeams),
    /// Deployment bottleneck: one of the two people who made the most
    /// production deployments.
    TopDeployer {
        /// Who.
        deployer: PersonInTeam,
        /// Their production deployments.
        deployments: u64,
        /// All production deployments of the scope.
        total: u64,
        /// Theirs to services they do not own.
        to_services_not_owned: u64,
        /// How many services those were.
        services_not_owned: u64,
    },
    /// Responsibility diffusion: a service nobody is responsible for.
    NoResponsibleTeam {
        /// The service.
        service: EntityRef,
        /// Why nobody is.
        why: WhyUnowned,
    },
    /// Responsibility diffusion: most of a service's resolved incidents
    /// were resolved by people who do not own it.
    ResolvedByOthers {
        /// The service.
        service: EntityRef,
        /// Those resolved by people who do not own it.
        by_others: u64,
        /// Its resolved incidents in the window.
        resolved: u64,
    },
    /// Responsibility diffusion: incidents nobody acknowledged or resolved.
    WithoutResponder {
        /// Those incidents.
        without_responder: u64,
        /// All incidents of the scope in the window.
        incidents: u64,
    },
    /// Responsibility diffusion: services without an on-call schedule.
    WithoutOnCallSchedule {
        /// How many.
        services: u64,
    },
    /// Responsibility diffusion: services without a runbook link.
    WithoutRunbook {
        /// How many.
        services: u64,
    },
    /// Knowledge hoarding: the person who received the most after-hours
    /// pages.
    AfterHoursPages {
        /// Who.
        person: PersonInTeam,
        /// Their after-hours pages.
        pages: u64,
        /// All after-hours pages of the scope.
        total: u64,
    },
    /// Knowledge hoarding: one person accounts for half or more of some
    /// events (a bus factor of 1).
    HalfOfEvents {
        /// Who.
        person: PersonInTeam,
        /// Which events.
        events: BusFactorEvents,
        /// How many there were.
        count: u64,
    },
    /// Knowledge hoarding: a repository with a code truck factor of 1.
    TruckFactorOne {
        /// The services deployed from it.
        services: Vec<EntityRef>,
        /// Its authors (catalog Users, or e-mails).
        authors: Vec<String>,
        /// Its files.
        files: u64,
    },
}

/// What a team's people did for other teams, as the new silo tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkForOtherTeams {
    /// Their production deployments to other teams' services.
    pub deployments: u64,
    /// How many services those were.
    pub services: u64,
    /// Who of them deployed the most there, and how often.
    pub top_deployer: Option<(EntityRef, u64)>,
    /// Their production deployments to the team's own services.
    pub own_deployments: u64,
    /// Their share of those services' production deployments.
    pub share_of_their_deployments: Option<f64>,
}

/// Why nobody is responsible for a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhyUnowned {
    /// Its descriptor names no owner.
    NoOwner,
    /// Its owner is not in the catalog.
    OwnerNotInCatalog(Option<EntityRef>),
    /// Its owning Group has no members.
    OwnerWithoutMembers(Option<EntityRef>),
}

/// The events a bus factor counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusFactorEvents {
    /// Production deployments, by human actor.
    Deployments,
    /// First acknowledgements of incidents.
    Acknowledgements,
    /// Pages.
    Pages,
}

/// Why a finding has its severity: the figures its summary reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Summary {
    /// `new_silo`.
    NewSilo {
        /// Production deployments by people who do not own the service.
        handed_off: u64,
        /// Production deployments with a known actor.
        attributed: u64,
        /// `handed_off / attributed` (`None` without attributed ones).
        handoff_rate: Option<f64>,
        /// Services whose pipelines are changed mostly by non-owners.
        services_with_pipelines_kept_by_others: u64,
        /// In a team's report with deployments to other teams' services:
        /// those.
        work_for_other_teams: Option<WorkForOtherTeams>,
    },
    /// `deployment_bottleneck`.
    DeploymentBottleneck {
        /// Production deployments of the scope.
        deployments: u64,
        /// The top deployer's share (`None` without a known actor).
        top_deployer_share: Option<f64>,
        /// The top two deployers' share.
        top_two_deployers_share: Option<f64>,
    },
    /// `responsibility_diffusion`.
    ResponsibilityDiffusion {
        /// Services without a responsible team.
        services_without_owner: u64,
        /// Services whose incidents are mostly resolved by others.
        services_mostly_resolved_by_non_owners: u64,
        /// Incidents nobody acknowledged or resolved.
        incidents_without_responder: u64,
        /// Services without an on-call schedule.
        services_without_on_call: u64,
        /// Services without a runbook.
        services_without_runbook: u64,
    },
    /// `knowledge_hoarding`.
    KnowledgeHoarding {
        /// The bus factor of pages.
        bus_factor_pages: u64,
        /// The bus factor of acknowledgements.
        bus_factor_acknowledgements: u64,
        /// The top person's share of after-hours pages.
        after_hours_top_share: Option<f64>,
        /// All after-hours pages.
        after_hours_pages: u64,
        /// Runbook coverage.
        runbook_coverage: Option<f64>,
    },
}

/// One of the four dysfunctions, measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `new_silo`, `deployment_bottleneck`, `responsibility_diffusion` or
    /// `knowledge_hoarding`.
    pub id: &'static str,
    /// Its name for people.
    pub title: &'static str,
    /// How serious.
    pub severity: Severity,
    /// Why that severity.
    pub summary: Summary,
    /// The figures it is measured by.
    pub figures: BTreeMap<&'static str, serde_json::Value>,
    /// Who and what, most significant first.
    pub evidence: Vec<Evidence>,
    /// What to do: the practice that fixes it.
    pub recommendation: &'static str,
}

impl Diagnosis<'_> {
    fn in_team(&self, person: &EntityRef) -> PersonInTeam {
        PersonInTeam { person: person.clone(), team: self.team_of(person) }
    }

    /// Services whose pipeline changes in the window were made mostly by
    /// people who do not own them (owners' share at or below the role
    /// threshold of the pipelines line): the silo keeps the pipelines.
    fn kept_pipelines(&self) -> Vec<Evidence> {
        let index = self.change_index(&globs(&self.config.pipeline_globs), self.services);
        let mut changes: BTreeMap<usize, (u64, u64, Vec<EntityRef>)> = BTreeMap::new();
        self.for_each_change(&self.window, &index, |service, person, by_owner| {
            let entry = changes.entry(service).or_default();
            match (person, by_owner) {
                (Some(person), Some(false)) => entry.2.push(person.clone()),
                (_, Some(true)) => entry.0 += 1,
                _ => {}
            }
            entry.1 += 1;
        });
        let mut evidence = Vec::new();
        for (service, (by_owners, total, others)) in changes {
            let attributed = by_owners + others.len() as u64;
            if attributed == 0 || by_owners as f64 / attributed as f64 > self.config.pipelines.role {
                continue;
            }
            let ranked = Self::ranking(others.iter());
            let teams: BTreeSet<EntityRef> = ranked.iter().filter_map(|(p, _)| self.team_of(p)).collect();
            let service_ref = self.dataset.services[service].service.clone();
            evidence.push(Evidence {
                fact: EvidenceFact::PipelinesKeptByOthers {
                    service: service_ref.clone(),
                    commits: total,
                    by_others: others.len() as u64,
                    committers: ranked.iter().map(|(p, n)| (self.in_team(p), *n)).collect(),
                },
                people: ranked.into_iter().map(|(p, _)| p).collect(),
                teams: teams.into_iter().collect(),
                services: vec![service_ref],
                count: others.len() as u64,
            });
        }
        evidence.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.services.cmp(&b.services)));
        evidence
    }

    fn new_silo(&self) -> Finding {
        let deployments: Vec<_> = self.deployments_in(&self.window).collect();
        let attributed: Vec<_> = deployments.iter().filter(|d| d.actor.is_some()).collect();
        let handed_off: Vec<_> =
            attributed.iter().filter(|d| self.is_owner(d.service, d.actor.as_ref()) == Some(false)).collect();
        let handoff_rate = (!attributed.is_empty()).then(|| handed_off.len() as f64 / attributed.len() as f64);
        // Bounce-backs: a non-owner's deployment that failed, and whose
        // fix came as owners' commits in a later deployment.
        let mut bounce_backs = 0u64;
        for deployment in handed_off.iter().filter(|d| d.failed.is_some()) {
            let later = self.facts[deployment.service].deployments.iter().find(|n| n.finished > deployment.finished);
            let fixed_by_owner =
                later.is_some_and(|next| match (self.dataset.services[deployment.service].repo, next.commit) {
                    (Some(repo), Some(commit)) => {
                        let graph = &self.dataset.repos[repo];
                        let (person, _) = &self.dataset.authors[repo][graph.author(commit) as usize];
                        self.is_owner(deployment.service, person.as_ref()) == Some(true)
                    }
                    _ => false,
                });
            bounce_backs += u64::from(fixed_by_owner);
        }
        let mut evidence = Vec::new();
        for (person, count) in Self::ranking(handed_off.iter().filter_map(|d| d.actor.as_ref())).into_iter().take(5) {
            let services: BTreeSet<EntityRef> = handed_off
                .iter()
                .filter(|d| d.actor.as_ref() == Some(&person))
                .map(|d| self.dataset.services[d.service].service.clone())
                .collect();
            evidence.push(Evidence {
                fact: EvidenceFact::DeployedOthersServices {
                    deployer: self.in_team(&person),
                    deployments: count,
                    services: services.iter().cloned().collect(),
                },
                teams: self.team_of(&person).into_iter().collect(),
                people: vec![person],
                services: services.into_iter().collect(),
                count,
            });
        }
        let kept_pipelines = self.kept_pipelines();
        let pipeline_services = kept_pipelines.len();
        evidence.extend(kept_pipelines.into_iter().take(5));
        let cutoffs = &self.config.cutoffs;
        let severity = match handoff_rate {
            Some(rate) if rate >= cutoffs.handoff_critical => Severity::Critical,
            Some(rate) if rate >= cutoffs.handoff_warning => Severity::Warning,
            _ => Severity::Ok,
        };
        let summary = Summary::NewSilo {
            handed_off: handed_off.len() as u64,
            attributed: attributed.len() as u64,
            handoff_rate,
            services_with_pipelines_kept_by_others: pipeline_services as u64,
            work_for_other_teams: None,
        };
        Finding {
            id: "new_silo",
            title: "New silo, same problem",
            severity,
            summary,
            figures: BTreeMap::from([
                ("handoff_rate", serde_json::json!(handoff_rate.map(round3))),
                ("handed_off_deployments", serde_json::json!(handed_off.len())),
                ("attributed_deployments", serde_json::json!(attributed.len())),
                ("bounce_backs", serde_json::json!(bounce_backs)),
                ("services_with_pipelines_kept_by_others", serde_json::json!(pipeline_services)),
            ]),
            evidence,
            recommendation: "Stop deploying for other teams: have the platform team build the self-service deploy path (pipelines, guardrails as code) and pair with each team until its own members deploy; the platform team's work is the road, not the driving.",
        }
    }

    /// A team's "new silo" finding also judges what the team's people do
    /// to other teams' services: a team that deploys for others is the
    /// silo, however well its own services look.
    fn add_work_for_others(&self, finding: &mut Finding, outside: &OutsideWork) {
        let made = outside.deployments + outside.own_deployments;
        let share = (made > 0).then(|| outside.deployments as f64 / made as f64);
        let cutoffs = &self.config.cutoffs;
        let counts = outside.deployments >= cutoffs.work_for_others_min_deployments;
        let severity = match share {
            Some(share) if counts && share >= cutoffs.work_for_others_critical => Severity::Critical,
            Some(share) if counts && share >= cutoffs.work_for_others_warning => Severity::Warning,
            _ => Severity::Ok,
        };
        finding.severity = finding.severity.max(severity);
        finding.figures.insert("deployments_to_services_of_other_teams", serde_json::json!(outside.deployments));
        finding.figures.insert("share_of_own_deployments_to_other_teams", serde_json::json!(share.map(round3)));
        if outside.deployments == 0 {
            return;
        }
        let services: Vec<EntityRef> = outside.services.iter().map(|s| s.service.clone()).collect();
        let work = WorkForOtherTeams {
            deployments: outside.deployments,
            services: services.len() as u64,
            top_deployer: outside.deployers.first().map(|top| (top.person.clone(), top.deployments)),
            own_deployments: outside.own_deployments,
            share_of_their_deployments: outside.share_of_their_deployments,
        };
        if let Summary::NewSilo { work_for_other_teams, .. } = &mut finding.summary {
            *work_for_other_teams = Some(work.clone());
        }
        finding.evidence.insert(
            0,
            Evidence {
                fact: EvidenceFact::WorkForOtherTeams(work),
                people: outside.deployers.iter().map(|d| d.person.clone()).collect(),
                teams: Vec::new(),
                services,
                count: outside.deployments,
            },
        );
    }

    fn bottleneck(&self) -> Finding {
        let deployments: Vec<_> = self.deployments_in(&self.window).collect();
        let total = deployments.len() as u64;
        let ranked = Self::ranking(deployments.iter().filter_map(|d| d.actor.as_ref()));
        let share = |n: usize| -> Option<f64> {
            (total > 0 && ranked.len() >= n)
                .then(|| ranked.iter().take(n).map(|(_, c)| c).sum::<u64>() as f64 / total as f64)
        };
        let (top1, top2) = (share(1), share(2));
        let actor_of: HashMap<&str, (usize, Option<&EntityRef>)> =
            deployments.iter().map(|d| (d.key.as_str(), (d.service, d.actor.as_ref()))).collect();
        // Merge → deploy wait, by who deployed.
        let mut waits: Vec<(DateTime<Utc>, f64, Option<bool>)> = Vec::new();
        for pr in self.services.iter().filter_map(|s| self.facts.get(*s)).flat_map(|f| &f.pull_requests) {
            if !self.window.contains(pr.deployed) {
                continue;
            }
            if let (Some(wait), Some((service, actor))) = (pr.deploy, actor_of.get(pr.deployment.as_str()))
                && wait >= 0.0
            {
                waits.push((pr.deployed, wait, self.is_owner(*service, *actor)));
            }
        }
        let mut all_waits: Vec<f64> = waits.iter().map(|w| w.1).collect();
        let mut owner_waits: Vec<f64> = waits.iter().filter(|w| w.2 == Some(true)).map(|w| w.1).collect();
        let mut other_waits: Vec<f64> = waits.iter().filter(|w| w.2 == Some(false)).map(|w| w.1).collect();
        let sizes: Vec<(DateTime<Utc>, f64)> = deployments
            .iter()
            .filter_map(|d| match d.change_set {
                ChangeSet::Known(n) => Some((d.finished, n as f64)),
                _ => None,
            })
            .collect();
        let midpoint = self.window.since + (self.window.until - self.window.since) / 2;
        let halves = |values: &[(DateTime<Utc>, f64)]| -> (Option<f64>, Option<f64>) {
            let mut first: Vec<f64> = values.iter().filter(|v| v.0 < midpoint).map(|v| v.1).collect();
            let mut second: Vec<f64> = values.iter().filter(|v| v.0 >= midpoint).map(|v| v.1).collect();
            (median(&mut first), median(&mut second))
        };
        let wait_trend = halves(&waits.iter().map(|w| (w.0, w.1)).collect::<Vec<_>>());
        let size_trend = halves(&sizes);
        let mut size_values: Vec<f64> = sizes.iter().map(|s| s.1).collect();
        let mut evidence = Vec::new();
        for (person, count) in ranked.iter().take(2) {
            let not_owned: Vec<_> = deployments
                .iter()
                .filter(|d| d.actor.as_ref() == Some(person) && self.is_owner(d.service, Some(person)) == Some(false))
                .collect();
            let services: BTreeSet<EntityRef> =
                not_owned.iter().map(|d| self.dataset.services[d.service].service.clone()).collect();
            evidence.push(Evidence {
                fact: EvidenceFact::TopDeployer {
                    deployer: self.in_team(person),
                    deployments: *count,
                    total,
                    to_services_not_owned: not_owned.len() as u64,
                    services_not_owned: services.len() as u64,
                },
                people: vec![person.clone()],
                teams: self.team_of(person).into_iter().collect(),
                services: services.into_iter().collect(),
                count: *count,
            });
        }
        // A gate is someone deploying what others build: concentration
        // counts by the deployments each top deployer made to services
        // they do not own. A small team whose two members deploy their
        // own services is no bottleneck (its bus factor is knowledge
        // hoarding's business).
        let gates = Self::ranking(
            deployments
                .iter()
                .filter(|d| d.actor.is_some() && self.is_owner(d.service, d.actor.as_ref()) == Some(false))
                .filter_map(|d| d.actor.as_ref()),
        );
        let gate_share = |n: usize| -> Option<f64> {
            (total > 0 && !gates.is_empty())
                .then(|| gates.iter().take(n).map(|(_, c)| c).sum::<u64>() as f64 / total as f64)
        };
        let (gate1, gate2) = (gate_share(1), gate_share(2));
        let cutoffs = &self.config.cutoffs;
        let severity = match (gate1, gate2) {
            _ if total < cutoffs.bottleneck_min_deployments => Severity::Ok,
            (Some(g1), _) if g1 >= cutoffs.gate_one_critical => Severity::Critical,
            (_, Some(g2)) if g2 >= cutoffs.gate_two_critical => Severity::Critical,
            (Some(g1), _) if g1 >= cutoffs.gate_one_warning => Severity::Warning,
            (_, Some(g2)) if g2 >= cutoffs.gate_two_warning => Severity::Warning,
            _ => Severity::Ok,
        };
        let summary = Summary::DeploymentBottleneck {
            deployments: total,
            top_deployer_share: top1,
            top_two_deployers_share: top2,
        };
        let seconds = |v: Option<f64>| serde_json::json!(v.map(round3));
        Finding {
            id: "deployment_bottleneck",
            title: "The deployment bottleneck",
            severity,
            summary,
            figures: BTreeMap::from([
                ("deployments", serde_json::json!(total)),
                ("top_deployer_share", serde_json::json!(top1.map(round3))),
                ("top_two_deployers_share", serde_json::json!(top2.map(round3))),
                ("top_deployer_share_to_services_not_owned", serde_json::json!(gate1.map(round3))),
                ("top_two_deployers_share_to_services_not_owned", serde_json::json!(gate2.map(round3))),
                ("merge_to_deploy_median_seconds", seconds(percentile(&mut all_waits, 0.5))),
                ("merge_to_deploy_p90_seconds", seconds(percentile(&mut all_waits, 0.9))),
                ("merge_to_deploy_first_half_median_seconds", seconds(wait_trend.0)),
                ("merge_to_deploy_second_half_median_seconds", seconds(wait_trend.1)),
                ("wait_when_owner_deploys_median_seconds", seconds(median(&mut owner_waits))),
                ("wait_when_non_owner_deploys_median_seconds", seconds(median(&mut other_waits))),
                ("change_set_size_median", seconds(median(&mut size_values))),
                ("change_set_size_first_half_median", seconds(size_trend.0)),
                ("change_set_size_second_half_median", seconds(size_trend.1)),
            ]),
            evidence,
            recommendation: "Remove the gate, not the people: make deploying self-service with automated policy checks (owner or allow-list, CI passed, no deny window) so that any owner can ship a merged change; small frequent changes then replace queued batches.",
        }
    }

    fn diffusion(&self) -> Finding {
        let mut evidence = Vec::new();
        let mut unowned = 0u64;
        for &s in self.services {
            let service = &self.dataset.services[s];
            let why = match service.ownership {
                Ownership::Owned => continue,
                Ownership::NoOwner => WhyUnowned::NoOwner,
                Ownership::MissingOwner => WhyUnowned::OwnerNotInCatalog(service.owner.clone()),
                Ownership::EmptyGroup => WhyUnowned::OwnerWithoutMembers(service.owner.clone()),
            };
            unowned += 1;
            evidence.push(Evidence {
                fact: EvidenceFact::NoResponsibleTeam { service: service.service.clone(), why },
                people: Vec::new(),
                teams: service.owner.iter().filter(|o| o.is(paved_domain::EntityKind::Group)).cloned().collect(),
                services: vec![service.service.clone()],
                count: 1,
            });
        }
        let in_window = |i: &&IncidentInput| i.opened_at.is_some_and(|o| self.window.contains(o));
        let incidents: Vec<_> = self.incidents_of(self.services).filter(in_window).collect();
        let no_responder = incidents.iter().filter(|i| !i.acknowledged && !i.resolver_named).count() as u64;
        let mut non_owner_resolved_services = 0u64;
        for &s in self.services {
            let resolved: Vec<_> = self
                .incidents_of(std::slice::from_ref(&s))
                .filter(in_window)
                .filter(|i| i.resolved_by.is_some())
                .collect();
            let by_others = resolved.iter().filter(|i| self.is_owner(s, i.resolved_by.as_ref()) == Some(false)).count();
            if !resolved.is_empty() && by_others * 2 > resolved.len() {
                non_owner_resolved_services += 1;
                let service = &self.dataset.services[s].service;
                let resolvers: BTreeSet<EntityRef> = resolved
                    .iter()
                    .filter_map(|i| i.resolved_by.clone())
                    .filter(|p| self.is_owner(s, Some(p)) == Some(false))
                    .collect();
                evidence.push(Evidence {
                    fact: EvidenceFact::ResolvedByOthers {
                        service: service.clone(),
                        by_others: by_others as u64,
                        resolved: resolved.len() as u64,
                    },
                    teams: resolvers
                        .iter()
                        .filter_map(|p| self.team_of(p))
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                    people: resolvers.into_iter().collect(),
                    services: vec![service.clone()],
                    count: by_others as u64,
                });
            }
        }
        if no_responder > 0 {
            evidence.push(Evidence {
                fact: EvidenceFact::WithoutResponder {
                    without_responder: no_responder,
                    incidents: incidents.len() as u64,
                },
                people: Vec::new(),
                teams: Vec::new(),
                services: incidents
                    .iter()
                    .filter(|i| !i.acknowledged && !i.resolver_named)
                    .map(|i| self.dataset.services[i.service].service.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                count: no_responder,
            });
        }
        let without_schedule: Vec<EntityRef> = self
            .services
            .iter()
            .map(|s| &self.dataset.services[*s])
            .filter(|s| s.schedule.is_none())
            .map(|s| s.service.clone())
            .collect();
        let without_runbook: Vec<EntityRef> = self
            .services
            .iter()
            .map(|s| &self.dataset.services[*s])
            .filter(|s| s.runbooks == 0)
            .map(|s| s.service.clone())
            .collect();
        if !without_schedule.is_empty() {
            evidence.push(Evidence {
                fact: EvidenceFact::WithoutOnCallSchedule { services: without_schedule.len() as u64 },
                people: Vec::new(),
                teams: Vec::new(),
                count: without_schedule.len() as u64,
                services: without_schedule.clone(),
            });
        }
        if !without_runbook.is_empty() {
            evidence.push(Evidence {
                fact: EvidenceFact::WithoutRunbook { services: without_runbook.len() as u64 },
                people: Vec::new(),
                teams: Vec::new(),
                count: without_runbook.len() as u64,
                services: without_runbook.clone(),
            });
        }
        let no_responder_share = (!incidents.is_empty()).then(|| no_responder as f64 / incidents.len() as f64);
        let severity =
            if unowned > 0 || no_responder_share.is_some_and(|s| s >= self.config.cutoffs.no_responder_critical) {
                Severity::Critical
            } else if non_owner_resolved_services > 0
                || !without_schedule.is_empty()
                || !without_runbook.is_empty()
                || no_responder > 0
            {
                Severity::Warning
            } else {
                Severity::Ok
            };
        Finding {
            id: "responsibility_diffusion",
            title: "Responsibility diffusion",
            severity,
            summary: Summary::ResponsibilityDiffusion {
                services_without_owner: unowned,
                services_mostly_resolved_by_non_owners: non_owner_resolved_services,
                incidents_without_responder: no_responder,
                services_without_on_call: without_schedule.len() as u64,
                services_without_runbook: without_runbook.len() as u64,
            },
            figures: BTreeMap::from([
                ("services", serde_json::json!(self.services.len())),
                ("services_without_owner", serde_json::json!(unowned)),
                ("services_mostly_resolved_by_non_owners", serde_json::json!(non_owner_resolved_services)),
                ("incidents", serde_json::json!(incidents.len())),
                ("incidents_without_responder", serde_json::json!(no_responder)),
                ("services_without_on_call", serde_json::json!(without_schedule.len())),
                ("services_without_runbook", serde_json::json!(without_runbook.len())),
            ]),
            evidence,
            recommendation: "Give every service one owning team with members, put that team on call for it with a schedule and a runbook, and route its alerts to them: shared ownership means named owners, not everyone.",
        }
    }

    fn hoarding(&self, knowledge: &Knowledge) -> Finding {
        let cutoffs = &self.config.cutoffs;
        let mut evidence = Vec::new();
        let total_after: u64 = knowledge.after_hours.iter().map(|a| a.after_hours_pages).sum();
        if let Some(top) = knowledge.after_hours.first().filter(|t| t.after_hours_pages > 0) {
            evidence.push(Evidence {
                fact: EvidenceFact::AfterHoursPages {
                    person: self.in_team(&top.person),
                    pages: top.after_hours_pages,
                    total: total_after,
                },
                people: vec![top.person.clone()],
                teams: top.team.iter().cloned().collect(),
                services: Vec::new(),
                count: top.after_hours_pages,
            });
        }
        for (events, factor) in [
            (BusFactorEvents::Deployments, &knowledge.scope.deployments),
            (BusFactorEvents::Acknowledgements, &knowledge.scope.acknowledgements),
            (BusFactorEvents::Pages, &knowledge.scope.pages),
        ] {
            if factor.bus_factor == 1 && factor.events >= cutoffs.bus_factor_min_events {
                let person = &factor.people[0];
                evidence.push(Evidence {
                    fact: EvidenceFact::HalfOfEvents { person: self.in_team(person), events, count: factor.events },
                    people: vec![person.clone()],
                    teams: self.team_of(person).into_iter().collect(),
                    services: Vec::new(),
                    count: factor.events,
                });
            }
        }
        let single: Vec<&TruckFactor> = knowledge
            .truck_factors
            .iter()
            .filter(|t| t.truck_factor == 1 && t.files >= cutoffs.truck_factor_min_files)
            .collect();
        for truck in &single {
            evidence.push(Evidence {
                fact: EvidenceFact::TruckFactorOne {
                    services: truck.services.clone(),
                    authors: truck.authors.clone(),
                    files: truck.files,
                },
                people: truck.authors.iter().filter_map(|a| a.parse().ok()).collect(),
                teams: Vec::new(),
                services: truck.services.clone(),
                count: truck.files,
            });
        }
        let top_share = knowledge.after_hours_top_share;
        let org_single = [&knowledge.scope.acknowledgements, &knowledge.scope.pages]
            .iter()
            .any(|f| f.bus_factor == 1 && f.events >= cutoffs.bus_factor_min_events);
        let enough_pages = total_after >= cutoffs.after_hours_min_pages;
        let severity = if top_share.is_some_and(|s| s >= cutoffs.after_hours_critical) && enough_pages || org_single {
            Severity::Critical
        } else if top_share.is_some_and(|s| s >= cutoffs.after_hours_warning) && enough_pages
            || !single.is_empty()
            || knowledge.runbook_coverage.is_some_and(|c| c < cutoffs.runbook_coverage_warning)
        {
            Severity::Warning
        } else {
            Severity::Ok
        };
        Finding {
            id: "knowledge_hoarding",
            title: "Knowledge hoarding",
            severity,
            summary: Summary::KnowledgeHoarding {
                bus_factor_pages: knowledge.scope.pages.bus_factor,
                bus_factor_acknowledgements: knowledge.scope.acknowledgements.bus_factor,
                after_hours_top_share: top_share,
                after_hours_pages: total_after,
                runbook_coverage: knowledge.runbook_coverage,
            },
            figures: BTreeMap::from([
                ("bus_factor_deployments", serde_json::json!(knowledge.scope.deployments.bus_factor)),
                ("bus_factor_acknowledgements", serde_json::json!(knowledge.scope.acknowledgements.bus_factor)),
                ("bus_factor_pages", serde_json::json!(knowledge.scope.pages.bus_factor)),
                ("after_hours_pages", serde_json::json!(total_after)),
                ("after_hours_top_share", serde_json::json!(top_share)),
                ("repositories_with_truck_factor_1", serde_json::json!(single.len())),
                ("runbook_coverage", serde_json::json!(knowledge.runbook_coverage)),
            ]),
            evidence,
            recommendation: "Spread what one person knows: put the service's owners on call (with a secondary), write the runbook with them, rotate deployments and incident command, and review code across the team until more than one person can change and run each part.",
        }
    }

    pub fn findings(&self, knowledge: &Knowledge, outside: Option<&OutsideWork>) -> Vec<Finding> {
        let mut new_silo = self.new_silo();
        if let Some(outside) = outside {
            self.add_work_for_others(&mut new_silo, outside);
        }
        let mut findings = vec![new_silo, self.bottleneck(), self.diffusion(), self.hoarding(knowledge)];
        findings.sort_by_key(|finding| std::cmp::Reverse(finding.severity));
        findings
    }
}
