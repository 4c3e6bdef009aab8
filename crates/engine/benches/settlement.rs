//! Settlement of 1,000 merchants × 1,000,000 captures on the SQLite store: the journal is
//! written by hand (one record per authorization + capture, 1,000 records a batch, 8
//! partitions, over 10 business days), then the consumer, the daily runs and the payouts are
//! timed. One run: `cargo bench -p engine --bench settlement` (BENCHMARKS.md, "Settlement").
//! `IOU_SETTLE_CAPTURES` sets another count.

use std::time::Instant;

use credit::{AccountId, Day, Event, MerchantId, TxnId};
use engine::settle::{self, Fault, NoSubsidies, SimulatedPayouts};
use engine::{Op, Record};
use jiff::Timestamp;
use money::Amount;
use store::Backend;
use store::settlement::PriceRow;
use store::sqlite::SqliteBackend;

const MERCHANTS: u64 = 1_000;
const PARTITIONS: u32 = 8;
const DAYS: u64 = 10;
const BATCH: u64 = 1_000;

fn record(at_us: i64, txn: u64, merchant: u64, amount: i64) -> Record {
    let amount = Amount::from_fen(amount);
    Record {
        at_us,
        op: Op::Refused,
        outcome: Ok(()),
        events: vec![
            Event::Authorized {
                account: AccountId(txn),
                txn: TxnId(txn),
                merchant: MerchantId(merchant),
                amount,
                expires_on: Day::ymd(2026, 4, 1),
                available: Amount::ZERO,
            },
            Event::Captured {
                account: AccountId(txn),
                txn: TxnId(txn),
                amount,
                released: Amount::ZERO,
                plan: None,
            },
        ],
        idempotency: None,
        risk: None,
        notices: Vec::new(),
    }
}

fn main() {
    let captures: u64 = std::env::var("IOU_SETTLE_CAPTURES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(dir.path()).unwrap();
    let mut journal = backend.journal().unwrap();
    let noon: Timestamp = "2026-03-02T04:00:00Z".parse().unwrap();
    let started = Instant::now();
    let per_day = captures / DAYS;
    for n in (0..captures).step_by(BATCH as usize) {
        let partition = ((n / BATCH) % u64::from(PARTITIONS)) as u32;
        let day = (n / per_day.max(1)).min(DAYS - 1);
        let at_us = noon.as_microsecond() + (day * 86_400_000_000) as i64;
        let records = (n..(n + BATCH).min(captures))
            .map(|i| {
                record(
                    at_us,
                    (i << 8) | u64::from(partition),
                    i % MERCHANTS + 1,
                    5_000 + (i % 997) as i64,
                )
            })
            .collect();
        engine::journal::append(journal.as_mut(), partition, records).unwrap();
    }
    println!(
        "journal of {captures} captures written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut store = backend.settlement().unwrap();
    store
        .put_price(&PriceRow {
            scope: "default".into(),
            effective_from: Day::ymd(2026, 1, 1).days(),
            discount_ppm: 6_000,
            fixed_fee_fen: 30,
        })
        .unwrap();
    let zone = engine::EngineConfig::default().zone;
    let t = Instant::now();
    let facts = settle::consume_once(journal.as_mut(), store.as_mut(), &zone, PARTITIONS).unwrap();
    let consume_s = t.elapsed().as_secs_f64();
    let last = Day::ymd(2026, 3, 2).add(DAYS as i32 - 1);
    let t = Instant::now();
    let report = settle::run_through(store.as_mut(), last, &NoSubsidies, Fault::default()).unwrap();
    let run_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let paid = settle::pay_out(store.as_mut(), &mut SimulatedPayouts::new(0), last, usize::MAX).unwrap();
    let pay_s = t.elapsed().as_secs_f64();
    assert_eq!(facts as u64, captures);
    assert_eq!(report.settled as u64, MERCHANTS * DAYS);
    println!(
        "consume {facts} facts: {consume_s:.2} s ({:.0}/s); run {} days x {MERCHANTS} merchants: {run_s:.2} s; pay {} payouts ({}): {pay_s:.2} s",
        facts as f64 / consume_s,
        report.days.len(),
        report.settled,
        paid.paid
    );
}
