//! The HTTP edge's rules (issue 13, "HTTP edge"): `X-Forwarded-For` believed only from a
//! trusted proxy, webhook URLs only https to public addresses, a budget of authentication
//! failures per source, and `Cache-Control: no-store` on responses that carry secrets.
//! Clients on 127.0.0.2 stand for a second source address.

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::harness::{ADMIN, Auth, TestServer, engine_config, test_edge};

async fn server(edge: api::EdgeConfig) -> TestServer {
    TestServer::start_with_edge(engine_config(), api::RiskOptions::default(), edge).await
}

/// A client whose connections come from `local` (another loopback address).
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// Sends an application that does not parse (400) with `X-Forwarded-For: forwarded`; the status.
async fn apply_from(t: &TestServer, client: &reqwest::Client, forwarded: &str) -> u16 {
    client
        .post(format!("{}/v1/applications", t.base))
        .header("content-type", "application/json")
        .header("x-forwarded-for", forwarded)
        .body(r#"{"applicant": {}}"#)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

const APPLICATIONS_PER_HOUR: usize = 20; // routes::applications::limiter::PER_IP_PER_HOUR

#[tokio::test]
async fn a_rotated_forwarded_for_from_an_untrusted_peer_does_not_escape_the_application_limit() {
    let t = server(test_edge()).await;
    let client = reqwest::Client::new();
    for n in 0..APPLICATIONS_PER_HOUR {
        assert_eq!(apply_from(&t, &client, &format!("58.0.0.{n}")).await, 400);
    }
    assert_eq!(
        apply_from(&t, &client, "58.0.1.1").await,
        429,
        "the peer is counted, whatever X-Forwarded-For says"
    );
    let other = client_from("127.0.0.2");
    assert_eq!(
        apply_from(&t, &other, "58.0.0.1").await,
        400,
        "another peer has its own count"
    );
}

#[tokio::test]
async fn a_trusted_proxy_forwarded_for_names_the_client() {
    let t = server(api::EdgeConfig {
        trusted_proxies: vec!["127.0.0.2/32".parse().unwrap()],
        ..test_edge()
    })
    .await;
    let proxy = client_from("127.0.0.2");
    for _ in 0..APPLICATIONS_PER_HOUR {
        assert_eq!(apply_from(&t, &proxy, "58.0.0.1").await, 400);
    }
    assert_eq!(apply_from(&t, &proxy, "58.0.0.1").await, 429, "58.0.0.1 is counted");
    assert_eq!(
        apply_from(&t, &proxy, "58.0.0.2").await,
        400,
        "58.0.0.2 is another client"
    );
    assert_eq!(
        apply_from(&t, &proxy, "58.0.0.1, 58.0.0.3").await,
        400,
        "the right-most untrusted hop is the client, not what the client wrote before it"
    );
}

#[tokio::test]
async fn webhook_urls_must_be_https_to_public_addresses() {
    let t = server(api::EdgeConfig::default()).await;
    let merchant = t.register_merchant("Hooked").await;
    let path = format!("/v1/merchants/{}/webhook", merchant.id);
    let refused = |url: &'static str, code: &'static str| (url, code);
    for (url, code) in [
        refused("http://shop.example/hooks", "insecure_webhook_url"),
        refused("http://127.0.0.1:9000/hooks", "insecure_webhook_url"),
        refused("https://127.0.0.1/hooks", "forbidden_webhook_address"),
        refused("https://localhost/hooks", "forbidden_webhook_address"),
        refused("https://169.254.169.254/latest/meta-data", "forbidden_webhook_address"),
        refused("https://10.1.2.3/hooks", "forbidden_webhook_address"),
        refused("https://192.168.0.10/hooks", "forbidden_webhook_address"),
        refused("https://[::1]/hooks", "forbidden_webhook_address"),
        refused("https://[fd00::1]/hooks", "forbidden_webhook_address"),
    ] {
        let answer = t.post(&merchant.auth(), &path, json!({"url": url})).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (400, code, Some("url")),
            "{url}: {}",
            answer.text
        );
    }
    let kept = t.get(&merchant.auth(), &path).await;
    assert_eq!(kept.ok()["url"], Value::Null, "nothing was registered");
}

#[tokio::test]
async fn repeated_bad_tokens_from_one_source_get_429_and_other_sources_are_unaffected() {
    let t = server(api::EdgeConfig {
        auth_failures_per_minute: 5,
        ..test_edge()
    })
    .await;
    let customer = t.open_customer(100_000, 5).await;
    let path = format!("/v1/customers/{}", customer.id);
    let bad = Auth::Bearer("not-a-real-token".into());
    for _ in 0..5 {
        assert_eq!(t.get(&bad, &path).await.status, 401);
    }
    let refused = t.get(&bad, &path).await;
    assert_eq!((refused.status, refused.code()), (429, "too_many_auth_failures"));
    assert!(
        refused
            .retry_after
            .as_deref()
            .is_some_and(|s| s.parse::<u64>().unwrap() > 0),
        "{refused:?}"
    );
    let right_guess = t.get(&customer.auth(), &path).await;
    assert_eq!(
        right_guess.status, 429,
        "a source out of tries is refused before its token is checked"
    );

    let elsewhere = client_from("127.0.0.2")
        .get(format!("{}{path}", t.base))
        .bearer_auth(&customer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        elsewhere.status(),
        200,
        "a good caller from another source is unaffected"
    );
}

#[tokio::test]
async fn token_and_secret_responses_are_not_cached() {
    let t = server(test_edge()).await;
    for (path, body) in [
        ("/v1/customers", json!({"limit_fen": 100_000, "billing_day": 5})),
        ("/v1/merchants", json!({"name": "Cached"})),
    ] {
        let response = t
            .http
            .post(format!("{}{path}", t.base))
            .bearer_auth(ADMIN)
            .header("idempotency-key", format!("cache-{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{path}");
        assert_eq!(
            response.headers().get("cache-control").map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
    }
}
