//! `paved import git`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use paved_domain::{CatalogIndex, RepoId, ServiceMatch};
use paved_ingest::git::{self, CommitSink, GitCommit, GitError, WalkError, WalkOptions};
use paved_store::{DatabaseLocation, DynStore, RefTip, RepositoryState};
use serde::Serialize;

use crate::config::Config;
use crate::exit::BadInput;
use crate::output::outln;
use crate::output::{Format, OutputArgs};

/// Import delivery data from its sources.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Import the commit history of local git repositories.
    ///
    /// Reads every commit reachable from the repository's references (by
    /// default HEAD, branches, remote branches and tags; not stashes, notes or
    /// replaced history; narrow with --ref) with
    /// its author, committer, message and per-file lines added and removed
    /// (what `git log --numstat --no-renames` prints), and stores them under
    /// the repository's identity: its `origin` remote normalised to
    /// host/owner/name, or --repo. Components claim commits through
    /// `github.com/project-slug`, `gitlab.com/project-slug` or
    /// `paved.dev/repo` (and, in a monorepo, `paved.dev/paths`) naming this
    /// identity.
    ///
    /// A second run reads only the commits added since; on an unchanged
    /// repository it returns at once. Works on work trees and bare
    /// repositories; nothing is fetched and `git` is not run. Shallow clones
    /// are refused: their history is cut, so their oldest commits would be
    /// recorded with wrong changes (`git fetch --unshallow` first).
    ///
    /// With --format json it prints one JSON object per repository, one per
    /// line: {"repository", "commits_total", "commits_imported", "seconds"}.
    ///
    /// Example: paved import git ~/src/checkout ~/src/monorepo.git --ref 'refs/heads/*'
    Git(GitCmd),
    /// Import raw events written by `paved export` (JSON Lines), each
    /// derived as it is stored: how a database moves between SQLite and
    /// PostgreSQL. Every line is checked before anything is stored; an
    /// event the database has (same source and delivery id) is skipped, so
    /// an import may be repeated or resumed.
    ///
    /// Example: paved import events events.jsonl --database-url postgres://paved@db/paved
    Events(super::export::EventsCmd),
}

/// Arguments of `paved import git`.
#[derive(Debug, Args)]
pub struct GitCmd {
    /// Paths of local repositories (work trees or bare).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The repository's identity, host/owner/name, when `origin` is missing
    /// or not the name the catalog uses (only with one PATH).
    #[arg(long, value_name = "HOST/OWNER/NAME")]
    repo: Option<String>,
    /// Reference to import from (repeatable): a full name, a short one like
    /// `main` or `v1.2`, or a glob like `refs/heads/*`. Default: HEAD,
    /// branches, remote branches and tags.
    #[arg(long = "ref", value_name = "PATTERN")]
    refs: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Exit code after Ctrl-C, as shells expect (128 + SIGINT).
const INTERRUPTED: u8 = 130;

/// What one repository's import did.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The repository's identity.
    pub repository: String,
    /// Its commits stored, in all.
    pub commits_total: u64,
    /// The commits this run stored.
    pub commits_imported: u64,
    /// How long it took.
    pub seconds: f64,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::Git(cmd) => import_git(cmd, config).await,
        Cmd::Events(cmd) => super::export::import_events(cmd, config).await,
    }
}

async fn import_git(cmd: GitCmd, config: Config) -> anyhow::Result<ExitCode> {
    if cmd.repo.is_some() && cmd.paths.len() > 1 {
        return Err(BadInput("--repo names one repository; give it with one PATH at a time".into()).into());
    }
    // Open every repository first: a wrong path fails before anything is read.
    let mut repositories = Vec::new();
    for path in &cmd.paths {
        let repository = git::open(path).map_err(git_input_error)?;
        if repository.is_shallow() {
            return Err(BadInput(format!(
                "{} is a shallow clone: its oldest commits have no parents here, so their changes would be \
                 recorded wrongly; run `git -C {} fetch --unshallow` first",
                path.display(),
                path.display()
            ))
            .into());
        }
        if !cmd.refs.is_empty() && repository.tips(&cmd.refs).map_err(git_input_error)?.is_empty() {
            return Err(BadInput(format!(
                "no reference of {} matches --ref {}; list them with `git -C {} for-each-ref`",
                path.display(),
                cmd.refs.join(" --ref "),
                path.display()
            ))
            .into());
        }
        let identity = repository.identity(cmd.repo.as_deref()).map_err(git_input_error)?;
        repositories.push((repository, identity));
    }
    let location = DatabaseLocation::parse(&config.database_url)?;
    let store = paved_store::connect(&location).await.with_context(|| format!("opening {location}"))?;
    let interrupt = Arc::new(AtomicBool::new(false));
    let on_ctrl_c = interrupt.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.store(true, Ordering::Relaxed);
        }
    });
    let catalog = CatalogIndex::new(&store.catalog_entities().await?);
    for (repository, identity) in repositories {
        let imported =
            import_one(&store, repository, identity.clone(), &cmd.refs, cmd.output.format, Some(interrupt.clone()))
                .await?;
        let Some(summary) = imported else {
            eprintln!("interrupted: the commits stored so far are kept; the next run continues from there");
            return Ok(ExitCode::from(INTERRUPTED));
        };
        match cmd.output.format {
            Format::Json => outln!("{}", serde_json::to_string(&summary)?),
            Format::Text => outln!(
                "{}: {} commits imported, {} in all ({:.2} s){}",
                summary.repository,
                summary.commits_imported,
                summary.commits_total,
                summary.seconds,
                claimed_by(&catalog, &identity)
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Which Components the repository's commits count for, as the end of the
/// summary line; a note on stderr when none does.
fn claimed_by(catalog: &CatalogIndex, repo: &RepoId) -> String {
    let services = match catalog.services_of_repo(repo) {
        ServiceMatch::One(service) => vec![service],
        ServiceMatch::Several(services) => services,
        ServiceMatch::None => {
            eprintln!(
                "note: no component claims {repo}, so its commits count for no service; set \
                 `paved.dev/repo: {repo}` (or github.com/project-slug, gitlab.com/project-slug) on its Component"
            );
            return String::new();
        }
    };
    let names: Vec<String> = services
        .iter()
        .map(|service| match catalog.service(service).map(|info| &info.paths) {
            Some(paths) if !paths.is_empty() => format!("{} ({})", service.name(), paths.join(", ")),
            _ => service.name().to_owned(),
        })
        .collect();
    format!("; commits count for {}", names.join(", "))
}

/// A missing path or a directory that is no repository is the user's input.
fn git_input_error(error: GitError) -> anyhow::Error {
    match error {
        GitError::NotFound { .. }
        | GitError::NotARepository { .. }
        | GitError::InsideWorkTree { .. }
        | GitError::NoOrigin { .. }
        | GitError::OriginNotHosted { .. }
        | GitError::BadRepoOverride { .. } => BadInput(error.to_string()).into(),
        other => other.into(),
    }
}

/// Writes each batch to the store on a task of its own, so that the walk
/// goes on reading while a batch is written (one more batch may wait); the
/// walk's thread only hands batches over.
struct StoreSink {
    batches: Option<tokio::sync::mpsc::Sender<Vec<GitCommit>>>,
    writer: Option<tokio::task::JoinHandle<Result<u64, paved_store::StoreError>>>,
    runtime: tokio::runtime::Handle,
}

impl StoreSink {
    fn start(store: DynStore, repo: RepoId) -> Self {
        let (batches, mut receiver) = tokio::sync::mpsc::channel::<Vec<GitCommit>>(1);
        let writer = tokio::spawn(async move {
            let mut imported = 0;
            while let Some(batch) = receiver.recv().await {
                let commits: Vec<_> = batch.into_iter().map(|c| c.into_commit(&repo)).collect();
                imported += store.insert_commits(&commits).await?;
            }
            Ok(imported)
        });
        Self { batches: Some(batches), writer: Some(writer), runtime: tokio::runtime::Handle::current() }
    }

    /// Waits for the batches handed over to be stored; how many commits
    /// were new. Called from the walk's (blocking) thread.
    fn finish(&mut self) -> Result<u64, paved_store::StoreError> {
        self.batches = None;
        let Some(writer) = self.writer.take() else {
            return Err(paved_store::StoreError::Unavailable("the commit writer stopped".into()));
        };
        self.runtime.block_on(writer).unwrap_or_else(|panic| {
            Err(paved_store::StoreError::Unavailable(format!("the commit writer failed: {panic}")))
        })
    }
}

impl CommitSink for StoreSink {
    type Error = paved_store::StoreError;

    fn push(&mut self, batch: Vec<GitCommit>) -> Result<(), Self::Error> {
        let sent = self.batches.as_ref().is_some_and(|batches| batches.blocking_send(batch).is_ok());
        if sent {
            return Ok(());
        }
        // The writer stopped: it failed on an earlier batch; its error is
        // the walk's.
        self.finish().map(|_| ())
    }
}

/// Imports the history of `repository` under `identity` from the
/// references matching `refs` (all when empty): the commits not stored yet,
/// then the tips. `None` when `interrupt` was set before the end (what was
/// stored is kept). Also how `paved demo` imports the repositories it
/// writes.
pub async fn import_one(
    store: &DynStore,
    repository: git::GitRepo,
    identity: RepoId,
    refs: &[String],
    format: Format,
    interrupt: Option<Arc<AtomicBool>>,
) -> anyhow::Result<Option<Summary>> {
    let started = Instant::now();
    let previous = store.repository(&identity).await?;
    let options = WalkOptions {
        refs: refs.to_vec(),
        hide: previous.iter().flat_map(|state| state.tips.iter().map(|tip| tip.sha.clone())).collect(),
        interrupt,
        ..WalkOptions::default()
    };
    let bar = progress_bar(format, &identity);
    let mut sink = StoreSink::start(store.clone(), identity.clone());
    let source_path = std::fs::canonicalize(repository.path())
        .unwrap_or_else(|_| repository.path().to_path_buf())
        .display()
        .to_string();
    let walk_bar = bar.clone();
    let (outcome, stored) = tokio::task::spawn_blocking(move || {
        let outcome = repository.walk(&options, &mut sink, &mut |progress| {
            if let Some(total) = progress.commits_total {
                walk_bar.set_length(total);
            }
            walk_bar.set_position(progress.commits_done);
        });
        // Every batch handed over is stored before the walk counts as done
        // (an interrupted one too: what was read is kept).
        let stored = sink.finish();
        (outcome, stored)
    })
    .await
    .context("the git walk stopped unexpectedly")?;
    bar.finish_and_clear();
    let (outcome, imported) = match (outcome, stored) {
        (Ok(outcome), Ok(imported)) => (outcome, imported),
        (Ok(_), Err(error)) => return Err(walk_error(WalkError::Sink(error), &identity)),
        (Err(WalkError::Git(GitError::Interrupted { .. })), _) => return Ok(None),
        (Err(error), _) => return Err(walk_error(error, &identity)),
    };
    // The tips are saved only now that every batch is stored, so an
    // interrupted import walks the same commits again next time.
    let commits_total = store.commit_count(&identity).await?;
    // Tips of references this run did not walk (another --ref) stay hidden
    // next time; the walked ones take their new commits.
    let mut tips: Vec<RefTip> = previous
        .map(|state| state.tips)
        .unwrap_or_default()
        .into_iter()
        .filter(|old| !outcome.tips.iter().any(|new| new.reference == old.reference))
        .collect();
    tips.extend(outcome.tips.iter().map(|tip| RefTip { reference: tip.reference.clone(), sha: tip.sha.clone() }));
    tips.sort_by(|a, b| a.reference.cmp(&b.reference));
    store
        .save_repository(&RepositoryState {
            repo: identity.clone(),
            source_path,
            tips,
            imported_at: Utc::now(),
            commits: commits_total,
        })
        .await?;
    tracing::info!(repository = %identity, commits_total, commits_imported = imported, "git history imported");
    Ok(Some(Summary {
        repository: identity.to_string(),
        commits_total,
        commits_imported: imported,
        seconds: started.elapsed().as_secs_f64(),
    }))
}

fn walk_error(error: WalkError<paved_store::StoreError>, identity: &RepoId) -> anyhow::Error {
    match error {
        WalkError::Git(error) => anyhow::Error::new(error).context(format!("reading {identity}")),
        WalkError::Sink(error) => anyhow::Error::new(error).context(format!("storing the commits of {identity}")),
    }
}

/// A bar on a terminal (commits/s and ETA); nothing under --format json or
/// when stderr is not a terminal.
fn progress_bar(format: Format, identity: &RepoId) -> ProgressBar {
    if format == Format::Json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:20}] {pos}/{len} {rate} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} commits/s", state.per_sec());
            })
            .progress_chars("=> "),
    );
    bar.set_prefix(identity.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
