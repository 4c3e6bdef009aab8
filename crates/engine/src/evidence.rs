//! The evidence a case holds: each transaction's risk decision, from a decision just taken or
//! from the journal (a theft report).

use credit::{Command, TxnId};
use jiff::Timestamp;

use crate::cases::Evidence;
use crate::record::Record;
use crate::risk::RiskRecord;

/// The evidence a decision gives a case (also what the API words for an interception's
/// notice: one shape, built here).
pub fn evidence_of(txn: TxnId, risk: &RiskRecord, at: Timestamp) -> Evidence {
    Evidence {
        txn,
        at,
        checkpoint: risk.input.checkpoint(),
        outcome: risk.outcome,
        reasons: risk.reasons.clone(),
        rules: risk.rules.to_string(),
        device: risk.input.device,
        ip: risk.input.ip,
        geo: risk.input.geo,
    }
}

/// Evidence gathered from the journal for a theft report: each reported transaction's decision.
pub(crate) fn evidence_from(records: &[(Timestamp, Record)], txns: &[TxnId]) -> Vec<Evidence> {
    records
        .iter()
        .filter_map(|(at, record)| match (record.op.credit_command(), &record.risk) {
            (Some(Command::Authorize { txn, .. }), Some(risk)) if txns.contains(txn) => {
                Some(evidence_of(*txn, risk, *at))
            }
            _ => None,
        })
        .collect()
}
