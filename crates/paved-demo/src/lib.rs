//! The generator of `paved demo` and `paved synth`: a realistic made-up
//! organisation (teams, people, services, their repositories and on-call
//! schedules) with planted dysfunctions, and six months of what such an
//! organisation does: commits, pull requests, deployments, incidents, pages
//! and on-call shifts. It is demo data, but it is recorded through the same
//! paths as real data, never by writing rows:
//!
//! 1. the catalog is written as descriptor files and imported as `paved
//!    catalog import` imports them (`catalog.rs`);
//! 2. each repository is written to disk as a real git repository with
//!    gitoxide and imported as `paved import git` imports it (`git.rs`);
//! 3. pull requests, deployments, incidents, pages, acknowledgements and
//!    on-call shifts are sent as GitHub and PagerDuty webhooks, derived and
//!    stored as the server stores them, or through the API's checks as
//!    `paved deploy record` and `paved incident` do (`events.rs`).
//!
//! The two imports are the binary's own commands: it passes their code in
//! as an [`Importer`], so that this crate needs neither the command line
//! nor the server.
//!
//! What happens when is decided first, by a simulation (`timeline.rs`) of
//! the model built from the seed (`org.rs`). Everything is deterministic for
//! a seed and an end date: the same files, the same commit ids, the same
//! records. The [`Plan`] names what was planted, so that tests (and
//! readers) need no hard-coded names.
//!
//! [`synth`] grows the same organisation to the size of a benchmark.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, Months, Utc};
use paved_catalog::CatalogLoad;
use paved_domain::{CatalogIndex, RepoId};
use paved_ingest::IngestSettings;
use paved_ingest::git::GitRepo;
use paved_store::DynStore;
use serde::Serialize;

mod catalog;
mod events;
mod git;
pub mod modules;
mod org;
mod random;
pub mod road;
pub mod scorecards;
pub mod synth;
pub mod templates;
mod timeline;

use org::{Org, Role};
use timeline::{OnCall, Timeline, Window};

/// How far back the data goes: six calendar months before the end.
const MONTHS_OF_DATA: u32 = 6;

/// How the generator stores the catalog and the repositories it wrote: the
/// code of `paved catalog import` and `paved import git`, which the binary
/// owns and passes in, so that the demo's data takes the same path as real
/// data.
pub trait Importer {
    /// Reads the descriptors at `paths` as `paved catalog import` does.
    ///
    /// # Errors
    /// When any descriptor has an error (a bug of the generator).
    fn load_catalog(&self, paths: &[PathBuf]) -> anyhow::Result<CatalogLoad>;

    /// Stores `load`, read from `paths`, in `store` as `paved catalog
    /// import` does, in one transaction, marking entities that disappeared
    /// as orphans.
    ///
    /// # Errors
    /// When the store fails.
    fn import_catalog(
        &self,
        store: &DynStore,
        paths: &[PathBuf],
        load: &CatalogLoad,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Imports the history of `repository` under `identity` as `paved
    /// import git` does, from every reference; returns the repository's
    /// commits stored in all, or `None` when the import stopped before the
    /// end.
    ///
    /// # Errors
    /// When the repository cannot be read or the store fails.
    fn import_git(
        &self,
        store: &DynStore,
        repository: GitRepo,
        identity: RepoId,
    ) -> impl Future<Output = anyhow::Result<Option<u64>>> + Send;
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The seed everything is drawn from.
    pub seed: u64,
    /// The end of the data (exclusive); it covers the six months before.
    pub end: DateTime<Utc>,
    /// How many copies of the organisation (1 is about 5 teams, 25 people
    /// and 15 services).
    pub scale: usize,
    /// Where the catalog (`catalog/`) and the repositories (`repos/`) are
    /// written.
    pub directory: PathBuf,
}

/// What the demo planted, by name, so that a test can check that pavedroad
/// finds it without knowing the names the seed picked. Names are entity
/// names in the `default` namespace (`platform` is `group:default/platform`,
/// `dana.kovac` is `user:default/dana.kovac`). With `--scale N` the named
/// teams, people and services are those of the first copy; the counts are
/// of everything.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The seed.
    pub seed: u64,
    /// How many copies of the organisation.
    pub scale: usize,
    /// The first instant of the data (deployments, incidents, shifts).
    pub start: DateTime<Utc>,
    /// The end of the data (exclusive).
    pub end: DateTime<Utc>,
    /// The organisation's root Group.
    pub organisation: String,
    /// The platform ("DevOps") team: the Group with `paved.dev/role:
    /// platform`, which deploys most deployments of the handover teams early
    /// on and holds their pager until each takes it over.
    pub platform_team: String,
    /// Its two members.
    pub platform_members: Vec<String>,
    /// The team that deploys its own code and is on call for its own
    /// services from the start.
    pub healthy_team: String,
    /// Its members.
    pub healthy_members: Vec<String>,
    /// The product teams the platform team deploys for, handing their
    /// deployments over month by month, and their pager on a set date.
    pub handover_teams: Vec<HandoverTeam>,
    /// The platform engineer who gets most pages between 22:00 and 07:00 in
    /// their own time zone (and makes most of the platform's deployments).
    pub after_hours_person: String,
    /// Pages between 22:00 and 07:00 in the paged person's time zone, per
    /// person (everyone paged at night at least once), most first.
    pub after_hours_pages: Vec<PersonCount>,
    /// The person who made the most successful production deployments.
    pub top_deployer: PersonCount,
    /// A service nobody owns: its owner Group exists but has no members (a
    /// team dissolved in a reorganisation). The catalog refuses an owner
    /// that does not exist, so this is how "no owner" looks in a valid
    /// catalog. It also has no runbook and no on-call schedule.
    pub unowned_service: String,
    /// The memberless Group that owns it.
    pub unowned_service_owner: String,
    /// A service whose pipeline files (`.github/workflows/*.yml`) only the
    /// platform team's members change, while its owners write its code.
    pub platform_pipeline_service: String,
    /// Two services that share one repository, told apart by
    /// `paved.dev/paths`.
    pub monorepo: Monorepo,
    /// Services without a runbook link.
    pub services_without_runbook: Vec<String>,
    /// Services without `paved.dev/oncall` (the platform's catch-all
    /// escalation pages for them).
    pub services_without_oncall: Vec<String>,
    /// Identities the data names that no catalog User matches (a
    /// contractor's e-mail and GitHub login): what `paved identities
    /// --unresolved` lists.
    pub unresolved_identities: Vec<String>,
    /// Per calendar month (UTC) of the data, the successful production
    /// deployments and how many were made by owners of the service.
    pub months: Vec<MonthShare>,
    /// How much of everything.
    pub counts: Counts,
}

/// A product team that takes its deployments and its pager over from the
/// platform team.
#[derive(Debug, Clone, Serialize)]
pub struct HandoverTeam {
    /// The Group.
    pub team: String,
    /// The services it owns.
    pub services: Vec<String>,
    /// Its on-call Schedule.
    pub schedule: String,
    /// When its own rotation starts; before, the platform team held its
    /// pager (shifts recorded through the API).
    pub oncall_from: DateTime<Utc>,
}

/// The monorepo.
#[derive(Debug, Clone, Serialize)]
pub struct Monorepo {
    /// Its identity (`github.com/acme/search`).
    pub repository: String,
    /// The services in it.
    pub services: Vec<String>,
}

/// A person and a count.
#[derive(Debug, Clone, Serialize)]
pub struct PersonCount {
    /// The User's name.
    pub person: String,
    /// How many.
    pub count: usize,
}

/// One month's deployments by owners.
#[derive(Debug, Clone, Serialize)]
pub struct MonthShare {
    /// `2026-05`.
    pub month: String,
    /// Successful production deployments of the handover teams' services.
    pub handover_deployments: usize,
    /// Of those, made by the owning team's members.
    pub handover_by_owners: usize,
    /// `handover_by_owners / handover_deployments` (null without any).
    pub handover_owner_share: Option<f64>,
    /// Successful production deployments of every service.
    pub all_deployments: usize,
    /// Of those, made by the owning team's members.
    pub all_by_owners: usize,
    /// `all_by_owners / all_deployments` (null without any).
    pub all_owner_share: Option<f64>,
}

/// How much the demo generated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Groups (without the root).
    pub teams: usize,
    /// Users.
    pub people: usize,
    /// Components.
    pub services: usize,
    /// Git repositories.
    pub repositories: usize,
    /// Commits in them.
    pub commits: usize,
    /// Pull requests.
    pub pull_requests: usize,
    /// Deployments to production (successful or not).
    pub deployments: usize,
    /// Of those, successful.
    pub successful_deployments: usize,
    /// Rollbacks.
    pub rollbacks: usize,
    /// Deployments marked as hotfixes.
    pub hotfixes: usize,
    /// Incidents.
    pub incidents: usize,
    /// Incidents caused by a deployment.
    pub incidents_caused_by_deployments: usize,
    /// Pages sent.
    pub pages: usize,
    /// On-call shifts recorded through the API.
    pub recorded_shifts: usize,
    /// Raw events stored, per source.
    pub raw_events: BTreeMap<String, usize>,
}

/// How long each step took, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Writing and importing the catalog.
    pub catalog_ms: u128,
    /// Simulating and writing the git repositories.
    pub git_write_ms: u128,
    /// Importing them.
    pub git_import_ms: u128,
    /// Recording pull requests, deployments, incidents and shifts.
    pub events_ms: u128,
    /// All of it.
    pub total_ms: u128,
}

/// Where the first instant of the data falls for `end`.
fn start_of_data(end: DateTime<Utc>) -> DateTime<Utc> {
    end.checked_sub_months(Months::new(MONTHS_OF_DATA)).unwrap_or(end - Duration::weeks(26))
}

/// Generates the organisation into `options.directory` and records it in
/// `store`: the catalog and the repositories through `importer`, the events
/// as webhooks and API requests with `settings`.
///
/// # Errors
/// When a file or repository cannot be written, the store fails, or the
/// product refuses what the generator made (a bug, reported as such).
pub async fn generate(
    options: &Options,
    store: &DynStore,
    settings: &IngestSettings,
    importer: &impl Importer,
) -> anyhow::Result<(Plan, Timings)> {
    let started = Instant::now();
    let mut timings = Timings::default();
    let start = start_of_data(options.end);
    let window = Window { history_start: start - Duration::days(14), start, end: options.end };
    let org = Org::build(options.seed, options.scale, start);

    let catalog_directory = options.directory.join("catalog");
    catalog::write(&org, &catalog_directory, options.seed)?;
    // The golden paths and the scorecard pavedroad ships come with it, in
    // the same location as the road's import later (so nothing moves).
    let mut catalog_paths = vec![catalog_directory];
    catalog_paths.extend(templates::write(&options.directory)?);
    catalog_paths.extend(scorecards::write(&options.directory)?);
    let load = importer.load_catalog(&catalog_paths).context("the demo's own catalog is invalid")?;
    importer.import_catalog(store, &catalog_paths, &load).await?;
    let catalog = CatalogIndex::new(&load.entities);
    timings.catalog_ms = started.elapsed().as_millis();

    let step = Instant::now();
    let mut on_call = OnCall::from_catalog(&org, &catalog, &window);
    let shifts = timeline::platform_held_shifts(&org, &on_call, &window);
    on_call.add(&shifts);
    let repos_directory = options.directory.join("repos");
    std::fs::create_dir_all(&repos_directory).with_context(|| format!("creating {}", repos_directory.display()))?;
    let (outcomes, shas) =
        tokio::task::block_in_place(|| simulate_and_write(&org, &on_call, window, options.seed, &repos_directory))?;
    let timeline = timeline::join(window, outcomes, shifts);
    timings.git_write_ms = step.elapsed().as_millis();

    let step = Instant::now();
    let mut commits = 0;
    for repo in &org.repos {
        let path = repos_directory.join(&repo.name);
        let repository = paved_ingest::git::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let identity = repository.identity(None)?;
        let commits_total = importer
            .import_git(store, repository, identity)
            .await?
            .context("the import of a demo repository stopped")?;
        commits += commits_total as usize;
    }
    timings.git_import_ms = step.elapsed().as_millis();

    let step = Instant::now();
    let recorded = events::record_all(store, &catalog, settings, &org, &timeline, &shas, options.seed).await?;
    timings.events_ms = step.elapsed().as_millis();
    timings.total_ms = started.elapsed().as_millis();

    let plan = plan(options, &org, &timeline, commits, recorded);
    Ok((plan, timings))
}

/// A repository's simulated history and the ids of its written commits.
type Written = (timeline::RepoOutcome, Vec<gix::ObjectId>);

/// Simulates every repository and writes it, on every core; the results
/// come back in the repositories' order whatever the scheduling.
fn simulate_and_write(
    org: &Org,
    on_call: &OnCall,
    window: Window,
    seed: u64,
    directory: &Path,
) -> anyhow::Result<(Vec<timeline::RepoOutcome>, Vec<Vec<gix::ObjectId>>)> {
    let count = org.repos.len();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(count.max(1));
    let mut results: Vec<Option<anyhow::Result<Written>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let repo = next.fetch_add(1, Ordering::Relaxed);
                        if repo >= count {
                            break done;
                        }
                        let outcome = timeline::simulate(org, on_call, window, seed, repo);
                        let path = directory.join(&org.repos[repo].name);
                        let written = git::write(&path, org, repo, &outcome.history)
                            .with_context(|| format!("writing {}", path.display()))
                            .map(|ids| (outcome, ids));
                        done.push((repo, written));
                    }
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => {
                    for (repo, written) in done {
                        results[repo] = Some(written);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let mut outcomes = Vec::with_capacity(count);
    let mut shas = Vec::with_capacity(count);
    for result in results {
        let (outcome, ids) = result.context("a repository was not written")??;
        outcomes.push(outcome);
        shas.push(ids);
    }
    Ok((outcomes, shas))
}

/// Names what was planted, from the model and what was simulated.
fn plan(options: &Options, org: &Org, timeline: &Timeline, commits: usize, recorded: events::Recorded) -> Plan {
    let name = |person: usize| org.people[person].name.clone();
    let first_copy = |team: usize| org.teams[team].copy == 0;
    let team_with = |role: Role| org.teams.iter().position(|team| team.role == role && team.copy == 0).unwrap_or(0);
    let services_of = |team: usize| -> Vec<String> {
        org.services.iter().filter(|service| service.team == team).map(|service| service.name.clone()).collect()
    };
    let platform = team_with(Role::Platform);
    let healthy = team_with(Role::Healthy);
    let dissolved = team_with(Role::Dissolved);
    let handover_teams: Vec<HandoverTeam> = (0..org.teams.len())
        .filter(|&team| org.teams[team].role == Role::Handover && first_copy(team))
        .map(|team| HandoverTeam {
            team: org.teams[team].name.clone(),
            services: services_of(team),
            schedule: org.teams[team].schedule.clone().unwrap_or_default(),
            oncall_from: org.teams[team].oncall_from.unwrap_or(timeline.window.start),
        })
        .collect();

    let mut night_pages: BTreeMap<usize, usize> = BTreeMap::new();
    let mut pages = 0;
    for incident in &timeline.incidents {
        for page in &incident.pages {
            pages += 1;
            if timeline::is_after_hours(org.timezone_of(page.person), page.at) {
                *night_pages.entry(page.person).or_default() += 1;
            }
        }
    }
    let mut after_hours_pages: Vec<PersonCount> =
        night_pages.iter().map(|(&person, &count)| PersonCount { person: name(person), count }).collect();
    after_hours_pages.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.person.cmp(&b.person)));

    let successful: Vec<&timeline::DeploymentPlan> = timeline.deployments.iter().filter(|d| d.succeeded).collect();
    let mut by_actor: BTreeMap<usize, usize> = BTreeMap::new();
    for deployment in &successful {
        *by_actor.entry(deployment.actor).or_default() += 1;
    }
    let top_deployer = by_actor.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))).map_or(
        PersonCount { person: String::new(), count: 0 },
        |(&person, &count)| PersonCount { person: name(person), count },
    );

    let mut months: BTreeMap<String, MonthShare> = BTreeMap::new();
    let mut month = timeline.window.start;
    while month < timeline.window.end {
        let key = format!("{:04}-{:02}", month.year(), month.month());
        months.insert(
            key.clone(),
            MonthShare {
                month: key,
                handover_deployments: 0,
                handover_by_owners: 0,
                handover_owner_share: None,
                all_deployments: 0,
                all_by_owners: 0,
                all_owner_share: None,
            },
        );
        month = month.checked_add_months(Months::new(1)).unwrap_or(timeline.window.end);
    }
    for deployment in &successful {
        let team = org.services[deployment.service].team;
        let at = deployment.finished_at;
        let Some(share) = months.get_mut(&format!("{:04}-{:02}", at.year(), at.month())) else { continue };
        let by_owner = org.is_member(deployment.actor, team);
        share.all_deployments += 1;
        share.all_by_owners += usize::from(by_owner);
        if org.teams[team].role == Role::Handover && first_copy(team) {
            share.handover_deployments += 1;
            share.handover_by_owners += usize::from(by_owner);
        }
    }
    let ratio = |part: usize, whole: usize| (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0);
    for share in months.values_mut() {
        share.handover_owner_share = ratio(share.handover_by_owners, share.handover_deployments);
        share.all_owner_share = ratio(share.all_by_owners, share.all_deployments);
    }

    let unowned = org.services.iter().find(|service| service.team == dissolved);
    let monorepo = org.repos.iter().find(|repo| repo.services.len() > 1 && first_copy(repo.team));
    let outsider = &org.outsiders[0];
    let first_copy_services = org.services.iter().filter(|service| first_copy(service.team));
    Plan {
        seed: options.seed,
        scale: options.scale,
        start: timeline.window.start,
        end: timeline.window.end,
        organisation: org::ORGANISATION.to_owned(),
        platform_team: org.teams[platform].name.clone(),
        platform_members: org.teams[platform].members.iter().map(|&m| name(m)).collect(),
        healthy_team: org.teams[healthy].name.clone(),
        healthy_members: org.teams[healthy].members.iter().map(|&m| name(m)).collect(),
        handover_teams,
        after_hours_person: name(org.hero_of(platform)),
        after_hours_pages,
        top_deployer,
        unowned_service: unowned.map(|service| service.name.clone()).unwrap_or_default(),
        unowned_service_owner: org.teams[dissolved].name.clone(),
        platform_pipeline_service: org
            .services
            .iter()
            .find(|service| service.pipeline_by_platform)
            .map(|service| service.name.clone())
            .unwrap_or_default(),
        monorepo: Monorepo {
            repository: monorepo.map(|repo| format!("github.com/{}", repo.slug())).unwrap_or_default(),
            services: monorepo
                .map(|repo| repo.services.iter().map(|&s| org.services[s].name.clone()).collect())
                .unwrap_or_default(),
        },
        services_without_runbook: first_copy_services
            .clone()
            .filter(|service| !service.runbook)
            .map(|service| service.name.clone())
            .collect(),
        services_without_oncall: first_copy_services
            .filter(|service| service.oncall.is_none())
            .map(|service| service.name.clone())
            .collect(),
        unresolved_identities: vec![format!("email:{}", outsider.email), format!("github:{}", outsider.login)],
        months: months.into_values().collect(),
        counts: Counts {
            teams: org.teams.len(),
            people: org.people.len(),
            services: org.services.len(),
            repositories: org.repos.len(),
            commits,
            pull_requests: timeline.repos.iter().map(|repo| repo.pull_requests.len()).sum(),
            deployments: timeline.deployments.len(),
            successful_deployments: successful.len(),
            rollbacks: successful.iter().filter(|d| d.trigger == timeline::Trigger::Rollback).count(),
            hotfixes: successful.iter().filter(|d| d.hotfix).count(),
            incidents: timeline.incidents.len(),
            incidents_caused_by_deployments: timeline
                .incidents
                .iter()
                .filter(|incident| incident.cause != timeline::Cause::Unrelated)
                .count(),
            pages,
            recorded_shifts: timeline.shifts.len(),
            raw_events: recorded.raw_events,
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::timeline::{Author, Cause, Trigger};
    use super::*;

    /// The organisation and its timeline for `seed`, without writing
    /// repositories.
    fn simulated(seed: u64) -> (Org, Timeline) {
        let end = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let start = start_of_data(end);
        let window = Window { history_start: start - Duration::days(14), start, end };
        let org = Org::build(seed, 1, start);
        let dir = tempfile::tempdir().unwrap();
        catalog::write(&org, dir.path(), seed).unwrap();
        let load = paved_catalog::load(&[dir.path().to_path_buf()], &paved_catalog::LoadOptions::default());
        let mut on_call = OnCall::from_catalog(&org, &CatalogIndex::new(&load.entities), &window);
        let shifts = timeline::platform_held_shifts(&org, &on_call, &window);
        on_call.add(&shifts);
        let outcomes =
            (0..org.repos.len()).map(|repo| timeline::simulate(&org, &on_call, window, seed, repo)).collect();
        (org, timeline::join(window, outcomes, shifts))
    }

    fn is_ancestor(commits: &[timeline::CommitPlan], ancestor: usize, of: usize) -> bool {
        let mut pending = vec![of];
        let mut seen = std::collections::HashSet::new();
        while let Some(commit) = pending.pop() {
            if commit == ancestor {
                return true;
            }
            if seen.insert(commit) {
                pending.extend(&commits[commit].parents);
            }
        }
        false
    }

    #[test]
    fn the_planted_patterns_hold_whatever_the_seed() {
        for seed in 1..=10 {
            let (org, timeline) = simulated(seed);
            let hero = org.hero_of(0);
            let mut night = BTreeMap::<usize, usize>::new();
            for page in timeline.incidents.iter().flat_map(|incident| &incident.pages) {
                if timeline::is_after_hours(org.timezone_of(page.person), page.at) {
                    *night.entry(page.person).or_default() += 1;
                }
            }
            let hero_pages = night.remove(&hero).unwrap_or(0);
            let runner_up = night.values().copied().max().unwrap_or(0);
            assert!(hero_pages >= 2 * runner_up.max(2), "seed {seed}: the hero has {hero_pages}, the next {runner_up}");

            // The organisation moves from the platform deploying most to
            // the owners deploying almost everything.
            let owner_share = |from: DateTime<Utc>, until: DateTime<Utc>| {
                let counted: Vec<_> = timeline
                    .deployments
                    .iter()
                    .filter(|d| d.succeeded && d.finished_at >= from && d.finished_at < until)
                    .collect();
                let by_owners = counted.iter().filter(|d| org.is_member(d.actor, org.services[d.service].team)).count();
                by_owners as f64 / counted.len() as f64
            };
            let (start, end) = (timeline.window.start, timeline.window.end);
            let first_month = owner_share(start, start.checked_add_months(Months::new(1)).unwrap());
            let last_month = owner_share(end.checked_sub_months(Months::new(1)).unwrap(), end);
            assert!(first_month < 0.5 && last_month > 0.85, "seed {seed}: {first_month:.2} then {last_month:.2}");

            let healthy = org.teams.iter().position(|team| team.role == Role::Healthy).unwrap();
            for deployment in &timeline.deployments {
                let team = org.services[deployment.service].team;
                if team == healthy {
                    assert!(
                        org.is_member(deployment.actor, team),
                        "seed {seed}: the healthy team deploys its own code"
                    );
                }
                if deployment.trigger == Trigger::Rollback {
                    let previous = timeline
                        .deployments
                        .iter()
                        .filter(|d| {
                            d.service == deployment.service && d.succeeded && d.finished_at < deployment.started_at
                        })
                        .max_by_key(|d| d.finished_at)
                        .unwrap();
                    let commits = &timeline.repos[deployment.repo].commits;
                    assert!(
                        deployment.commit != previous.commit
                            && is_ancestor(commits, deployment.commit, previous.commit),
                        "seed {seed}: a rollback deploys a strict ancestor of what it replaces"
                    );
                }
            }
            for incident in &timeline.incidents {
                if let Cause::Time(d) | Cause::Explicit(d) | Cause::RootCommit(d, _) = incident.cause {
                    assert!(timeline.deployments[d].finished_at < incident.opened_at);
                    assert!(incident.opened_at - timeline.deployments[d].finished_at < Duration::hours(24));
                }
            }

            let pipeline_service = org.services.iter().position(|service| service.pipeline_by_platform).unwrap();
            let repo = org.repos.iter().position(|repo| repo.services.contains(&pipeline_service)).unwrap();
            let platform = org.platform_of(org.services[pipeline_service].team);
            let pipeline_authors: Vec<Author> = timeline.repos[repo]
                .commits
                .iter()
                .filter(|commit| commit.parents.len() < 2)
                .filter(|commit| commit.changes.iter().any(|change| change.path.starts_with(".github/workflows/")))
                .map(|commit| commit.author)
                .collect();
            assert!(pipeline_authors.len() >= 2, "seed {seed}: {pipeline_authors:?}");
            assert!(
                pipeline_authors
                    .iter()
                    .all(|author| matches!(author, Author::Person(p) if org.is_member(*p, platform))),
                "seed {seed}: only the platform team touches the pipeline of {}",
                org.services[pipeline_service].name
            );
        }
    }
}
