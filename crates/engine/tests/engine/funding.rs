//! Funding operations in the engine: a debit pays nothing until settled, a failed one changes
//! nothing, a duplicate update has no effect, a payout reserves the credit balance and a failed
//! payout gives it back; everything replays to the same state from the journal, from a
//! snapshot, and from the journal alone when the snapshot cannot be read.

use credit::{AccountId, Event};
use engine::{
    Engine, EngineRejection, Funding, FundingKind, FundingQuery, FundingStart, FundingStatus, FundingUpdate, Op,
    Outcome, Request,
};
use money::Amount;
use store::Snapshot;

use super::Harness;

fn start(h: &Harness, account: u64, kind: FundingKind, fen: i64) -> Result<Funding, EngineRejection> {
    start_payoff(h, account, kind, fen, None)
}

fn start_payoff(
    h: &Harness,
    account: u64,
    kind: FundingKind,
    fen: i64,
    plan: Option<credit::PlanId>,
) -> Result<Funding, EngineRejection> {
    let (account, amount) = (AccountId(account), Amount::from_fen(fen));
    let start = match kind {
        FundingKind::Debit => FundingStart::debit(account, amount, plan),
        FundingKind::Offline => FundingStart::offline(account, amount, format!("ref-{fen}"), plan),
        FundingKind::Payout => {
            assert!(plan.is_none(), "a payout pays no plan off: its start cannot name one");
            FundingStart::payout(account, amount)
        }
    };
    let reply = h.call(Request::StartFunding(start));
    match reply.outcome {
        Outcome::Applied {
            op: Op::FundingStarted(started),
            ..
        } => Ok(started.funding),
        Outcome::Rejected { rejection } => Err(rejection),
        other => panic!("{other:?}"),
    }
}

fn update(h: &Harness, funding: u64, status: FundingStatus) -> Result<Vec<Event>, EngineRejection> {
    let reply = h.call(Request::UpdateFunding(FundingUpdate {
        funding,
        status,
        provider_ref: Some("psp-1".into()),
        reason: None,
    }));
    match reply.outcome {
        Outcome::Applied { events, .. } => Ok(events),
        Outcome::Rejected { rejection } => Err(rejection),
        other => panic!("{other:?}"),
    }
}

fn fundings(engine: &Engine) -> Vec<Funding> {
    let mut all = Vec::new();
    for receiver in engine.fundings(FundingQuery::Pending).unwrap() {
        all.extend(receiver.blocking_recv().unwrap());
    }
    all
}

fn one(h: &Harness, id: u64) -> Funding {
    let receivers = h.engine().fundings(FundingQuery::One(id)).unwrap();
    receivers
        .into_iter()
        .flat_map(|r| r.blocking_recv().unwrap())
        .next()
        .expect("the operation exists")
}

fn credit_balance(h: &Harness, account: u64) -> Amount {
    h.account(account).credit_balance
}

#[test]
fn only_settled_money_pays_and_every_change_replays() {
    let mut h = Harness::memory(2);
    h.open(1, 100_000);
    h.open(2, 100_000);
    let before = h.account(1);
    let debit = start(&h, 1, FundingKind::Debit, 50_000).unwrap();
    assert_eq!(debit.status, FundingStatus::Pending);
    assert_eq!(h.account(1), before, "a pending debit changes nothing");
    assert_eq!(
        start(&h, 1, FundingKind::Payout, 1).unwrap_err(),
        EngineRejection::Credit(credit::Rejection::AmountExceedsCreditBalance {
            credit_balance: Amount::ZERO
        })
    );
    let failing = start(&h, 1, FundingKind::Debit, 7_000).unwrap();
    assert_eq!(update(&h, failing.id, FundingStatus::Failed).unwrap(), vec![]);
    assert_eq!(h.account(1), before, "a failed debit changes nothing");
    assert_eq!(
        update(&h, failing.id, FundingStatus::Settled),
        Err(EngineRejection::FundingFinal)
    );

    let events = update(&h, debit.id, FundingStatus::Settled).unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::Repaid { .. })), "{events:?}");
    assert_eq!(credit_balance(&h, 1), Amount::from_fen(50_000));
    assert_eq!(
        update(&h, debit.id, FundingStatus::Settled),
        Err(EngineRejection::FundingFinal)
    );
    assert_eq!(
        credit_balance(&h, 1),
        Amount::from_fen(50_000),
        "a duplicate has no effect"
    );
    assert!(one(&h, debit.id).allocation.is_some());
    h.engine().snapshot();

    let payout = start(&h, 1, FundingKind::Payout, 30_000).unwrap();
    assert_eq!(credit_balance(&h, 1), Amount::from_fen(20_000), "reserved at once");
    update(&h, payout.id, FundingStatus::Failed).unwrap();
    assert_eq!(
        credit_balance(&h, 1),
        Amount::from_fen(50_000),
        "a failed payout gives it back"
    );
    let paid = start(&h, 1, FundingKind::Payout, 50_000).unwrap();
    update(&h, paid.id, FundingStatus::Paid).unwrap();
    assert_eq!(credit_balance(&h, 1), Amount::ZERO);
    update(&h, paid.id, FundingStatus::Returned).unwrap();
    assert_eq!(credit_balance(&h, 1), Amount::from_fen(50_000), "returned by the bank");
    assert_eq!(
        update(&h, paid.id, FundingStatus::Returned),
        Err(EngineRejection::FundingFinal)
    );
    let offline = start(&h, 2, FundingKind::Offline, 3_000).unwrap();
    assert_eq!(offline.status, FundingStatus::Settled);
    assert_eq!(credit_balance(&h, 2), Amount::from_fen(3_000));
    let pending = start(&h, 2, FundingKind::Debit, 4_000).unwrap();
    assert_eq!(
        update(&h, 999_999, FundingStatus::Settled),
        Err(EngineRejection::FundingNotFound)
    );

    let accounts = (h.account(1), h.account(2));
    let states: Vec<_> = [debit.id, failing.id, payout.id, paid.id, offline.id, pending.id]
        .iter()
        .map(|id| one(&h, *id))
        .collect();
    h.restart();
    assert_eq!((h.account(1), h.account(2)), accounts);
    let again: Vec<_> = states.iter().map(|f| one(&h, f.id)).collect();
    assert_eq!(again, states, "funding state replays exactly");
    assert_eq!(fundings(h.engine()), vec![states[5].clone()], "the one pending debit");
    let next = start(&h, 2, FundingKind::Debit, 1).unwrap();
    assert!(states.iter().all(|f| f.id != next.id), "fresh ids after a restart");
}

#[test]
fn an_unreadable_snapshot_is_replaced_by_replaying_the_journal() {
    let mut h = Harness::memory(1);
    h.open(1, 100_000);
    let txn = h.authorize(1, 1, 2_000).unwrap();
    let capture = h.call(Request::Txn {
        merchant: credit::MerchantId(1),
        txn,
        action: engine::TxnAction::Capture {
            amount: Amount::from_fen(2_000),
        },
    });
    assert!(matches!(capture.outcome, Outcome::Applied { .. }), "{capture:?}");
    let debit = start(&h, 1, FundingKind::Debit, 5_000).unwrap();
    update(&h, debit.id, FundingStatus::Settled).unwrap();
    h.engine().snapshot();
    h.restart();
    let account = h.account(1);
    h.engine.take().unwrap().shutdown();
    let mut journal = h.backend.journal().unwrap();
    let seq = journal.last_seq(0).unwrap();
    journal
        .save_snapshot(&Snapshot {
            partition: 0,
            seq,
            bytes: vec![0xFF; 12],
        })
        .unwrap();
    h.engine = Some(Engine::start(h.config.clone(), h.backend.clone(), h.clock.clone()).unwrap());
    assert_eq!(h.account(1), account);
    assert_eq!(one(&h, debit.id).status, FundingStatus::Settled);
    // The settled debit's repayment is in the account's history for a fraud exemption.
    let reply = h.call(Request::ExemptFraud {
        account: AccountId(1),
        txns: vec![txn],
    });
    assert!(matches!(reply.outcome, Outcome::Applied { .. }), "{reply:?}");
}

#[test]
fn a_payoff_debit_pays_its_plan_off_when_settled_or_lands_as_a_repayment() {
    let mut h = Harness::memory(1);
    h.open(1, 100_000);
    let reply = h.call(Request::Authorize {
        payer: engine::Payer::Account(AccountId(1)),
        merchant: credit::MerchantId(1),
        amount: Amount::from_fen(30_000),
        plan: Some(credit::PlanChoice {
            periods: 3,
            method: money::schedule::Method::FlatFee,
            rate: None,
        }),
        reference: None,
    });
    let Outcome::Applied {
        op: Op::Authorize {
            command: credit::Command::Authorize { txn, .. },
            ..
        },
        ..
    } = reply.outcome
    else {
        panic!("{reply:?}")
    };
    h.call(Request::Txn {
        merchant: credit::MerchantId(1),
        txn,
        action: engine::TxnAction::Capture {
            amount: Amount::from_fen(30_000),
        },
    });
    let plan = h.account(1).plans[0].id;
    let payoff = h.account(1).payoff_amount(plan, true).unwrap().fen();
    assert_eq!(
        start_payoff(&h, 1, FundingKind::Debit, payoff - 1, Some(plan))
            .unwrap_err()
            .code(),
        "payment_below_payoff"
    );
    let first = start_payoff(&h, 1, FundingKind::Debit, payoff, Some(plan)).unwrap();
    let second = start_payoff(&h, 1, FundingKind::Debit, payoff, Some(plan)).unwrap();
    assert!(h.account(1).plans[0].is_active(), "nothing paid off while pending");
    let events = update(&h, first.id, FundingStatus::Settled).unwrap();
    assert!(
        events.iter().any(|e| matches!(e, Event::PlanPaidOff { .. })),
        "{events:?}"
    );
    assert!(!h.account(1).plans[0].is_active());
    // The plan is gone: the second debit's settled money is kept as a repayment.
    let events = update(&h, second.id, FundingStatus::Settled).unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::Repaid { .. })), "{events:?}");
    assert_eq!(credit_balance(&h, 1), Amount::from_fen(payoff));
    let account = h.account(1);
    h.restart();
    assert_eq!(h.account(1), account);
}
