//! Settlement's shell over a real store: the consumer reads hand-written journal records once,
//! a run stopped midway by an injected fault and resumed equals an uninterrupted run, payouts
//! queue through a provider outage and are paid once, and the settlement identity holds.

use credit::{AccountId, Day, Event, MerchantId, OpId, RefundSplit, TxnId};
use engine::settle::{self, Fault, NoSubsidies, SimulatedPayouts};
use engine::{Op, Record};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use money::Amount;
use store::settlement::{MerchantRow, PriceRow};
use store::sqlite::SqliteBackend;
use store::{Backend, SettlementStore};

const MERCHANTS: u64 = 40;
const DAYS: i32 = 3;

fn zone() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(8))
}

fn first_day() -> Day {
    Day::ymd(2026, 3, 2)
}

/// Noon in Shanghai of `first_day() + day`.
fn at_us(day: i32) -> i64 {
    let noon: Timestamp = "2026-03-02T04:00:00Z".parse().unwrap();
    noon.as_microsecond() + i64::from(day) * 86_400_000_000
}

fn record(at_us: i64, events: Vec<Event>) -> Record {
    Record {
        at_us,
        op: Op::Refused,
        outcome: Ok(()),
        events,
        idempotency: None,
        risk: None,
        notices: Vec::new(),
    }
}

fn authorized(txn: u64, merchant: u64, amount: i64) -> Event {
    Event::Authorized {
        account: AccountId(1),
        txn: TxnId(txn),
        merchant: MerchantId(merchant),
        amount: Amount::from_fen(amount),
        expires_on: first_day().add(7),
        available: Amount::ZERO,
    }
}

fn captured(txn: u64, amount: i64) -> Event {
    Event::Captured {
        account: AccountId(1),
        txn: TxnId(txn),
        amount: Amount::from_fen(amount),
        released: Amount::ZERO,
        plan: None,
    }
}

fn refunded(txn: u64, amount: i64) -> Event {
    Event::Refunded {
        account: AccountId(1),
        txn: TxnId(txn),
        op: OpId(txn + 1_000_000),
        amount: Amount::from_fen(amount),
        split: RefundSplit::default(),
    }
}

/// Captures for every merchant every day on two partitions; every fifth merchant refunds more
/// than it sells on day 1 (a negative balance carried).
fn journal_of(backend: &dyn Backend) -> (i64, i64) {
    let mut journal = backend.journal().unwrap();
    let (mut captured_total, mut refunded_total) = (0, 0);
    for day in 0..DAYS {
        for partition in 0..2u32 {
            let mut records = Vec::new();
            for merchant in (1..=MERCHANTS).filter(|m| (*m % 2) as u32 == partition) {
                let txn = (u64::from(day as u32) * 1_000 + merchant) << 8 | u64::from(partition);
                let amount = 10_000 + merchant as i64 * 37 + i64::from(day) * 101;
                records.push(record(at_us(day), vec![authorized(txn, merchant, amount)]));
                records.push(record(at_us(day) + 1, vec![captured(txn, amount)]));
                captured_total += amount;
                if day == 1 && merchant % 5 == 0 {
                    let first = merchant << 8 | u64::from(partition);
                    records.push(record(
                        at_us(day) + 2,
                        vec![refunded(first, 10_000), refunded(txn, amount)],
                    ));
                    refunded_total += 10_000 + amount;
                }
            }
            engine::journal::append(journal.as_mut(), partition, records).unwrap();
        }
    }
    (captured_total, refunded_total)
}

fn prepare(backend: &dyn Backend) -> (Box<dyn SettlementStore>, (i64, i64)) {
    let totals = journal_of(backend);
    let mut store = backend.settlement().unwrap();
    let default = PriceRow {
        scope: "default".into(),
        effective_from: first_day().days(),
        discount_ppm: 6_000,
        fixed_fee_fen: 30,
    };
    store.put_price(&default).unwrap();
    store
        .put_price(&PriceRow {
            scope: "merchant:3".into(),
            discount_ppm: 0,
            ..default
        })
        .unwrap();
    store
        .put_merchant(&MerchantRow {
            merchant: 7,
            category: None,
            delay_days: 1,
            reserve_ppm: 50_000,
            reserve_days: 2,
            receivable_limit_fen: 0,
        })
        .unwrap();
    let mut journal = backend.journal().unwrap();
    let facts = settle::consume_once(journal.as_mut(), store.as_mut(), &zone(), 2).unwrap();
    assert_eq!(
        facts,
        settle::consume_once(journal.as_mut(), store.as_mut(), &zone(), 2).unwrap() + facts
    );
    (store, totals)
}

fn last_day() -> Day {
    first_day().add(DAYS - 1)
}

#[test]
fn the_consumer_records_each_fact_once_on_its_business_day() {
    let backend = store::memory::MemoryBackend::new();
    let (mut store, _) = prepare(&backend);
    let day0 = store.day_facts(first_day().days()).unwrap();
    assert_eq!(day0.len(), MERCHANTS as usize);
    assert!(day0.iter().all(|f| f.merchant.is_some()));
    let day1 = store.day_facts(first_day().days() + 1).unwrap();
    assert_eq!(day1.len(), MERCHANTS as usize + 16, "8 merchants refund twice");
    assert_eq!(store.first_fact_day().unwrap(), Some(first_day().days()));
}

/// A run stopped after 25 merchant days, resumed, gives what an uninterrupted run gives; the
/// payouts go out once through an outage; captured − refunded − fees = paid out + balances.
#[test]
fn a_crashed_run_resumes_without_paying_twice() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let clean_backend = SqliteBackend::open(dirs[0].path()).unwrap();
    let crash_backend = SqliteBackend::open(dirs[1].path()).unwrap();
    let (mut clean, totals) = prepare(&clean_backend);
    let (mut crashed, _) = prepare(&crash_backend);

    let report = settle::run_through(clean.as_mut(), last_day(), &NoSubsidies, Fault::default()).unwrap();
    assert_eq!(report.days.len(), DAYS as usize);
    assert!(report.unattributed.is_empty());

    let stop = Fault {
        stop_after_merchants: Some(25),
    };
    let err = settle::run_through(crashed.as_mut(), last_day(), &NoSubsidies, stop).unwrap_err();
    assert!(matches!(err, settle::RunError::Injected(25)), "{err}");
    let stop_again = Fault {
        stop_after_merchants: Some(30),
    };
    assert!(settle::run_through(crashed.as_mut(), last_day(), &NoSubsidies, stop_again).is_err());
    let resumed = settle::run_through(crashed.as_mut(), last_day(), &NoSubsidies, Fault::default()).unwrap();
    assert_eq!(
        resumed.already, 30,
        "day 0's merchant days the stopped runs wrote are skipped"
    );

    let all = |s: &mut dyn SettlementStore| s.settlements(0, last_day().days()).unwrap();
    assert_eq!(all(clean.as_mut()), all(crashed.as_mut()));
    assert_eq!(
        clean.ledger_by_day(last_day().days()).unwrap(),
        crashed.ledger_by_day(last_day().days()).unwrap()
    );
    assert_eq!(
        clean.payouts("pending", 1_000).unwrap(),
        crashed.payouts("pending", 1_000).unwrap()
    );
    assert_eq!(
        settle::run_through(crashed.as_mut(), last_day(), &NoSubsidies, Fault::default()).unwrap(),
        Default::default(),
        "nothing left to run"
    );

    let mut provider = SimulatedPayouts::new(0);
    provider.down = true;
    let queued = settle::pay_out(crashed.as_mut(), &mut provider, last_day(), 10_000).unwrap();
    let pending = crashed.payouts("pending", 10_000).unwrap();
    assert_eq!(queued.queued, pending.len(), "an outage queues every payout");
    provider.down = false;
    let paid = settle::pay_out(crashed.as_mut(), &mut provider, last_day(), 10_000).unwrap();
    let again = settle::pay_out(crashed.as_mut(), &mut provider, last_day(), 10_000).unwrap();
    assert_eq!(again, Default::default(), "paid once");
    let owed: i64 = pending.iter().map(|p| p.amount_fen).sum();
    assert_eq!(paid.paid.fen(), owed);
    assert_eq!(provider.paid_total().fen(), owed);

    let rows = all(crashed.as_mut());
    let fees: i64 = rows.iter().map(|r| r.fees_fen).sum();
    let paid_out: i64 = rows.iter().map(|r| r.payout_fen).sum();
    let balances: i64 = crashed.balances().unwrap().iter().map(|b| b.balance_fen).sum();
    assert_eq!(
        totals.0 - totals.1 - fees,
        paid_out + balances,
        "the settlement identity"
    );
    assert!(
        rows.iter().any(|r| r.balance_after_fen < 0),
        "a negative balance is carried"
    );
    let m7: Vec<i64> = rows.iter().filter(|r| r.merchant == 7).map(|r| r.held_fen).collect();
    assert!(
        m7.iter().all(|h| *h > 0),
        "merchant 7's delay and reserve hold money back: {m7:?}"
    );
    let trial: i64 = crashed
        .ledger_by_day(last_day().days())
        .unwrap()
        .iter()
        .map(|d| d.debits_fen - d.credits_fen)
        .sum();
    assert_eq!(trial, 0, "the settlement ledger balances on its own");
}

/// A failed payout puts its money back in the merchant's balance and the next run pays it.
#[test]
fn a_failed_payout_is_paid_again_by_a_later_run() {
    let backend = store::memory::MemoryBackend::new();
    let (mut store, _) = prepare(&backend);
    settle::run_through(store.as_mut(), first_day(), &NoSubsidies, Fault::default()).unwrap();
    let mut provider = SimulatedPayouts::new(1);
    let report = settle::pay_out(store.as_mut(), &mut provider, first_day(), 10_000).unwrap();
    assert!(report.paid.is_zero() && report.failed.is_positive());
    let owed: i64 = store.balances().unwrap().iter().map(|b| b.balance_fen.max(0)).sum();
    let held: i64 = store
        .settlements(first_day().days(), first_day().days())
        .unwrap()
        .iter()
        .map(|r| r.balance_after_fen.max(0))
        .sum();
    assert!(held > 0, "merchant 7's reserve");
    assert_eq!(owed, report.failed.fen() + held, "back in the merchants' balances");
    settle::run_through(store.as_mut(), first_day().next(), &NoSubsidies, Fault::default()).unwrap();
    let mut provider = SimulatedPayouts::new(0);
    let report = settle::pay_out(store.as_mut(), &mut provider, first_day().next(), 10_000).unwrap();
    let day1: i64 = store
        .settlements(first_day().days() + 1, first_day().days() + 1)
        .unwrap()
        .iter()
        .map(|r| r.captured_fen - r.refunded_fen - r.fees_fen)
        .sum();
    assert!(report.paid.fen() > day1, "day 0's failed money is paid with day 1's");
}
