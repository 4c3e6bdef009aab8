//! The fraud model end to end on a simulated store: `iou simulate` runs the shipped model in
//! shadow (every payment decision journals a score the live rules never saw), `iou labels
//! export --all` gives every payment decision with its named inputs and score, and
//! `iou backtest` reports the labelled outcomes per rule and for the model at its thresholds,
//! for the live rules and for a candidate that promotes the model.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

fn iou(args: &[&str], paths: &[&Path]) -> Vec<u8> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_iou"));
    command.args(args);
    for path in paths {
        command.arg(path);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn simulate(dir: &Path) {
    let (data, truth, report) = (dir.join("data"), dir.join("truth.jsonl"), dir.join("report.html"));
    let args = [
        "simulate",
        "--users",
        "150",
        "--days",
        "20",
        "--seed",
        "5",
        "--attack-rates",
        "900,150,150",
        "--theft-reports",
        "5000",
        "--partitions",
        "2",
    ];
    let mut command = Command::new(env!("CARGO_BIN_EXE_iou"));
    command
        .args(args)
        .arg("--data")
        .arg(&data)
        .arg("--ground-truth")
        .arg(&truth)
        .arg("--report")
        .arg(&report);
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The shipped rules with the payment graph promoted to read the model (version bumped).
fn promoted(dir: &Path) {
    for (name, text) in engine::shipped_rules::GRAPHS {
        let text = if name == "payment_authorization.json" {
            let mut graph: Value = serde_json::from_str(text).unwrap();
            graph["metadata"]["fraud_model"] = json!("live");
            graph["metadata"]["version"] = json!(graph["metadata"]["version"].as_u64().unwrap() + 1);
            graph.to_string()
        } else {
            text.to_owned()
        };
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Per rule (and per model threshold): what it stopped and missed adds up to the fraud.
fn check_adds_up(caught: &Value, fraud: &Value) {
    for (name, c) in caught.as_object().unwrap() {
        for unit in ["payments", "fen"] {
            let sum = c["fraud_stopped"][unit].as_i64().unwrap() + c["fraud_missed"][unit].as_i64().unwrap();
            assert_eq!(sum, fraud[unit].as_i64().unwrap(), "{name} {unit}: {c}");
        }
    }
}

#[test]
fn backtest_on_a_simulated_store_reports_rules_and_the_model_by_label() {
    let dir = tempfile::tempdir().unwrap();
    simulate(dir.path());
    let data = dir.path().join("data");

    // Every payment decision carries the shadow score; the live rules never saw it.
    let rows = lines(&iou(&["labels", "export", "--all", "--data"], &[&data]));
    let truth = lines(&std::fs::read(dir.path().join("truth.jsonl")).unwrap());
    assert_eq!(rows.len(), truth.len(), "one ground truth per payment decision");
    assert!(truth.iter().any(|t| t["fraud"] == true) && truth.iter().any(|t| t["fraud"] == false));
    for row in &rows {
        assert!(row["fraud"]["score"].is_f64(), "{}", row["fraud"]);
        assert!(row["models"]["fraud_score"].is_null(), "shadow: the rules saw no score");
        assert!(row["inputs"]["features.user.payments_5m"].is_number());
    }

    // The shipped rules (shadow) reproduce every decision and report the model beside them.
    let same: Value = serde_json::from_slice(&iou(
        &["backtest", "--json", "--rules"],
        &[
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"),
            Path::new("--data"),
            &data,
        ],
    ))
    .unwrap();
    assert_eq!(same["changed"], 0, "{}", same["samples"]);
    let labelled = &same["labelled"];
    assert!(labelled["labels"].as_u64().unwrap() > 0, "{labelled}");
    check_adds_up(&labelled["live_rule_outcomes"], &labelled["live"]["fraud"]);
    check_adds_up(&labelled["model"]["thresholds"], &labelled["model"]["tally"]["fraud"]);
    let scored = labelled["model"]["scored"].as_u64().unwrap();
    let labelled_payments = labelled["live"]["fraud"]["payments"].as_u64().unwrap()
        + labelled["live"]["genuine"]["payments"].as_u64().unwrap();
    assert_eq!(scored, labelled_payments, "every labelled payment was scored");
    assert_eq!(
        labelled["model"]["thresholds"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["0.7", "0.9"]
    );

    // Promoting the model: the candidate reads the journaled scores, so exactly the payments
    // scored at 0.7 or more gain a model reason.
    let rules = tempfile::tempdir().unwrap();
    promoted(rules.path());
    let report: Value = serde_json::from_slice(&iou(
        &["backtest", "--json", "--rules"],
        &[rules.path(), Path::new("--data"), &data],
    ))
    .unwrap();
    let high = rows
        .iter()
        .filter(|r| r["fraud"]["score"].as_f64().unwrap() >= 0.7)
        .count() as u64;
    let gained = &report["reasons_gained"];
    let model_hits =
        gained["MODEL_FRAUD_HIGH"].as_u64().unwrap_or(0) + gained["MODEL_FRAUD_ELEVATED"].as_u64().unwrap_or(0);
    assert!(model_hits <= high, "{gained} vs {high} scores >= 0.7");
    assert!(high == 0 || model_hits > 0, "{gained} vs {high} scores >= 0.7");
    check_adds_up(
        &report["labelled"]["candidate_rule_outcomes"],
        &report["labelled"]["candidate"]["fraud"],
    );

    // The table says the same.
    let text = String::from_utf8(iou(
        &["backtest", "--rules"],
        &[rules.path(), Path::new("--data"), &data],
    ))
    .unwrap();
    assert!(text.contains("candidate rules on labelled payments"), "{text}");
    assert!(text.contains("fraud model on"), "{text}");
    assert!(text.contains("score >= 0.9"), "{text}");
}
