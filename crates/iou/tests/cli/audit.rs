//! `iou audit verify` on a store whose audit log was written by the audit crate and then edited
//! with SQL as an attacker with the files would: each single edit (a field altered, a record
//! deleted, two records' seqs swapped, a forged record inserted, a checkpoint's signature
//! changed) fails the command naming the right record; the untouched store passes. And
//! `iou audit export` writes every record and checkpoint.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use audit::{Action, Actor, AuditConfig, Auditor, CheckpointKey, Detail, Outcome, Target};

const KEY: [u8; 32] = [9; 32];
const RECORDS: u64 = 10;

/// A store with 10 audit records and checkpoints at 4 and 8.
fn store_with_audit(data: &Path) {
    let backend = store::sqlite::SqliteBackend::open(data).unwrap();
    let clock = Arc::new(|| "2026-03-01T02:00:00.123456789Z".parse::<jiff::Timestamp>().unwrap());
    let auditor = Auditor::open(
        &backend,
        AuditConfig { checkpoint_every: 4 },
        Some(CheckpointKey::from_bytes(&KEY)),
        clock,
    )
    .unwrap();
    for i in 1..=RECORDS {
        let detail = Detail::new().with("value", "139****1234").unwrap();
        let actor = Actor::operator(&format!("op{}", i % 3)).unwrap();
        let action = Action::new(if i % 2 == 0 { "pii.reveal" } else { "operator.login" }).unwrap();
        auditor
            .record(&actor, &action, &Target::account(i), &detail, Outcome::Ok)
            .unwrap();
    }
}

fn verifying_key() -> String {
    CheckpointKey::from_bytes(&KEY).verifying_key().to_hex()
}

fn iou(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iou"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("iou runs")
}

fn verify(data: &Path) -> Output {
    let key = verifying_key();
    iou(&[
        "audit",
        "verify",
        "--data",
        data.to_str().unwrap(),
        "--verifying-key",
        &key,
    ])
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `sql` on the store's journal.db, then `iou audit verify`, which must fail naming `seq`.
fn tampered_fails_at(sql: &str, seq: u64) {
    let dir = tempfile::tempdir().unwrap();
    store_with_audit(dir.path());
    let conn = rusqlite::Connection::open(dir.path().join(store::sqlite::JOURNAL_FILE)).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    let output = verify(dir.path());
    let said = text(&output);
    assert!(!output.status.success(), "{sql}: verify passed: {said}");
    assert!(
        said.contains(&format!("BROKEN at record {seq}:")),
        "{sql}: should name record {seq}: {said}"
    );
}

#[test]
fn an_untouched_audit_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    store_with_audit(dir.path());
    let output = verify(dir.path());
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("audit log intact: 10 records chained"), "{said}");
    assert!(
        said.contains("2 checkpoints, signatures verified; the newest at record 8"),
        "{said}"
    );
    let key_file = dir.path().join("audit.pub");
    std::fs::write(&key_file, format!("{}\n", verifying_key())).unwrap();
    let data = dir.path().to_str().unwrap();
    let from_file = iou(&[
        "audit",
        "verify",
        "--data",
        data,
        "--verifying-key",
        key_file.to_str().unwrap(),
    ]);
    assert!(from_file.status.success(), "{}", text(&from_file));
    let unsigned = iou(&["audit", "verify", "--data", data]);
    assert!(unsigned.status.success(), "{}", text(&unsigned));
    assert!(
        text(&unsigned).contains("signatures NOT checked"),
        "{}",
        text(&unsigned)
    );
}

#[test]
fn an_altered_record_fails_verify() {
    tampered_fails_at("UPDATE audit_log SET actor = 'operator:mallory' WHERE seq = 6", 6);
    tampered_fails_at("UPDATE audit_log SET outcome = 'denied' WHERE seq = 2", 2);
}

#[test]
fn a_deleted_record_fails_verify() {
    tampered_fails_at("DELETE FROM audit_log WHERE seq = 3", 3);
    tampered_fails_at("DELETE FROM audit_log WHERE seq >= 7", 8);
}

#[test]
fn reordered_records_fail_verify() {
    tampered_fails_at(
        "UPDATE audit_log SET seq = -1 WHERE seq = 7;
         UPDATE audit_log SET seq = 7 WHERE seq = 2;
         UPDATE audit_log SET seq = 2 WHERE seq = -1;",
        2,
    );
}

#[test]
fn a_forged_record_fails_verify() {
    tampered_fails_at(
        "INSERT INTO audit_log (seq, at_us, actor, action, target, detail, outcome, prev_hash, hash)
         SELECT 11, at_us + 1, 'operator:mallory', 'limit.raise', 'account:1', '{}', 'ok', hash, randomblob(32)
         FROM audit_log WHERE seq = 10",
        11,
    );
}

#[test]
fn a_tampered_checkpoint_fails_verify() {
    tampered_fails_at("UPDATE audit_checkpoints SET signature = zeroblob(64) WHERE seq = 8", 8);
    let dir = tempfile::tempdir().unwrap();
    store_with_audit(dir.path());
    let other = CheckpointKey::from_bytes(&[1; 32]).verifying_key().to_hex();
    let data = dir.path().to_str().unwrap();
    let output = iou(&["audit", "verify", "--data", data, "--verifying-key", &other]);
    assert!(!output.status.success(), "another key verified: {}", text(&output));
    assert!(text(&output).contains("BROKEN at record 4:"), "{}", text(&output));
}

#[test]
fn export_writes_every_record_and_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    store_with_audit(dir.path());
    let out = dir.path().join("audit.jsonl");
    let data = dir.path().to_str().unwrap();
    let output = iou(&["audit", "export", "--data", data, "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("exported 10 audit records and 2 checkpoints"));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "record").count(), 10);
    assert_eq!(kinds.iter().filter(|k| **k == "checkpoint").count(), 2);
    assert_eq!(lines[1]["hash"], lines[2]["prev_hash"]);
    assert_eq!(lines[1]["at_us"], 1_772_330_400_123_456_i64);
    let later = iou(&["audit", "export", "--data", data, "--from", "9"]);
    let stdout = String::from_utf8_lossy(&later.stdout);
    assert_eq!(stdout.lines().count(), 3, "header and records 9, 10: {stdout}");
    let missing = iou(&[
        "audit",
        "verify",
        "--data",
        dir.path().join("nothing").to_str().unwrap(),
    ]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("holds no store"), "{}", text(&missing));
}

#[test]
fn keygen_writes_a_private_key_file_once_and_prints_the_key_that_verifies_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit.key");
    let made = iou(&["audit", "keygen", "--out", out.to_str().unwrap()]);
    assert!(made.status.success(), "{}", text(&made));
    let printed = String::from_utf8(made.stdout.clone()).unwrap();
    let seed = std::fs::read_to_string(&out).unwrap();
    let key = CheckpointKey::from_hex(seed.trim()).unwrap();
    assert_eq!(printed.trim(), key.verifying_key().to_hex());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let again = iou(&["audit", "keygen", "--out", out.to_str().unwrap()]);
    assert!(!again.status.success(), "an existing key file is never overwritten");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), seed);
}
