//! A customer's transactions as operators read them (Customer 360): a page of the read models'
//! authorizations with what became of them, each with the risk decision journaled with it. The
//! read model names the journal batch of each authorization, so a page costs one indexed read
//! of `read.db` and one journal batch read per distinct batch on it; nothing is added to the
//! authorization path (the decision was journaled anyway).

use std::collections::BTreeMap;

use credit::{AccountId, Command, TxnId};
use jiff::Timestamp;
use store::views::TxnRow;
use store::{Journal, ReadModels};

use crate::batches::read_batch;
use crate::error::EngineError;
use crate::risk::RiskRecord;

/// The most transactions one page holds.
pub const PAGE_MAX: usize = 100;

/// One authorization, what became of it, and the decision behind it.
#[derive(Clone, Debug)]
pub struct Transaction {
    pub row: TxnRow,
    /// When the authorization was journaled.
    pub at: Timestamp,
    /// The decision journaled with the authorization (`None` if it passed no checkpoint, or its
    /// batch is no longer in the journal).
    pub risk: Option<RiskRecord>,
}

/// Up to `limit` (at most [`PAGE_MAX`]) of `account`'s authorizations, newest first, with ids
/// below `before` when given.
pub fn page(
    read: &mut dyn ReadModels,
    journal: &mut dyn Journal,
    account: AccountId,
    before: Option<TxnId>,
    limit: usize,
) -> Result<Vec<Transaction>, EngineError> {
    let rows = store::views::transactions(read, account.0, before.map(|t| t.0), limit.min(PAGE_MAX))?;
    let mut decisions: BTreeMap<u64, (i64, Option<RiskRecord>)> = BTreeMap::new();
    let mut batches: Vec<(u32, u64)> = rows.iter().map(|r| (r.partition, r.seq)).collect();
    batches.sort_unstable();
    batches.dedup();
    for (partition, seq) in batches {
        let Some(body) = read_batch(journal, partition, seq)? else {
            continue;
        };
        for record in body.records {
            if let Some(Command::Authorize { txn, .. }) = record.op.credit_command() {
                decisions.insert(txn.0, (record.at_us, record.risk));
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let (at_us, risk) = decisions
                .remove(&row.txn)
                .unwrap_or((row.authorized_at_ms.saturating_mul(1_000), None));
            Transaction {
                at: Timestamp::from_microsecond(at_us).unwrap_or(Timestamp::UNIX_EPOCH),
                row,
                risk,
            }
        })
        .collect())
}
