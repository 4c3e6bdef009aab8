//! Merchant risk tiers, black-box and from the attacker's side: an `elevated` merchant's capture
//! waits for the delivery checkpoint's `ship` of that very order (another order's delivery, or
//! its replay, unlocks nothing; the tier survives a restart); a `high` merchant's link payment
//! needs the customer's own step-up, which the merchant can neither skip, forge, borrow from
//! another customer nor reuse; a merchant cannot set (or lower) its own tier; an operator
//! lowering one needs a second operator; bad input is refused with the field at fault.

use serde_json::{Value, json};

use crate::harness::{Auth, Customer, Merchant, TestServer, operator};
use crate::risk_support::{RiskServer, code, reasons};

fn tier_path(merchant: &Merchant) -> String {
    format!("/v1/merchants/{}/risk-tier", merchant.id)
}

async fn set_tier(t: &TestServer, who: &Auth, merchant: &Merchant, tier: &str) -> crate::harness::Answer {
    t.post(who, &tier_path(merchant), json!({"tier": tier, "reason": "test"}))
        .await
}

async fn capture(t: &TestServer, merchant: &Merchant, txn: &str) -> crate::harness::Answer {
    t.post(
        &merchant.auth(),
        &format!("/v1/payments/{txn}/capture"),
        json!({"amount_fen": 10_000}),
    )
    .await
}

async fn link(t: &TestServer, customer: &Customer, merchant: &Merchant) -> String {
    let path = format!("/v1/customers/{}/links", customer.id);
    let answer = t
        .post(&customer.auth(), &path, json!({"merchant_id": merchant.id}))
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.str("link_id")
}

/// A link payment with the device and IP the merchant chooses to send, and `token` if any.
fn online(link: &str, token: Option<&str>) -> Value {
    let mut risk = json!({"device_id": "customers-usual-phone", "ip": "203.0.113.9"});
    if let Some(token) = token {
        risk["step_up_token"] = json!(token);
    }
    json!({"link_id": link, "amount_fen": 10_000, "risk": risk})
}

/// A payment-code payment; the clock then moves on ten minutes (no velocity rule fires).
async fn paid(s: &RiskServer, merchant: &Merchant, customer: &Customer) -> String {
    s.advance(std::time::Duration::from_secs(600));
    let answer = s.pay_from(merchant, customer, "phone-A", 10_000).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.str("txn_id")
}

#[tokio::test]
async fn an_elevated_merchant_captures_only_the_order_the_delivery_checkpoint_shipped() {
    let mut s = RiskServer::start().await;
    let shop = s.t.register_merchant("Shop").await;
    let plain = s.t.register_merchant("Plain").await;
    let fraud = s.t.operator_with("fran", &["fraud"]).await;
    let set = set_tier(&s.t, &fraud, &shop, "elevated").await;
    assert_eq!(set.status, 200, "{}", set.text);
    let own = s.t.get(&shop.auth(), &tier_path(&shop)).await;
    assert_eq!(own.ok()["tier"], "elevated");
    assert_eq!(own.ok()["requires_delivery_check"], true);
    assert_eq!(own.ok()["requires_link_step_up"], false);
    assert_eq!(own.ok()["set_by"], "operator:fran");

    let customer = s.customer(10_000_000).await;
    let first = paid(&s, &shop, &customer).await;
    let second = paid(&s, &shop, &customer).await;
    let refused = capture(&s.t, &shop, &first).await;
    assert_eq!(
        (refused.status, refused.code(), refused.field()),
        (409, "delivery_check_required", Some("txn_id")),
        "{}",
        refused.text
    );

    // The second order ships; neither that nor its replay (same key, same body) lets the
    // first be captured.
    let deliver = format!("/v1/payments/{second}/delivery");
    let ship = s.t.post_keyed(&shop.auth(), &deliver, json!({}), "ship-2").await;
    assert_eq!((ship.status, ship.ok()["decision"].clone()), (200, json!("ship")));
    let replay = s.t.post_keyed(&shop.auth(), &deliver, json!({}), "ship-2").await;
    assert_eq!(replay.status, 200, "{}", replay.text);
    let still = capture(&s.t, &shop, &first).await;
    assert_eq!(
        (still.status, still.code()),
        (409, "delivery_check_required"),
        "{}",
        still.text
    );
    // The same key on the first order's path is a different request, not a delivery.
    let other_path = format!("/v1/payments/{first}/delivery");
    let reused = s.t.post_keyed(&shop.auth(), &other_path, json!({}), "ship-2").await;
    assert_ne!(reused.status, 200, "{}", reused.text);
    assert_eq!(capture(&s.t, &shop, &first).await.status, 409);
    assert_eq!(capture(&s.t, &shop, &second).await.status, 200);

    // A standard merchant captures as before.
    let other = paid(&s, &plain, &customer).await;
    assert_eq!(capture(&s.t, &plain, &other).await.status, 200);

    // Another merchant cannot ship (or capture) the shop's order.
    let foreign = s.t.post(&plain.auth(), &other_path, json!({})).await;
    assert_eq!(foreign.status, 404, "{}", foreign.text);

    // The tier and the shipped record survive a restart.
    s.t.restart().await;
    assert_eq!(s.t.get(&shop.auth(), &tier_path(&shop)).await.ok()["tier"], "elevated");
    let third = paid(&s, &shop, &customer).await;
    assert_eq!(capture(&s.t, &shop, &third).await.status, 409);
    let ship =
        s.t.post(&shop.auth(), &format!("/v1/payments/{third}/delivery"), json!({}))
            .await;
    assert_eq!(ship.status, 200, "{}", ship.text);
    assert_eq!(capture(&s.t, &shop, &third).await.status, 200);
    let shipped_first = s.t.post(&shop.auth(), &other_path, json!({})).await;
    assert_eq!(shipped_first.status, 200, "{}", shipped_first.text);
    assert_eq!(capture(&s.t, &shop, &first).await.status, 200);
}

/// Issue 16: a capture replayed after its merchant's tier was raised gets its stored 200 (the
/// capture happened), also after a restart; a new capture under another key is still checked.
#[tokio::test]
async fn a_capture_replayed_after_the_tier_was_raised_gets_its_stored_answer() {
    let mut s = RiskServer::start().await;
    let shop = s.t.register_merchant("Shop").await;
    let fraud = s.t.operator_with("fran", &["fraud"]).await;
    let customer = s.customer(10_000_000).await;
    let first = paid(&s, &shop, &customer).await;
    let second = paid(&s, &shop, &customer).await;
    let path = format!("/v1/payments/{first}/capture");
    let body = json!({"amount_fen": 10_000});
    let captured = s.t.post_keyed(&shop.auth(), &path, body.clone(), "cap-1").await;
    assert_eq!(captured.status, 200, "{}", captured.text);

    assert_eq!(set_tier(&s.t, &fraud, &shop, "elevated").await.status, 200);
    let replay = s.t.post_keyed(&shop.auth(), &path, body.clone(), "cap-1").await;
    assert_eq!(
        (replay.status, replay.body.clone()),
        (200, captured.body.clone()),
        "{}",
        replay.text
    );
    // The same key with another body is not a replay: the tier check answers first.
    let other =
        s.t.post_keyed(&shop.auth(), &path, json!({"amount_fen": 9_000}), "cap-1")
            .await;
    assert_ne!(other.status, 200, "{}", other.text);
    // Another order under a new key is checked.
    let new = capture(&s.t, &shop, &second).await;
    assert_eq!(
        (new.status, new.code()),
        (409, "delivery_check_required"),
        "{}",
        new.text
    );

    s.t.restart().await;
    let after = s.t.post_keyed(&shop.auth(), &path, body, "cap-1").await;
    assert_eq!(
        (after.status, after.body.clone()),
        (200, captured.body),
        "{}",
        after.text
    );
}

#[tokio::test]
async fn a_high_merchants_link_payment_needs_the_customers_own_step_up() {
    let s = RiskServer::start().await;
    let registered =
        s.t.post_until_taken(
            &operator(),
            "/v1/merchants",
            json!({"name": "Risky", "risk_tier": "high"}),
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    assert_eq!(registered.body["risk_tier"], "high");
    let risky = Merchant {
        id: registered.str("merchant_id"),
        secret: registered.str("secret"),
    };
    let plain = s.t.register_merchant("Plain").await;
    let customer = s.customer(10_000_000).await;
    let stranger = s.customer(10_000_000).await;
    let to_risky = link(&s.t, &customer, &risky).await;
    let to_plain = link(&s.t, &customer, &plain).await;

    // Whatever device and IP the merchant sends, no step-up: a challenge.
    let challenged = s.t.post(&risky.auth(), "/v1/payments", online(&to_risky, None)).await;
    assert_eq!(
        code(&challenged),
        (403, "challenge_required".to_owned()),
        "{}",
        challenged.text
    );
    assert_eq!(challenged.body["error"]["challenge"], "otp");
    assert_eq!(reasons(&challenged), ["merchant_risk_tier"]);

    // The merchant cannot make a token: a forged one, another customer's, or asking for one.
    let forged =
        s.t.post(&risky.auth(), "/v1/payments", online(&to_risky, Some("su_0000")))
            .await;
    assert_eq!(
        code(&forged),
        (422, "step_up_token_invalid".to_owned()),
        "{}",
        forged.text
    );
    let theirs = s.step_up(&stranger, "otp").await;
    let borrowed =
        s.t.post(&risky.auth(), "/v1/payments", online(&to_risky, Some(&theirs)))
            .await;
    assert_eq!(
        code(&borrowed),
        (422, "step_up_token_invalid".to_owned()),
        "{}",
        borrowed.text
    );
    let start = format!("/v1/customers/{}/step-up", customer.id);
    let asked = s.t.post(&risky.auth(), &start, json!({"kind": "otp"})).await;
    assert!(matches!(asked.status, 401 | 403), "{}", asked.text);
    // Another merchant's link is not this merchant's to use.
    let wrong_link = s.t.post(&risky.auth(), "/v1/payments", online(&to_plain, None)).await;
    assert_eq!(
        code(&wrong_link),
        (404, "link_not_found".to_owned()),
        "{}",
        wrong_link.text
    );

    // The customer's own step-up passes, once.
    let token = s.step_up(&customer, "otp").await;
    let approved =
        s.t.post(&risky.auth(), "/v1/payments", online(&to_risky, Some(&token)))
            .await;
    assert_eq!(approved.status, 201, "{}", approved.text);
    let again =
        s.t.post(&risky.auth(), "/v1/payments", online(&to_risky, Some(&token)))
            .await;
    assert_eq!(
        code(&again),
        (422, "step_up_token_invalid".to_owned()),
        "{}",
        again.text
    );
    // High also requires the delivery checkpoint.
    let txn = approved.str("txn_id");
    assert_eq!(capture(&s.t, &risky, &txn).await.status, 409);

    // A standard merchant's link payment is decided by the rules alone, and a token presented
    // on a link is now checked against the link's customer instead of refused.
    let plain_paid = s.t.post(&plain.auth(), "/v1/payments", online(&to_plain, None)).await;
    assert_eq!(plain_paid.status, 201, "{}", plain_paid.text);
    let token = s.step_up(&customer, "otp").await;
    let with_token =
        s.t.post(&plain.auth(), "/v1/payments", online(&to_plain, Some(&token)))
            .await;
    assert_eq!(with_token.status, 201, "{}", with_token.text);
}

#[tokio::test]
async fn a_merchant_cannot_set_its_tier_and_lowering_one_needs_a_second_operator() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let other = t.register_merchant("Other").await;
    let fran = t.operator_with("fran", &["fraud"]).await;
    let fred = t.operator_with("fred", &["fraud"]).await;
    let sue = t.operator_with("sue", &["support"]).await;

    // The merchant on the default tier reads it; it cannot change it, nor read another's.
    let own = t.get(&shop.auth(), &tier_path(&shop)).await;
    assert_eq!(own.ok()["tier"], "standard");
    assert_eq!(own.ok()["set_by"], Value::Null);
    assert_eq!(set_tier(&t, &shop.auth(), &shop, "standard").await.status, 403);
    assert_eq!(t.get(&other.auth(), &tier_path(&shop)).await.status, 403);
    assert_eq!(set_tier(&t, &sue, &shop, "high").await.status, 403);

    // Raising: one operator. Lowering: a proposal, applied by a second one.
    assert_eq!(set_tier(&t, &fran, &shop, "high").await.status, 200);
    let proposed = set_tier(&t, &fran, &shop, "standard").await;
    assert_eq!(proposed.status, 202, "{}", proposed.text);
    assert!(
        proposed.body["reason"]
            .as_str()
            .unwrap()
            .contains("from high to standard")
    );
    let id = proposed.str("approval_id");
    assert_eq!(t.get(&shop.auth(), &tier_path(&shop)).await.ok()["tier"], "high");
    let approve = format!("/v1/approvals/{id}/approve");
    let own_approval = t.post(&fran, &approve, json!({"note": "ok"})).await;
    assert_eq!(own_approval.status, 403, "{}", own_approval.text);
    let approved = t.post(&fred, &approve, json!({"note": "ok"})).await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["result_status"], 200, "{}", approved.text);
    let now = t.get(&fred, &tier_path(&shop)).await;
    assert_eq!(now.ok()["tier"], "standard");

    // Bad input: the field at fault.
    let table: [(Value, u16, &str, &str); 4] = [
        (json!({"tier": "low", "reason": "x"}), 400, "invalid_field", "tier"),
        (json!({"tier": "high", "reason": ""}), 400, "invalid_field", "reason"),
        (json!({"tier": "high"}), 400, "missing_field", "reason"),
        (
            json!({"tier": "high", "reason": "x", "why": 1}),
            400,
            "unknown_field",
            "why",
        ),
    ];
    for (body, status, error, field) in table {
        let answer = t.post(&fran, &tier_path(&shop), body.clone()).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (status, error, Some(field)),
            "{body}: {}",
            answer.text
        );
    }
    let missing = t
        .post(
            &fran,
            "/v1/merchants/999/risk-tier",
            json!({"tier": "high", "reason": "x"}),
        )
        .await;
    assert_eq!((missing.status, missing.code()), (404, "merchant_not_found"));
    let bad_registration = t
        .post(
            &operator(),
            "/v1/merchants",
            json!({"name": "X", "risk_tier": "severe"}),
        )
        .await;
    assert_eq!(
        (bad_registration.status, bad_registration.field()),
        (400, Some("risk_tier"))
    );

    // Every change is in the audit log under its permission.
    let auditor = t.operator_with("audrey", &["auditor"]).await;
    let page = t.get(&auditor, "/v1/audit?after=0&limit=1000").await;
    let records = page.body["records"].as_array().unwrap();
    let tier_changes = records
        .iter()
        .filter(|r| r["action"] == "merchants.risk_tier" && r["outcome"] == "ok")
        .count();
    assert!(tier_changes >= 2, "{records:?}");
    assert!(
        records
            .iter()
            .any(|r| r["action"] == "merchants.risk_tier" && r["outcome"] == "denied"),
        "the support operator's refusal is recorded"
    );
}
