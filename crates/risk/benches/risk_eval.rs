//! Benchmark of one payment-authorization risk evaluation on one thread: feature lookup (user +
//! device, IP, merchant windows), a stand-in model score computed from the features, and the
//! default `payment_authorization` graph, with the fast path and with zen-engine. The feature
//! state is realistic: 5,000 users, 8,000 devices, 3,000 IPs, 500 merchants, 2,000 cards and
//! 200,000 events over the 30 days before the measured ones.
//!
//! `cargo bench -p risk --bench risk_eval` prints median, p99, p99.9 and mean per step in
//! microseconds (`RISK_BENCH_BREAKDOWN_ONLY=1` stops after the per-call breakdown).
//!
//! `RISK_BENCH_PROFILE=N` only evaluates N payments (features + stand-in model + rules +
//! observe) in `profile_loop`, for instruction counts that do not depend on a busy machine:
//! `valgrind --tool=callgrind --toggle-collect='*profile_loop*' target/release/deps/risk_eval-*`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use money::Amount;
use risk::features::FeatureVector;
use risk::rules::CompiledGraph;
use risk::{
    CardToken, Channel, Checkpoint, CheckpointDetail, CheckpointInput, DeviceId, EvaluatorChoice, FeatureConfig,
    FeatureStore, Geo, MerchantId, ModelScores, ProfileField, RuleContext, RuleSet, Signals, Timestamp, UserId, decide,
};

const USERS: u64 = 5_000;
const HISTORY: usize = 200_000;
const MEASURED: usize = 20_000;
const START_MS: i64 = 1_700_000_000_000;

struct Rng(seeded::SplitMix64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An event of a random user: mostly from the user's own device, IP and city.
fn event(rng: &mut Rng, at_ms: i64, checkpoint: Checkpoint) -> CheckpointInput {
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
    let detail = match checkpoint {
        Checkpoint::PaymentAuthorization => CheckpointDetail::PaymentAuthorization {
            merchant: MerchantId(rng.below(500)),
            amount: Amount::from_fen(1_000 + rng.below(300_000) as i64),
            installments: 1,
        },
        Checkpoint::Login => CheckpointDetail::Login {
            password_ok: rng.below(10) != 0,
        },
        Checkpoint::Repayment => CheckpointDetail::Repayment {
            amount: Amount::from_fen(50_000),
            card: CardToken(user % 2_000),
        },
        _ => CheckpointDetail::ProfileChange {
            field: ProfileField::BankCard,
            card: Some(CardToken(user % 2_000)),
        },
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

/// A stand-in fraud model: a logistic score over a few features (the model crate's scorer goes
/// here; a LightGBM dump scores in about 0.8 us per row).
fn stand_in_model(features: &FeatureVector) -> ModelScores {
    let user = &features.user;
    let z = -4.0
        + 0.3 * f64::from(user.tally.m5.payments)
        + if user.device_age_hours < 24 { 1.0 } else { 0.0 }
        + f64::from(user.amount_vs_mean_pct.unwrap_or(100)) / 500.0
        + 0.2 * f64::from(features.device.distinct_users.h24);
    ModelScores {
        fraud_score: Some(1.0 / (1.0 + (-z).exp())),
        credit_pd: None,
        credit_score: None,
    }
}

fn rules(choice: EvaluatorChoice) -> RuleSet {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let sources = Checkpoint::ALL.iter().map(|c| {
        let path = dir.join(format!("{}.json", c.name()));
        let json = std::fs::read_to_string(&path).expect("rules file");
        (c.name(), json)
    });
    RuleSet::from_sources(sources, choice).expect("default rules")
}

/// Feature state after 30 days of history.
fn warm_store() -> (FeatureStore, i64) {
    let mut store = FeatureStore::new(FeatureConfig::default());
    let mut rng = Rng(seeded::SplitMix64::new(1));
    let step = 30 * 86_400_000 / HISTORY as i64;
    let kinds = [
        Checkpoint::PaymentAuthorization,
        Checkpoint::PaymentAuthorization,
        Checkpoint::PaymentAuthorization,
        Checkpoint::Login,
        Checkpoint::Login,
        Checkpoint::Repayment,
        Checkpoint::ProfileChange,
    ];
    let mut now = START_MS;
    for i in 0..HISTORY {
        now += step;
        let input = event(&mut rng, now, kinds[i % kinds.len()]);
        store.observe(&input, false, Timestamp::from_millis(now));
    }
    (store, now)
}

struct Stats {
    name: &'static str,
    nanos: Vec<u64>,
}

impl Stats {
    fn new(name: &'static str) -> Stats {
        Stats {
            name,
            nanos: Vec::with_capacity(MEASURED),
        }
    }

    fn print(&mut self) {
        self.nanos.sort_unstable();
        let at = |q: f64| self.nanos[((self.nanos.len() as f64 - 1.0) * q) as usize] as f64 / 1e3;
        let mean = self.nanos.iter().sum::<u64>() as f64 / self.nanos.len() as f64 / 1e3;
        println!(
            "{:<44} median {:>7.2} us   p99 {:>7.2} us   p99.9 {:>7.2} us   mean {:>7.2} us",
            self.name,
            at(0.5),
            at(0.99),
            at(0.999),
            mean
        );
    }
}

/// Evaluates `MEASURED` payments against a warm store with `rules`, timing each step.
fn run(label: &'static str, rules: &RuleSet, graph_only: Option<&CompiledGraph>) {
    let (mut store, mut now) = warm_store();
    let mut rng = Rng(seeded::SplitMix64::new(2));
    let mut features_t = Stats::new("  features_for");
    let mut model_t = Stats::new("  stand-in model");
    let mut rules_t = Stats::new("  rules (decide)");
    let mut total_t = Stats::new("  evaluation = features + model + rules");
    let mut observe_t = Stats::new("  observe (after the decision)");
    let mut denied = 0usize;
    for _ in 0..MEASURED {
        now += 500;
        let input = event(&mut rng, now, Checkpoint::PaymentAuthorization);
        let ts = Timestamp::from_millis(now);
        let t0 = Instant::now();
        let features = store.features_for(&input, ts);
        let t1 = Instant::now();
        let models = stand_in_model(&features);
        let t2 = Instant::now();
        let is_deny = match graph_only {
            None => {
                let decision = decide(rules, &input, &features, &models, ts);
                decision.outcome.is_deny()
            }
            Some(graph) => {
                let ctx = RuleContext {
                    input: &input,
                    features: &features,
                    models: &models,
                    now: ts,
                };
                black_box(graph.run_reference_untraced(&ctx).is_err())
            }
        };
        let t3 = Instant::now();
        store.observe(&input, is_deny, ts);
        let t4 = Instant::now();
        denied += usize::from(is_deny);
        features_t.nanos.push((t1 - t0).as_nanos() as u64);
        model_t.nanos.push((t2 - t1).as_nanos() as u64);
        rules_t.nanos.push((t3 - t2).as_nanos() as u64);
        total_t.nanos.push((t3 - t0).as_nanos() as u64);
        observe_t.nanos.push((t4 - t3).as_nanos() as u64);
    }
    println!("{label} ({MEASURED} payments, {denied} denied or failed)");
    for stats in [
        &mut total_t,
        &mut features_t,
        &mut model_t,
        &mut rules_t,
        &mut observe_t,
    ] {
        stats.print();
    }
}

/// Mean time of `f` over many calls on one fixed context (breakdown of the rules step).
fn micro(name: &str, mut f: impl FnMut()) {
    for _ in 0..1_000 {
        f();
    }
    let n = 50_000;
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    println!(
        "  {name:<42} {:>7.3} us",
        t.elapsed().as_nanos() as f64 / n as f64 / 1e3
    );
}

fn breakdown(fast: &RuleSet) {
    let (mut store, now) = warm_store();
    let mut rng = Rng(seeded::SplitMix64::new(3));
    let input = event(&mut rng, now, Checkpoint::PaymentAuthorization);
    let ts = Timestamp::from_millis(now);
    let features = store.features_for(&input, ts);
    let models = stand_in_model(&features);
    let ctx = RuleContext {
        input: &input,
        features: &features,
        models: &models,
        now: ts,
    };
    let graph = fast.live(Checkpoint::PaymentAuthorization);
    println!("breakdown on one payment (mean of 50,000 calls)");
    micro("features_for (warm user, hot merchant)", || {
        black_box(store.features_for(black_box(&input), ts));
    });
    micro("fast graph run (result tree + trace)", || {
        black_box(graph.run(black_box(&ctx), risk::Evaluator::Fast).is_ok());
    });
    micro("fast verdict (run + output contract)", || {
        black_box(graph.verdict(black_box(&ctx), None));
    });
    micro("decide (verdict + Decision)", || {
        black_box(decide(fast, &input, &features, &models, ts));
    });
}

/// The evaluations `RISK_BENCH_PROFILE` counts, kept out of line so a profiler can select them.
#[inline(never)]
fn profile_loop(store: &mut FeatureStore, rules: &RuleSet, inputs: &[CheckpointInput]) -> usize {
    let mut denied = 0;
    for input in inputs {
        let features = store.features_for(input, input.at);
        let models = stand_in_model(&features);
        let decision = decide(rules, input, &features, &models, input.at);
        let is_deny = decision.outcome.is_deny();
        store.observe(input, is_deny, input.at);
        denied += usize::from(black_box(is_deny));
    }
    denied
}

fn profile(evaluations: usize) {
    let fast = rules(EvaluatorChoice::Auto);
    let (mut store, mut now) = warm_store();
    let mut rng = Rng(seeded::SplitMix64::new(2));
    let inputs: Vec<_> = (0..evaluations)
        .map(|_| {
            now += 500;
            event(&mut rng, now, Checkpoint::PaymentAuthorization)
        })
        .collect();
    let t = Instant::now();
    let denied = profile_loop(&mut store, &fast, &inputs);
    println!(
        "profile: {evaluations} payments, {denied} denied, mean {:.3} us",
        t.elapsed().as_nanos() as f64 / evaluations.max(1) as f64 / 1e3
    );
}

fn main() {
    if let Some(n) = std::env::var("RISK_BENCH_PROFILE").ok().and_then(|n| n.parse().ok()) {
        profile(n);
        return;
    }
    let fast = Arc::new(rules(EvaluatorChoice::Auto));
    let zen = rules(EvaluatorChoice::ReferenceOnly);
    for (name, evaluator, why) in fast.report() {
        if name.starts_with("payment_authorization") {
            println!("{name}: {evaluator:?} {}", why.unwrap_or_default());
        }
    }
    breakdown(&fast);
    if std::env::var_os("RISK_BENCH_BREAKDOWN_ONLY").is_some() {
        return;
    }
    run("fast path, with trace", &fast, None);
    run("zen-engine, with trace", &zen, None);
    run(
        "zen-engine, no trace, raw result (no decision built)",
        &zen,
        Some(zen.live(Checkpoint::PaymentAuthorization)),
    );
}
