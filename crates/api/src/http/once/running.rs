//! [`Running`]: the calls under `once` that are still running in this process, each held by a
//! guard that lets go of its key when the call ends, however it ends.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::http::idempotency::IdemKey;

/// Calls of this process that are still running (a second one with the same key waits for
/// nothing: it is told to retry).
#[derive(Debug, Default)]
pub struct Running(Mutex<HashSet<(u64, u128)>>);

pub struct RunningGuard<'a> {
    running: &'a Running,
    id: (u64, u128),
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.running
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl Running {
    pub fn enter(&self, idem: &IdemKey) -> Option<RunningGuard<'_>> {
        let id = (idem.scope, idem.key);
        let fresh = self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
        fresh.then_some(RunningGuard { running: self, id })
    }
}
