//! The benchmark organisation (`paved synth`): the demo's organisation
//! (teams, people, services, repositories and their files, on-call
//! schedules, the same catalog files) scaled to a size given in services,
//! people, commits, deployments and incidents, with years of history.
//!
//! What it stores is what ingestion stores. Commits go through
//! [`paved_store::Store::insert_commits`], the call `paved import git` makes,
//! as the importer would read them (`git log --numstat`'s files and counts;
//! merges without files) — but no git objects are written: the ids are the
//! SHA-1 of each commit's encoding over the empty tree, so they are
//! content-addressed and stable per seed, and the git import benchmark
//! covers reading repositories. Deployments and incidents are API requests
//! prepared and stored by the application's own code (`record::prepare`, then
//! [`paved_store::Store::ingest`] in batches): raw events, records,
//! identities and audit exactly as `POST /api/v1/deployments` makes them.
//!
//! The model is simpler than the demo's six-month story: each repository
//! has a main line with pull-request branches merged into it; each service
//! deploys its main line at evenly spread instants, mostly by its owners,
//! sometimes by the platform team, with failures, rollbacks and hotfixes;
//! incidents follow deployments, are acknowledged and resolved by the
//! owning team (the platform team for a service whose team has no members).

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, FixedOffset, Offset, TimeZone, Utc};
use paved_app::RecordAction;
use paved_domain::{CatalogIndex, Commit, CommitSignature, FileStat, RepoId};
use paved_ingest::IngestSettings;
use paved_store::{DynStore, RefTip, RepositoryState};
use serde::Serialize;
use serde_json::json;

use super::Importer;
use super::events::{self, Delivery, Pending};
use super::org::{FileKind, Org, Role};
use super::random::Random;

/// Services per copy of the demo's organisation.
const SERVICES_PER_COPY: usize = 15;
/// Commits stored per call.
const COMMIT_BATCH: usize = 5_000;
/// Events stored per transaction.
const EVENT_BATCH: usize = 1_000;
/// The empty tree's id: every synthetic commit points at it.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// How big, and when.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// The seed everything is drawn from.
    pub seed: u64,
    /// The end of the data (exclusive).
    pub end: DateTime<Utc>,
    /// How many months of history before the end.
    pub months: u32,
    /// Services wanted (rounded up to whole copies of 15).
    pub services: usize,
    /// People wanted (at least the copies' own, 25 each).
    pub people: usize,
    /// Commits in all.
    pub commits: u64,
    /// Deployments in all (production and staging).
    pub deployments: u64,
    /// Incidents in all.
    pub incidents: u64,
    /// Where the catalog goes (`catalog/`).
    pub directory: std::path::PathBuf,
}

/// What was generated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SynthSummary {
    /// The seed.
    pub seed: u64,
    /// The first instant of the history.
    pub start: DateTime<Utc>,
    /// Its end (exclusive).
    pub end: DateTime<Utc>,
    /// Teams (Groups with members or owning services).
    pub teams: usize,
    /// Catalog Users.
    pub people: usize,
    /// Components.
    pub services: usize,
    /// Repositories.
    pub repositories: usize,
    /// Commits stored.
    pub commits: u64,
    /// Deployments recorded.
    pub deployments: u64,
    /// Of which to production.
    pub production_deployments: u64,
    /// Incidents opened.
    pub incidents: u64,
    /// Raw events stored (deployments, incident openings, acknowledgements
    /// and resolutions).
    pub raw_events: u64,
    /// Milliseconds spent on each step.
    pub timings: SynthTimings,
}

/// Where the time went, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SynthTimings {
    /// Writing and importing the catalog.
    pub catalog_ms: u128,
    /// Generating and storing commits.
    pub commits_ms: u128,
    /// Preparing and storing events.
    pub events_ms: u128,
    /// Everything.
    pub total_ms: u128,
}

/// Reports progress: called with a step's name, what is done and the total.
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// Generates the organisation into `store` (catalog files under
/// `options.directory`, imported through `importer`).
///
/// # Errors
/// When a file cannot be written, the store fails, or the product refuses
/// what the generator made (a bug, reported as such).
pub async fn generate(
    options: &SynthOptions,
    store: &DynStore,
    settings: &IngestSettings,
    importer: &impl Importer,
    progress: Progress<'_>,
) -> anyhow::Result<SynthSummary> {
    let started = Instant::now();
    let start = options
        .end
        .checked_sub_months(chrono::Months::new(options.months.max(1)))
        .context("--months reaches before the calendar starts")?;
    let copies = options.services.div_ceil(SERVICES_PER_COPY).max(1);
    let per_copy = Org::build(options.seed, 1, start).people.len();
    let extra = options.people.saturating_sub(copies * per_copy);
    let org = Org::build_with_people(options.seed, copies, start, extra);

    let catalog_directory = options.directory.join("catalog");
    super::catalog::write(&org, &catalog_directory, options.seed)?;
    let catalog_paths = vec![catalog_directory];
    let load = importer.load_catalog(&catalog_paths).context("the synthetic catalog is invalid")?;
    importer.import_catalog(store, &catalog_paths, &load).await?;
    let catalog = CatalogIndex::new(&load.entities);
    let mut summary = SynthSummary {
        seed: options.seed,
        start,
        end: options.end,
        teams: org.teams.len(),
        people: org.people.len(),
        services: org.services.len(),
        repositories: org.repos.len(),
        ..SynthSummary::default()
    };
    summary.timings.catalog_ms = started.elapsed().as_millis();

    let repos = org.repos.len() as u64;
    let services = org.services.len() as u64;
    let mut commit_time = std::time::Duration::ZERO;
    for repo in 0..org.repos.len() {
        let step = Instant::now();
        let commits = share(options.commits, repos, repo as u64);
        let history = History::generate(&org, repo, commits, start, options.end, options.seed);
        let repo_id = RepoId::parse_url(&org.repos[repo].url()).context("a synthetic repository's URL")?;
        for batch in history.commits.chunks(COMMIT_BATCH) {
            let rows: Vec<Commit> = batch.iter().map(|commit| commit.to_commit(&org, repo, &repo_id)).collect();
            store.insert_commits(&rows).await.context("storing synthetic commits")?;
        }
        // A repository the commits did not reach (fewer commits than
        // repositories) has no tip, as an empty repository imported has none.
        let tips = history
            .main
            .last()
            .map(|&index| RefTip { reference: "refs/heads/main".to_owned(), sha: history.commits[index].sha.clone() })
            .into_iter()
            .collect();
        store
            .save_repository(&RepositoryState {
                repo: repo_id.clone(),
                source_path: format!("synthetic:{}", org.repos[repo].name),
                tips,
                imported_at: Utc::now(),
                commits: history.commits.len() as u64,
            })
            .await?;
        summary.commits += history.commits.len() as u64;
        commit_time += step.elapsed();

        let step = Instant::now();
        let mut first = Vec::new();
        let mut updates = Vec::new();
        for &service in &org.repos[repo].services {
            let deployments = share(options.deployments, services, service as u64);
            let incidents = share(options.incidents, services, service as u64);
            let plan = ServicePlan::generate(&org, service, &history, deployments, incidents, options);
            summary.deployments += plan.deployments.len() as u64;
            summary.production_deployments += plan.deployments.iter().filter(|d| d.production).count() as u64;
            summary.incidents += plan.incidents.len() as u64;
            plan.deliveries(&org, service, &history, &mut first, &mut updates);
        }
        // Acknowledging and resolving need the incident stored first, as
        // on a real server.
        let mut recorded = events::Recorded::default();
        for mut phase in [first, updates] {
            phase.sort_by_key(|pending| pending.at);
            let mut phase = phase.into_iter().peekable();
            while phase.peek().is_some() {
                let chunk: Vec<Pending> = phase.by_ref().take(EVENT_BATCH).collect();
                events::store_chunk(store, &catalog, settings, chunk, &mut recorded).await?;
            }
        }
        summary.raw_events += recorded.raw_events.values().sum::<usize>() as u64;
        summary.timings.events_ms += step.elapsed().as_millis();
        progress("repositories", repo as u64 + 1, repos);
    }
    summary.timings.commits_ms = commit_time.as_millis();
    summary.timings.total_ms = started.elapsed().as_millis();
    Ok(summary)
}

/// Part `index` of `total` shared over `parts` as evenly as whole numbers
/// allow.
fn share(total: u64, parts: u64, index: u64) -> u64 {
    total / parts.max(1) + u64::from(index < total % parts.max(1))
}

/// A commit as generated.
#[derive(Debug, Clone)]
struct SynthCommit {
    sha: String,
    parents: Vec<String>,
    author: usize,
    time: DateTime<Utc>,
    message: String,
    /// Indices into the repository's files, with lines added and removed.
    files: Vec<(usize, u32, u32)>,
}

impl SynthCommit {
    fn to_commit(&self, org: &Org, repo_index: usize, repo: &RepoId) -> Commit {
        let files = &org.repos[repo_index].files;
        Commit {
            repo: repo.clone(),
            sha: self.sha.clone(),
            parents: self.parents.clone(),
            author: signature(org, self.author, self.time),
            committer: signature(org, self.author, self.time),
            message: self.message.clone(),
            files: self
                .files
                .iter()
                .map(|&(file, added, removed)| FileStat {
                    path: files[file].path.clone(),
                    added,
                    removed,
                    binary: false,
                })
                .collect(),
        }
    }
}

fn signature(org: &Org, person: usize, at: DateTime<Utc>) -> CommitSignature {
    let person = &org.people[person];
    let offset: FixedOffset = person.timezone.offset_from_utc_datetime(&at.naive_utc()).fix();
    CommitSignature {
        name: person.display_name.clone(),
        email: person.emails[0].clone(),
        time: at.with_timezone(&offset),
    }
}

/// A repository's generated history.
struct History {
    commits: Vec<SynthCommit>,
    /// The main line, oldest first: indices into `commits`.
    main: Vec<usize>,
}

impl History {
    /// `count` commits between `start` and `end`: a main line with
    /// pull-request branches of one to three commits merged into it.
    fn generate(org: &Org, repo: usize, count: u64, start: DateTime<Utc>, end: DateTime<Utc>, seed: u64) -> Self {
        let mut random = Random::new(seed, &format!("synth-history-{repo}"));
        let the_repo = &org.repos[repo];
        let team = &org.teams[the_repo.team];
        let platform = &org.teams[org.platform_of(the_repo.team)];
        let owners: &[usize] = if team.members.is_empty() { &platform.members } else { &team.members };
        let count = count as usize;
        let span = (end - start).num_seconds().max(1) as f64;
        let step = span / count.max(1) as f64;
        let mut commits: Vec<SynthCommit> = Vec::with_capacity(count);
        let mut main = Vec::new();
        let mut buffer = Vec::with_capacity(512);
        let pick_files = |random: &mut Random, platform_author: bool| -> Vec<(usize, u32, u32)> {
            let wanted = 1 + random.below(3) as usize;
            let mut files = Vec::new();
            for _ in 0..wanted {
                let kind = if platform_author {
                    if random.chance(0.5) { FileKind::Pipeline } else { FileKind::Infrastructure }
                } else {
                    match random.below(100) {
                        0..=84 => FileKind::Code,
                        85..=89 => FileKind::Pipeline,
                        90..=94 => FileKind::Infrastructure,
                        _ => FileKind::Docs,
                    }
                };
                let candidates: Vec<usize> =
                    (0..the_repo.files.len()).filter(|&i| the_repo.files[i].kind == kind).collect();
                let candidates = if candidates.is_empty() { (0..the_repo.files.len()).collect() } else { candidates };
                if candidates.is_empty() {
                    break;
                }
                let file = *random.pick(&candidates);
                if files.iter().all(|(f, _, _)| *f != file) {
                    files.push((file, 1 + random.below(80) as u32, random.below(40) as u32));
                }
            }
            files.sort_unstable();
            files
        };
        let mut push = |commits: &mut Vec<SynthCommit>, mut commit: SynthCommit| -> usize {
            commit.sha = commit_id(&commit, org, &mut buffer);
            commits.push(commit);
            commits.len() - 1
        };
        while commits.len() < count {
            let at = |n: usize| start + Duration::seconds((n as f64 * step) as i64);
            let left = count - commits.len();
            let author_of = |random: &mut Random| -> (usize, bool) {
                if random.chance(0.08) {
                    (*random.pick(&platform.members), true)
                } else {
                    (*random.pick(owners), false)
                }
            };
            let parent = main.last().map(|&index: &usize| commits[index].sha.clone());
            // A pull request: a branch off main, then its merge.
            if left >= 2 && random.chance(0.35) {
                let length = (1 + random.below(3) as usize).min(left - 1);
                let (author, platform_author) = author_of(&mut random);
                let mut tip = parent.clone();
                for _ in 0..length {
                    let n = commits.len();
                    let files = pick_files(&mut random, platform_author);
                    let index = push(
                        &mut commits,
                        SynthCommit {
                            sha: String::new(),
                            parents: tip.iter().cloned().collect(),
                            author,
                            time: at(n),
                            message: message(&mut random, &the_repo.name, n),
                            files,
                        },
                    );
                    tip = Some(commits[index].sha.clone());
                }
                let n = commits.len();
                let merger = *random.pick(owners);
                let index = push(
                    &mut commits,
                    SynthCommit {
                        sha: String::new(),
                        parents: parent.into_iter().chain(tip).collect(),
                        author: merger,
                        time: at(n),
                        message: format!("Merge pull request #{n} from {}/change-{n}", super::org::GITHUB_OWNER),
                        files: Vec::new(),
                    },
                );
                main.push(index);
            } else {
                let n = commits.len();
                let (author, platform_author) = author_of(&mut random);
                let files = pick_files(&mut random, platform_author);
                let index = push(
                    &mut commits,
                    SynthCommit {
                        sha: String::new(),
                        parents: parent.into_iter().collect(),
                        author,
                        time: at(n),
                        message: message(&mut random, &the_repo.name, n),
                        files,
                    },
                );
                main.push(index);
            }
        }
        Self { commits, main }
    }

    /// The main-line commit current at `at` (the newest not after it).
    fn main_at(&self, at: DateTime<Utc>) -> Option<usize> {
        let position = self.main.partition_point(|&index| self.commits[index].time <= at);
        position.checked_sub(1).map(|p| self.main[p])
    }
}

/// A commit message; a few mark rework (reverts and hotfixes).
fn message(random: &mut Random, repo: &str, n: usize) -> String {
    match random.below(100) {
        0 => format!("Revert \"Change {} in {repo}\"", n.saturating_sub(3)),
        1 => format!("hotfix: guard against an empty cart ({n})"),
        _ => format!("Change {n} in {repo}"),
    }
}

/// The commit's id as git computes it, for its encoding over the empty
/// tree.
fn commit_id(commit: &SynthCommit, org: &Org, buffer: &mut Vec<u8>) -> String {
    use std::io::Write as _;
    buffer.clear();
    let person = &org.people[commit.author];
    let offset = person.timezone.offset_from_utc_datetime(&commit.time.naive_utc()).fix().local_minus_utc();
    let (sign, offset) = if offset < 0 { ('-', -offset) } else { ('+', offset) };
    let stamp = format!("{} {sign}{:02}{:02}", commit.time.timestamp(), offset / 3600, offset / 60 % 60);
    let _ = writeln!(buffer, "tree {EMPTY_TREE}");
    for parent in &commit.parents {
        let _ = writeln!(buffer, "parent {parent}");
    }
    let _ = writeln!(buffer, "author {} <{}> {stamp}", person.display_name, person.emails[0]);
    let _ = writeln!(buffer, "committer {} <{}> {stamp}", person.display_name, person.emails[0]);
    let _ = write!(buffer, "\n{}\n", commit.message);
    gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Commit, buffer)
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// A deployment as planned.
struct SynthDeployment {
    id: String,
    at: DateTime<Utc>,
    commit: usize,
    production: bool,
    status: &'static str,
    actor: usize,
    rollback: bool,
    hotfix: bool,
}

/// An incident as planned.
struct SynthIncident {
    id: String,
    opened_at: DateTime<Utc>,
    caused_by: Option<String>,
    severity: &'static str,
    acknowledged: (usize, DateTime<Utc>),
    resolved: (usize, DateTime<Utc>),
}

/// A service's deployments and incidents.
struct ServicePlan {
    deployments: Vec<SynthDeployment>,
    incidents: Vec<SynthIncident>,
}

impl ServicePlan {
    fn generate(
        org: &Org,
        service: usize,
        history: &History,
        deployments: u64,
        incidents: u64,
        options: &SynthOptions,
    ) -> Self {
        let mut random = Random::new(options.seed, &format!("synth-service-{service}"));
        let the_service = &org.services[service];
        let team = &org.teams[the_service.team];
        let platform = &org.teams[org.platform_of(the_service.team)];
        let owners: &[usize] = if team.members.is_empty() { &platform.members } else { &team.members };
        let start = options.end - Duration::days(30 * i64::from(options.months.max(1)));
        let first = history.main.first().map_or(start, |&index| history.commits[index].time);
        let span = (options.end - first).num_seconds().max(1) as f64;
        let step = span / (deployments.max(1) as f64 + 1.0);
        let name = &the_service.name;
        let mut planned: Vec<SynthDeployment> = Vec::with_capacity(deployments as usize);
        // The last two commits that went to production and stayed: a
        // rollback returns to the one before the newest.
        let mut good: [Option<usize>; 2] = [None, None];
        for n in 0..deployments {
            let at = first + Duration::seconds(((n as f64 + 1.0) * step) as i64 + random.between(0, 600));
            let Some(tip) = history.main_at(at) else { continue };
            let production = !random.chance(0.1);
            let platform_deploys = team.role == Role::Dissolved || random.chance(0.15);
            let actor = if platform_deploys { *random.pick(&platform.members) } else { *random.pick(owners) };
            let failed = production && random.chance(0.05);
            let rollback_to = good[0].filter(|_| production && !failed && random.chance(0.015));
            let commit = rollback_to.unwrap_or(tip);
            let status = if failed { if random.chance(0.8) { "failure" } else { "error" } } else { "success" };
            if production && !failed && good[1] != Some(commit) {
                good = [good[1], Some(commit)];
            }
            let rollback = rollback_to.is_some();
            planned.push(SynthDeployment {
                id: format!("synth-{name}-{n}"),
                at,
                commit,
                production,
                status,
                actor,
                rollback,
                hotfix: production && !failed && random.chance(0.02),
            });
        }
        let production: Vec<usize> =
            (0..planned.len()).filter(|&i| planned[i].production && planned[i].status == "success").collect();
        let mut planned_incidents = Vec::with_capacity(incidents as usize);
        for n in 0..incidents {
            let Some(&deployment) = (!production.is_empty()).then(|| random.pick(&production)) else { break };
            let deployment = &planned[deployment];
            let opened_at = deployment.at + Duration::minutes(random.between(10, 360));
            let acknowledged = opened_at + Duration::minutes(random.between(1, 30));
            let resolved = acknowledged + Duration::minutes(random.between(15, 480));
            let responder = |random: &mut Random| {
                if team.members.is_empty() || random.chance(0.1) {
                    *random.pick(&platform.members)
                } else {
                    *random.pick(&team.members)
                }
            };
            planned_incidents.push(SynthIncident {
                id: format!("SYN-{name}-{n}"),
                opened_at,
                caused_by: random.chance(0.5).then(|| deployment.id.clone()),
                severity: ["SEV-1", "SEV-2", "SEV-3"][random.below(3) as usize],
                acknowledged: (responder(&mut random), acknowledged),
                resolved: (responder(&mut random), resolved),
            });
        }
        Self { deployments: planned, incidents: planned_incidents }
    }

    /// The API requests that record the plan: deployments and incident
    /// openings in `first`, acknowledgements and resolutions in `updates`.
    fn deliveries(
        &self,
        org: &Org,
        service: usize,
        history: &History,
        first: &mut Vec<Pending>,
        updates: &mut Vec<Pending>,
    ) {
        let name = &org.services[service].name;
        let repo = &org.repos.iter().find(|repo| repo.services.contains(&service)).map(|repo| repo.slug());
        for deployment in &self.deployments {
            let mut body = json!({
                "id": deployment.id,
                "service": name,
                "environment": if deployment.production { "production" } else { "staging" },
                "sha": history.commits[deployment.commit].sha,
                "status": deployment.status,
                "actor": org.people[deployment.actor].login,
                "started_at": events::time(deployment.at - Duration::minutes(6)),
                "finished_at": events::time(deployment.at),
                "ref": "main",
            });
            if let Some(repo) = repo {
                body["repo"] = json!(format!("github.com/{repo}"));
            }
            if deployment.rollback {
                body["trigger"] = json!("rollback");
            }
            if deployment.hotfix {
                body["hotfix"] = json!(true);
            }
            first.push(Pending { at: deployment.at, delivery: Delivery::api(RecordAction::RecordDeployment, &body) });
        }
        for incident in &self.incidents {
            let mut body = json!({
                "id": incident.id,
                "service": name,
                "opened_at": events::time(incident.opened_at),
                "severity": incident.severity,
                "title": format!("{name} is failing requests"),
            });
            if let Some(caused_by) = &incident.caused_by {
                body["caused_by"] = json!(caused_by);
            }
            first.push(Pending { at: incident.opened_at, delivery: Delivery::api(RecordAction::OpenIncident, &body) });
            for (action, (person, at)) in [
                (RecordAction::AcknowledgeIncident(incident.id.clone()), incident.acknowledged),
                (RecordAction::ResolveIncident(incident.id.clone()), incident.resolved),
            ] {
                let body = json!({"by": org.people[person].login, "at": events::time(at)});
                updates.push(Pending { at, delivery: Delivery::api(action, &body) });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_total() {
        let total: u64 = (0..7).map(|i| share(100, 7, i)).sum();
        assert_eq!(total, 100);
        assert_eq!(share(5, 0, 0), 5, "no parts: all in one");
    }
}
