//! Conformance checks of the [`AuditLog`]: appends without gaps, scans in order and in pages,
//! rows returned byte for byte, handles sharing one log, checkpoints in order.

use crate::audit::{AuditCheckpointRow, AuditLog, AuditRow};
use crate::{Backend, StoreError};

fn audit(backend: &dyn Backend) -> Box<dyn AuditLog> {
    backend
        .audit()
        .unwrap_or_else(|e| panic!("{}: cannot open an audit handle: {e}", backend.describe()))
}

/// Record `seq` with contents that differ from every other record's (text the chain would
/// hash, not a real chain: the store does not check hashes).
pub fn audit_row(seq: u64) -> AuditRow {
    let byte = |salt: u64| (seq.wrapping_mul(31).wrapping_add(salt) % 251) as u8;
    AuditRow {
        seq,
        at_us: 1_767_225_600_000_000 + seq as i64 * 1_000_001,
        actor: if seq.is_multiple_of(3) {
            "system".into()
        } else {
            format!("operator:op-{seq}")
        },
        action: "limit.raise".into(),
        target: format!("account:{}", 1000 + seq),
        detail: format!("{{\"from\":\"{seq}00\",\"note\":\"审计 ✓\"}}"),
        outcome: ["ok", "denied", "failed"][(seq % 3) as usize].into(),
        prev_hash: vec![byte(1); 32],
        hash: vec![byte(2); 32],
    }
}

fn checkpoint_row(seq: u64) -> AuditCheckpointRow {
    AuditCheckpointRow {
        seq,
        hash: vec![seq as u8; 32],
        at_us: 1_767_225_600_000_000 + seq as i64,
        signature: vec![(seq as u8) ^ 0x5a; 64],
    }
}

fn append_all(name: &str, log: &mut dyn AuditLog, seqs: std::ops::RangeInclusive<u64>) {
    for seq in seqs {
        let got = log
            .append(&audit_row(seq))
            .unwrap_or_else(|e| panic!("{name}: appending audit record {seq} failed: {e}"));
        assert_eq!(got, seq, "{name}: append returns the record's seq");
    }
}

/// The log's last seq before a check: each check appends after whatever earlier checks left,
/// so [`super::run_all`] can run them all on one backend.
fn base(name: &str, log: &mut dyn AuditLog) -> u64 {
    let last = log.last().unwrap_or_else(|e| panic!("{name}: last audit record: {e}"));
    let scanned = log
        .scan(0, usize::MAX)
        .unwrap_or_else(|e| panic!("{name}: audit scan: {e}"));
    assert_eq!(
        last.as_ref(),
        scanned.last(),
        "{name}: last() is the scan's last record"
    );
    last.map_or(0, |r| r.seq)
}

/// Appended records come back in order, exactly as written, from any `after` and with any
/// `limit`; `last` is the newest.
pub fn audit_append_and_scan(backend: &dyn Backend) {
    let name = backend.describe();
    let mut log = audit(backend);
    let b = base(&name, log.as_mut());
    assert!(
        log.scan(b, 10).unwrap().is_empty(),
        "{name}: nothing after the last record"
    );
    append_all(&name, log.as_mut(), b + 1..=b + 5);
    let all = log.scan(b, 100).unwrap();
    let expected: Vec<AuditRow> = (b + 1..=b + 5).map(audit_row).collect();
    assert_eq!(all, expected, "{name}: rows come back byte for byte, in seq order");
    let page: Vec<u64> = log.scan(b + 2, 2).unwrap().iter().map(|r| r.seq).collect();
    assert_eq!(page, [b + 3, b + 4], "{name}: scan(after 2, limit 2)");
    assert!(
        log.scan(b + 5, 10).unwrap().is_empty(),
        "{name}: nothing after the last"
    );
    assert_eq!(
        log.last().unwrap(),
        Some(audit_row(b + 5)),
        "{name}: last is the newest"
    );
}

/// A record that does not follow the last one is refused with `AuditSequence`, and nothing of
/// it is written.
pub fn audit_sequence_gaps_are_refused(backend: &dyn Backend) {
    let name = backend.describe();
    let mut log = audit(backend);
    let b = base(&name, log.as_mut());
    let refused = |log: &mut dyn AuditLog, seq: u64, last: u64| match log.append(&audit_row(seq)) {
        Err(StoreError::AuditSequence { seq: s, last: l }) => assert_eq!((s, l), (seq, last), "{name}"),
        other => panic!("{name}: record {seq} after {last} should be refused, got {other:?}"),
    };
    refused(log.as_mut(), b + 2, b);
    refused(log.as_mut(), 0, b);
    append_all(&name, log.as_mut(), b + 1..=b + 2);
    refused(log.as_mut(), b + 2, b + 2);
    refused(log.as_mut(), b + 1, b + 2);
    refused(log.as_mut(), b + 4, b + 2);
    let seqs: Vec<u64> = log.scan(b, 10).unwrap().iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [b + 1, b + 2], "{name}: refused appends wrote nothing");
}

/// Handles opened separately share one log: what one appends, the other reads and follows.
pub fn audit_handles_share_the_log(backend: &dyn Backend) {
    let name = backend.describe();
    let (mut a, mut b_log) = (audit(backend), audit(backend));
    let b = base(&name, a.as_mut());
    append_all(&name, a.as_mut(), b + 1..=b + 3);
    assert_eq!(
        b_log.last().unwrap().map(|r| r.seq),
        Some(b + 3),
        "{name}: b sees a's records"
    );
    append_all(&name, b_log.as_mut(), b + 4..=b + 4);
    match a.append(&audit_row(b + 4)) {
        Err(StoreError::AuditSequence { seq, last }) => assert_eq!((seq, last), (b + 4, b + 4), "{name}"),
        other => panic!("{name}: a cannot write record {} again after b did: {other:?}", b + 4),
    }
    assert_eq!(a.scan(b, 10).unwrap().len(), 4, "{name}");
}

/// Checkpoints come back in order; one at or below the last checkpoint is refused.
pub fn audit_checkpoints_in_order(backend: &dyn Backend) {
    let name = backend.describe();
    let mut log = audit(backend);
    let b = base(&name, log.as_mut());
    append_all(&name, log.as_mut(), b + 1..=b + 6);
    let (three, six) = (checkpoint_row(b + 3), checkpoint_row(b + 6));
    for cp in [&three, &six] {
        log.add_checkpoint(cp)
            .unwrap_or_else(|e| panic!("{name}: checkpoint {}: {e}", cp.seq));
    }
    for seq in [b + 6, b + 5] {
        match log.add_checkpoint(&checkpoint_row(seq)) {
            Err(StoreError::AuditSequence { last, .. }) => assert_eq!(last, b + 6, "{name}"),
            other => panic!("{name}: checkpoint {seq} after {} should be refused: {other:?}", b + 6),
        }
    }
    assert_eq!(
        log.checkpoints(b, 10).unwrap(),
        [three.clone(), six.clone()],
        "{name}: checkpoints byte for byte, in order"
    );
    assert_eq!(
        log.checkpoints(b + 3, 10).unwrap(),
        std::slice::from_ref(&six),
        "{name}: after 3"
    );
    assert_eq!(log.checkpoints(b, 1).unwrap(), [three], "{name}: limit 1");
    assert_eq!(log.last_checkpoint().unwrap(), Some(six), "{name}");
}

/// Thousands of records read back in pages, every one present once.
pub fn audit_many_records_in_pages(backend: &dyn Backend) {
    let name = backend.describe();
    let mut log = audit(backend);
    let b = base(&name, log.as_mut());
    append_all(&name, log.as_mut(), b + 1..=b + 2_500);
    let (mut after, mut seen) = (b, b);
    loop {
        let page = log.scan(after, 1_000).unwrap();
        let Some(last) = page.last() else { break };
        for row in &page {
            seen += 1;
            assert_eq!(row, &audit_row(seen), "{name}: record {seen}");
        }
        after = last.seq;
    }
    assert_eq!(seen, b + 2_500, "{name}: every record once");
}
