//! What the engine tells about its own running, for the API's `/metrics` and `/readyz`: a hook
//! the committer calls after each group commit ([`CommitObserver`], given in
//! `EngineConfig::observer`), and the gauges read when asked ([`Engine::gauges`]): how many
//! messages wait in each writer thread's queue, how far each partition's journal is durable and
//! projected, and how stale the read models may be.
//!
//! It knows no metrics library: the caller records what it is told. What it costs the request
//! path: one relaxed atomic add per queued message (the writer takes its round's count off in
//! one more), and one call of the observer per group commit (not per request).
//!
//! [`Engine::gauges`]: crate::Engine::gauges

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Told after every group commit that wrote something.
pub trait CommitObserver: Send + Sync + fmt::Debug {
    /// `group` was made durable (runs on the committer thread, before the replies are sent:
    /// keep it to a few atomic operations).
    fn committed(&self, group: &CommitGroup);
}

/// One durable transaction of the committer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitGroup {
    /// Sealed partition batches written.
    pub batches: usize,
    /// Journal records in them (one per request applied or refused).
    pub records: usize,
    /// How long the journal's append took: writing the batches and the durable commit (the
    /// store's fsync).
    pub took: Duration,
}

/// The engine's gauges at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gauges {
    /// Messages waiting in each writer thread's queue, by thread.
    pub queues: Vec<u64>,
    /// The last durable batch of each partition.
    pub committed: Vec<u64>,
    /// The read models' progress; `None` when the engine does not project
    /// (`EngineConfig::project` off).
    pub projection: Option<Projection>,
    /// The engine stopped after a failed commit, or is shutting down.
    pub failed: bool,
    /// The names of the engine's threads that are no longer running (none while it runs).
    pub stopped_threads: Vec<String>,
}

/// How far the read models are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection {
    /// The batch of each partition the read models are known to hold (a lower bound: a round
    /// projects at least what was durable when it began).
    pub projected: Vec<u64>,
    /// Zero when every partition is projected up to its last durable batch; else the time
    /// since the start of the last projection round that completed (the read models hold
    /// the journal as of then, at least), or since the engine started when none has.
    pub behind: Duration,
}

impl Projection {
    /// Batches durable but not yet known projected, summed over the partitions.
    pub fn lag_batches(&self, committed: &[u64]) -> u64 {
        committed
            .iter()
            .zip(&self.projected)
            .map(|(c, p)| c.saturating_sub(*p))
            .sum()
    }
}

/// Messages in one writer thread's queue: added before a message is sent (taken back if the
/// send fails), subtracted by the writer when it has taken them. Never below zero when read,
/// because a message is counted before it can be received.
#[derive(Debug, Default)]
pub(crate) struct QueueDepth(AtomicI64);

impl QueueDepth {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sub(&self, n: usize) {
        self.0.fetch_sub(n as i64, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed).max(0) as u64
    }
}
