//! The memory backend's own promises: clones share one store (an engine restarted on a clone
//! finds its journal), projection counts honour watermarks, and SQL is refused as unsupported.

use store::memory::{MemoryBackend, ProjectedCounts};
use store::{Backend, BatchRef, Projection, StoreError};

use super::workload::Workload;

#[test]
fn clones_share_one_store() {
    let backend = MemoryBackend::new();
    let restarted = backend.clone();
    backend
        .journal()
        .unwrap()
        .append(&[BatchRef {
            partition: 0,
            seq: 1,
            bytes: b"one",
        }])
        .unwrap();
    backend.journal().unwrap().set_meta("partitions", "8").unwrap();
    drop(backend);
    let mut journal = restarted.journal().unwrap();
    assert_eq!(journal.read_batch(0, 1).unwrap().as_deref(), Some(&b"one"[..]));
    assert_eq!(journal.meta("partitions").unwrap().as_deref(), Some("8"));
}

#[test]
fn projection_counts_honour_watermarks() {
    let backend = MemoryBackend::new();
    let mut rm = backend.read_models().unwrap();
    let mut w = Workload::new(0, 3);
    let batches: Vec<_> = (0..3).map(|_| w.random_batch(40)).collect();
    let projections: Vec<Projection<'_>> = batches.iter().map(|b| b.projection(0)).collect();
    rm.project_many(&projections[..2]).unwrap();
    rm.project_many(&projections).unwrap();
    rm.project(&projections[0]).unwrap();
    let expected = ProjectedCounts {
        batches: 3,
        events: batches.iter().map(|b| b.events.len() as u64).sum(),
        account_rows: batches.iter().map(|b| b.accounts.len() as u64).sum(),
    };
    assert_eq!(backend.projected().unwrap(), expected);
    assert_eq!(rm.watermark(0).unwrap(), 3);
}

#[test]
fn sql_is_unsupported_and_writes_are_refused() {
    let mut rm = MemoryBackend::new().read_models().unwrap();
    assert!(matches!(rm.query("SELECT 1", 10), Err(StoreError::Unsupported { .. })));
    assert!(matches!(
        rm.query("DELETE FROM events", 10),
        Err(StoreError::NotReadOnly)
    ));
}
