//! Limits over time through the engine: the periodic review raises a line used and repaid on
//! time, lowers a delinquent one but never below its exposure (holds included), and temporary
//! limits follow their policy.

use credit::{AccountId, Command, FreezeReason, MerchantId, OpId};
use engine::{Op, Outcome as EngineOutcome, Payer, Request, TxnAction};
use jiff::SignedDuration;
use money::Amount;
use onboarding::{ReviewAction, TemporaryRefusal};

use super::harness::Bench;

async fn open(b: &Bench, account: u64, limit_yuan: i64) -> AccountId {
    let reply = b
        .call(
            Request::from_command(Command::OpenAccount {
                account: AccountId(account),
                limit: Amount::yuan(limit_yuan),
                billing_day: 9,
            })
            .unwrap(),
        )
        .await;
    assert!(matches!(reply.outcome, EngineOutcome::Applied { .. }), "{reply:?}");
    AccountId(account)
}

/// A hold of `yuan`, captured unless `hold_only`.
async fn buy(b: &Bench, account: AccountId, yuan: i64, hold_only: bool) {
    let reply = b
        .call(Request::Authorize {
            payer: Payer::Account(account),
            merchant: MerchantId(1),
            amount: Amount::yuan(yuan),
            plan: None,
            reference: None,
        })
        .await;
    let EngineOutcome::Applied {
        op: Op::Authorize {
            command: Command::Authorize { txn, .. },
            ..
        },
        ..
    } = reply.outcome
    else {
        panic!("{reply:?}")
    };
    if hold_only {
        return;
    }
    let capture = b
        .call(Request::Txn {
            merchant: MerchantId(1),
            txn,
            action: TxnAction::Capture {
                amount: Amount::yuan(yuan),
            },
        })
        .await;
    assert!(matches!(capture.outcome, EngineOutcome::Applied { .. }), "{capture:?}");
}

async fn repay_statement(b: &Bench, account: AccountId, op: u64) {
    let state = b.account(account).await.unwrap();
    let balance = state.latest_statement().map_or(Amount::ZERO, |s| s.balance);
    assert!(balance.is_positive(), "a statement to pay");
    let reply = b
        .call(
            Request::from_command(Command::Repay {
                account,
                op: OpId(op),
                amount: balance,
            })
            .unwrap(),
        )
        .await;
    assert!(matches!(reply.outcome, EngineOutcome::Applied { .. }), "{reply:?}");
}

#[tokio::test]
async fn the_review_raises_a_line_used_and_repaid_on_time() {
    let b = Bench::without_risk();
    let account = open(&b, 77, 10_000).await;
    buy(&b, account, 6_000, false).await;
    for month in 1..=4 {
        // The 12th: the statement of the 9th closed, due on the 18th.
        b.clock
            .advance(SignedDuration::from_hours(24 * if month == 1 { 33 } else { 30 }));
        repay_statement(&b, account, month).await;
        if month < 4 {
            buy(&b, account, 6_000, false).await;
        }
    }
    let state = b.account(account).await.unwrap();
    let behaviour = onboarding::behaviour::Behaviour::of(&state);
    assert_eq!(
        (
            behaviour.billed_statements_12,
            behaviour.late_statements_12,
            behaviour.revolving_statements_12
        ),
        (4, 0, 0),
        "{behaviour:?}"
    );
    assert_eq!((behaviour.months_on_book, behaviour.utilization_pct), (4, 60));
    let done = b.onboarding.review_limits(&b.engine, &[account], b.now()).await;
    assert_eq!(done[0].action, ReviewAction::Raise, "{done:?}");
    assert_eq!(done[0].after, Amount::yuan(12_000));
    assert_eq!(done[0].reason.as_deref(), Some("GOOD_STANDING_HIGH_USE"));
    assert_eq!(b.account(account).await.unwrap().limit, Amount::yuan(12_000));
}

#[tokio::test]
async fn the_review_lowers_a_delinquent_line_but_never_below_what_is_owed_and_held() {
    let b = Bench::without_risk();
    let heavy = open(&b, 81, 10_000).await;
    let light = open(&b, 82, 10_000).await;
    buy(&b, heavy, 9_000, false).await;
    buy(&b, light, 1_000, false).await;
    // Statement on 9 April, due on the 18th, never paid: 37 days past due on 25 May.
    b.clock.advance(SignedDuration::from_hours(24 * 76));
    buy(&b, heavy, 300, true).await; // an open hold at review time
    let done = b
        .onboarding
        .review_limits(&b.engine, &[heavy, light, AccountId(999)], b.now())
        .await;
    // Halving would be 5,000: the heavy line owes 9,000 and holds 300, so it stops there.
    assert_eq!(done[0].reason.as_deref(), Some("DELINQUENT_M2"));
    assert_eq!(
        (done[0].action, done[0].after, done[0].exposure),
        (ReviewAction::Lower, Amount::yuan(9_300), Amount::yuan(9_300))
    );
    assert_eq!(
        (done[1].action, done[1].after),
        (ReviewAction::Lower, Amount::yuan(5_000))
    );
    assert_eq!(done[2].skipped.as_deref(), Some("ACCOUNT_NOT_FOUND"));
    let heavy_now = b.account(heavy).await.unwrap();
    assert_eq!(heavy_now.limit, Amount::yuan(9_300));
    assert_eq!(heavy_now.held, Amount::yuan(300), "the hold is intact");
    // A second run cannot lower it further: the floor is the exposure.
    let again = b.onboarding.review_limits(&b.engine, &[heavy], b.now()).await;
    assert_eq!(
        (again[0].action, again[0].after),
        (ReviewAction::Keep, Amount::yuan(9_300))
    );
}

#[tokio::test]
async fn temporary_limits_follow_the_policy() {
    let b = Bench::without_risk();
    let good = open(&b, 91, 10_000).await;
    let frozen = open(&b, 92, 10_000).await;
    let late = open(&b, 93, 10_000).await;
    let zero = open(&b, 94, 0).await;
    b.call(
        Request::from_command(Command::Freeze {
            account: frozen,
            reason: FreezeReason::Operator,
        })
        .unwrap(),
    )
    .await;
    buy(&b, late, 1_000, false).await;
    b.clock.advance(SignedDuration::from_hours(24 * 45));
    let grant = |account, yuan, days| {
        b.onboarding
            .grant_temporary_limit(&b.engine, account, Amount::yuan(yuan), days, b.now())
    };
    let table: [(AccountId, i64, u16, Result<(), TemporaryRefusal>); 8] = [
        (good, 5_000, 0, Err(TemporaryRefusal::Days)),
        (good, 5_000, 91, Err(TemporaryRefusal::Days)),
        (good, 10_001, 30, Err(TemporaryRefusal::Amount)),
        (frozen, 1_000, 30, Err(TemporaryRefusal::Frozen)),
        (late, 1_000, 30, Err(TemporaryRefusal::NotCurrent)),
        (zero, 1_000, 30, Err(TemporaryRefusal::NoLine)),
        (AccountId(999), 1_000, 30, Err(TemporaryRefusal::AccountNotFound)),
        (good, 10_000, 30, Ok(())),
    ];
    for (account, yuan, days, want) in table {
        let got = grant(account, yuan, days).await.map(|_| ());
        assert_eq!(got, want, "{account:?} {yuan} {days}");
    }
    let state = b.account(good).await.unwrap();
    assert_eq!(state.available_on(state.day), Amount::yuan(20_000));
    let expiry = state.temporary_limit.unwrap().expires_on;
    assert_eq!(expiry.since(state.day), 29, "30 days counting today");
    assert_eq!(
        state.available_on(expiry.next()),
        Amount::yuan(10_000),
        "gone after the last day"
    );
}
