//! Payments held for review, black-box: an authorization decided `review` answers `held`, its
//! capture is refused with `held_for_review`, an analyst sees it in the `payment_review` queue
//! with its decision (reasons, model scores, features) and releases or declines it; nobody else
//! can act on it.

use serde_json::json;

use crate::harness::{Customer, Merchant, operator};
use crate::risk_support::{RiskServer, code};

/// A payment from an emulator over 500 yuan: the shipped rules say `review`.
async fn pay_held(s: &RiskServer, merchant: &Merchant, customer: &Customer) -> String {
    let code = s
        .code_with(customer, json!({"device_id": "emu-1", "emulator": true}))
        .await;
    let body = json!({"payment_code": code, "amount_fen": 60_000});
    let answer =
        s.t.post_keyed(&merchant.auth(), "/v1/payments", body.clone(), "held-1")
            .await;
    assert_eq!(
        (answer.status, answer.ok()["status"].as_str()),
        (201, Some("held")),
        "{}",
        answer.text
    );
    let again = s.t.post_keyed(&merchant.auth(), "/v1/payments", body, "held-1").await;
    assert_eq!(again.ok()["status"], "held", "a retry answers the same: {}", again.text);
    answer.str("txn_id")
}

async fn capture(s: &RiskServer, merchant: &Merchant, txn: &str) -> crate::harness::Answer {
    let path = format!("/v1/payments/{txn}/capture");
    s.t.post(&merchant.auth(), &path, json!({"amount_fen": 60_000})).await
}

async fn status(s: &RiskServer, merchant: &Merchant, txn: &str) -> String {
    s.t.get(&merchant.auth(), &format!("/v1/payments/{txn}"))
        .await
        .str("status")
}

/// The open `payment_review` case of a payment, as the queue lists it.
async fn review_case(s: &RiskServer, txn: &str) -> serde_json::Value {
    let listed = s.t.get(&operator(), "/v1/cases?queue=payment_review&status=open").await;
    let cases = listed.ok()["cases"].as_array().unwrap().clone();
    let case = cases.into_iter().find(|c| c["txn_ids"] == json!([txn]));
    case.unwrap_or_else(|| panic!("no open review case for {txn}: {}", listed.text))
}

async fn resolve(s: &RiskServer, case: &serde_json::Value, confirm: bool) -> crate::harness::Answer {
    let path = format!("/v1/cases/{}/resolve", case["case_id"].as_str().unwrap());
    s.t.post(&operator(), &path, json!({"confirm": confirm})).await
}

#[tokio::test]
async fn a_held_payment_is_not_captured_until_an_analyst_releases_it() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Shop").await;
    let other = s.t.register_merchant("Other").await;
    let customer = s.customer(10_000_000).await;
    let txn = pay_held(&s, &merchant, &customer).await;
    assert_eq!(status(&s, &merchant, &txn).await, "held");
    let refused = capture(&s, &merchant, &txn).await;
    assert_eq!(code(&refused), (409, "held_for_review".to_owned()), "{}", refused.text);

    // Another merchant neither sees nor captures it; a customer cannot resolve cases.
    assert_eq!(capture(&s, &other, &txn).await.status, 404);
    assert_eq!(s.t.get(&other.auth(), &format!("/v1/payments/{txn}")).await.status, 404);
    let case = review_case(&s, &txn).await;
    let path = format!("/v1/cases/{}/resolve", case["case_id"].as_str().unwrap());
    let by_customer = s.t.post(&customer.auth(), &path, json!({"confirm": false})).await;
    assert!([401, 403].contains(&by_customer.status), "{}", by_customer.text);

    // The analyst's view: the queue, its SLA, the decision in full.
    assert_eq!(case["kind"], "payment_review");
    assert_eq!(case["work"]["queue"], "payment_review");
    assert_eq!(case["evidence"][0]["reasons"], json!(["EMULATOR_PAYMENT"]));
    let decision = &case["decision"];
    assert_eq!(decision["outcome"], "review");
    assert_eq!(decision["reasons"], json!(["EMULATOR_PAYMENT"]));
    assert!(decision["features"]["user"].is_object(), "{decision}");
    assert!(decision["models"].is_object(), "{decision}");

    let released = resolve(&s, &case, false).await;
    assert_eq!(released.ok()["status"], "rejected", "{}", released.text);
    assert_eq!(status(&s, &merchant, &txn).await, "open");
    let captured = capture(&s, &merchant, &txn).await;
    assert_eq!(captured.fen("captured_fen"), 60_000, "{}", captured.text);
    let twice = resolve(&s, &case, true).await;
    assert_eq!(code(&twice), (409, "case_closed".to_owned()));
}

#[tokio::test]
async fn a_declined_held_payment_is_voided_and_the_credit_restored() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Shop").await;
    let customer = s.customer(10_000_000).await;
    let txn = pay_held(&s, &merchant, &customer).await;
    let case = review_case(&s, &txn).await;
    let declined = resolve(&s, &case, true).await;
    assert_eq!(declined.ok()["status"], "confirmed", "{}", declined.text);
    assert_eq!(status(&s, &merchant, &txn).await, "voided");
    let refused = capture(&s, &merchant, &txn).await;
    assert_eq!(refused.status / 100, 4, "{}", refused.text);
}
