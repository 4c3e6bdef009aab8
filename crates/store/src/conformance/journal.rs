//! Conformance checks of the journal, snapshots and meta.

use super::batch_bytes;
use crate::{Backend, BatchRef, Journal, Snapshot, StoreError};

fn journal(backend: &dyn Backend) -> Box<dyn Journal> {
    backend
        .journal()
        .unwrap_or_else(|e| panic!("{}: cannot open a journal handle: {e}", backend.describe()))
}

/// Appends one group of owned batches, panicking on failure.
fn append(backend: &dyn Backend, journal: &mut dyn Journal, group: &[(u32, u64, Vec<u8>)]) {
    if let Err(e) = try_append(journal, group) {
        panic!("{}: appending {:?} failed: {e}", backend.describe(), summary(group));
    }
}

fn try_append(journal: &mut dyn Journal, group: &[(u32, u64, Vec<u8>)]) -> Result<(), StoreError> {
    let refs: Vec<BatchRef<'_>> = group
        .iter()
        .map(|(partition, seq, bytes)| BatchRef {
            partition: *partition,
            seq: *seq,
            bytes,
        })
        .collect();
    journal.append(&refs)
}

fn summary(group: &[(u32, u64, Vec<u8>)]) -> Vec<(u32, u64)> {
    group.iter().map(|(p, s, _)| (*p, *s)).collect()
}

fn scan_all(backend: &dyn Backend, journal: &mut dyn Journal, partition: u32, after: u64) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    journal
        .scan(partition, after, &mut |seq, bytes| {
            out.push((seq, bytes.to_vec()));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{}: scan of partition {partition} failed: {e}", backend.describe()));
    out
}

fn last_seq(backend: &dyn Backend, journal: &mut dyn Journal, partition: u32) -> u64 {
    journal
        .last_seq(partition)
        .unwrap_or_else(|e| panic!("{}: last_seq({partition}) failed: {e}", backend.describe()))
}

/// Checks that `partition` holds exactly batches `1..=last` with [`batch_bytes`] contents.
fn assert_partition(backend: &dyn Backend, journal: &mut dyn Journal, partition: u32, last: u64, len: usize) {
    let name = backend.describe();
    let batches = scan_all(backend, journal, partition, 0);
    let seqs: Vec<u64> = batches.iter().map(|(s, _)| *s).collect();
    let expected: Vec<u64> = (1..=last).collect();
    assert_eq!(
        seqs, expected,
        "{name}: partition {partition} should hold batches 1..={last} in order"
    );
    for (seq, bytes) in &batches {
        assert!(
            *bytes == batch_bytes(partition, *seq, len),
            "{name}: batch {seq} of partition {partition} came back changed"
        );
    }
    assert_eq!(
        last_seq(backend, journal, partition),
        last,
        "{name}: last_seq({partition})"
    );
}

/// Groups spanning several partitions come back per partition, in order, from any point.
pub fn append_and_scan(backend: &dyn Backend) {
    let name = backend.describe();
    let mut j = journal(backend);
    let partitions = [100, 101, 102];
    for seq in 1..=5 {
        let group: Vec<_> = partitions.iter().map(|&p| (p, seq, batch_bytes(p, seq, 100))).collect();
        append(backend, j.as_mut(), &group);
    }
    // A group need not name every partition.
    append(backend, j.as_mut(), &[(101, 6, batch_bytes(101, 6, 100))]);
    append(backend, j.as_mut(), &[]);
    for p in partitions {
        assert_partition(backend, j.as_mut(), p, if p == 101 { 6 } else { 5 }, 100);
    }
    let tail: Vec<u64> = scan_all(backend, j.as_mut(), 101, 4).iter().map(|(s, _)| *s).collect();
    assert_eq!(tail, [5, 6], "{name}: scan after 4 should start at 5");
    assert!(
        scan_all(backend, j.as_mut(), 101, 6).is_empty(),
        "{name}: scan after the last batch"
    );
    assert!(
        scan_all(backend, j.as_mut(), 103, 0).is_empty(),
        "{name}: scan of an empty partition"
    );
    // A visitor's error stops the scan and comes back.
    let mut seen = 0;
    let result = j.scan(100, 0, &mut |_, _| {
        seen += 1;
        Err(StoreError::Backend("stop".into()))
    });
    assert!(
        result.is_err() && seen == 1,
        "{name}: a visitor's error must stop the scan"
    );
}

/// A batch that does not follow its partition's last is refused, and then nothing of its
/// group is written, in any partition.
pub fn sequence_gaps_are_refused(backend: &dyn Backend) {
    let name = backend.describe();
    let mut j = journal(backend);
    let b = |p: u32, s: u64| (p, s, batch_bytes(p, s, 32));
    // What the group is, the group, and the (partition, seq, last) its refusal names.
    type Case = (&'static str, Vec<(u32, u64, Vec<u8>)>, (u32, u64, u64));
    let cases: Vec<Case> = vec![
        ("the first batch must be 1", vec![b(200, 2)], (200, 2, 0)),
        ("sequence 0 is never valid", vec![b(200, 0)], (200, 0, 0)),
        (
            "a gap in the last partition of a group",
            vec![b(200, 1), b(201, 1), b(202, 3)],
            (202, 3, 0),
        ),
        (
            "a gap in the first partition of a group",
            vec![b(200, 3), b(201, 1)],
            (200, 3, 0),
        ),
        (
            "the same batch twice in a group",
            vec![b(200, 1), b(200, 1)],
            (200, 1, 1),
        ),
        (
            "a group skipping within a partition",
            vec![b(200, 1), b(200, 3)],
            (200, 3, 1),
        ),
    ];
    for (what, group, (partition, seq, last)) in &cases {
        match try_append(j.as_mut(), group) {
            Err(StoreError::SequenceGap {
                partition: p,
                seq: s,
                last: l,
            }) => assert_eq!(
                (p, s, l),
                (*partition, *seq, *last),
                "{name}: {what}: the error should name the offending batch"
            ),
            other => panic!("{name}: {what}: expected a sequence gap, got {other:?}"),
        }
        for p in [200, 201, 202] {
            assert_eq!(
                last_seq(backend, j.as_mut(), p),
                0,
                "{name}: {what}: nothing may be written"
            );
            assert!(
                scan_all(backend, j.as_mut(), p, 0).is_empty(),
                "{name}: {what}: nothing may be written"
            );
        }
    }
    // Consecutive batches of one partition in one group are fine.
    append(backend, j.as_mut(), &[b(200, 1), b(200, 2), b(201, 1)]);
    match try_append(j.as_mut(), &[b(201, 2), b(200, 2)]) {
        Err(StoreError::SequenceGap {
            partition: 200,
            seq: 2,
            last: 2,
        }) => {}
        other => panic!("{name}: re-appending batch 2 should be a gap after 2, got {other:?}"),
    }
    assert_partition(backend, j.as_mut(), 200, 2, 32);
    assert_partition(backend, j.as_mut(), 201, 1, 32);
}

/// Two handles on one store see each other's appends, and a stale handle is refused.
pub fn handles_share_the_journal(backend: &dyn Backend) {
    let name = backend.describe();
    let mut first = journal(backend);
    let mut second = journal(backend);
    let b = |s: u64| (300, s, batch_bytes(300, s, 48));
    append(backend, first.as_mut(), &[b(1)]);
    append(backend, second.as_mut(), &[b(2)]);
    append(backend, first.as_mut(), &[b(3)]);
    append(backend, second.as_mut(), &[b(4)]);
    for (which, handle) in [("first", &mut first), ("second", &mut second)] {
        match try_append(handle.as_mut(), &[b(4)]) {
            Err(StoreError::SequenceGap { last: 4, .. }) => {}
            other => panic!("{name}: the {which} handle must refuse batch 4 again, got {other:?}"),
        }
    }
    assert_partition(backend, first.as_mut(), 300, 4, 48);
    assert_partition(backend, second.as_mut(), 300, 4, 48);
}

/// `last_seq` and `read_batch` of present and absent batches.
pub fn last_seq_and_read_batch(backend: &dyn Backend) {
    let name = backend.describe();
    let mut j = journal(backend);
    assert_eq!(
        last_seq(backend, j.as_mut(), 400),
        0,
        "{name}: an empty partition's last_seq"
    );
    for seq in 1..=3 {
        append(backend, j.as_mut(), &[(400, seq, batch_bytes(400, seq, 64))]);
    }
    let read = |j: &mut Box<dyn Journal>, p, s| {
        j.read_batch(p, s)
            .unwrap_or_else(|e| panic!("{name}: read_batch({p}, {s}) failed: {e}"))
    };
    assert_eq!(
        read(&mut j, 400, 2),
        Some(batch_bytes(400, 2, 64)),
        "{name}: read_batch(400, 2)"
    );
    for (p, s) in [(400, 0), (400, 4), (401, 1)] {
        assert_eq!(
            read(&mut j, p, s),
            None,
            "{name}: read_batch({p}, {s}) should be absent"
        );
    }
    assert_eq!(
        last_seq(backend, j.as_mut(), 400),
        3,
        "{name}: last_seq after three appends"
    );
}

/// The newest snapshot (by sequence) is the one loaded; partitions are separate; saving a
/// sequence again replaces it.
pub fn snapshots_keep_the_newest(backend: &dyn Backend) {
    let name = backend.describe();
    let mut j = journal(backend);
    let snap = |partition, seq, fill: u8| Snapshot {
        partition,
        seq,
        bytes: vec![fill; 256],
    };
    let load = |j: &mut Box<dyn Journal>, p| {
        j.load_snapshot(p)
            .unwrap_or_else(|e| panic!("{name}: load_snapshot({p}) failed: {e}"))
    };
    assert_eq!(load(&mut j, 500), None, "{name}: no snapshot yet");
    for s in [snap(500, 5, 1), snap(500, 9, 2), snap(500, 7, 3), snap(501, 1, 4)] {
        j.save_snapshot(&s)
            .unwrap_or_else(|e| panic!("{name}: save_snapshot failed: {e}"));
    }
    assert_eq!(load(&mut j, 500), Some(snap(500, 9, 2)), "{name}: the newest snapshot");
    assert_eq!(
        load(&mut j, 501),
        Some(snap(501, 1, 4)),
        "{name}: another partition's snapshot"
    );
    j.save_snapshot(&snap(500, 9, 5))
        .unwrap_or_else(|e| panic!("{name}: save_snapshot failed: {e}"));
    assert_eq!(
        load(&mut j, 500),
        Some(snap(500, 9, 5)),
        "{name}: a snapshot saved again replaces it"
    );
    let mut other = journal(backend);
    assert_eq!(
        load(&mut other, 500),
        Some(snap(500, 9, 5)),
        "{name}: another handle sees it"
    );
}

/// Meta values round-trip, are replaced by a later set, and are independent per key.
pub fn meta_round_trips(backend: &dyn Backend) {
    let name = backend.describe();
    let mut j = journal(backend);
    let get = |j: &mut Box<dyn Journal>, key: &str| {
        j.meta(key)
            .unwrap_or_else(|e| panic!("{name}: meta({key}) failed: {e}"))
    };
    let set = |j: &mut Box<dyn Journal>, key: &str, value: &str| {
        j.set_meta(key, value)
            .unwrap_or_else(|e| panic!("{name}: set_meta({key}) failed: {e}"));
    };
    assert_eq!(get(&mut j, "conformance.partitions"), None, "{name}: an unset key");
    set(&mut j, "conformance.partitions", "64");
    set(&mut j, "conformance.zone", "Asia/Shanghai");
    set(&mut j, "conformance.zone", "UTC");
    let mut other = journal(backend);
    assert_eq!(
        get(&mut other, "conformance.partitions").as_deref(),
        Some("64"),
        "{name}: meta"
    );
    assert_eq!(
        get(&mut other, "conformance.zone").as_deref(),
        Some("UTC"),
        "{name}: meta set twice"
    );
    set(&mut j, "conformance.zz", "after");
    set(&mut j, "conformancf", "beside");
    let listed = other
        .meta_with_prefix("conformance.")
        .unwrap_or_else(|e| panic!("{name}: meta_with_prefix failed: {e}"));
    let keys: Vec<&str> = listed.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["conformance.partitions", "conformance.zone", "conformance.zz"],
        "{name}: meta by prefix"
    );
    j.delete_meta("conformance.zz")
        .unwrap_or_else(|e| panic!("{name}: delete_meta failed: {e}"));
    j.delete_meta("conformance.never-set")
        .unwrap_or_else(|e| panic!("{name}: delete_meta of an absent key failed: {e}"));
    assert_eq!(get(&mut other, "conformance.zz"), None, "{name}: meta deleted");
}

/// Batches and snapshots of several megabytes.
pub fn large_blobs(backend: &dyn Backend) {
    let name = backend.describe();
    let mut j = journal(backend);
    let sizes = [6 << 20, 1, 3 << 20];
    for (i, len) in sizes.iter().enumerate() {
        let seq = i as u64 + 1;
        append(backend, j.as_mut(), &[(600, seq, batch_bytes(600, seq, *len))]);
    }
    let batches = scan_all(backend, j.as_mut(), 600, 0);
    assert_eq!(batches.len(), sizes.len(), "{name}: large batches");
    for ((seq, bytes), len) in batches.iter().zip(sizes) {
        assert!(
            *bytes == batch_bytes(600, *seq, len),
            "{name}: large batch {seq} came back changed"
        );
    }
    let snapshot = Snapshot {
        partition: 600,
        seq: 3,
        bytes: batch_bytes(600, 99, 5 << 20),
    };
    j.save_snapshot(&snapshot)
        .unwrap_or_else(|e| panic!("{name}: saving a large snapshot failed: {e}"));
    let loaded = j
        .load_snapshot(600)
        .unwrap_or_else(|e| panic!("{name}: loading a large snapshot failed: {e}"));
    assert!(loaded == Some(snapshot), "{name}: a large snapshot came back changed");
}

/// Ten thousand small batches over four partitions, in large and single-batch groups.
pub fn many_small_batches(backend: &dyn Backend) {
    let mut j = journal(backend);
    let partitions = [700, 701, 702, 703];
    let per_group = 50;
    let groups = 49;
    let mut next = 1;
    for _ in 0..groups {
        let mut group = Vec::new();
        for p in partitions {
            for seq in next..next + per_group {
                group.push((p, seq, batch_bytes(p, seq, 16 + (seq % 200) as usize)));
            }
        }
        append(backend, j.as_mut(), &group);
        next += per_group;
    }
    for _ in 0..per_group {
        let group: Vec<_> = partitions
            .iter()
            .map(|&p| (p, next, batch_bytes(p, next, 16 + (next % 200) as usize)))
            .collect();
        append(backend, j.as_mut(), &group);
        next += 1;
    }
    let name = backend.describe();
    for p in partitions {
        let batches = scan_all(backend, j.as_mut(), p, 0);
        assert_eq!(batches.len() as u64, next - 1, "{name}: partition {p} batch count");
        for (i, (seq, bytes)) in batches.iter().enumerate() {
            assert_eq!(*seq, i as u64 + 1, "{name}: partition {p} order");
            assert!(
                *bytes == batch_bytes(p, *seq, 16 + (*seq % 200) as usize),
                "{name}: batch {seq} of partition {p} came back changed"
            );
        }
    }
}
