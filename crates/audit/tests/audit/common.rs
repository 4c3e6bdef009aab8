//! Helpers: a fixed clock, keys, an auditor on a backend, a log of records, and [`VecLog`]: an
//! [`AuditLog`] whose rows a test can edit as an attacker with the files would.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use audit::{Action, Actor, AuditConfig, Auditor, CheckpointKey, Detail, Outcome, Target};
use jiff::Timestamp;
use store::audit::{AuditCheckpointRow, AuditRow};
use store::{AuditLog, Backend, StoreError};

/// 2026-03-01T02:00:00Z in microseconds.
pub const T0_US: i64 = 1_772_330_400_000_000;

/// A clock that ticks one microsecond (and 500 ns more) per reading.
pub fn ticking_clock() -> Arc<dyn audit::AuditClock> {
    let next = Arc::new(AtomicI64::new(T0_US * 1_000));
    Arc::new(move || {
        let ns = next.fetch_add(1_500, Ordering::Relaxed) + 1_500;
        Timestamp::from_nanosecond(i128::from(ns)).unwrap()
    })
}

pub fn key(byte: u8) -> CheckpointKey {
    CheckpointKey::from_bytes(&[byte; 32])
}

pub fn auditor(backend: &dyn Backend, every: u64, key: Option<CheckpointKey>) -> Auditor {
    Auditor::open(
        backend,
        AuditConfig {
            checkpoint_every: every,
        },
        key,
        ticking_clock(),
    )
    .unwrap()
}

/// Record `i` of a test: an operator revealing a masked mobile, denied every third time.
pub fn record(auditor: &Auditor, i: u64) -> u64 {
    let detail = Detail::new()
        .with("field", "mobile")
        .unwrap()
        .with("value", "139****1234")
        .unwrap();
    let outcome = if i.is_multiple_of(3) {
        Outcome::Denied
    } else {
        Outcome::Ok
    };
    auditor
        .record(
            &Actor::operator(&format!("op{}", i % 4)).unwrap(),
            &Action::new("pii.reveal").unwrap(),
            &Target::account(100 + i),
            &detail,
            outcome,
        )
        .unwrap()
}

/// An audit log in a plain vector that a test may tamper with.
#[derive(Debug, Default, Clone)]
pub struct VecLog {
    pub rows: Vec<AuditRow>,
    pub checkpoints: Vec<AuditCheckpointRow>,
}

impl VecLog {
    /// Copies every row and checkpoint of `backend`.
    pub fn copy_of(backend: &dyn Backend) -> VecLog {
        let mut log = backend.audit().unwrap();
        VecLog {
            rows: log.scan(0, usize::MAX).unwrap(),
            checkpoints: log.checkpoints(0, usize::MAX).unwrap(),
        }
    }

    pub fn row(&mut self, seq: u64) -> &mut AuditRow {
        self.rows.iter_mut().find(|r| r.seq == seq).unwrap()
    }
}

impl AuditLog for VecLog {
    fn append(&mut self, row: &AuditRow) -> Result<u64, StoreError> {
        self.rows.push(row.clone());
        Ok(row.seq)
    }

    /// Like a backend: ordered by seq.
    fn scan(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let mut rows: Vec<AuditRow> = self.rows.iter().filter(|r| r.seq > after).cloned().collect();
        rows.sort_by_key(|r| r.seq);
        rows.truncate(limit);
        Ok(rows)
    }

    fn last(&mut self) -> Result<Option<AuditRow>, StoreError> {
        Ok(self.rows.iter().max_by_key(|r| r.seq).cloned())
    }

    fn add_checkpoint(&mut self, cp: &AuditCheckpointRow) -> Result<(), StoreError> {
        self.checkpoints.push(cp.clone());
        Ok(())
    }

    fn checkpoints(&mut self, after: u64, limit: usize) -> Result<Vec<AuditCheckpointRow>, StoreError> {
        let mut cps: Vec<_> = self.checkpoints.iter().filter(|c| c.seq > after).cloned().collect();
        cps.sort_by_key(|c| c.seq);
        cps.truncate(limit);
        Ok(cps)
    }

    fn last_checkpoint(&mut self) -> Result<Option<AuditCheckpointRow>, StoreError> {
        Ok(self.checkpoints.iter().max_by_key(|c| c.seq).cloned())
    }
}
