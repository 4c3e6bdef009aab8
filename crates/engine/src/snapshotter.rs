//! The snapshot thread: encodes partition snapshots and saves them once the journal is durable
//! up to their sequence (a snapshot must never get ahead of the journal).
//!
//! Format: postcard is not self-describing, so a snapshot says which format it is. Format 1
//! (before funding state) is the bare postcard of [`PartitionSnapshot`]'s fields. Format 2 is
//! [`MAGIC`], the version byte, the same fields, then the funding state. Format 3 adds the
//! merchants' payment references after the funding state. Format 4 is format 3 with each credit
//! account's totals appended to the account (`credit::Totals`); formats 1 to 3 decode their
//! accounts through `credit::legacy`. `MAGIC` is ten 0xFF bytes, which no
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
const VERSION: u8 = 4;
/// The format before the accounts' totals.
const REFERENCES: u8 = 3;
/// The format before references.
const FUNDING_ONLY: u8 = 2;

/// A snapshot before format 4: accounts without totals.
type Legacy = PartitionSnapshot<credit::legacy::BookStateV1>;

pub(crate) fn encode(state: &PartitionSnapshot) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = MAGIC.to_vec();
    bytes.push(VERSION);
    let bytes = postcard::to_extend(state, bytes)?;
    let bytes = postcard::to_extend(&state.funding, bytes)?;
    postcard::to_extend(&state.references, bytes)
}

pub(crate) fn decode(bytes: &[u8]) -> Result<PartitionSnapshot, postcard::Error> {
    let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
        return postcard::from_bytes::<Legacy>(bytes).map(Legacy::upgrade);
    };
    match rest.split_first() {
        Some((&FUNDING_ONLY, rest)) => {
            let (mut state, rest): (Legacy, _) = postcard::take_from_bytes(rest)?;
            state.funding = postcard::from_bytes(rest)?;
            Ok(state.upgrade())
        }
        Some((&REFERENCES, rest)) => {
            let (mut state, rest): (Legacy, _) = postcard::take_from_bytes(rest)?;
            let (funding, rest) = postcard::take_from_bytes(rest)?;
            state.funding = funding;
            state.references = postcard::from_bytes(rest)?;
            Ok(state.upgrade())
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

/// A format-4 snapshot rewritten as format 3 (its accounts without their totals), as an engine
/// before format 4 would have written the same state: for tests that restart a store from an
/// older snapshot. `None` for bytes that are not format 4.
#[doc(hidden)]
pub fn as_format_3(bytes: &[u8]) -> Option<Vec<u8>> {
    bytes.strip_prefix(MAGIC.as_slice())?.strip_prefix(&[VERSION])?;
    let state = decode(bytes).ok()?;
    let legacy = Legacy {
        seq: state.seq,
        book: credit::legacy::BookStateV1::from(&state.book),
        txn_counter: state.txn_counter,
        link_counter: state.link_counter,
        txns: state.txns,
        links: state.links,
        idempotency: state.idempotency,
        profiles: state.profiles,
        watches: state.watches,
        cases: state.cases,
        case_counter: state.case_counter,
        funding: state.funding,
        references: state.references,
    };
    let out = postcard::to_extend(&legacy, [MAGIC.as_slice(), &[REFERENCES]].concat()).ok()?;
    let out = postcard::to_extend(&legacy.funding, out).ok()?;
    postcard::to_extend(&legacy.references, out).ok()
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

    /// A partition whose one account dropped statements and had a theft exempted.
    fn state_with_totals() -> PartitionSnapshot {
        let mut state = state();
        let day = credit::Day::ymd(2026, 1, 10);
        let mut account = credit::Account::open(credit::AccountId(3), money::Amount::from_fen(900_000), 5, day);
        account.last_seq = 30;
        account.exempt.push(credit::TxnId(259));
        account.totals.costs_from = 1;
        account.totals.waived.exemptions = 1;
        account.totals.waived.fees = money::Amount::from_fen(1_234);
        account.totals.dropped_years.push(credit::YearCosts {
            year: 2026,
            waived: money::Amount::from_fen(5),
            ..credit::YearCosts::default()
        });
        state.book.accounts.push(account);
        state.references = vec![(
            credit::TxnId(259),
            crate::reference::Reference::parse("order-9").unwrap(),
        )];
        state
    }

    #[test]
    fn format_4_keeps_the_accounts_totals() {
        let new = state_with_totals();
        let decoded = decode(&encode(&new).unwrap()).unwrap();
        assert_eq!(decoded.book, new.book);
        assert_eq!(decoded.references, new.references);
    }

    #[test]
    fn a_format_3_snapshot_decodes_its_accounts_with_the_totals_they_can_have() {
        let new = state_with_totals();
        let old = as_format_3(&encode(&new).unwrap()).unwrap();
        assert_eq!(old[MAGIC.len()], REFERENCES);
        let decoded = decode(&old).unwrap();
        assert_eq!(
            decoded.references, new.references,
            "what follows the fields still reads"
        );
        let account = &decoded.book.accounts[0];
        // 30 statements closed, none kept: the years count from the 31st; the exemption
        // before the snapshot is not counted and says so.
        assert_eq!(account.totals.costs_from, 31);
        assert!(account.totals.waived.incomplete);
        assert_eq!(account.totals.waived.exemptions, 0);
        assert!(account.totals.dropped_years.is_empty());
        let mut expected = new.book.accounts[0].clone();
        expected.totals = account.totals.clone();
        assert_eq!(*account, expected, "every other field as it was");
        // Read as the current format, the same bytes would be wrong: the version decides.
        let mut misread = old.clone();
        misread[MAGIC.len()] = VERSION;
        assert!(decode(&misread).map_or(true, |s| s.book != new.book));
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
