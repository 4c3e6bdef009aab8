//! A committed journal record as the `notify` crate's [`Fact`]s: statements closed,
//! repayments, delinquency bucket changes (the credit events, through `notify::facts`), theft
//! cases opened and any case resolved (the engine's notices; the tracker tells only a theft
//! case's resolution). A refused record has no events and no notices.

use engine::{CaseKind, Notice, Record};
use notify::{Fact, TheftStage};

/// The record's facts, in its order: events first, then notices.
pub fn facts_of(record: &Record) -> Vec<Fact> {
    let mut out = notify::facts::of_events(&record.events);
    out.extend(record.notices.iter().filter_map(theft_fact));
    out
}

/// A theft case opened, or a case resolved, as a fact.
pub fn theft_fact(notice: &Notice) -> Option<Fact> {
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
        _ => return None,
    };
    Some(Fact::TheftCase {
        account: account.0,
        case: case.0,
        stage,
    })
}
