//! Bad input: a table of malformed bodies, ids, amounts and sizes with the exact code and field
//! each gets; then garbage of every kind against every route of the OpenAPI document, from
//! every kind of caller, asserting a 4xx with the error shape and never a 5xx.

use serde_json::Value;

use crate::harness::{Auth, TestServer, assert_error_shape, operator};

/// Who, method, path, body, expected status, code and field.
type Case = (
    Auth,
    &'static str,
    String,
    String,
    u16,
    &'static str,
    Option<&'static str>,
);

/// Fills a route's `{param}`.
type Fill<'a> = Box<dyn Fn(&str) -> String + 'a>;

#[tokio::test]
async fn bad_input_gets_the_error_shape_with_code_and_field() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    t.card_on_file(&alice).await;
    let repay = format!("/v1/customers/{}/repayments", alice.id);
    let big = format!(r#"{{"amount_fen": 1, "pad": "{}"}}"#, "x".repeat(70_000));
    // (who, method, path, body, status, code, field)
    let cases: Vec<Case> = vec![
        (alice.auth(), "POST", repay.clone(), "{".into(), 400, "bad_json", None),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": 1} x"#.into(),
            400,
            "bad_json",
            None,
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            "[1, 2]".into(),
            400,
            "bad_json",
            None,
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            "null".into(),
            400,
            "bad_json",
            None,
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": "100"}"#.into(),
            400,
            "invalid_field",
            Some("amount_fen"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": 1, "extra": 1}"#.into(),
            400,
            "unknown_field",
            Some("extra"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            "{}".into(),
            400,
            "missing_field",
            Some("amount_fen"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            "".into(),
            400,
            "missing_field",
            Some("amount_fen"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": -5}"#.into(),
            400,
            "invalid_amount",
            Some("amount_fen"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": 0}"#.into(),
            400,
            "invalid_amount",
            Some("amount_fen"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": 1.5}"#.into(),
            400,
            "invalid_amount",
            Some("amount_fen"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": 99999999999999999999999}"#.into(),
            400,
            "invalid_amount",
            Some("amount_fen"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": 18446744073709551615}"#.into(),
            400,
            "invalid_amount",
            Some("amount_fen"),
        ),
        (
            alice.auth(),
            "POST",
            repay.clone(),
            r#"{"amount_fen": 100000000001}"#.into(),
            400,
            "invalid_amount",
            Some("amount_fen"),
        ),
        (alice.auth(), "POST", repay.clone(), big, 413, "body_too_large", None),
        (
            alice.auth(),
            "POST",
            "/v1/customers/abc/repayments".into(),
            r#"{"amount_fen": 1}"#.into(),
            400,
            "invalid_id",
            Some("customer_id"),
        ),
        (
            alice.auth(),
            "POST",
            "/v1/customers/99999999999999999999999/repayments".into(),
            "{}".into(),
            400,
            "invalid_id",
            Some("customer_id"),
        ),
        (
            operator(),
            "POST",
            "/v1/customers/4242/repayments".into(),
            r#"{"amount_fen": 1}"#.into(),
            404,
            "account_not_found",
            Some("customer_id"),
        ),
        (
            operator(),
            "POST",
            "/v1/customers".into(),
            r#"{"limit_fen": 100, "billing_day": 29}"#.into(),
            400,
            "invalid_field",
            Some("billing_day"),
        ),
        (
            operator(),
            "POST",
            "/v1/customers".into(),
            r#"{"limit_fen": 100, "billing_day": 300}"#.into(),
            400,
            "invalid_field",
            Some("billing_day"),
        ),
        (
            operator(),
            "POST",
            "/v1/merchants".into(),
            r#"{"name": ""}"#.into(),
            400,
            "invalid_field",
            Some("name"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"amount_fen": 5}"#.into(),
            400,
            "invalid_payer",
            Some("payment_code"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"payment_code": "12", "amount_fen": 5}"#.into(),
            400,
            "invalid_field",
            Some("payment_code"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"link_id": "x", "amount_fen": 5}"#.into(),
            400,
            "invalid_id",
            Some("link_id"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"link_id": "1", "amount_fen": 5, "plan": {"periods": 5, "method": "flat-fee"}}"#.into(),
            422,
            "term_not_offered",
            Some("plan.periods"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"link_id": "1", "amount_fen": 5, "plan": {"periods": 6, "method": "magic"}}"#.into(),
            400,
            "invalid_field",
            Some("plan.method"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"link_id": "1", "amount_fen": 5, "plan": {"periods": 6, "method": "annuity", "x": 1}}"#.into(),
            400,
            "unknown_field",
            Some("plan.x"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"link_id": "1", "amount_fen": 5, "plan": {"periods": 6, "method": "annuity", "rate": "0%"}}"#.into(),
            422,
            "campaign_rate_not_allowed",
            Some("plan.rate"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"link_id": "1", "amount_fen": 5, "plan": {"periods": -6, "method": "annuity"}}"#.into(),
            400,
            "invalid_field",
            Some("plan.periods"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments".into(),
            r#"{"link_id": "1", "amount_fen": 5}"#.into(),
            404,
            "link_not_found",
            Some("link_id"),
        ),
        (
            shop.auth(),
            "POST",
            "/v1/payments/12/capture".into(),
            r#"{"amount_fen": 5}"#.into(),
            404,
            "txn_not_found",
            Some("txn_id"),
        ),
        (
            shop.auth(),
            "GET",
            "/v1/payments/-1".into(),
            "".into(),
            400,
            "invalid_id",
            Some("txn_id"),
        ),
        (
            Auth::None,
            "GET",
            "/v1/plan-options?amount_fen=-1".into(),
            "".into(),
            400,
            "invalid_amount",
            Some("amount_fen"),
        ),
        (
            Auth::None,
            "GET",
            "/v1/plan-options?amount_fen=1e3".into(),
            "".into(),
            400,
            "invalid_amount",
            Some("amount_fen"),
        ),
        (
            Auth::None,
            "GET",
            "/v1/plan-options".into(),
            "".into(),
            400,
            "invalid_query",
            None,
        ),
        (
            Auth::None,
            "GET",
            "/v1/plan-options?amount_fen=5&x=1".into(),
            "".into(),
            400,
            "invalid_query",
            None,
        ),
        (
            Auth::None,
            "GET",
            "/v1/nothing".into(),
            "".into(),
            404,
            "route_not_found",
            None,
        ),
        (
            Auth::None,
            "DELETE",
            "/v1/payments".into(),
            "".into(),
            405,
            "method_not_allowed",
            None,
        ),
    ];
    for (i, (auth, method, path, body, status, code, field)) in cases.into_iter().enumerate() {
        let key = t.key();
        let key = (method == "POST").then_some(key.as_str());
        let answer = t.send(&auth, method, &path, body.as_bytes(), key, &[]).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (status, code, field),
            "case {i}: {method} {path}: {}",
            answer.text
        );
    }
}

/// Bodies no route accepts.
fn garbage_bodies() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        "{",
        "[]",
        "null",
        "\"text\"",
        "42",
        "{\"amount_fen\": -1}",
        "{\"amount_fen\": 1e400}",
        "{\"amount_fen\": 9223372036854775808}",
        "{\"amount_fen\": null}",
        "{\"unknown\": true}",
        "{\"limit_fen\": 1, \"billing_day\": 0}",
        "{\"name\": \"\\u0000\"}",
        "{\"payment_code\": 1, \"amount_fen\": 1}",
        "{\"merchant_id\": -3}",
        "{\"periods\": 4294967296, \"method\": \"annuity\"}",
        "{\"amount_fen\": 1, \"expires_on\": \"2026-02-30\"}",
        "{\"reason\": \"nope\"}",
        "{\"amount_fen\": {\"nested\": [1, 2, {\"deep\": null}]}}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    bodies.push(vec![0xff, 0xfe, 0x00, 0x7b]);
    bodies.push("[".repeat(10_000).into_bytes());
    bodies.push(vec![b' '; 65 * 1024]);
    bodies
}

/// The routes of the OpenAPI document, with `{params}` filled by `fill`.
fn routes(fill: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(api::openapi_json()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let mut filled = String::new();
            let mut rest = path.as_str();
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').unwrap() + open;
                filled.push_str(&rest[..open]);
                filled.push_str(&fill(&rest[open + 1..close]));
                rest = &rest[close + 1..];
            }
            filled.push_str(rest);
            routes.push((method.to_uppercase(), filled));
        }
    }
    routes
}

#[tokio::test]
async fn garbage_to_every_route_from_every_caller_is_a_4xx_with_the_error_shape() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let callers = [Auth::None, operator(), alice.auth(), shop.auth()];
    let id_kinds: Vec<Fill> = vec![
        Box::new(|name: &str| {
            if name == "customer_id" {
                alice.id.clone()
            } else {
                "1".into()
            }
        }),
        Box::new(|_: &str| "abc".into()),
        Box::new(|_: &str| "184467440737095516150".into()),
        Box::new(|_: &str| "%00".into()),
    ];
    let mut sent = 0;
    for (kind, fill) in id_kinds.iter().enumerate() {
        for (method, path) in routes(fill.as_ref()) {
            for caller in &callers {
                let bodies = if method == "GET" {
                    vec![Vec::new()]
                } else {
                    garbage_bodies()
                };
                for body in bodies {
                    let key = t.key();
                    let answer = t.send(caller, &method, &path, &body, Some(&key), &[]).await;
                    sent += 1;
                    assert!(
                        answer.status < 500,
                        "{method} {path} gave {}: {}",
                        answer.status,
                        answer.text
                    );
                    // A GET with real ids sends no garbage: it may well succeed.
                    if method == "GET"
                        && (kind == 0 || !path.contains("/v1/customers/") && !path.contains("/v1/payments/"))
                    {
                        continue;
                    }
                    assert!(
                        (400..500).contains(&answer.status),
                        "{method} {path} accepted garbage {:?}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(60)]),
                        answer.text
                    );
                    assert_error_shape(&answer);
                    assert_ne!(
                        answer.code(),
                        "route_not_found",
                        "{method} {path} is documented but not routed"
                    );
                    assert_ne!(
                        answer.code(),
                        "method_not_allowed",
                        "{method} {path} is documented but not routed"
                    );
                }
            }
        }
    }
    assert!(sent > 1_000, "only {sent} requests");
}
