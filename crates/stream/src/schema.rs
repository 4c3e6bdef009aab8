//! What each message says: the `iou.event.v1` envelope of one journal record (EVENTS.md
//! documents every field and the versioning rules).
//!
//! Personal data never leaves through the stream: a credit application or a risk checkpoint
//! is named by its kind only (their payloads hold identity, device and network details), and
//! a risk decision is its outcome, reasons and rules version, without the features.

use engine::journal::{Position, RecordView};
use engine::{Op, Record};
use serde_json::{Value, json};

use crate::StreamError;

/// The schema name every message carries (header `Iou-Schema` and field `schema`).
pub const SCHEMA: &str = "iou.event.v1";

/// The message id of a position: `partition:seq:index` (also the `Iou-Position` header).
pub fn position_id(at: Position) -> String {
    format!("{}:{}:{}", at.partition, at.seq, at.index)
}

/// Reads a [`position_id`] back.
pub fn parse_position(text: &str) -> Option<Position> {
    let mut parts = text.split(':');
    let partition = parts.next()?.parse().ok()?;
    let seq = parts.next()?.parse().ok()?;
    let index = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some(Position { partition, seq, index })
}

/// The subject of a partition's events: `<prefix>.p<partition>`.
pub fn subject(prefix: &str, partition: u32) -> String {
    format!("{prefix}.p{partition}")
}

/// The JSON of one record.
pub fn event(at: Position, record: &Record) -> Result<Value, StreamError> {
    let view = RecordView::of(at, record);
    let encode = |value: Result<Value, serde_json::Error>| {
        value.map_err(|e| StreamError::Encode {
            position: position_id(at),
            reason: e.to_string(),
        })
    };
    let (outcome, rejection) = match &record.outcome {
        Ok(()) => ("ok", None),
        Err(rejection) => ("refused", Some(rejection.code())),
    };
    let risk = record.risk.as_ref().map(|decision| {
        json!({
            "outcome": engine::risk::outcome_name(decision.outcome),
            "reasons": decision.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "rules_version": decision.rules.to_string(),
            "satisfied_by_step_up": decision.satisfied_by_step_up,
        })
    });
    Ok(json!({
        "schema": SCHEMA,
        "id": position_id(at),
        "partition": at.partition,
        "seq": at.seq,
        "index": at.index,
        "at": view.at.to_string(),
        "op": view.op,
        "account": view.account.map(|a| a.0),
        "outcome": outcome,
        "rejection": rejection,
        "command": encode(serde_json::to_value(detail(&record.op)))?,
        "events": encode(serde_json::to_value(&record.events))?,
        "notices": encode(serde_json::to_value(&record.notices))?,
        "risk": risk,
    }))
}

/// What of an op is published: the credit command it applied, or the op itself when it holds
/// no personal data; `None` for the ops that do (applications, checkpoints, line openings,
/// fraud listings by device and IP, funding with its account details).
fn detail(op: &Op) -> Option<Value> {
    if let Some(command) = op.credit_command() {
        return serde_json::to_value(command).ok();
    }
    match op {
        Op::LinkMerchant { .. }
        | Op::SetCreditProfile { .. }
        | Op::Deliver { .. }
        | Op::Rescore { .. }
        | Op::Intercept { .. }
        | Op::OpenCase { .. }
        | Op::ResolveCase { .. }
        | Op::ExpireReview { .. }
        | Op::ConfirmTheft { .. } => serde_json::to_value(op).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_back_and_refuse_what_is_not_one() {
        let at = Position {
            partition: 3,
            seq: 18_446_744_073_709_551_615,
            index: 7,
        };
        assert_eq!(parse_position(&position_id(at)), Some(at));
        for bad in ["", "1:2", "1:2:3:4", "a:2:3", "1:-2:3", "1:2:4294967296"] {
            assert_eq!(parse_position(bad), None, "{bad}");
        }
    }

    #[test]
    fn subjects_are_per_partition() {
        assert_eq!(subject("iou.events", 0), "iou.events.p0");
        assert_eq!(subject("bank.iou", 12), "bank.iou.p12");
    }
}
