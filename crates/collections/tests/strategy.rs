//! The shipped strategy table row by row: a situation per row (and the rows' edges) with the
//! action and reason the policy of rules/collections/README.md gives, written out by hand here
//! (the oracle), and the contract's refusals (a wrong table name, an action outside the enum).

use collections::{Action, Situation, Strategy, StrategyError};
use credit::delinquency::Bucket;
use credit::{AccountId, Day};
use money::Amount;

fn situation(bucket: Bucket, dpd: u32, past_due: i64) -> Situation {
    Situation {
        account: AccountId(1),
        day: Day::ymd(2026, 3, 1),
        bucket,
        dpd,
        past_due: Amount::from_fen(past_due),
        balance: Amount::from_fen(past_due * 10),
        open_promise: false,
        broken_promises: 0,
        hardship_eligible: false,
        hardship_active: false,
    }
}

#[test]
fn every_row_decides_as_the_policy_says() {
    let strategy = Strategy::shipped();
    let s = situation;
    let with = |mut base: Situation, f: &dyn Fn(&mut Situation)| {
        f(&mut base);
        base
    };
    let table: Vec<(Situation, Action, &str)> = vec![
        (s(Bucket::ChargedOff, 200, 90_000), Action::CallTask, "RECOVERY"),
        (
            with(s(Bucket::M2, 40, 9_000), &|x| x.open_promise = true),
            Action::None,
            "PROMISE_OPEN",
        ),
        (
            with(s(Bucket::M1, 12, 9_000), &|x| x.hardship_active = true),
            Action::Reminder,
            "HARDSHIP_FIRST_INSTALLMENT",
        ),
        (s(Bucket::Grace, 2, 9_000), Action::Reminder, "GRACE_REMINDER"),
        (s(Bucket::M1, 10, 49_999), Action::Reminder, "EARLY_SMALL"),
        // The edges of EARLY_SMALL: day 11, or 500.00 past due, is a call.
        (s(Bucket::M1, 11, 49_999), Action::CallTask, "M1_CALL"),
        (s(Bucket::M1, 5, 50_000), Action::CallTask, "M1_CALL"),
        (
            with(s(Bucket::M1, 20, 60_000), &|x| {
                x.broken_promises = 2;
                x.hardship_eligible = true;
            }),
            Action::HardshipOffer,
            "BROKEN_PROMISES",
        ),
        (
            with(s(Bucket::M1, 20, 60_000), &|x| x.broken_promises = 2),
            Action::CallTask,
            "M1_CALL",
        ),
        (
            with(s(Bucket::M2, 40, 60_000), &|x| {
                x.broken_promises = 1;
                x.hardship_eligible = true;
            }),
            Action::HardshipOffer,
            "BROKEN_PROMISE",
        ),
        (
            with(s(Bucket::M2, 40, 60_000), &|x| x.hardship_eligible = true),
            Action::CallTask,
            "M2_CALL",
        ),
        (
            with(s(Bucket::M3, 70, 60_000), &|x| x.hardship_eligible = true),
            Action::HardshipOffer,
            "LATE_HARDSHIP",
        ),
        (
            with(s(Bucket::M3Plus, 120, 60_000), &|x| x.hardship_eligible = true),
            Action::HardshipOffer,
            "LATE_HARDSHIP",
        ),
        (s(Bucket::M3Plus, 120, 60_000), Action::CallTask, "LATE_CALL"),
        (s(Bucket::Current, 0, 0), Action::None, "NOTHING_DUE"),
    ];
    for (situation, action, reason) in table {
        let decision = strategy.decide(&situation).unwrap();
        assert_eq!(
            (decision.action, decision.reason.as_str()),
            (action, reason),
            "{situation:?}"
        );
        assert_eq!(decision.strategy, "strategy@v1");
    }
}

#[test]
fn a_table_outside_the_contract_is_refused() {
    let renamed = collections::SHIPPED_STRATEGY.replace("\"table\": \"strategy\"", "\"table\": \"other\"");
    assert!(matches!(Strategy::from_json(&renamed), Err(StrategyError::Metadata(_))));
    let odd = collections::SHIPPED_STRATEGY.replace("\"\\\"reminder\\\"\"", "\"\\\"sms\\\"\"");
    assert_ne!(odd, collections::SHIPPED_STRATEGY);
    let strategy = Strategy::from_json(&odd).unwrap();
    let error = strategy.decide(&situation(Bucket::Grace, 2, 100)).unwrap_err();
    assert!(matches!(error, StrategyError::Output(_)), "{error}");
}
