//! The export: a header, each record exactly as stored, then the checkpoints; an auditor can
//! recompute every hash from the lines alone.

use audit::chain::{RecordFields, record_hash};
use audit::{Hash, export};
use serde_json::Value;
use store::Backend;
use store::memory::MemoryBackend;

use super::common::{auditor, key, record};

fn lines(backend: &MemoryBackend, from: u64) -> Vec<Value> {
    let mut out = Vec::new();
    export(backend.audit().unwrap().as_mut(), from, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn export_holds_every_record_and_checkpoint_and_the_hashes_recompute() {
    let backend = MemoryBackend::new();
    let a = auditor(&backend, 4, Some(key(2)));
    (1..=9).for_each(|i| {
        record(&a, i);
    });
    let lines = lines(&backend, 0);
    assert_eq!(lines[0]["kind"], "header");
    assert_eq!(lines[0]["record_hash"], "sha256:iou-audit-record-v1");
    let records: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "record").collect();
    let checkpoints: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "checkpoint").collect();
    assert_eq!((records.len(), checkpoints.len(), lines.len()), (9, 2, 12));
    let mut prev = Hash::GENESIS.to_hex();
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["seq"], i as u64 + 1);
        assert_eq!(r["prev_hash"], prev.as_str());
        let prev_hash = Hash::from_slice(&hex::decode(&prev).unwrap()).unwrap();
        let text = |k: &str| r[k].as_str().unwrap().to_owned();
        let (actor, action, target, detail, outcome) = (
            text("actor"),
            text("action"),
            text("target"),
            text("detail"),
            text("outcome"),
        );
        let hash = record_hash(&RecordFields {
            seq: r["seq"].as_u64().unwrap(),
            at_us: r["at_us"].as_i64().unwrap(),
            actor: &actor,
            action: &action,
            target: &target,
            detail: &detail,
            outcome: &outcome,
            prev_hash: &prev_hash,
        });
        assert_eq!(r["hash"], hash.to_hex().as_str(), "record {}", i + 1);
        prev = hash.to_hex();
    }
    assert_eq!(checkpoints[1]["seq"], 8);
    assert_eq!(checkpoints[1]["hash"], records[7]["hash"]);
    assert_eq!(checkpoints[1]["signature"].as_str().unwrap().len(), 128);
    assert_eq!(records[0]["at"], "2026-03-01T02:00:00.000001Z");
}

#[test]
fn export_from_a_seq_starts_there() {
    let backend = MemoryBackend::new();
    let a = auditor(&backend, 4, Some(key(2)));
    (1..=9).for_each(|i| {
        record(&a, i);
    });
    let lines = lines(&backend, 6);
    let seqs: Vec<(String, u64)> = lines[1..]
        .iter()
        .map(|l| (l["kind"].as_str().unwrap().to_owned(), l["seq"].as_u64().unwrap()))
        .collect();
    let expected: Vec<(String, u64)> = (6..=9)
        .map(|s| ("record".to_owned(), s))
        .chain([("checkpoint".to_owned(), 8)])
        .collect();
    assert_eq!(seqs, expected);
}
