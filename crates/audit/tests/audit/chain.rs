//! The auditor writes a chain whose hashes match the documented encoding (checked against
//! hashes computed outside Rust), continues it across restarts and concurrent writers, and
//! signs checkpoints every N records and on demand.

use std::sync::Arc;

use audit::{Action, Actor, AuditError, Detail, FieldError, Hash, Outcome, Target, Why, verify};
use store::Backend;
use store::memory::MemoryBackend;
use store::sqlite::SqliteBackend;

use super::common::{T0_US, auditor, key, record};

/// Two records through the auditor, their hashes computed independently by Python's hashlib
/// from the encoding in `audit::chain`'s docs:
/// `sha256(lp("iou-audit-record-v1") + be64(seq) + be64(at_us) + lp(actor) + lp(action) +
/// lp(target) + lp(detail) + lp(outcome) + prev_hash)`.
#[test]
fn hashes_match_an_independent_implementation_of_the_encoding() {
    let backend = MemoryBackend::new();
    let a = auditor(&backend, 0, None);
    let detail = Detail::new()
        .with("value", "139****1234")
        .unwrap()
        .with("field", "mobile")
        .unwrap();
    let alice = Actor::operator("alice").unwrap();
    let reveal = Action::new("pii.reveal").unwrap();
    assert_eq!(
        a.record(&alice, &reveal, &Target::account(7), &detail, Outcome::Ok)
            .unwrap(),
        1
    );
    let deploy = Action::new("rules.deploy").unwrap();
    let seq = a
        .record(
            &Actor::System,
            &deploy,
            &Target::none(),
            &Detail::new(),
            Outcome::Failed,
        )
        .unwrap();
    assert_eq!(seq, 2);
    let rows = backend.audit().unwrap().scan(0, 10).unwrap();
    assert_eq!(rows[0].at_us, T0_US + 1, "microseconds, truncated");
    assert_eq!(
        rows[0].detail, r#"{"field":"mobile","value":"139****1234"}"#,
        "keys sorted"
    );
    assert_eq!(rows[0].prev_hash, [0; 32]);
    assert_eq!(
        hex::encode(&rows[0].hash),
        "b29bfb98de7c1f35e15f9dc1ac7413867204c9b86f87afbc2ed1ef9edd42c277"
    );
    assert_eq!(rows[1].prev_hash, rows[0].hash);
    assert_eq!(
        hex::encode(&rows[1].hash),
        "753ff87d476d58b9b93bf347057a6356f8a3703d245197efb32caa71055a24a5"
    );
    let verified = verify(backend.audit().unwrap().as_mut(), None).unwrap();
    assert_eq!(verified.records, 2);
    assert_eq!(verified.last_hash.map(|h| h.to_hex()), Some(hex::encode(&rows[1].hash)));
}

/// A reopened auditor chains onto the stored tail, and knows the last checkpoint.
#[test]
fn a_reopened_auditor_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(dir.path()).unwrap();
    let first = auditor(&backend, 3, Some(key(1)));
    (1..=4).for_each(|i| assert_eq!(record(&first, i), i));
    drop(first);
    let second = auditor(&SqliteBackend::open(dir.path()).unwrap(), 3, Some(key(1)));
    (5..=6).for_each(|i| assert_eq!(record(&second, i), i));
    let mut log = backend.audit().unwrap();
    let seqs: Vec<u64> = log.checkpoints(0, 10).unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [3, 6], "the reopened auditor counted from checkpoint 3");
    let verified = verify(log.as_mut(), Some(&key(1).verifying_key())).unwrap();
    assert_eq!((verified.records, verified.checkpoints), (6, 2));
}

/// Checkpoints every N records and on demand; each verifies with its key and fails with
/// another; without a key the chain is still checked.
#[test]
fn checkpoints_are_signed_every_n_records_and_on_demand() {
    let backend = MemoryBackend::new();
    let a = auditor(&backend, 3, Some(key(7)));
    assert_eq!(a.checkpoint().unwrap(), None, "nothing to checkpoint in an empty log");
    (1..=7).for_each(|i| {
        record(&a, i);
    });
    let on_demand = a.checkpoint().unwrap().expect("record 7 has no checkpoint yet");
    assert_eq!(on_demand.seq, 7);
    assert_eq!(a.checkpoint().unwrap(), None, "record 7 already has one");
    let mut log = backend.audit().unwrap();
    let seqs: Vec<u64> = log.checkpoints(0, 10).unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [3, 6, 7]);
    let good = a.verifying_key().unwrap();
    let verified = verify(log.as_mut(), Some(&good)).unwrap();
    assert_eq!(
        (
            verified.records,
            verified.checkpoints,
            verified.signatures_checked,
            verified.last_checkpoint
        ),
        (7, 3, true, Some(7))
    );
    let unsigned = verify(log.as_mut(), None).unwrap();
    assert!(!unsigned.signatures_checked);
    let wrong = verify(log.as_mut(), Some(&key(8).verifying_key())).unwrap_err();
    match wrong {
        audit::VerifyError::Broken(b) => assert_eq!((b.seq, b.why), (3, Why::BadSignature)),
        other => panic!("{other}"),
    }
}

#[test]
fn without_a_key_records_chain_and_no_checkpoint_is_signed() {
    let backend = MemoryBackend::new();
    let a = auditor(&backend, 2, None);
    (1..=5).for_each(|i| {
        record(&a, i);
    });
    assert!(matches!(a.checkpoint(), Err(AuditError::NoKey)));
    assert!(backend.audit().unwrap().last_checkpoint().unwrap().is_none());
    assert_eq!(verify(backend.audit().unwrap().as_mut(), None).unwrap().records, 5);
}

/// Threads sharing one auditor, and two auditors on one store (two processes): every record
/// gets its own seq and the chain holds.
#[test]
fn concurrent_writers_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(dir.path()).unwrap();
    let shared = Arc::new(auditor(&backend, 10, Some(key(3))));
    let other = auditor(&backend, 10, Some(key(3)));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let a = shared.clone();
            std::thread::spawn(move || (0..15).map(|i| record(&a, t * 100 + i)).collect::<Vec<u64>>())
        })
        .collect();
    let mut seqs: Vec<u64> = (0..10).map(|i| record(&other, 1000 + i)).collect();
    for t in threads {
        seqs.extend(t.join().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=70).collect::<Vec<u64>>(), "every record its own seq");
    let verified = verify(backend.audit().unwrap().as_mut(), Some(&key(3).verifying_key())).unwrap();
    assert_eq!(verified.records, 70);
    assert!(verified.checkpoints >= 1, "{verified:?}");
}

#[test]
fn fields_parse() {
    assert!(Action::new("operator.login").is_ok());
    for bad in ["", "Login", "pii reveal", "pii/reveal"] {
        assert!(Action::new(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        Action::new(&"a".repeat(65)),
        Err(FieldError::TooLong {
            field: "action",
            max: 64
        })
    );
    assert_eq!(Actor::operator("ops-1@team").unwrap().text(), "operator:ops-1@team");
    assert!(Actor::operator("a:b").is_err(), "no colon in an operator name");
    assert_eq!(Actor::Customer(42).text(), "customer:42");
    assert!(Target::new("account:1\n").is_err());
    assert!(Detail::new().with("Key", "v").is_err());
    assert!(Detail::new().with("k", &"x".repeat(257)).is_err());
    let full = (0..16).fold(Detail::new(), |d, i| d.with(&format!("k{i}"), "v").unwrap());
    assert_eq!(
        full.clone().with("k99", "v"),
        Err(FieldError::TooManyEntries { max: 16 })
    );
    assert!(
        full.with("k3", "replaced").is_ok(),
        "replacing an entry is not adding one"
    );
    assert_eq!(Outcome::parse("denied"), Some(Outcome::Denied));
    assert_eq!(Outcome::parse("OK"), None);
    assert_eq!(Hash::from_slice(&[1; 31]), None);
}
