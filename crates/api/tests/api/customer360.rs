//! Customer 360 and the portfolio over HTTP: a customer's transactions with the risk decision
//! behind each, paged; the devices and the other accounts seen on them; the portfolio's
//! buckets; and who may read them (another customer, the customer itself, a merchant and a
//! role without the permission are refused). Every answer, JSON or console, is `no-store`.

use std::time::Duration;

use serde_json::Value;

use crate::harness::{Auth, TestServer, operator};
use crate::risk_support::RiskServer;

/// Reads `path` as root until `ready` holds (the read models trail the journal by a round).
async fn until(t: &TestServer, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let answer = t.get(&operator(), path).await;
        if answer.status == 200 && ready(&answer.body) {
            return answer.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never got ready");
}

#[tokio::test]
async fn customer_360_shows_transactions_with_decisions_and_devices_to_operators_only() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("shop").await;
    let (a, b) = (s.customer(500_000).await, s.customer(500_000).await);
    let first = s.pay_from(&merchant, &a, "family-tablet", 12_300).await;
    let first_txn = first.str("txn_id");
    let second = s.pay_from(&merchant, &a, "family-tablet", 4_500).await;
    let second_txn = second.str("txn_id");
    // Another account on the same device (whatever risk decides of it, the features saw it).
    s.pay_from(&merchant, &b, "family-tablet", 2_000).await;

    let base = format!("/v1/customers/{}", a.id);
    let page = until(&s.t, &format!("{base}/transactions?limit=1"), |b| {
        b["transactions"].as_array().is_some_and(|t| !t.is_empty())
    })
    .await;
    let newest = &page["transactions"][0];
    assert_eq!(newest["txn_id"], second_txn.as_str());
    assert_eq!(newest["amount_fen"], 4_500);
    assert_eq!(newest["merchant_id"], merchant.id.as_str());
    assert_eq!(newest["status"], "held");
    assert_eq!(newest["decision"]["outcome"], "allow", "{page}");
    assert!(
        newest["decision"]["rules"]
            .as_str()
            .unwrap()
            .contains("payment_authorization")
    );
    assert_eq!(page["next_cursor"], second_txn.as_str());
    let cursor = page["next_cursor"].as_str().unwrap();
    let older =
        s.t.get(&operator(), &format!("{base}/transactions?limit=1&cursor={cursor}"))
            .await;
    let older = older.ok();
    assert_eq!(older["transactions"][0]["txn_id"], first_txn.as_str());
    assert_eq!(older["transactions"][0]["amount_fen"], 12_300);
    let end =
        s.t.get(&operator(), &format!("{base}/transactions?limit=1&cursor={first_txn}"))
            .await;
    assert_eq!(end.ok()["transactions"].as_array().unwrap().len(), 0);
    assert!(end.ok()["next_cursor"].is_null());

    let devices = s.t.get(&operator(), &format!("{base}/devices")).await;
    let devices = devices.ok();
    assert_eq!(devices["devices"].as_array().unwrap().len(), 1, "{devices}");
    assert_eq!(devices["devices"][0]["shared_with"], serde_json::json!([b.id]));
    assert!(!devices["ips"].as_array().unwrap().is_empty());

    // Bad input, unknown customers.
    let bad = [
        ("limit=0", "invalid_field", "limit"),
        ("limit=101", "invalid_field", "limit"),
        ("cursor=abc", "invalid_id", "cursor"),
        ("limit=x", "invalid_field", "cursor"),
    ];
    for (query, code, field) in bad {
        let answer = s.t.get(&operator(), &format!("{base}/transactions?{query}")).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (400, code, Some(field)),
            "{query}"
        );
    }
    for path in ["/v1/customers/999999/transactions", "/v1/customers/999999/devices"] {
        assert_eq!(s.t.get(&operator(), path).await.code(), "account_not_found");
    }

    // Who may not read them: the other customer, the customer itself, a merchant, support for
    // the devices (risk evidence: cases.read).
    let support = s.t.operator_with("sue", &["support"]).await;
    for path in [format!("{base}/transactions"), format!("{base}/devices")] {
        for auth in [b.auth(), a.auth(), merchant.auth()] {
            let answer = s.t.get(&auth, &path).await;
            assert!(matches!(answer.status, 401 | 403), "{path}: {}", answer.text);
        }
    }
    assert_eq!(s.t.get(&support, &format!("{base}/transactions")).await.status, 200);
    assert_eq!(s.t.get(&support, &format!("{base}/devices")).await.status, 403);

    // The portfolio: every account in a bucket, none late yet.
    let portfolio = until(&s.t, "/v1/portfolio", |p| {
        p["buckets"]
            .as_array()
            .is_some_and(|b| b.iter().map(|x| x["accounts"].as_u64().unwrap()).sum::<u64>() >= 2)
    })
    .await;
    assert_eq!(portfolio["buckets"][0]["bucket"], "current", "{portfolio}");
    assert_eq!(portfolio["fraud"]["lost_fen"], 0);
    assert_eq!(portfolio["truncated"], false);
    let a_auth: Auth = a.auth();
    assert_eq!(s.t.get(&a_auth, "/v1/portfolio").await.status, 403);
}

/// Every GET route of the API document (ids filled with `1`), called as root, and the console's
/// files: `Cache-Control: no-store` and `Pragma: no-cache` on every answer, success or not.
#[tokio::test]
async fn nothing_is_cached_by_the_browser() {
    let t = TestServer::start().await;
    let base = format!("http://{}", t.server().addr());
    let client = reqwest::Client::new();
    let token = t.root_token().await;
    let doc: Value = client
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut paths: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(path, _)| {
            let mut filled = String::new();
            let mut in_param = false;
            for c in path.chars() {
                match c {
                    '{' => in_param = true,
                    '}' => {
                        in_param = false;
                        filled.push('1');
                    }
                    _ if in_param => {}
                    _ => filled.push(c),
                }
            }
            filled
        })
        .collect();
    assert!(paths.len() > 20, "{paths:?}");
    paths.extend(
        [
            "/console/",
            "/console/js/app.js",
            "/console/console.css",
            "/healthz",
            "/nowhere",
        ]
        .map(String::from),
    );
    for path in paths {
        let answer = client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let header = |name: &str| answer.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("cache-control").as_deref(), Some("no-store"), "{path}");
        assert_eq!(header("pragma").as_deref(), Some("no-cache"), "{path}");
    }
}
