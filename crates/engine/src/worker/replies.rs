//! What a partition's writer answers: the reply a journaled record gives, the stored reply of
//! an earlier request with the same key, why a risk decision stops its request, and an
//! account's journaled records (a theft's evidence and an exemption's history).

use credit::AccountId;
use jiff::Timestamp;
use store::Journal;

use super::Worker;
use crate::clock::journal_time;
use crate::idempotency::Seen;
use crate::record::{BatchBody, Record};
use crate::rejection::EngineRejection;
use crate::request::{Outcome, Reply};

impl Worker {
    /// The reply stored for an earlier request: from the open batch, the recent ones, or the
    /// journal.
    pub(super) fn stored_reply(&mut self, seen: Seen) -> Reply {
        let from = |body: &BatchBody| body.records.get(seen.index as usize).cloned();
        let record = if seen.seq == self.partition.seq + 1 {
            from(&self.open)
        } else if let Some((_, body)) = self.recent.iter().find(|(s, _)| *s == seen.seq) {
            from(body)
        } else {
            crate::journal::read_batch(self.journal.as_mut(), self.partition.id, seen.seq)
                .ok()
                .flatten()
                .and_then(|body| from(&body))
        };
        match record {
            Some(record) => reply_of(self.partition.id, seen.seq, seen.index, &record, true),
            None => Reply {
                partition: self.partition.id,
                seq: seen.seq,
                index: seen.index,
                at: journal_time(self.clock.now()),
                outcome: Outcome::Rejected {
                    rejection: EngineRejection::ReplyUnavailable,
                },
                replayed: true,
                risk: None,
            },
        }
    }
}

/// The reply a record gives.
pub(crate) fn reply_of(partition: u32, seq: u64, index: u32, record: &Record, replayed: bool) -> Reply {
    let outcome = match &record.outcome {
        Ok(()) => Outcome::Applied {
            op: record.op.clone(),
            events: record.events.clone(),
        },
        Err(rejection) => Outcome::Rejected { rejection: *rejection },
    };
    let at = Timestamp::from_microsecond(record.at_us).unwrap_or(Timestamp::UNIX_EPOCH);
    let risk = record.risk.clone().map(Box::new);
    Reply {
        partition,
        seq,
        index,
        at,
        outcome,
        replayed,
        risk,
    }
}

/// Every journaled record of an account, in order, with its time (a fraud exemption's history
/// and a theft report's evidence come from these).
pub(super) fn read_records(journal: &mut dyn Journal, partition: u32, account: AccountId) -> Vec<(Timestamp, Record)> {
    let mut records = Vec::new();
    let result = crate::journal::scan(journal, partition, 0, |_, record| {
        if crate::journal::record_account(record) == Some(account) {
            records.push((crate::journal::at_of(record), record.clone()));
        }
        Ok::<_, crate::EngineError>(())
    });
    if let Err(error) = result {
        tracing::error!(%error, partition, "reading an account's journal failed");
    }
    records
}
