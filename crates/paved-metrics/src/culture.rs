//! Culture diagnostics (DESIGN §6): is DevOps a role or a culture here?
//! The four-line test, the four dysfunctions of a "DevOps team" as findings
//! with evidence, knowledge concentration (bus factors, after-hours pages,
//! truck factors, runbook coverage), and the transition phase — all from
//! behaviour (who deployed, who was on call, who acknowledged and fixed,
//! who changed pipelines and infrastructure) joined with ownership.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Timelike, Utc};
use globset::{Glob, GlobSet, GlobSetBuilder};
use paved_domain::EntityRef;
use serde::Serialize;

use crate::facts::{ChangeSet, ServiceFacts};
use crate::input::{Dataset, IncidentInput, Ownership};
use crate::outside::OutsideWork;
use crate::report::{DoraReport, Scope};
use crate::stats::{median, percentile};
use crate::window::{Period, Window};

/// A line's thresholds: at or above `culture` it is culture, at or below
/// `role` it is a role, between them a transition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
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
        }
    }
}

/// What a line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Developers do it themselves.
    Culture,
    /// Between the two.
    Transition,
    /// Someone else does it for them.
    Role,
    /// Nothing to judge by.
    NoData,
}

impl Verdict {
    /// The verdict's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Culture => "culture",
            Self::Transition => "transition",
            Self::Role => "role",
            Self::NoData => "no_data",
        }
    }

    fn of(value: Option<f64>, thresholds: Thresholds) -> Self {
        match value {
            None => Self::NoData,
            Some(v) if v >= thresholds.culture - 1e-12 => Self::Culture,
            Some(v) if v <= thresholds.role + 1e-12 => Self::Role,
            Some(_) => Self::Transition,
        }
    }
}

/// One line of the test for one period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinePoint {
    /// The period's start.
    pub period_start: DateTime<Utc>,
    /// The share, or `null` without data.
    pub value: Option<f64>,
    /// How much of it owners did.
    pub by_owners: f64,
    /// Of how much.
    pub total: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// One line of the four-line test.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// The share done by the service's owners, or `null` without data.
    pub value: Option<f64>,
    /// How much owners did (deployments, on-call hours, acknowledged
    /// incidents, commits).
    pub by_owners: f64,
    /// Of how much.
    pub total: f64,
    /// What was left out because nobody knows who did it (an actor or
    /// author not in the catalog).
    pub unattributed: u64,
    /// What the figures count: `deployments`, `on_call_hours`,
    /// `acknowledgements` (when no shifts are known), `commits`.
    pub basis: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// The thresholds it was judged by.
    pub thresholds: Thresholds,
    /// The same per calendar month.
    pub series: Vec<LinePoint>,
}

/// The four-line test (DESIGN §6).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FourLineTest {
    /// Developers deploy their own code.
    pub deploy_own_code: Line,
    /// Developers are on call for their services.
    pub on_call_own_services: Line,
    /// Developers own their pipelines.
    pub own_pipelines: Line,
    /// Developers can provision what they need.
    pub self_provision: Line,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing to act on.
    Ok,
    /// Worth acting on.
    Warning,
    /// Act now.
    Critical,
}

/// Who and what a finding is about.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    /// A sentence, e.g. "dana (team platform) made 87 % of the 412
    /// production deployments of checkout-api".
    pub text: String,
    /// The people it names.
    pub people: Vec<EntityRef>,
    /// The teams it names.
    pub teams: Vec<EntityRef>,
    /// The services it names.
    pub services: Vec<EntityRef>,
    /// The count behind it.
    pub count: u64,
}

/// One of the four dysfunctions, measured.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    /// `new_silo`, `deployment_bottleneck`, `responsibility_diffusion` or
    /// `knowledge_hoarding`.
    pub id: &'static str,
    /// Its name for people.
    pub title: &'static str,
    /// How serious.
    pub severity: Severity,
    /// Why that severity, in a sentence.
    pub summary: String,
    /// The figures it is measured by.
    pub figures: BTreeMap<&'static str, serde_json::Value>,
    /// Who and what, most significant first.
    pub evidence: Vec<Evidence>,
    /// What to do: the practice that fixes it.
    pub recommendation: &'static str,
}

/// The smallest number of people who together account for at least half.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BusFactor {
    /// How many people (0 without data).
    pub bus_factor: u64,
    /// Those people.
    pub people: Vec<EntityRef>,
    /// Over how many events.
    pub events: u64,
}

/// Bus factors of one service (or the organisation).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BusFactors {
    /// The service, or `null` for the scope as a whole.
    pub service: Option<EntityRef>,
    /// Of production deployments.
    pub deployments: BusFactor,
    /// Of incident acknowledgements.
    pub acknowledgements: BusFactor,
    /// Of pages.
    pub pages: BusFactor,
}

/// A repository's code truck factor (Avelino et al., ICPC 2016).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TruckFactor {
    /// The repository (the first service's reference that lives in it).
    pub services: Vec<EntityRef>,
    /// How many authors must leave before more than half of the files have
    /// no author left.
    pub truck_factor: u64,
    /// Those authors (catalog Users, or e-mails not in the catalog).
    pub authors: Vec<String>,
    /// Files considered.
    pub files: u64,
    /// Every author and how many files they are an author of, most first.
    pub file_authors: Vec<(String, u64)>,
}

/// After-hours pages of one person.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AfterHours {
    /// The person.
    pub person: EntityRef,
    /// Their team.
    pub team: Option<EntityRef>,
    /// Pages in their own time zone's night.
    pub after_hours_pages: u64,
    /// All their pages.
    pub pages: u64,
}

/// Knowledge concentration (DESIGN §6, knowledge hoarding).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Knowledge {
    /// The scope as a whole.
    pub scope: BusFactors,
    /// Each service.
    pub services: Vec<BusFactors>,
    /// After-hours pages per person, most first.
    pub after_hours: Vec<AfterHours>,
    /// The top person's share of after-hours pages.
    pub after_hours_top_share: Option<f64>,
    /// Code truck factor per repository.
    pub truck_factors: Vec<TruckFactor>,
    /// Services with a runbook link, of all.
    pub runbook_coverage: Option<f64>,
}

/// The transition phases (DESIGN §6), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// A DevOps team does the work: reframe DevOps as a capability.
    Reframe,
    /// The platform builds self-service tools while still operating.
    Build,
    /// Deployments are being handed to the teams that build.
    Transfer,
    /// Teams deploy; on call and infrastructure are shifting to them.
    Shift,
    /// Developers run what they build; keep improving.
    Evolve,
}

/// The phase of a period, with the figures that decided it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PhasePoint {
    /// The period's start.
    pub period_start: DateTime<Utc>,
    /// The phase (`null` without deployments to judge by).
    pub phase: Option<Phase>,
}

/// The transition phase.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PhaseReport {
    /// The phase over the window.
    pub phase: Option<Phase>,
    /// The rule that decided it, in words.
    pub rule: String,
    /// The figures the rule read.
    pub decided_by: BTreeMap<&'static str, Option<f64>>,
    /// The phase per calendar month.
    pub series: Vec<PhasePoint>,
}

/// The whole diagnosis (`paved report`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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
    /// The DORA metrics of the same scope and window.
    pub dora: DoraReport,
    /// For a team: what its people did to services the team does not own
    /// (absent for a service or the organisation).
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// Tallies of "done by owners" over "done".
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    owners: f64,
    total: f64,
    unattributed: u64,
}

impl Tally {
    fn add(&mut self, by_owner: Option<bool>, weight: f64) {
        match by_owner {
            Some(owner) => {
                self.total += weight;
                if owner {
                    self.owners += weight;
                }
            }
            None => self.unattributed += 1,
        }
    }

    fn value(&self) -> Option<f64> {
        (self.total > 0.0).then(|| round3(self.owners / self.total))
    }
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
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

/// The [`LineIndex`] of the pipelines and of the infrastructure lines,
/// built by the first report that needs them.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineCache {
    pipelines: std::sync::OnceLock<LineIndex>,
    infrastructure: std::sync::OnceLock<LineIndex>,
}

/// For one set of globs, per service of the dataset, the commits of its
/// repository's whole history that count for it when the scope holds every
/// service of that repository (always so for a repository of one
/// service): in time order with running tallies, so that a window's tally
/// is two binary searches, not a walk of its commits.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    /// The globs it was built with.
    globs: Vec<String>,
    /// Per service of the dataset.
    services: Vec<CountedCommits>,
    /// Per repository of the dataset, how many services deploy from it.
    services_of_repo: Vec<usize>,
}

/// One service's counted commits: committer times, and tallies before each
/// (one more entry than commits: `owners[i]` counts commits `0..i`).
#[derive(Debug, Clone, Default)]
struct CountedCommits {
    at: Vec<i64>,
    owners: Vec<u32>,
    attributed: Vec<u32>,
    unattributed: Vec<u32>,
}

impl CountedCommits {
    fn push(&mut self, at: i64, by_owner: Option<bool>) {
        let last = |v: &Vec<u32>| v.last().copied().unwrap_or(0);
        if self.owners.is_empty() {
            self.owners.push(0);
            self.attributed.push(0);
            self.unattributed.push(0);
        }
        self.at.push(at);
        self.owners.push(last(&self.owners) + u32::from(by_owner == Some(true)));
        self.attributed.push(last(&self.attributed) + u32::from(by_owner.is_some()));
        self.unattributed.push(last(&self.unattributed) + u32::from(by_owner.is_none()));
    }

    /// Adds the commits in `window` to `tally`.
    fn add_to(&self, window: &Window, tally: &mut Tally) {
        if self.at.is_empty() {
            return;
        }
        let (since, until) = window.whole_seconds();
        let i = self.at.partition_point(|&at| at < since);
        let j = self.at.partition_point(|&at| at < until).max(i);
        tally.owners += f64::from(self.owners[j] - self.owners[i]);
        tally.total += f64::from(self.attributed[j] - self.attributed[i]);
        tally.unattributed += u64::from(self.unattributed[j] - self.unattributed[i]);
    }
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

/// A repository's truck factor, whatever the scope: [`TruckFactor`] without
/// the services.
#[derive(Debug, Clone)]
pub(crate) struct RepoTruckFactor {
    truck_factor: u64,
    authors: Vec<String>,
    files: u64,
    file_authors: Vec<(String, u64)>,
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

    fn person_text(&self, person: &EntityRef) -> String {
        match self.team_of(person) {
            Some(team) => format!("{} (team {})", person.name(), team.name()),
            None => person.name().to_owned(),
        }
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

    fn deploy_tally(&self, window: &Window) -> Tally {
        let mut tally = Tally::default();
        for deployment in self.deployments_in(window) {
            tally.add(deployment.actor_owns, 1.0);
        }
        tally
    }

    /// On-call hours held by owners; a service without known shifts counts
    /// its incidents by who acknowledged them first.
    fn on_call_tally(&self, window: &Window) -> (Tally, &'static str) {
        let mut tally = Tally::default();
        let (mut hours_used, mut acks_used) = (false, false);
        for &service in self.services {
            let mut hours = Tally::default();
            let (shifts, reach) = (&self.by_service.shifts[service], &self.by_service.shift_reach[service]);
            let first = reach.partition_point(|&end| end <= window.since);
            let last = shifts.partition_point(|&i| self.dataset.shifts[i].start < window.until).max(first);
            for &i in &shifts[first..last] {
                let shift = &self.dataset.shifts[i];
                let (start, end) = (shift.start.max(window.since), shift.end.min(window.until));
                if start < end {
                    hours.add(self.by_service.shift_owner[i], (end - start).num_seconds() as f64 / 3600.0);
                }
            }
            if hours.total > 0.0 || hours.unattributed > 0 {
                hours_used = true;
                tally.owners += hours.owners;
                tally.total += hours.total;
                tally.unattributed += hours.unattributed;
                continue;
            }
            for &i in self.by_service.incidents.get(service).into_iter().flatten() {
                let incident = &self.dataset.incidents[i];
                let Some(opened) = incident.opened_at else { continue };
                if !window.contains(opened) || !incident.acknowledged {
                    continue;
                }
                acks_used = true;
                tally.add(self.by_service.ack_owner[i], 1.0);
            }
        }
        let basis = match (hours_used, acks_used) {
            (true, false) => "on_call_hours",
            (false, true) => "acknowledgements",
            (true, true) => "on_call_hours_and_acknowledgements",
            (false, false) => "on_call_hours",
        };
        (tally, basis)
    }

    /// Commits in the window that touch the index's files, by whether their
    /// author is an owner of a service the commit counts for. A repository
    /// whose every service is in the scope is read from `lines` when given.
    fn commit_tally(&self, window: &Window, index: &ChangeIndex, lines: Option<&LineIndex>) -> Tally {
        let mut tally = Tally::default();
        for changes in &index.repos {
            match lines {
                Some(lines) if lines.services_of_repo[changes.repo] == changes.services.len() => {
                    for &service in &changes.services {
                        lines.services[service].add_to(window, &mut tally);
                    }
                }
                _ => self.changes_in(changes, window, |_, _, _, by_owner| tally.add(by_owner, 1.0)),
            }
        }
        tally
    }

    /// The line index of `globs` from `cell`, built on first use from every
    /// service of the dataset; `None` when `cell` holds one of other globs
    /// (a report with another configuration walks the commits instead).
    fn line_index<'c>(&self, cell: &'c std::sync::OnceLock<LineIndex>, globs: &[String]) -> Option<&'c LineIndex> {
        let index = cell.get_or_init(|| {
            let every: Vec<usize> = (0..self.dataset.services.len()).collect();
            let changes = self.change_index(&self::globs(globs), &every);
            let mut services: Vec<CountedCommits> =
                (0..self.dataset.services.len()).map(|_| CountedCommits::default()).collect();
            let whole = Window { since: DateTime::<Utc>::MIN_UTC, until: DateTime::<Utc>::MAX_UTC };
            for repo in &changes.repos {
                self.changes_in(repo, &whole, |service, at, _, by_owner| services[service].push(at, by_owner));
            }
            let mut services_of_repo = vec![0; self.dataset.repos.len()];
            for service in &self.dataset.services {
                if let Some(repo) = service.repo {
                    services_of_repo[repo] += 1;
                }
            }
            LineIndex { globs: globs.to_vec(), services, services_of_repo }
        });
        (index.globs == globs).then_some(index)
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
            let names: Vec<String> = ranked.iter().map(|(p, n)| format!("{} {n}", self.person_text(p))).collect();
            let service_ref = self.dataset.services[service].service.clone();
            evidence.push(Evidence {
                text: format!(
                    "{} of the {total} pipeline commits of {} were made by people who do not own it: {}",
                    others.len(),
                    service_ref.name(),
                    names.join(", ")
                ),
                people: ranked.into_iter().map(|(p, _)| p).collect(),
                teams: teams.into_iter().collect(),
                services: vec![service_ref],
                count: others.len() as u64,
            });
        }
        evidence.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.services.cmp(&b.services)));
        evidence
    }

    /// A line of the test: its value over the window and month by month.
    /// `counts` says that `tally` counts whole things (deployments,
    /// commits), so that the window's tally is the sum of its months'
    /// exactly and is not computed again; hours are tallied again, so that
    /// rounding never depends on how the window is cut.
    fn line(
        &self,
        thresholds: Thresholds,
        basis: &'static str,
        counts: bool,
        tally: impl Fn(&Window) -> Tally,
    ) -> Line {
        let months: Vec<(DateTime<Utc>, Tally)> =
            self.window.periods(Period::Month).into_iter().map(|(start, inside)| (start, tally(&inside))).collect();
        let whole = if counts {
            months.iter().fold(Tally::default(), |sum, (_, t)| Tally {
                owners: sum.owners + t.owners,
                total: sum.total + t.total,
                unattributed: sum.unattributed + t.unattributed,
            })
        } else {
            tally(&self.window)
        };
        let series = months
            .into_iter()
            .map(|(period_start, t)| LinePoint {
                period_start,
                value: t.value(),
                by_owners: round3(t.owners),
                total: round3(t.total),
                verdict: Verdict::of(t.value(), thresholds),
            })
            .collect();
        Line {
            value: whole.value(),
            by_owners: round3(whole.owners),
            total: round3(whole.total),
            unattributed: whole.unattributed,
            basis,
            verdict: Verdict::of(whole.value(), thresholds),
            thresholds,
            series,
        }
    }

    pub fn test(&self) -> FourLineTest {
        let pipelines = self.change_index(&globs(&self.config.pipeline_globs), self.services);
        let infrastructure = self.change_index(&globs(&self.config.infrastructure_globs), self.services);
        let pipeline_lines = self.line_index(&self.lines.pipelines, &self.config.pipeline_globs);
        let infrastructure_lines = self.line_index(&self.lines.infrastructure, &self.config.infrastructure_globs);
        let (_, on_call_basis) = self.on_call_tally(&self.window);
        FourLineTest {
            deploy_own_code: self.line(self.config.deploy, "deployments", true, |w| self.deploy_tally(w)),
            on_call_own_services: self.line(self.config.on_call, on_call_basis, false, |w| self.on_call_tally(w).0),
            own_pipelines: self
                .line(self.config.pipelines, "commits", true, |w| self.commit_tally(w, &pipelines, pipeline_lines)),
            self_provision: self.line(self.config.provision, "commits", true, |w| {
                self.commit_tally(w, &infrastructure, infrastructure_lines)
            }),
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

    fn bus_factor<'p>(people: impl Iterator<Item = &'p EntityRef>) -> BusFactor {
        let ranked = Self::ranking(people);
        let events: u64 = ranked.iter().map(|(_, n)| n).sum();
        let mut covered = 0;
        let mut chosen = Vec::new();
        for (person, n) in ranked {
            if events == 0 || covered * 2 >= events {
                break;
            }
            covered += n;
            chosen.push(person);
        }
        BusFactor { bus_factor: chosen.len() as u64, people: chosen, events }
    }

    fn bus_factors(&self, service: Option<usize>) -> BusFactors {
        let only;
        let scope: &[usize] = match service {
            Some(s) => {
                only = [s];
                &only
            }
            None => self.services,
        };
        let deployers: Vec<&EntityRef> = scope
            .iter()
            .filter_map(|s| self.facts.get(*s))
            .flat_map(|f| self.window.slice(&f.deployments, |d| d.finished))
            .filter_map(|d| d.actor.as_ref())
            .collect();
        let incidents: Vec<_> =
            self.incidents_of(scope).filter(|i| i.opened_at.is_some_and(|o| self.window.contains(o))).collect();
        let acknowledgers: Vec<&EntityRef> = incidents.iter().filter_map(|i| i.acknowledged_by.as_ref()).collect();
        let paged: Vec<&EntityRef> =
            incidents.iter().flat_map(|i| &i.pages).filter_map(|p| p.person.as_ref()).collect();
        BusFactors {
            service: service.map(|s| self.dataset.services[s].service.clone()),
            deployments: Self::bus_factor(deployers.into_iter()),
            acknowledgements: Self::bus_factor(acknowledgers.into_iter()),
            pages: Self::bus_factor(paged.into_iter()),
        }
    }

    fn after_hours(&self) -> Vec<AfterHours> {
        let mut per_person: BTreeMap<EntityRef, (u64, u64)> = BTreeMap::new();
        for incident in self.incidents_of(self.services) {
            for page in incident.pages.iter().filter(|p| self.window.contains(p.at)) {
                let Some(person) = &page.person else { continue };
                let zone = self.dataset.people.get(person).map_or(chrono_tz::Tz::UTC, |p| p.timezone);
                let hour = page.at.with_timezone(&zone).hour();
                let night = if self.config.after_hours_from > self.config.after_hours_until {
                    hour >= self.config.after_hours_from || hour < self.config.after_hours_until
                } else {
                    hour >= self.config.after_hours_from && hour < self.config.after_hours_until
                };
                let entry = per_person.entry(person.clone()).or_default();
                entry.1 += 1;
                entry.0 += u64::from(night);
            }
        }
        let mut list: Vec<AfterHours> = per_person
            .into_iter()
            .map(|(person, (after, all))| AfterHours {
                team: self.team_of(&person),
                person,
                after_hours_pages: after,
                pages: all,
            })
            .collect();
        list.sort_by(|a, b| b.after_hours_pages.cmp(&a.after_hours_pages).then_with(|| a.person.cmp(&b.person)));
        list
    }

    /// The degree-of-authorship truck factor (Avelino et al., ICPC 2016)
    /// of each repository of the scope, over its whole history.
    fn truck_factors(&self) -> Vec<TruckFactor> {
        services_of_repo(self.dataset, self.services)
            .into_iter()
            .map(|(repo, services)| {
                let computed = match self.truck_factors.get(repo) {
                    Some(cell) => cell.get_or_init(|| self.repo_truck_factor(repo)).clone(),
                    None => self.repo_truck_factor(repo),
                };
                TruckFactor {
                    services: services.iter().map(|s| self.dataset.services[*s].service.clone()).collect(),
                    truck_factor: computed.truck_factor,
                    authors: computed.authors,
                    files: computed.files,
                    file_authors: computed.file_authors,
                }
            })
            .collect()
    }

    /// The degree-of-authorship truck factor of one repository over its
    /// whole history. Developers are numbered (a catalog User, or an
    /// e-mail not in the catalog) and files are the graph's path numbers.
    fn repo_truck_factor(&self, repo: usize) -> RepoTruckFactor {
        let graph = &self.dataset.repos[repo];
        let authors = &self.dataset.authors[repo];
        // Author number -> developer number (None for automation).
        let mut names: Vec<String> = Vec::new();
        let mut numbers: HashMap<String, u32> = HashMap::new();
        let developer_of: Vec<Option<u32>> = authors
            .iter()
            .enumerate()
            .map(|(author, (person, automation))| {
                if *automation {
                    return None;
                }
                let name = person.as_ref().map_or_else(|| graph.author_keys()[author].clone(), ToString::to_string);
                Some(*numbers.entry(name).or_insert_with_key(|name| {
                    names.push(name.clone());
                    names.len() as u32 - 1
                }))
            })
            .collect();
        // Per file: who created it, and how many commits each developer made to it.
        let mut creator: Vec<Option<u32>> = vec![None; graph.path_count()];
        let mut deliveries: Vec<HashMap<u32, u64>> = vec![HashMap::new(); graph.path_count()];
        for &commit in graph.in_time_order() {
            let Some(dev) = developer_of[graph.author(commit) as usize] else { continue };
            for &file in graph.file_ids(commit) {
                creator[file as usize].get_or_insert(dev);
                *deliveries[file as usize].entry(dev).or_default() += 1;
            }
        }
        let mut authors_of: Vec<BTreeSet<&str>> = Vec::new();
        for (file, by_dev) in deliveries.iter().enumerate() {
            if by_dev.is_empty() {
                continue;
            }
            let total: u64 = by_dev.values().sum();
            let doa: Vec<(u32, f64)> = by_dev
                .iter()
                .map(|(&dev, &dl)| {
                    let fa = if creator[file] == Some(dev) { 1.0 } else { 0.0 };
                    let ac = (total - dl) as f64;
                    (dev, 3.293 + 1.098 * fa + 0.164 * dl as f64 - 0.321 * (1.0 + ac).ln())
                })
                .collect();
            let max = doa.iter().map(|(_, d)| *d).fold(f64::MIN, f64::max);
            authors_of.push(
                doa.into_iter()
                    .filter(|(_, d)| max > 0.0 && d / max > 0.75 && *d >= 3.293)
                    .map(|(dev, _)| names[dev as usize].as_str())
                    .collect(),
            );
        }
        let files = authors_of.len();
        let mut file_authors: BTreeMap<&str, u64> = BTreeMap::new();
        for author in authors_of.iter().flatten() {
            *file_authors.entry(author).or_default() += 1;
        }
        let mut file_authors: Vec<(String, u64)> =
            file_authors.into_iter().map(|(author, n)| (author.to_owned(), n)).collect();
        file_authors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        // Greedily remove the author of most files until more than half
        // the files have no author left.
        let mut removed: Vec<String> = Vec::new();
        let mut remaining = authors_of;
        loop {
            let orphaned = remaining.iter().filter(|a| a.is_empty()).count();
            if files == 0 || orphaned * 2 > files {
                break;
            }
            let mut coverage: BTreeMap<&str, usize> = BTreeMap::new();
            for file_authors in &remaining {
                for author in file_authors {
                    *coverage.entry(author).or_default() += 1;
                }
            }
            let Some((top, _)) = coverage.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0))) else {
                break;
            };
            for file_authors in &mut remaining {
                file_authors.remove(top);
            }
            removed.push(top.to_owned());
        }
        RepoTruckFactor { truck_factor: removed.len() as u64, authors: removed, files: files as u64, file_authors }
    }

    pub fn knowledge(&self) -> Knowledge {
        let after_hours = self.after_hours();
        let total_after: u64 = after_hours.iter().map(|a| a.after_hours_pages).sum();
        let runbooks = self.services.iter().filter(|s| self.dataset.services[**s].runbooks > 0).count();
        Knowledge {
            scope: self.bus_factors(None),
            services: self.services.iter().map(|s| self.bus_factors(Some(*s))).collect(),
            after_hours_top_share: after_hours
                .first()
                .filter(|_| total_after > 0)
                .map(|top| round3(top.after_hours_pages as f64 / total_after as f64)),
            after_hours,
            truck_factors: self.truck_factors(),
            runbook_coverage: (!self.services.is_empty()).then(|| round3(runbooks as f64 / self.services.len() as f64)),
        }
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
            let names: Vec<&str> = services.iter().map(|s| s.name()).collect();
            evidence.push(Evidence {
                text: format!(
                    "{} deployed {count} of the production deployments of services they do not own ({})",
                    self.person_text(&person),
                    names.join(", ")
                ),
                teams: self.team_of(&person).into_iter().collect(),
                people: vec![person],
                services: services.into_iter().collect(),
                count,
            });
        }
        let kept_pipelines = self.kept_pipelines();
        let pipeline_services = kept_pipelines.len();
        evidence.extend(kept_pipelines.into_iter().take(5));
        let severity = match handoff_rate {
            Some(rate) if rate >= 0.5 => Severity::Critical,
            Some(rate) if rate >= 0.2 => Severity::Warning,
            _ => Severity::Ok,
        };
        let mut summary = match handoff_rate {
            Some(rate) => format!(
                "{} of {} attributed production deployments were made by people who do not own the service (handoff rate {})",
                handed_off.len(),
                attributed.len(),
                percent(rate)
            ),
            None => "no production deployment with a known actor in the window".to_owned(),
        };
        if pipeline_services > 0 {
            summary.push_str(&format!(
                "; {pipeline_services} service(s) whose pipelines are changed mostly by non-owners"
            ));
        }
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
        let severity = match share {
            Some(share) if outside.deployments >= 5 && share >= 0.5 => Severity::Critical,
            Some(share) if outside.deployments >= 5 && share >= 0.2 => Severity::Warning,
            _ => Severity::Ok,
        };
        finding.severity = finding.severity.max(severity);
        finding.figures.insert("deployments_to_services_of_other_teams", serde_json::json!(outside.deployments));
        finding.figures.insert("share_of_own_deployments_to_other_teams", serde_json::json!(share.map(round3)));
        if outside.deployments == 0 {
            return;
        }
        let services: Vec<EntityRef> = outside.services.iter().map(|s| s.service.clone()).collect();
        let top = outside
            .deployers
            .first()
            .map(|top| format!(" ({} by {})", top.deployments, top.person.name()))
            .unwrap_or_default();
        let text = format!(
            "the team's people made {} production deployments to {} service(s) of other teams{top}, against {} to its own{}",
            outside.deployments,
            services.len(),
            outside.own_deployments,
            outside
                .share_of_their_deployments
                .map(|share| format!("; that is {} of those services' production deployments", percent(share)))
                .unwrap_or_default()
        );
        finding.summary = format!("{}; {}", finding.summary, text);
        finding.evidence.insert(
            0,
            Evidence {
                text,
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
                text: format!(
                    "{} made {} of the {total} production deployments ({}), {} of them to {} service(s) they do not own",
                    self.person_text(person),
                    count,
                    percent(*count as f64 / total as f64),
                    not_owned.len(),
                    services.len()
                ),
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
        let severity = match (gate1, gate2) {
            _ if total < 10 => Severity::Ok,
            (Some(g1), _) if g1 >= 0.5 => Severity::Critical,
            (_, Some(g2)) if g2 >= 0.7 => Severity::Critical,
            (Some(g1), _) if g1 >= 0.3 => Severity::Warning,
            (_, Some(g2)) if g2 >= 0.5 => Severity::Warning,
            _ => Severity::Ok,
        };
        let summary = match (top1, top2) {
            (Some(t1), t2) => format!(
                "the top deployer made {} of {total} production deployments, the top two {}",
                percent(t1),
                t2.map_or_else(|| "–".to_owned(), percent)
            ),
            _ => "no production deployment with a known actor in the window".to_owned(),
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
            let problem = match service.ownership {
                Ownership::Owned => continue,
                Ownership::NoOwner => "names no owner".to_owned(),
                Ownership::MissingOwner => format!(
                    "is owned by {}, which is not in the catalog",
                    service.owner.as_ref().map_or_else(String::new, ToString::to_string)
                ),
                Ownership::EmptyGroup => format!(
                    "is owned by {}, which has no members",
                    service.owner.as_ref().map_or_else(String::new, ToString::to_string)
                ),
            };
            unowned += 1;
            evidence.push(Evidence {
                text: format!("{} {problem}: nobody is responsible for it", service.service.name()),
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
                    text: format!(
                        "{by_others} of the {} resolved incidents of {} were resolved by people who do not own it",
                        resolved.len(),
                        service.name()
                    ),
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
                text: format!("{no_responder} of {} incidents had nobody acknowledge or resolve them", incidents.len()),
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
                text: format!("{} service(s) have no on-call schedule (paved.dev/oncall)", without_schedule.len()),
                people: Vec::new(),
                teams: Vec::new(),
                count: without_schedule.len() as u64,
                services: without_schedule.clone(),
            });
        }
        if !without_runbook.is_empty() {
            evidence.push(Evidence {
                text: format!("{} service(s) have no runbook link", without_runbook.len()),
                people: Vec::new(),
                teams: Vec::new(),
                count: without_runbook.len() as u64,
                services: without_runbook.clone(),
            });
        }
        let no_responder_share = (!incidents.is_empty()).then(|| no_responder as f64 / incidents.len() as f64);
        let severity = if unowned > 0 || no_responder_share.is_some_and(|s| s >= 0.2) {
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
            summary: format!(
                "{unowned} service(s) without a responsible team, {non_owner_resolved_services} whose incidents are mostly resolved by others, {no_responder} incident(s) without a responder, {} without on-call, {} without a runbook",
                without_schedule.len(),
                without_runbook.len()
            ),
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
        let mut evidence = Vec::new();
        let total_after: u64 = knowledge.after_hours.iter().map(|a| a.after_hours_pages).sum();
        if let Some(top) = knowledge.after_hours.first().filter(|t| t.after_hours_pages > 0) {
            evidence.push(Evidence {
                text: format!(
                    "{} received {} of the {total_after} after-hours pages ({})",
                    self.person_text(&top.person),
                    top.after_hours_pages,
                    percent(top.after_hours_pages as f64 / total_after as f64)
                ),
                people: vec![top.person.clone()],
                teams: top.team.iter().cloned().collect(),
                services: Vec::new(),
                count: top.after_hours_pages,
            });
        }
        for (what, factor) in [
            ("production deployments", &knowledge.scope.deployments),
            ("incident acknowledgements", &knowledge.scope.acknowledgements),
            ("pages", &knowledge.scope.pages),
        ] {
            if factor.bus_factor == 1 && factor.events >= 5 {
                let person = &factor.people[0];
                evidence.push(Evidence {
                    text: format!(
                        "{} alone accounts for half or more of the {} {what}",
                        self.person_text(person),
                        factor.events
                    ),
                    people: vec![person.clone()],
                    teams: self.team_of(person).into_iter().collect(),
                    services: Vec::new(),
                    count: factor.events,
                });
            }
        }
        let single: Vec<&TruckFactor> =
            knowledge.truck_factors.iter().filter(|t| t.truck_factor == 1 && t.files >= 5).collect();
        for truck in &single {
            evidence.push(Evidence {
                text: format!(
                    "the code of {} has a truck factor of 1: {} is the author of most of its {} files",
                    truck.services.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "),
                    truck.authors.join(", "),
                    truck.files
                ),
                people: truck.authors.iter().filter_map(|a| a.parse().ok()).collect(),
                teams: Vec::new(),
                services: truck.services.clone(),
                count: truck.files,
            });
        }
        let top_share = knowledge.after_hours_top_share;
        let org_single = [&knowledge.scope.acknowledgements, &knowledge.scope.pages]
            .iter()
            .any(|f| f.bus_factor == 1 && f.events >= 5);
        let severity = if top_share.is_some_and(|s| s >= 0.5) && total_after >= 5 || org_single {
            Severity::Critical
        } else if top_share.is_some_and(|s| s >= 0.3) && total_after >= 5
            || !single.is_empty()
            || knowledge.runbook_coverage.is_some_and(|c| c < 0.8)
        {
            Severity::Warning
        } else {
            Severity::Ok
        };
        Finding {
            id: "knowledge_hoarding",
            title: "Knowledge hoarding",
            severity,
            summary: format!(
                "bus factor of pages {}, of acknowledgements {}; the top person received {} of {total_after} after-hours pages; runbook coverage {}",
                knowledge.scope.pages.bus_factor,
                knowledge.scope.acknowledgements.bus_factor,
                top_share.map_or_else(|| "none".to_owned(), percent),
                knowledge.runbook_coverage.map_or_else(|| "–".to_owned(), percent)
            ),
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

    /// The phase of `test`'s whole-window values (or a month's).
    fn phase_of(
        deploy: Option<f64>,
        on_call: Option<f64>,
        pipelines: Option<f64>,
        provision: Option<f64>,
        config: &CultureConfig,
    ) -> Option<Phase> {
        let deploy = deploy?;
        let others_culture = [(on_call, config.on_call), (pipelines, config.pipelines), (provision, config.provision)]
            .into_iter()
            .all(|(value, t)| value.is_none_or(|v| v >= t.culture - 1e-12));
        Some(if deploy < 0.35 {
            Phase::Reframe
        } else if deploy < config.deploy.role + 1e-12 {
            Phase::Build
        } else if deploy < config.deploy.culture - 1e-12 {
            Phase::Transfer
        } else if !others_culture {
            Phase::Shift
        } else {
            Phase::Evolve
        })
    }

    pub fn phase(&self, test: &FourLineTest) -> PhaseReport {
        let series = test
            .deploy_own_code
            .series
            .iter()
            .enumerate()
            .map(|(i, point)| PhasePoint {
                period_start: point.period_start,
                phase: Self::phase_of(
                    point.value,
                    test.on_call_own_services.series.get(i).and_then(|p| p.value),
                    test.own_pipelines.series.get(i).and_then(|p| p.value),
                    test.self_provision.series.get(i).and_then(|p| p.value),
                    self.config,
                ),
            })
            .collect();
        PhaseReport {
            phase: Self::phase_of(
                test.deploy_own_code.value,
                test.on_call_own_services.value,
                test.own_pipelines.value,
                test.self_provision.value,
                self.config,
            ),
            rule: format!(
                "by the share of production deployments made by owners: under 35 % reframe (a DevOps team does the work), under {} build (the platform builds self-service while still operating), under {} transfer (deployments move to the teams that build), then shift while on call, pipelines or provisioning are below culture, else evolve",
                percent(self.config.deploy.role),
                percent(self.config.deploy.culture)
            ),
            decided_by: BTreeMap::from([
                ("deploy_own_code", test.deploy_own_code.value),
                ("on_call_own_services", test.on_call_own_services.value),
                ("own_pipelines", test.own_pipelines.value),
                ("self_provision", test.self_provision.value),
            ]),
            series,
        }
    }
}
