//! The outbox scanner, a journal consumer like the projector: reads each partition's journal
//! after the outbox's watermark and records its notices (every one, for read.db's `notices`
//! table) and the deliveries of the merchant-facing ones, with the watermark, in one
//! transaction per chunk of batches.
//!
//! What a notice's row and a delivery's payload say is the caller's ([`NoticeText`]: the API
//! writes them as JSON, and knows which merchants have a webhook); the engine decides which
//! records give which rows, where they sit, and how far the outbox has read.

use credit::MerchantId;
use store::Outbox;
use store::outbox::{NewDelivery, NoticeKey, NoticeRow};

use crate::cases::Notice;
use crate::error::EngineError;
use crate::journal::{Position, scan};
use crate::record::Record;

/// Records read before their rows are recorded (bounds memory when far behind).
const CHUNK: usize = 4096;

/// How notices are written down: the `notices.body` column, and a merchant's webhook payload.
pub trait NoticeText {
    /// The notice as the `notices.body` column keeps it (`record` is the one that made it).
    fn body(&self, notice: &Notice, record: &Record) -> String;
    /// What `merchant` receives for the notice, or `None` when it gets no delivery (it has no
    /// webhook at scan time).
    fn payload(&self, key: NoticeKey, notice: &Notice, merchant: MerchantId, at_ms: i64) -> Option<String>;
}

#[derive(Default)]
struct Pending {
    notices: Vec<NoticeRow>,
    deliveries: Vec<NewDelivery>,
    records: usize,
    through: u64,
}

/// Scans every partition once; returns how many notices were recorded.
pub fn scan_once(
    journal: &mut dyn store::Journal,
    outbox: &mut dyn Outbox,
    text: &dyn NoticeText,
    partitions: u32,
) -> Result<usize, EngineError> {
    let mut recorded = 0;
    for partition in 0..partitions {
        let after = outbox.scanned(partition)?;
        let mut pending = Pending::default();
        scan(journal, partition, after, |at, record| {
            // A batch's records are all seen before the next batch's: flush at a batch's start.
            if at.index == 0 && pending.records >= CHUNK {
                recorded += flush(outbox, partition, &mut pending)?;
            }
            rows_of(at, record, text, &mut pending);
            pending.through = at.seq;
            Ok::<_, EngineError>(())
        })?;
        if pending.through > after {
            recorded += flush(outbox, partition, &mut pending)?;
        }
    }
    Ok(recorded)
}

fn flush(outbox: &mut dyn Outbox, partition: u32, pending: &mut Pending) -> Result<usize, EngineError> {
    outbox.record(partition, pending.through, &pending.notices, &pending.deliveries)?;
    let count = pending.notices.len();
    pending.notices.clear();
    pending.deliveries.clear();
    pending.records = 0;
    Ok(count)
}

fn rows_of(at: Position, record: &Record, text: &dyn NoticeText, out: &mut Pending) {
    out.records += 1;
    let at_ms = record.at_us.div_euclid(1000);
    for (index, notice) in record.notices.iter().enumerate() {
        let key = NoticeKey {
            partition: at.partition,
            seq: at.seq,
            record: at.index,
            notice: index as u32,
        };
        out.notices.push(NoticeRow {
            key,
            at_ms,
            kind: notice.name().to_owned(),
            account: notice.account().0,
            merchant: notice.merchant().map(|m| m.0),
            txn: txn_of(notice).map(|t| t.0),
            case: case_of(notice).map(|c| c.0),
            body: text.body(notice, record),
        });
        let Some(merchant) = notice.merchant() else { continue };
        let Some(body) = text.payload(key, notice, merchant, at_ms) else {
            continue;
        };
        out.deliveries.push(NewDelivery {
            key,
            merchant: merchant.0,
            event: notice.name().to_owned(),
            body,
            created_ms: at_ms,
        });
    }
}

fn txn_of(notice: &Notice) -> Option<credit::TxnId> {
    match notice {
        Notice::Intercepted { txn, .. } | Notice::Delivered { txn, .. } => Some(*txn),
        Notice::CaseOpened { txns, .. } => txns.first().copied(),
        Notice::CaseResolved { .. } => None,
    }
}

fn case_of(notice: &Notice) -> Option<crate::ids::CaseId> {
    match notice {
        Notice::Intercepted { case, .. } | Notice::CaseOpened { case, .. } | Notice::CaseResolved { case, .. } => {
            Some(*case)
        }
        Notice::Delivered { .. } => None,
    }
}
