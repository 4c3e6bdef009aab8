//! The snapshot thread: encodes partition snapshots and saves them once the journal is durable
//! up to their sequence (a snapshot must never get ahead of the journal).
//!
//! Format: postcard is not self-describing, so a snapshot says which format it is. Format 1
//! (before funding state) is the bare postcard of [`PartitionSnapshot`]'s fields. Format 2 is
//! [`MAGIC`], the version byte, the same fields, then the funding state. Format 3 adds the
//! merchants' payment references after the funding state. `MAGIC` is ten 0xFF bytes, which no
//! format-1 snapshot can start with (its first field is a postcard varint, and ten 0xFF bytes
//! are not one). An older format decodes with the state it lacks empty, which is what it held:
//! no engine that wrote format 1 kept funding operations, none that wrote format 2 journaled a
//! reference (an older engine cannot read `Op::Authorize`, so it never snapshots past one). A
//! snapshot that decodes in no known format is not fatal: recovery replays that partition's
//! journal from the start instead (see `recovery`).

use std::sync::Arc;
use std::sync::mpsc::Receiver;

use store::{Journal, Snapshot};

use crate::partition::PartitionSnapshot;
use crate::shared::Shared;

pub(crate) struct SnapshotJob {
    pub partition: u32,
    pub state: PartitionSnapshot,
}

pub(crate) fn run(inbox: Receiver<SnapshotJob>, mut journal: Box<dyn Journal>, shared: Arc<Shared>) {
    while let Ok(job) = inbox.recv() {
        let seq = job.state.seq;
        if !shared.wait_committed(job.partition, seq) {
            return;
        }
        let bytes = match encode(&job.state) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(%error, partition = job.partition, "snapshot does not encode");
                continue;
            }
        };
        let snapshot = Snapshot {
            partition: job.partition,
            seq,
            bytes,
        };
        match journal.save_snapshot(&snapshot) {
            Ok(()) => tracing::info!(
                partition = job.partition,
                seq,
                size = snapshot.bytes.len(),
                "snapshot saved"
            ),
            Err(error) => tracing::warn!(%error, partition = job.partition, "snapshot not saved"),
        }
    }
}

/// Marks a snapshot of format 2 or later (see the module docs).
const MAGIC: [u8; 10] = [0xFF; 10];
/// The format written now.
const VERSION: u8 = 3;
/// The format before references.
const FUNDING_ONLY: u8 = 2;

pub(crate) fn encode(state: &PartitionSnapshot) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = MAGIC.to_vec();
    bytes.push(VERSION);
    let bytes = postcard::to_extend(state, bytes)?;
    let bytes = postcard::to_extend(&state.funding, bytes)?;
    postcard::to_extend(&state.references, bytes)
}

pub(crate) fn decode(bytes: &[u8]) -> Result<PartitionSnapshot, postcard::Error> {
    let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
        return postcard::from_bytes(bytes);
    };
    match rest.split_first() {
        Some((&FUNDING_ONLY, rest)) => {
            let (mut state, rest): (PartitionSnapshot, _) = postcard::take_from_bytes(rest)?;
            state.funding = postcard::from_bytes(rest)?;
            Ok(state)
        }
        Some((&VERSION, rest)) => {
            let (mut state, rest): (PartitionSnapshot, _) = postcard::take_from_bytes(rest)?;
            let (funding, rest) = postcard::take_from_bytes(rest)?;
            state.funding = funding;
            state.references = postcard::from_bytes(rest)?;
            Ok(state)
        }
        _ => Err(postcard::Error::DeserializeBadEncoding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funding::{Funding, FundingKind, FundingSnapshot, FundingStatus};
    use crate::partition::Partition;

    fn state() -> PartitionSnapshot {
        let product = credit::Product::default();
        Partition::new(3, product, jiff::tz::TimeZone::UTC, None).snapshot()
    }

    #[test]
    fn a_format_1_snapshot_still_decodes_with_no_funding_state() {
        let mut old = state();
        old.seq = 41;
        // Format 1 was the bare postcard of the same fields (the funding field is skipped).
        let bytes = postcard::to_stdvec(&old).unwrap();
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.seq, 41);
        assert_eq!(decoded.funding, FundingSnapshot::default());
    }

    #[test]
    fn a_format_2_snapshot_still_decodes_with_its_funding_and_no_references() {
        let mut old = state();
        old.funding.counter = 7;
        // Format 2: the magic, its version, the fields, then the funding state.
        let mut bytes = MAGIC.to_vec();
        bytes.push(FUNDING_ONLY);
        let bytes = postcard::to_extend(&old, bytes).unwrap();
        let bytes = postcard::to_extend(&old.funding, bytes).unwrap();
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.funding.counter, 7);
        assert!(decoded.references.is_empty());
    }

    #[test]
    fn format_3_keeps_the_references() {
        let mut new = state();
        let reference = crate::reference::Reference::parse("order-7").unwrap();
        new.references = vec![(credit::TxnId(259), reference)];
        let decoded = decode(&encode(&new).unwrap()).unwrap();
        assert_eq!(decoded.references, new.references);
    }

    #[test]
    fn the_current_format_keeps_the_funding_state_and_refuses_unknown_versions() {
        let mut new = state();
        new.funding = FundingSnapshot {
            counter: 2,
            fundings: vec![Funding {
                id: 515,
                account: credit::AccountId(9),
                kind: FundingKind::Payout,
                amount: money::Amount::from_fen(700),
                status: FundingStatus::Pending,
                provider_ref: None,
                reason: None,
                external_reference: None,
                plan: None,
                started_us: 1,
                updated_us: 1,
                allocation: None,
            }],
        };
        let bytes = encode(&new).unwrap();
        assert_eq!(decode(&bytes).unwrap().funding, new.funding);
        let mut future = bytes.clone();
        future[MAGIC.len()] = VERSION + 1;
        assert!(decode(&future).is_err(), "a newer format is not guessed at");
    }
}
