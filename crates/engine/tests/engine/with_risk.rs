//! The engine with the shipped default rules: decisions at authorization, journaled, with
//! shared-key features across partitions and rebuilt after a restart.

use std::sync::Arc;

use credit::{AccountId, MerchantId};
use engine::{EngineRejection, FraudLists, Outcome, Payer, Request, RiskBlock, RiskContext};
use jiff::SignedDuration;
use money::Amount;
use risk::{ChallengeKind, DeviceId};
use store::memory::MemoryBackend;

use super::Harness;
use super::with_risk_support::{context, risk_config};

fn pay(h: &Harness, account: u64, fen: i64, ctx: RiskContext) -> engine::Reply {
    let request = Request::Authorize {
        payer: Payer::Account(AccountId(account)),
        merchant: MerchantId(1),
        amount: Amount::from_fen(fen),
        plan: None,
        reference: None,
    };
    h.engine()
        .submit_with(request, None, Some(ctx))
        .unwrap()
        .blocking_recv()
        .unwrap()
}

fn reasons(reply: &engine::Reply) -> Vec<String> {
    reply
        .risk
        .as_ref()
        .map(|r| r.reasons.iter().map(|c| c.as_str().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn a_device_on_the_fraud_list_is_denied_and_nothing_is_held() {
    let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    h.open(1, 1_000_000);
    let ok = pay(&h, 1, 10_000, context(5));
    assert!(matches!(ok.outcome, Outcome::Applied { .. }), "{ok:?}");
    assert_eq!(ok.risk.as_ref().unwrap().outcome, risk::Outcome::Allow);
    let mut lists = FraudLists::default();
    lists.devices.insert(DeviceId(5));
    h.engine().risk().unwrap().lists.store(Arc::new(lists));
    let denied = pay(&h, 1, 10_000, context(5));
    assert_eq!(
        denied.outcome,
        Outcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::Denied)
        }
    );
    assert_eq!(reasons(&denied), ["DEVICE_ON_FRAUD_LIST"]);
    // The denial is evidence against the device: its earlier open order is intercepted too.
    assert_eq!(
        h.account(1).held,
        Amount::ZERO,
        "nothing held: the denied payment, and the earlier one voided"
    );
    let cases = h
        .engine()
        .cases(Some(AccountId(1)))
        .unwrap()
        .remove(0)
        .blocking_recv()
        .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].kind, engine::CaseKind::Interception);
}

#[test]
fn a_challenge_is_satisfied_by_the_step_up_it_asks_for() {
    let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    h.open(1, 10_000_000);
    // Known device first, then a new device with 3,000 yuan: liveness.
    assert!(matches!(pay(&h, 1, 1_000, context(7)).outcome, Outcome::Applied { .. }));
    h.clock.advance(SignedDuration::from_hours(30));
    let challenged = pay(&h, 1, 300_000, context(8));
    let challenge = EngineRejection::Risk(RiskBlock::ChallengeRequired(ChallengeKind::Liveness));
    assert_eq!(
        challenged.outcome,
        Outcome::Rejected { rejection: challenge },
        "{:?}",
        reasons(&challenged)
    );
    assert!(reasons(&challenged).contains(&"NEW_DEVICE_HIGH_AMOUNT".to_owned()));
    let otp_only = pay(
        &h,
        1,
        300_000,
        RiskContext {
            step_up: Some(ChallengeKind::Otp),
            ..context(8)
        },
    );
    assert!(
        matches!(otp_only.outcome, Outcome::Rejected { .. }),
        "OTP does not satisfy liveness"
    );
    let passed = pay(
        &h,
        1,
        300_000,
        RiskContext {
            step_up: Some(ChallengeKind::Liveness),
            ..context(8)
        },
    );
    assert!(matches!(passed.outcome, Outcome::Applied { .. }), "{passed:?}");
    assert!(passed.risk.unwrap().satisfied_by_step_up);
}

#[test]
fn a_device_farm_across_partitions_is_stopped_and_stays_stopped_after_restart() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(4));
    for account in 1..=8 {
        h.open(account, 1_000_000);
    }
    let partitions: std::collections::BTreeSet<u32> =
        (1..=8).map(|a| engine::route::partition_of(AccountId(a), 4)).collect();
    assert!(partitions.len() > 1, "the accounts span partitions");
    let mut outcomes = Vec::new();
    for account in 1..=5 {
        h.clock.advance(SignedDuration::from_mins(3));
        outcomes.push(pay(&h, account, 5_000, context(99)));
    }
    assert!(
        outcomes[..4]
            .iter()
            .all(|r| !reasons(r).contains(&"DEVICE_FARM".to_owned()))
    );
    // From the second account on, a device new to the account that others used is denied too.
    assert!(
        outcomes[1..]
            .iter()
            .all(|r| reasons(r).contains(&"DEVICE_ACROSS_ACCOUNTS".to_owned()))
    );
    assert_eq!(
        reasons(&outcomes[4]),
        ["DEVICE_FARM", "DEVICE_ACROSS_ACCOUNTS"],
        "the fifth account on one device"
    );
    h.restart();
    h.clock.advance(SignedDuration::from_mins(3));
    let after = pay(&h, 6, 5_000, context(99));
    assert_eq!(
        reasons(&after),
        ["DEVICE_FARM", "DEVICE_ACROSS_ACCOUNTS"],
        "features were rebuilt from the journal"
    );
    assert_eq!(
        after.outcome,
        Outcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::Denied)
        }
    );
}

/// What a decision saw is what the journal keeps: the own-history features and every value the
/// rules read come back from the journal as the live reply had them (what `iou backtest` and
/// the training rows read).
#[test]
fn the_journal_keeps_what_each_payment_decision_saw() {
    let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    h.open(1, 10_000_000);
    let mut live = Vec::new();
    for fen in [10_000, 12_000, 9_000, 11_000, 60_000] {
        h.clock.advance(SignedDuration::from_hours(3));
        let reply = pay(&h, 1, fen, context(5));
        live.push(*reply.risk.expect("a decision"));
    }
    let last = &live[4].features.history;
    assert_eq!(last.payments_before, 4);
    assert!(last.amount_z_centi.is_some_and(|z| z > 100), "{last:?}");
    let mut journal = h.backend.journal().unwrap();
    let mut journaled = Vec::new();
    for partition in 0..2 {
        engine::journal::scan(journal.as_mut(), partition, 0, |_, record| {
            if let Some(risk) = &record.risk
                && risk.input.checkpoint() == risk::Checkpoint::PaymentAuthorization
            {
                journaled.push((record.at_us, risk.clone()));
            }
            Ok::<_, engine::EngineError>(())
        })
        .unwrap();
    }
    journaled.sort_by_key(|(at, _)| *at);
    assert_eq!(journaled.len(), live.len());
    for (seen, (_, kept)) in live.iter().zip(&journaled) {
        assert_eq!(kept.features.history, seen.features.history);
        let read = |r: &engine::RiskRecord| {
            let ctx = risk::RuleContext {
                input: &r.input,
                features: &r.features,
                models: &r.models,
                now: r.input.at,
            };
            risk::rules::read_all(&ctx).collect::<Vec<_>>()
        };
        assert_eq!(read(kept), read(seen));
        assert_eq!((kept.outcome, &kept.reasons), (seen.outcome, &seen.reasons));
    }
}
