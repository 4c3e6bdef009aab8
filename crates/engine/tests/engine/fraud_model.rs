//! The fraud model (`engine::fraud_model`): the shipped model reproduces LightGBM's own
//! predictions and TreeSHAP values on its held-out rows (`models/fraud/expected*.csv`), its
//! inputs are read by name from a hand-built decision, unknown names fail to load, and the
//! engine journals its score at every payment (shadow: the live graph does not see it; live
//! after promotion), which a restart reads back unchanged.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use credit::{AccountId, MerchantId};
use engine::fraud_model::{FraudModel, FraudModelError, FraudScratch, SHIPPED_DUMP, SHIPPED_FEATURES};
use engine::{EngineConfig, Payer, Request, RiskContext, RiskShared};
use money::Amount;
use risk::features::{EntityFeatures, UserFeatures};
use risk::{
    Channel, CheckpointDetail, CheckpointInput, DeviceId, FeatureVector, ModelScores, RuleSetCell, Signals, UserId,
};
use store::memory::MemoryBackend;

use super::{Harness, config};

/// The tolerance of the credit models' oracle tests (`crates/models/tests/models/oracle.rs`).
const TOLERANCE: f64 = 1e-12;

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/fraud")
}

/// A CSV without quoted cells (what `train_fraud.py` writes: numbers and category names).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(str::to_owned).collect();
    let rows = lines.map(|l| l.split(',').map(str::to_owned).collect()).collect();
    (header, rows)
}

#[test]
fn the_shipped_model_reproduces_lightgbm_on_its_held_out_rows() {
    let model = FraudModel::shipped().unwrap();
    let names: Vec<&str> = model.feature_names().collect();
    let (header, rows) = read_csv(&model_dir().join("expected.csv"));
    assert_eq!(&header[4..], names, "expected.csv holds the model's inputs in order");
    let (contrib_header, contribs) = read_csv(&model_dir().join("expected_contrib.csv"));
    assert_eq!(&contrib_header[1..=names.len()], names);
    assert!(rows.len() >= 100 && rows.len() == contribs.len(), "{} rows", rows.len());
    let (mut raw_gap, mut p_gap, mut shap_gap): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for (row, contrib) in rows.iter().zip(&contribs) {
        let values: Vec<f64> = (0..names.len()).map(|j| model.encode_cell(j, &row[4 + j])).collect();
        let (raw, p) = model.predict_encoded(&values);
        raw_gap = raw_gap.max((raw - row[2].parse::<f64>().unwrap()).abs());
        p_gap = p_gap.max((p - row[3].parse::<f64>().unwrap()).abs());
        for (got, want) in model.contributions_encoded(&values).iter().zip(&contrib[1..]) {
            shap_gap = shap_gap.max((got - want.parse::<f64>().unwrap()).abs());
        }
    }
    println!(
        "fraud model: {} rows, max |raw - lightgbm| = {raw_gap:e}, max |p - lightgbm| = {p_gap:e}, max |shap - pred_contrib| = {shap_gap:e}",
        rows.len()
    );
    assert!(raw_gap <= TOLERANCE && p_gap <= TOLERANCE && shap_gap <= TOLERANCE);
}

/// A payment of 1,234.56 yuan offline by NFC with three payments in the last five minutes, a
/// device two days old and no location.
fn hand_built() -> (CheckpointInput, FeatureVector) {
    let input = CheckpointInput {
        user: UserId(9),
        device: DeviceId(3),
        ip: IpAddr::from([10, 0, 0, 1]),
        geo: None,
        channel: Channel::OfflineNfc,
        at: risk::Timestamp::from_millis(1_767_225_600_000),
        signals: Signals {
            device_listed: false,
            ip_listed: false,
            card_listed: false,
            emulator: true,
            proxy: false,
        },
        detail: CheckpointDetail::PaymentAuthorization {
            merchant: risk::MerchantId(4),
            amount: Amount::from_fen(123_456),
            installments: 1,
        },
    };
    let mut user = UserFeatures {
        device_age_hours: 50,
        ..UserFeatures::default()
    };
    user.tally.m5.payments = 3;
    let features = FeatureVector {
        hour_of_day: 23,
        user,
        device: EntityFeatures {
            age_days: 2,
            ..EntityFeatures::default()
        },
        ..FeatureVector::default()
    };
    (input, features)
}

/// A one-tree model over `names` (all numeric but `input.channel`).
fn tiny_model(names: &[&str]) -> Result<FraudModel, FraudModelError> {
    let features: Vec<serde_json::Value> = names
        .iter()
        .map(|n| match *n {
            "input.channel" => serde_json::json!({"name": n, "kind": "categorical", "code": n,
                "categories": ["offline_nfc", "online"]}),
            _ => serde_json::json!({"name": n, "kind": "numeric", "code": n}),
        })
        .collect();
    let mut spec: serde_json::Value = serde_json::from_str(SHIPPED_FEATURES).unwrap();
    spec["features"] = serde_json::Value::Array(features);
    let mut dump: serde_json::Value = serde_json::from_str(SHIPPED_DUMP).unwrap();
    dump["feature_names"] = serde_json::json!(names);
    dump["max_feature_idx"] = serde_json::json!(names.len() - 1);
    dump["feature_infos"] = names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                serde_json::json!({"min_value": 0, "max_value": 1, "values": []}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    dump["tree_info"] = serde_json::json!([{"tree_index": 0, "num_leaves": 1, "num_cat": 0, "shrinkage": 1,
        "tree_structure": {"leaf_value": 0.0, "leaf_count": 1}}]);
    FraudModel::from_json(&dump.to_string(), &spec.to_string())
}

#[test]
fn inputs_are_read_by_name_from_the_rules_field_table() {
    let names = [
        "input.amount",
        "input.channel",
        "input.signals.emulator",
        "features.user.payments_5m",
        "features.user.device_age_hours",
        "features.device.age_days",
        "features.hour_of_day",
        "features.user.km_from_usual",
    ];
    let model = tiny_model(&names).unwrap();
    let (input, features) = hand_built();
    let models = ModelScores::default();
    let ctx = risk::RuleContext {
        input: &input,
        features: &features,
        models: &models,
        now: input.at,
    };
    let mut values = Vec::new();
    model.encode(&ctx, &mut values);
    let by_name: HashMap<&str, f64> = names.iter().copied().zip(values.iter().copied()).collect();
    assert_eq!(by_name["input.amount"], 1234.56, "yuan, as the rules read it");
    assert_eq!(by_name["input.channel"], 0.0, "offline_nfc: the first category");
    assert_eq!(by_name["input.signals.emulator"], 1.0, "true");
    assert_eq!(by_name["features.user.payments_5m"], 3.0);
    assert_eq!(by_name["features.user.device_age_hours"], 50.0);
    assert_eq!(by_name["features.device.age_days"], 2.0);
    assert_eq!(by_name["features.hour_of_day"], 23.0);
    assert!(by_name["features.user.km_from_usual"].is_nan(), "no location: missing");
    let online = CheckpointInput {
        channel: Channel::OfflineQr,
        ..input.clone()
    };
    let ctx = risk::RuleContext { input: &online, ..ctx };
    model.encode(&ctx, &mut values);
    assert!(
        values[1].is_nan(),
        "a channel the model never saw: NaN, as LightGBM reads it"
    );
}

#[test]
fn a_model_naming_an_unknown_field_or_a_model_score_does_not_load() {
    match tiny_model(&["input.amount", "features.user.no_such_feature"]) {
        Err(FraudModelError::UnknownFeature(name)) => assert_eq!(name, "features.user.no_such_feature"),
        other => panic!("{other:?}"),
    }
    match tiny_model(&["models.fraud_score"]) {
        Err(FraudModelError::ModelInput(name)) => assert_eq!(name, "models.fraud_score"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn scoring_is_deterministic_and_gives_reason_codes() {
    let model = FraudModel::shipped().unwrap();
    let (input, features) = hand_built();
    let models = ModelScores::default();
    let ctx = risk::RuleContext {
        input: &input,
        features: &features,
        models: &models,
        now: input.at,
    };
    let first = model.score(&ctx, &mut FraudScratch::default());
    let mut scratch = FraudScratch::default();
    for _ in 0..3 {
        assert_eq!(model.score(&ctx, &mut scratch), first);
    }
    assert!((0.0..=1.0).contains(&first.score));
    assert!(first.reasons.len() <= engine::fraud_model::REASONS);
    assert!(
        first
            .reasons
            .iter()
            .all(|r| r.code.starts_with("MODEL:") && r.contribution > 0.0)
    );
    assert!(first.reasons.windows(2).all(|w| w[0].contribution >= w[1].contribution));
}

/// The shipped rules with the payment graph's `metadata.fraud_model` set to `mode`.
fn rules_with(mode: &str) -> risk::RuleSet {
    let graphs = engine::shipped_rules::GRAPHS.map(|(name, text)| {
        if name != "payment_authorization.json" {
            return (name, text.to_owned());
        }
        let mut graph: serde_json::Value = serde_json::from_str(text).unwrap();
        graph["metadata"]["fraud_model"] = serde_json::json!(mode);
        (name, graph.to_string())
    });
    risk::RuleSet::from_sources(graphs, risk::EvaluatorChoice::Auto).unwrap()
}

fn engine_config(mode: &str) -> EngineConfig {
    let shared = RiskShared::new(
        Arc::new(RuleSetCell::new(Arc::new(rules_with(mode)))),
        risk::FeatureConfig::default(),
    )
    .with_fraud_model(Arc::new(FraudModel::shipped().unwrap()));
    EngineConfig {
        risk: Some(Arc::new(shared)),
        ..config(2)
    }
}

fn pay(h: &Harness, account: u64, fen: i64, device: u64) -> engine::Reply {
    let request = Request::Authorize {
        payer: Payer::Account(AccountId(account)),
        merchant: MerchantId(1),
        amount: Amount::from_fen(fen),
        plan: None,
        reference: None,
    };
    let ctx = RiskContext {
        device: DeviceId(device),
        ip: IpAddr::from([10, 0, 0, device as u8]),
        ..RiskContext::unknown(Channel::Online)
    };
    h.engine()
        .submit_with(request, None, Some(ctx))
        .unwrap()
        .blocking_recv()
        .unwrap()
}

/// Every payment decision in the journal: (fraud score journaled, score the rules saw).
fn journaled(h: &Harness) -> Vec<(Option<f64>, Option<f64>)> {
    let mut journal = store::Backend::journal(h.backend.as_ref()).unwrap();
    let mut out = Vec::new();
    for partition in 0..2 {
        engine::journal::scan(journal.as_mut(), partition, 0, |_, record| {
            if let Some(risk) = &record.risk
                && risk.input.checkpoint() == risk::Checkpoint::PaymentAuthorization
            {
                out.push((risk.fraud.as_ref().map(|f| f.score), risk.models.fraud_score));
            }
            Ok::<_, engine::EngineError>(())
        })
        .unwrap();
    }
    out
}

#[test]
fn the_score_is_journaled_in_shadow_and_seen_by_the_rules_only_when_promoted() {
    for (mode, live) in [("shadow", false), ("live", true)] {
        let mut h = Harness::new(Arc::new(MemoryBackend::new()), engine_config(mode));
        for account in 1..=3 {
            h.open(account, 10_000_000);
            for (i, fen) in [5_000, 250_000, 900_000].into_iter().enumerate() {
                let reply = pay(&h, account, fen, account * 10 + i as u64);
                let risk = reply.risk.as_ref().unwrap();
                let fraud = risk.fraud.as_ref().expect("scored");
                assert_eq!(risk.models.fraud_score, live.then_some(fraud.score), "{mode}");
            }
        }
        let before = journaled(&h);
        assert_eq!(before.len(), 9);
        assert!(
            before
                .iter()
                .all(|(score, seen)| score.is_some() && *seen == score.filter(|_| live))
        );
        h.restart();
        assert_eq!(journaled(&h), before, "{mode}: the restart reads the same scores back");
        let more = pay(&h, 1, 5_000, 10);
        assert!(more.risk.as_ref().unwrap().fraud.is_some());
    }
}
