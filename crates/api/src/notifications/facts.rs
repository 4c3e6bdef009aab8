//! A committed journal record as the `notify` crate's [`Fact`]s: statements closed,
//! repayments, delinquency bucket changes (from the credit events), theft cases opened and
//! resolved (from the engine's notices). A refused record has no events and no notices.

use credit::Event;
use credit::delinquency::Bucket;
use engine::{CaseKind, Notice, Record};
use notify::{Fact, TheftStage};

/// The bucket as a number, 0 = current (the order of [`Bucket`]).
fn bucket(b: Bucket) -> u8 {
    match b {
        Bucket::Current => 0,
        Bucket::Grace => 1,
        Bucket::M1 => 2,
        Bucket::M2 => 3,
        Bucket::M3 => 4,
        Bucket::M3Plus => 5,
        Bucket::ChargedOff => 6,
    }
}

/// The record's facts, in its order: events first, then notices.
pub fn facts_of(record: &Record) -> Vec<Fact> {
    let mut out = Vec::new();
    for event in &record.events {
        match event {
            Event::StatementClosed {
                account,
                seq,
                due_date,
                balance,
                minimum,
                ..
            } => out.push(Fact::StatementClosed {
                account: account.0,
                seq: *seq,
                due: due_date.to_date(),
                balance: *balance,
                minimum: *minimum,
            }),
            Event::Repaid {
                account, op, amount, ..
            } => out.push(Fact::Repaid {
                account: account.0,
                op: op.0,
                amount: *amount,
            }),
            Event::BucketChanged {
                account,
                on,
                dpd,
                from,
                to,
            } => out.push(Fact::BucketChanged {
                account: account.0,
                on: on.to_date(),
                dpd: *dpd,
                from: bucket(*from),
                to: bucket(*to),
            }),
            _ => {}
        }
    }
    for notice in &record.notices {
        let (account, case, stage) = match notice {
            Notice::CaseOpened {
                account,
                case,
                kind: CaseKind::Theft,
                ..
            } => (account, case, TheftStage::Opened),
            Notice::CaseResolved {
                account,
                case,
                confirmed,
            } => {
                let stage = if *confirmed {
                    TheftStage::Confirmed
                } else {
                    TheftStage::Rejected
                };
                (account, case, stage)
            }
            _ => continue,
        };
        out.push(Fact::TheftCase {
            account: account.0,
            case: case.0,
            stage,
        });
    }
    out
}
