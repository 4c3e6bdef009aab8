//! Taking a feature snapshot while the engine runs (see `feature_snapshot` for what it holds).
//!
//! Shared feature state is written by every writer thread, so a consistent cut needs every
//! writer to stop observing at a batch boundary while the shared state is copied:
//! 1. the cutter sends [`Msg::FeatureCut`] to one partition of each writer thread;
//! 2. that thread seals each of its partitions' open batch (so everything it observed has a
//!    sequence), asks each for a partition snapshot (credit state, so replay is bounded too),
//!    copies each partition's own feature state, hands them to the [`Cut`] and parks;
//! 3. once every writer has parked, the cutter copies the shared shards and the link graph and
//!    releases the writers (the pause is those copies, see BENCHMARKS.md);
//! 4. it waits until the journal is durable up to every partition's sequence, then saves.
//!
//! A writer that does not park within [`PARK_TIMEOUT`] (stopping, or stuck on a commit) makes
//! the cut give up: everyone is released, nothing is saved, the previous snapshot stays.
//! The schedule ([`Schedule`]) bounds what start-up replays: a cut after
//! `feature_snapshot_every_batches` committed batches (all partitions together) or
//! `feature_snapshot_every_secs`, whichever comes first (0 turns either off).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::TrySendError;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use store::Backend;

use crate::cluster::Inboxes;
use crate::cut::{Cut, PARK_TIMEOUT};
use crate::error::EngineError;
use crate::feature_snapshot::{self, FeatureSnapshot};
use crate::risk::RiskShared;
use crate::shared::Shared;
use crate::worker::Msg;

/// What taking a cut needs.
pub(crate) struct Cutter {
    pub inboxes: Inboxes,
    pub risk: Arc<RiskShared>,
    pub shared: Arc<Shared>,
    pub backend: Arc<dyn Backend>,
    pub partitions: u32,
    pub writers: u32,
    /// One cut at a time (the schedule and `Engine::snapshot_features`).
    pub busy: Mutex<()>,
}

impl Cutter {
    /// Takes a cut and saves it; `Ok(None)` if the writers did not all park (nothing saved).
    pub(crate) fn cut(&self) -> Result<Option<FeatureSnapshot>, EngineError> {
        let _one = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(snapshot) = self.capture() else {
            return Ok(None);
        };
        let mut journal = self.backend.journal()?;
        let size = feature_snapshot::save(journal.as_mut(), &snapshot)?;
        tracing::info!(seq = snapshot.seq(), size, "feature snapshot saved");
        Ok(Some(snapshot))
    }

    /// A cut, once the journal is durable up to it (not saved); none if it could not be taken.
    pub(crate) fn capture(&self) -> Option<FeatureSnapshot> {
        let cut = Arc::new(Cut::default());
        let writers = self.writers.min(self.partitions) as usize;
        let mut sent = 0;
        for partition in 0..writers as u32 {
            if self.send(partition, &cut) {
                sent += 1;
            }
        }
        let parked = (sent == writers).then(|| cut.wait_parked(writers)).flatten();
        let Some(mut partitions) = parked else {
            cut.release();
            tracing::warn!("feature cut: a writer did not park; nothing saved");
            return None;
        };
        let shared = self.risk.features_snapshot();
        cut.release();
        partitions.sort_by_key(|p| p.partition);
        if partitions.len() != self.partitions as usize {
            return None;
        }
        for p in &partitions {
            if !self.shared.wait_committed(p.partition, p.seq) {
                return None;
            }
        }
        Some(FeatureSnapshot { partitions, shared })
    }

    /// The features as they stand, in canonical bytes (see [`crate::FeatureState`]).
    pub(crate) fn state(&self) -> Result<Option<crate::FeatureState>, EngineError> {
        let _one = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(snapshot) = self.capture() else {
            return Ok(None);
        };
        let corrupt = |e: postcard::Error| EngineError::Corrupt(format!("feature state: {e}"));
        let partitions = snapshot
            .partitions
            .iter()
            .map(postcard::to_stdvec)
            .collect::<Result<Vec<_>, _>>()
            .map_err(corrupt)?;
        let shared = postcard::to_stdvec(&snapshot.shared).map_err(corrupt)?;
        Ok(Some(crate::FeatureState { partitions, shared }))
    }

    /// Hands the cut to `partition`'s writer thread, retrying a full queue until the timeout.
    fn send(&self, partition: u32, cut: &Arc<Cut>) -> bool {
        let Some(inbox) = self
            .inboxes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(partition as usize)
            .cloned()
            .flatten()
        else {
            return false;
        };
        let deadline = Instant::now() + PARK_TIMEOUT;
        let mut msg = Msg::FeatureCut(cut.clone());
        loop {
            match inbox.try_send(msg) {
                Ok(()) => return true,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    msg = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TrySendError::Full(_)) => return false,
            }
        }
    }
}

/// When the scheduled cuts come (see the module docs).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Schedule {
    pub every_batches: u64,
    pub every: Option<Duration>,
}

/// The scheduled cuts, until `stop`.
pub(crate) fn run(cutter: &Cutter, schedule: Schedule, stop: Arc<AtomicBool>) {
    let batches = |shared: &Shared| shared.committed_all().iter().sum::<u64>();
    let mut last_batches = batches(&cutter.shared);
    let mut last_at = Instant::now();
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(200));
        let now = batches(&cutter.shared);
        let by_batches = schedule.every_batches > 0 && now.saturating_sub(last_batches) >= schedule.every_batches;
        let by_time = schedule.every.is_some_and(|every| last_at.elapsed() >= every) && now > last_batches;
        if !(by_batches || by_time) {
            continue;
        }
        if let Err(error) = cutter.cut() {
            tracing::warn!(%error, "feature snapshot not saved");
        }
        last_batches = now;
        last_at = Instant::now();
    }
}
