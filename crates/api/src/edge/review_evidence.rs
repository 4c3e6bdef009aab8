//! The decision behind a payment held for review, as the analyst sees it: the features the
//! engine saw, the model scores, the reason codes of the rules that fired and the rules
//! version. The engine keeps a case's evidence (reasons, rules, device, address) in its state;
//! the full feature vector lives only in the journal's record of the authorization, so the
//! payment route keeps this copy in the meta table (`review_evidence:<txn>`) before it answers
//! `held`, and again on every replay of the answer (a crash between the commit and this write
//! is healed by the merchant's retry, as with a campaign's use).

use std::sync::Arc;

use credit::TxnId;
use engine::RiskRecord;
use serde_json::{Value, json};

use crate::http::error::ApiError;
use crate::meta::Meta;
use crate::webhooks::scan::outcome_name;

const PREFIX: &str = "review_evidence:";

fn key(txn: TxnId) -> String {
    format!("{PREFIX}{}", txn.0)
}

/// The decision as the case routes show it.
pub fn decision_json(risk: &RiskRecord) -> Value {
    let models = &risk.models;
    json!({
        "checkpoint": risk.input.checkpoint().name(),
        "outcome": outcome_name(risk.outcome),
        "reasons": risk.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "rules": risk.rules.to_string(),
        "models": {
            "fraud_score": models.fraud_score,
            "credit_pd": models.credit_pd,
            "credit_score": models.credit_score,
        },
        "features": serde_json::to_value(risk.features).unwrap_or(Value::Null),
    })
}

/// Keeps the decision of a held payment (idempotent: the same decision writes the same text).
pub async fn record(meta: &Arc<Meta>, txn: TxnId, risk: &RiskRecord) -> Result<(), ApiError> {
    meta.set(key(txn), decision_json(risk).to_string()).await
}

/// The decision kept for a held payment, if any (an unreadable record reads as none, logged).
pub async fn of(meta: &Arc<Meta>, txn: TxnId) -> Result<Option<Value>, ApiError> {
    let Some(text) = meta.get(key(txn)).await? else {
        return Ok(None);
    };
    match serde_json::from_str(&text) {
        Ok(value) => Ok(Some(value)),
        Err(error) => {
            tracing::error!(%error, txn = txn.0, "a held payment's decision is not readable");
            Ok(None)
        }
    }
}
