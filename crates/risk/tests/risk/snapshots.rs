//! Snapshots of every checkpoint's default graph: for a table of scenarios (a quiet customer,
//! then one risk pattern at a time), the decision and its trace, kept in
//! `tests/snapshots/<checkpoint>.json`. `UPDATE_SNAPSHOTS=1 cargo test -p risk` rewrites them;
//! review the diff. Each scenario is also decided by zen-engine, which must agree.

use money::Amount;
use risk::features::{EntityFeatures, FeatureVector, HistoryFeatures, Tally, UserFeatures, Windowed};
use risk::{
    Channel, Checkpoint, CheckpointDetail, CheckpointInput, EvaluatorChoice, ModelScores, ProfileField, Timestamp,
    decide,
};

use crate::common::{default_rules, input};

const NOW: i64 = 1_700_000_000_000;

/// One scenario: the input, features and scores the rules see.
struct Case {
    input: CheckpointInput,
    features: FeatureVector,
    models: ModelScores,
}

/// A customer with a quiet, long history: known device, usual place, normal amounts.
fn quiet(checkpoint: Checkpoint) -> Case {
    let input = input(checkpoint, NOW);
    let current = Tally::of_event(&input);
    let ones = Windowed::splat(1);
    let entity = EntityFeatures {
        tally: Windowed::splat(current),
        distinct_users: ones,
        age_days: 120,
        saturated: false,
    };
    let features = FeatureVector {
        hour_of_day: 14,
        user: UserFeatures {
            tally: Windowed::splat(current),
            distinct_devices: ones,
            distinct_ips: ones,
            distinct_merchants: Windowed::splat(u32::from(input.merchant().is_some())),
            distinct_cards: Windowed::splat(u32::from(input.card().is_some())),
            account_age_days: 400,
            device_age_hours: 3_000,
            usual_places: 2,
            km_from_usual: Some(3),
            km_from_last: Some(2),
            kmh_from_last: Some(4),
            payment_mean_30d_fen: Some(30_000),
            amount_vs_mean_pct: input.payment_amount().map(|_| 100),
            saturated: false,
        },
        device: entity,
        ip: entity,
        merchant: input.merchant().map(|_| entity),
        card: input.card().map(|_| entity),
        // A customer of a year with a steady history: this payment is an ordinary one.
        history: HistoryFeatures {
            payments_before: 40,
            amount_z_centi: input.payment_amount().map(|_| 10),
            largest_before_fen: Some(120_000),
            amount_vs_largest_pct: input.payment_amount().map(|_| 25),
            days_quiet: 2,
            new_merchants_24h: u32::from(input.payment_amount().is_some()),
            hours_since_limit_request: None,
            spend_since_limit_request_fen: None,
        },
        merchant_book: input.merchant().map(|_| risk::features::MerchantFeatures {
            age_days: 400,
            ..Default::default()
        }),
        binding: risk::features::BindingFeatures {
            device_bound: true,
            device_seen_at_login: true,
            bound_devices: 1,
            saturated: false,
        },
        graph: risk::features::GraphFeatures {
            component_size: 1,
            component_fraud: 0,
            component_age_days: 400,
            saturated: false,
        },
    };
    let models = ModelScores {
        fraud_score: Some(0.02),
        credit_pd: Some(0.04),
        credit_score: Some(720),
    };
    Case {
        input,
        features,
        models,
    }
}

type Tweak = fn(&mut Case);

fn set_amount(case: &mut Case, yuan: i64) {
    let amount = Amount::yuan(yuan);
    match &mut case.input.detail {
        CheckpointDetail::PaymentAuthorization { amount: a, .. } | CheckpointDetail::Repayment { amount: a, .. } => {
            *a = amount
        }
        CheckpointDetail::Delivery { order_amount, .. } => *order_amount = amount,
        CheckpointDetail::CreditApplication { requested_limit, .. } => *requested_limit = amount,
        CheckpointDetail::LimitRequest { amount: a, .. } => *a = amount,
        _ => {}
    }
}

fn scenarios(checkpoint: Checkpoint) -> Vec<(&'static str, Tweak)> {
    let common: Vec<(&'static str, Tweak)> = vec![
        ("quiet customer", |_| {}),
        ("device on fraud list", |c| c.input.signals.device_listed = true),
        ("fraud model very sure", |c| c.models.fraud_score = Some(0.95)),
        ("fraud model unsure", |c| c.models.fraud_score = Some(0.75)),
    ];
    let specific: Vec<(&'static str, Tweak)> = match checkpoint {
        Checkpoint::LimitRequest => vec![
            ("right after a device change", |c| {
                c.features.user.tally.h24.device_changes = 1
            }),
            ("after failed logins", |c| c.features.user.tally.h24.failed_logins = 3),
            ("two failed logins only", |c| {
                c.features.user.tally.h24.failed_logins = 2
            }),
            ("emulator", |c| c.input.signals.emulator = true),
            ("proxy", |c| c.input.signals.proxy = true),
            ("IP on fraud list", |c| c.input.signals.ip_listed = true),
        ],
        Checkpoint::Login => vec![
            ("wrong password", |c| {
                c.input.detail = CheckpointDetail::Login { password_ok: false }
            }),
            ("new device", |c| c.features.user.device_age_hours = 0),
            ("new device at night", |c| {
                c.features.user.device_age_hours = 0;
                c.features.hour_of_day = 3;
            }),
            ("credential stuffing from the IP", |c| {
                c.features.ip.tally.h1.failed_logins = 25
            }),
            ("success after failures", |c| c.features.user.tally.h1.failed_logins = 4),
            ("many failures on the account", |c| {
                c.features.user.tally.h1.failed_logins = 12
            }),
            ("impossible travel", |c| {
                c.features.user.km_from_last = Some(1_200);
                c.features.user.kmh_from_last = Some(1_500);
            }),
            ("device farm", |c| c.features.device.distinct_users.h24 = 7),
            ("proxy and shared IP", |c| {
                c.input.signals.proxy = true;
                c.features.ip.distinct_users.h1 = 12;
            }),
        ],
        Checkpoint::DeviceChange => vec![
            ("device farm", |c| c.features.device.distinct_users.d30 = 6),
            ("device churn", |c| c.features.user.tally.d30.device_changes = 5),
            ("profile change the same day", |c| {
                c.features.user.tally.h24.profile_changes = 1
            }),
            ("emulator", |c| c.input.signals.emulator = true),
            ("far from usual places", |c| c.features.user.km_from_usual = Some(900)),
        ],
        Checkpoint::Activation => vec![
            ("device farm", |c| c.features.device.distinct_users.d30 = 3),
            ("device shared once", |c| c.features.device.distinct_users.d30 = 2),
            ("IP farm", |c| c.features.ip.distinct_users.h24 = 9),
            ("proxy", |c| c.input.signals.proxy = true),
        ],
        Checkpoint::CreditApplication => vec![
            ("default risk too high", |c| c.models.credit_pd = Some(0.3)),
            ("default risk elevated", |c| c.models.credit_pd = Some(0.15)),
            ("no credit score", |c| c.models.credit_pd = None),
            ("limit 25 times the income", |c| set_amount(c, 200_000)),
            ("application burst", |c| {
                c.features.user.tally.d30.credit_applications = 5
            }),
            ("IP application burst", |c| {
                c.features.ip.tally.h24.credit_applications = 6
            }),
            ("proxy", |c| c.input.signals.proxy = true),
        ],
        Checkpoint::PaymentAuthorization => vec![
            ("velocity burst", |c| c.features.user.tally.m5.payments = 7),
            ("several attempts", |c| c.features.user.tally.m5.payments = 4),
            ("new device high amount", |c| {
                c.features.user.device_age_hours = 0;
                set_amount(c, 2_500);
            }),
            ("in store over 2,000 yuan, established account, trusted device", |c| {
                c.input.channel = Channel::OfflineQr;
                set_amount(c, 2_500);
            }),
            ("in store over 2,000 yuan, arrived late", |c| {
                c.input.channel = Channel::OfflineQr;
                c.input.at = Timestamp::from_millis(NOW - 10 * 60_000);
                set_amount(c, 2_500);
            }),
            ("in store over 2,000 yuan, young account", |c| {
                c.input.channel = Channel::OfflineQr;
                c.features.user.account_age_days = 12;
                set_amount(c, 2_500);
            }),
            ("amount spike on a trusted device at a usual place", |c| {
                set_amount(c, 600);
                c.features.user.amount_vs_mean_pct = Some(800);
            }),
            ("amount spike on a new device", |c| {
                set_amount(c, 600);
                c.features.user.amount_vs_mean_pct = Some(800);
                c.features.user.device_age_hours = 5;
            }),
            ("amount spike far from usual places", |c| {
                set_amount(c, 600);
                c.features.user.amount_vs_mean_pct = Some(800);
                c.features.user.km_from_usual = Some(250);
            }),
            ("cash-out ring: young account paying one merchant only", |c| {
                set_amount(c, 1_800);
                c.features.user.account_age_days = 5;
                c.features.user.tally.d30.payments = 4;
            }),
            ("young account retrying after failed step-ups is no cash-out", |c| {
                set_amount(c, 1_800);
                c.features.user.account_age_days = 1;
                c.features.user.tally.d30.payments = 4;
                c.features.user.tally.d30.denials = 2;
                c.features.user.tally.h24.payments = 3;
                c.features.user.tally.h24.denials = 2;
                c.features.user.tally.h24.payment_amount_fen = 540_000;
            }),
            ("young account, first purchase at a merchant", |c| {
                set_amount(c, 1_800);
                c.features.user.account_age_days = 5;
            }),
            ("cash-out ring: repeated high amounts at one merchant today", |c| {
                set_amount(c, 1_500);
                c.features.user.account_age_days = 6;
                c.features.user.tally.h24.payments = 3;
                c.features.user.tally.h24.payment_amount_fen = 480_000;
                c.features.user.tally.d30.payments = 3;
                c.features.user.distinct_merchants.d30 = 2;
            }),
            ("cash-out ring: young account on a shared IP", |c| {
                set_amount(c, 1_500);
                c.features.user.account_age_days = 4;
                c.features.user.distinct_merchants.d30 = 2;
                c.features.ip.distinct_users.d30 = 4;
            }),
            ("shared IP, established account", |c| {
                set_amount(c, 1_500);
                c.features.user.distinct_merchants.d30 = 2;
                c.features.ip.distinct_users.d30 = 4;
            }),
            ("impossible travel", |c| {
                c.features.user.km_from_last = Some(1_200);
                c.features.user.kmh_from_last = Some(1_500);
            }),
            ("night high amount", |c| {
                c.features.hour_of_day = 2;
                set_amount(c, 3_500);
            }),
            ("device farm", |c| c.features.device.distinct_users.h24 = 6),
            ("device shared", |c| c.features.device.distinct_users.h24 = 3),
            ("repeated denials", |c| c.features.user.tally.h1.denials = 3),
            ("merchant burst", |c| {
                if let Some(m) = &mut c.features.merchant {
                    m.distinct_users.m5 = 35;
                }
            }),
            ("hour amount over 20,000", |c| {
                c.features.user.tally.h1.payment_amount_fen = 2_100_000
            }),
        ],
        Checkpoint::ProfileChange => vec![
            ("new device", |c| c.features.user.device_age_hours = 3),
            ("change burst", |c| c.features.user.tally.h24.profile_changes = 3),
            ("card shared", |c| {
                if let Some(card) = &mut c.features.card {
                    card.distinct_users.d30 = 3;
                }
            }),
            ("phone change after failed logins", |c| {
                c.input.detail = CheckpointDetail::ProfileChange {
                    field: ProfileField::Phone,
                    card: None,
                };
                c.features.card = None;
                c.features.user.tally.h24.failed_logins = 3;
            }),
            ("card on fraud list", |c| c.input.signals.card_listed = true),
        ],
        Checkpoint::Repayment => vec![
            ("large repayment", |c| set_amount(c, 60_000)),
            ("card shared", |c| {
                if let Some(card) = &mut c.features.card {
                    card.distinct_users.d30 = 5;
                }
            }),
            ("new card large repayment", |c| {
                set_amount(c, 12_000);
                if let Some(card) = &mut c.features.card {
                    card.age_days = 0;
                }
            }),
            ("card on fraud list", |c| c.input.signals.card_listed = true),
            ("repayment burst", |c| c.features.user.tally.h24.repayments = 6),
        ],
        Checkpoint::Delivery => vec![
            ("address changed", |c| {
                if let CheckpointDetail::Delivery { address_changed, .. } = &mut c.input.detail {
                    *address_changed = true;
                }
            }),
            ("address changed on a big order", |c| {
                set_amount(c, 6_000);
                if let CheckpointDetail::Delivery { address_changed, .. } = &mut c.input.detail {
                    *address_changed = true;
                }
            }),
            ("rushed delivery from a new device", |c| {
                set_amount(c, 2_500);
                c.features.user.device_age_hours = 0;
                if let CheckpointDetail::Delivery { authorized_at, .. } = &mut c.input.detail {
                    *authorized_at = Timestamp::from_millis(NOW - 3_600_000);
                }
            }),
            ("denials before delivery", |c| c.features.user.tally.h24.denials = 2),
        ],
    };
    common.into_iter().chain(specific).collect()
}

fn snapshot_of(checkpoint: Checkpoint) -> String {
    let fast = default_rules(EvaluatorChoice::Auto);
    let zen = default_rules(EvaluatorChoice::ReferenceOnly);
    let mut entries = Vec::new();
    for (name, tweak) in scenarios(checkpoint) {
        let mut case = quiet(checkpoint);
        tweak(&mut case);
        let now = Timestamp::from_millis(NOW);
        let decision = decide(&fast, &case.input, &case.features, &case.models, now);
        let mut reference = decide(&zen, &case.input, &case.features, &case.models, now);
        reference.trace.evaluator = decision.trace.evaluator;
        assert_eq!(
            decision,
            reference,
            "{}: {name}: zen-engine disagrees",
            checkpoint.name()
        );
        entries.push(serde_json::json!({
            "scenario": name,
            "outcome": decision.outcome,
            "reasons": decision.reasons,
            "rules_version": decision.rules_version.to_string(),
            "trace": decision.trace,
        }));
    }
    let mut text = serde_json::to_string_pretty(&entries).expect("serializable");
    text.push('\n');
    text
}

#[test]
fn default_graph_decisions_match_their_snapshots() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for checkpoint in Checkpoint::ALL {
        let path = dir.join(format!("{}.json", checkpoint.name()));
        let got = snapshot_of(checkpoint);
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got == want {
            continue;
        }
        if update {
            std::fs::write(&path, &got).expect("writing snapshot");
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots differ (rerun with UPDATE_SNAPSHOTS=1 and review the diff): {stale:?}"
    );
}
