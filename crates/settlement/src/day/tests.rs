//! [`settle_day`] by example, and over many random days against a plain running total.

use super::*;

fn fen(v: i64) -> Amount {
    Amount::from_fen(v)
}

fn act(captured: i64, refunded: i64, fees: i64) -> Activity {
    Activity {
        captures: 1,
        captured: fen(captured),
        refunds: u64::from(refunded > 0),
        refunded: fen(refunded),
        fees: fen(fees),
        subsidies: Amount::ZERO,
    }
}

/// Runs days in order, carrying the balance, receivable and recent days.
fn run(terms: &Terms, days: &[Activity]) -> Vec<DaySettlement> {
    let mut carried = Carried::default();
    let start = Day::ymd(2026, 1, 1);
    let mut out = Vec::new();
    for (i, a) in days.iter().enumerate() {
        let day = start.add(i as i32);
        let s = settle_day(day, terms, &carried, *a);
        carried.balance = s.balance_after;
        carried.receivable = s.receivable;
        carried.recent.push(RecentDay {
            day,
            net: a.net(),
            captured: a.captured,
        });
        out.push(s);
    }
    out
}

#[test]
fn a_day_pays_its_net() {
    let s = run(&Terms::STANDARD, &[act(10_000, 0, 60)]);
    assert_eq!(s[0].payout, fen(9_940));
    assert_eq!(s[0].balance_after, Amount::ZERO);
    let kinds: Vec<_> = s[0].entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EntryKind::Fee, EntryKind::Payout]);
}

/// A refund after the capture was paid lowers the next payout; a negative balance is carried
/// and the merchant is not paid until it clears.
#[test]
fn refunds_after_payout_net_against_later_payouts() {
    let s = run(
        &Terms::STANDARD,
        &[
            act(10_000, 0, 60),
            act(2_000, 5_000, 12),
            act(1_000, 0, 6),
            act(10_000, 0, 60),
        ],
    );
    assert_eq!(s[0].payout, fen(9_940));
    assert_eq!((s[1].payout, s[1].balance_after), (Amount::ZERO, fen(-3_012)));
    assert_eq!((s[2].payout, s[2].balance_after), (Amount::ZERO, fen(-2_018)));
    assert_eq!((s[3].payout, s[3].balance_after), (fen(7_922), Amount::ZERO));
    assert!(s.iter().all(|d| d.receivable.is_zero()), "within the limit");
}

#[test]
fn a_negative_balance_past_the_limit_is_a_receivable_until_it_clears() {
    let terms = Terms {
        receivable_limit: fen(1_000),
        ..Terms::STANDARD
    };
    let s = run(&terms, &[act(0, 800, 0), act(0, 500, 0), act(5_000, 0, 0)]);
    assert_eq!(s[0].receivable, Amount::ZERO, "800 is within the limit");
    assert_eq!(s[1].receivable, fen(1_300), "all of it once past the limit");
    assert_eq!(s[2].receivable, Amount::ZERO);
    assert_eq!(s[2].payout, fen(3_700));
    let receivable: Vec<_> = s[1..]
        .iter()
        .map(|d| d.entries.iter().find(|e| e.kind == EntryKind::Receivable))
        .collect();
    assert_eq!(receivable[0].unwrap().postings[0].amount, fen(1_300));
    assert_eq!(receivable[1].unwrap().postings[0].amount, fen(-1_300), "released");
}

#[test]
fn delayed_settlement_pays_a_day_after_its_delay() {
    let terms = Terms {
        delay_days: 2,
        ..Terms::STANDARD
    };
    let s = run(
        &terms,
        &[
            act(1_000, 0, 0),
            act(2_000, 0, 0),
            act(4_000, 0, 0),
            act(0, 0, 0),
            act(0, 0, 0),
        ],
    );
    let payouts: Vec<i64> = s.iter().map(|d| d.payout.fen()).collect();
    assert_eq!(payouts, [0, 0, 1_000, 2_000, 4_000]);
}

#[test]
fn the_rolling_reserve_holds_a_share_of_recent_captures() {
    let terms = Terms {
        reserve: Rate::from_ppm(100_000),
        reserve_days: 2,
        ..Terms::STANDARD
    };
    let s = run(
        &terms,
        &[act(1_000, 0, 0), act(1_000, 0, 0), act(0, 0, 0), act(0, 0, 0)],
    );
    let payouts: Vec<i64> = s.iter().map(|d| d.payout.fen()).collect();
    // Day 1 holds 100, day 2 holds 200 of 1,100 owed, day 3 holds 100 (day 2's), day 4 none.
    assert_eq!(payouts, [900, 900, 100, 100]);
}

/// Over random days and terms: every entry balances; captured − refunded − fees − subsidies =
/// paid out + balance; the payable account (the customer side's gross credits plus these
/// entries) is the balance less the receivable; a non-positive balance is never paid.
#[test]
fn random_days_keep_the_settlement_identity() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    for _ in 0..200 {
        let terms = Terms {
            delay_days: next(3) as u16,
            reserve: Rate::from_ppm(next(200_000) as u32),
            reserve_days: next(4) as u16,
            receivable_limit: fen(next(5_000) as i64),
        };
        let days: Vec<Activity> = (0..30)
            .map(|_| Activity {
                captures: 1,
                captured: fen(next(20_000) as i64),
                refunds: 1,
                refunded: fen(next(12_000) as i64),
                fees: fen(next(300) as i64),
                subsidies: fen(next(200) as i64),
            })
            .collect();
        let s = run(&terms, &days);
        let net: Amount = days.iter().map(Activity::net).sum();
        let paid: Amount = s.iter().map(|d| d.payout).sum();
        let last = s.last().unwrap();
        assert_eq!(net, paid + last.balance_after, "{terms:?}");
        let mut payable = -days.iter().map(|a| a.captured - a.refunded).sum::<Amount>();
        for d in &s {
            assert!(d.entries.iter().all(Entry::is_balanced));
            assert!(d.payout.is_zero() || (d.balance_before + d.activity.net()).is_positive());
            payable += d
                .entries
                .iter()
                .flat_map(|e| e.postings)
                .filter(|p| p.account == SettlementAccount::MerchantPayable)
                .map(|p| p.amount)
                .sum::<Amount>();
        }
        assert_eq!(-payable, last.balance_after + last.receivable, "{terms:?}");
    }
}
