//! [`Cut`]: the meeting point of one feature cut (`feature_cut`): the writer threads hand in
//! their partitions' features and park; the cutter waits for all of them, copies the shared
//! state and releases them. Below both the writer and the cutter, so neither imports the other.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::feature_snapshot::PartitionFeatures;

/// How long the cutter waits for every writer to park (and a writer for its release).
pub(crate) const PARK_TIMEOUT: Duration = Duration::from_secs(10);

/// One cut under way: what the writers handed in, and the release.
#[derive(Debug, Default)]
pub(crate) struct Cut {
    state: Mutex<CutState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct CutState {
    parked: usize,
    released: bool,
    partitions: Vec<PartitionFeatures>,
}

impl Cut {
    fn lock(&self) -> std::sync::MutexGuard<'_, CutState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A writer thread's part, once it has sealed, snapshotted and copied its partitions'
    /// features (`worker::join_cut`): hands them in and parks until released.
    pub(crate) fn park(&self, features: Vec<PartitionFeatures>) {
        let mut state = self.lock();
        state.partitions.extend(features);
        state.parked += 1;
        self.changed.notify_all();
        let deadline = Instant::now() + PARK_TIMEOUT;
        while !state.released {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!("feature cut: not released in time, going on");
                return;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits until `writers` have parked; their partitions' features, or none on timeout.
    pub(crate) fn wait_parked(&self, writers: usize) -> Option<Vec<PartitionFeatures>> {
        let deadline = Instant::now() + PARK_TIMEOUT;
        let mut state = self.lock();
        while state.parked < writers {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Some(std::mem::take(&mut state.partitions))
    }

    pub(crate) fn release(&self) {
        self.lock().released = true;
        self.changed.notify_all();
    }
}
