//! [`export`]: the log as JSON lines for an auditor, exactly as stored (no checking: the
//! auditor recomputes the chain with the encoding in [`crate::chain`]). One header line, then
//! one line per record from the chosen seq, then one per checkpoint from it:
//!
//! ```text
//! {"kind":"header","format":"iou-audit-export","version":1,"record_hash":"sha256:iou-audit-record-v1","checkpoint_signature":"ed25519:iou-audit-checkpoint-v1","from":1}
//! {"kind":"record","seq":1,"at":"2026-03-01T02:00:00.000001Z","at_us":1772330400000001,"actor":"operator:alice","action":"pii.reveal","target":"account:7","detail":"{\"field\":\"mobile\"}","outcome":"ok","prev_hash":"00…","hash":"9f…"}
//! {"kind":"checkpoint","seq":1000,"at":"…","at_us":…,"hash":"…","signature":"…"}
//! ```
//!
//! `detail` is the stored text (a JSON object as a string), so its bytes are the ones hashed;
//! hashes and signatures are lowercase hex of the stored bytes.

use std::io::Write;

use jiff::Timestamp;
use serde::Serialize;
use store::AuditLog;
use store::audit::{AuditCheckpointRow, AuditRow};

use crate::AuditError;
use crate::chain::{CHECKPOINT_DOMAIN, RECORD_DOMAIN};

const PAGE: usize = 1_000;

/// What an export wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exported {
    pub records: u64,
    pub checkpoints: u64,
}

#[derive(Serialize)]
struct Header {
    kind: &'static str,
    format: &'static str,
    version: u32,
    record_hash: String,
    checkpoint_signature: String,
    from: u64,
}

#[derive(Serialize)]
struct RecordLine<'a> {
    kind: &'static str,
    seq: u64,
    at: Option<Timestamp>,
    at_us: i64,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    detail: &'a str,
    outcome: &'a str,
    prev_hash: String,
    hash: String,
}

#[derive(Serialize)]
struct CheckpointLine {
    kind: &'static str,
    seq: u64,
    at: Option<Timestamp>,
    at_us: i64,
    hash: String,
    signature: String,
}

fn line(out: &mut dyn Write, value: &impl Serialize) -> Result<(), AuditError> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn record_line(row: &AuditRow) -> RecordLine<'_> {
    RecordLine {
        kind: "record",
        seq: row.seq,
        at: Timestamp::from_microsecond(row.at_us).ok(),
        at_us: row.at_us,
        actor: &row.actor,
        action: &row.action,
        target: &row.target,
        detail: &row.detail,
        outcome: &row.outcome,
        prev_hash: hex::encode(&row.prev_hash),
        hash: hex::encode(&row.hash),
    }
}

fn checkpoint_line(cp: &AuditCheckpointRow) -> CheckpointLine {
    CheckpointLine {
        kind: "checkpoint",
        seq: cp.seq,
        at: Timestamp::from_microsecond(cp.at_us).ok(),
        at_us: cp.at_us,
        hash: hex::encode(&cp.hash),
        signature: hex::encode(&cp.signature),
    }
}

/// Writes the records and checkpoints with seq `from` and above (`from` 0 or 1: everything).
pub fn export(log: &mut dyn AuditLog, from: u64, out: &mut dyn Write) -> Result<Exported, AuditError> {
    let header = Header {
        kind: "header",
        format: "iou-audit-export",
        version: 1,
        record_hash: format!("sha256:{RECORD_DOMAIN}"),
        checkpoint_signature: format!("ed25519:{CHECKPOINT_DOMAIN}"),
        from,
    };
    line(out, &header)?;
    let mut done = Exported {
        records: 0,
        checkpoints: 0,
    };
    let mut after = from.saturating_sub(1);
    while let Some(last) = {
        let page = log.scan(after, PAGE)?;
        for row in &page {
            line(out, &record_line(row))?;
        }
        done.records += page.len() as u64;
        page.last().map(|r| r.seq)
    } {
        after = last;
    }
    let mut after = from.saturating_sub(1);
    while let Some(last) = {
        let page = log.checkpoints(after, PAGE)?;
        for cp in &page {
            line(out, &checkpoint_line(cp))?;
        }
        done.checkpoints += page.len() as u64;
        page.last().map(|c| c.seq)
    } {
        after = last;
    }
    out.flush()?;
    Ok(done)
}
