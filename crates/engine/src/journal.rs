//! The one reader of the journal: [`scan`] decodes each record of a partition after a batch
//! and hands it to a visitor with its [`Position`], mapping unreadable bytes to one error, and
//! every journal consumer uses it (recovery, the projector, the outbox scanner, a fraud
//! exemption's history, the backtest, `iou journal inspect`), so the record encoding stays
//! private to the engine. For operators and tests: every record as a summary a person can read
//! ([`RecordView`], [`batch`]), a replay of a partition from its first batch that either
//! rebuilds its state or names the first record whose replay does not give what the journal
//! says ([`verify`], [`Divergence`]), and [`append`] to write records by hand (tests of replay).
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

/// Where a record sits in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub partition: u32,
    /// The batch's sequence number in its partition.
    pub seq: u64,
    /// The record's place in its batch.
    pub index: u32,
}

/// Visits every record of `partition` in batches after `after`, in order, decoded. An error
/// `visit` returns stops the scan and is returned as it is; a batch that cannot be read or
/// decoded stops it with [`EngineError`] (`Store` or `Corrupt`, naming the batch).
pub fn scan<E: From<EngineError>>(
    journal: &mut dyn Journal,
    partition: u32,
    after: u64,
    mut visit: impl FnMut(Position, &Record) -> Result<(), E>,
) -> Result<(), E> {
    scan_batches(journal, partition, after, |seq, body| {
        for (index, record) in body.records.iter().enumerate() {
            let at = Position {
                partition,
                seq,
                index: index as u32,
            };
            visit(at, record)?;
        }
        Ok(())
    })
}

/// [`scan`] a batch at a time (the projector also reads the balances a batch carries).
pub(crate) fn scan_batches<E: From<EngineError>>(
    journal: &mut dyn Journal,
    partition: u32,
    after: u64,
    mut visit: impl FnMut(u64, BatchBody) -> Result<(), E>,
) -> Result<(), E> {
    let mut stopped: Option<E> = None;
    let scanned = journal.scan(partition, after, &mut |seq, bytes| {
        let visited = match BatchBody::decode(bytes) {
            Ok(body) => visit(seq, body),
            Err(error) => Err(corrupt(partition, seq, &error).into()),
        };
        visited.map_err(|error| {
            stopped = Some(error);
            StoreError::Backend("the journal scan was stopped".into())
        })
    });
    match stopped {
        Some(error) => Err(error),
        None => scanned.map_err(|e| EngineError::Store(e).into()),
    }
}

/// One batch decoded; `None` if the partition has no such batch.
pub(crate) fn read_batch(
    journal: &mut dyn Journal,
    partition: u32,
    seq: u64,
) -> Result<Option<BatchBody>, EngineError> {
    let Some(bytes) = journal.read_batch(partition, seq)? else {
        return Ok(None);
    };
    let body = BatchBody::decode(&bytes).map_err(|e| corrupt(partition, seq, &e))?;
    Ok(Some(body))
}

fn corrupt(partition: u32, seq: u64, error: &dyn fmt::Display) -> EngineError {
    EngineError::Corrupt(format!("partition {partition} batch {seq}: {error}"))
}

/// Appends `records` as the partition's next batch, encoded as the engine encodes them: a
/// journal written by hand, for tests (a record that does not replay as journaled, a record
/// an older engine wrote). Returns the batch's sequence number. Never use it on a store an
/// engine is running on.
pub fn append(journal: &mut dyn Journal, partition: u32, records: Vec<Record>) -> Result<u64, EngineError> {
    let seq = journal.last_seq(partition)? + 1;
    let body = BatchBody {
        records,
        accounts: Vec::new(),
    };
    let mut bytes = Vec::new();
    body.encode(&mut bytes);
    journal.append(&[store::BatchRef {
        partition,
        seq,
        bytes: &bytes,
    }])?;
    Ok(seq)
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

/// The records of one batch; `None` if the partition has no such batch.
pub fn batch(journal: &mut dyn Journal, partition: u32, seq: u64) -> Result<Option<Vec<RecordView>>, EngineError> {
    let Some(body) = read_batch(journal, partition, seq)? else {
        return Ok(None);
    };
    let views = body
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            let at = Position {
                partition,
                seq,
                index: index as u32,
            };
            RecordView::of(at, record)
        })
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
