//! Culture diagnostics (DESIGN §6): is DevOps a role or a culture here?
//! The four-line test, the four dysfunctions of a "DevOps team" as findings
//! with evidence, knowledge concentration (bus factors, after-hours pages,
//! truck factors, runbook coverage), and the transition phase — all from
//! behaviour (who deployed, who was on call, who acknowledged and fixed,
//! who changed pipelines and infrastructure) joined with ownership.
//!
//! One file per part of the report: `four_lines` (the four-line test),
//! `knowledge` (bus and truck factors, after-hours pages), `findings` (the
//! four dysfunctions), `phase` (the transition phase). Each adds its methods
//! to [`Diagnosis`]. This module holds what they share: the configuration,
//! the whole report, the indexes built once per analysis, and the walk over
//! the commits that touch pipelines or infrastructure.
//! `self_service` counts what developers did themselves, per month.

mod findings;
mod four_lines;
mod knowledge;
mod phase;
mod self_service;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use globset::{Glob, GlobSet, GlobSetBuilder};
use paved_domain::EntityRef;

pub use findings::{
    BusFactorEvents, Evidence, EvidenceFact, Finding, PersonInTeam, Severity, Summary, WhyUnowned, WorkForOtherTeams,
};
pub(crate) use four_lines::LineCache;
pub use four_lines::{FourLineTest, Line, LinePoint, Verdict};
pub(crate) use knowledge::RepoTruckFactor;
pub use knowledge::{AfterHours, BusFactor, BusFactors, Knowledge, TruckFactor};
pub use phase::{Phase, PhasePoint, PhaseReport, PhaseRule};
pub use self_service::{SelfService, SelfServiceCounts, SelfServicePoint};

use crate::facts::ServiceFacts;
use crate::input::{Dataset, IncidentInput};
use crate::outside::OutsideWork;
use crate::report::{DoraReport, Scope};
use crate::window::Window;

/// A line's thresholds: at or above `culture` it is culture, at or below
/// `role` it is a role, between them a transition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// The share at or above which the line reads `culture`.
    pub culture: f64,
    /// The share at or below which the line reads `role`.
    pub role: f64,
}

/// What the diagnostics leave configurable (DESIGN §6 defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct CultureConfig {
    /// Developers deploy their own code: culture ≥ 80 %, role ≤ 50 %.
    pub deploy: Thresholds,
    /// Developers are on call for their services: culture ≥ 80 %, role ≤ 50 %.
    pub on_call: Thresholds,
    /// Developers own their pipelines: culture ≥ 70 %, role ≤ 40 %.
    pub pipelines: Thresholds,
    /// Developers provision what they need: culture ≥ 70 %, role ≤ 40 %.
    pub provision: Thresholds,
    /// Pipeline definitions.
    pub pipeline_globs: Vec<String>,
    /// Infrastructure code.
    pub infrastructure_globs: Vec<String>,
    /// After hours, in the paged person's time zone: from this hour...
    pub after_hours_from: u32,
    /// ... until this hour.
    pub after_hours_until: u32,
    /// The cut-offs that decide each finding's severity and the phase.
    pub cutoffs: FindingCutoffs,
}

impl CultureConfig {
    /// Whether `at` is after hours in `zone` (from `after_hours_from` until
    /// `after_hours_until`, across midnight when the first is later).
    pub fn is_after_hours(&self, at: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> bool {
        let hour = chrono::Timelike::hour(&at.with_timezone(&zone));
        if self.after_hours_from > self.after_hours_until {
            hour >= self.after_hours_from || hour < self.after_hours_until
        } else {
            hour >= self.after_hours_from && hour < self.after_hours_until
        }
    }
}

/// The cut-offs that decide how serious each finding is, and where the
/// `reframe` phase ends (docs/diagnostics.md; the defaults are DESIGN §6's).
/// A share is a fraction from 0 to 1; "at or above" unless said otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FindingCutoffs {
    /// New silo: the handoff rate at which the finding is critical (50 %).
    pub handoff_critical: f64,
    /// New silo: the handoff rate at which it is a warning (20 %).
    pub handoff_warning: f64,
    /// A team's new silo: the fewest deployments to other teams' services
    /// that count at all (5).
    pub work_for_others_min_deployments: u64,
    /// A team's new silo: their share of what the team's people deployed
    /// at which it is critical (50 %).
    pub work_for_others_critical: f64,
    /// ... and at which it is a warning (20 %).
    pub work_for_others_warning: f64,
    /// Deployment bottleneck: with fewer production deployments than this
    /// nobody is a gate (10).
    pub bottleneck_min_deployments: u64,
    /// Deployment bottleneck: one person's share of deployments to services
    /// they do not own at which it is critical (50 %).
    pub gate_one_critical: f64,
    /// ... two people's share at which it is critical (70 %).
    pub gate_two_critical: f64,
    /// ... one person's share at which it is a warning (30 %).
    pub gate_one_warning: f64,
    /// ... two people's share at which it is a warning (50 %).
    pub gate_two_warning: f64,
    /// Responsibility diffusion: the share of incidents without a responder
    /// at which it is critical (20 %).
    pub no_responder_critical: f64,
    /// Knowledge hoarding: the top person's share of after-hours pages at
    /// which it is critical (50 %).
    pub after_hours_critical: f64,
    /// ... and at which it is a warning (30 %).
    pub after_hours_warning: f64,
    /// ... counted only from this many after-hours pages (5).
    pub after_hours_min_pages: u64,
    /// Knowledge hoarding: runbook coverage under this is a warning (80 %).
    pub runbook_coverage_warning: f64,
    /// Knowledge hoarding: a truck factor of 1 counts for a repository of
    /// at least this many files (5).
    pub truck_factor_min_files: u64,
    /// Knowledge hoarding: a bus factor of 1 counts over at least this many
    /// events (5).
    pub bus_factor_min_events: u64,
    /// The phase: under this share of production deployments made by
    /// owners it is `reframe` (35 %).
    pub reframe_below: f64,
}

impl Default for FindingCutoffs {
    fn default() -> Self {
        Self {
            handoff_critical: 0.5,
            handoff_warning: 0.2,
            work_for_others_min_deployments: 5,
            work_for_others_critical: 0.5,
            work_for_others_warning: 0.2,
            bottleneck_min_deployments: 10,
            gate_one_critical: 0.5,
            gate_two_critical: 0.7,
            gate_one_warning: 0.3,
            gate_two_warning: 0.5,
            no_responder_critical: 0.2,
            after_hours_critical: 0.5,
            after_hours_warning: 0.3,
            after_hours_min_pages: 5,
            runbook_coverage_warning: 0.8,
            truck_factor_min_files: 5,
            bus_factor_min_events: 5,
            reframe_below: 0.35,
        }
    }
}

impl Default for CultureConfig {
    fn default() -> Self {
        let globs = |list: &[&str]| list.iter().map(|g| (*g).to_owned()).collect();
        Self {
            deploy: Thresholds { culture: 0.8, role: 0.5 },
            on_call: Thresholds { culture: 0.8, role: 0.5 },
            pipelines: Thresholds { culture: 0.7, role: 0.4 },
            provision: Thresholds { culture: 0.7, role: 0.4 },
            pipeline_globs: globs(&[
                ".github/workflows/**",
                "**/.gitlab-ci.yml",
                "**/Jenkinsfile",
                ".circleci/**",
                "**/azure-pipelines.yml",
            ]),
            infrastructure_globs: globs(&[
                "**/*.tf",
                "**/*.tfvars",
                "**/terragrunt.hcl",
                "**/Pulumi.*",
                "**/cdk.json",
                "**/Chart.yaml",
                "**/charts/**",
                "**/helm/**",
                "**/k8s/**",
                "**/kubernetes/**",
                "**/manifests/**",
                "**/kustomization.yaml",
            ]),
            after_hours_from: 22,
            after_hours_until: 7,
            cutoffs: FindingCutoffs::default(),
        }
    }
}

/// The whole diagnosis (`paved report`).
#[derive(Debug, Clone, PartialEq)]
pub struct CultureReport {
    /// What it is about.
    pub scope: Scope,
    /// The window.
    pub window: Window,
    /// The four-line test.
    pub test: FourLineTest,
    /// The four dysfunctions, most severe first.
    pub findings: Vec<Finding>,
    /// Knowledge concentration.
    pub bus_factors: Knowledge,
    /// The transition phase.
    pub phase: PhaseReport,
    /// What developers did themselves (deployments, provisioned
    /// resources), per month.
    pub self_service: SelfService,
    /// The DORA metrics of the same scope and window.
    pub dora: DoraReport,
    /// For a team: what its people did to services the team does not own
    /// (absent for a service or the organisation).
    pub outside_work: Option<OutsideWork>,
}

pub(crate) fn globs(list: &[String]) -> GlobSet {
    let mut set = GlobSetBuilder::new();
    for glob in list {
        if let Ok(glob) = Glob::new(glob) {
            set.add(glob);
        }
    }
    set.build().unwrap_or_else(|_| GlobSet::empty())
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The diagnostics over one dataset (and its DORA facts).
pub(crate) struct Diagnosis<'d> {
    pub dataset: &'d Dataset,
    pub facts: &'d [ServiceFacts],
    pub config: &'d CultureConfig,
    pub services: &'d [usize],
    pub window: Window,
    /// Per repository of the dataset, its truck factor once computed.
    pub truck_factors: &'d [std::sync::OnceLock<RepoTruckFactor>],
    /// The dataset's shifts and incidents by service.
    pub by_service: &'d ServiceIndex,
    /// The commits that count for each service's pipelines and
    /// infrastructure lines, once computed.
    pub lines: &'d LineCache,
}

/// The positions of each service's shifts and incidents in the dataset.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServiceIndex {
    /// Per service, its shifts in order of start.
    shifts: Vec<Vec<usize>>,
    /// Per service, for each of its shifts (as in `shifts`), the latest end
    /// of it and those before: the shifts that can reach into a window
    /// start at the first whose reach passes the window's start.
    shift_reach: Vec<Vec<DateTime<Utc>>>,
    incidents: Vec<Vec<usize>>,
    /// Per shift of the dataset: whether its person owns its service
    /// (`None`: nobody known), decided once rather than per report.
    shift_owner: Vec<Option<bool>>,
    /// Per incident of the dataset: whether whoever acknowledged it first
    /// owns its service.
    ack_owner: Vec<Option<bool>>,
}

impl ServiceIndex {
    pub(crate) fn new(dataset: &Dataset) -> Self {
        let owns = |service: usize, person: Option<&EntityRef>| {
            dataset.services.get(service).map_or(person.map(|_| false), |s| s.owned_by(person))
        };
        let mut index = Self {
            shifts: vec![Vec::new(); dataset.services.len()],
            shift_reach: Vec::new(),
            incidents: vec![Vec::new(); dataset.services.len()],
            shift_owner: dataset.shifts.iter().map(|shift| owns(shift.service, shift.person.as_ref())).collect(),
            ack_owner: dataset
                .incidents
                .iter()
                .map(|incident| owns(incident.service, incident.acknowledged_by.as_ref()))
                .collect(),
        };
        for (i, shift) in dataset.shifts.iter().enumerate() {
            if let Some(list) = index.shifts.get_mut(shift.service) {
                list.push(i);
            }
        }
        for list in &mut index.shifts {
            list.sort_by_key(|&i| (dataset.shifts[i].start, i));
        }
        index.shift_reach = index
            .shifts
            .iter()
            .map(|list| {
                let mut reach = DateTime::<Utc>::MIN_UTC;
                list.iter()
                    .map(|&i| {
                        reach = reach.max(dataset.shifts[i].end);
                        reach
                    })
                    .collect()
            })
            .collect();
        for (i, incident) in dataset.incidents.iter().enumerate() {
            if let Some(list) = index.incidents.get_mut(incident.service) {
                list.push(i);
            }
        }
        index
    }
}

/// The files of the scope's repositories that one set of globs matches
/// (pipelines, or infrastructure), per repository.
struct ChangeIndex {
    repos: Vec<RepoChanges>,
}

struct RepoChanges {
    repo: usize,
    /// The scope's services deployed from it.
    services: Vec<usize>,
    /// Per path number: whether the globs match it.
    matching: Vec<bool>,
    /// Per service (as in `services`): `None` for a whole-repository
    /// service, else per path number whether a change to it counts for the
    /// service.
    parts: Vec<Option<Vec<bool>>>,
    /// Per service (as in `services`), per author number of the
    /// repository: whether the author owns the service (`None`: unknown to
    /// the catalog), decided once here rather than per commit.
    by_owner: Vec<Vec<Option<bool>>>,
}

/// Which services in the scope deploy from which repositories.
fn services_of_repo(dataset: &Dataset, services: &[usize]) -> BTreeMap<usize, Vec<usize>> {
    let mut by_repo: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &s in services {
        if let Some(repo) = dataset.services[s].repo {
            by_repo.entry(repo).or_default().push(s);
        }
    }
    by_repo
}

impl Diagnosis<'_> {
    fn is_owner(&self, service: usize, person: Option<&EntityRef>) -> Option<bool> {
        self.dataset.services[service].owned_by(person)
    }

    fn team_of(&self, person: &EntityRef) -> Option<EntityRef> {
        self.dataset.people.get(person).and_then(|p| p.team.clone())
    }

    /// The incidents of `services`, service by service.
    fn incidents_of<'s>(&'s self, services: &'s [usize]) -> impl Iterator<Item = &'s IncidentInput> + 's {
        services
            .iter()
            .flat_map(|&s| self.by_service.incidents.get(s).into_iter().flatten())
            .map(|&i| &self.dataset.incidents[i])
    }

    pub(crate) fn deployments_in(&self, window: &Window) -> impl Iterator<Item = &crate::facts::DeploymentFact> {
        self.services
            .iter()
            .filter_map(|s| self.facts.get(*s))
            .flat_map(move |f| window.slice(&f.deployments, |d| d.finished))
    }

    /// Which files of the scope's repositories match `globs`, and which
    /// monorepo parts each counts for: decided once per distinct path, not
    /// per commit.
    fn change_index(&self, globs: &GlobSet, services: &[usize]) -> ChangeIndex {
        let repos = services_of_repo(self.dataset, services)
            .into_iter()
            .map(|(repo, services)| {
                let graph = &self.dataset.repos[repo];
                let paths = (0..graph.path_count() as u32).map(|id| graph.path(id));
                let matching: Vec<bool> = paths.clone().map(|path| globs.is_match(path)).collect();
                // Per service, whether each path counts for it: inside its
                // part, or outside every part (a root pipeline).
                let parts: Vec<Option<Vec<bool>>> = services
                    .iter()
                    .map(|&service| {
                        self.dataset.services[service].paths.as_ref().map(|_| {
                            paths
                                .clone()
                                .map(|path| {
                                    let inside = |o: usize| {
                                        self.dataset.services[o].paths.as_ref().is_some_and(|g| g.is_match(path))
                                    };
                                    inside(service) || !services.iter().any(|&o| inside(o))
                                })
                                .collect()
                        })
                    })
                    .collect();
                let by_owner = services
                    .iter()
                    .map(|&service| {
                        self.dataset.authors[repo]
                            .iter()
                            .map(|(person, _)| self.is_owner(service, person.as_ref()))
                            .collect()
                    })
                    .collect();
                RepoChanges { repo, services, matching, parts, by_owner }
            })
            .collect();
        ChangeIndex { repos }
    }

    /// Calls `visit(service, author, whether the author owns the service)`
    /// for every commit by a human in the window that touches a file of the
    /// index, once per service the file counts for: a file inside a monorepo
    /// part for that part, one outside every part (a root pipeline) for
    /// every service.
    fn for_each_change(
        &self,
        window: &Window,
        index: &ChangeIndex,
        mut visit: impl FnMut(usize, Option<&EntityRef>, Option<bool>),
    ) {
        for changes in &index.repos {
            self.changes_in(changes, window, |service, _, person, by_owner| visit(service, person, by_owner));
        }
    }

    /// As [`Self::for_each_change`], for one repository, in time order,
    /// with each commit's committer time (Unix seconds).
    fn changes_in(
        &self,
        changes: &RepoChanges,
        window: &Window,
        mut visit: impl FnMut(usize, i64, Option<&EntityRef>, Option<bool>),
    ) {
        let mut touched: Vec<u32> = Vec::new();
        let graph = &self.dataset.repos[changes.repo];
        let authors = &self.dataset.authors[changes.repo];
        for &commit in graph.committed_between(window.since, window.until) {
            touched.clear();
            touched.extend(graph.file_ids(commit).iter().filter(|&&file| changes.matching[file as usize]));
            if touched.is_empty() {
                continue;
            }
            let author = graph.author(commit) as usize;
            let (person, automation) = &authors[author];
            if *automation {
                continue;
            }
            for ((&service, part), by_owner) in changes.services.iter().zip(&changes.parts).zip(&changes.by_owner) {
                let counts = match part {
                    None => true,
                    Some(counts_for) => touched.iter().any(|&file| counts_for[file as usize]),
                };
                if counts {
                    visit(service, graph.committer_time(commit), person.as_ref(), by_owner[author]);
                }
            }
        }
    }

    /// Counts per person, most first (ties by reference).
    pub(crate) fn ranking<'p>(people: impl Iterator<Item = &'p EntityRef>) -> Vec<(EntityRef, u64)> {
        // Hashed, not ordered: the ranking is sorted once at the end.
        let mut counts: rustc_hash::FxHashMap<&EntityRef, u64> = rustc_hash::FxHashMap::default();
        for person in people {
            *counts.entry(person).or_default() += 1;
        }
        let mut ranked: Vec<(EntityRef, u64)> = counts.into_iter().map(|(p, n)| (p.clone(), n)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked
    }
}
