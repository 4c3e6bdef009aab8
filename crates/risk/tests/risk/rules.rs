//! Rule sets: shadows never change the live decision, hot swaps are atomic, bad graph files are
//! refused with a reason, broken output contracts give review, and the engine's evaluate /
//! observe loop counts denied attempts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use risk::features::FeatureVector;
use risk::{
    Checkpoint, Evaluator, EvaluatorChoice, FeatureConfig, ModelScores, Outcome, ReasonCode, RiskEngine, RuleSet,
    RuleSetCell, RuleSetError, Timestamp, decide,
};

use crate::common::{Rng, default_sources, input, random_input};

/// A graph for `checkpoint` that decides `outcome` with reason `reason` whatever the input.
fn constant_graph(checkpoint: &str, version: u32, outcome: &str, reason: &str) -> String {
    let challenge = if outcome == "challenge" {
        r#""\"otp\"""#
    } else {
        r#""""#
    };
    format!(
        r#"{{
  "metadata": {{"checkpoint": "{checkpoint}", "version": {version}}},
  "nodes": [
    {{"id": "in", "name": "in", "type": "inputNode", "content": {{}}}},
    {{"id": "t", "name": "constant", "type": "decisionTableNode", "content": {{
      "hitPolicy": "first", "inputs": [],
      "outputs": [{{"id": "o", "name": "o", "field": "outcome"}},
                  {{"id": "c", "name": "c", "field": "challenge"}},
                  {{"id": "r", "name": "r", "field": "reasons[]"}}],
      "rules": [{{"_id": "x", "o": "\"{outcome}\"", "c": {challenge}, "r": "\"{reason}\""}}]}}}},
    {{"id": "out", "name": "out", "type": "outputNode", "content": {{}}}}
  ],
  "edges": [
    {{"id": "a", "sourceId": "in", "targetId": "t"}},
    {{"id": "b", "sourceId": "t", "targetId": "out"}}
  ]
}}"#
    )
}

/// Every checkpoint deciding `outcome` with reason `reason`, all graphs at `version`.
fn constant_set(version: u32, outcome: &str, reason: &str) -> RuleSet {
    let sources = Checkpoint::ALL
        .iter()
        .map(|c| (c.name().to_owned(), constant_graph(c.name(), version, outcome, reason)));
    RuleSet::from_sources(sources, EvaluatorChoice::Auto).expect("constant set builds")
}

#[test]
fn a_shadow_graph_never_changes_the_live_decision() {
    let live_only = RuleSet::from_sources(default_sources(), EvaluatorChoice::Auto).expect("builds");
    let mut sources = default_sources();
    for c in Checkpoint::ALL {
        sources.push((
            format!("{}.shadow", c.name()),
            constant_graph(c.name(), 9, "deny", "SHADOW_SAYS_NO"),
        ));
    }
    let with_shadow = RuleSet::from_sources(sources, EvaluatorChoice::Auto).expect("builds");
    let mut rng = Rng::new(42);
    for i in 0..200 {
        let now = Timestamp::from_millis(1_700_000_000_000 + i * 1_000);
        let event = random_input(&mut rng, now.millis());
        let features = FeatureVector::default();
        let models = ModelScores {
            fraud_score: Some(rng.below(100) as f64 / 100.0),
            ..ModelScores::default()
        };
        let plain = decide(&live_only, &event, &features, &models, now);
        let shadowed = decide(&with_shadow, &event, &features, &models, now);
        let shadow = shadowed.shadow.clone().expect("every checkpoint has a shadow");
        assert_eq!(shadow.outcome, Outcome::Deny);
        assert_eq!(
            shadow.reasons,
            vec![ReasonCode::parse("SHADOW_SAYS_NO").expect("valid")]
        );
        assert_eq!(shadow.rules_version.version, 9);
        assert_eq!(
            shadowed.shadow.as_ref().map(|s| s.rules_version.graph.as_ref()),
            Some(&*format!("{}.shadow", event.checkpoint().name()))
        );
        assert_eq!(
            risk::Decision {
                shadow: None,
                ..shadowed
            },
            plain,
            "event {i}"
        );
    }
}

#[test]
fn a_hot_swap_is_atomic_for_readers() {
    let cell = Arc::new(RuleSetCell::new(Arc::new(constant_set(1, "allow", "VERSION_ONE"))));
    let v2 = Arc::new(constant_set(2, "deny", "VERSION_TWO"));
    let v1 = cell.load();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let cell = Arc::clone(&cell);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut seen = [0u32; 2];
                let event = input(Checkpoint::PaymentAuthorization, 1_700_000_000_000);
                while !stop.load(Ordering::Relaxed) || seen.iter().sum::<u32>() < 100 {
                    let rules = cell.load();
                    let versions: Vec<u32> = Checkpoint::ALL
                        .iter()
                        .map(|c| rules.live(*c).version().version)
                        .collect();
                    assert!(versions.iter().all(|v| *v == versions[0]), "mixed set {versions:?}");
                    let d = decide(
                        &rules,
                        &event,
                        &FeatureVector::default(),
                        &ModelScores::default(),
                        event.at,
                    );
                    let expected = if versions[0] == 1 {
                        Outcome::Allow
                    } else {
                        Outcome::Deny
                    };
                    assert_eq!(d.outcome, expected);
                    assert_eq!(d.rules_version.version, versions[0]);
                    seen[versions[0] as usize - 1] += 1;
                }
                seen
            })
        })
        .collect();
    for i in 0..200 {
        let next = if i % 2 == 0 { Arc::clone(&v2) } else { Arc::clone(&v1) };
        cell.store(next);
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        let seen = reader.join().expect("reader thread");
        assert!(seen.iter().sum::<u32>() >= 100);
    }
}

/// `(name, json)` pairs a rule set is built from.
type Sources = Vec<(String, String)>;
/// Whether an error is the expected one.
type Expect = fn(&RuleSetError) -> bool;

#[test]
fn bad_rule_sets_are_refused_with_a_reason() {
    let good = |c: Checkpoint| (c.name().to_owned(), constant_graph(c.name(), 1, "allow", "OK"));
    let all_but = |skip: Checkpoint| {
        Checkpoint::ALL
            .into_iter()
            .filter(move |c| *c != skip)
            .map(good)
            .collect::<Vec<_>>()
    };
    let mut missing_version = all_but(Checkpoint::Login);
    missing_version.push(("login".to_owned(), r#"{"nodes": [], "edges": []}"#.to_owned()));
    let mut wrong_checkpoint = all_but(Checkpoint::Login);
    wrong_checkpoint.push(("login".to_owned(), constant_graph("repayment", 1, "allow", "OK")));
    let mut unknown = all_but(Checkpoint::Login);
    unknown.push(("logon".to_owned(), constant_graph("login", 1, "allow", "OK")));
    let mut duplicate: Vec<_> = Checkpoint::ALL.into_iter().map(good).collect();
    duplicate.push(("login.json".to_owned(), constant_graph("login", 2, "allow", "OK")));
    let mut not_json = all_but(Checkpoint::Login);
    not_json.push(("login".to_owned(), "{".to_owned()));
    let mut cyclic = all_but(Checkpoint::Login);
    cyclic.push((
        "login".to_owned(),
        r#"{"metadata": {"version": 1}, "nodes": [
            {"id": "in", "name": "in", "type": "inputNode", "content": {}},
            {"id": "in2", "name": "in2", "type": "inputNode", "content": {}}], "edges": []}"#
            .to_owned(),
    ));
    let table: Vec<(&str, Sources, Expect)> = vec![
        ("missing graph", all_but(Checkpoint::Delivery), |e| {
            matches!(e, RuleSetError::Missing("delivery"))
        }),
        ("missing version", missing_version, |e| {
            matches!(e, RuleSetError::Graph(risk::rules::GraphError::Metadata { .. }))
        }),
        ("wrong checkpoint", wrong_checkpoint, |e| {
            matches!(e, RuleSetError::Graph(risk::rules::GraphError::WrongCheckpoint { .. }))
        }),
        ("unknown name", unknown, |e| matches!(e, RuleSetError::UnknownName(_))),
        ("duplicate", duplicate, |e| matches!(e, RuleSetError::Duplicate(_))),
        ("not json", not_json, |e| {
            matches!(e, RuleSetError::Graph(risk::rules::GraphError::Metadata { .. }))
        }),
        ("two input nodes", cyclic, |e| {
            matches!(e, RuleSetError::Graph(risk::rules::GraphError::Invalid { .. }))
        }),
    ];
    for (name, sources, expected) in table {
        match RuleSet::from_sources(sources, EvaluatorChoice::Auto) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => assert!(expected(&e), "{name}: got {e}"),
        }
    }
}

#[test]
fn a_broken_output_contract_gives_review_with_rules_error() {
    let cases = [
        ("unknown outcome", constant_graph("login", 1, "maybe", "X")),
        ("bad reason code", constant_graph("login", 1, "deny", "lower case")),
    ];
    for (name, graph) in cases {
        let mut sources: Vec<_> = Checkpoint::ALL
            .iter()
            .filter(|c| **c != Checkpoint::Login)
            .map(|c| (c.name().to_owned(), constant_graph(c.name(), 1, "allow", "OK")))
            .collect();
        sources.push(("login".to_owned(), graph));
        let rules = RuleSet::from_sources(sources, EvaluatorChoice::Auto).expect("builds");
        let event = input(Checkpoint::Login, 1_700_000_000_000);
        let d = decide(
            &rules,
            &event,
            &FeatureVector::default(),
            &ModelScores::default(),
            event.at,
        );
        assert_eq!(d.outcome, Outcome::Review, "{name}");
        assert_eq!(d.reasons, vec![ReasonCode::RULES_ERROR], "{name}");
        assert!(
            d.trace.error.as_deref().is_some_and(|e| e.contains("output contract")),
            "{name}: {:?}",
            d.trace
        );
    }
}

#[test]
fn the_engine_observes_denied_attempts_for_velocity() {
    let rules = Arc::new(constant_set(1, "deny", "ALWAYS_NO"));
    let mut engine = RiskEngine::new(FeatureConfig::default(), rules);
    let mut event = input(Checkpoint::PaymentAuthorization, 1_700_000_000_000);
    for i in 0..4 {
        let now = Timestamp::from_millis(1_700_000_000_000 + i * 10_000);
        event.at = now;
        let d = engine.evaluate(&event, &ModelScores::default(), now);
        assert_eq!(d.outcome, Outcome::Deny);
        assert_eq!(
            d.features.user.tally.m5.payments,
            i as u32 + 1,
            "attempt {i} counts itself"
        );
        assert_eq!(
            d.features.user.tally.m5.denials, i as u32,
            "earlier denials are counted"
        );
        assert_eq!(d.trace.evaluator, Evaluator::Fast);
        engine.observe(&event, &d, now);
    }
    engine.set_rules(Arc::new(constant_set(2, "allow", "ALWAYS_YES")));
    let d = engine.evaluate(
        &event,
        &ModelScores::default(),
        Timestamp::from_millis(1_700_000_040_000),
    );
    assert_eq!((d.outcome, d.rules_version.version), (Outcome::Allow, 2));
}

#[test]
fn the_report_names_every_graph_and_its_evaluator() {
    let rules = RuleSet::from_sources(default_sources(), EvaluatorChoice::Auto).expect("builds");
    let report = rules.report();
    assert_eq!(report.len(), Checkpoint::ALL.len());
    for (name, evaluator, why) in report {
        let version = name
            .split_once("@v")
            .and_then(|(_, v)| v.split_once('#'))
            .map(|(v, _)| v);
        assert!(
            version.is_some_and(|v| v.parse::<u32>().is_ok_and(|v| v >= 1)),
            "{name}"
        );
        assert_eq!((evaluator, why), (Evaluator::Fast, None), "{name}");
    }
    let reference = RuleSet::from_sources(default_sources(), EvaluatorChoice::ReferenceOnly).expect("builds");
    assert!(reference.report().iter().all(|(_, e, _)| *e == Evaluator::Reference));
}
