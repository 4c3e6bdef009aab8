//! The text the read models store for the credit core's enums, the same in every backend.
//!
//! They match the core's serde names, so a row's text equals the value in the event's JSON.

use credit::ledger::EntryKind;
use credit::{Event, FreezeReason};

/// The `type` of an event, as in its JSON.
pub(crate) fn event_type(event: &Event) -> &'static str {
    match event {
        Event::AccountOpened { .. } => "account_opened",
        Event::LimitChanged { .. } => "limit_changed",
        Event::TemporaryLimitSet { .. } => "temporary_limit_set",
        Event::Frozen { .. } => "frozen",
        Event::Unfrozen { .. } => "unfrozen",
        Event::Authorized { .. } => "authorized",
        Event::Captured { .. } => "captured",
        Event::Voided { .. } => "voided",
        Event::HoldExpired { .. } => "hold_expired",
        Event::Refunded { .. } => "refunded",
        Event::Repaid { .. } => "repaid",
        Event::PlanPaidOff { .. } => "plan_paid_off",
        Event::BillInstalled { .. } => "bill_installed",
        Event::CreditCashedOut { .. } => "credit_cashed_out",
        Event::StatementClosed { .. } => "statement_closed",
        Event::BucketChanged { .. } => "bucket_changed",
        Event::ChargedOff { .. } => "charged_off",
        Event::FraudExempted { .. } => "fraud_exempted",
        Event::Posted { .. } => "posted",
        Event::HardshipPlanned { .. } => "hardship_planned",
    }
}

pub(crate) fn freeze_reason(reason: FreezeReason) -> &'static str {
    match reason {
        FreezeReason::TheftReport => "theft_report",
        FreezeReason::Risk => "risk",
        FreezeReason::Operator => "operator",
        FreezeReason::Customer => "customer",
    }
}

pub(crate) fn entry_kind(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Capture => "capture",
        EntryKind::Refund => "refund",
        EntryKind::Repayment => "repayment",
        EntryKind::EarlyPayoff => "early_payoff",
        EntryKind::CreditCashOut => "credit_cash_out",
        EntryKind::PlanFee => "plan_fee",
        EntryKind::PlanInterest => "plan_interest",
        EntryKind::RevolvingInterest => "revolving_interest",
        EntryKind::Penalty => "penalty",
        EntryKind::CreditApplied => "credit_applied",
        EntryKind::FeeWaiver => "fee_waiver",
        EntryKind::ChargeOff => "charge_off",
        EntryKind::FraudExemption => "fraud_exemption",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credit::ledger::Entry;
    use credit::{AccountId, Day};
    use money::Amount;

    /// A variant's name in serde's JSON, whether the enum is tagged internally (`"type"`) or
    /// externally (the single key).
    fn serde_name(json: &serde_json::Value) -> String {
        match json {
            serde_json::Value::Object(map) => match map.get("type") {
                Some(tag) => tag.as_str().unwrap().to_string(),
                None => map.keys().next().unwrap().clone(),
            },
            other => other.as_str().unwrap().to_string(),
        }
    }

    /// The names must equal the serde names the events' JSON carries.
    #[test]
    fn names_match_serde() {
        let account = AccountId(1);
        let events = [
            Event::AccountOpened {
                account,
                limit: Amount::from_fen(1),
                billing_day: 1,
                first_statement: Day::ymd(2026, 1, 1),
            },
            Event::Unfrozen { account },
            Event::Posted {
                account,
                entry: Entry {
                    kind: EntryKind::PlanFee,
                    postings: Vec::new(),
                },
            },
        ];
        for event in &events {
            assert_eq!(serde_name(&serde_json::to_value(event).unwrap()), event_type(event));
        }
        let reasons = [
            FreezeReason::TheftReport,
            FreezeReason::Risk,
            FreezeReason::Operator,
            FreezeReason::Customer,
        ];
        for reason in reasons {
            assert_eq!(serde_json::to_value(reason).unwrap(), freeze_reason(reason));
        }
        let kinds = [
            EntryKind::Capture,
            EntryKind::Refund,
            EntryKind::Repayment,
            EntryKind::EarlyPayoff,
            EntryKind::CreditCashOut,
            EntryKind::PlanFee,
            EntryKind::PlanInterest,
            EntryKind::RevolvingInterest,
            EntryKind::Penalty,
            EntryKind::CreditApplied,
            EntryKind::FeeWaiver,
            EntryKind::ChargeOff,
            EntryKind::FraudExemption,
        ];
        for kind in kinds {
            assert_eq!(serde_json::to_value(kind).unwrap(), entry_kind(kind));
        }
    }
}
