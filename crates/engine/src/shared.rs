//! State the engine's threads share: whether the engine has failed, and how far each
//! partition's journal is durable (with a condition variable to wait on it).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

#[derive(Debug)]
pub(crate) struct Shared {
    /// Set when a commit failed or the engine is shutting down: no more work is taken.
    pub failed: AtomicBool,
    committed: Vec<AtomicU64>,
    lock: Mutex<()>,
    changed: Condvar,
}

impl Shared {
    pub fn new(committed: &[u64]) -> Shared {
        Shared {
            failed: AtomicBool::new(false),
            committed: committed.iter().map(|&s| AtomicU64::new(s)).collect(),
            lock: Mutex::new(()),
            changed: Condvar::new(),
        }
    }

    pub fn committed(&self, partition: u32) -> u64 {
        self.committed[partition as usize].load(Ordering::Acquire)
    }

    pub fn set_committed(&self, partition: u32, seq: u64) {
        self.committed[partition as usize].store(seq, Ordering::Release);
    }

    /// Wakes every waiter (after a commit group, or on failure).
    pub fn notify(&self) {
        let _guard = self.lock.lock().expect("shared lock");
        self.changed.notify_all();
    }

    /// Waits until `partition` is durable up to `seq`; false if the engine failed first.
    pub fn wait_committed(&self, partition: u32, seq: u64) -> bool {
        let mut guard = self.lock.lock().expect("shared lock");
        loop {
            if self.committed(partition) >= seq {
                return true;
            }
            if self.failed.load(Ordering::Acquire) {
                return false;
            }
            guard = self
                .changed
                .wait_timeout(guard, Duration::from_millis(100))
                .expect("shared lock")
                .0;
        }
    }
}
