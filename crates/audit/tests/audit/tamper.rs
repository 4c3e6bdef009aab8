//! Verification names the first bad record for each way an attacker with the files can edit
//! the log: alter a field, delete a record, swap two records' seqs, insert a forged record,
//! drop records from the end, rewrite a record and its hash, or edit a checkpoint.

use audit::{Broken, Hash, VerifyError, Why, verify};
use store::memory::MemoryBackend;

use super::common::{VecLog, auditor, key, record};

/// A log of 12 records with checkpoints at 5 and 10 (key 9).
fn log() -> VecLog {
    let backend = MemoryBackend::new();
    let a = auditor(&backend, 5, Some(key(9)));
    (1..=12).for_each(|i| {
        record(&a, i);
    });
    VecLog::copy_of(&backend)
}

fn broken(mut log: VecLog) -> Broken {
    match verify(&mut log, Some(&key(9).verifying_key())) {
        Err(VerifyError::Broken(b)) => b,
        other => panic!("the tampered log verified: {other:?}"),
    }
}

#[test]
fn an_untouched_log_verifies() {
    let verified = verify(&mut log(), Some(&key(9).verifying_key())).unwrap();
    assert_eq!((verified.records, verified.checkpoints), (12, 2));
    assert_eq!(verified.last_checkpoint, Some(10));
}

#[test]
fn an_altered_field_is_named() {
    for (seq, alter) in [
        (
            4,
            (|r: &mut store::audit::AuditRow| r.actor = "operator:mallory".into()) as fn(&mut _),
        ),
        (7, |r| r.outcome = "failed".into()),
        (1, |r| r.at_us += 1),
        (12, |r| r.detail = r.detail.replace("mobile", "card")),
    ] {
        let mut l = log();
        alter(l.row(seq));
        let b = broken(l);
        assert_eq!(b.seq, seq, "{b}");
        assert!(matches!(b.why, Why::HashMismatch | Why::Malformed(_)), "{b}");
    }
}

#[test]
fn a_deleted_record_is_named() {
    let mut l = log();
    l.rows.retain(|r| r.seq != 6);
    assert_eq!(broken(l).why, Why::Missing { next: 7 });
    let mut first = log();
    first.rows.retain(|r| r.seq != 1);
    assert_eq!(broken(first).seq, 1);
}

#[test]
fn swapped_records_are_named_at_the_first() {
    let mut l = log();
    l.row(3).seq = 0;
    l.row(8).seq = 3;
    l.row(0).seq = 8;
    assert_eq!(broken(l).seq, 3);
    let mut neighbours = log();
    neighbours.row(9).seq = 0;
    neighbours.row(10).seq = 9;
    neighbours.row(0).seq = 10;
    assert_eq!(broken(neighbours).seq, 9);
}

/// A forged record at the end with a made-up hash, and one inserted in the middle by a forger
/// who hashes it correctly and renumbers the records after it.
#[test]
fn a_forged_record_is_named() {
    let mut l = log();
    let mut forged = l.row(12).clone();
    (forged.seq, forged.prev_hash) = (13, forged.hash.clone());
    l.rows.push(forged);
    let b = broken(l);
    assert_eq!((b.seq, b.why), (13, Why::HashMismatch));

    let mut l = log();
    for row in l.rows.iter_mut().filter(|r| r.seq >= 4) {
        row.seq += 1;
    }
    let mut forged = l.row(3).clone();
    forged.seq = 4;
    forged.prev_hash = forged.hash.clone();
    forged.actor = "operator:mallory".into();
    forged.hash = audit::chain::record_hash(&audit::chain::RecordFields {
        seq: 4,
        at_us: forged.at_us,
        actor: &forged.actor,
        action: &forged.action,
        target: &forged.target,
        detail: &forged.detail,
        outcome: &forged.outcome,
        prev_hash: &Hash::from_slice(&forged.prev_hash).unwrap(),
    })
    .0
    .to_vec();
    l.rows.push(forged);
    let b = broken(l);
    assert_eq!(
        (b.seq, b.why),
        (5, Why::PrevHashMismatch),
        "the forged record 4 chains; 5 does not"
    );
}

#[test]
fn records_removed_from_the_end_are_caught_by_a_checkpoint() {
    let mut l = log();
    l.rows.retain(|r| r.seq <= 8);
    assert_eq!(
        broken(l),
        Broken {
            seq: 10,
            why: Why::CheckpointBeyondEnd { last: 8 }
        }
    );
}

/// A forger who rewrites record 2 and rehashes the chain from there is caught by checkpoint 5.
#[test]
fn a_rehashed_chain_is_caught_by_the_signed_checkpoint() {
    let mut l = log();
    let mut prev = Hash::from_slice(&l.row(1).hash).unwrap();
    l.row(2).target = "account:999".into();
    for seq in 2..=12 {
        let row = l.row(seq);
        row.prev_hash = prev.0.to_vec();
        let hash = audit::chain::record_hash(&audit::chain::RecordFields {
            seq,
            at_us: row.at_us,
            actor: &row.actor,
            action: &row.action,
            target: &row.target,
            detail: &row.detail,
            outcome: &row.outcome,
            prev_hash: &prev,
        });
        row.hash = hash.0.to_vec();
        prev = hash;
    }
    assert_eq!(
        broken(l),
        Broken {
            seq: 5,
            why: Why::CheckpointHashMismatch
        }
    );
}

#[test]
fn an_edited_checkpoint_is_named() {
    let mut l = log();
    l.checkpoints[1].signature[10] ^= 1;
    assert_eq!(
        broken(l),
        Broken {
            seq: 10,
            why: Why::BadSignature
        }
    );
    let mut l = log();
    l.checkpoints[0].at_us += 1;
    assert_eq!(
        broken(l),
        Broken {
            seq: 5,
            why: Why::BadSignature
        }
    );
    let mut l = log();
    l.checkpoints[0].hash = vec![0; 32];
    assert_eq!(
        broken(l),
        Broken {
            seq: 5,
            why: Why::CheckpointHashMismatch
        }
    );
}
