//! Group commit: every request that stores a raw event hands it to one
//! writer task, which stores whatever has queued up meanwhile in one
//! transaction and then answers each request. A commit is durable when it
//! returns (SQLite's `synchronous=FULL`, PostgreSQL's default), so each
//! request is answered only once its event is on disk — and a burst of
//! deliveries costs one disk flush, not one each (DESIGN §8).

use paved_store::{DynStore, IngestEvent, Ingested, StoreError};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::AppError;

/// The most events one transaction takes.
const MAX_BATCH: usize = 256;
/// How many requests may wait for the writer before senders wait too.
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<Ingested, StoreError>>;

/// A handle on the writer task; cheap to clone.
#[derive(Debug, Clone)]
pub struct Ingestor {
    queue: mpsc::Sender<(IngestEvent, Reply)>,
}

impl Ingestor {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(store: DynStore) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(store, receiver));
        Self { queue }
    }

    /// Stores `event` (in a batch with whatever else is waiting) and returns
    /// what the store did once it is durable.
    ///
    /// # Errors
    /// [`AppError::Store`] when the store refuses this event or fails;
    /// [`AppError::Unavailable`] when the writer is gone.
    pub async fn ingest(&self, event: IngestEvent) -> Result<Ingested, AppError> {
        let stopped = || AppError::Unavailable("the server is shutting down; deliver the event again".into());
        let (reply, answer) = oneshot::channel();
        self.queue.send((event, reply)).await.map_err(|_| stopped())?;
        Ok(answer.await.map_err(|_| stopped())??)
    }
}

/// How long a batch is retried while the database is busy (another
/// process holds SQLite's write lock, e.g. `paved events rebuild`) or
/// unreachable, before its requests get an error.
const RETRY_FOR: Duration = Duration::from_secs(30);

async fn write_batches(store: DynStore, mut receiver: mpsc::Receiver<(IngestEvent, Reply)>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let (events, replies): (Vec<IngestEvent>, Vec<Reply>) = waiting.drain(..).unzip();
        let started = Instant::now();
        match ingest_retrying(&store, &events).await {
            Ok(results) => {
                tracing::debug!(
                    events = events.len(),
                    duration_ms = started.elapsed().as_secs_f64() * 1e3,
                    "stored a batch"
                );
                for (reply, result) in replies.into_iter().zip(results) {
                    // A request that gave up waiting still has its event stored.
                    let _ = reply.send(Ok(result));
                }
            }
            // One event the store refuses must not fail the others: each is
            // stored on its own, so each gets its own answer.
            Err(error) if events.len() > 1 && !error.is_transient() => {
                tracing::warn!(error = %error, events = events.len(), "a batch was refused; storing its events one by one");
                for (event, reply) in events.into_iter().zip(replies) {
                    let result = ingest_retrying(&store, std::slice::from_ref(&event))
                        .await
                        .map(|mut results| results.remove(0));
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                tracing::error!(error = %error, events = events.len(), "events could not be stored; their senders get an error");
                for reply in replies {
                    let _ = reply.send(Err(clone_error(&error)));
                }
            }
        }
    }
}

/// Stores `events`, trying again with growing pauses while the failure is
/// transient, for up to [`RETRY_FOR`].
async fn ingest_retrying(store: &DynStore, events: &[IngestEvent]) -> Result<Vec<Ingested>, StoreError> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        match store.ingest(events).await {
            Err(error) if error.is_transient() && started.elapsed() + pause < RETRY_FOR => {
                tracing::debug!(error = %error, pause_ms = pause.as_millis(), "the database is busy; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            result => return result,
        }
    }
}

/// A store error for one more request: the same message, without its cause
/// (which cannot be cloned).
fn clone_error(error: &StoreError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}
