//! The four-line test (DESIGN §6): do developers deploy their own code, are
//! they on call for their services, do they own their pipelines, can they
//! provision what they need? Each line is the owners' share over the window
//! and per month, with the tallies and commit indexes behind it.

use chrono::{DateTime, Utc};

use super::{ChangeIndex, Diagnosis, Thresholds, globs, round3};
use crate::window::{Period, Window};

/// What a line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq)]
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
    /// True when the window cuts the month (its start, or the month in
    /// progress): its data is incomplete.
    pub partial: bool,
}

/// One line of the four-line test.
#[derive(Debug, Clone, PartialEq)]
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
    /// `acknowledgements` (when no shifts are known), `commits`, or
    /// `commits_and_requests` (infrastructure commits and self-service
    /// provisioning requests, for the fourth line).
    pub basis: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// The thresholds it was judged by.
    pub thresholds: Thresholds,
    /// The same per calendar month.
    pub series: Vec<LinePoint>,
    /// The share over the window's whole months only (none when it has
    /// none, or they hold nothing to count): what decides the phase.
    pub whole_months_value: Option<f64>,
}

/// The four-line test (DESIGN §6).
#[derive(Debug, Clone, PartialEq)]
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

/// Tallies of "done by owners" over "done".
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tally {
    pub(super) owners: f64,
    pub(super) total: f64,
    pub(super) unattributed: u64,
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

impl Diagnosis<'_> {
    fn deploy_tally(&self, window: &Window) -> Tally {
        let mut tally = Tally::default();
        for deployment in self.deployments_in(window) {
            tally.add(deployment.actor_owns, 1.0);
        }
        tally
    }

    /// Self-service provisioning requests that made their resource in the
    /// window, by whether the person who asked owns the service (`None`:
    /// asked through the CLI or a team token, nobody known).
    pub(super) fn provision_tally(&self, window: &Window) -> Tally {
        let mut in_scope = vec![false; self.dataset.services.len()];
        for &service in self.services {
            in_scope[service] = true;
        }
        let mut tally = Tally::default();
        for request in &self.dataset.provisionings {
            if in_scope.get(request.service) == Some(&true) && window.contains(request.ready_at) {
                tally.add(self.is_owner(request.service, request.actor.as_ref()), 1.0);
            }
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
        let months: Vec<(DateTime<Utc>, bool, Tally)> = self
            .window
            .periods(Period::Month)
            .into_iter()
            .map(|(start, inside)| (start, !Period::Month.is_whole(start, &inside), tally(&inside)))
            .collect();
        let sum = |months: &mut dyn Iterator<Item = &Tally>| {
            months.fold(Tally::default(), |sum, t| Tally {
                owners: sum.owners + t.owners,
                total: sum.total + t.total,
                unattributed: sum.unattributed + t.unattributed,
            })
        };
        let whole = if counts { sum(&mut months.iter().map(|(_, _, t)| t)) } else { tally(&self.window) };
        let whole_months_value = sum(&mut months.iter().filter(|(_, partial, _)| !partial).map(|(_, _, t)| t)).value();
        let series = months
            .into_iter()
            .map(|(period_start, partial, t)| LinePoint {
                period_start,
                value: t.value(),
                by_owners: round3(t.owners),
                total: round3(t.total),
                verdict: Verdict::of(t.value(), thresholds),
                partial,
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
            whole_months_value,
        }
    }

    pub fn test(&self) -> FourLineTest {
        let pipelines = self.change_index(&globs(&self.config.pipeline_globs), self.services);
        let infrastructure = self.change_index(&globs(&self.config.infrastructure_globs), self.services);
        let pipeline_lines = self.line_index(&self.lines.pipelines, &self.config.pipeline_globs);
        let infrastructure_lines = self.line_index(&self.lines.infrastructure, &self.config.infrastructure_globs);
        let (_, on_call_basis) = self.on_call_tally(&self.window);
        // The fourth line counts infrastructure commits and self-service
        // requests alike: each is one thing provisioned, by an owner or not.
        let requests = self.provision_tally(&self.window);
        let provision_basis =
            if requests.total > 0.0 || requests.unattributed > 0 { "commits_and_requests" } else { "commits" };
        FourLineTest {
            deploy_own_code: self.line(self.config.deploy, "deployments", true, |w| self.deploy_tally(w)),
            on_call_own_services: self.line(self.config.on_call, on_call_basis, false, |w| self.on_call_tally(w).0),
            own_pipelines: self
                .line(self.config.pipelines, "commits", true, |w| self.commit_tally(w, &pipelines, pipeline_lines)),
            self_provision: self.line(self.config.provision, provision_basis, true, |w| {
                let commits = self.commit_tally(w, &infrastructure, infrastructure_lines);
                let requests = self.provision_tally(w);
                Tally {
                    owners: commits.owners + requests.owners,
                    total: commits.total + requests.total,
                    unattributed: commits.unattributed + requests.unattributed,
                }
            }),
        }
    }
}
