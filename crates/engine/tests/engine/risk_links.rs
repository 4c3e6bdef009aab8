//! Merchant order facts, device binding and the link graph through the engine: the facts the
//! writer derives from its records (capture, refund, delivery, theft report, confirmed case)
//! reach the features, and a restart rebuilds exactly the same features from the journal.

use std::sync::Arc;

use credit::{AccountId, MerchantId, TxnId};
use engine::{Outcome, Payer, Reply, Request, RiskContext, TxnAction};
use jiff::SignedDuration;
use money::Amount;
use risk::{CheckpointDetail, FeatureVector};
use store::memory::MemoryBackend;

use super::Harness;
use super::with_risk_support::risk_config;

const SHOP: MerchantId = MerchantId(7);

/// The shell's context for `device`, with a liveness check passed (so a new device's challenge
/// does not stop the story).
fn context(device: u64) -> RiskContext {
    RiskContext {
        step_up: Some(risk::ChallengeKind::Liveness),
        ..super::with_risk_support::context(device)
    }
}

fn submit(h: &Harness, request: Request, ctx: RiskContext) -> Reply {
    h.engine()
        .submit_with(request, None, Some(ctx))
        .unwrap()
        .blocking_recv()
        .unwrap()
}

/// Pays 50 yuan at the shop; the transaction (if applied) and the features it was decided on.
fn pay(h: &Harness, account: u64, ctx: RiskContext) -> (Option<TxnId>, FeatureVector) {
    let request = Request::Authorize {
        payer: Payer::Account(AccountId(account)),
        merchant: SHOP,
        amount: Amount::yuan(50),
        plan: None,
        reference: None,
    };
    let reply = submit(h, request, ctx);
    let features = reply.risk.as_ref().expect("a payment is decided").features;
    let txn = match reply.outcome {
        Outcome::Applied {
            op:
                engine::Op::Authorize {
                    command: credit::Command::Authorize { txn, .. },
                    ..
                },
            ..
        } => Some(txn),
        _ => None,
    };
    (txn, features)
}

fn checkpoint(h: &Harness, account: u64, detail: CheckpointDetail, device: u64) {
    let request = Request::Checkpoint {
        account: AccountId(account),
        detail,
    };
    let reply = submit(h, request, context(device));
    assert!(matches!(reply.outcome, Outcome::Applied { .. }), "{reply:?}");
}

fn txn(h: &Harness, txn: TxnId, action: TxnAction) {
    let reply = h.call(Request::Txn {
        merchant: SHOP,
        txn,
        action,
    });
    assert!(matches!(reply.outcome, Outcome::Applied { .. }), "{reply:?}");
}

/// What the probe (account 1 on its bound device) must see, before and after the restart.
fn check(probe: &FeatureVector, when: &str) {
    assert!(probe.binding.device_bound, "{when}: bound at activation");
    assert!(probe.binding.device_seen_at_login, "{when}: seen at login");
    assert_eq!(probe.binding.bound_devices, 1, "{when}");
    assert_eq!(
        probe.graph.component_size, 2,
        "{when}: accounts 1 and 2 share device 11"
    );
    assert_eq!(probe.graph.component_fraud, 1, "{when}: account 2's case was confirmed");
    let book = probe.merchant_book.expect("a payment has a merchant").d30;
    assert_eq!(book.captures, 2, "{when}");
    assert_eq!(book.captures_undelivered, 1, "{when}: one capture skipped delivery");
    assert_eq!(book.refunds, 1, "{when}");
    assert_eq!(book.theft_reports, 1, "{when}");
}

#[test]
fn order_facts_binding_and_links_reach_the_features_and_survive_a_restart() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(4));
    for account in 1..=3 {
        h.open(account, 1_000_000);
    }
    checkpoint(&h, 1, CheckpointDetail::Activation, 11);
    checkpoint(&h, 1, CheckpointDetail::Login { password_ok: true }, 11);
    let (first, seen) = pay(&h, 1, context(11));
    assert!(seen.binding.device_bound && seen.binding.device_seen_at_login);
    assert_eq!(seen.graph.component_size, 1);
    let (_, elsewhere) = pay(&h, 1, context(12));
    assert!(!elsewhere.binding.device_bound, "device 12 was never bound");
    assert!(!elsewhere.binding.device_seen_at_login);
    // Account 2 is a household member on device 11: it logged in there a day before it pays
    // (a device new to an account that another account used is `DEVICE_ACROSS_ACCOUNTS`).
    checkpoint(&h, 2, CheckpointDetail::Login { password_ok: true }, 11);
    h.clock.advance(SignedDuration::from_hours(25));
    let (second, shared) = pay(&h, 2, context(11));
    assert_eq!(shared.graph.component_size, 2, "account 2 joins account 1 on device 11");
    let (first, second) = (first.expect("applied"), second.expect("applied"));

    // Account 1's order is captured without a delivery check, then refunded; account 2's is
    // delivered, captured and reported stolen, and the case confirmed.
    h.clock.advance(SignedDuration::from_mins(10));
    let fifty = Amount::yuan(50);
    txn(&h, first, TxnAction::Capture { amount: fifty });
    let op = credit::OpId(0x51);
    txn(&h, first, TxnAction::Refund { op, amount: fifty });
    let deliver = h.call(Request::Deliver {
        merchant: SHOP,
        txn: second,
        address_changed: false,
    });
    assert!(matches!(deliver.outcome, Outcome::Applied { .. }), "{deliver:?}");
    txn(&h, second, TxnAction::Capture { amount: fifty });
    let report = h.call(Request::ReportTheft {
        account: AccountId(2),
        txns: vec![second],
    });
    let Outcome::Applied {
        op: engine::Op::OpenCase { case, .. },
        ..
    } = report.outcome
    else {
        panic!("{report:?}")
    };
    let confirm = h.call(Request::ResolveCase { case, confirm: true });
    assert!(matches!(confirm.outcome, Outcome::Applied { .. }), "{confirm:?}");

    h.clock.advance(SignedDuration::from_mins(10));
    let (_, before) = pay(&h, 1, context(11));
    check(&before, "live");
    // A restart is a new process: fresh shared shards and graph, rebuilt from the journal.
    h.config.risk = risk_config(4).risk;
    h.restart();
    let (_, after) = pay(&h, 1, context(11));
    check(&after, "after restart");
    assert_eq!(after.graph, before.graph);
    assert_eq!(after.binding, before.binding);
    let (b, a) = (before.merchant_book.unwrap(), after.merchant_book.unwrap());
    assert_eq!(
        a.d30.payments,
        b.d30.payments + 1,
        "the probe itself was one more payment"
    );
    assert_eq!((a.d30.captures, a.d30.refunds), (b.d30.captures, b.d30.refunds));
}
