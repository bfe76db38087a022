//! What happened to each service, computed once over its whole history
//! (change sets and rollbacks depend on deployments before any window):
//! one fact per counted deployment, shipped change, pull request, recovery
//! and incident, each with the instant that places it in a window.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use crate::graph::{CommitGraph, CommitId};
use crate::input::{Dataset, DeploymentInput, IncidentInput};

/// Why a deployment failed (DESIGN §5, change failure rate). When several
/// rules fire, the first in this order is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureRule {
    /// (a) An incident is explicitly linked to it, or names as its root
    /// cause a commit it shipped.
    Incident,
    /// (b) It was rolled back: the next successful production deployment
    /// deploys a strict ancestor of its commit.
    Rollback,
    /// (c) An incident with no explicit link opened within the attribution
    /// window after it finished, it being the latest deployment before.
    AttributionWindow,
}

/// What is known of a deployment's change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSet {
    /// Known: this many commits.
    Known(usize),
    /// The first deployment of its service in the data: its history
    /// predates the data.
    First,
    /// Its commit is not in the imported history (or its repository was
    /// not imported).
    UnknownCommit,
}

/// One counted deployment (successful, production).
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentFact {
    /// Its key.
    pub key: String,
    /// Its service.
    pub service: usize,
    /// When it finished.
    pub finished: DateTime<Utc>,
    /// Whether and why it failed.
    pub failed: Option<FailureRule>,
    /// True when it was unplanned remediation (DESIGN §5, rework rate).
    pub rework: bool,
    /// What is known of its change set.
    pub change_set: ChangeSet,
    /// True when the human behind it is unknown to the catalog.
    pub actor_unresolved: bool,
    /// The catalog User behind it.
    pub actor: Option<paved_domain::EntityRef>,
    /// Whether that User owns the service (`None`: no known User).
    pub actor_owns: Option<bool>,
    /// Its commit, when in the imported history.
    pub commit: Option<CommitId>,
}

/// One commit shipped by one deployment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeFact {
    /// When the deployment that shipped it finished (places it in windows).
    pub deployed: DateTime<Utc>,
    /// Deployment finish − committer time, in seconds (negative: clock
    /// skew, left out of the figures and counted in a note).
    pub lead_time: f64,
}

/// One merged pull request whose merge commit reached production.
#[derive(Debug, Clone, PartialEq)]
pub struct PullRequestFact {
    /// Its key (a pull request shipped by several services of a scope
    /// counts once, with its earliest deployment).
    pub key: String,
    /// The key of the first deployment that shipped it.
    pub deployment: String,
    /// When the first deployment that shipped it finished.
    pub deployed: DateTime<Utc>,
    /// First commit's author time → opened.
    pub coding: Option<f64>,
    /// Opened → first review by another human.
    pub pickup: Option<f64>,
    /// First review → merged.
    pub review: Option<f64>,
    /// Merged → deployed.
    pub deploy: Option<f64>,
}

/// The recovery of one failed deployment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecoveryFact {
    /// When the failed deployment finished (places it in windows).
    pub failed_deployment_finished: DateTime<Utc>,
    /// Start of impact → restoration, in seconds; `None` while a linked
    /// incident is still open.
    pub seconds: Option<f64>,
}

/// One incident, for time to restore service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentFact {
    /// When it opened (places it in windows).
    pub opened: DateTime<Utc>,
    /// Opened → resolved, in seconds; `None` while open.
    pub restore_seconds: Option<f64>,
}

/// Everything computed for one service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceFacts {
    /// Counted deployments, in finish order.
    pub deployments: Vec<DeploymentFact>,
    /// Shipped commits, in the order of their deployments' finish.
    pub changes: Vec<ChangeFact>,
    /// Merged pull requests that reached production.
    pub pull_requests: Vec<PullRequestFact>,
    /// Recoveries of failed deployments, in the order of their finish.
    pub recoveries: Vec<RecoveryFact>,
    /// Incidents with an opening time, in opening order.
    pub incidents: Vec<IncidentFact>,
    /// Incidents naming a deployment that is not a counted one of the
    /// service (a key that does not exist, or a failed or staging one).
    pub unknown_links: usize,
}

/// How commit messages mark rework (DESIGN §5, rework rate (iii)): by
/// default a message that starts with `Revert "` or contains `hotfix`,
/// case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReworkPattern {
    /// Message prefixes (case-insensitive).
    pub prefixes: Vec<String>,
    /// Words anywhere in the message (case-insensitive).
    pub words: Vec<String>,
}

impl Default for ReworkPattern {
    fn default() -> Self {
        Self { prefixes: vec!["revert \"".to_owned()], words: vec!["hotfix".to_owned()] }
    }
}

impl ReworkPattern {
    /// True when `message` marks rework.
    pub fn matches(&self, message: &str) -> bool {
        let message = message.to_lowercase();
        self.prefixes.iter().any(|prefix| message.starts_with(prefix.to_lowercase().as_str()))
            || self.words.iter().any(|word| message.contains(word.to_lowercase().as_str()))
    }
}

fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().map_or_else(|| (to - from).num_seconds() as f64, |us| us as f64 / 1e6)
}

fn at_seconds(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Computes the facts of every service of `dataset`.
pub fn service_facts(dataset: &Dataset, attribution_window: Duration) -> Vec<ServiceFacts> {
    let mut deployments_of: Vec<Vec<&DeploymentInput>> = vec![Vec::new(); dataset.services.len()];
    for deployment in &dataset.deployments {
        if deployment.counted && deployment.finished_at.is_some() {
            deployments_of[deployment.service].push(deployment);
        }
    }
    let mut incidents_of: Vec<Vec<&IncidentInput>> = vec![Vec::new(); dataset.services.len()];
    for incident in &dataset.incidents {
        incidents_of[incident.service].push(incident);
    }
    let mut prs_of_repo: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, pr) in dataset.pull_requests.iter().enumerate() {
        prs_of_repo.entry(pr.repo).or_default().push(i);
    }
    (0..dataset.services.len())
        .map(|s| {
            let mut deployments = std::mem::take(&mut deployments_of[s]);
            deployments.sort_by(|a, b| a.finished_at.cmp(&b.finished_at).then_with(|| a.key.cmp(&b.key)));
            let prs = dataset.services[s].repo.and_then(|repo| prs_of_repo.get(&repo)).map_or(&[][..], Vec::as_slice);
            ServiceComputation { dataset, service: s, attribution_window }.run(&deployments, &incidents_of[s], prs)
        })
        .collect()
}

struct ServiceComputation<'d> {
    dataset: &'d Dataset,
    service: usize,
    attribution_window: Duration,
}

/// One counted deployment while it is computed.
struct Shipped {
    commit: Option<CommitId>,
    change_set: ChangeSet,
    rework_commit: bool,
    rolled_back_by: Option<usize>,
    is_rollback: bool,
}

impl ServiceComputation<'_> {
    fn graph(&self) -> Option<&CommitGraph> {
        self.dataset.services[self.service].repo.map(|repo| &*self.dataset.repos[repo])
    }

    fn touches_paths(&self, graph: &CommitGraph, commit: CommitId) -> bool {
        match &self.dataset.services[self.service].paths {
            None => true,
            Some(globs) => graph.files(commit).any(|path| globs.is_match(path)),
        }
    }

    fn run(
        &self,
        deployments: &[&DeploymentInput],
        incidents: &[&IncidentInput],
        pull_requests: &[usize],
    ) -> ServiceFacts {
        let mut facts = ServiceFacts::default();
        let graph = self.graph();
        let finished: Vec<DateTime<Utc>> =
            deployments.iter().map(|d| d.finished_at.expect("counted deployments have finished")).collect();

        // Commits whose shipping deployment matters: root causes of
        // incidents and merge commits of pull requests.
        let mut tracked: HashMap<CommitId, Option<usize>> = HashMap::new();
        let mut shipped_with_merge: HashMap<CommitId, Vec<CommitId>> = HashMap::new();
        if let Some(graph) = graph {
            for incident in incidents {
                if let Some(commit) = incident.root_cause_sha.as_deref().and_then(|sha| graph.find(sha)) {
                    tracked.insert(commit, None);
                }
            }
            for &pr in pull_requests {
                if let Some(commit) = graph.find(&self.dataset.pull_requests[pr].merge_commit_sha) {
                    tracked.insert(commit, None);
                }
            }
        }

        // Change sets, in finish order.
        let mut shipped_commits = graph.map(|g| vec![false; g.len()]).unwrap_or_default();
        let mut have_base = false;
        let mut states: Vec<Shipped> = Vec::with_capacity(deployments.len());
        for (i, deployment) in deployments.iter().enumerate() {
            let commit = graph.zip(deployment.sha.as_deref()).and_then(|(g, sha)| g.find(sha));
            let mut state = Shipped {
                commit,
                change_set: ChangeSet::UnknownCommit,
                rework_commit: false,
                rolled_back_by: None,
                is_rollback: false,
            };
            if let (Some(graph), Some(commit)) = (graph, commit) {
                // A rollback deploys a strict ancestor of the previous
                // deployment's commit (it was shipped already).
                if let Some(previous) = states.last().and_then(|p: &Shipped| p.commit)
                    && shipped_commits[commit as usize]
                    && graph.is_strict_ancestor(commit, previous)
                {
                    state.is_rollback = true;
                    let last = states.len() - 1;
                    states[last].rolled_back_by = Some(i);
                }
                let taken = graph.take_unshipped(commit, &mut shipped_commits);
                if have_base {
                    for &c in &taken {
                        if let Some(shipper) = tracked.get_mut(&c) {
                            *shipper = Some(i);
                            shipped_with_merge.insert(c, taken.clone());
                        }
                    }
                    let ours: Vec<CommitId> = taken.into_iter().filter(|c| self.touches_paths(graph, *c)).collect();
                    state.rework_commit = ours.iter().any(|c| graph.is_rework(*c));
                    for &c in &ours {
                        facts.changes.push(ChangeFact {
                            deployed: finished[i],
                            lead_time: seconds(at_seconds(graph.committer_time(c)), finished[i]),
                        });
                    }
                    state.change_set = ChangeSet::Known(ours.len());
                } else {
                    state.change_set = ChangeSet::First;
                    have_base = true;
                }
            }
            states.push(state);
        }

        // Failures, linked incidents, rework by open incidents.
        let index_of: HashMap<&str, usize> = deployments.iter().enumerate().map(|(i, d)| (d.key.as_str(), i)).collect();
        let mut failed: Vec<Option<FailureRule>> =
            states.iter().map(|s| s.rolled_back_by.map(|_| FailureRule::Rollback)).collect();
        let mut linked: Vec<Vec<&IncidentInput>> = vec![Vec::new(); deployments.len()];
        let fail = |i: usize, rule: FailureRule, failed: &mut Vec<Option<FailureRule>>| {
            failed[i] = Some(failed[i].map_or(rule, |current| current.min(rule)));
        };
        for incident in incidents {
            let explicit = incident.caused_by_deployment.is_some() || incident.root_cause_sha.is_some();
            if let Some(key) = &incident.caused_by_deployment {
                match index_of.get(key.as_str()) {
                    Some(&i) => {
                        fail(i, FailureRule::Incident, &mut failed);
                        linked[i].push(incident);
                    }
                    None => facts.unknown_links += 1,
                }
            }
            let by_root_cause = graph
                .zip(incident.root_cause_sha.as_deref())
                .and_then(|(g, sha)| g.find(sha))
                .and_then(|commit| tracked.get(&commit).copied().flatten());
            if let Some(i) = by_root_cause
                && !linked[i].iter().any(|known| known.key == incident.key)
            {
                fail(i, FailureRule::Incident, &mut failed);
                linked[i].push(incident);
            }
            if explicit {
                continue;
            }
            let Some(opened) = incident.opened_at else { continue };
            // The latest deployment that finished before it opened.
            let before = finished.partition_point(|f| *f <= opened);
            if before > 0 && opened - finished[before - 1] <= self.attribution_window {
                fail(before - 1, FailureRule::AttributionWindow, &mut failed);
                linked[before - 1].push(incident);
            }
        }

        for (i, deployment) in deployments.iter().enumerate() {
            let state = &states[i];
            let remediates_open_incident = incidents.iter().any(|incident| {
                let (Some(opened), Some(resolved)) = (incident.opened_at, incident.resolved_at) else { return false };
                opened <= finished[i] && finished[i] < resolved && resolved - finished[i] <= self.attribution_window
            });
            facts.deployments.push(DeploymentFact {
                key: deployment.key.clone(),
                service: self.service,
                finished: finished[i],
                failed: failed[i],
                rework: state.is_rollback || remediates_open_incident || deployment.hotfix || state.rework_commit,
                change_set: state.change_set,
                actor_unresolved: deployment.actor_unresolved,
                actor: deployment.actor.clone(),
                actor_owns: self.dataset.services[self.service].owned_by(deployment.actor.as_ref()),
                commit: state.commit,
            });
            if failed[i].is_some() {
                facts.recoveries.push(self.recovery(
                    &linked[i],
                    finished[i],
                    state.rolled_back_by.map(|r| finished[r]),
                ));
            }
        }

        for incident in incidents {
            if let Some(opened) = incident.opened_at {
                facts.incidents.push(IncidentFact {
                    opened,
                    restore_seconds: incident.resolved_at.map(|resolved| seconds(opened, resolved)),
                });
            }
        }
        facts.incidents.sort_by_key(|incident| incident.opened);

        if let Some(graph) = graph {
            for &pr in pull_requests {
                let pr = &self.dataset.pull_requests[pr];
                let Some(merge) = graph.find(&pr.merge_commit_sha) else { continue };
                let Some(Some(shipper)) = tracked.get(&merge).copied() else { continue };
                let shipped = shipped_with_merge.get(&merge).map_or(&[][..], Vec::as_slice);
                let head = pr.head_sha.as_deref().and_then(|sha| graph.find(sha));
                let commits = pull_request_commits(graph, merge, head, shipped);
                if !commits.iter().chain([&merge]).any(|c| self.touches_paths(graph, *c)) {
                    continue;
                }
                let first_authored = commits.iter().map(|c| graph.author_time(*c)).min().map(at_seconds);
                let deployed = finished[shipper];
                facts.pull_requests.push(PullRequestFact {
                    key: pr.key.clone(),
                    deployment: deployments[shipper].key.clone(),
                    deployed,
                    coding: first_authored.zip(pr.opened_at).map(|(first, opened)| seconds(first, opened)),
                    pickup: pr.opened_at.zip(pr.first_review_at).map(|(opened, review)| seconds(opened, review)),
                    review: pr.first_review_at.map(|review| seconds(review, pr.merged_at)),
                    deploy: Some(seconds(pr.merged_at, deployed)),
                });
            }
        }
        facts
    }

    /// Start of impact (the earliest linked incident's opening, else the
    /// deployment's finish) → restoration (the latest linked incident's
    /// resolution, else the rollback's finish).
    fn recovery(
        &self,
        linked: &[&IncidentInput],
        finished: DateTime<Utc>,
        rollback_finished: Option<DateTime<Utc>>,
    ) -> RecoveryFact {
        let start = linked.iter().filter_map(|i| i.opened_at).min().unwrap_or(finished);
        let end = if linked.is_empty() {
            rollback_finished
        } else if linked.iter().all(|i| i.resolved_at.is_some()) {
            linked.iter().filter_map(|i| i.resolved_at).max()
        } else {
            None
        };
        RecoveryFact { failed_deployment_finished: finished, seconds: end.map(|end| seconds(start, end)) }
    }
}

/// The most commits one pull request is taken to have (a branch that
/// reaches back further is not a pull request's own work).
const MAX_PULL_REQUEST_COMMITS: usize = 10_000;

/// The commits a pull request brought, whose earliest author time starts
/// its coding stage. When its branch's tip is in the history: the commits
/// the tip reaches and the merge's first parent (the base it merged into)
/// does not — also for a squash or rebase merge, whose merge commit is new.
/// Otherwise, for a merge commit: the commits its other parents reach among
/// those the deployment shipped; for a squash or rebase merge whose branch
/// is not in the history: none (its coding stage is unknown, not the time
/// of the squash).
fn pull_request_commits(
    graph: &CommitGraph,
    merge: CommitId,
    head: Option<CommitId>,
    shipped: &[CommitId],
) -> Vec<CommitId> {
    let base = graph.parents(merge).first().copied();
    if let (Some(head), Some(base)) = (head, base) {
        let branch = graph.branch_commits(head, base, MAX_PULL_REQUEST_COMMITS);
        if !branch.is_empty() {
            return branch;
        }
    }
    if graph.parents(merge).len() < 2 {
        return Vec::new();
    }
    let shipped: HashSet<CommitId> = shipped.iter().copied().collect();
    let mut commits = vec![merge];
    let mut seen: HashSet<CommitId> = HashSet::from([merge]);
    let mut stack: Vec<CommitId> = graph.parents(merge).iter().skip(1).copied().collect();
    while let Some(commit) = stack.pop() {
        if !shipped.contains(&commit) || !seen.insert(commit) {
            continue;
        }
        commits.push(commit);
        stack.extend(graph.parents(commit).iter().copied());
    }
    commits
}
