//! What the outbox says about the engine's notices: the JSON of read.db's `notices.body`
//! column and of the merchant's webhook payload ([`Texts`], handed to the engine's outbox
//! scanner, which reads the journal), and the names and evidence the case routes show too.

use std::sync::Arc;

use credit::MerchantId;
use engine::outbox::NoticeText;
use engine::{CaseKind, Evidence, InterceptAction, Notice, Op, Record, RiskRecord};
use jiff::Timestamp;
use serde_json::{Value, json};
use store::outbox::NoticeKey;

use super::Webhooks;

/// How the API writes the engine's notices down for the outbox scanner
/// ([`engine::outbox::scan_once`]): JSON, and a delivery only to a merchant with a webhook.
pub struct Texts(pub Arc<Webhooks>);

impl NoticeText for Texts {
    fn body(&self, notice: &Notice, record: &Record) -> String {
        data_of(notice, record).to_string()
    }

    fn payload(&self, key: NoticeKey, notice: &Notice, merchant: MerchantId, at_ms: i64) -> Option<String> {
        self.0.get(merchant)?;
        Some(payload(key, notice, merchant, at_ms).to_string())
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
        CaseKind::PaymentReview => "payment_review",
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
    let evidence = engine::evidence_of(txn, risk, at);
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
