//! [`notify::http::HttpChannel`] against the local test server: the request (path, bearer key,
//! the message id as `Idempotency-Key` on every attempt, no customer data beyond the id),
//! retries on 5xx, a 4xx as a refusal, a garbled answer as an outage.

use std::sync::Arc;

use identity::ManualClock;
use identity::http::ProviderConfig;
use notify::http::HttpChannel;
use notify::{Channel, Kind, Message, NotificationChannel, SendError};

use super::test_server::{Reply, TestServer};

fn config(server: &TestServer) -> ProviderConfig {
    ProviderConfig {
        endpoint: server.base.clone(),
        timeout_ms: 200,
        retries: 2,
        backoff_base_ms: 1,
        circuit_failure_threshold: 100,
        circuit_open_ms: 1_000,
        api_key: Some("sms-key".into()),
        jitter_seed: 1,
    }
}

fn message() -> Message {
    Message {
        id: "42:due_soon:3:2026-04-17:sms".into(),
        account: 42,
        kind: Kind::DueSoon,
        channel: Channel::Sms,
        subject: None,
        body: "Payment due 2026-04-20: ¥30.00".into(),
    }
}

async fn adapter(script: Vec<Reply>, fallback: Reply) -> (HttpChannel, TestServer) {
    let server = TestServer::scripted(script, fallback).await;
    let channel = HttpChannel::new(Channel::Sms, &config(&server), Arc::new(ManualClock::new(0))).unwrap();
    (channel, server)
}

#[tokio::test]
async fn a_message_is_posted_keyed_and_authenticated_after_retrying_an_outage() {
    let ok = Reply::Json(200, r#"{"provider_ref":"sms-77"}"#);
    let (sms, server) = adapter(vec![Reply::Json(503, "{}")], ok).await;
    let receipt = sms.send(&message()).await.unwrap();
    assert_eq!(receipt.provider_ref, "sms-77");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.path, "/v1/messages/sms");
        assert_eq!(request.header("idempotency-key"), Some("42:due_soon:3:2026-04-17:sms"));
        assert_eq!(request.header("authorization"), Some("Bearer sms-key"));
    }
    let body: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "message_id": "42:due_soon:3:2026-04-17:sms",
            "customer_id": "42",
            "kind": "due_soon",
            "body": "Payment due 2026-04-20: ¥30.00",
        })
    );
}

#[tokio::test]
async fn a_refusal_is_final_and_outages_past_the_retries_are_unavailable() {
    let (sms, server) = adapter(vec![], Reply::Json(400, r#"{"code":"unknown_customer"}"#)).await;
    assert!(matches!(sms.send(&message()).await, Err(SendError::Refused(_))));
    assert_eq!(server.hits(), 1);
    let (sms, server) = adapter(vec![], Reply::Json(500, "{}")).await;
    assert!(matches!(sms.send(&message()).await, Err(SendError::Unavailable(_))));
    assert_eq!(server.hits(), 3);
    let (sms, _server) = adapter(vec![], Reply::Json(200, "not json")).await;
    assert!(matches!(sms.send(&message()).await, Err(SendError::Unavailable(_))));
}
