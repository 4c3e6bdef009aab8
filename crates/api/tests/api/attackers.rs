//! Attackers against every route of the OpenAPI document, so a route added later is attacked
//! too without anyone remembering to.
//!
//! - A **customer-token attacker** holds a valid customer token of their own and aims every
//!   route at a victim's account, transactions, statements, plans and cases, with a body built
//!   from the route's own request schema. Nothing may succeed, nothing may fail with a 5xx, and
//!   the victim's account must be exactly as it was.
//! - The same attacker tries to mint money on their own account: repay a large amount they
//!   never funded, then cash it out. Money paid out never exceeds settled money paid in.
//! - A **captured-merchant-request attacker** saw every signed request a merchant sent (a log,
//!   a proxy) and replays each: byte for byte, under a fresh idempotency key, and against
//!   another path. No request may have a second effect.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::harness::{Auth, Customer, Merchant, TestServer, operator};

/// The ids a route's path parameters are filled with, all the victim's.
struct Targets {
    customer: String,
    txn: String,
    plan: String,
    case: String,
    merchant: String,
    application: String,
    repayment: String,
}

/// A value for a request-body property, by name first, else by the schema's type.
fn value_for(name: &str, schema: &Value, doc: &Value, targets: &Targets) -> Value {
    match name {
        "amount_fen" => json!(5_000_000),
        "limit_fen" => json!(100_000_000),
        "billing_day" => json!(5),
        "txn_ids" => json!([targets.txn]),
        "confirm" => json!(true),
        "customer_id" => json!(targets.customer),
        "url" => json!("https://attacker.example/hook"),
        "external_reference" => json!("attacker-ref-1"),
        _ => value_of(schema, doc, targets),
    }
}

fn resolve<'a>(schema: &'a Value, doc: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(&doc["components"]["schemas"][name], doc)
        }
        None => schema,
    }
}

/// A value that satisfies `schema` as simply as it can: required properties only.
fn value_of(schema: &Value, doc: &Value, targets: &Targets) -> Value {
    let schema = resolve(schema, doc);
    for alternative in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema.get(alternative).and_then(|a| a.get(0)) {
            return value_of(first, doc, targets);
        }
    }
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str() {
        Some("object") => {
            let mut object = Map::new();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for name in required {
                let property = &schema["properties"][name];
                object.insert(name.to_owned(), value_for(name, property, doc, targets));
            }
            Value::Object(object)
        }
        Some("array") => json!([]),
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(true),
        Some("string") => json!("1"),
        _ => json!({}),
    }
}

fn fill(path: &str, targets: &Targets) -> String {
    path.replace("{customer_id}", &targets.customer)
        .replace("{txn_id}", &targets.txn)
        .replace("{plan_id}", &targets.plan)
        .replace("{case_id}", &targets.case)
        .replace("{merchant_id}", &targets.merchant)
        .replace("{application_id}", &targets.application)
        .replace("{repayment_id}", &targets.repayment)
        .replace("{cash_out_id}", &targets.repayment)
        .replace("{seq}", "1")
        .replace("{challenge_id}", "1")
}

/// The victim's account as the operator sees it, for before/after comparison.
async fn snapshot(t: &TestServer, customer: &Customer) -> Value {
    let account = t.get(&operator(), &format!("/v1/customers/{}", customer.id)).await;
    let plans = t
        .get(&operator(), &format!("/v1/customers/{}/plans", customer.id))
        .await;
    let cases = t
        .get(&operator(), &format!("/v1/customers/{}/cases", customer.id))
        .await;
    json!({"account": account.ok(), "plans": plans.ok(), "cases": cases.ok()})
}

/// A victim with a captured purchase, an installment plan, a closed statement and an open
/// (rejected later) case; returns the ids to aim at.
async fn victim_world(t: &TestServer, shop: &Merchant, victim: &Customer) -> Targets {
    t.card_on_file(victim).await;
    let repayment = t
        .post(
            &victim.auth(),
            &format!("/v1/customers/{}/repayments", victim.id),
            json!({"amount_fen": 100}),
        )
        .await
        .str("repayment_id");
    let purchase = t.pay(shop, victim, json!({"amount_fen": 30_000})).await;
    let txn = purchase.str("txn_id");
    let capture = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/capture"),
            json!({"amount_fen": 30_000}),
        )
        .await;
    capture.ok();
    let installment = t
        .pay(
            shop,
            victim,
            json!({"amount_fen": 60_000, "plan": {"periods": 3, "method": "flat-fee"}}),
        )
        .await;
    let plan_txn = installment.str("txn_id");
    t.post(
        &shop.auth(),
        &format!("/v1/payments/{plan_txn}/capture"),
        json!({"amount_fen": 60_000}),
    )
    .await
    .ok();
    t.advance_to("2026-03-06T01:00:00+08:00").await;
    let plans = t.get(&operator(), &format!("/v1/customers/{}/plans", victim.id)).await;
    let plan = plans.ok()["plans"][0]["plan_id"].as_str().unwrap_or("1").to_owned();
    let other = t.pay(shop, victim, json!({"amount_fen": 1_000})).await;
    let report = t
        .post(
            &victim.auth(),
            &format!("/v1/customers/{}/theft-reports", victim.id),
            json!({"txn_ids": [other.str("txn_id")]}),
        )
        .await;
    let case = report.ok()["case_id"].as_str().unwrap_or("1").to_owned();
    Targets {
        customer: victim.id.clone(),
        txn,
        plan,
        case,
        merchant: shop.id.clone(),
        application: "1".into(),
        repayment,
    }
}

#[tokio::test]
async fn a_customer_token_gets_nothing_from_any_route_aimed_at_another_customer() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let victim = t.open_customer(500_000, 5).await;
    let attacker = t.open_customer(500_000, 5).await;
    let targets = victim_world(&t, &shop, &victim).await;
    let before = snapshot(&t, &victim).await;

    let doc: Value = serde_json::from_str(api::openapi_json()).unwrap();
    let mut attacked = BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let public = operation.get("security").is_none();
            if public {
                continue;
            }
            let body = operation["requestBody"]["content"]["application/json"]["schema"].clone();
            let body = if body.is_null() {
                Vec::new()
            } else {
                serde_json::to_vec(&value_of(&body, &doc, &targets)).unwrap()
            };
            let method = method.to_uppercase();
            let key = t.key();
            let key = (method != "GET").then_some(key.as_str());
            let target = fill(path, &targets);
            let answer = t.send(&attacker.auth(), &method, &target, &body, key, &[]).await;
            assert!(
                [401, 403, 404].contains(&answer.status),
                "{method} {target} with another customer's token: {} {}",
                answer.status,
                answer.text
            );
            attacked.insert(format!("{method} {path}"));
        }
    }
    assert!(attacked.len() > 40, "only {} routes attacked", attacked.len());
    // The attacker's own account with the victim's transactions, plans, statements, repayments:
    // nothing of the victim's is reachable through one's own id either.
    let own = Targets {
        customer: attacker.id.clone(),
        ..targets
    };
    let mut through_own = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let Some(get) = operations.get("get") else { continue };
        if !path.starts_with("/v1/customers/{customer_id}/")
            || path.matches('{').count() < 2
            || get.get("security").is_none()
        {
            continue;
        }
        let target = fill(path, &own);
        let answer = t.get(&attacker.auth(), &target).await;
        assert!(
            [403, 404].contains(&answer.status),
            "GET {target}: the victim's resource through the attacker's own id: {} {}",
            answer.status,
            answer.text
        );
        through_own += 1;
    }
    assert!(
        through_own >= 5,
        "only {through_own} routes tried through the attacker's own id"
    );
    assert_eq!(snapshot(&t, &victim).await, before, "the victim's account changed");
    // And the store reopens on what it accepted.
    let mut t = t;
    t.restart().await;
    assert_eq!(
        snapshot(&t, &victim).await,
        before,
        "the victim's account changed across a restart"
    );
}

/// What the attacker got out and what they settled in, from the answers they were given.
#[derive(Debug, Default)]
struct Flows {
    settled_in: i64,
    paid_out: i64,
}

fn settled(answer: &crate::harness::Answer) -> bool {
    (200..300).contains(&answer.status)
        && answer.body["status"]
            .as_str()
            .is_some_and(|s| s == "settled" || s == "paid")
}

#[tokio::test]
async fn a_customer_cannot_cash_out_money_that_was_never_paid_in() {
    let t = TestServer::start().await;
    let attacker = t.open_customer(500_000, 5).await;
    let base = format!("/v1/customers/{}", attacker.id);
    let mut flows = Flows::default();
    for amount in [50_000_000_i64, 1_000, 1] {
        let repay = t
            .post(
                &attacker.auth(),
                &format!("{base}/repayments"),
                json!({"amount_fen": amount}),
            )
            .await;
        assert!(repay.status < 500, "{}", repay.text);
        if settled(&repay) {
            flows.settled_in += amount;
        }
        for cash in [amount, 1] {
            let out = t
                .post(
                    &attacker.auth(),
                    &format!("{base}/cash-outs"),
                    json!({"amount_fen": cash}),
                )
                .await;
            assert!(out.status < 500, "{}", out.text);
            if (200..300).contains(&out.status) && out.body["status"].as_str() != Some("failed") {
                flows.paid_out += cash;
            }
        }
    }
    assert!(
        flows.paid_out <= flows.settled_in,
        "paid out more than was settled in: {flows:?}"
    );
    let account = t.get(&attacker.auth(), &base).await;
    assert_eq!(account.fen("credit_balance_fen"), 0, "{}", account.text);
}

/// A signed request as it went over the wire.
struct Captured {
    method: &'static str,
    path: String,
    body: Vec<u8>,
    key: String,
    timestamp: String,
    signature: String,
}

impl Captured {
    fn new(t: &TestServer, m: &Merchant, method: &'static str, path: String, body: Value) -> Captured {
        let body = serde_json::to_vec(&body).unwrap();
        let key = t.key();
        let timestamp = t.clock_now().as_second().to_string();
        let signature = crate::harness::signature(m, method, &path, &timestamp, &key, &body);
        Captured {
            method,
            path,
            body,
            key,
            timestamp,
            signature,
        }
    }

    async fn send(&self, t: &TestServer, m: &Merchant, key: &str, path: &str) -> crate::harness::Answer {
        let headers = [
            ("x-timestamp", self.timestamp.as_str()),
            ("x-signature", self.signature.as_str()),
        ];
        t.send(
            &Auth::Merchant(m.clone()),
            self.method,
            path,
            &self.body,
            Some(key),
            &headers,
        )
        .await
    }
}

#[tokio::test]
async fn a_captured_merchant_request_never_has_a_second_effect() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(500_000, 5).await;
    let code = t.payment_code(&alice).await;
    let authorize = Captured::new(
        &t,
        &shop,
        "POST",
        "/v1/payments".into(),
        json!({"payment_code": code, "amount_fen": 40_000}),
    );
    let first = authorize.send(&t, &shop, &authorize.key, &authorize.path).await;
    let txn = first.str("txn_id");
    let mut captured = vec![authorize];
    for (action, body) in [
        ("capture", json!({"amount_fen": 40_000})),
        ("refunds", json!({"amount_fen": 2_500})),
    ] {
        let request = Captured::new(&t, &shop, "POST", format!("/v1/payments/{txn}/{action}"), body);
        let answer = request.send(&t, &shop, &request.key, &request.path).await;
        answer.ok();
        captured.push(request);
    }
    let before = snapshot(&t, &alice).await;
    let payment = t.get(&shop.auth(), &format!("/v1/payments/{txn}")).await.text;

    for request in &captured {
        // Byte for byte, same key: a retry. It is answered from the idempotency store or
        // refused as a replay, never applied again.
        let again = request.send(&t, &shop, &request.key, &request.path).await;
        assert!(
            again.replayed || again.status == 401,
            "{} {}: a byte-identical resend was applied again: {} {}",
            request.method,
            request.path,
            again.status,
            again.text
        );
        // Under a fresh key: the signature does not cover it.
        let fresh = request.send(&t, &shop, &t.key(), &request.path).await;
        assert_eq!(
            fresh.status, 401,
            "{} {} under a fresh key: {}",
            request.method, request.path, fresh.text
        );
        // Against another path.
        let elsewhere = request.send(&t, &shop, &t.key(), "/v1/payments/1/void").await;
        assert_eq!(elsewhere.status, 401, "{}", elsewhere.text);
    }
    assert_eq!(
        snapshot(&t, &alice).await,
        before,
        "a replay changed the customer's account"
    );
    assert_eq!(t.get(&shop.auth(), &format!("/v1/payments/{txn}")).await.text, payment);
    let mut t = t;
    t.restart().await;
    assert_eq!(
        snapshot(&t, &alice).await,
        before,
        "the account changed across a restart"
    );
}
