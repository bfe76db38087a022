//! What happens in the organisation, and when: a discrete-event simulation
//! per repository of pull requests and their commits, deployments, the
//! incidents some deployments cause, who is paged, who acknowledges, and how
//! each incident is fixed (a rollback, a revert, a hotfix).
//!
//! The result is a plan of records with commits as indices; `git.rs` turns
//! the commits into a repository and `events.rs` the rest into payloads.
//! Each repository draws from its own random stream, so repositories are
//! simulated independently (and in parallel) with the same result.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use paved_domain::CatalogIndex;

use super::org::{DeployPolicy, FileKind, Org, Role, local_instant};
use super::random::{PAGERDUTY_ALPHABET, Random};

/// The time range of the simulation.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// When the repositories begin (two weeks before `start`, so that the
    /// first deployments ship some work).
    pub history_start: DateTime<Utc>,
    /// The first instant of the data: deployments and incidents start here.
    pub start: DateTime<Utc>,
    /// The end (exclusive).
    pub end: DateTime<Utc>,
}

impl Window {
    /// How far `at` is through the data, from 0 at `start` to 1 at `end`.
    pub fn progress(&self, at: DateTime<Utc>) -> f64 {
        let total = (self.end - self.start).num_seconds().max(1) as f64;
        ((at - self.start).num_seconds() as f64 / total).clamp(0.0, 1.0)
    }

    /// The share of a handover team's deployments the platform team makes
    /// at `at`: 90 % in the first month, falling steadily to 10 % in the
    /// sixth.
    pub fn platform_share(&self, at: DateTime<Utc>) -> f64 {
        let progress = self.progress(at);
        (0.9 - 0.8 * (progress - 1.0 / 12.0) / (10.0 / 12.0)).clamp(0.1, 0.9)
    }
}

/// Who wrote a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// A person of the catalog.
    Person(usize),
    /// Someone the catalog does not know ([`Org::outsiders`]).
    Outsider(usize),
}

/// A change to one file: `removed` lines taken out and `added` lines put in
/// at a place chosen by `salt` (a file not there yet is created).
#[derive(Debug, Clone)]
pub struct FileChange {
    /// The file.
    pub path: String,
    /// Lines put in.
    pub added: u32,
    /// Lines taken out.
    pub removed: u32,
    /// Decides where, and what the new lines say.
    pub salt: u64,
}

/// A commit to write.
#[derive(Debug, Clone)]
pub struct CommitPlan {
    /// Parents, as indices of earlier commits of the same repository.
    pub parents: Vec<usize>,
    /// Who wrote it, and when.
    pub author: Author,
    /// When it was written.
    pub authored_at: DateTime<Utc>,
    /// Who committed it (the merger, for a merge).
    pub committer: Author,
    /// When.
    pub committed_at: DateTime<Utc>,
    /// The message.
    pub message: String,
    /// Its changes, against its first parent.
    pub changes: Vec<FileChange>,
}

/// A review of a pull request.
#[derive(Debug, Clone)]
pub struct ReviewPlan {
    /// The reviewer.
    pub reviewer: usize,
    /// When it was submitted.
    pub at: DateTime<Utc>,
    /// `approved` or `commented`.
    pub state: &'static str,
}

/// A pull request.
#[derive(Debug, Clone)]
pub struct PullRequestPlan {
    /// Its number in its repository.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Its branch.
    pub branch: String,
    /// Who opened it.
    pub author: Author,
    /// When.
    pub opened_at: DateTime<Utc>,
    /// The main commit its branch started from.
    pub base: usize,
    /// The last commit of its branch.
    pub head: usize,
    /// Its reviews (before the end of the data).
    pub reviews: Vec<ReviewPlan>,
    /// When it was merged, and its merge commit; `None` while open.
    pub merged: Option<(DateTime<Utc>, usize)>,
}

/// How a deployment was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    /// Through pavedroad's API (`paved deploy record` in the pipeline),
    /// naming the person as `actor`.
    Api,
    /// By GitHub Actions through GitHub's deployment webhooks: created by
    /// `github-actions[bot]`, triggered by the person who merged.
    GitHubActions {
        /// GitHub's deployment id.
        deployment_id: u64,
        /// The workflow run's id.
        run_id: u64,
    },
}

/// Why a deployment happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Someone released by hand.
    Manual,
    /// The pipeline deployed a merge.
    Automatic,
    /// A rollback to the previous version.
    Rollback,
}

/// A deployment.
#[derive(Debug, Clone)]
pub struct DeploymentPlan {
    /// The service.
    pub service: usize,
    /// Its repository.
    pub repo: usize,
    /// The commit deployed (index into the repository's commits).
    pub commit: usize,
    /// Its number among the service's deployments, from 1.
    pub number: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// False when the pipeline failed (nothing changed in production).
    pub succeeded: bool,
    /// Who deployed.
    pub actor: usize,
    /// How it was reported.
    pub recorder: Recorder,
    /// Why.
    pub trigger: Trigger,
    /// Marked as a hotfix.
    pub hotfix: bool,
    /// The incidents it fixes (indices).
    pub fixes: Vec<usize>,
}

/// Where an incident was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentSource {
    /// PagerDuty, delivered as v3 webhooks.
    PagerDuty {
        /// PagerDuty's incident id.
        incident_id: String,
    },
    /// pavedroad's own API (`paved incident open|ack|resolve`).
    Api,
}

/// What links an incident to the deployment that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Nothing: it was not caused by a deployment.
    Unrelated,
    /// Caused by this deployment, linked only by time.
    Time(usize),
    /// Caused by this deployment, named as `caused_by`.
    Explicit(usize),
    /// Caused by this deployment, whose commit (index) is named as the root
    /// cause.
    RootCommit(usize, usize),
}

/// Someone paged.
#[derive(Debug, Clone, Copy)]
pub struct PagePlan {
    /// Who.
    pub person: usize,
    /// When.
    pub at: DateTime<Utc>,
    /// True when escalated to them after the first person did not answer.
    pub escalated: bool,
}

/// An incident.
#[derive(Debug, Clone)]
pub struct IncidentPlan {
    /// The service.
    pub service: usize,
    /// Where it was recorded.
    pub source: IncidentSource,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// Its title, without a root cause.
    pub title: String,
    /// Its severity (`P1`..`P4` at PagerDuty, `SEV-1`.. through the API).
    pub severity: &'static str,
    /// Who was paged.
    pub pages: Vec<PagePlan>,
    /// Who acknowledged it, and when.
    pub acknowledged: Option<(usize, DateTime<Utc>)>,
    /// Who resolved it (nobody: resolved by its monitor), and when.
    pub resolved: Option<(Option<usize>, DateTime<Utc>)>,
    /// What caused it.
    pub cause: Cause,
    /// When the postmortem note naming the root cause was added (PagerDuty).
    pub annotated_at: Option<DateTime<Utc>>,
}

/// An on-call shift kept in another tool and recorded through the API.
#[derive(Debug, Clone)]
pub struct RecordedShift {
    /// Its id.
    pub id: String,
    /// The Schedule.
    pub schedule: String,
    /// Who was on call.
    pub person: usize,
    /// From.
    pub start: DateTime<Utc>,
    /// Until.
    pub end: DateTime<Utc>,
}

/// One repository's history.
#[derive(Debug, Clone, Default)]
pub struct RepoHistory {
    /// Its commits, parents before children.
    pub commits: Vec<CommitPlan>,
    /// The tip of `main`.
    pub main: Option<usize>,
    /// Branches of pull requests still open at the end, with their tips.
    pub open_branches: Vec<(String, usize)>,
    /// Its pull requests.
    pub pull_requests: Vec<PullRequestPlan>,
}

/// Everything that happened.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// The time range.
    pub window: Window,
    /// Per repository (same order as [`Org::repos`]).
    pub repos: Vec<RepoHistory>,
    /// Every deployment, in no particular order.
    pub deployments: Vec<DeploymentPlan>,
    /// Every incident.
    pub incidents: Vec<IncidentPlan>,
    /// Shifts recorded through the API.
    pub shifts: Vec<RecordedShift>,
}

/// Who is on call for each Schedule: the catalog's rotations resolved by
/// the domain's own code, plus the shifts recorded from elsewhere.
#[derive(Debug, Clone, Default)]
pub struct OnCall {
    turns: HashMap<String, Vec<Turn>>,
}

/// Someone on call: from, until, who.
type Turn = (DateTime<Utc>, DateTime<Utc>, usize);

impl OnCall {
    /// Resolves every Schedule of `catalog` over `window`.
    pub fn from_catalog(org: &Org, catalog: &CatalogIndex, window: &Window) -> Self {
        let mut on_call = Self::default();
        let since = window.history_start - Duration::days(7);
        for schedule in catalog.schedules() {
            let turns = on_call.turns.entry(schedule.entity_ref.name().to_owned()).or_default();
            for shift in schedule.shifts(since, window.end) {
                if let Some(person) = org.person_named(shift.person.name()) {
                    turns.push((shift.start, shift.end, person));
                }
            }
        }
        on_call
    }

    /// Adds shifts recorded from another tool.
    pub fn add(&mut self, shifts: &[RecordedShift]) {
        for shift in shifts {
            self.turns.entry(shift.schedule.clone()).or_default().push((shift.start, shift.end, shift.person));
        }
    }

    /// Who is on call for `schedule` at `at`.
    pub fn person_at(&self, schedule: &str, at: DateTime<Utc>) -> Option<usize> {
        self.turns.get(schedule)?.iter().find(|(start, end, _)| *start <= at && at < *end).map(|turn| turn.2)
    }
}

/// The shifts the platform team held for each handover team before the
/// team's own rotation began, as exported from PagerDuty: the platform's
/// own turns, day and night, copied onto the team's Schedule.
pub fn platform_held_shifts(org: &Org, on_call: &OnCall, window: &Window) -> Vec<RecordedShift> {
    let mut shifts = Vec::new();
    let since = window.history_start;
    for team in &org.teams {
        let (Role::Handover, Some(schedule), Some(until)) = (team.role, &team.schedule, team.oncall_from) else {
            continue;
        };
        let turns = on_call.turns.get(&org.platform_schedules[team.copy]).map(Vec::as_slice).unwrap_or_default();
        for &(start, end, person) in turns.iter().filter(|(start, end, _)| *end > since && *start < until) {
            shifts.push(RecordedShift {
                id: format!("pagerduty-{schedule}-{}", shifts.len() + 1),
                schedule: schedule.clone(),
                person,
                start: start.max(since),
                end: end.min(until),
            });
        }
    }
    shifts
}

/// 22:00 to 07:00 in `zone`.
pub fn is_after_hours(zone: Tz, at: DateTime<Utc>) -> bool {
    let hour = at.with_timezone(&zone).hour();
    !(7..22).contains(&hour)
}

/// What a repository's simulation produced.
#[derive(Debug, Clone, Default)]
pub struct RepoOutcome {
    /// Its history.
    pub history: RepoHistory,
    /// Its services' deployments.
    pub deployments: Vec<DeploymentPlan>,
    /// Its services' incidents; their causes and the deployments' fixes
    /// refer to this outcome's own lists.
    pub incidents: Vec<IncidentPlan>,
}

/// Simulates repository `repo`.
pub fn simulate(org: &Org, on_call: &OnCall, window: Window, seed: u64, repo: usize) -> RepoOutcome {
    let mut simulation = Simulation::new(org, on_call, window, seed, repo);
    simulation.run();
    RepoOutcome {
        history: RepoHistory {
            commits: simulation.commits,
            main: simulation.main,
            open_branches: simulation.open_branches,
            pull_requests: simulation.pull_requests,
        },
        deployments: simulation.deployments,
        incidents: simulation.incidents,
    }
}

/// Joins the repositories' outcomes into one timeline, renumbering the
/// references between deployments and incidents.
pub fn join(window: Window, outcomes: Vec<RepoOutcome>, shifts: Vec<RecordedShift>) -> Timeline {
    let mut timeline = Timeline { window, repos: Vec::new(), deployments: Vec::new(), incidents: Vec::new(), shifts };
    for outcome in outcomes {
        let (deployment_offset, incident_offset) = (timeline.deployments.len(), timeline.incidents.len());
        timeline.repos.push(outcome.history);
        timeline.deployments.extend(outcome.deployments.into_iter().map(|mut deployment| {
            deployment.fixes.iter_mut().for_each(|incident| *incident += incident_offset);
            deployment
        }));
        timeline.incidents.extend(outcome.incidents.into_iter().map(|mut incident| {
            incident.cause = match incident.cause {
                Cause::Unrelated => Cause::Unrelated,
                Cause::Time(d) => Cause::Time(d + deployment_offset),
                Cause::Explicit(d) => Cause::Explicit(d + deployment_offset),
                Cause::RootCommit(d, commit) => Cause::RootCommit(d + deployment_offset, commit),
            };
            incident
        }));
    }
    timeline
}

/// A pull request before it is started: what it will change and when.
#[derive(Debug, Clone)]
struct Draft {
    service: usize,
    author: Author,
    title: String,
    branch: String,
    /// Each commit's time, message and changes.
    commits: Vec<(DateTime<Utc>, String, Vec<FileChange>)>,
    opened_at: DateTime<Utc>,
    reviews: Vec<ReviewPlan>,
    merged_at: DateTime<Utc>,
    /// The incident a hotfix or a revert fixes.
    fixes: Option<(usize, Fix)>,
}

/// How a pull request fixes an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    /// A hotfix, deployed at once.
    Hotfix,
    /// The revert of what a rollback took out of production.
    Revert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// The first deployment in the data.
    Initial,
    /// The pipeline deploys what `merger` merged.
    OnMerge { merger: usize },
    /// A release by hand.
    Release,
    /// A hotfix for an incident.
    Hotfix { incident: usize, author: usize },
    /// A rollback for an incident, by its responder.
    Rollback { incident: usize },
    /// The release after a rollback, with the revert.
    AfterRevert { incident: usize },
}

#[derive(Debug, Clone)]
enum Action {
    StartPullRequest(Draft),
    Merge(usize),
    DailyRelease(usize),
    Deploy { service: usize, reason: Reason },
    DeploymentIncident(usize),
    UnrelatedIncident(usize),
    Remedy { incident: usize, rollback: bool },
    Revert(usize),
}

/// An action at a time; ties keep the order they were scheduled in.
struct Scheduled {
    at: DateTime<Utc>,
    sequence: u64,
    action: Action,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.sequence) == (other.at, other.sequence)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.sequence).cmp(&(other.at, other.sequence))
    }
}

#[derive(Debug, Clone, Default)]
struct ServiceState {
    deployed: Option<usize>,
    previous: Option<usize>,
    /// Deployments are held while an incident it caused is being fixed.
    frozen: bool,
    /// Merged work not yet deployed.
    dirty: bool,
    /// The author of the last merged pull request.
    last_author: Option<usize>,
    deployments: u32,
}

struct Simulation<'a> {
    org: &'a Org,
    on_call: &'a OnCall,
    window: Window,
    repo: usize,
    random: Random,
    queue: BinaryHeap<Reverse<Scheduled>>,
    sequence: u64,
    commits: Vec<CommitPlan>,
    main: Option<usize>,
    open_branches: Vec<(String, usize)>,
    pull_requests: Vec<PullRequestPlan>,
    /// Per merge commit, its pull request.
    merged_by_commit: HashMap<usize, usize>,
    deployments: Vec<DeploymentPlan>,
    incidents: Vec<IncidentPlan>,
    services: HashMap<usize, ServiceState>,
    /// Pull requests started and not merged yet.
    in_flight: HashMap<usize, Draft>,
}

const CODE_CHANGES: &[&str] = &[
    "pagination in the list endpoint",
    "timeouts on upstream calls",
    "currency rounding",
    "empty search results",
    "idempotency keys",
    "request validation",
    "an N+1 query in history",
    "the new checkout flow behind a flag",
    "error messages",
    "metrics for slow requests",
    "null handling in the mapper",
    "the batch size of the sync job",
    "retries with backoff",
    "the cache key for prices",
    "a race in the session refresh",
    "logging of failed webhooks",
];
const CODE_VERBS: &[&str] = &["Add", "Fix", "Refactor", "Speed up", "Handle", "Test", "Simplify", "Harden"];
const PIPELINE_CHANGES: &[&str] = &[
    "ci: cache dependencies between runs",
    "ci: run tests in parallel",
    "deploy: add a canary step",
    "ci: pin the runner image",
    "deploy: smoke test after rollout",
    "ci: upload coverage",
    "deploy: record deployments in pavedroad",
    "ci: lint workflow files",
];
const INFRA_CHANGES: &[&str] = &[
    "infra: raise the memory limit",
    "chart: add a readiness probe",
    "infra: move the database to the private subnet",
    "chart: run three replicas",
    "infra: tag resources with their owner",
    "chart: add a pod disruption budget",
    "infra: enable point-in-time recovery",
    "chart: set CPU requests",
];
const FOLLOW_UPS: &[&str] = &["Address review comments", "Fix tests", "Tidy up", "Update docs"];
const DEPLOYMENT_INCIDENTS: &[&str] = &[
    "Error rate above SLO on {service}",
    "{service} p99 latency above 2 s",
    "{service} returns 500s after the release",
    "{service} pods in a crash loop",
    "Timeouts calling {service}",
    "{service} health check failing",
];
const UNRELATED_INCIDENTS: &[&str] = &[
    "Disk almost full on the {service} database",
    "Upstream provider timeouts in {service}",
    "Memory pressure on {service} nodes",
    "{service} queue backlog growing",
    "Certificate of {service} expires in 3 days",
    "Elevated latency on {service} after a cloud provider incident",
];

impl<'a> Simulation<'a> {
    fn new(org: &'a Org, on_call: &'a OnCall, window: Window, seed: u64, repo: usize) -> Self {
        Self {
            org,
            on_call,
            window,
            repo,
            random: Random::new(seed, &format!("repo:{}", org.repos[repo].name)),
            queue: BinaryHeap::new(),
            sequence: 0,
            commits: Vec::new(),
            main: None,
            open_branches: Vec::new(),
            pull_requests: Vec::new(),
            merged_by_commit: HashMap::new(),
            deployments: Vec::new(),
            incidents: Vec::new(),
            services: org.repos[repo].services.iter().map(|&s| (s, ServiceState::default())).collect(),
            in_flight: HashMap::new(),
        }
    }

    /// Schedules `action`; what would happen after the end never does.
    fn schedule(&mut self, at: DateTime<Utc>, action: Action) {
        if at >= self.window.end {
            return;
        }
        self.sequence += 1;
        self.queue.push(Reverse(Scheduled { at, sequence: self.sequence, action }));
    }

    fn team_of(&self, service: usize) -> usize {
        self.org.services[service].team
    }

    fn role_of(&self, service: usize) -> Role {
        self.org.teams[self.team_of(service)].role
    }

    fn run(&mut self) {
        self.initial_commit();
        self.plan_days();
        while let Some(Reverse(Scheduled { at, action, .. })) = self.queue.pop() {
            match action {
                Action::StartPullRequest(draft) => self.start_pull_request(draft),
                Action::Merge(pull_request) => self.merge(pull_request, at),
                Action::DailyRelease(service) => self.daily_release(service, at),
                Action::Deploy { service, reason } => self.deploy(service, reason, at),
                Action::DeploymentIncident(deployment) => self.deployment_incident(deployment, at),
                Action::UnrelatedIncident(service) => self.unrelated_incident(service, at),
                Action::Remedy { incident, rollback } => self.remedy(incident, rollback, at),
                Action::Revert(incident) => self.revert(incident, at),
            }
        }
        self.trim();
    }

    /// The first commits, a day before the history starts: every file, by
    /// the owning team. For the services the platform team deploys, the
    /// team wrote the code and the platform team added the pipeline, the
    /// container and the infrastructure from its template.
    fn initial_commit(&mut self) {
        let repo = &self.org.repos[self.repo];
        let role = self.role_of(repo.services[0]);
        let author = match role {
            Role::Dissolved => Author::Outsider(0),
            Role::Handover | Role::Healthy | Role::Platform => {
                Author::Person(*self.random.pick(&self.org.teams[repo.team].members))
            }
        };
        let scaffolded_by = (role == Role::Handover).then(|| Author::Person(self.org.hero_of(repo.team)));
        let (template, code): (Vec<&str>, Vec<&str>) = repo
            .files
            .iter()
            .map(|file| file.path.as_str())
            .partition(|path| scaffolded_by.is_some() && is_platform_template(path));
        let at = self.window.history_start - Duration::days(1) + Duration::hours(10);
        let mut commits = vec![(author, "Initial commit", code, at)];
        if let Some(hero) = scaffolded_by {
            commits.push((
                hero,
                "Add the deploy pipeline and infrastructure from the platform template",
                template,
                at + Duration::hours(3),
            ));
        }
        for (author, message, paths, at) in commits {
            let changes = paths
                .into_iter()
                .map(|path| FileChange {
                    path: path.to_owned(),
                    added: self.random.between(12, 90) as u32,
                    removed: 0,
                    salt: self.random.next_u64(),
                })
                .collect();
            self.commits.push(CommitPlan {
                parents: self.main.into_iter().collect(),
                author,
                authored_at: at,
                committer: author,
                committed_at: at,
                message: message.to_owned(),
                changes,
            });
            self.main = Some(self.commits.len() - 1);
        }
    }

    /// Drafts the pull requests of every working day, and schedules the
    /// releases, the first deployments and the incidents nobody caused.
    fn plan_days(&mut self) {
        let repo = &self.org.repos[self.repo];
        let services = repo.services.clone();
        let team = repo.team;
        let mut day = self.window.history_start.date_naive();
        let last = self.window.end.date_naive();
        let contractor_until = self.window.start + Duration::weeks(4);
        let mut first_working_day_done = false;
        while day < last {
            let working = !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let in_data = local_instant(self.org.teams[team].timezone, day, 12, 0) >= self.window.start;
            if working {
                let dissolved = self.org.teams[team].role == Role::Dissolved;
                let rate = match (dissolved, local_instant(chrono_tz::UTC, day, 12, 0) < contractor_until) {
                    (true, true) => 0.35,
                    (true, false) => 0.04,
                    (false, _) => repo.pull_requests_per_day,
                };
                // Three chances a day: a binomial count with this mean.
                for _ in 0..3 {
                    if self.random.chance(rate / 3.0) {
                        let service = *self.random.pick(&services);
                        let draft = self.draft(service, day);
                        let at = draft.commits[0].0;
                        self.schedule(at, Action::StartPullRequest(draft));
                    }
                }
                if in_data {
                    for &service in &services {
                        let zone = self.org.teams[team].timezone;
                        if !first_working_day_done {
                            let at = local_instant(zone, day, 11, self.random.below(50) as u32);
                            self.schedule(at, Action::Deploy { service, reason: Reason::Initial });
                        } else if self.org.services[service].policy == DeployPolicy::Release {
                            let at = local_instant(
                                zone,
                                day,
                                self.random.between(10, 15) as u32,
                                self.random.below(60) as u32,
                            );
                            self.schedule(at, Action::DailyRelease(service));
                        }
                    }
                    first_working_day_done = true;
                }
            }
            if in_data {
                for &service in &services {
                    let rate = if self.role_of(service) == Role::Dissolved { 0.035 } else { 0.03 };
                    if self.random.chance(rate) {
                        let at =
                            local_instant(chrono_tz::UTC, day, 0, 0) + Duration::minutes(self.random.between(0, 1439));
                        self.schedule(at, Action::UnrelatedIncident(service));
                    }
                }
            }
            day += Duration::days(1);
        }
    }

    /// A platform engineer: the hero with probability `hero_weight`.
    fn platform_engineer(&mut self, team: usize, hero_weight: f64) -> usize {
        let platform = &self.org.teams[self.org.platform_of(team)];
        if platform.members.len() < 2 || self.random.chance(hero_weight) {
            platform.members[0]
        } else {
            platform.members[1 + self.random.below(platform.members.len() as u64 - 1) as usize]
        }
    }

    fn owner(&mut self, service: usize) -> Option<usize> {
        let members = &self.org.teams[self.team_of(service)].members;
        if members.is_empty() { None } else { Some(*self.random.pick(members)) }
    }

    /// A time in `zone`'s working hours of `day`.
    fn working_time(&mut self, zone: Tz, day: NaiveDate) -> DateTime<Utc> {
        local_instant(zone, day, self.random.between(9, 17) as u32, self.random.below(60) as u32)
    }

    fn zone_of(&self, author: Author) -> Tz {
        match author {
            Author::Person(person) => self.org.timezone_of(person),
            Author::Outsider(outsider) => self.org.outsiders[outsider].timezone,
        }
    }

    /// Drafts an ordinary pull request for `service` started on `day`.
    fn draft(&mut self, service: usize, day: NaiveDate) -> Draft {
        let team = self.team_of(service);
        let at_noon = local_instant(chrono_tz::UTC, day, 12, 0);
        let share = self.window.platform_share(at_noon);
        // The service whose pipeline only the platform team touches gets
        // pipeline changes a little more often, so that it shows.
        let pipeline_weight = if self.org.services[service].pipeline_by_platform { 0.18 } else { 0.1 };
        let kind = match self.random.weighted(&[0.7, pipeline_weight, 0.2]) {
            0 => FileKind::Code,
            1 => FileKind::Pipeline,
            _ => FileKind::Infrastructure,
        };
        let author = match self.org.teams[team].role {
            Role::Dissolved if at_noon < self.window.start + Duration::weeks(4) => Author::Outsider(0),
            Role::Dissolved => Author::Person(self.platform_engineer(team, 0.5)),
            Role::Healthy | Role::Platform => Author::Person(self.owner(service).unwrap_or(0)),
            Role::Handover => {
                let platform_writes = match kind {
                    FileKind::Code | FileKind::Docs => false,
                    FileKind::Pipeline if self.org.services[service].pipeline_by_platform => true,
                    FileKind::Pipeline | FileKind::Infrastructure => self.random.chance(share),
                };
                if platform_writes {
                    Author::Person(self.platform_engineer(team, 0.6))
                } else {
                    Author::Person(self.owner(service).unwrap_or(0))
                }
            }
        };
        let title = match kind {
            FileKind::Pipeline => self.random.pick(PIPELINE_CHANGES).to_string(),
            FileKind::Infrastructure => self.random.pick(INFRA_CHANGES).to_string(),
            _ => format!("{} {}", self.random.pick(CODE_VERBS), self.random.pick(CODE_CHANGES)),
        };
        let zone = self.zone_of(author);
        let mut at = self.working_time(zone, day);
        let mut commits = Vec::new();
        let count = 1 + self.random.below(3) as usize;
        for n in 0..count {
            let message = if n == 0 { title.clone() } else { self.random.pick(FOLLOW_UPS).to_string() };
            let changes = self.changes(service, kind);
            commits.push((at, message, changes));
            at += Duration::minutes(self.random.between(20, 240));
        }
        let opened_at = commits[count - 1].0 + Duration::minutes(self.random.between(5, 45));
        let (pickup_minutes, reviewer) = self.review_of(service, author);
        let mut review_at = opened_at + Duration::minutes(pickup_minutes);
        let mut reviews = Vec::new();
        if self.random.chance(0.2) {
            reviews.push(ReviewPlan { reviewer, at: review_at, state: "commented" });
            review_at += Duration::minutes(self.random.between(30, 300));
        }
        reviews.push(ReviewPlan { reviewer, at: review_at, state: "approved" });
        let merged_at = review_at + Duration::minutes(self.random.between(10, 240));
        let branch = format!("{}/{}", branch_prefix(kind), slugify(&title));
        Draft { service, author, title, branch, commits, opened_at, reviews, merged_at, fixes: None }
    }

    /// How long until the first review, and who gives it.
    fn review_of(&mut self, service: usize, author: Author) -> (i64, usize) {
        let team = self.team_of(service);
        let role = self.org.teams[team].role;
        let Author::Person(author) = author else {
            return (self.random.between(240, 2880), self.org.hero_of(team));
        };
        let members = &self.org.teams[team].members;
        let author_is_owner = self.org.is_member(author, team);
        let reviewer = if author_is_owner && members.len() > 1 {
            loop {
                let candidate = *self.random.pick(members);
                if candidate != author {
                    break candidate;
                }
            }
        } else if !members.is_empty() && self.random.chance(0.6) {
            *self.random.pick(members)
        } else {
            let platform = &self.org.teams[self.org.platform_of(team)].members;
            *platform.iter().find(|&&p| p != author).unwrap_or(&platform[0])
        };
        let minutes = match (role, author_is_owner) {
            (Role::Healthy, _) => self.random.between(15, 180),
            (Role::Platform, _) => self.random.between(30, 360),
            (Role::Handover, true) => self.random.between(60, 1200),
            (Role::Handover, false) => self.random.between(120, 1800),
            (Role::Dissolved, _) => self.random.between(240, 2880),
        };
        (minutes, reviewer)
    }

    /// The changes of one commit of `kind` to `service`.
    fn changes(&mut self, service: usize, kind: FileKind) -> Vec<FileChange> {
        let files: Vec<String> =
            self.org.repos[self.repo].files_of(service, kind).iter().map(|file| file.path.clone()).collect();
        let files = if files.is_empty() {
            self.org.repos[self.repo].files_of(service, FileKind::Code).iter().map(|file| file.path.clone()).collect()
        } else {
            files
        };
        let count = match kind {
            FileKind::Code => 1 + self.random.below(3) as usize,
            FileKind::Infrastructure => 1 + self.random.below(2) as usize,
            _ => 1,
        };
        let (most_added, most_removed) = match kind {
            FileKind::Code => (40, 12),
            FileKind::Infrastructure => (15, 8),
            _ => (10, 6),
        };
        (0..count)
            .map(|_| FileChange {
                path: self.random.pick(&files).clone(),
                added: self.random.between(1, most_added) as u32,
                removed: self.random.between(0, most_removed) as u32,
                salt: self.random.next_u64(),
            })
            .collect()
    }

    fn start_pull_request(&mut self, draft: Draft) {
        let Some(base) = self.main else { return };
        let mut parent = base;
        for (at, message, changes) in &draft.commits {
            if *at >= self.window.end {
                break;
            }
            self.commits.push(CommitPlan {
                parents: vec![parent],
                author: draft.author,
                authored_at: *at,
                committer: draft.author,
                committed_at: *at,
                message: message.clone(),
                changes: changes.clone(),
            });
            parent = self.commits.len() - 1;
        }
        let number = self.pull_requests.len() as u64 + 1;
        let open = draft.merged_at >= self.window.end;
        let pull_request = PullRequestPlan {
            number,
            title: draft.title.clone(),
            branch: draft.branch.clone(),
            author: draft.author,
            opened_at: draft.opened_at,
            base,
            head: parent,
            reviews: draft.reviews.iter().filter(|review| review.at < self.window.end).cloned().collect(),
            merged: None,
        };
        self.pull_requests.push(pull_request);
        let index = self.pull_requests.len() - 1;
        if open {
            if draft.opened_at >= self.window.end {
                // Pushed but not yet opened: a branch without a pull request.
                self.pull_requests.pop();
            }
            self.open_branches.push((draft.branch, parent));
            return;
        }
        let merged_at = draft.merged_at;
        self.in_flight.insert(index, draft);
        self.schedule(merged_at, Action::Merge(index));
    }
}

/// Who answered an incident: the pages sent and who acknowledged, when.
struct Response {
    pages: Vec<PagePlan>,
    responder: usize,
    acknowledged_at: DateTime<Utc>,
}

impl Simulation<'_> {
    fn merge(&mut self, pull_request: usize, at: DateTime<Utc>) {
        let (Some(draft), Some(main)) = (self.in_flight.remove(&pull_request), self.main) else { return };
        let head = self.pull_requests[pull_request].head;
        let changes: Vec<FileChange> =
            draft.commits.iter().flat_map(|(_, _, changes)| changes.iter().cloned()).collect();
        let message = format!(
            "Merge pull request #{} from {}/{}\n\n{}",
            self.pull_requests[pull_request].number,
            super::org::GITHUB_OWNER,
            draft.branch,
            draft.title
        );
        self.commits.push(CommitPlan {
            parents: vec![main, head],
            author: draft.author,
            authored_at: at,
            committer: draft.author,
            committed_at: at,
            message,
            changes,
        });
        let merge = self.commits.len() - 1;
        self.main = Some(merge);
        self.pull_requests[pull_request].merged = Some((at, merge));
        self.merged_by_commit.insert(merge, pull_request);
        if let Some(state) = self.services.get_mut(&draft.service) {
            state.dirty = true;
            if let Author::Person(person) = draft.author {
                state.last_author = Some(person);
            }
        }
        let service = draft.service;
        match (draft.fixes, draft.author) {
            (Some((incident, Fix::Hotfix)), Author::Person(author)) => {
                let deploy_at = at + Duration::minutes(self.random.between(5, 12));
                self.schedule(deploy_at, Action::Deploy { service, reason: Reason::Hotfix { incident, author } });
            }
            (Some((incident, Fix::Revert)), _) => {
                let deploy_at = at + Duration::minutes(self.random.between(10, 40));
                self.schedule(deploy_at, Action::Deploy { service, reason: Reason::AfterRevert { incident } });
            }
            (None, Author::Person(merger)) if self.org.services[service].policy == DeployPolicy::OnMerge => {
                let deploy_at = at + Duration::minutes(self.random.between(6, 20));
                self.schedule(deploy_at, Action::Deploy { service, reason: Reason::OnMerge { merger } });
            }
            _ => {}
        }
    }

    fn daily_release(&mut self, service: usize, at: DateTime<Utc>) {
        let Some(state) = self.services.get(&service) else { return };
        if state.frozen || !state.dirty {
            return;
        }
        // Releases grow more frequent as the team takes them over.
        let cadence = match self.role_of(service) {
            Role::Handover => 0.65 + 0.3 * self.window.progress(at),
            _ => 0.15,
        };
        if self.random.chance(cadence) {
            self.deploy(service, Reason::Release, at);
        }
    }

    /// Who deploys `service` for `reason`, and whether it is the platform
    /// team doing it for another team.
    fn deployer(&mut self, service: usize, reason: Reason, at: DateTime<Utc>) -> usize {
        let team = self.team_of(service);
        match (self.org.teams[team].role, reason) {
            (_, Reason::Rollback { incident }) => {
                self.incidents[incident].acknowledged.map_or_else(|| self.org.hero_of(team), |(who, _)| who)
            }
            (Role::Healthy | Role::Platform, Reason::OnMerge { merger }) => merger,
            (Role::Healthy | Role::Platform, Reason::Hotfix { author, .. }) => author,
            (Role::Healthy | Role::Platform, _) => self.owner(service).unwrap_or_else(|| self.org.hero_of(team)),
            (Role::Dissolved, _) => self.platform_engineer(team, 0.5),
            (Role::Handover, _) => {
                if self.random.chance(self.window.platform_share(at)) {
                    self.platform_engineer(team, 0.7)
                } else {
                    let last = self.services.get(&service).and_then(|state| state.last_author);
                    match last.filter(|&person| self.org.is_member(person, team)) {
                        Some(person) if self.random.chance(0.6) => person,
                        _ => self.owner(service).unwrap_or_else(|| self.org.hero_of(team)),
                    }
                }
            }
        }
    }

    fn deploy(&mut self, service: usize, reason: Reason, at: DateTime<Utc>) {
        if at < self.window.start || at >= self.window.end {
            return;
        }
        let Some(state) = self.services.get(&service).cloned() else { return };
        let emergency = matches!(reason, Reason::Hotfix { .. } | Reason::Rollback { .. } | Reason::AfterRevert { .. });
        if state.frozen && !emergency {
            return;
        }
        let commit = match reason {
            Reason::Rollback { .. } => match state.previous {
                Some(previous) => previous,
                None => return,
            },
            _ => match self.main {
                Some(main) => main,
                None => return,
            },
        };
        if !emergency && reason != Reason::Initial && state.deployed == Some(commit) {
            return;
        }
        let actor = self.deployer(service, reason, at);
        let team = self.team_of(service);
        let role = self.org.teams[team].role;
        let recorder = if role == Role::Healthy && matches!(reason, Reason::OnMerge { .. }) && self.random.chance(0.2) {
            Recorder::GitHubActions {
                deployment_id: 1_000_000_000 + self.random.below(1_000_000_000),
                run_id: 10_000_000_000 + self.random.below(1_000_000_000),
            }
        } else {
            Recorder::Api
        };
        let trigger = match reason {
            Reason::OnMerge { .. } => Trigger::Automatic,
            Reason::Rollback { .. } => Trigger::Rollback,
            _ => Trigger::Manual,
        };
        let finished_at = at + Duration::minutes(self.random.between(3, 14));
        if finished_at >= self.window.end {
            return;
        }
        let ordinary = !emergency && reason != Reason::Initial;
        let pipeline_failed = ordinary && recorder == Recorder::Api && self.random.chance(0.03);
        let number = state.deployments + 1;
        let fixes = match reason {
            Reason::Hotfix { incident, .. } | Reason::Rollback { incident } | Reason::AfterRevert { incident } => {
                vec![incident]
            }
            _ => Vec::new(),
        };
        self.deployments.push(DeploymentPlan {
            service,
            repo: self.repo,
            commit,
            number,
            started_at: at,
            finished_at,
            succeeded: !pipeline_failed,
            actor,
            recorder,
            trigger,
            hotfix: matches!(reason, Reason::Hotfix { .. }),
            fixes,
        });
        let deployment = self.deployments.len() - 1;
        let Some(state) = self.services.get_mut(&service) else { return };
        state.deployments = number;
        if pipeline_failed {
            // Nothing reached production; the pipeline is run again.
            let retry_at = finished_at + Duration::minutes(self.random.between(15, 40));
            self.schedule(retry_at, Action::Deploy { service, reason });
            return;
        }
        match reason {
            Reason::Rollback { .. } => state.previous = None,
            _ => state.previous = state.deployed,
        }
        state.deployed = Some(commit);
        state.dirty = false;
        match reason {
            Reason::Hotfix { incident, .. } | Reason::Rollback { incident } => {
                if matches!(reason, Reason::Hotfix { .. }) {
                    state.frozen = false;
                }
                self.resolve_after_fix(incident, finished_at);
            }
            Reason::AfterRevert { .. } => state.frozen = false,
            _ => {}
        }
        if !ordinary {
            return;
        }
        let by_platform = !self.org.is_member(actor, team);
        let failure_rate = match (role, by_platform) {
            (Role::Handover, true) => 0.12,
            (Role::Handover, false) => 0.07,
            (Role::Healthy, _) => 0.04,
            (Role::Platform, _) => 0.05,
            (Role::Dissolved, _) => 0.15,
        };
        if self.random.chance(failure_rate) {
            if let Some(state) = self.services.get_mut(&service) {
                state.frozen = true;
            }
            let opened_at = finished_at + Duration::minutes(self.random.between(5, 90));
            self.schedule(opened_at, Action::DeploymentIncident(deployment));
        }
    }

    /// Resolves `incident` a little after the deployment that fixed it.
    fn resolve_after_fix(&mut self, incident: usize, fixed_at: DateTime<Utc>) {
        let resolved_at = fixed_at + Duration::minutes(self.random.between(5, 25));
        let plan = &mut self.incidents[incident];
        if plan.resolved.is_none() {
            plan.resolved = Some((plan.acknowledged.map(|(who, _)| who), resolved_at));
        }
    }

    /// The on-call person of `service` is paged. When they do not answer,
    /// the escalation policy pages the next level: for a team that runs its
    /// services, a teammate; for everyone else, the platform's hero. Product
    /// teams new to their pager let night pages escalate to the hero half
    /// of the time.
    fn respond(&mut self, service: usize, at: DateTime<Utc>, paged: bool) -> Response {
        let team = self.team_of(service);
        let hero = self.org.hero_of(team);
        let schedule = self.org.services[service]
            .oncall
            .clone()
            .unwrap_or_else(|| self.org.platform_schedules[self.org.teams[team].copy].clone());
        let on_call = self.on_call.person_at(&schedule, at).unwrap_or(hero);
        let after_hours = is_after_hours(self.org.timezone_of(on_call), at);
        let role = self.org.teams[team].role;
        let new_to_the_pager =
            self.org.teams[team].oncall_from.is_some_and(|from| at >= from && at < from + Duration::weeks(8));
        let unanswered = if role == Role::Handover && new_to_the_pager && after_hours {
            self.random.chance(0.5)
        } else {
            self.random.chance(0.04)
        };
        let next_level = match role {
            Role::Healthy | Role::Platform => {
                let members = &self.org.teams[team].members;
                members.iter().copied().find(|&member| member != on_call)
            }
            Role::Handover | Role::Dissolved => Some(hero),
        };
        let mut pages = Vec::new();
        if paged {
            pages.push(PagePlan { person: on_call, at, escalated: false });
        }
        if let (true, Some(next)) = (unanswered, next_level.filter(|&next| next != on_call)) {
            let escalated_at = at + Duration::minutes(10);
            if paged {
                pages.push(PagePlan { person: next, at: escalated_at, escalated: true });
            }
            let acknowledged_at = escalated_at + Duration::minutes(self.random.between(2, 15));
            return Response { pages, responder: next, acknowledged_at };
        }
        let minutes = if after_hours { self.random.between(4, 20) } else { self.random.between(1, 8) };
        Response { pages, responder: on_call, acknowledged_at: at + Duration::minutes(minutes) }
    }

    fn severity(&mut self, source: &IncidentSource) -> &'static str {
        let level = self.random.weighted(&[0.15, 0.45, 0.4]);
        match source {
            IncidentSource::PagerDuty { .. } => ["P1", "P2", "P3"][level],
            IncidentSource::Api => ["SEV-1", "SEV-2", "SEV-3"][level],
        }
    }

    fn title(&mut self, templates: &[&str], service: usize) -> String {
        self.random.pick(templates).replace("{service}", &self.org.services[service].name)
    }

    fn deployment_incident(&mut self, deployment: usize, at: DateTime<Utc>) {
        let plan = &self.deployments[deployment];
        let (service, commit, api_recorded) = (plan.service, plan.commit, plan.recorder == Recorder::Api);
        let root_commit =
            self.merged_by_commit.get(&commit).map_or(commit, |&pull_request| self.pull_requests[pull_request].head);
        let link = self.random.unit();
        let cause = if link < 0.3 {
            Cause::RootCommit(deployment, root_commit)
        } else if link < 0.45 && api_recorded {
            Cause::Explicit(deployment)
        } else {
            Cause::Time(deployment)
        };
        let through_pagerduty = match cause {
            Cause::Explicit(_) => false,
            Cause::RootCommit(..) => self.random.chance(0.5),
            _ => self.random.chance(0.85),
        };
        let source = if through_pagerduty {
            IncidentSource::PagerDuty { incident_id: pagerduty_incident_id(&mut self.random) }
        } else {
            IncidentSource::Api
        };
        let response = self.respond(service, at, through_pagerduty);
        let annotated_at = match (&cause, through_pagerduty) {
            (Cause::RootCommit(..), true) => {
                Some(response.acknowledged_at + Duration::minutes(self.random.between(20, 60)))
            }
            _ => None,
        };
        let title = self.title(DEPLOYMENT_INCIDENTS, service);
        let severity = self.severity(&source);
        self.incidents.push(IncidentPlan {
            service,
            source,
            opened_at: at,
            title,
            severity,
            pages: response.pages,
            acknowledged: Some((response.responder, response.acknowledged_at)),
            resolved: None,
            cause,
            annotated_at,
        });
        let incident = self.incidents.len() - 1;
        let can_roll_back = self.services.get(&service).is_some_and(|state| state.previous.is_some());
        let rollback = can_roll_back && self.random.chance(0.4);
        let delay = if rollback { self.random.between(5, 25) } else { self.random.between(10, 40) };
        self.schedule(response.acknowledged_at + Duration::minutes(delay), Action::Remedy { incident, rollback });
    }

    fn unrelated_incident(&mut self, service: usize, at: DateTime<Utc>) {
        let through_pagerduty = self.random.chance(0.85);
        let source = if through_pagerduty {
            IncidentSource::PagerDuty { incident_id: pagerduty_incident_id(&mut self.random) }
        } else {
            IncidentSource::Api
        };
        let response = self.respond(service, at, through_pagerduty);
        let unanswered_rate = if self.role_of(service) == Role::Dissolved { 0.35 } else { 0.07 };
        let title = self.title(UNRELATED_INCIDENTS, service);
        let severity = self.severity(&source);
        let (acknowledged, resolved) = if through_pagerduty && self.random.chance(unanswered_rate) {
            // Nobody answered; the monitor resolved it when the symptom went away.
            (None, Some((None, at + Duration::minutes(self.random.between(10, 40)))))
        } else {
            let resolved_at = response.acknowledged_at + Duration::minutes(self.random.between(15, 180));
            (Some((response.responder, response.acknowledged_at)), Some((Some(response.responder), resolved_at)))
        };
        self.incidents.push(IncidentPlan {
            service,
            source,
            opened_at: at,
            title,
            severity,
            pages: response.pages,
            acknowledged,
            resolved,
            cause: Cause::Unrelated,
            annotated_at: None,
        });
    }

    /// The author of a fix: the one who wrote the change that broke, if
    /// they own the service, else an owner; for a service nobody owns, a
    /// platform engineer.
    fn fixer(&mut self, incident: usize) -> usize {
        let service = self.incidents[incident].service;
        let team = self.team_of(service);
        let culprit =
            self.bad_pull_request(incident).and_then(|pull_request| match self.pull_requests[pull_request].author {
                Author::Person(person) if self.org.is_member(person, team) => Some(person),
                _ => None,
            });
        match culprit {
            Some(person) if self.random.chance(0.7) => person,
            _ => match self.owner(service) {
                Some(owner) => owner,
                None => self.platform_engineer(team, 0.7),
            },
        }
    }

    /// The pull request whose merge the deployment blamed by `incident`
    /// shipped.
    fn bad_pull_request(&self, incident: usize) -> Option<usize> {
        let deployment = match self.incidents[incident].cause {
            Cause::Time(d) | Cause::Explicit(d) | Cause::RootCommit(d, _) => d,
            Cause::Unrelated => return None,
        };
        self.merged_by_commit.get(&self.deployments[deployment].commit).copied()
    }

    fn remedy(&mut self, incident: usize, rollback: bool, at: DateTime<Utc>) {
        let service = self.incidents[incident].service;
        if rollback {
            self.deploy(service, Reason::Rollback { incident }, at);
            let revert_at = at + Duration::minutes(self.random.between(60, 300));
            self.schedule(revert_at, Action::Revert(incident));
            return;
        }
        let author = self.fixer(incident);
        let title = format!("hotfix: {}", self.random.pick(CODE_CHANGES));
        self.fix_pull_request(incident, author, title, Fix::Hotfix, at);
    }

    fn revert(&mut self, incident: usize, at: DateTime<Utc>) {
        let author = self.fixer(incident);
        let reverted = self.bad_pull_request(incident).map_or_else(
            || "the last release".to_owned(),
            |pull_request| self.pull_requests[pull_request].title.clone(),
        );
        self.fix_pull_request(incident, author, format!("Revert \"{reverted}\""), Fix::Revert, at);
    }

    /// A small pull request that fixes `incident`, reviewed and merged fast.
    fn fix_pull_request(&mut self, incident: usize, author: usize, title: String, fix: Fix, at: DateTime<Utc>) {
        let service = self.incidents[incident].service;
        let changes = self.changes(service, FileKind::Code).into_iter().take(1).collect();
        let opened_at = at + Duration::minutes(self.random.between(5, 15));
        let (_, reviewer) = self.review_of(service, Author::Person(author));
        let reviewed_at = opened_at + Duration::minutes(self.random.between(5, 30));
        let merged_at = reviewed_at + Duration::minutes(self.random.between(5, 20));
        let prefix = if fix == Fix::Hotfix { "hotfix" } else { "revert" };
        let draft = Draft {
            service,
            author: Author::Person(author),
            branch: format!("{prefix}/{}", slugify(title.trim_start_matches("hotfix: ").trim_start_matches("Revert "))),
            title: title.clone(),
            commits: vec![(at, title, changes)],
            opened_at,
            reviews: vec![ReviewPlan { reviewer, at: reviewed_at, state: "approved" }],
            merged_at,
            fixes: Some((incident, fix)),
        };
        self.start_pull_request(draft);
    }

    /// Drops what would happen after the end of the data.
    fn trim(&mut self) {
        let end = self.window.end;
        for incident in &mut self.incidents {
            incident.pages.retain(|page| page.at < end);
            if incident.acknowledged.is_some_and(|(_, at)| at >= end) {
                incident.acknowledged = None;
            }
            if incident.resolved.is_some_and(|(_, at)| at >= end) {
                incident.resolved = None;
            }
            if incident.annotated_at.is_some_and(|at| at >= end) {
                incident.annotated_at = None;
            }
        }
    }
}

fn branch_prefix(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Pipeline => "ci",
        FileKind::Infrastructure => "infra",
        _ => "feature",
    }
}

/// Lower-case words joined by `-`, for branch names.
fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for character in text.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(40).collect::<String>().trim_end_matches('-').to_owned()
}

/// A PagerDuty-style id (`Q` and 13 characters).
fn pagerduty_incident_id(random: &mut Random) -> String {
    format!("Q{}", random.text(PAGERDUTY_ALPHABET, 13))
}

/// The files a platform team's service template provides: the pipeline,
/// the container, the chart and the infrastructure.
fn is_platform_template(path: &str) -> bool {
    path.starts_with(".github/")
        || path.starts_with("chart/")
        || path.starts_with("infra/")
        || path.starts_with("deploy/")
        || path == "Dockerfile"
        || path.ends_with("/Dockerfile")
}
