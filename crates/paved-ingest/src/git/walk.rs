//! The walk: one thread lists the commits to read, a pool of threads reads
//! and diffs them, the calling thread puts the results back in walk order
//! and hands them to the sink in batches.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex, mpsc};

use gix::ObjectId;
use gix::revision::walk::Sorting;
use gix::traverse::commit::simple::CommitTimeOrder;

use super::diff::CommitReader;
use super::refs::Tip;
use super::{GitCommit, GitError, GitRepo};

/// Where a walk delivers its commits: production writes each batch to the
/// store, tests collect them in a `Vec`.
pub trait CommitSink {
    /// Why a batch could not be loaded.
    type Error;

    /// Takes the next batch (at most [`WalkOptions::batch_size`] commits, in
    /// walk order). Returning an error stops the walk; the batches pushed
    /// before it stay pushed.
    ///
    /// # Errors
    /// Whatever loading the batch failed with.
    fn push(&mut self, batch: Vec<GitCommit>) -> Result<(), Self::Error>;
}

impl CommitSink for Vec<GitCommit> {
    type Error = Infallible;

    fn push(&mut self, mut batch: Vec<GitCommit>) -> Result<(), Infallible> {
        self.append(&mut batch);
        Ok(())
    }
}

/// What to walk, and how.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Reference patterns to start from (see [`GitRepo::tips`]); empty means
    /// every reference and `HEAD`, what `git rev-list --all` walks, except
    /// `refs/stash`, `refs/notes/*`, `refs/original/*` and `refs/replace/*`
    /// (stash, notes, backup and replacement commits). Patterns can still
    /// select those explicitly.
    pub refs: Vec<String>,
    /// Commits already imported — the shas of the previous walk's
    /// [`WalkOutcome::tips`]. Neither they nor anything reachable from them
    /// is read. Ids that are not in the repository any more (history
    /// rewritten and garbage-collected) are ignored, so a walk after a
    /// force-push may deliver commits the store already has: store commits
    /// idempotently by (repository, sha).
    pub hide: Vec<String>,
    /// Commits per [`CommitSink::push`]; default 1,000.
    pub batch_size: usize,
    /// Threads that diff; default: the number of CPUs. One more thread walks
    /// the history, and the calling thread feeds the sink.
    pub threads: Option<NonZeroUsize>,
    /// Set it to `true` (e.g. on Ctrl-C) to stop the walk soon; it then ends
    /// with [`GitError::Interrupted`] after the batches already pushed.
    pub interrupt: Option<Arc<AtomicBool>>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self { refs: Vec::new(), hide: Vec::new(), batch_size: 1000, threads: None, interrupt: None }
    }
}

/// Where a walk is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Commits read so far, in walk order (the last few may still wait in
    /// the batch being filled).
    pub commits_done: u64,
    /// Commits this walk will deliver, once the history has been listed
    /// (early in the walk: listing is some 40 times faster than diffing).
    pub commits_total: Option<u64>,
}

/// What a walk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkOutcome {
    /// The references walked and their commits, sorted by reference name.
    /// Store their shas once every batch is stored; pass them as
    /// [`WalkOptions::hide`] next time.
    pub tips: Vec<Tip>,
    /// Commits delivered to the sink.
    pub commits: u64,
    /// Every tip was already imported (hidden), so nothing was read.
    pub up_to_date: bool,
}

/// A walk failed: reading the repository, or loading a batch.
#[derive(Debug, thiserror::Error)]
pub enum WalkError<E> {
    /// Reading the repository failed, or the walk was interrupted.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The sink refused a batch.
    #[error("loading a batch of commits failed")]
    Sink(#[source] E),
}

/// Commits per unit of work handed to a diff thread: large enough to keep
/// channel traffic negligible, small enough to balance threads and keep
/// parent and child (which share most trees) on the same thread's caches.
const CHUNK: usize = 32;

/// Bytes of object cache per thread handle: none. Every object the cache
/// kept was copied into it and out again, and with root trees reused from
/// one commit to the next ([`super::diff`]) and blobs resolved through the
/// delta-base cache, the copies cost more than the hits saved (a history of
/// 30,000 commits read in 2.2 s instead of 2.7 s).
const OBJECT_CACHE_BYTES: usize = 0;

/// Bytes of delta-base cache per thread handle. gitoxide's default (64
/// slots) is tuned for walking commits; diffing blobs of many paths
/// resolves delta chains across far more objects, and a memory-capped cache
/// saved about a sixth of the CPU time on a 20,000-commit history. Larger
/// caches did not help there. `core.deltaBaseCacheLimit` or
/// `GIX_PACK_CACHE_MEMORY`, when set, win.
const PACK_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// A handle for one thread, with caches sized for reading history.
fn thread_handle(repo: &gix::ThreadSafeRepository) -> gix::Repository {
    let mut repo = repo.to_thread_local();
    repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
    let configured = std::env::var_os("GIX_PACK_CACHE_MEMORY").is_some()
        || repo.config_snapshot().integer("core.deltaBaseCacheLimit").is_some();
    if !configured {
        repo.objects
            .set_pack_cache(|| Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(PACK_CACHE_BYTES)));
    }
    repo
}

impl GitRepo {
    /// Reads every commit reachable from the selected references and not
    /// from [`WalkOptions::hide`], and pushes them to `sink` in batches, in a
    /// stable order (newest commit time first, as `git log` lists them; a
    /// child is not guaranteed to come before its parents when clocks
    /// disagree). `progress` is called on the calling thread after each
    /// handful of commits.
    ///
    /// When every current tip is hidden (nothing new), it returns at once
    /// with [`WalkOutcome::up_to_date`] and reads no commit.
    ///
    /// Each commit's files are what `git log --numstat --no-renames` prints
    /// for it; see [`GitCommit::files`] for merges, renames and binaries.
    ///
    /// # Errors
    /// [`WalkError::Git`] when the repository cannot be read (with the
    /// object that failed), a `hide` entry is not a sha, or the walk is
    /// interrupted; [`WalkError::Sink`] when the sink refuses a batch. In both
    /// cases the batches pushed before stay pushed.
    pub fn walk<S: CommitSink>(
        &self,
        options: &WalkOptions,
        sink: &mut S,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<WalkOutcome, WalkError<S::Error>> {
        let tips = self.tips(&options.refs)?;
        let mut hidden = Vec::with_capacity(options.hide.len());
        for sha in &options.hide {
            hidden.push(ObjectId::from_hex(sha.trim().as_bytes()).map_err(|_| GitError::BadSha(sha.clone()))?);
        }
        let hidden_set: HashSet<ObjectId> = hidden.iter().copied().collect();
        let mut starts: Vec<ObjectId> = Vec::with_capacity(tips.len());
        for tip in &tips {
            let id = ObjectId::from_hex(tip.sha.as_bytes()).map_err(|_| GitError::BadSha(tip.sha.clone()))?;
            if !hidden_set.contains(&id) && !starts.contains(&id) {
                starts.push(id);
            }
        }
        if starts.is_empty() {
            progress(Progress { commits_done: 0, commits_total: Some(0) });
            return Ok(WalkOutcome { tips, commits: 0, up_to_date: true });
        }
        starts.sort();
        let commits = self.read_commits(starts, hidden, options, sink, progress)?;
        Ok(WalkOutcome { tips, commits, up_to_date: false })
    }

    fn read_commits<S: CommitSink>(
        &self,
        starts: Vec<ObjectId>,
        hidden: Vec<ObjectId>,
        options: &WalkOptions,
        sink: &mut S,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<u64, WalkError<S::Error>> {
        let threads =
            options.threads.or_else(|| std::thread::available_parallelism().ok()).map_or(1, NonZeroUsize::get);
        let batch_size = options.batch_size.max(1);
        let state = Shared {
            stop: AtomicBool::new(false),
            interrupt: options.interrupt.clone(),
            listed: AtomicU64::new(0),
            listing_done: AtomicBool::new(false),
        };
        let path = self.path.as_path();

        let (work_tx, work_rx) = mpsc::channel::<(u64, Vec<ObjectId>)>();
        let work_rx = Mutex::new(work_rx);
        std::thread::scope(|scope| {
            let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Result<Vec<GitCommit>, GitError>)>(threads * 4);

            let lister = scope.spawn(|| list(&self.repo, path, starts, hidden, &state, work_tx));
            for _ in 0..threads {
                let done_tx = done_tx.clone();
                let (work_rx, state) = (&work_rx, &state);
                scope.spawn(move || read(&self.repo, path, work_rx, state, done_tx));
            }
            drop(done_tx);

            let delivered = deliver(done_rx, &state, batch_size, sink, progress);
            // Whatever happened, stop the other threads before joining them.
            state.stop.store(true, Ordering::Relaxed);
            let listed = lister.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let delivered = delivered?;
            listed?;
            if state.interrupted() {
                return Err(WalkError::Git(GitError::Interrupted { path: path.to_owned() }));
            }
            Ok(delivered)
        })
    }
}

struct Shared {
    /// Set when the walk ends early (an error or the sink refusing a batch).
    stop: AtomicBool,
    interrupt: Option<Arc<AtomicBool>>,
    /// Commits listed so far, and whether the listing is complete.
    listed: AtomicU64,
    listing_done: AtomicBool,
}

impl Shared {
    fn interrupted(&self) -> bool {
        self.interrupt.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.interrupted()
    }
}

/// The walking thread: lists the commits to read in chunks, numbered in walk
/// order.
fn list(
    repo: &gix::ThreadSafeRepository,
    path: &Path,
    starts: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
    state: &Shared,
    work: mpsc::Sender<(u64, Vec<ObjectId>)>,
) -> Result<(), GitError> {
    let repo = thread_handle(repo);
    // Hidden ids the repository no longer has are dropped: they hide nothing.
    let hidden: Vec<ObjectId> = hidden.into_iter().filter(|id| repo.has_object(id)).collect();
    let walk = repo
        .rev_walk(starts)
        .sorting(Sorting::ByCommitTime(CommitTimeOrder::NewestFirst))
        .with_hidden(hidden)
        .all()
        .map_err(|e| GitError::read(path, "the commit graph", e))?;
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut sequence = 0;
    let mut listed = 0;
    for info in walk {
        if state.should_stop() {
            return Ok(());
        }
        let info = info.map_err(|e| GitError::read(path, "the commit graph", e))?;
        chunk.push(info.id);
        listed += 1;
        if chunk.len() == CHUNK {
            state.listed.store(listed, Ordering::Relaxed);
            if work.send((sequence, std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))).is_err() {
                return Ok(());
            }
            sequence += 1;
        }
    }
    if !chunk.is_empty() {
        // A closed channel means the walk is ending anyway.
        let _ = work.send((sequence, chunk));
    }
    state.listed.store(listed, Ordering::Relaxed);
    state.listing_done.store(true, Ordering::Release);
    Ok(())
}

/// A diff thread: reads the commits of each chunk it takes.
fn read(
    repo: &gix::ThreadSafeRepository,
    path: &Path,
    work: &Mutex<Receiver<(u64, Vec<ObjectId>)>>,
    state: &Shared,
    done: SyncSender<(u64, Result<Vec<GitCommit>, GitError>)>,
) {
    let repo = thread_handle(repo);
    let mut reader = match CommitReader::new(&repo, path) {
        Ok(reader) => Some(reader),
        Err(e) => {
            let _ = done.send((0, Err(e)));
            None
        }
    };
    loop {
        let job = work.lock().map(|rx| rx.recv());
        let Ok(Ok((sequence, ids))) = job else { return };
        if state.should_stop() {
            return;
        }
        let Some(reader) = reader.as_mut() else { return };
        let commits = ids.into_iter().map(|id| reader.read(id)).collect();
        if done.send((sequence, commits)).is_err() {
            return;
        }
    }
}

/// The calling thread: puts chunks back in order, pushes full batches.
fn deliver<S: CommitSink>(
    done: Receiver<(u64, Result<Vec<GitCommit>, GitError>)>,
    state: &Shared,
    batch_size: usize,
    sink: &mut S,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64, WalkError<S::Error>> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    let mut batch = Vec::with_capacity(batch_size);
    let mut delivered = 0u64;
    let total = || state.listing_done.load(Ordering::Acquire).then(|| state.listed.load(Ordering::Relaxed));
    for (sequence, commits) in done {
        let commits = commits?;
        waiting.insert(sequence, commits);
        while let Some(commits) = waiting.remove(&next) {
            next += 1;
            for commit in commits {
                batch.push(commit);
                if batch.len() == batch_size {
                    delivered += batch.len() as u64;
                    sink.push(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))
                        .map_err(WalkError::Sink)?;
                }
            }
            progress(Progress { commits_done: delivered + batch.len() as u64, commits_total: total() });
        }
        if state.should_stop() {
            return Ok(delivered);
        }
    }
    if !batch.is_empty() {
        delivered += batch.len() as u64;
        sink.push(batch).map_err(WalkError::Sink)?;
    }
    progress(Progress { commits_done: delivered, commits_total: total() });
    Ok(delivered)
}
