//! What to notify, as a pure function: [`Tracker::apply`] turns one committed journal fact into
//! intents, [`Tracker::day`] turns a calendar day into the reminders due that day, from each
//! account's unpaid statement. No clock, no IO: the caller passes the facts in journal order
//! and the days in order, and keeps the tracker (it is serde) with its journal watermark.
//!
//! Every intent has a dedup key: `<account>:<kind>:<what>[:<day>]`, the same whenever the same
//! fact or day is derived again (a restart that reads facts again after its watermark), so the
//! caller keeps one message per key and channel.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::kind::Kind;

/// Days before the due date the first reminder goes out.
pub const DUE_SOON_DAYS: i32 = 3;
/// The most days one [`Tracker::day`] call catches up (a consumer down for longer sends
/// the reminders of the last week only: an older "due in 3 days" is stale).
pub const CATCH_UP_DAYS_MAX: i32 = 7;

/// Where a theft case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TheftStage {
    Opened,
    Confirmed,
    Rejected,
}

impl TheftStage {
    pub fn name(self) -> &'static str {
        match self {
            TheftStage::Opened => "opened",
            TheftStage::Confirmed => "confirmed",
            TheftStage::Rejected => "rejected",
        }
    }
}

/// A committed fact of the journal that may concern the customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    StatementClosed {
        account: u64,
        seq: u32,
        due: Date,
        balance: Amount,
        minimum: Amount,
    },
    Repaid {
        account: u64,
        /// The repayment's operation id (its dedup key).
        op: u64,
        amount: Amount,
    },
    /// `from`/`to` are delinquency buckets, 0 = current.
    BucketChanged {
        account: u64,
        on: Date,
        dpd: u32,
        from: u8,
        to: u8,
    },
    /// A case opened as theft, or any case resolved (only a theft case's resolution is told).
    TheftCase { account: u64, case: u64, stage: TheftStage },
}

/// What to tell one customer, before preferences, quiet hours and templates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub account: u64,
    pub kind: Kind,
    /// `<account>:<kind>:<what>[:<day>]`: the same fact or day always gives the same key.
    pub key: String,
    pub vars: Vars,
}

/// The values a template may use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vars {
    pub amount: Option<Amount>,
    pub minimum: Option<Amount>,
    pub due: Option<Date>,
    pub day: Option<Date>,
    pub dpd: Option<u32>,
    pub bucket: Option<u8>,
    pub case: Option<u64>,
    pub stage: Option<TheftStage>,
}

/// An account's latest statement and what of its minimum is still unpaid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenStatement {
    pub seq: u32,
    pub due: Date,
    pub balance: Amount,
    pub minimum_left: Amount,
}

/// The derivation's state: each account's latest statement, and the last day reminded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracker {
    pub statements: BTreeMap<u64, OpenStatement>,
    pub last_day: Option<Date>,
    /// Theft cases opened and not yet resolved (a resolution names no kind: only these are
    /// theft cases; an interception case's resolution is not the customer's news).
    #[serde(default)]
    pub theft_cases: BTreeSet<u64>,
}

fn key(account: u64, kind: Kind, what: impl std::fmt::Display) -> String {
    format!("{account}:{}:{what}", kind.name())
}

impl Tracker {
    /// The intents of one fact (in journal order), updating the accounts' statements.
    pub fn apply(&mut self, fact: &Fact) -> Vec<Intent> {
        match *fact {
            Fact::StatementClosed {
                account,
                seq,
                due,
                balance,
                minimum,
            } => {
                let open = OpenStatement {
                    seq,
                    due,
                    balance,
                    minimum_left: minimum.max(Amount::ZERO),
                };
                self.statements.insert(account, open);
                if !balance.is_positive() {
                    return Vec::new();
                }
                let vars = Vars {
                    amount: Some(balance),
                    minimum: Some(minimum),
                    due: Some(due),
                    ..Vars::default()
                };
                vec![intent(account, Kind::StatementIssued, seq, vars)]
            }
            Fact::Repaid { account, op, amount } => {
                if let Some(open) = self.statements.get_mut(&account) {
                    open.minimum_left = open.minimum_left.saturating_sub_to_zero(amount);
                }
                let vars = Vars {
                    amount: Some(amount),
                    ..Vars::default()
                };
                vec![intent(account, Kind::PaymentReceived, op, vars)]
            }
            Fact::BucketChanged {
                account,
                on,
                dpd,
                from,
                to,
            } => bucket_change(account, on, dpd, from, to),
            Fact::TheftCase { account, case, stage } => {
                let known = match stage {
                    TheftStage::Opened => self.theft_cases.insert(case),
                    TheftStage::Confirmed | TheftStage::Rejected => self.theft_cases.remove(&case),
                };
                if !known {
                    return Vec::new();
                }
                let vars = Vars {
                    case: Some(case),
                    stage: Some(stage),
                    ..Vars::default()
                };
                let what = format!("{case}:{}", stage.name());
                vec![intent(account, Kind::TheftCase, what, vars)]
            }
        }
    }

    /// The reminders of every day after the last one reminded through `today` (at most
    /// [`CATCH_UP_DAYS_MAX`] days back): due in [`DUE_SOON_DAYS`] days and due today, for each
    /// account whose latest statement's minimum is not paid.
    pub fn day(&mut self, today: Date) -> Vec<Intent> {
        let earliest = today.saturating_sub(jiff::Span::new().days(CATCH_UP_DAYS_MAX - 1));
        let mut day = match self.last_day {
            Some(last) if last >= today => return Vec::new(),
            Some(last) => last.tomorrow().unwrap_or(today).max(earliest),
            None => today,
        };
        let mut out = Vec::new();
        while day <= today {
            self.remind(day, &mut out);
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        self.last_day = Some(today);
        out
    }

    fn remind(&self, day: Date, out: &mut Vec<Intent>) {
        for (&account, open) in &self.statements {
            if !open.minimum_left.is_positive() {
                continue;
            }
            let kind = if open.due == day {
                Kind::DueToday
            } else if open.due.saturating_sub(jiff::Span::new().days(DUE_SOON_DAYS)) == day {
                Kind::DueSoon
            } else {
                continue;
            };
            let vars = Vars {
                amount: Some(open.balance),
                minimum: Some(open.minimum_left),
                due: Some(open.due),
                day: Some(day),
                ..Vars::default()
            };
            out.push(intent(account, kind, format!("{}:{day}", open.seq), vars));
        }
    }
}

fn intent(account: u64, kind: Kind, what: impl std::fmt::Display, vars: Vars) -> Intent {
    Intent {
        account,
        kind,
        key: key(account, kind, what),
        vars,
    }
}

fn bucket_change(account: u64, on: Date, dpd: u32, from: u8, to: u8) -> Vec<Intent> {
    let vars = Vars {
        day: Some(on),
        dpd: Some(dpd),
        bucket: Some(to),
        ..Vars::default()
    };
    // Leaving current is the missed due date; every later move (worse or cured) is a change.
    let kind = if from == 0 && to > 0 {
        Kind::Missed
    } else {
        Kind::BucketChanged
    };
    vec![intent(account, kind, format!("{from}-{to}:{on}"), vars)]
}
