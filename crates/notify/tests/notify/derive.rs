//! [`notify::Tracker`]: each fact's intents and keys, and the calendar's reminders.

use jiff::civil::{Date, date};
use money::Amount;
use notify::{Fact, Kind, TheftStage, Tracker};

fn statement(account: u64, seq: u32, due: Date, minimum: i64) -> Fact {
    Fact::StatementClosed {
        account,
        seq,
        due,
        balance: Amount::from_fen(minimum * 10),
        minimum: Amount::from_fen(minimum),
    }
}

fn keys(intents: &[notify::Intent]) -> Vec<String> {
    intents.iter().map(|i| i.key.clone()).collect()
}

#[test]
fn each_fact_gives_its_kind_with_a_stable_key() {
    let mut tracker = Tracker::default();
    let due = date(2026, 4, 20);
    let table = [
        (
            statement(7, 3, due, 5_000),
            Kind::StatementIssued,
            "7:statement_issued:3",
        ),
        (
            Fact::Repaid {
                account: 7,
                op: 99,
                amount: Amount::from_fen(100),
            },
            Kind::PaymentReceived,
            "7:payment_received:99",
        ),
        (
            Fact::BucketChanged {
                account: 7,
                on: date(2026, 4, 21),
                dpd: 1,
                from: 0,
                to: 1,
            },
            Kind::Missed,
            "7:missed:0-1:2026-04-21",
        ),
        (
            Fact::BucketChanged {
                account: 7,
                on: date(2026, 5, 21),
                dpd: 31,
                from: 1,
                to: 2,
            },
            Kind::BucketChanged,
            "7:bucket_changed:1-2:2026-05-21",
        ),
        (
            Fact::TheftCase {
                account: 7,
                case: 513,
                stage: TheftStage::Opened,
            },
            Kind::TheftCase,
            "7:theft_case:513:opened",
        ),
    ];
    for (fact, kind, key) in table {
        let intents = tracker.apply(&fact);
        assert_eq!(intents.len(), 1, "{fact:?}");
        assert_eq!((intents[0].kind, intents[0].key.as_str()), (kind, key));
        // The same fact derived again (a restart reading it again) gives the same key.
        assert_eq!(keys(&Tracker::default().apply(&fact)), [key]);
    }
}

#[test]
fn a_zero_statement_is_not_announced_and_reminds_nothing() {
    let mut tracker = Tracker::default();
    let fact = Fact::StatementClosed {
        account: 1,
        seq: 1,
        due: date(2026, 4, 20),
        balance: Amount::ZERO,
        minimum: Amount::ZERO,
    };
    assert!(tracker.apply(&fact).is_empty());
    assert!(tracker.day(date(2026, 4, 17)).is_empty());
    assert!(tracker.day(date(2026, 4, 20)).is_empty());
}

#[test]
fn reminders_come_three_days_before_and_on_the_due_day_once_each() {
    let mut tracker = Tracker::default();
    tracker.apply(&statement(5, 2, date(2026, 4, 20), 3_000));
    tracker.apply(&statement(6, 1, date(2026, 4, 22), 3_000));
    assert!(tracker.day(date(2026, 4, 16)).is_empty());
    let soon = tracker.day(date(2026, 4, 17));
    assert_eq!(keys(&soon), ["5:due_soon:2:2026-04-17"]);
    assert_eq!(soon[0].vars.minimum, Some(Amount::from_fen(3_000)));
    // The same day asked again gives nothing (the tracker remembers it).
    assert!(tracker.day(date(2026, 4, 17)).is_empty());
    assert_eq!(keys(&tracker.day(date(2026, 4, 19))), ["6:due_soon:1:2026-04-19"]);
    assert_eq!(keys(&tracker.day(date(2026, 4, 20))), ["5:due_today:2:2026-04-20"]);
}

#[test]
fn a_paid_minimum_stops_reminders_and_a_partial_payment_lowers_them() {
    let mut tracker = Tracker::default();
    tracker.apply(&statement(5, 2, date(2026, 4, 20), 3_000));
    tracker.apply(&statement(6, 2, date(2026, 4, 20), 3_000));
    let pay = |account, fen| Fact::Repaid {
        account,
        op: 1,
        amount: Amount::from_fen(fen),
    };
    tracker.apply(&pay(5, 3_000));
    tracker.apply(&pay(6, 1_000));
    let soon = tracker.day(date(2026, 4, 17));
    assert_eq!(keys(&soon), ["6:due_soon:2:2026-04-17"]);
    assert_eq!(soon[0].vars.minimum, Some(Amount::from_fen(2_000)));
}

#[test]
fn days_missed_are_caught_up_for_a_week_at_most() {
    let mut tracker = Tracker::default();
    tracker.apply(&statement(5, 2, date(2026, 4, 20), 3_000));
    tracker.day(date(2026, 4, 10));
    // Down from the 11th to the 20th: both reminders of the last week come at once.
    let caught = tracker.day(date(2026, 4, 20));
    assert_eq!(keys(&caught), ["5:due_soon:2:2026-04-17", "5:due_today:2:2026-04-20"]);
    let mut late = Tracker::default();
    late.apply(&statement(5, 2, date(2026, 4, 20), 3_000));
    late.day(date(2026, 4, 1));
    // Down until the 30th: the 17th and 20th are older than a week, not sent.
    assert!(late.day(date(2026, 4, 30)).is_empty());
}

#[test]
fn the_tracker_round_trips_through_its_serialized_form() {
    let mut tracker = Tracker::default();
    tracker.apply(&statement(5, 2, date(2026, 4, 20), 3_000));
    tracker.day(date(2026, 4, 10));
    let text = serde_json::to_string(&tracker).unwrap();
    let mut back: Tracker = serde_json::from_str(&text).unwrap();
    assert_eq!(back, tracker);
    assert_eq!(keys(&back.day(date(2026, 4, 17))), ["5:due_soon:2:2026-04-17"]);
}

#[test]
fn only_a_theft_case_opened_here_is_told_when_resolved() {
    let mut tracker = Tracker::default();
    let case = |case, stage| Fact::TheftCase {
        account: 3,
        case,
        stage,
    };
    assert_eq!(
        keys(&tracker.apply(&case(10, TheftStage::Opened))),
        ["3:theft_case:10:opened"]
    );
    // Case 11 is an interception case (its opening is no theft fact): its resolution is silent.
    assert!(tracker.apply(&case(11, TheftStage::Rejected)).is_empty());
    assert_eq!(
        keys(&tracker.apply(&case(10, TheftStage::Confirmed))),
        ["3:theft_case:10:confirmed"]
    );
    assert!(tracker.apply(&case(10, TheftStage::Confirmed)).is_empty());
}
