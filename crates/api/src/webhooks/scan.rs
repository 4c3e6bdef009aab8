//! The outbox scanner: reads each partition's journal after the outbox's watermark and records
//! its notices (every one, for read.db's `notices` table) and the deliveries of the
//! merchant-facing ones (for merchants with a webhook at scan time), with the watermark, in
//! one transaction per chunk of batches.

use credit::MerchantId;
use engine::{BatchBody, CaseKind, Evidence, InterceptAction, Notice, Op, Record, RiskRecord};
use jiff::Timestamp;
use serde_json::{Value, json};
use store::outbox::{NewDelivery, NoticeKey, NoticeRow, Outbox};
use store::{Journal, StoreError};

use super::Webhooks;

/// Batches read before their rows are recorded (bounds memory when far behind).
const CHUNK: usize = 256;

#[derive(Default)]
struct Pending {
    notices: Vec<NoticeRow>,
    deliveries: Vec<NewDelivery>,
    through: u64,
}

/// Scans every partition once; returns how many notices were recorded.
pub fn scan_once(
    journal: &mut dyn Journal,
    outbox: &mut dyn Outbox,
    webhooks: &Webhooks,
    partitions: u32,
) -> Result<usize, StoreError> {
    let mut recorded = 0;
    for partition in 0..partitions {
        let after = outbox.scanned(partition)?;
        let mut pending = Pending::default();
        let mut batches = 0;
        journal.scan(partition, after, &mut |seq, bytes| {
            let body = BatchBody::decode(bytes).map_err(|e| StoreError::Backend(e.to_string()))?;
            for (index, record) in body.records.iter().enumerate() {
                rows_of(partition, seq, index as u32, record, webhooks, &mut pending);
            }
            pending.through = seq;
            batches += 1;
            if batches % CHUNK == 0 {
                recorded += flush(outbox, partition, &mut pending)?;
            }
            Ok(())
        })?;
        if pending.through > after {
            recorded += flush(outbox, partition, &mut pending)?;
        }
    }
    Ok(recorded)
}

fn flush(outbox: &mut dyn Outbox, partition: u32, pending: &mut Pending) -> Result<usize, StoreError> {
    outbox.record(partition, pending.through, &pending.notices, &pending.deliveries)?;
    let count = pending.notices.len();
    pending.notices.clear();
    pending.deliveries.clear();
    Ok(count)
}

fn rows_of(partition: u32, seq: u64, record_index: u32, record: &Record, webhooks: &Webhooks, out: &mut Pending) {
    let at_ms = record.at_us.div_euclid(1000);
    for (index, notice) in record.notices.iter().enumerate() {
        let key = NoticeKey {
            partition,
            seq,
            record: record_index,
            notice: index as u32,
        };
        let data = data_of(notice, record);
        out.notices.push(NoticeRow {
            key,
            at_ms,
            kind: notice.name().to_owned(),
            account: notice.account().0,
            merchant: notice.merchant().map(|m| m.0),
            txn: txn_of(notice).map(|t| t.0),
            case: case_of(notice),
            body: data.to_string(),
        });
        let Some(merchant) = notice.merchant() else { continue };
        if webhooks.get(merchant).is_none() {
            continue;
        }
        out.deliveries.push(NewDelivery {
            key,
            merchant: merchant.0,
            event: notice.name().to_owned(),
            body: payload(key, notice, merchant, at_ms).to_string(),
            created_ms: at_ms,
        });
    }
}

fn txn_of(notice: &Notice) -> Option<credit::TxnId> {
    match notice {
        Notice::Intercepted { txn, .. } | Notice::Delivered { txn, .. } => Some(*txn),
        Notice::CaseOpened { txns, .. } => txns.first().copied(),
        Notice::CaseResolved { .. } => None,
    }
}

fn case_of(notice: &Notice) -> Option<u64> {
    match notice {
        Notice::Intercepted { case, .. } | Notice::CaseOpened { case, .. } | Notice::CaseResolved { case, .. } => {
            Some(*case)
        }
        Notice::Delivered { .. } => None,
    }
}

pub fn action_name(action: InterceptAction) -> &'static str {
    match action {
        InterceptAction::Voided => "voided",
        InterceptAction::Refunded { .. } => "refunded",
        InterceptAction::HeldForReview => "held_for_review",
    }
}

pub fn kind_name(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::Interception => "interception",
        CaseKind::Theft => "theft",
    }
}

pub fn outcome_name(outcome: risk::Outcome) -> &'static str {
    match outcome {
        risk::Outcome::Allow => "allow",
        risk::Outcome::Challenge(_) => "challenge",
        risk::Outcome::Review => "review",
        risk::Outcome::Deny => "deny",
    }
}

fn codes(reasons: &[risk::ReasonCode]) -> Vec<&str> {
    reasons.iter().map(|r| r.as_str()).collect()
}

/// A piece of evidence as read.db and the case routes show it.
pub fn evidence_json(e: &Evidence) -> Value {
    json!({
        "txn_id": e.txn.to_string(),
        "at": e.at.to_string(),
        "checkpoint": e.checkpoint.name(),
        "outcome": outcome_name(e.outcome),
        "reasons": codes(&e.reasons),
        "rules": e.rules,
        "device": e.device.to_string(),
        "ip": e.ip.to_string(),
        "geo": e.geo.map(|g| json!({"lat_micro": g.lat_micro(), "lon_micro": g.lon_micro()})),
    })
}

/// The evidence the decision behind an interception gives its case.
fn decision_evidence(txn: credit::TxnId, at_us: i64, risk: &RiskRecord) -> Value {
    let at = Timestamp::from_microsecond(at_us).unwrap_or(Timestamp::UNIX_EPOCH);
    let evidence = Evidence {
        txn,
        at,
        checkpoint: risk.input.checkpoint(),
        outcome: risk.outcome,
        reasons: risk.reasons.clone(),
        rules: risk.rules.to_string(),
        device: risk.input.device,
        ip: risk.input.ip,
        geo: risk.input.geo,
    };
    evidence_json(&evidence)
}

/// The notice as the `notices.body` column keeps it.
fn data_of(notice: &Notice, record: &Record) -> Value {
    match notice {
        Notice::Intercepted {
            merchant,
            txn,
            case,
            action,
            reasons,
            ..
        } => json!({
            "txn_id": txn.to_string(),
            "merchant_id": merchant.to_string(),
            "case_id": case.to_string(),
            "action": action_name(*action),
            "refunded_fen": match action { InterceptAction::Refunded { amount } => Some(amount.fen()), _ => None },
            "reasons": codes(reasons),
        }),
        Notice::Delivered { merchant, txn, .. } => json!({
            "txn_id": txn.to_string(),
            "merchant_id": merchant.to_string(),
        }),
        Notice::CaseOpened { case, kind, txns, .. } => {
            let evidence: Vec<Value> = match (&record.op, &record.risk) {
                (Op::OpenCase { evidence, .. }, _) => evidence.iter().map(evidence_json).collect(),
                (Op::Intercept { txn, .. }, Some(risk)) => vec![decision_evidence(*txn, record.at_us, risk)],
                _ => Vec::new(),
            };
            json!({
                "case_id": case.to_string(),
                "kind": kind_name(*kind),
                "txns": txns.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "evidence": evidence,
            })
        }
        Notice::CaseResolved { case, confirmed, .. } => json!({
            "case_id": case.to_string(),
            "confirmed": confirmed,
        }),
    }
}

/// What the merchant receives: no customer data, only its own order.
fn payload(key: NoticeKey, notice: &Notice, merchant: MerchantId, at_ms: i64) -> Value {
    let created = Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    let data = match notice {
        Notice::Intercepted {
            txn,
            case,
            action,
            reasons,
            ..
        } => json!({
            "txn_id": txn.to_string(),
            "case_id": case.to_string(),
            "action": action_name(*action),
            "refunded_fen": match action { InterceptAction::Refunded { amount } => Some(amount.fen()), _ => None },
            "reasons": codes(reasons),
        }),
        Notice::Delivered { txn, .. } => json!({"txn_id": txn.to_string()}),
        _ => json!({}),
    };
    json!({
        "id": key.to_string(),
        "type": notice.name(),
        "merchant_id": merchant.to_string(),
        "created_at": created.to_string(),
        "data": data,
    })
}
