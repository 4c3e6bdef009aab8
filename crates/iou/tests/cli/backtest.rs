//! `iou backtest` end to end: a data directory produced by the real engine with the shipped
//! rules, replayed against the same rules (nothing changes: every live decision is reproduced)
//! and against a candidate with a lower offline cap (exactly the offline payments between the
//! two caps change, from allow to deny, gaining `OFFLINE_OVER_LIMIT`).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use credit::{AccountId, MerchantId};
use engine::{Engine, EngineConfig, ManualClock, Payer, Request, RiskContext, RiskShared};
use money::Amount;
use risk::{Channel, DeviceId, RuleSetCell};
use serde_json::{Value, json};

fn shipped_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

/// Four customers, each paying offline 1,500 yuan (allowed), offline 2,500 yuan (over the
/// 2,000 yuan cap: denied) and online 500 yuan (allowed).
fn produce(data: &Path) {
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
            call(request, Some(context));
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
    produce(data.path());

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
