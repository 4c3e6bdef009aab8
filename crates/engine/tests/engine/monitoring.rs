//! Interception before delivery and theft cases, end to end through the engine, and their
//! replay after a restart.

use std::sync::Arc;

use credit::{AccountId, MerchantId, TxnId};
use engine::{
    CaseKind, CaseStatus, EngineRejection, InterceptAction, Notice, Op, Outcome, Payer, Request, RiskBlock, TxnAction,
};
use jiff::SignedDuration;
use money::Amount;
use store::memory::MemoryBackend;

use super::Harness;
use super::with_risk_support::{context, risk_config};

fn buy(h: &Harness, account: u64, merchant: u64, fen: i64, device: u64) -> TxnId {
    let request = Request::Authorize {
        payer: Payer::Account(AccountId(account)),
        merchant: MerchantId(merchant),
        amount: Amount::from_fen(fen),
        plan: None,
        reference: None,
    };
    // The customer passes any step-up: these tests are about what happens after.
    let ctx = engine::RiskContext {
        step_up: Some(risk::ChallengeKind::Liveness),
        ..context(device)
    };
    let reply = h
        .engine()
        .submit_with(request, None, Some(ctx))
        .unwrap()
        .blocking_recv()
        .unwrap();
    match reply.outcome {
        Outcome::Applied {
            op:
                Op::Authorize {
                    command: credit::Command::Authorize { txn, .. },
                    ..
                },
            ..
        } => txn,
        other => panic!("{other:?}"),
    }
}

fn all_cases(h: &Harness) -> Vec<engine::Case> {
    h.engine()
        .cases(None)
        .unwrap()
        .into_iter()
        .flat_map(|r| r.blocking_recv().unwrap())
        .collect()
}

#[test]
fn a_listed_device_intercepts_open_orders_before_delivery() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(3));
    for account in 1..=3 {
        h.open(account, 10_000_000);
    }
    // Accounts 1 and 2 share device 31 as a household does: both logged in there a day before
    // they buy (a device new to an account that another account used is denied).
    for account in 1..=2 {
        let login = Request::Checkpoint {
            account: AccountId(account),
            detail: risk::CheckpointDetail::Login { password_ok: true },
        };
        let ctx = engine::RiskContext {
            step_up: Some(risk::ChallengeKind::Liveness),
            ..context(31)
        };
        let reply = h
            .engine()
            .submit_with(login, None, Some(ctx))
            .unwrap()
            .blocking_recv()
            .unwrap();
        assert!(matches!(reply.outcome, Outcome::Applied { .. }), "{reply:?}");
    }
    h.clock.advance(SignedDuration::from_hours(25));
    let held = buy(&h, 1, 7, 40_000, 31);
    let captured = buy(&h, 2, 7, 60_000, 31);
    let other = buy(&h, 3, 7, 10_000, 32);
    let capture = TxnAction::Capture {
        amount: Amount::from_fen(60_000),
    };
    assert!(matches!(
        h.call(Request::Txn {
            merchant: MerchantId(7),
            txn: captured,
            action: capture
        })
        .outcome,
        Outcome::Applied { .. }
    ));

    let replies = h
        .engine()
        .broadcast(Request::ListFraud {
            device: Some(risk::DeviceId(31)),
            ip: None,
        })
        .unwrap();
    for r in replies {
        assert!(matches!(r.blocking_recv().unwrap().outcome, Outcome::Applied { .. }));
    }
    assert_eq!(h.account(1).held, Amount::ZERO, "the open hold was voided");
    assert_eq!(h.account(2).principal_owed(), Amount::ZERO, "the capture was refunded");
    assert_eq!(
        h.account(3).held,
        Amount::from_fen(10_000),
        "another device's order ships"
    );
    let cases = all_cases(&h);
    assert_eq!(cases.iter().filter(|c| c.kind == CaseKind::Interception).count(), 2);

    // The merchant cannot ship an intercepted order (denied again, as at interception); the
    // other one ships.
    let ship = |txn| Request::Deliver {
        merchant: MerchantId(7),
        txn,
        address_changed: false,
    };
    assert_eq!(
        h.call(ship(held)).outcome,
        Outcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::Denied)
        }
    );
    assert!(matches!(h.call(ship(other)).outcome, Outcome::Applied { .. }));

    // All of it replays.
    let before: Vec<_> = (1..=3).map(|a| h.account(a)).collect();
    h.restart();
    assert_eq!(before, (1..=3).map(|a| h.account(a)).collect::<Vec<_>>());
}

#[test]
fn a_changed_address_on_a_big_order_is_intercepted_and_a_smaller_one_held_for_review() {
    let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    h.open(1, 10_000_000);
    let big = buy(&h, 1, 4, 600_000, 41);
    h.clock.advance(SignedDuration::from_hours(3));
    let small = buy(&h, 1, 4, 30_000, 41);
    let reply = h.call(Request::Deliver {
        merchant: MerchantId(4),
        txn: big,
        address_changed: true,
    });
    assert_eq!(
        reply.outcome,
        Outcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::Denied)
        }
    );
    let reasons: Vec<_> = reply
        .risk
        .unwrap()
        .reasons
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    assert!(
        reasons.contains(&"ADDRESS_CHANGED_HIGH_AMOUNT".to_owned()),
        "{reasons:?}"
    );
    assert!(
        h.account(1)
            .hold(big)
            .is_some_and(|h| h.state == credit::HoldState::Voided)
    );

    let review = h.call(Request::AddressChanged {
        merchant: MerchantId(4),
        txn: small,
    });
    assert!(matches!(review.outcome, Outcome::Applied { .. }));
    let ship = Request::Deliver {
        merchant: MerchantId(4),
        txn: small,
        address_changed: false,
    };
    assert_eq!(
        h.call(ship.clone()).outcome,
        Outcome::Rejected {
            rejection: EngineRejection::HeldForReview
        }
    );
    let cases = h
        .engine()
        .cases(Some(AccountId(1)))
        .unwrap()
        .remove(0)
        .blocking_recv()
        .unwrap();
    let held = cases.iter().find(|c| c.txns == [small]).expect("a review case");
    // The operator clears it: the order may ship.
    assert!(matches!(
        h.call(Request::ResolveCase {
            case: held.id,
            confirm: false
        })
        .outcome,
        Outcome::Applied { .. }
    ));
    assert!(matches!(h.call(ship).outcome, Outcome::Applied { .. }));
    assert_eq!(
        h.call(Request::ResolveCase {
            case: held.id,
            confirm: true
        })
        .outcome,
        Outcome::Rejected {
            rejection: EngineRejection::CaseClosed
        }
    );
}

#[test]
fn a_confirmed_theft_report_exempts_the_transactions_and_unfreezing_needs_verification() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    h.open(1, 10_000_000);
    let mine = buy(&h, 1, 2, 20_000, 51);
    let stolen = buy(&h, 1, 3, 150_000, 52);
    let pending = buy(&h, 1, 3, 50_000, 52);
    for (merchant, txn, fen) in [(2, mine, 20_000), (3, stolen, 150_000)] {
        let action = TxnAction::Capture {
            amount: Amount::from_fen(fen),
        };
        assert!(matches!(
            h.call(Request::Txn {
                merchant: MerchantId(merchant),
                txn,
                action
            })
            .outcome,
            Outcome::Applied { .. }
        ));
    }
    h.clock.advance(SignedDuration::from_hours(24));
    let report = h.call(Request::ReportTheft {
        account: AccountId(1),
        txns: vec![stolen, pending],
    });
    let Outcome::Applied {
        op: Op::OpenCase { case, evidence, .. },
        ..
    } = report.outcome
    else {
        panic!("{report:?}")
    };
    assert_eq!(evidence.len(), 2, "each reported transaction's decision is evidence");
    let account = h.account(1);
    assert_eq!(account.frozen, Some(credit::FreezeReason::TheftReport));
    assert!(
        account
            .hold(pending)
            .is_some_and(|h| h.state == credit::HoldState::Voided)
    );

    assert_eq!(
        h.call(Request::from_command(credit::Command::Unfreeze { account: AccountId(1) }).unwrap())
            .outcome,
        Outcome::Rejected {
            rejection: EngineRejection::VerificationRequired
        }
    );
    assert_eq!(
        h.call(Request::VerifiedUnfreeze { account: AccountId(1) }).outcome,
        Outcome::Rejected {
            rejection: EngineRejection::CaseOpen
        }
    );
    h.clock.advance(SignedDuration::from_hours(24 * 34));

    let confirm = h.call(Request::ResolveCase { case, confirm: true });
    assert!(matches!(confirm.outcome, Outcome::Applied { .. }), "{confirm:?}");
    let account = h.account(1);
    assert_eq!(account.exempt, vec![stolen, pending]);
    assert_eq!(
        account.principal_owed(),
        Amount::from_fen(20_000),
        "the victim owes only their own purchase"
    );
    assert_eq!(
        account.ledger.get(credit::ledger::LedgerAccount::FraudLoss),
        Amount::from_fen(150_000)
    );
    assert_eq!(account.reporting_status().exempt, vec![stolen, pending]);
    assert!(matches!(
        h.call(Request::VerifiedUnfreeze { account: AccountId(1) }).outcome,
        Outcome::Applied { .. }
    ));

    let cases = h
        .engine()
        .cases(Some(AccountId(1)))
        .unwrap()
        .remove(0)
        .blocking_recv()
        .unwrap();
    assert_eq!(
        cases.iter().find(|c| c.id == case).map(|c| c.status),
        Some(CaseStatus::Confirmed)
    );
    let before = h.account(1);
    h.restart();
    assert_eq!(before, h.account(1));
    let _ = (
        InterceptAction::Voided,
        Notice::Delivered {
            account: AccountId(1),
            merchant: MerchantId(1),
            txn: mine,
        },
    );
}
