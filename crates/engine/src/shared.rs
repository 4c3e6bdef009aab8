//! State the engine's threads share: whether the engine has failed, how far each partition's
//! journal is durable (with a condition variable to wait on it), and how far the projector has
//! brought the read models (for `Engine::gauges`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Shared {
    /// Set when a commit failed or the engine is shutting down: no more work is taken.
    pub failed: AtomicBool,
    committed: Vec<AtomicU64>,
    lock: Mutex<()>,
    changed: Condvar,
    /// Whether this process owns (writes) each partition: all of them in a single-process
    /// engine; in a cluster those it holds a lease on, cleared when the lease is lost or a
    /// commit of the partition is refused as fenced.
    owned: Vec<AtomicBool>,
    /// The lease token each partition's batches are committed under (0: unfenced).
    fences: Vec<AtomicU64>,
    /// The batch of each partition the read models are known to hold.
    projected: Vec<AtomicU64>,
    /// When the last completed projection round began, in microseconds after `started`.
    round_began_us: AtomicU64,
    started: Instant,
}

impl Shared {
    pub fn new(committed: &[u64]) -> Shared {
        Shared {
            failed: AtomicBool::new(false),
            committed: committed.iter().map(|&s| AtomicU64::new(s)).collect(),
            lock: Mutex::new(()),
            changed: Condvar::new(),
            projected: committed.iter().map(|_| AtomicU64::new(0)).collect(),
            owned: committed.iter().map(|_| AtomicBool::new(true)).collect(),
            fences: committed.iter().map(|_| AtomicU64::new(0)).collect(),
            round_began_us: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    pub fn owned(&self, partition: u32) -> bool {
        self.owned
            .get(partition as usize)
            .is_some_and(|o| o.load(Ordering::Acquire))
    }

    /// Takes or gives up `partition` (a cluster's lease came or went).
    pub fn set_owned(&self, partition: u32, owned: bool) {
        self.owned[partition as usize].store(owned, Ordering::Release);
    }

    /// The token `partition` is committed under (0: unfenced).
    pub fn fence(&self, partition: u32) -> u64 {
        self.fences[partition as usize].load(Ordering::Acquire)
    }

    pub fn set_fence(&self, partition: u32, token: u64) {
        self.fences[partition as usize].store(token, Ordering::Release);
    }

    /// Microseconds since the engine started (the projector's round marks).
    pub fn elapsed_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// The read models hold `projected` (by partition), read by a round that began at
    /// `began_us` ([`Shared::elapsed_us`]).
    pub fn set_projected(&self, projected: &[u64], began_us: u64) {
        for (mark, &seq) in self.projected.iter().zip(projected) {
            mark.fetch_max(seq, Ordering::Relaxed);
        }
        self.round_began_us.fetch_max(began_us, Ordering::Relaxed);
    }

    /// The read models' progress (see `observe::Projection`).
    pub fn projection(&self, committed: &[u64]) -> crate::observe::Projection {
        let projected: Vec<u64> = self.projected.iter().map(|p| p.load(Ordering::Relaxed)).collect();
        let caught_up = committed.iter().zip(&projected).all(|(c, p)| p >= c);
        let behind = if caught_up {
            Duration::ZERO
        } else {
            let began = self.round_began_us.load(Ordering::Relaxed);
            Duration::from_micros(self.elapsed_us().saturating_sub(began))
        };
        crate::observe::Projection { projected, behind }
    }

    pub fn committed(&self, partition: u32) -> u64 {
        self.committed[partition as usize].load(Ordering::Acquire)
    }

    /// Every partition's last durable batch.
    pub fn committed_all(&self) -> Vec<u64> {
        self.committed.iter().map(|c| c.load(Ordering::Acquire)).collect()
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
