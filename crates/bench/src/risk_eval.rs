//! One payment authorization's risk evaluation on one core, as the partition thread does it:
//! features (the user's windows and the shared device, IP and merchant windows), a model score
//! (the shipped `credit_data_es` scorecard's PD for the customer's credit file), the shipped
//! rules (the compiled fast path), and recording the attempt. The feature state is realistic:
//! 5,000 customers, 8,000 devices, 3,000 IPs, 500 merchants and 100,000 events over the 30
//! days before the measured ones (the setup of `crates/risk/benches/risk_eval.rs`). Measured with
//! and without the shipped fraud model (LightGBM with TreeSHAP reason codes) at each payment.
//!
//! Also the shipped rules as a [`RiskShared`], for the in-process engine measured with risk.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

use engine::RiskShared;
use engine::fraud_model::{FraudModel, FraudScratch};
use models::{Model, Options, Row, Scorecard, Scored};
use money::Amount;
use risk::{
    CardToken, Channel, CheckpointDetail, CheckpointInput, DeviceId, EvaluatorChoice, FeatureConfig, FeatureStore, Geo,
    MerchantId, ModelScores, RuleSet, RuleSetCell, Signals, Timestamp, UserId, decide,
};
use serde::Serialize;

use crate::{BenchError, XorShift};

const USERS: u64 = 5_000;
const HISTORY: usize = 100_000;
const START_MS: i64 = 1_772_330_400_000;

const SCORECARD: &str = include_str!("../../../models/credit_data_es/scorecard.json");

/// The shipped rules.
pub fn rules() -> Result<RuleSet, BenchError> {
    engine::shipped_rules::rule_set(EvaluatorChoice::Auto).map_err(|e| BenchError::Other(e.to_string()))
}

/// The shipped rules with fresh shared features, for an engine.
pub fn shared() -> Result<Arc<RiskShared>, BenchError> {
    let cell = Arc::new(RuleSetCell::new(Arc::new(rules()?)));
    let model = FraudModel::shipped().map_err(|e| BenchError::Other(e.to_string()))?;
    Ok(Arc::new(
        RiskShared::new(cell, FeatureConfig::default()).with_fraud_model(Arc::new(model)),
    ))
}

/// Latencies of one evaluation, in microseconds.
#[derive(Clone, Debug, Serialize)]
pub struct RiskEval {
    pub median_us: f64,
    pub p99_us: f64,
    pub mean_us: f64,
    pub evaluations: usize,
    /// What one evaluation is.
    pub what: &'static str,
}

fn event(rng: &mut XorShift, at_ms: i64, payment: bool) -> CheckpointInput {
    let user = rng.below(USERS);
    let device = if rng.below(20) == 0 {
        rng.below(8_000)
    } else {
        user * 8_000 / USERS
    };
    let ip = if rng.below(10) == 0 {
        rng.below(3_000)
    } else {
        user % 3_000
    };
    let city = [
        (31_230_400, 121_473_700),
        (39_904_200, 116_407_400),
        (23_129_100, 113_264_400),
    ][(user % 3) as usize];
    let geo = Geo::new(city.0 + rng.below(20_000) as i32, city.1 + rng.below(20_000) as i32).ok();
    let detail = if payment {
        CheckpointDetail::PaymentAuthorization {
            merchant: MerchantId(rng.below(500)),
            amount: Amount::from_fen(1_000 + rng.below(150_000) as i64),
            installments: 1,
        }
    } else if rng.below(2) == 0 {
        CheckpointDetail::Login { password_ok: true }
    } else {
        CheckpointDetail::Repayment {
            amount: Amount::from_fen(50_000),
            card: CardToken(user % 2_000),
        }
    };
    CheckpointInput {
        user: UserId(user),
        device: DeviceId(device),
        ip: IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0000 | ip as u32)),
        geo,
        channel: Channel::Online,
        at: Timestamp::from_millis(at_ms),
        signals: Signals::default(),
        detail,
    }
}

/// A credit file per customer, as the scorecard reads it.
fn credit_files(model: &Model, rng: &mut XorShift) -> Result<Vec<Row>, BenchError> {
    let pick = |rng: &mut XorShift, xs: &[&'static str]| xs[rng.below(xs.len() as u64) as usize];
    (0..USERS)
        .map(|_| {
            let numbers = [
                ("Seniority", rng.below(20)),
                ("Time", 12 + rng.below(48)),
                ("Age", 20 + rng.below(45)),
                ("Expenses", 35 + rng.below(65)),
                ("Income", 50 + rng.below(150)),
                ("Assets", rng.below(20_000)),
                ("Amount", 300 + rng.below(1_700)),
                ("Price", 500 + rng.below(2_500)),
            ]
            .map(|(name, value)| (name, value.to_string()));
            let categories = [
                ("Home", pick(rng, &["owner", "rent", "parents", "priv", "other"])),
                ("Marital", pick(rng, &["married", "single"])),
                ("Records", pick(rng, &["no", "no", "no", "yes"])),
                ("Job", pick(rng, &["fixed", "freelance", "partime", "others"])),
            ];
            let pairs = numbers
                .iter()
                .map(|(n, v)| (*n, v.as_str()))
                .chain(categories.iter().copied());
            model
                .schema()
                .row_from_pairs(pairs)
                .map_err(|e| BenchError::Other(format!("credit file: {e}")))
        })
        .collect()
}

/// Evaluates `evaluations` payment authorizations against a warm feature state, scoring the
/// shipped fraud model (with its TreeSHAP reason codes, as the engine does) when `fraud_model`.
pub fn run(evaluations: usize, fraud_model: bool) -> Result<RiskEval, BenchError> {
    let rules = rules()?;
    let fraud = match fraud_model {
        true => Some(FraudModel::shipped().map_err(|e| BenchError::Other(e.to_string()))?),
        false => None,
    };
    let mut fraud_scratch = FraudScratch::default();
    let model = Model::Scorecard(Scorecard::from_json(SCORECARD).map_err(|e| BenchError::Other(e.to_string()))?);
    let mut rng = XorShift::new(0x5eed);
    let files = credit_files(&model, &mut rng)?;
    let mut store = FeatureStore::new(FeatureConfig::default());
    let mut now = START_MS - 30 * 86_400_000;
    let step = 30 * 86_400_000 / HISTORY as i64;
    for i in 0..HISTORY {
        now += step;
        let input = event(&mut rng, now, i % 3 != 2);
        store.observe(&input, false, Timestamp::from_millis(now));
    }
    let mut workspace = model.workspace();
    let mut scored = Scored::default();
    let options = Options {
        reasons: 0,
        ..Options::default()
    };
    let mut nanos = Vec::with_capacity(evaluations);
    for _ in 0..evaluations {
        now += 500;
        let input = event(&mut rng, now, true);
        let ts = Timestamp::from_millis(now);
        let begun = Instant::now();
        let features = store.features_for(&input, ts);
        model.score_into(&files[input.user.0 as usize], options, &mut workspace, &mut scored);
        let models = ModelScores {
            fraud_score: None,
            credit_pd: Some(scored.pd),
            credit_score: Some(scored.score.round() as i32),
        };
        if let Some(fraud) = &fraud {
            let ctx = risk::RuleContext {
                input: &input,
                features: &features,
                models: &models,
                now: ts,
            };
            std::hint::black_box(fraud.score(&ctx, &mut fraud_scratch));
        }
        let decision = decide(&rules, &input, &features, &models, ts);
        store.observe(&input, decision.outcome.is_deny(), ts);
        nanos.push(begun.elapsed().as_nanos() as u64);
        std::hint::black_box(&decision);
    }
    nanos.sort_unstable();
    let at = |q: f64| nanos[((nanos.len() - 1) as f64 * q).round() as usize] as f64 / 1e3;
    let mean = nanos.iter().sum::<u64>() as f64 / nanos.len().max(1) as f64 / 1e3;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Ok(RiskEval {
        median_us: round(at(0.5)),
        p99_us: round(at(0.99)),
        mean_us: round(mean),
        evaluations,
        what: if fraud_model {
            "features + scorecard PD + fraud model (LightGBM + TreeSHAP reasons) + payment_authorization rules (fast path) + recording the attempt, one core"
        } else {
            "features + scorecard PD + payment_authorization rules (fast path) + recording the attempt, one core"
        },
    })
}

/// What `iou bench --risk` reports.
#[derive(Debug, Serialize)]
pub struct RiskReport {
    pub cores: usize,
    pub accounts: u64,
    pub in_flight: usize,
    pub partitions: u32,
    pub risk_eval: RiskEval,
    /// The same evaluation without the fraud model (what it costs: the difference).
    pub risk_eval_without_fraud_model: RiskEval,
    /// The in-process engine without risk decisions.
    pub inprocess: crate::Figures,
    /// The same with the shipped rules deciding every authorization.
    pub inprocess_risk: crate::Figures,
    /// How much risk lowers authorizations per second, in percent.
    pub risk_cost_pct: f64,
}

impl RiskReport {
    pub fn new(
        load: &crate::Load,
        risk_eval: RiskEval,
        risk_eval_without_fraud_model: RiskEval,
        inprocess: crate::Figures,
        inprocess_risk: crate::Figures,
    ) -> RiskReport {
        let cost = if inprocess.auth_per_s > 0.0 {
            (1.0 - inprocess_risk.auth_per_s / inprocess.auth_per_s) * 100.0
        } else {
            0.0
        };
        RiskReport {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            accounts: load.accounts,
            in_flight: load.in_flight,
            partitions: load.partitions,
            risk_eval,
            risk_eval_without_fraud_model,
            inprocess,
            inprocess_risk,
            risk_cost_pct: (cost * 10.0).round() / 10.0,
        }
    }

    pub fn text(&self) -> String {
        let e = &self.risk_eval;
        let mut out = format!(
            "risk evaluation ({}): median {:.2} us, p99 {:.2} us, mean {:.2} us over {} evaluations\n",
            e.what, e.median_us, e.p99_us, e.mean_us, e.evaluations
        );
        let w = &self.risk_eval_without_fraud_model;
        out.push_str(&format!(
            "without the fraud model: median {:.2} us, p99 {:.2} us, mean {:.2} us\n",
            w.median_us, w.p99_us, w.mean_us
        ));
        out.push_str(&format!(
            "in-process engine, {} cores, {} accounts, {} in flight, {} partitions:\n",
            self.cores, self.accounts, self.in_flight, self.partitions
        ));
        for (name, f) in [("without risk", &self.inprocess), ("with risk", &self.inprocess_risk)] {
            out.push_str(&format!(
                "  {name:<14} {:>10.0} auth/s  p50 {:.3} ms  p99 {:.3} ms  ({} approved, {} declined)\n",
                f.auth_per_s, f.p50_ms, f.p99_ms, f.approved, f.declined
            ));
        }
        out.push_str(&format!("risk lowers auth/s by {:.1}%\n", self.risk_cost_pct));
        out
    }
}
