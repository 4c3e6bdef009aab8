//! The fast evaluator against zen-engine: every default graph, plus test graphs that use more
//! of the expression language, over hundreds of generated inputs whose values cluster around
//! the rules' thresholds. Results (normalized), traces (rows fired, values computed), errors
//! and verdicts must be identical.

use std::collections::BTreeSet;

use risk::features::{
    BindingFeatures, EntityFeatures, FeatureVector, GraphFeatures, HistoryFeatures, MerchantCounts, MerchantFeatures,
    Tally, UserFeatures, Windowed,
};
use risk::rules::{CompiledGraph, RunError};
use risk::{Checkpoint, Evaluator, EvaluatorChoice, ModelScores, RuleContext, Timestamp};

use crate::common::{Rng, default_rules, random_input};

fn tally(rng: &mut Rng, scale: i64) -> Tally {
    let mut n = || rng.range(0, scale) as u32;
    Tally {
        events: n(),
        logins: n(),
        failed_logins: n() * 2,
        device_changes: n() / 2,
        activations: n() / 4,
        credit_applications: n() / 2,
        payments: n(),
        profile_changes: n() / 3,
        repayments: n(),
        deliveries: n(),
        denials: n() / 3,
        payment_amount_fen: i64::from(n()) * 350_000,
    }
}

fn windowed<T>(mut f: impl FnMut() -> T) -> Windowed<T> {
    Windowed {
        m5: f(),
        h1: f(),
        h24: f(),
        d30: f(),
    }
}

fn entity(rng: &mut Rng) -> EntityFeatures {
    EntityFeatures {
        tally: windowed(|| tally(rng, 12)),
        distinct_users: windowed(|| rng.range(1, 12) as u32),
        age_days: rng.range(0, 3) as u32,
        saturated: rng.chance(5),
    }
}

fn opt_u32(rng: &mut Rng, high: i64) -> Option<u32> {
    rng.chance(75).then(|| rng.range(0, high) as u32)
}

fn features(rng: &mut Rng) -> FeatureVector {
    let user = UserFeatures {
        tally: windowed(|| tally(rng, 10)),
        distinct_devices: windowed(|| rng.range(1, 5) as u32),
        distinct_ips: windowed(|| rng.range(1, 5) as u32),
        distinct_merchants: windowed(|| rng.range(0, 5) as u32),
        distinct_cards: windowed(|| rng.range(0, 3) as u32),
        account_age_days: rng.range(0, 400) as u32,
        device_age_hours: rng.pick(&[0, 5, 23, 24, 500]),
        usual_places: rng.range(0, 3) as u32,
        km_from_usual: opt_u32(rng, 1_000),
        km_from_last: opt_u32(rng, 2_000),
        kmh_from_last: opt_u32(rng, 1_600),
        payment_mean_30d_fen: rng.chance(70).then(|| rng.range(1, 200_000)),
        amount_vs_mean_pct: opt_u32(rng, 1_200),
        saturated: rng.chance(5),
    };
    FeatureVector {
        hour_of_day: rng.range(0, 23) as u8,
        user,
        device: entity(rng),
        ip: entity(rng),
        merchant: rng.chance(80).then(|| entity(rng)),
        card: rng.chance(80).then(|| entity(rng)),
        // Drawn after the models (`with_history`), so the draws before it stay what they were.
        history: HistoryFeatures::default(),
        ..FeatureVector::default()
    }
}

/// Own-history features (issue 16), with the rules' thresholds among the draws.
fn history(rng: &mut Rng) -> HistoryFeatures {
    HistoryFeatures {
        payments_before: rng.pick(&[0, 2, 3, 4, 10, 40]),
        amount_z_centi: rng
            .chance(70)
            .then(|| rng.pick(&[-150, 0, 199, 200, 300, 399, 400, 800, 2_500])),
        largest_before_fen: rng.chance(70).then(|| rng.range(1, 2_000_000)),
        amount_vs_largest_pct: opt_u32(rng, 1_000),
        days_quiet: rng.pick(&[0, 1, 13, 14, 15, 45, 200]),
        new_merchants_24h: rng.range(0, 8) as u32,
        hours_since_limit_request: rng.chance(40).then(|| rng.pick(&[0, 5, 47, 48, 49, 500])),
        spend_since_limit_request_fen: rng.chance(40).then(|| rng.range(0, 3_000_000)),
    }
}

/// Draws the merchant, binding and graph features into `f` (after the models, so the draws of
/// the older features and scores, and the outcomes they cover, stay what they were).
fn link_features(rng: &mut Rng, f: &mut FeatureVector) {
    *f = FeatureVector {
        merchant_book: rng.chance(80).then(|| merchant_book(rng)),
        binding: BindingFeatures {
            device_bound: rng.chance(60),
            device_seen_at_login: rng.chance(60),
            bound_devices: rng.range(0, 4) as u32,
            saturated: rng.chance(5),
        },
        graph: GraphFeatures {
            component_size: rng.pick(&[1, 2, 3, 5, 8, 20, 200]),
            component_fraud: rng.pick(&[0, 0, 1, 2, 5]),
            component_age_days: rng.range(0, 60) as u32,
            saturated: rng.chance(5),
        },
        ..*f
    };
}

/// Merchant-book counts around the thresholds of rate rules (zero denominators included).
fn merchant_counts(rng: &mut Rng) -> MerchantCounts {
    let payments = rng.pick(&[0, 1, 4, 20, 100]);
    let captures = rng.pick(&[0, 1, 5, 20, 100]);
    let part = |rng: &mut Rng, whole: u32| rng.range(0, i64::from(whole)) as u32;
    MerchantCounts {
        payments,
        young_or_new_device: part(rng, payments),
        maxed_out: part(rng, payments),
        captures,
        captures_undelivered: part(rng, captures),
        voids: part(rng, payments),
        refunds: part(rng, captures),
        theft_reports: part(rng, payments),
    }
}

fn merchant_book(rng: &mut Rng) -> MerchantFeatures {
    MerchantFeatures {
        age_days: rng.pick(&[0, 1, 6, 7, 30, 400]),
        h24: merchant_counts(rng),
        d30: merchant_counts(rng),
    }
}

fn score(rng: &mut Rng) -> Option<f64> {
    let edges = [0.1, 0.49995, 0.5, 0.6, 0.69994, 0.7, 0.85, 0.9, 0.95, 0.12, 0.25];
    match rng.below(4) {
        0 => None,
        1 => Some(rng.below(10_001) as f64 / 10_000.0),
        _ => Some(rng.pick(&edges)),
    }
}

fn models(rng: &mut Rng) -> ModelScores {
    ModelScores {
        fraud_score: score(rng),
        credit_pd: score(rng),
        credit_score: rng.chance(50).then(|| rng.range(300, 900) as i32),
    }
}

/// Runs both evaluators on one context and asserts they agree; returns the verdict's outcome
/// name for coverage counting (or "error").
fn check_one(graph: &CompiledGraph, ctx: &RuleContext<'_>, label: &str) -> String {
    let fast = graph.run(ctx, Evaluator::Fast);
    let zen = graph.run(ctx, Evaluator::Reference);
    let zen_untraced = graph.run_reference_untraced(ctx);
    match (fast, zen, zen_untraced) {
        (Ok(fast), Ok(zen), Ok(plain)) => {
            let fast_result = fast.result.clone().normalized();
            assert_eq!(fast_result, zen.result.normalized(), "{label}: result (traced zen)");
            assert_eq!(fast_result, plain.result.normalized(), "{label}: result (untraced zen)");
            assert_eq!(fast.steps, zen.steps, "{label}: trace");
        }
        (Err(RunError::Failed(_)), Err(RunError::Failed(_)), Err(RunError::Failed(_))) => {
            return "error".to_owned();
        }
        (fast, zen, _) => panic!("{label}: fast {fast:?} but zen {zen:?}"),
    }
    let mut fast_verdict = graph.verdict(ctx, Some(Evaluator::Fast));
    let zen_verdict = graph.verdict(ctx, Some(Evaluator::Reference));
    fast_verdict.trace.evaluator = Evaluator::Reference;
    assert_eq!(fast_verdict, zen_verdict, "{label}: verdict");
    format!("{:?}", zen_verdict.outcome)
}

#[test]
fn every_default_graph_runs_on_the_fast_path() {
    let rules = default_rules(EvaluatorChoice::Auto);
    for checkpoint in Checkpoint::ALL {
        let graph = rules.live(checkpoint);
        assert_eq!(
            graph.preferred_evaluator(),
            Evaluator::Fast,
            "{}: {:?}",
            checkpoint.name(),
            graph.fast_unsupported()
        );
    }
}

#[test]
fn fast_path_equals_zen_engine_on_every_default_graph() {
    let rules = default_rules(EvaluatorChoice::Auto);
    for checkpoint in Checkpoint::ALL {
        let graph = rules.live(checkpoint);
        let mut outcomes = BTreeSet::new();
        for seed in 0..300u64 {
            let mut rng = Rng::new(seed * 31 + checkpoint.index() as u64);
            let now = 1_700_000_000_000 + rng.range(0, 86_400_000);
            let mut input = random_input(&mut rng, now);
            input.detail = crate::common::random_detail_for(&mut rng, checkpoint, now);
            let mut features = features(&mut rng);
            let models = models(&mut rng);
            features.history = history(&mut rng);
            link_features(&mut rng, &mut features);
            let ctx = RuleContext {
                input: &input,
                features: &features,
                models: &models,
                now: Timestamp::from_millis(now),
            };
            outcomes.insert(check_one(graph, &ctx, &format!("{} seed {seed}", checkpoint.name())));
        }
        assert!(
            outcomes.len() >= 3 && !outcomes.contains("error"),
            "{}: outcomes {outcomes:?}",
            checkpoint.name()
        );
    }
}

/// The whole decision (rules, then the OTP -> liveness escalation) is the same on both
/// evaluators, on generated features and on the same features with every takeover signal
/// cleared; and each OTP challenge without signals becomes liveness once one signal (a phone
/// change this month) is added.
#[test]
fn decisions_with_escalation_agree_on_both_evaluators() {
    let fast = default_rules(EvaluatorChoice::Auto);
    let reference = default_rules(EvaluatorChoice::ReferenceOnly);
    let (mut escalated, mut otp) = (0, 0);
    for seed in 0..600u64 {
        let mut rng = Rng::new(seed + 77_000);
        let now = 1_700_000_000_000 + rng.range(0, 86_400_000);
        let mut input = random_input(&mut rng, now);
        input.detail = crate::common::random_detail_for(&mut rng, Checkpoint::PaymentAuthorization, now);
        let mut noisy = features(&mut rng);
        // A device bound to the account (a takeover binds its own; an unbound one is
        // `UNBOUND_DEVICE`, liveness before any OTP rule), so OTP challenges stay to escalate.
        noisy.binding.device_bound = true;
        let mut quiet = noisy;
        quiet.user.device_age_hours = 500;
        quiet.user.account_age_days = quiet.user.account_age_days.max(30);
        quiet.user.tally.d30.device_changes = 0;
        quiet.user.tally.d30.profile_changes = 0;
        quiet.user.kmh_from_last = None;
        let models = models(&mut rng);
        let at = Timestamp::from_millis(now);
        let decide = |features: &risk::FeatureVector| {
            let a = risk::decide(&fast, &input, features, &models, at);
            let b = risk::decide(&reference, &input, features, &models, at);
            assert_eq!((a.outcome, &a.reasons), (b.outcome, &b.reasons), "seed {seed}");
            a
        };
        let noisy_decision = decide(&noisy);
        if noisy_decision.reasons.contains(&risk::escalation::STEP_UP_ESCALATED) {
            escalated += 1;
        }
        assert!(risk::escalation::takeover_signals(&input, &quiet).is_empty());
        if decide(&quiet).outcome != risk::Outcome::Challenge(risk::ChallengeKind::Otp) {
            continue;
        }
        otp += 1;
        let mut changed = quiet;
        changed.user.tally.d30.profile_changes = 1;
        let after = decide(&changed);
        assert_eq!(
            after.outcome,
            risk::Outcome::Challenge(risk::ChallengeKind::Liveness),
            "seed {seed}"
        );
        assert!(after.reasons.ends_with(&[
            risk::escalation::STEP_UP_ESCALATED,
            risk::escalation::TAKEOVER_PROFILE_CHANGE
        ]));
    }
    assert!(escalated > 0 && otp > 5, "escalated {escalated}, otp challenges {otp}");
}

/// The shadow graphs shipped beside the live ones (the payment shadow reads the merchant,
/// binding and graph features): both evaluators agree on them too.
#[test]
fn fast_path_equals_zen_engine_on_every_shadow_graph() {
    let mut sources = crate::common::default_sources();
    for checkpoint in Checkpoint::ALL {
        let path = crate::common::rules_dir().join(format!("{}.shadow.json", checkpoint.name()));
        if let Ok(json) = std::fs::read_to_string(&path) {
            sources.push((format!("{}.shadow", checkpoint.name()), json));
        }
    }
    let rules = risk::RuleSet::from_sources(sources, EvaluatorChoice::Auto).expect("shipped rules build");
    let shadows: Vec<_> = Checkpoint::ALL
        .into_iter()
        .filter_map(|c| rules.shadow(c).map(|g| (c, g)))
        .collect();
    assert!(!shadows.is_empty(), "rules/ ships a shadow graph");
    for (checkpoint, graph) in shadows {
        assert_eq!(
            graph.preferred_evaluator(),
            Evaluator::Fast,
            "{:?}",
            graph.fast_unsupported()
        );
        let mut outcomes = BTreeSet::new();
        for seed in 0..600u64 {
            let mut rng = Rng::new(seed * 17 + 5);
            let now = 1_700_000_000_000 + rng.range(0, 86_400_000);
            let mut input = random_input(&mut rng, now);
            input.detail = crate::common::random_detail_for(&mut rng, checkpoint, now);
            let mut features = features(&mut rng);
            let models = models(&mut rng);
            link_features(&mut rng, &mut features);
            let ctx = RuleContext {
                input: &input,
                features: &features,
                models: &models,
                now: Timestamp::from_millis(now),
            };
            outcomes.insert(check_one(
                graph,
                &ctx,
                &format!("{} shadow seed {seed}", checkpoint.name()),
            ));
        }
        assert!(
            outcomes.len() >= 3 && !outcomes.contains("error"),
            "{}: outcomes {outcomes:?}",
            checkpoint.name()
        );
    }
}

fn test_graph(name: &str) -> CompiledGraph {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/graphs")
        .join(format!("{name}.json"));
    let json = std::fs::read_to_string(&path).expect("test graph");
    CompiledGraph::compile(name, "payment_authorization", &json).expect("test graph compiles")
}

/// Graphs that use more of the language than the defaults: chains with pass-through and
/// output paths, arithmetic, conditionals, functions, `$`, nulls, and failing expressions.
#[test]
fn fast_path_equals_zen_engine_on_the_language_test_graphs() {
    for name in ["syntax", "errors", "passthrough"] {
        let graph = test_graph(name);
        assert_eq!(
            graph.preferred_evaluator(),
            Evaluator::Fast,
            "{name}: {:?}",
            graph.fast_unsupported()
        );
        let mut outcomes = std::collections::BTreeMap::new();
        for seed in 0..300u64 {
            let mut rng = Rng::new(seed + 10_000);
            let now = 1_700_000_000_000 + rng.range(0, 86_400_000);
            let input = random_input(&mut rng, now);
            let mut features = features(&mut rng);
            let models = models(&mut rng);
            link_features(&mut rng, &mut features);
            let ctx = RuleContext {
                input: &input,
                features: &features,
                models: &models,
                now: Timestamp::from_millis(now),
            };
            let graph_ref = &graph;
            let label = format!("{name} seed {seed}");
            let fast = graph_ref.run(&ctx, Evaluator::Fast);
            let zen = graph_ref.run(&ctx, Evaluator::Reference);
            match (&fast, &zen) {
                (Ok(f), Ok(z)) => {
                    assert_eq!(f.result.clone().normalized(), z.result.clone().normalized(), "{label}");
                    assert_eq!(f.steps, z.steps, "{label}: trace");
                    *outcomes.entry("ok").or_insert(0) += 1;
                }
                (Err(RunError::Failed(_)), Err(RunError::Failed(_))) => {
                    *outcomes.entry("error").or_insert(0) += 1;
                }
                _ => panic!("{label}: fast {fast:?} but zen {zen:?}"),
            }
        }
        let ok = outcomes.get("ok").copied().unwrap_or(0);
        let failed = outcomes.get("error").copied().unwrap_or(0);
        match name {
            "errors" => assert!(ok > 30 && failed > 30, "{name}: {outcomes:?}"),
            _ => assert_eq!(ok, 300, "{name}: {outcomes:?}"),
        }
    }
}

#[test]
fn graphs_outside_the_fast_path_fall_back_to_zen_engine() {
    let graph = test_graph("switch");
    let why = graph.fast_unsupported().expect("a switch node is not supported");
    assert!(why.contains("switch"), "{why}");
    assert_eq!(graph.preferred_evaluator(), Evaluator::Reference);
    let input = crate::common::input(Checkpoint::PaymentAuthorization, 1_700_000_000_000);
    let features = FeatureVector::default();
    let models = ModelScores::default();
    let ctx = RuleContext {
        input: &input,
        features: &features,
        models: &models,
        now: Timestamp::from_millis(1_700_000_000_000),
    };
    let verdict = graph.verdict(&ctx, None);
    assert_eq!(verdict.trace.evaluator, Evaluator::Reference);
    assert_eq!(verdict.outcome, risk::Outcome::Allow, "{verdict:?}");
}
