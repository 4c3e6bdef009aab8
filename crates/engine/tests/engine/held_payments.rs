//! Payments held for review: an authorization decided `review` is authorized but held; capture
//! is refused until an analyst releases it; a decline, or the review timeout at the daily
//! advance, voids the hold; a restart keeps the hold and its case.

use std::sync::Arc;

use credit::{AccountId, MerchantId, TxnId};
use engine::{CaseKind, CaseStatus, EngineRejection, Outcome, Payer, Request, RiskContext, TxnAction};
use jiff::SignedDuration;
use money::Amount;
use store::memory::MemoryBackend;

use super::with_risk_support::{context, risk_config};
use super::{Harness, applied};

const MERCHANT: MerchantId = MerchantId(1);

/// An emulator paying 600 yuan from the account's own device: the shipped payment graph says
/// `review` (`EMULATOR_PAYMENT`).
fn pay_reviewed(h: &Harness, account: u64) -> TxnId {
    let request = Request::Authorize {
        payer: Payer::Account(AccountId(account)),
        merchant: MERCHANT,
        amount: Amount::from_fen(60_000),
        plan: None,
        reference: None,
    };
    // Each customer on a phone of its own (a device another account paid from minutes ago is
    // `DEVICE_ACROSS_ACCOUNTS`, a deny).
    let ctx = RiskContext {
        emulator: true,
        ..context(900 + account)
    };
    let reply = h
        .engine()
        .submit_with(request, None, Some(ctx))
        .unwrap()
        .blocking_recv()
        .unwrap();
    let risk = reply.risk.as_ref().expect("decided");
    assert_eq!(risk.outcome, risk::Outcome::Review, "{:?}", risk.reasons);
    assert!(engine::holds_payment(risk));
    match reply.outcome {
        Outcome::Applied {
            op:
                engine::Op::Authorize {
                    command: credit::Command::Authorize { txn, .. },
                    ..
                },
            ..
        } => txn,
        other => panic!("{other:?}"),
    }
}

fn capture(h: &Harness, txn: TxnId) -> Outcome {
    h.call(Request::Txn {
        merchant: MERCHANT,
        txn,
        action: TxnAction::Capture {
            amount: Amount::from_fen(60_000),
        },
    })
    .outcome
}

fn review_case(h: &Harness, account: u64) -> engine::Case {
    let mut cases = h
        .engine()
        .cases(Some(AccountId(account)))
        .unwrap()
        .remove(0)
        .blocking_recv()
        .unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    cases.remove(0)
}

fn held_by(h: &Harness, txn: TxnId) -> Option<engine::CaseId> {
    let owner = h.engine().merchant_txn(MERCHANT, txn).unwrap().blocking_recv().unwrap();
    owner.expect("the merchant's payment").held_by
}

fn resolve(h: &Harness, case: engine::CaseId, confirm: bool) {
    let reply = h.call(Request::ResolveCase { case, confirm });
    assert!(applied(&reply), "{reply:?}");
}

fn advance(h: &Harness) {
    for receiver in h.engine().advance().unwrap() {
        assert!(applied(&receiver.blocking_recv().unwrap()));
    }
}

const HELD: Outcome = Outcome::Rejected {
    rejection: EngineRejection::HeldForReview,
};

#[test]
fn a_reviewed_payment_is_held_until_released_then_captures_and_a_restart_keeps_the_hold() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    h.open(1, 1_000_000);
    let txn = pay_reviewed(&h, 1);
    assert_eq!(
        h.account(1).held,
        Amount::from_fen(60_000),
        "the hold on the credit stays"
    );
    let case = review_case(&h, 1);
    assert_eq!(
        (case.kind, case.status, case.txns.clone()),
        (CaseKind::PaymentReview, CaseStatus::Open, vec![txn])
    );
    assert_eq!(
        case.evidence[0].reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        ["EMULATOR_PAYMENT"]
    );
    assert_eq!(held_by(&h, txn), Some(case.id));
    assert_eq!(capture(&h, txn), HELD);

    h.restart();
    assert_eq!(held_by(&h, txn), Some(case.id), "the journal keeps the hold");
    assert_eq!(capture(&h, txn), HELD);
    assert_eq!(h.account(1).held, Amount::from_fen(60_000));

    resolve(&h, case.id, false);
    assert_eq!(held_by(&h, txn), None);
    assert!(matches!(capture(&h, txn), Outcome::Applied { .. }));
    assert_eq!(h.account(1).held, Amount::ZERO);
    assert_eq!(review_case(&h, 1).status, CaseStatus::Rejected);
}

#[test]
fn a_declined_review_voids_the_hold_and_restores_the_credit() {
    let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    h.open(1, 1_000_000);
    let txn = pay_reviewed(&h, 1);
    let case = review_case(&h, 1);
    resolve(&h, case.id, true);
    assert_eq!(h.account(1).held, Amount::ZERO, "credit restored");
    assert_eq!(review_case(&h, 1).status, CaseStatus::Confirmed);
    let refused = capture(&h, txn);
    assert!(
        matches!(refused, Outcome::Rejected { .. }) && refused != HELD,
        "{refused:?}"
    );
    let again = h.call(Request::ResolveCase {
        case: case.id,
        confirm: false,
    });
    assert_eq!(
        again.outcome,
        Outcome::Rejected {
            rejection: EngineRejection::CaseClosed
        }
    );
}

#[test]
fn the_review_timeout_declines_at_the_daily_advance() {
    let config = engine::EngineConfig {
        review_timeout_secs: 3_600,
        ..risk_config(1)
    };
    let backend = Arc::new(MemoryBackend::new());
    let h = Harness::new(backend.clone(), config);
    h.open(1, 1_000_000);
    h.open(2, 1_000_000);
    let txn = pay_reviewed(&h, 1);
    // Another held payment an analyst declines in time: that one is a verdict.
    let declined = pay_reviewed(&h, 2);
    resolve(&h, review_case(&h, 2).id, true);
    // Not yet due: the advance leaves it held.
    advance(&h);
    assert_eq!(held_by(&h, txn), review_case(&h, 1).id.into());
    h.clock.advance(SignedDuration::from_hours(2));
    advance(&h);
    assert_eq!(review_case(&h, 1).status, CaseStatus::Confirmed, "declined by policy");
    assert_eq!(h.account(1).held, Amount::ZERO);
    assert_eq!(held_by(&h, txn), None);
    // The timeout decided nothing about the payment: it labels nothing; the analyst's decline
    // labels fraud.
    let labels = engine::labels::collect(store::Backend::journal(backend.as_ref()).unwrap().as_mut()).unwrap();
    let label_of = |t: TxnId| labels.iter().find(|l| l.txn == t).map(|l| l.verdict);
    assert_eq!(label_of(txn), None, "a timed-out review is unlabelled");
    assert_eq!(label_of(declined), Some(engine::labels::Verdict::Fraud));
}

#[test]
fn an_allowed_payment_is_not_held() {
    let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(1));
    h.open(1, 1_000_000);
    let txn = h.authorize(1, 1, 60_000).unwrap();
    assert_eq!(held_by(&h, txn), None);
    assert!(matches!(capture(&h, txn), Outcome::Applied { .. }));
}
