//! The settlement consumer: reads each partition's journal after settlement's watermark and
//! records which merchant (and plan terms) each authorized transaction is for, and every
//! capture and refund with its business day, with the watermark, in one transaction per chunk
//! of batches. Facts are keyed by their place in the journal, so a scan repeated after a crash
//! changes nothing.
//!
//! A `Captured` or `Refunded` event does not name the merchant: the store joins it with the
//! transaction's `Authorized` event (same partition, earlier or same batch).

use credit::calendar::Clock;
use credit::{Command, Event};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use store::SettlementStore;
use store::settlement::{FactKey, FactKind, FactRow, TxnMerchant};

use crate::error::EngineError;
use crate::journal::{Position, scan};
use crate::record::Record;

/// Records read before their rows are written (bounds memory when far behind).
const CHUNK: usize = 4096;

#[derive(Default)]
struct Pending {
    txns: Vec<TxnMerchant>,
    facts: Vec<FactRow>,
    records: usize,
    through: u64,
}

/// Scans every partition once; returns how many facts were recorded. `zone` decides business
/// days (the engine's `EngineConfig::zone`).
pub fn consume_once(
    journal: &mut dyn store::Journal,
    settlement: &mut dyn SettlementStore,
    zone: &TimeZone,
    partitions: u32,
) -> Result<usize, EngineError> {
    let clock = Clock::new(zone.clone());
    let mut recorded = 0;
    for partition in 0..partitions {
        let after = settlement.consumed(partition)?;
        let mut pending = Pending::default();
        scan(journal, partition, after, |at, record| {
            if at.index == 0 && pending.records >= CHUNK {
                recorded += flush(settlement, partition, &mut pending)?;
            }
            rows_of(at, record, &clock, &mut pending);
            pending.through = at.seq;
            Ok::<_, EngineError>(())
        })?;
        if pending.through > after {
            recorded += flush(settlement, partition, &mut pending)?;
        }
    }
    Ok(recorded)
}

fn flush(settlement: &mut dyn SettlementStore, partition: u32, pending: &mut Pending) -> Result<usize, EngineError> {
    settlement.record_facts(partition, pending.through, &pending.txns, &pending.facts)?;
    let count = pending.facts.len();
    pending.txns.clear();
    pending.facts.clear();
    pending.records = 0;
    Ok(count)
}

fn rows_of(at: Position, record: &Record, clock: &Clock, out: &mut Pending) {
    out.records += 1;
    if record.outcome.is_err() {
        return;
    }
    let mut day = None;
    let mut day = || {
        *day.get_or_insert_with(|| {
            let at = Timestamp::from_microsecond(record.at_us).unwrap_or(Timestamp::UNIX_EPOCH);
            clock.day_of(at).days()
        })
    };
    for (index, event) in record.events.iter().enumerate() {
        let key = FactKey {
            partition: at.partition,
            seq: at.seq,
            record: at.index,
            event: index as u32,
        };
        let (txn, kind, amount) = match event {
            Event::Authorized { txn, merchant, .. } => {
                out.txns.push(TxnMerchant {
                    txn: txn.0,
                    merchant: merchant.0,
                    terms: terms_of(record, *txn),
                });
                continue;
            }
            Event::Captured { txn, amount, .. } => (txn, FactKind::Capture, amount),
            Event::Refunded { txn, amount, .. } => (txn, FactKind::Refund, amount),
            _ => continue,
        };
        out.facts.push(FactRow {
            key,
            txn: txn.0,
            kind,
            amount_fen: amount.fen(),
            day: day(),
        });
    }
}

/// The plan terms the authorization of `txn` chose (0 without a plan).
fn terms_of(record: &Record, txn: credit::TxnId) -> u32 {
    match record.op.credit_command() {
        Some(Command::Authorize { txn: t, plan, .. }) if *t == txn => plan.as_ref().map_or(0, |p| p.periods),
        _ => 0,
    }
}
