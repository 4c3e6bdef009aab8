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

use serde::Serialize;
use store::Journal;

pub use crate::batches::{append, scan};
pub(crate) use crate::batches::{read_batch, scan_projected};
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::partition::{Partition, PartitionSnapshot};
pub use crate::view::{Divergence, Position, RecordView, outcome_text};
pub(crate) use crate::view::{at_of, record_account};

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
        state.references.sort_by_key(|(t, _)| *t);
        // The references are encoded after the fields (see `PartitionSnapshot`).
        let bytes = postcard::to_stdvec(&(&state, &state.references)).unwrap_or_default();
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
        let parts: [(&str, Vec<u8>, Vec<u8>); 8] = [
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
            ("references", encoded(&a.references), encoded(&b.references)),
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
