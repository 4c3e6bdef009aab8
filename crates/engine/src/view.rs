//! Journaled records as a person reads them: where a record sits ([`Position`]), its summary
//! ([`RecordView`]), and the first record whose replay did not give what the journal says
//! ([`Divergence`]). Re-exported by [`crate::journal`].

use std::fmt;

use credit::AccountId;
use jiff::Timestamp;

use crate::record::{Op, Record};
use crate::rejection::EngineRejection;

/// Where a record sits in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub partition: u32,
    /// The batch's sequence number in its partition.
    pub seq: u64,
    /// The record's place in its batch.
    pub index: u32,
}

/// One journaled record, decoded for reading.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordView {
    pub partition: u32,
    /// The batch's sequence number in its partition.
    pub seq: u64,
    /// The record's place in its batch.
    pub index: u32,
    pub at: Timestamp,
    /// What kind of operation (`authorize`, `confirm_theft`, `open_case` ...).
    pub op: &'static str,
    /// The account the record is about, if one.
    pub account: Option<AccountId>,
    pub outcome: Result<(), EngineRejection>,
    pub events: usize,
    pub notices: usize,
    /// Whether the request came with an idempotency key.
    pub keyed: bool,
    /// Whether a risk decision is journaled with it.
    pub decided: bool,
}

impl RecordView {
    /// The summary of the record at `at`.
    pub fn of(at: Position, record: &Record) -> RecordView {
        RecordView {
            partition: at.partition,
            seq: at.seq,
            index: at.index,
            at: at_of(record),
            op: op_name(&record.op),
            account: record_account(record),
            outcome: record.outcome,
            events: record.events.len(),
            notices: record.notices.len(),
            keyed: record.idempotency.is_some(),
            decided: record.risk.is_some(),
        }
    }
}

impl fmt::Display for RecordView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let account = self.account.map_or_else(|| "-".to_owned(), |a| a.to_string());
        write!(
            f,
            "p{} seq {} #{} {} {} account {} {} events {} notices {}{}{}",
            self.partition,
            self.seq,
            self.index,
            self.at,
            self.op,
            account,
            outcome_text(&self.outcome),
            self.events,
            self.notices,
            if self.keyed { " keyed" } else { "" },
            if self.decided { " risk" } else { "" },
        )
    }
}

/// The first record whose replay did not give what the journal says.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    pub record: RecordView,
    /// What replay gave instead.
    pub replay: Result<(), EngineRejection>,
    /// What differs: `outcome`, `events` or `notices`.
    pub differs: &'static str,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.record;
        write!(
            f,
            "partition {} batch {} record {} ({} at {}, account {}): the journal says {}, replay gives {} ({} differ). \
             Nothing was changed. Inspect it with `iou journal inspect --data <DIR> --partition {} --seq {}`, then \
             start the store with the iou version that wrote it, or report it (README, \"When the store does not start\")",
            r.partition,
            r.seq,
            r.index,
            r.op,
            r.at,
            r.account.map_or_else(|| "-".to_owned(), |a| a.to_string()),
            outcome_text(&r.outcome),
            outcome_text(&self.replay),
            self.differs,
            r.partition,
            r.seq,
        )
    }
}

/// `ok`, or `refused: <code>`.
pub fn outcome_text(outcome: &Result<(), EngineRejection>) -> String {
    match outcome {
        Ok(()) => "ok".to_owned(),
        Err(rejection) => format!("refused: {}", rejection.code()),
    }
}

pub(crate) fn at_of(record: &Record) -> Timestamp {
    Timestamp::from_microsecond(record.at_us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A stable name for an op's kind.
pub(crate) fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Credit(command) | Op::Authorize { command, .. } => command.name(),
        Op::LinkMerchant { .. } => "link_merchant",
        Op::SetCreditProfile { .. } => "set_credit_profile",
        Op::Checkpoint { .. } => "checkpoint",
        Op::Deliver { .. } => "deliver",
        Op::Rescore { .. } => "rescore",
        Op::Intercept { .. } => "intercept",
        Op::ListFraud { .. } => "list_fraud",
        Op::OpenCase { .. } => "open_case",
        Op::ResolveCase { confirm: true, .. } => "confirm_case",
        Op::ResolveCase { confirm: false, .. } => "reject_case",
        Op::ExpireReview { .. } => "expire_review",
        Op::Refused => "refused",
        Op::CreditApplication(_) => "credit_application",
        Op::OpenLine(_) => "open_line",
        Op::ConfirmTheft { .. } => "confirm_theft",
        Op::FundingStarted(_) => "funding_started",
        Op::FundingUpdated(_) => "funding_updated",
    }
}

/// The account a record is about.
pub(crate) fn record_account(record: &Record) -> Option<AccountId> {
    match &record.op {
        Op::Credit(command) | Op::Authorize { command, .. } => command.account(),
        Op::FundingStarted(started) => Some(started.funding.account),
        Op::FundingUpdated(updated) => Some(updated.account),
        Op::LinkMerchant { account, .. }
        | Op::SetCreditProfile { account, .. }
        | Op::Checkpoint { account, .. }
        | Op::Deliver { account, .. }
        | Op::Rescore { account, .. }
        | Op::Intercept { account, .. }
        | Op::OpenCase { account, .. } => Some(*account),
        Op::CreditApplication(application) => Some(application.applicant),
        Op::OpenLine(line) => Some(line.account),
        Op::ConfirmTheft { exemption, .. } => exemption.as_ref().and_then(credit::Command::account),
        Op::ListFraud { .. } | Op::ResolveCase { .. } | Op::ExpireReview { .. } | Op::Refused => None,
    }
}
