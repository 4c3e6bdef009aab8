//! Four eyes, black-box: each listed action is proposed by one operator (202), refused to the
//! maker, to an API key, and to an operator who lacks its permission, and applied only when a
//! second permitted operator approves; both steps are in the audit log. Rejection, expiry, a
//! restart, the amounts below which one operator acts alone, and the bulk reveal's one use.

use serde_json::{Value, json};

use crate::harness::{Auth, Customer, TestServer, operator};
use crate::risk_support::RiskServer;

/// Proposes `body` at `path` as `maker`: the 202 proposal's id.
async fn propose(t: &TestServer, maker: &Auth, path: &str, body: Value) -> String {
    let answer = t.post(maker, path, body).await;
    assert_eq!(answer.status, 202, "{path}: {}", answer.text);
    assert_eq!(answer.body["status"], "pending", "{}", answer.text);
    answer.str("approval_id")
}

async fn decide(t: &TestServer, who: &Auth, id: &str, verb: &str) -> crate::harness::Answer {
    t.post(who, &format!("/v1/approvals/{id}/{verb}"), json!({"note": "checked"}))
        .await
}

/// Approves as `checker`, asserting the call was applied with `status`; its answer.
async fn approve(t: &TestServer, checker: &Auth, id: &str, status: u64) -> Value {
    let answer = decide(t, checker, id, "approve").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["result_status"], status, "{}", answer.text);
    answer.body["result"].clone()
}

async fn audit_actions(t: &TestServer) -> Vec<Value> {
    let auditor = t.operator_with(&format!("auditor-{}", t.key()), &["auditor"]).await;
    let page = t.get(&auditor, "/v1/audit?after=0&limit=1000").await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.body["records"].as_array().unwrap().clone()
}

async fn line(t: &TestServer, customer: &Customer) -> Value {
    let answer = t.get(&operator(), &format!("/v1/customers/{}", customer.id)).await;
    answer.ok().clone()
}

#[tokio::test]
async fn a_limit_raise_above_the_amount_waits_for_a_second_permitted_operator() {
    let t = TestServer::start().await;
    let customer = t.open_customer(1_000_000, 5).await;
    let maker = t.operator_with("carol", &["credit_officer"]).await;
    let checker = t.operator_with("dave", &["credit_officer"]).await;
    let analyst = t.operator_with("ann", &["analyst"]).await;
    let support = t.operator_with("sue", &["support"]).await;
    let limit = format!("/v1/customers/{}/limit", customer.id);

    // Below the amount (20,000.00), and any lowering: one operator.
    let alone = t.post(&maker, &limit, json!({"limit_fen": 1_500_000})).await;
    assert_eq!(alone.status, 200, "{}", alone.text);
    let id = propose(&t, &maker, &limit, json!({"limit_fen": 3_000_000})).await;
    assert_eq!(line(&t, &customer).await["limit_fen"], 1_500_000);

    let own = decide(&t, &maker, &id, "approve").await;
    assert_eq!(
        (own.status, own.code()),
        (403, "four_eyes_same_operator"),
        "{}",
        own.text
    );
    let unpermitted = decide(&t, &analyst, &id, "approve").await;
    assert_eq!(unpermitted.status, 403, "{}", unpermitted.text);
    assert!(unpermitted.text.contains("limits.change"), "{}", unpermitted.text);
    let no_queue = decide(&t, &support, &id, "approve").await;
    assert_eq!(no_queue.status, 403, "{}", no_queue.text);
    for bad in [
        "/v1/approvals?limit=-1",
        "/v1/approvals?limit=1.5",
        "/v1/approvals?status=done",
    ] {
        let refused = t.get(&checker, bad).await;
        assert_eq!(
            (refused.status, refused.code()),
            (400, "invalid_field"),
            "{bad}: {}",
            refused.text
        );
    }
    let queue = t.get(&checker, "/v1/approvals?status=pending").await;
    assert_eq!(queue.ok()["approvals"][0]["approval_id"], id.as_str());
    assert_eq!(queue.ok()["approvals"][0]["maker"], "carol");

    let result = approve(&t, &checker, &id, 200).await;
    assert_eq!(result["limit_fen"], 3_000_000);
    assert_eq!(line(&t, &customer).await["limit_fen"], 3_000_000);
    let again = decide(&t, &checker, &id, "approve").await;
    assert_eq!(
        (again.status, again.code()),
        (409, "approval_decided"),
        "{}",
        again.text
    );
    let lowered = t.post(&maker, &limit, json!({"limit_fen": 2_500_000})).await;
    assert_eq!(
        lowered.status, 200,
        "lowering needs no second operator: {}",
        lowered.text
    );

    let temporary = format!("/v1/customers/{}/temporary-limit", customer.id);
    let body = json!({"amount_fen": 2_500_000, "expires_on": "2026-12-31"});
    let id = propose(&t, &maker, &temporary, body).await;
    let rejected = decide(&t, &checker, &id, "reject").await;
    assert_eq!(rejected.ok()["status"], "rejected");
    assert_eq!(rejected.ok()["note"], "checked");
    let late = decide(&t, &checker, &id, "approve").await;
    assert_eq!(late.code(), "approval_decided");
    assert_eq!(line(&t, &customer).await["temporary_limit_fen"], 0);

    let records = audit_actions(&t).await;
    let find = |action: &str, actor: &str| {
        records
            .iter()
            .any(|r| r["action"] == action && r["actor"] == format!("operator:{actor}"))
    };
    assert!(find("approvals.propose", "carol"), "{records:?}");
    assert!(find("approvals.approve", "dave"), "{records:?}");
    assert!(find("approvals.reject", "dave"), "{records:?}");
    let applied = records
        .iter()
        .find(|r| r["action"] == "limits.change" && r["actor"] == "operator:dave")
        .expect("the applied change is the checker's, naming the maker");
    assert!(applied.to_string().contains("carol"), "{applied}");
}

#[tokio::test]
async fn offline_repayments_exemptions_and_large_cash_outs_need_two_operators() {
    let t = TestServer::start().await;
    let customer = t.open_customer(1_000_000, 5).await;
    t.card_on_file(&customer).await;
    let (officer, officer2) = (
        t.operator_with("olga", &["credit_officer"]).await,
        t.operator_with("omar", &["credit_officer"]).await,
    );
    let fraud = t.operator_with("fay", &["fraud"]).await;
    let fraud2 = t.operator_with("finn", &["fraud"]).await;

    let path = format!("/v1/customers/{}/offline-repayments", customer.id);
    let body = json!({"amount_fen": 10_000, "external_reference": "BANK-TRANSFER-1"});
    let id = propose(&t, &officer, &path, body).await;
    let result = approve(&t, &officer2, &id, 201).await;
    assert_eq!(result["amount_fen"], 10_000);
    assert_eq!(line(&t, &customer).await["credit_balance_fen"], 10_000);

    // A cash-out above 5,000.00 by an operator waits; applied, the provider's refusal of an
    // amount beyond the balance is the proposal's result (`failed`), nothing moved.
    let cash_out = format!("/v1/customers/{}/cash-outs", customer.id);
    let id = propose(&t, &officer, &cash_out, json!({"amount_fen": 600_000})).await;
    let failed = decide(&t, &officer2, &id, "approve").await;
    assert_eq!(failed.ok()["status"], "failed", "{}", failed.text);
    assert_eq!(failed.body["result_status"], 422, "{}", failed.text);
    let small = t.post(&officer, &cash_out, json!({"amount_fen": 5_000})).await;
    assert_eq!(small.status, 202, "{}", small.text);
    assert!(
        small.body["cash_out_id"].is_string(),
        "a small cash-out runs at once: {}",
        small.text
    );

    let exempt = format!("/v1/customers/{}/fraud-exemptions", customer.id);
    let id = propose(&t, &fraud, &exempt, json!({"txn_ids": ["999"]})).await;
    let officer_tries = decide(&t, &officer2, &id, "approve").await;
    assert!(officer_tries.text.contains("fraud.exempt"), "{}", officer_tries.text);
    let applied = decide(&t, &fraud2, &id, "approve").await;
    assert_eq!(
        applied.ok()["status"],
        "failed",
        "no such transaction: {}",
        applied.text
    );
    assert_eq!(applied.body["result_status"], 404, "{}", applied.text);
}

#[tokio::test]
async fn an_api_keys_proposal_is_not_approved_by_the_operator_who_made_the_key() {
    let t = TestServer::start().await;
    let customer = t.open_customer(1_000_000, 5).await;
    let admin = t.operator_with("adam", &["admin", "credit_officer"]).await;
    let other = t.operator_with("otto", &["credit_officer"]).await;
    let body = json!({"name": "crm", "scopes": ["limits.change", "approvals.decide"], "expires_in_days": 30});
    let key = t.post(&admin, "/v1/api-keys", body).await;
    let service = Auth::Bearer(key.str("api_key"));
    let limit = format!("/v1/customers/{}/limit", customer.id);
    let id = propose(&t, &service, &limit, json!({"limit_fen": 5_000_000})).await;

    let own = decide(&t, &admin, &id, "approve").await;
    assert_eq!(own.code(), "four_eyes_same_operator", "{}", own.text);
    let by_key = decide(&t, &service, &id, "approve").await;
    assert_eq!(by_key.code(), "four_eyes_needs_person", "{}", by_key.text);
    approve(&t, &other, &id, 200).await;
    assert_eq!(line(&t, &customer).await["limit_fen"], 5_000_000);
}

#[tokio::test]
async fn a_proposal_survives_a_restart_and_expires_after_three_days() {
    let mut t = TestServer::start().await;
    let customer = t.open_customer(1_000_000, 5).await;
    let maker = t.operator_with("carol", &["credit_officer"]).await;
    let limit = format!("/v1/customers/{}/limit", customer.id);
    let kept = propose(&t, &maker, &limit, json!({"limit_fen": 4_000_000})).await;
    let lapses = propose(&t, &maker, &limit, json!({"limit_fen": 4_500_000})).await;
    // A retry under the maker's key is the same proposal.
    t.restart().await;
    let checker = t.operator_with("dave", &["credit_officer"]).await;
    approve(&t, &checker, &kept, 200).await;
    assert_eq!(line(&t, &customer).await["limit_fen"], 4_000_000);

    let at = t.clock_now() + jiff::SignedDuration::from_hours(72) + jiff::SignedDuration::from_nanos(1_500);
    t.clock.set(at);
    let seen = t.get(&checker, &format!("/v1/approvals/{lapses}")).await;
    assert_eq!(seen.ok()["status"], "expired", "{}", seen.text);
    let late = decide(&t, &checker, &lapses, "approve").await;
    assert_eq!(late.code(), "approval_decided", "{}", late.text);
    assert_eq!(line(&t, &customer).await["limit_fen"], 4_000_000);
}

#[tokio::test]
async fn the_makers_retry_is_the_same_proposal() {
    let t = TestServer::start().await;
    let customer = t.open_customer(1_000_000, 5).await;
    let maker = t.operator_with("carol", &["credit_officer"]).await;
    let limit = format!("/v1/customers/{}/limit", customer.id);
    let body = json!({"limit_fen": 4_000_000});
    let first = t.post_keyed(&maker, &limit, body.clone(), "raise-1").await;
    let retry = t.post_keyed(&maker, &limit, body, "raise-1").await;
    assert_eq!(first.str("approval_id"), retry.str("approval_id"));
    assert!(retry.replayed);
    let queue = t.get(&maker, "/v1/approvals?status=pending").await;
    assert_eq!(queue.ok()["approvals"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn confirming_a_theft_and_lifting_its_freeze_need_a_second_fraud_operator() {
    let s = RiskServer::start().await;
    let t = &s.t;
    let merchant = t.register_merchant("Shop").await;
    let customer = s.customer(1_000_000).await;
    let stolen = s.pay_from(&merchant, &customer, "my-phone", 50_000).await.str("txn_id");
    let report = format!("/v1/customers/{}/theft-reports", customer.id);
    let case = t
        .post(&customer.auth(), &report, json!({"txn_ids": [stolen]}))
        .await
        .str("case_id");
    let (fay, finn) = (
        t.operator_with("fay", &["fraud"]).await,
        t.operator_with("finn", &["fraud"]).await,
    );
    let resolve = format!("/v1/cases/{case}/resolve");
    let id = propose(t, &fay, &resolve, json!({"confirm": true})).await;
    let open = t.get(&fay, &format!("/v1/cases/{case}")).await;
    assert_eq!(open.ok()["status"], "open", "{}", open.text);
    let result = approve(t, &finn, &id, 200).await;
    assert_eq!(result["status"], "confirmed", "{result}");

    let unfreeze = format!("/v1/customers/{}/unfreeze", customer.id);
    let id = propose(t, &fay, &unfreeze, json!({})).await;
    assert_eq!(line(t, &customer).await["frozen"], "theft_report");
    approve(t, &finn, &id, 200).await;
    assert_eq!(line(t, &customer).await["frozen"], Value::Null);
    // Another reason's freeze: one operator lifts it.
    let freeze = format!("/v1/customers/{}/freeze", customer.id);
    assert_eq!(t.post(&fay, &freeze, json!({"reason": "risk"})).await.status, 200);
    assert_eq!(t.post(&fay, &unfreeze, json!({})).await.status, 200);
}

#[tokio::test]
async fn a_rule_set_is_deployed_only_when_a_second_rules_admin_approves() {
    let s = RiskServer::start().await;
    let t = &s.t;
    let (rita, rob) = (
        t.operator_with("rita", &["rules_admin"]).await,
        t.operator_with("rob", &["rules_admin"]).await,
    );
    let path = s.rules.path().join("repayment.json");
    let mut graph: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let before = t.get(&rita, "/v1/risk/rules").await.ok()["graphs"].clone();
    graph["nodes"][0]["name"] = json!("request (edited)");
    let body = json!({"graphs": [{"name": "repayment.json", "jdm": graph}]});
    let broken = json!({"graphs": [{"name": "repayment.json", "jdm": {"nodes": 3}}]});
    let refused = t.post(&rita, "/v1/risk/rules", broken).await;
    assert_eq!(
        (refused.status, refused.code()),
        (422, "rules_invalid"),
        "{}",
        refused.text
    );
    let bad_name = json!({"graphs": [{"name": "../x.json", "jdm": {}}]});
    assert_eq!(t.post(&rita, "/v1/risk/rules", bad_name).await.code(), "invalid_field");

    let id = propose(t, &rita, "/v1/risk/rules", body).await;
    assert_eq!(t.get(&rita, "/v1/risk/rules").await.ok()["graphs"], before);
    let result = approve(t, &rob, &id, 200).await;
    let after = t.get(&rita, "/v1/risk/rules").await.ok()["graphs"].clone();
    assert_ne!(after, before, "{result}");
    let rolled = t.post(&rob, "/v1/emergency/rules-rollback", json!({})).await;
    assert_eq!(rolled.status, 200, "{}", rolled.text);
    assert_eq!(t.get(&rita, "/v1/risk/rules").await.ok()["graphs"], before);
}

#[tokio::test]
async fn a_bulk_reveal_is_approved_then_used_once_by_its_maker_and_every_reveal_is_audited() {
    let t = TestServer::start().await;
    let (a, b) = (t.open_customer(100_000, 5).await, t.open_customer(100_000, 5).await);
    t.card_on_file(&a).await;
    t.card_on_file(&b).await;
    let ann = t.operator_with("ann", &["analyst"]).await;
    let alf = t.operator_with("alf", &["analyst"]).await;
    let support = t.operator_with("sue", &["support"]).await;

    let one = format!("/v1/customers/{}/identity/reveal", a.id);
    let denied = t.post(&support, &one, json!({"reason": "curious"})).await;
    assert_eq!(denied.status, 403, "{}", denied.text);
    let shown = t
        .post(&ann, &one, json!({"reason": "case 1: caller verification"}))
        .await;
    assert_eq!(shown.str("id_number"), identity::sim::fixtures::ID_MATCH);
    let masked = t.get(&support, &format!("/v1/customers/{}", a.id)).await;
    assert!(
        !masked.text.contains(identity::sim::fixtures::ID_MATCH),
        "{}",
        masked.text
    );

    let ids = json!([a.id, b.id]);
    let id = propose(
        &t,
        &ann,
        "/v1/reveals",
        json!({"customer_ids": ids, "reason": "police request 7"}),
    )
    .await;
    let early = json!({"customer_ids": ids, "reason": "police request 7", "approval_id": id});
    assert_eq!(
        t.post(&ann, "/v1/reveals", early.clone()).await.code(),
        "approval_not_usable"
    );
    let decided = decide(&t, &alf, &id, "approve").await;
    assert_eq!(decided.ok()["status"], "approved", "{}", decided.text);
    assert_eq!(
        t.post(&alf, "/v1/reveals", early.clone()).await.code(),
        "approval_not_usable"
    );
    let other = json!({"customer_ids": [a.id, "999"], "reason": "x", "approval_id": id});
    assert_eq!(t.post(&ann, "/v1/reveals", other).await.code(), "approval_not_usable");
    let revealed = t.post(&ann, "/v1/reveals", early.clone()).await;
    assert_eq!(
        revealed.ok()["customers"].as_array().unwrap().len(),
        2,
        "{}",
        revealed.text
    );
    assert_eq!(
        revealed.body["customers"][1]["bank_card"],
        identity::sim::fixtures::CARD_VERIFIED
    );
    assert_eq!(t.post(&ann, "/v1/reveals", early).await.code(), "approval_not_usable");

    let records = audit_actions(&t).await;
    let reveals: Vec<&Value> = records.iter().filter(|r| r["action"] == "pii.revealed").collect();
    assert_eq!(reveals.len(), 2, "{records:?}");
    assert!(reveals[0].to_string().contains("case 1: caller verification"));
}
