//! `iou backtest` end to end: a data directory produced by the real engine with the shipped
//! rules, replayed against the same rules (nothing changes: every live decision is reproduced)
//! and against a candidate with a lower offline cap (exactly the offline payments between the
//! two caps change, from allow to deny, gaining `OFFLINE_OVER_LIMIT`).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use credit::{AccountId, MerchantId};
use engine::{Engine, EngineConfig, ManualClock, Op, Outcome, Payer, Request, RiskContext, RiskShared};
use money::Amount;
use risk::{Channel, DeviceId, RuleSetCell};
use serde_json::{Value, json};

fn shipped_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

/// Four customers, each paying offline 1,500 yuan (allowed), offline 2,500 yuan (over the
/// 2,000 yuan cap: denied) and online 500 yuan (allowed). With `label`, analysts then label two
/// payments: customer 1 reports its offline 1,500 yuan stolen and the case is confirmed (fraud);
/// customer 2 reports its online 500 yuan and the case is rejected (genuine).
fn produce(data: &Path, label: bool) {
    let rules = engine::rules_dir::load_dir(&shipped_rules(), risk::EvaluatorChoice::Auto).unwrap();
    let shared = RiskShared::new(
        Arc::new(RuleSetCell::new(Arc::new(rules))),
        risk::FeatureConfig::default(),
    );
    let config = EngineConfig {
        partitions: 2,
        schedule: false,
        project: false,
        risk: Some(Arc::new(shared)),
        ..EngineConfig::default()
    };
    let backend = Arc::new(store::sqlite::SqliteBackend::open(data).unwrap());
    let clock = Arc::new(ManualClock::new("2026-03-01T02:00:00Z".parse().unwrap()));
    let engine = Engine::start(config, backend, clock).unwrap();
    let call = |request: Request, context: Option<RiskContext>| {
        engine
            .submit_with(request, None, context)
            .unwrap()
            .blocking_recv()
            .unwrap()
    };
    let mut allowed = Vec::new();
    for a in 1..=4u64 {
        let account = AccountId(a);
        call(
            Request::from_command(credit::Command::OpenAccount {
                account,
                limit: Amount::from_fen(10_000_000),
                billing_day: 5,
            })
            .unwrap(),
            None,
        );
        for (fen, channel) in [
            (150_000, Channel::OfflineQr),
            (250_000, Channel::OfflineQr),
            (50_000, Channel::Online),
        ] {
            let context = RiskContext {
                device: DeviceId(100 + a),
                ip: IpAddr::from([10, 0, 0, a as u8]),
                ..RiskContext::unknown(channel)
            };
            let request = Request::Authorize {
                payer: Payer::Account(account),
                merchant: MerchantId(1),
                amount: Amount::from_fen(fen),
                plan: None,
                reference: None,
            };
            if let Outcome::Applied { events, .. } = call(request, Some(context)).outcome {
                let txn = events.iter().find_map(|e| match e {
                    credit::Event::Authorized { txn, .. } => Some(*txn),
                    _ => None,
                });
                allowed.push((a, fen, txn.unwrap()));
            }
        }
    }
    if label {
        for (a, fen, confirm) in [(1, 150_000, true), (2, 50_000, false)] {
            let (_, _, txn) = allowed.iter().find(|(x, f, _)| *x == a && *f == fen).unwrap();
            let report = Request::ReportTheft {
                account: AccountId(a),
                txns: vec![*txn],
            };
            let Outcome::Applied {
                op: Op::OpenCase { case, .. },
                ..
            } = call(report, None).outcome
            else {
                panic!("the theft report opens a case")
            };
            let resolved = call(Request::ResolveCase { case, confirm }, None);
            assert!(matches!(resolved.outcome, Outcome::Applied { .. }), "{resolved:?}");
        }
    }
    engine.shutdown();
}

/// The shipped rules with the offline cap lowered to 1,000 yuan (version 2).
fn candidate(dir: &Path) {
    for entry in std::fs::read_dir(shipped_rules()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let path = dir.join("payment_authorization.json");
    let mut graph: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    graph["metadata"]["version"] = json!(2);
    for node in graph["nodes"].as_array_mut().unwrap() {
        for rule in node["content"]["rules"].as_array_mut().into_iter().flatten() {
            if rule["_id"] == "r05" {
                rule["c06"] = json!("> 1000");
            }
        }
    }
    std::fs::write(&path, graph.to_string()).unwrap();
}

fn backtest(rules: &Path, data: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_iou"))
        .args(["backtest", "--json", "--rules"])
        .arg(rules)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn backtest_reports_exactly_the_decisions_a_candidate_changes() {
    let data = tempfile::tempdir().unwrap();
    produce(data.path(), false);

    let same = backtest(&shipped_rules(), data.path());
    assert_eq!(same["decisions"], 12, "{same}");
    assert_eq!(same["changed"], 0, "the live rules reproduce every decision: {same}");
    assert_eq!(
        same["checkpoints"]["payment_authorization"]["matrix"],
        json!({"allow": {"allow": 8}, "deny": {"deny": 4}})
    );

    let rules = tempfile::tempdir().unwrap();
    candidate(rules.path());
    let report = backtest(rules.path(), data.path());
    assert_eq!(report["changed"], 4, "{report}");
    assert_eq!(
        report["checkpoints"]["payment_authorization"]["matrix"],
        json!({"allow": {"allow": 4, "deny": 4}, "deny": {"deny": 4}})
    );
    assert_eq!(report["reasons_gained"], json!({"OFFLINE_OVER_LIMIT": 4}));
    assert_eq!(report["reasons_lost"], json!({}));
    let sample = &report["samples"][0];
    assert_eq!(sample["live"]["outcome"], "allow");
    assert_eq!(sample["candidate"]["outcome"], "deny");
    assert!(
        sample["candidate"]["rules"]
            .as_str()
            .unwrap()
            .starts_with("payment_authorization@v2#")
    );
    assert!(report["ground_truth"].as_str().unwrap().starts_with("none"));

    // The table form says the same.
    let out = Command::new(env!("CARGO_BIN_EXE_iou"))
        .args(["backtest", "--rules"])
        .arg(rules.path())
        .arg("--data")
        .arg(data.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("12 decisions replayed, 4 changed"), "{text}");
    assert!(text.contains("OFFLINE_OVER_LIMIT (4)"), "{text}");
}

/// Analysts' decisions are the backtest's ground truth: the candidate (offline cap 1,000 yuan)
/// stops the confirmed fraud (1,500 yuan offline) that the live rules let through, and adds no
/// friction to the payment a rejected case showed was genuine.
#[test]
fn backtest_counts_the_payments_analysts_labelled() {
    let data = tempfile::tempdir().unwrap();
    produce(data.path(), true);
    let rules = tempfile::tempdir().unwrap();
    candidate(rules.path());
    let report = backtest(rules.path(), data.path());
    let labelled = &report["labelled"];
    assert_eq!(labelled["labels"], 2, "{labelled}");
    assert_eq!(labelled["unlabelled_payments"], 10, "{labelled}");
    let count = |payments: u64, fen: i64| json!({"payments": payments, "fen": fen});
    assert_eq!(labelled["live"]["fraud"], count(1, 150_000));
    assert_eq!(labelled["live"]["fraud_allowed"], count(1, 150_000));
    assert_eq!(labelled["live"]["fraud_stopped"], count(0, 0));
    assert_eq!(labelled["candidate"]["fraud_stopped"], count(1, 150_000));
    assert_eq!(labelled["candidate"]["genuine"], count(1, 50_000));
    assert_eq!(labelled["candidate"]["genuine_friction"], count(0, 0));
    assert_eq!(
        labelled["candidate_rules"]["OFFLINE_OVER_LIMIT"],
        json!({"fraud": 1, "genuine": 0, "unlabelled": 7}),
        "4 over the old cap and 3 more between the caps are unlabelled"
    );
    assert!(report["ground_truth"].as_str().unwrap().starts_with("analysts"));

    // The training data: both labelled payments with their features.
    let out = Command::new(env!("CARGO_BIN_EXE_iou"))
        .args(["labels", "export", "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let fraud = rows.iter().find(|r| r["verdict"] == "fraud").unwrap();
    assert_eq!(
        (fraud["amount_fen"].as_i64(), fraud["source"].as_str()),
        (Some(150_000), Some("theft_case"))
    );
    assert_eq!(fraud["account"], 1);
    assert!(fraud["features"]["user"].is_object(), "{fraud}");
    let genuine = rows.iter().find(|r| r["verdict"] == "genuine").unwrap();
    assert_eq!(
        (genuine["amount_fen"].as_i64(), genuine["account"].as_u64()),
        (Some(50_000), Some(2))
    );
}
