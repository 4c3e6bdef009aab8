//! Reading the journal outside the running engine, for operators and tests: every record
//! decoded into a summary a person can read ([`scan`], [`batch`]), and a replay of a partition
//! from its first batch that either rebuilds its state or names the first record whose replay
//! does not give what the journal says ([`verify`], [`Divergence`]). `iou journal inspect` is
//! built on these, so the record encoding stays private to the engine.
//!
//! [`PartitionState`] is a partition's state in a canonical form (what a snapshot holds, in a
//! fixed order, without the idempotency index, which expires by the clock): the running
//! engine's ([`crate::Engine::states`]) and a replay's compare equal when replay reproduces
//! the live state.

use std::fmt;

use credit::AccountId;
use jiff::Timestamp;
use serde::Serialize;
use store::{Journal, StoreError};

use crate::engine::EngineConfig;
use crate::error::EngineError;
use crate::partition::{Partition, PartitionSnapshot};
use crate::record::{BatchBody, Op, Record};
use crate::request::EngineRejection;

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
    pub(crate) fn of(partition: u32, seq: u64, index: u32, record: &Record) -> RecordView {
        RecordView {
            partition,
            seq,
            index,
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

/// Visits every record of `partition` in batches after `after`, in order.
pub fn scan(
    journal: &mut dyn Journal,
    partition: u32,
    after: u64,
    visit: &mut dyn FnMut(RecordView),
) -> Result<(), EngineError> {
    journal.scan(partition, after, &mut |seq, bytes| {
        let body = BatchBody::decode(bytes).map_err(|e| StoreError::Backend(format!("batch {seq}: {e}")))?;
        for (index, record) in body.records.iter().enumerate() {
            visit(RecordView::of(partition, seq, index as u32, record));
        }
        Ok(())
    })?;
    Ok(())
}

/// The records of one batch; `None` if the partition has no such batch.
pub fn batch(journal: &mut dyn Journal, partition: u32, seq: u64) -> Result<Option<Vec<RecordView>>, EngineError> {
    let Some(bytes) = journal.read_batch(partition, seq)? else {
        return Ok(None);
    };
    let body = BatchBody::decode(&bytes).map_err(|e| EngineError::Corrupt(format!("batch {seq}: {e}")))?;
    let views = body
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| RecordView::of(partition, seq, index as u32, record))
        .collect();
    Ok(Some(views))
}

/// The partition count the store was created with (`None` for a store never started).
pub fn stored_partitions(journal: &mut dyn Journal) -> Result<Option<u32>, EngineError> {
    match journal.meta("partitions")? {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| EngineError::Corrupt(format!("the stored partition count {text:?} is not a number"))),
    }
}

/// Replays `partition` from its first batch (ignoring snapshots) and returns its state, or
/// [`EngineError::ReplayDiverged`] naming the first record that did not replay as journaled.
pub fn verify(config: &EngineConfig, journal: &mut dyn Journal, partition: u32) -> Result<PartitionState, EngineError> {
    let replayed = crate::recovery::replay(partition, config, journal, false)?;
    Ok(PartitionState::of(&replayed))
}

/// A partition's state in a canonical form: equal for the running engine and a replay of its
/// journal when replay reproduces what the engine holds.
#[derive(Clone)]
pub struct PartitionState {
    pub partition: u32,
    /// The last batch it reflects.
    pub seq: u64,
    state: PartitionSnapshot,
    bytes: Vec<u8>,
}

impl PartitionState {
    pub(crate) fn of(partition: &Partition) -> PartitionState {
        let mut state = partition.snapshot();
        state.idempotency.clear();
        state.txns.sort_by_key(|(t, _, _)| *t);
        state.links.sort_by_key(|(l, _, _)| *l);
        state.profiles.sort_by_key(|(a, _)| *a);
        state.watches.sort_by_key(|w| w.txn);
        let bytes = postcard::to_stdvec(&state).unwrap_or_default();
        PartitionState {
            partition: partition.id,
            seq: state.seq,
            state,
            bytes,
        }
    }

    /// Where two states differ first (an account, a case, the clock ...), for a test's
    /// failure message; `None` if they are equal.
    pub fn first_difference(&self, other: &PartitionState) -> Option<String> {
        if self == other {
            return None;
        }
        let (a, b) = (&self.state, &other.state);
        let pairs = a.book.accounts.iter().zip(&b.book.accounts);
        if let Some((x, y)) = pairs.into_iter().find(|(x, y)| encoded(x) != encoded(y)) {
            return Some(format!("account {}:\n{x:#?}\nvs\n{y:#?}", x.id));
        }
        if let Some((x, y)) = a.cases.iter().zip(&b.cases).find(|(x, y)| x != y) {
            return Some(format!("case {}:\n{x:#?}\nvs\n{y:#?}", x.id));
        }
        let parts: [(&str, Vec<u8>, Vec<u8>); 7] = [
            ("seq", encoded(&a.seq), encoded(&b.seq)),
            (
                "accounts",
                encoded(&a.book.accounts.len()),
                encoded(&b.book.accounts.len()),
            ),
            ("book clock", encoded(&a.book.last_at), encoded(&b.book.last_at)),
            ("cases", encoded(&a.cases.len()), encoded(&b.cases.len())),
            (
                "transactions and links",
                encoded(&(&a.txns, &a.links)),
                encoded(&(&b.txns, &b.links)),
            ),
            ("profiles", encoded(&a.profiles), encoded(&b.profiles)),
            ("watches", encoded(&a.watches), encoded(&b.watches)),
        ];
        let name = parts
            .iter()
            .find(|(_, x, y)| x != y)
            .map_or("counters", |(name, _, _)| name);
        Some(format!("partition {}: {name} differ", self.partition))
    }
}

impl PartialEq for PartitionState {
    fn eq(&self, other: &PartitionState) -> bool {
        self.partition == other.partition && self.bytes == other.bytes
    }
}

impl fmt::Debug for PartitionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartitionState")
            .field("partition", &self.partition)
            .field("seq", &self.seq)
            .field("accounts", &self.state.book.accounts.len())
            .field("cases", &self.state.cases.len())
            .finish_non_exhaustive()
    }
}

fn encoded<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).unwrap_or_default()
}

pub(crate) fn at_of(record: &Record) -> Timestamp {
    Timestamp::from_microsecond(record.at_us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A stable name for an op's kind.
pub(crate) fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Credit(command) => command.name(),
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
        Op::Credit(command) => command.account(),
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
        Op::ListFraud { .. } | Op::ResolveCase { .. } | Op::Refused => None,
    }
}
