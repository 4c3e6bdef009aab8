//! Conformance checks of the [`SettlementStore`]: idempotent fact recording with its watermark,
//! the day's facts joined with their merchants, a merchant's day settled once with its
//! postings, payout and balance, payouts moved by compare-and-set, pricing rules never edited,
//! the ledger summed by day and account.

use crate::settlement::{
    DayBalance, FactKey, FactKind, FactRow, MerchantRow, PayoutMove, PayoutRow, PostingRow, PriceRow, SettledDay,
    SettlementRow, SettlementStore, TxnMerchant,
};

fn fact(seq: u64, event: u32, txn: u64, kind: FactKind, amount_fen: i64, day: i32) -> FactRow {
    FactRow {
        key: FactKey {
            partition: 2,
            seq,
            record: 0,
            event,
        },
        txn,
        kind,
        amount_fen,
        day,
    }
}

fn posting(day: i32, account: &str, amount_fen: i64) -> PostingRow {
    PostingRow {
        day,
        merchant: 9,
        kind: "fee".into(),
        account: account.into(),
        amount_fen,
    }
}

/// Recording a scan twice keeps one fact per key; facts come back by day with their merchant
/// (none for a transaction no authorization named); the watermark never goes back.
pub fn facts_are_idempotent_and_joined(name: &str, store: &mut dyn SettlementStore) {
    assert_eq!(store.consumed(2).unwrap(), 0, "{name}: nothing consumed yet");
    assert_eq!(store.first_fact_day().unwrap(), None, "{name}");
    let txns = [TxnMerchant {
        txn: 258,
        merchant: 9,
        terms: 3,
    }];
    let facts = [
        fact(1, 1, 258, FactKind::Capture, 10_000, 100),
        fact(2, 0, 258, FactKind::Refund, 400, 101),
        fact(2, 1, 514, FactKind::Capture, 700, 101),
    ];
    store.record_facts(2, 2, &txns, &facts).unwrap();
    store.record_facts(2, 2, &txns, &facts[..1]).unwrap();
    store
        .record_facts(
            2,
            1,
            &[TxnMerchant {
                txn: 258,
                merchant: 1,
                terms: 6,
            }],
            &[],
        )
        .unwrap();
    assert_eq!(store.consumed(2).unwrap(), 2, "{name}: a watermark never goes back");
    assert_eq!(store.first_fact_day().unwrap(), Some(100), "{name}");
    assert_eq!(store.consumed(3).unwrap(), 0, "{name}: watermarks are per partition");
    let day = store.day_facts(100).unwrap();
    assert_eq!(day.len(), 1, "{name}: {day:?}");
    assert_eq!(
        (day[0].merchant, day[0].amount_fen, day[0].terms),
        (Some(9), 10_000, 3),
        "{name}: first merchant wins"
    );
    let day = store.day_facts(101).unwrap();
    assert_eq!(day.len(), 2, "{name}");
    assert_eq!(
        (day[0].kind, day[0].merchant),
        (FactKind::Refund, Some(9)),
        "{name}: key order"
    );
    assert_eq!(
        (day[1].merchant, day[1].terms),
        (None, 0),
        "{name}: no authorization named a merchant"
    );
}

fn row(merchant: u64, day: i32, before: i64, after: i64, receivable: i64) -> SettlementRow {
    SettlementRow {
        merchant,
        day,
        captures: 1,
        captured_fen: 10_000,
        fees_fen: 60,
        balance_before_fen: before,
        payout_fen: 9_940,
        balance_after_fen: after,
        receivable_fen: receivable,
        ..SettlementRow::default()
    }
}

fn settle1(
    store: &mut dyn SettlementStore,
    row: SettlementRow,
    postings: &[PostingRow],
    payout: Option<&PayoutRow>,
) -> bool {
    let day = SettledDay {
        row,
        postings: postings.to_vec(),
        payout: payout.cloned(),
    };
    let written = store.settle(&[day]).unwrap();
    assert_eq!(written.len(), 1);
    written[0]
}

/// In one call, a day already settled is skipped and the others are written.
pub fn settle_many_skips_the_settled(name: &str, store: &mut dyn SettlementStore) {
    let day = |merchant, d| SettledDay {
        row: row(merchant, d, 0, 10, 0),
        postings: vec![posting(d, "merchant_payable", 5), posting(d, "cash", -5)],
        payout: None,
    };
    assert_eq!(store.settle(&[day(1, 5)]).unwrap(), [true], "{name}");
    assert_eq!(
        store.settle(&[day(2, 5), day(1, 5), day(3, 5)]).unwrap(),
        [true, false, true],
        "{name}"
    );
    assert_eq!(store.settlements(5, 5).unwrap().len(), 3, "{name}");
    let ledger = store.ledger_by_day(5).unwrap();
    assert_eq!(
        ledger.iter().map(|d| d.debits_fen).sum::<i64>(),
        15,
        "{name}: the skipped day's postings are not written"
    );
    assert!(store.balances().unwrap().iter().all(|b| b.balance_fen == 10), "{name}");
}

/// A merchant's day is recorded once, with its postings, its payout and its balance; a second
/// attempt writes nothing; runs finish in order.
pub fn a_day_settles_once(name: &str, store: &mut dyn SettlementStore) {
    let payout = PayoutRow {
        id: "m9-d100".into(),
        merchant: 9,
        day: 100,
        amount_fen: 9_940,
        status: "pending".into(),
    };
    let postings = [
        posting(100, "merchant_payable", 60),
        posting(100, "merchant_fee_income", -60),
    ];
    assert!(
        settle1(store, row(9, 100, 0, -50, 0), &postings, Some(&payout)),
        "{name}"
    );
    let mut changed = row(9, 100, 0, -999, 7);
    changed.payout_fen = 1;
    assert!(!settle1(store, changed, &postings, None), "{name}: settled once");
    assert!(settle1(store, row(9, 101, -50, -80, 80), &[], None), "{name}");
    let balances = store.balances().unwrap();
    assert_eq!(balances.len(), 1, "{name}");
    assert_eq!(
        (balances[0].balance_fen, balances[0].receivable_fen),
        (-80, 80),
        "{name}"
    );
    assert_eq!(
        store.settlements(100, 100).unwrap(),
        vec![row(9, 100, 0, -50, 0)],
        "{name}"
    );
    assert_eq!(store.settlements(0, 200).unwrap().len(), 2, "{name}");
    assert_eq!(store.payouts("pending", 10).unwrap(), vec![payout], "{name}");
    let ledger = store.ledger_by_day(100).unwrap();
    assert_eq!(
        ledger,
        vec![
            DayBalance {
                day: 100,
                account: "merchant_fee_income".into(),
                debits_fen: 0,
                credits_fen: 60
            },
            DayBalance {
                day: 100,
                account: "merchant_payable".into(),
                debits_fen: 60,
                credits_fen: 0
            },
        ],
        "{name}: postings once, by day and account"
    );
    assert_eq!(store.last_run().unwrap(), None, "{name}");
    store.finish_run(100).unwrap();
    store.finish_run(101).unwrap();
    store.finish_run(100).unwrap();
    assert_eq!(store.last_run().unwrap(), Some(101), "{name}");
}

/// A payout moves only from the status the caller saw, once, with its postings and the
/// money back in the merchant's balance.
pub fn payouts_move_by_compare_and_set(name: &str, store: &mut dyn SettlementStore) {
    let payout = PayoutRow {
        id: "m4-d7".into(),
        merchant: 4,
        day: 7,
        amount_fen: 500,
        status: "pending".into(),
    };
    assert!(settle1(store, row(4, 7, 0, 0, 0), &[], Some(&payout)), "{name}");
    let legs = [posting(8, "payout_clearing", 500), posting(8, "merchant_payable", -500)];
    let fail = PayoutMove {
        id: "m4-d7",
        from: "pending",
        to: "failed",
        postings: &legs,
        back_to_balance_fen: 500,
    };
    assert!(
        store.move_payouts(std::slice::from_ref(&fail)).unwrap() == [true],
        "{name}"
    );
    assert!(
        store.move_payouts(std::slice::from_ref(&fail)).unwrap() == [false],
        "{name}: moved once"
    );
    let unknown = PayoutMove {
        id: "nope",
        ..fail.clone()
    };
    assert!(store.move_payouts(&[unknown]).unwrap() == [false], "{name}");
    assert_eq!(store.payout("m4-d7").unwrap().unwrap().status, "failed", "{name}");
    assert!(store.payouts("pending", 10).unwrap().is_empty(), "{name}");
    let balance = store.balances().unwrap()[0];
    assert_eq!(balance.balance_fen, 500, "{name}: the money is owed again");
    assert_eq!(store.ledger_by_day(8).unwrap().len(), 2, "{name}");
}

/// Pricing rules are kept as first written; merchants' settings are replaced.
pub fn prices_and_merchants(name: &str, store: &mut dyn SettlementStore) {
    let rule = PriceRow {
        scope: "category:travel".into(),
        effective_from: 10,
        discount_ppm: 15_000,
        fixed_fee_fen: 30,
    };
    assert!(store.put_price(&rule).unwrap(), "{name}");
    assert!(
        !store
            .put_price(&PriceRow {
                discount_ppm: 1,
                ..rule.clone()
            })
            .unwrap(),
        "{name}"
    );
    assert_eq!(store.prices().unwrap(), vec![rule], "{name}: never edited");
    let mut m = MerchantRow {
        merchant: 3,
        category: Some("travel".into()),
        delay_days: 2,
        reserve_ppm: 50_000,
        reserve_days: 30,
        receivable_limit_fen: 100_000,
    };
    store.put_merchant(&m).unwrap();
    m.delay_days = 0;
    m.category = None;
    store.put_merchant(&m).unwrap();
    assert_eq!(store.merchants().unwrap(), vec![m], "{name}: replaced");
}

/// Every check on fresh stores made by `fresh`.
pub fn run_all(name: &str, fresh: &mut dyn FnMut() -> Box<dyn SettlementStore>) {
    facts_are_idempotent_and_joined(name, fresh().as_mut());
    a_day_settles_once(name, fresh().as_mut());
    settle_many_skips_the_settled(name, fresh().as_mut());
    payouts_move_by_compare_and_set(name, fresh().as_mut());
    prices_and_merchants(name, fresh().as_mut());
}
