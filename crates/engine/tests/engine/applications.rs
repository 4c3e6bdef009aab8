//! Credit applications and line openings: the checkpoint decided for an applicant without an
//! account (journaled, counted in the velocity features, opening nothing), the line opened with
//! its price in one op, one line per account under a race, and the price filling installment
//! choices.

use std::sync::Arc;

use credit::{AccountId, Command, Event, MerchantId, PlanChoice, Rejection};
use engine::{
    Approval, CreditApplication, CreditProfile, EngineRejection, FraudLists, Idempotency, LineOpening, Op, Outcome,
    Payer, Pricing, Reply, Request, RiskBlock, RiskContext, TierName,
};
use jiff::SignedDuration;
use money::schedule::{Method, PeriodRate};
use money::{Amount, Rate};
use risk::{ChallengeKind, DeviceId, ReasonCode};
use store::memory::MemoryBackend;

use super::Harness;
use super::with_risk_support::{context, risk_config};

fn application(applicant: u64, pd: f64) -> CreditApplication {
    CreditApplication {
        applicant: AccountId(applicant),
        pd,
        score: 600,
        requested_limit: Amount::yuan(20_000),
        declared_monthly_income: Some(Amount::yuan(10_000)),
    }
}

fn apply(h: &Harness, application: CreditApplication, ctx: RiskContext) -> Reply {
    h.engine()
        .submit_with(Request::CreditApplication(application), None, Some(ctx))
        .unwrap()
        .blocking_recv()
        .unwrap()
}

fn tier(name: &str, ppm: u32) -> Pricing {
    Pricing {
        tier: TierName::parse(name).unwrap(),
        fee_rate: Rate::from_ppm(ppm),
    }
}

pub(super) fn opening(account: u64, limit_yuan: i64) -> LineOpening {
    LineOpening {
        account: AccountId(account),
        limit: Amount::yuan(limit_yuan),
        billing_day: 9,
        pd: 0.02,
        score: 700,
        pricing: tier("A", 3_000),
        approval: Approval::Automatic,
        reasons: vec![ReasonCode::parse("RISK_OK").unwrap()],
    }
}

fn reasons(reply: &Reply) -> Vec<String> {
    reply
        .risk
        .as_ref()
        .map(|r| r.reasons.iter().map(|c| c.as_str().to_owned()).collect())
        .unwrap_or_default()
}

fn denied() -> Outcome {
    Outcome::Rejected {
        rejection: EngineRejection::Risk(RiskBlock::Denied),
    }
}

fn exists() -> Outcome {
    Outcome::Rejected {
        rejection: EngineRejection::Credit(Rejection::AccountExists),
    }
}

fn account_exists(h: &Harness, account: u64) -> bool {
    h.engine()
        .account(AccountId(account))
        .unwrap()
        .blocking_recv()
        .unwrap()
        .is_some()
}

fn profile(h: &Harness, account: u64) -> Option<CreditProfile> {
    h.engine()
        .credit_profile(AccountId(account))
        .unwrap()
        .blocking_recv()
        .unwrap()
}

#[test]
fn an_application_is_decided_with_its_pd_and_opens_nothing() {
    let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(4));
    let mut lists = FraudLists::default();
    lists.devices.insert(DeviceId(50));
    h.engine().risk().unwrap().lists.store(Arc::new(lists));
    let proxy = RiskContext {
        proxy: true,
        ..context(40)
    };
    // (applicant, pd, context) -> (the reply's outcome, the risk outcome, its first reason)
    let cases = [
        (1, 0.02, context(10), None, risk::Outcome::Allow, None),
        (
            2,
            0.30,
            context(20),
            Some(denied()),
            risk::Outcome::Deny,
            Some("CREDIT_PD_HIGH"),
        ),
        (
            3,
            0.15,
            context(30),
            None,
            risk::Outcome::Review,
            Some("CREDIT_PD_ELEVATED"),
        ),
        (
            4,
            0.02,
            proxy,
            Some(Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::ChallengeRequired(ChallengeKind::Otp)),
            }),
            risk::Outcome::Challenge(ChallengeKind::Otp),
            Some("PROXY_IP"),
        ),
        (
            5,
            0.02,
            context(50),
            Some(denied()),
            risk::Outcome::Deny,
            Some("DEVICE_ON_FRAUD_LIST"),
        ),
    ];
    for (applicant, pd, ctx, refused, outcome, reason) in cases {
        let reply = apply(&h, application(applicant, pd), ctx);
        match refused {
            Some(refused) => assert_eq!(reply.outcome, refused, "applicant {applicant}"),
            None => assert!(
                matches!(&reply.outcome, Outcome::Applied { op: Op::CreditApplication(a), events }
                    if a.applicant == AccountId(applicant) && events.is_empty()),
                "applicant {applicant}: {reply:?}"
            ),
        }
        let risk = reply.risk.as_ref().expect("the decision comes with the reply");
        assert_eq!(risk.outcome, outcome, "applicant {applicant}");
        assert_eq!(
            reasons(&reply).first().map(String::as_str),
            reason,
            "applicant {applicant}"
        );
        assert_eq!(
            risk.models.credit_pd,
            Some(pd),
            "the PD passed in is what the rules read"
        );
        assert!(!account_exists(&h, applicant), "applicant {applicant} got no account");
        assert_eq!(profile(&h, applicant), None);
    }
}

#[test]
fn applications_count_per_id_per_ip_and_per_device_and_the_counts_survive_a_restart() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(4));
    // One ID number applying from new devices and addresses: the fourth in 30 days is a burst,
    // across a restart (the journaled decisions rebuild the features).
    let mut burst = Vec::new();
    for i in 0..4 {
        if i == 2 {
            h.restart();
        }
        h.clock.advance(SignedDuration::from_hours(2));
        let reply = apply(&h, application(100, 0.02), context(100 + i));
        burst.push(reasons(&reply).contains(&"APPLICATION_BURST".to_owned()));
    }
    assert_eq!(burst, [false, false, false, true]);

    // Five applicants from one address in a day: the fifth goes to review.
    let ip = std::net::IpAddr::from([58, 7, 7, 7]);
    let mut ip_burst = Vec::new();
    for applicant in 200..205 {
        h.clock.advance(SignedDuration::from_mins(10));
        let ctx = RiskContext {
            ip,
            ..context(applicant)
        };
        ip_burst.push(reasons(&apply(&h, application(applicant, 0.02), ctx)).contains(&"IP_APPLICATION_BURST".into()));
    }
    assert_eq!(ip_burst, [false, false, false, false, true]);

    // Applicants sharing one device (a device farm), whatever partition each lands in.
    let mut farm = Vec::new();
    for applicant in 300..304 {
        h.clock.advance(SignedDuration::from_mins(10));
        let ctx = RiskContext {
            ip: std::net::IpAddr::from([58, 8, 8, applicant as u8]),
            ..context(77)
        };
        let reply = apply(&h, application(applicant, 0.02), ctx);
        farm.push(reply.risk.unwrap().outcome == risk::Outcome::Review);
    }
    assert_eq!(farm, [false, false, true, true], "three applicants on one device");
}

#[test]
fn the_decision_is_journaled_with_the_application() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    let key = Idempotency {
        principal: 1,
        key: 42,
        request: 7,
    };
    let request = Request::CreditApplication(application(9, 0.30));
    let first = h
        .engine()
        .submit_with(request.clone(), Some(key), Some(context(9)))
        .unwrap()
        .blocking_recv()
        .unwrap();
    assert_eq!(first.outcome, denied());
    h.restart();
    let again = h
        .engine()
        .submit_with(request, Some(key), Some(context(9)))
        .unwrap()
        .blocking_recv()
        .unwrap();
    assert!(again.replayed, "read back from the journal");
    assert_eq!(again.outcome, first.outcome);
    // The journal keeps what the rules and the fraud model read (`JournaledFeatures`); a
    // replay answers with exactly that, so the counters no rule reads come back as zero.
    let mut kept = first.risk.clone().expect("decided by risk");
    kept.features = risk::features::JournaledFeatures::from(&kept.features).expand();
    assert_eq!(
        again.risk,
        Some(kept),
        "the decision, its reasons and the features the rules read are kept"
    );
    assert_eq!(reasons(&again), ["CREDIT_PD_HIGH"]);
}

#[test]
fn an_approved_line_opens_with_its_price_in_one_op_and_keeps_it_across_restarts() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
    let reply = h.call(Request::OpenLine(opening(11, 20_000)));
    let Outcome::Applied { op, events } = &reply.outcome else {
        panic!("{reply:?}")
    };
    assert!(matches!(op, Op::OpenLine(line) if line.approval == Approval::Automatic && line.reasons.len() == 1));
    assert!(matches!(events[..], [Event::AccountOpened { .. }]), "{events:?}");
    let want = CreditProfile {
        pd: 0.02,
        score: 700,
        pricing: Some(tier("A", 3_000)),
    };
    assert_eq!(profile(&h, 11), Some(want));
    assert_eq!(h.account(11).limit, Amount::yuan(20_000));
    assert_eq!(h.account(11).available_on(h.account(11).day), Amount::yuan(20_000));

    h.restart();
    assert_eq!(profile(&h, 11), Some(want), "replayed from the journal");
    h.engine().snapshot();
    h.restart();
    assert_eq!(profile(&h, 11), Some(want), "restored from a snapshot");
    assert_eq!(h.account(11).limit, Amount::yuan(20_000));

    // An operator's line has no price.
    h.open(12, 100_000);
    assert_eq!(profile(&h, 12), None);
    // The reasons a line keeps are bounded.
    let mut chatty = opening(13, 1_000);
    chatty.reasons = vec![ReasonCode::parse("R").unwrap(); 40];
    let reply = h.call(Request::OpenLine(chatty));
    assert!(matches!(&reply.outcome, Outcome::Applied { op: Op::OpenLine(line), .. }
        if line.reasons.len() == engine::application::LINE_REASONS_MAX));
}

#[test]
fn one_account_gets_one_line_when_openings_race() {
    let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(4));
    // Eight approvals of one ID number at once, each with its own limit.
    let outcomes: Vec<(i64, Outcome)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (1..=8)
            .map(|i| {
                let engine = h.engine();
                scope.spawn(move || {
                    let reply = engine.submit(Request::OpenLine(opening(21, 1_000 * i)), None).unwrap();
                    (1_000 * i, reply.blocking_recv().unwrap().outcome)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let opened: Vec<i64> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Applied { .. }))
        .map(|(limit, _)| *limit)
        .collect();
    assert_eq!(opened.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|(_, o)| *o == exists()).count(), 7);
    assert_eq!(
        h.account(21).limit,
        Amount::yuan(opened[0]),
        "the winner's limit, untouched by the others"
    );
    // An applicant who holds a line is refused before risk: nothing is counted or decided.
    let again = apply(&h, application(21, 0.02), context(21));
    assert_eq!((again.outcome, again.risk), (exists(), None));
}

#[test]
fn the_line_price_fills_installment_choices_that_name_no_rate() {
    let h = Harness::memory(2);
    let mut line = opening(31, 50_000);
    line.pricing = tier("B", 5_000);
    assert!(matches!(
        h.call(Request::OpenLine(line)).outcome,
        Outcome::Applied { .. }
    ));
    h.open(32, 5_000_000);
    let choice = PlanChoice {
        periods: 3,
        method: Method::FlatFee,
        rate: None,
    };
    let campaign = PlanChoice {
        rate: Some(PeriodRate::per_period(Rate::ZERO)),
        ..choice
    };
    // (account, plan chosen) -> plan authorized
    let cases = [
        (31, Some(choice), Some(PeriodRate::per_period(Rate::from_ppm(5_000)))),
        (31, Some(campaign), campaign.rate),
        (32, Some(choice), None),
    ];
    for (account, plan, want) in cases {
        let reply = h.call(Request::Authorize {
            payer: Payer::Account(AccountId(account)),
            merchant: MerchantId(1),
            amount: Amount::yuan(300),
            plan,
            reference: None,
        });
        let Outcome::Applied {
            op:
                Op::Authorize {
                    command: Command::Authorize { plan: Some(plan), .. },
                    ..
                },
            ..
        } = reply.outcome
        else {
            panic!("{reply:?}")
        };
        assert_eq!(plan.rate, want, "account {account}");
    }
    // A pay-later purchase chooses no plan and gets none.
    let reply = h.call(Request::Authorize {
        payer: Payer::Account(AccountId(31)),
        merchant: MerchantId(1),
        amount: Amount::yuan(10),
        plan: None,
        reference: None,
    });
    assert!(matches!(
        reply.outcome,
        Outcome::Applied {
            op: Op::Authorize {
                command: Command::Authorize { plan: None, .. },
                ..
            },
            ..
        }
    ));
}

/// A line opened through onboarding (`OpenLine`, not `OpenAccount`) is in the history a theft's
/// exemption is checked against: confirming the theft exempts the purchase. Before, the history
/// lacked the opening, never reproduced the account, and every such exemption was refused.
#[test]
fn a_theft_on_a_line_opened_through_onboarding_is_exempt_when_confirmed() {
    let mut h = Harness::memory(1);
    assert!(matches!(
        h.call(Request::OpenLine(opening(31, 20_000))).outcome,
        Outcome::Applied { .. }
    ));
    let txn = h.authorize(31, 2, 150_000).unwrap();
    let capture = engine::TxnAction::Capture {
        amount: Amount::from_fen(150_000),
    };
    let captured = h.call(Request::Txn {
        merchant: MerchantId(2),
        txn,
        action: capture,
    });
    assert!(matches!(captured.outcome, Outcome::Applied { .. }), "{captured:?}");
    let report = h.call(Request::ReportTheft {
        account: AccountId(31),
        txns: vec![txn],
    });
    let Outcome::Applied {
        op: Op::OpenCase { case, .. },
        ..
    } = report.outcome
    else {
        panic!("{report:?}")
    };
    let confirm = h.call(Request::ResolveCase { case, confirm: true });
    assert!(matches!(confirm.outcome, Outcome::Applied { .. }), "{confirm:?}");
    assert_eq!(h.account(31).exempt, vec![txn]);
    assert_eq!(h.account(31).principal_owed(), Amount::ZERO);
    let before = h.account(31);
    h.restart();
    assert_eq!(h.account(31), before);
}
