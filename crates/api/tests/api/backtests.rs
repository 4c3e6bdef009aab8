//! `POST /v1/risk/backtests`: a candidate rule set replayed on the journaled decisions from the
//! API, with the analysts' decisions as labels. A customer reports a 1,500 yuan payment stolen
//! and the fraud team confirms it; a candidate that denies any payment over 1,000 yuan would
//! have stopped it and changes nothing else.

use serde_json::{Value, json};

use crate::harness::operator;
use crate::risk_support::RiskServer;

/// The served payment graph with rule r05 (the offline cap) widened to every payment over
/// 1,000 yuan.
fn candidate(s: &RiskServer) -> Value {
    let path = s.rules.path().join("payment_authorization.json");
    let mut graph: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for node in graph["nodes"].as_array_mut().unwrap() {
        for rule in node["content"]["rules"].as_array_mut().into_iter().flatten() {
            if rule["_id"] == "r05" {
                rule["c05"] = json!("");
                rule["c06"] = json!("> 1000");
                rule["c23"] = json!("");
            }
        }
    }
    json!({"graphs": [{"name": "payment_authorization.json", "jdm": graph}], "samples": 5})
}

#[tokio::test]
async fn a_backtest_counts_the_fraud_a_candidate_would_have_stopped() {
    let s = RiskServer::start().await;
    let t = &s.t;
    let merchant = t.register_merchant("Shop").await;
    let customer = s.customer(10_000_000).await;
    let mine = s.pay_from(&merchant, &customer, "my-phone", 100_000).await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    let stolen = s
        .pay_from(&merchant, &customer, "my-phone", 150_000)
        .await
        .str("txn_id");
    let reports = format!("/v1/customers/{}/theft-reports", customer.id);
    let report = t.post(&customer.auth(), &reports, json!({"txn_ids": [stolen]})).await;
    assert_eq!(report.status, 201, "{}", report.text);
    let resolve = format!("/v1/cases/{}/resolve", report.str("case_id"));
    let confirmed = t.post(&operator(), &resolve, json!({"confirm": true})).await;
    assert_eq!(confirmed.ok()["status"], "confirmed", "{}", confirmed.text);

    let rita = t.operator_with("rita", &["rules_admin"]).await;
    let answer = t.post(&rita, "/v1/risk/backtests", candidate(&s)).await;
    let report = answer.ok();
    assert_eq!(report["truncated"], false);
    let payments = &report["checkpoints"]["payment_authorization"];
    assert_eq!(payments["decisions"], 2, "{report}");
    assert_eq!(
        payments["matrix"],
        json!({"allow": {"allow": 1, "deny": 1}}),
        "{report}"
    );
    let labelled = &report["labelled"];
    assert_eq!(labelled["labels"], 1, "{labelled}");
    assert_eq!(labelled["unlabelled_payments"], 1);
    assert_eq!(
        labelled["live"]["fraud_allowed"],
        json!({"payments": 1, "fen": 150_000})
    );
    assert_eq!(
        labelled["candidate"]["fraud_stopped"],
        json!({"payments": 1, "fen": 150_000})
    );
    assert_eq!(
        labelled["candidate_rules"]["OFFLINE_OVER_LIMIT"],
        json!({"fraud": 1, "genuine": 0, "unlabelled": 0})
    );
    assert_eq!(report["samples"][0]["candidate"]["outcome"], "deny");
    // Nothing was deployed.
    let live = t.get(&rita, "/v1/risk/rules").await;
    assert_eq!(live.status, 200);
    let again = t.post(&rita, "/v1/risk/backtests", candidate(&s)).await;
    assert_eq!(again.ok()["changed"], 1, "the live rules still let it through");
}

#[tokio::test]
async fn a_backtest_is_refused_to_whoever_may_not_run_it_and_to_bad_input() {
    let s = RiskServer::start().await;
    let t = &s.t;
    let customer = s.customer(1_000_000).await;
    let body = candidate(&s);
    let by_customer = t.post(&customer.auth(), "/v1/risk/backtests", body.clone()).await;
    assert_eq!(by_customer.status, 403, "{}", by_customer.text);
    let support = t.operator_with("sam", &["support"]).await;
    let refused = t.post(&support, "/v1/risk/backtests", body.clone()).await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"), "{}", refused.text);

    let fay = t.operator_with("fay", &["fraud"]).await;
    let broken = json!({"graphs": [{"name": "payment_authorization.json", "jdm": {"nodes": 3}}]});
    let answer = t.post(&fay, "/v1/risk/backtests", broken).await;
    assert_eq!(
        (answer.status, answer.code()),
        (422, "rules_invalid"),
        "{}",
        answer.text
    );
    let none = t.post(&fay, "/v1/risk/backtests", json!({"graphs": []})).await;
    assert_eq!((none.status, none.field()), (400, Some("graphs")), "{}", none.text);
    let mut many = body.clone();
    many["samples"] = json!(51);
    let answer = t.post(&fay, "/v1/risk/backtests", many).await;
    assert_eq!(
        (answer.status, answer.field()),
        (400, Some("samples")),
        "{}",
        answer.text
    );
    let named = json!({"graphs": [{"name": "../x.json", "jdm": {}}]});
    assert_eq!(t.post(&fay, "/v1/risk/backtests", named).await.code(), "invalid_field");
    let ok = t.post(&fay, "/v1/risk/backtests", body).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.ok()["labelled"]["labels"], 0, "no analyst decided anything yet");
}
