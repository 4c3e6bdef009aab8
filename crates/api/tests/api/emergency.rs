//! Emergency controls: each switched on and off by an on-call operator, refusing what it names
//! (and only that) before a payment code is spent, kept across a restart, and in the audit log.

use serde_json::{Value, json};

use crate::harness::{Auth, TestServer};
use crate::risk_support::RiskServer;

async fn controls(t: &TestServer, who: &Auth) -> Value {
    let answer = t.get(who, "/v1/emergency").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

/// The audit records with `action`, read by an auditor.
async fn audited(t: &TestServer, action: &str) -> Vec<Value> {
    let auditor = t.operator_with(&format!("auditor-{}", t.key()), &["auditor"]).await;
    let page = t.get(&auditor, "/v1/audit?after=0&limit=1000").await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == action)
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_offline_pause_declines_payment_codes_unspent_and_survives_a_restart() {
    let mut t = TestServer::start().await;
    let merchant = t.register_merchant("Corner Shop").await;
    let customer = t.open_customer(100_000, 5).await;
    let oncall = t.operator_with("oncall", &["fraud"]).await;
    let support = t.operator_with("sue", &["support"]).await;

    let body = json!({"active": true, "reason": "QR fraud wave"});
    let denied = t.post(&support, "/v1/emergency/offline-pause", body.clone()).await;
    assert_eq!(denied.status, 403, "{}", denied.text);
    let paused = t.post(&oncall, "/v1/emergency/offline-pause", body).await;
    assert_eq!(paused.status, 200, "{}", paused.text);
    assert_eq!(paused.body["offline_paused"]["by"], "oncall");
    assert_eq!(paused.body["offline_paused"]["reason"], "QR fraud wave");

    let code = t.payment_code(&customer).await;
    let pay = json!({"payment_code": code, "amount_fen": 1_000});
    let declined = t.post(&merchant.auth(), "/v1/payments", pay.clone()).await;
    assert_eq!(
        (declined.status, declined.code()),
        (402, "offline_paused"),
        "{}",
        declined.text
    );

    let resumed = t
        .post(&oncall, "/v1/emergency/offline-pause", json!({"active": false}))
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    assert_eq!(resumed.body["offline_paused"], Value::Null);
    // The code refused was never spent: it pays now.
    let paid = t.post(&merchant.auth(), "/v1/payments", pay).await;
    assert_eq!(paid.status, 201, "{}", paid.text);

    let again = t
        .post(&oncall, "/v1/emergency/offline-pause", json!({"active": true}))
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    t.restart().await;
    let after = controls(&t, &support).await;
    assert_eq!(after["offline_paused"]["by"], "oncall", "the pause survives a restart");
    let still = t.pay(&merchant, &customer, json!({"amount_fen": 1_000})).await;
    assert_eq!(still.code(), "offline_paused");
    // Online (link) payments are not paused: a link to an unknown id gets past the pause.
    let link = json!({"link_id": "999999", "amount_fen": 1_000});
    let online = t.post(&merchant.auth(), "/v1/payments", link).await;
    assert_eq!(online.code(), "link_not_found", "{}", online.text);

    let records = audited(&t, "emergency.pause").await;
    let ok: Vec<_> = records.iter().filter(|r| r["outcome"] == "ok").collect();
    assert_eq!(ok.len(), 3, "{records:?}");
    assert!(ok.iter().all(|r| r["actor"] == "operator:oncall"));
    assert!(ok.iter().all(|r| r["target"] == "/v1/emergency/offline-pause"));
    assert!(
        records
            .iter()
            .any(|r| r["actor"] == "operator:sue" && r["outcome"] == "denied")
    );
}

#[tokio::test]
async fn a_paused_merchant_is_declined_while_others_and_its_captures_go_on() {
    let mut t = TestServer::start().await;
    let shady = t.register_merchant("Shady").await;
    let honest = t.register_merchant("Honest").await;
    let customer = t.open_customer(100_000, 5).await;
    let admin = t.operator_with("ada", &["admin"]).await;
    let held = t.pay(&shady, &customer, json!({"amount_fen": 2_000})).await;
    assert_eq!(held.status, 201, "{}", held.text);

    let path = format!("/v1/emergency/merchants/{}/pause", shady.id);
    let paused = t.post(&admin, &path, json!({"active": true})).await;
    assert_eq!(paused.status, 200, "{}", paused.text);
    assert_eq!(paused.body["merchants_paused"][0]["merchant_id"], json!(shady.id));
    let unknown = t
        .post(&admin, "/v1/emergency/merchants/999999/pause", json!({"active": true}))
        .await;
    assert_eq!((unknown.status, unknown.code()), (404, "merchant_not_found"));

    let code = t.payment_code(&customer).await;
    let pay = json!({"payment_code": code, "amount_fen": 1_000});
    let declined = t.post(&shady.auth(), "/v1/payments", pay.clone()).await;
    assert_eq!(
        (declined.status, declined.code()),
        (402, "merchant_paused"),
        "{}",
        declined.text
    );
    let capture = format!("/v1/payments/{}/capture", held.str("txn_id"));
    let captured = t.post(&shady.auth(), &capture, json!({"amount_fen": 2_000})).await;
    assert_eq!(
        captured.status, 200,
        "a paused merchant still captures: {}",
        captured.text
    );
    // The same code pays another merchant: it was not spent.
    assert_eq!(t.post(&honest.auth(), "/v1/payments", pay).await.status, 201);

    t.restart().await;
    let again = t.pay(&shady, &customer, json!({"amount_fen": 1_000})).await;
    assert_eq!(again.code(), "merchant_paused", "the pause survives a restart");
    let resumed = t.post(&admin, &path, json!({"active": false})).await;
    assert_eq!(resumed.body["merchants_paused"], json!([]));
    let paid = t.pay(&shady, &customer, json!({"amount_fen": 1_000})).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
}

#[tokio::test]
async fn a_bulk_freeze_reports_each_account_and_a_retry_repeats_the_answer() {
    let t = TestServer::start().await;
    let merchant = t.register_merchant("Shop").await;
    let a = t.open_customer(100_000, 5).await;
    let b = t.open_customer(100_000, 5).await;
    let oncall = t.operator_with("oncall", &["fraud"]).await;
    let single = t
        .post(
            &oncall,
            &format!("/v1/customers/{}/freeze", b.id),
            json!({"reason": "risk"}),
        )
        .await;
    assert_eq!(single.status, 200, "{}", single.text);
    // A customer's own freeze is the one a bulk freeze replaces (the customer could lift it).
    let c = t.open_customer(100_000, 5).await;
    let own = t
        .post(&c.auth(), &format!("/v1/customers/{}/freeze", c.id), json!({}))
        .await;
    assert_eq!(own.status, 200, "{}", own.text);

    let body = json!({"customer_ids": [a.id, b.id, "999999", a.id, c.id]});
    let first = t
        .post_keyed(&oncall, "/v1/emergency/freezes", body.clone(), "bulk-1")
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let results: Vec<(String, String)> = first.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["customer_id"].as_str().unwrap().to_owned(),
                r["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        results,
        vec![
            (a.id.clone(), "frozen".to_owned()),
            (b.id.clone(), "already_frozen".to_owned()),
            ("999999".to_owned(), "not_found".to_owned()),
            (c.id.clone(), "frozen".to_owned()),
        ]
    );
    assert_eq!(
        (first.fen("frozen"), first.fen("already_frozen"), first.fen("not_found")),
        (2, 1, 1)
    );
    let retry = t.post_keyed(&oncall, "/v1/emergency/freezes", body, "bulk-1").await;
    assert_eq!(retry.body, first.body, "a retry gets the first answer");

    let declined = t.pay(&merchant, &a, json!({"amount_fen": 1_000})).await;
    assert_eq!((declined.status, declined.code()), (402, "account_frozen"));
    let line = t.get(&oncall, &format!("/v1/customers/{}", b.id)).await;
    assert!(
        line.text.contains("risk"),
        "b keeps its own freeze reason: {}",
        line.text
    );
    let line = t.get(&oncall, &format!("/v1/customers/{}", c.id)).await;
    assert!(
        line.text.contains("operator") && !line.text.contains("customer\""),
        "c's own freeze became the operator's: {}",
        line.text
    );

    let too_many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    let refused = t
        .post(&oncall, "/v1/emergency/freezes", json!({"customer_ids": too_many}))
        .await;
    assert_eq!((refused.status, refused.code()), (400, "invalid_field"));
    let empty = t
        .post(&oncall, "/v1/emergency/freezes", json!({"customer_ids": []}))
        .await;
    assert_eq!(empty.code(), "invalid_field");
    let records = audited(&t, "emergency.freeze").await;
    assert!(
        records
            .iter()
            .any(|r| r["actor"] == "operator:oncall" && r["outcome"] == "ok")
    );
}

#[tokio::test]
async fn a_raised_risk_tier_makes_payments_above_its_amount_step_up() {
    let mut r = RiskServer::start().await;
    let merchant = r.t.register_merchant("Shop").await;
    let customer = r.customer(500_000).await;
    let oncall = r.t.operator_with("oncall", &["fraud"]).await;
    let missing =
        r.t.post(&oncall, "/v1/emergency/risk-tier", json!({"active": true}))
            .await;
    assert_eq!((missing.status, missing.code()), (400, "missing_field"));
    let raised =
        r.t.post(
            &oncall,
            "/v1/emergency/risk-tier",
            json!({"active": true, "step_up_above_fen": 5_000, "reason": "credential stuffing"}),
        )
        .await;
    assert_eq!(raised.status, 200, "{}", raised.text);
    assert_eq!(raised.body["risk_tier"]["step_up_above_fen"], 5_000);

    let small = r.pay_from(&merchant, &customer, "dev-1", 5_000).await;
    assert_eq!(small.status, 201, "at the amount, no step-up: {}", small.text);
    let code = r.code_with(&customer, json!({"device_id": "dev-1"})).await;
    let big = json!({"payment_code": code, "amount_fen": 5_001});
    let challenged = r.t.post(&merchant.auth(), "/v1/payments", big).await;
    assert_eq!(challenged.status, 403, "{}", challenged.text);
    assert_eq!(challenged.body["error"]["code"], "challenge_required");
    assert_eq!(challenged.body["error"]["reasons"], json!(["emergency_risk_tier"]));
    assert_eq!(challenged.body["error"]["challenge"], "otp");

    let token = r.step_up(&customer, "otp").await;
    let stepped = json!({"payment_code": code, "amount_fen": 5_001, "risk": {"step_up_token": token}});
    let paid = r.t.post(&merchant.auth(), "/v1/payments", stepped).await;
    assert_eq!(paid.status, 201, "the same code, stepped up: {}", paid.text);
    r.t.restart().await;
    let again = r.pay_from(&merchant, &customer, "dev-1", 6_000).await;
    assert_eq!(
        again.body["error"]["code"], "challenge_required",
        "still raised after the restart: {}",
        again.text
    );

    let lowered =
        r.t.post(&oncall, "/v1/emergency/risk-tier", json!({"active": false}))
            .await;
    assert_eq!(lowered.body["risk_tier"], Value::Null);
    let free = r.pay_from(&merchant, &customer, "dev-1", 6_000).await;
    assert_eq!(free.status, 201, "{}", free.text);
    assert_eq!(audited(&r.t, "emergency.risk_tier").await.len(), 3);
}

fn payment_version(answer: &crate::harness::Answer) -> String {
    answer.ok()["graphs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["version"].as_str())
        .find(|v| v.starts_with("payment_authorization@"))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_rules_rollback_restores_the_previous_set_across_a_restart_and_rolls_forward() {
    let mut r = RiskServer::start().await;
    let rita = r.t.operator_with("rita", &["rules_admin"]).await;
    let fred = r.t.operator_with("fred", &["fraud"]).await;
    let rollback = "/v1/emergency/rules-rollback";
    let nothing = r.t.post(&rita, rollback, json!({})).await;
    assert_eq!(
        (nothing.status, nothing.code()),
        (409, "no_previous_rules"),
        "{}",
        nothing.text
    );

    let first = payment_version(&r.t.get(&rita, "/v1/risk/rules").await);
    // Deploy an edited graph (a version bump) through the watched folder.
    let path = r.rules.path().join("payment_authorization.json");
    let mut graph: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let shipped = graph["metadata"]["version"].as_u64().unwrap();
    graph["metadata"]["version"] = json!(shipped + 1);
    let temp = r.rules.path().join(".payment_authorization.json.tmp");
    std::fs::write(&temp, graph.to_string()).unwrap();
    std::fs::rename(&temp, &path).unwrap();
    let second = crate::risk_support::eventually("the reload", || async {
        let now = payment_version(&r.t.get(&rita, "/v1/risk/rules").await);
        (now != first).then_some(now)
    })
    .await;

    assert_eq!(r.t.post(&fred, rollback, json!({})).await.status, 403);
    let rolled = r.t.post(&rita, rollback, json!({})).await;
    assert_eq!(rolled.status, 200, "{}", rolled.text);
    assert!(
        rolled.body["in_force"].as_array().unwrap().contains(&json!(first)),
        "{}",
        rolled.text
    );
    assert_eq!(rolled.body["can_roll_back"], true);
    assert_eq!(payment_version(&r.t.get(&rita, "/v1/risk/rules").await), first);

    r.t.restart().await;
    assert_eq!(
        payment_version(&r.t.get(&rita, "/v1/risk/rules").await),
        first,
        "the rollback is pinned across a restart (the folder still holds the edit)"
    );
    let forward = r.t.post(&rita, rollback, json!({})).await;
    assert_eq!(forward.status, 200, "{}", forward.text);
    assert_eq!(payment_version(&r.t.get(&rita, "/v1/risk/rules").await), second);

    let records = audited(&r.t, "emergency.rules_rollback").await;
    let by = |outcome: &str| records.iter().filter(|r| r["outcome"] == outcome).count();
    assert_eq!((by("ok"), by("failed"), by("denied")), (2, 1, 1), "{records:?}");
}

#[tokio::test]
async fn a_customer_freezes_their_own_account_and_lifts_it_only_with_a_liveness_step_up() {
    let r = RiskServer::start().await;
    let merchant = r.t.register_merchant("Shop").await;
    let customer = r.customer(100_000).await;
    let other = r.customer(100_000).await;
    let freeze = format!("/v1/customers/{}/freeze", customer.id);
    let unfreeze = format!("/v1/customers/{}/unfreeze", customer.id);
    assert_eq!(r.t.post(&other.auth(), &freeze, json!({})).await.status, 403);

    let frozen = r.t.post_keyed(&customer.auth(), &freeze, json!({}), "lost-phone").await;
    assert_eq!(frozen.status, 200, "{}", frozen.text);
    assert_eq!(frozen.body["frozen"], "customer");
    let retry = r.t.post_keyed(&customer.auth(), &freeze, json!({}), "lost-phone").await;
    assert_eq!(
        (retry.status, &retry.body),
        (200, &frozen.body),
        "a retry gets the first answer"
    );
    let again = r.t.post(&customer.auth(), &freeze, json!({})).await;
    assert_eq!((again.status, again.code()), (409, "account_frozen"));
    let declined = r.pay_from(&merchant, &customer, "dev-1", 1_000).await;
    assert_eq!((declined.status, declined.code()), (402, "account_frozen"));

    let bare = r.t.post(&customer.auth(), &unfreeze, json!({})).await;
    assert_eq!(bare.code(), "missing_field", "{}", bare.text);
    let otp = r.step_up(&customer, "otp").await;
    let weak =
        r.t.post(&customer.auth(), &unfreeze, json!({"step_up_token": otp}))
            .await;
    assert_eq!(weak.code(), "liveness_required", "{}", weak.text);
    let face = r.step_up(&customer, "liveness").await;
    let lifted =
        r.t.post(&customer.auth(), &unfreeze, json!({"step_up_token": face}))
            .await;
    assert_eq!(lifted.status, 200, "{}", lifted.text);
    let paid = r.pay_from(&merchant, &customer, "dev-1", 1_000).await;
    assert_eq!(paid.status, 201, "{}", paid.text);

    // An operator's freeze stays the operator's: the customer cannot re-freeze it into one
    // they may lift.
    let oncall = r.t.operator_with("oncall", &["fraud"]).await;
    let by_operator = r.t.post(&oncall, &freeze, json!({"reason": "risk"})).await;
    assert_eq!(by_operator.status, 200, "{}", by_operator.text);
    let over = r.t.post(&customer.auth(), &freeze, json!({})).await;
    assert_eq!(over.code(), "account_frozen");
    let face = r.step_up(&customer, "liveness").await;
    let refused =
        r.t.post(&customer.auth(), &unfreeze, json!({"step_up_token": face}))
            .await;
    assert_eq!((refused.status, refused.code()), (403, "operator_freeze"));
    let target = json!(format!("/v1/customers/{}", customer.id));
    for action in ["customer.freeze", "customer.unfreeze"] {
        let records = audited(&r.t, action).await;
        assert_eq!(records.len(), 1, "{action}: {records:?}");
        assert_eq!(
            (&records[0]["actor"], &records[0]["target"]),
            (&json!("system"), &target)
        );
    }
}
