//! The HTTP adapters against the local test server: the request shape (our funding id as the
//! idempotency key, the same on every attempt), decoding every status, 4xx without retry, 5xx
//! and timeouts with retry, the circuit breaker, garbled answers.

use std::sync::Arc;

use funding::http::{HttpPayments, HttpPayouts};
use funding::{
    DebitRequest, DebitStatus, FundingError, FundingId, PaymentProvider, PayoutProvider, PayoutRequest, PayoutStatus,
};
use identity::http::{BreakerState, ProviderConfig};
use identity::{BankCard, ManualClock};
use money::Amount;

use super::test_server::{Reply, TestServer};

const SETTLED: &str = r#"{"status":"settled","provider_ref":"psp-1"}"#;

fn config(server: &TestServer) -> ProviderConfig {
    ProviderConfig {
        endpoint: server.base.clone(),
        timeout_ms: 50,
        retries: 2,
        backoff_base_ms: 1,
        circuit_failure_threshold: 100,
        circuit_open_ms: 1_000,
        api_key: None,
        jitter_seed: 1,
    }
}

fn request() -> DebitRequest {
    DebitRequest {
        funding: FundingId(257),
        card: BankCard::parse(identity::sim::fixtures::CARD_VERIFIED).unwrap(),
        amount: Amount::from_fen(12_999),
    }
}

async fn payments(script: Vec<Reply>, fallback: Reply) -> (HttpPayments, TestServer) {
    let server = TestServer::scripted(script, fallback).await;
    let adapter = HttpPayments::new(&config(&server), Arc::new(ManualClock::new(0))).unwrap();
    (adapter, server)
}

#[tokio::test]
async fn a_debit_is_posted_with_our_id_as_its_key_and_its_answers_decode() {
    let table = [
        (SETTLED, DebitStatus::Settled),
        (r#"{"status":"pending"}"#, DebitStatus::Pending),
        (
            r#"{"status":"failed","reason":"insufficient_funds"}"#,
            DebitStatus::Failed("insufficient_funds".into()),
        ),
        (r#"{"status":"failed"}"#, DebitStatus::Failed("unspecified".into())),
    ];
    for (body, expected) in table {
        let (adapter, server) = payments(vec![], Reply::Json(200, body)).await;
        let answer = adapter.debit(&request()).await.unwrap();
        assert_eq!(answer.status, expected, "{body}");
        let sent = &server.requests()[0];
        assert_eq!(sent.path, "/v1/debits");
        assert_eq!(sent.header("idempotency-key"), Some("iou-debit-257"));
        let json: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
        assert_eq!(json["funding_id"], "257");
        assert_eq!(json["amount_fen"], 12_999);
        assert_eq!(json["card_number"], identity::sim::fixtures::CARD_VERIFIED);
    }
}

#[tokio::test]
async fn outages_are_retried_with_the_same_key_and_refusals_are_not() {
    let (adapter, server) = payments(
        vec![Reply::Json(503, "{}"), Reply::Slow(200, 200, SETTLED)],
        Reply::Json(200, SETTLED),
    )
    .await;
    assert_eq!(adapter.debit(&request()).await.unwrap().status, DebitStatus::Settled);
    let keys: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys, vec!["iou-debit-257"; 3], "one debit, three attempts");

    let (adapter, server) = payments(vec![], Reply::Json(422, r#"{"error":{"code":"card.blocked"}}"#)).await;
    assert_eq!(
        adapter.debit(&request()).await,
        Err(FundingError::Rejected {
            status: 422,
            code: "card.blocked".into()
        })
    );
    assert_eq!(server.hits(), 1, "a refusal is not retried");

    let (adapter, server) = payments(vec![], Reply::Slow(200, 200, SETTLED)).await;
    assert!(matches!(
        adapter.debit(&request()).await,
        Err(FundingError::Unavailable(_))
    ));
    assert_eq!(server.hits(), 3, "each timeout retried up to the limit");
}

#[tokio::test]
async fn an_unknown_id_and_garbled_answers_are_told_apart() {
    let (adapter, _server) = payments(vec![], Reply::Json(404, "{}")).await;
    assert_eq!(adapter.debit_status(FundingId(9)).await, Err(FundingError::Unknown));
    for body in [
        r#"{"status":"maybe"}"#,
        "not json",
        r#"{"status":"failed","reason":"has spaces"}"#,
    ] {
        let (adapter, _server) = payments(vec![], Reply::Json(200, body)).await;
        assert!(
            matches!(
                adapter.debit_status(FundingId(9)).await,
                Err(FundingError::BadResponse(_))
            ),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_circuit_opens_after_repeated_failures() {
    let server = TestServer::scripted(vec![], Reply::Json(500, "{}")).await;
    let clock = Arc::new(ManualClock::new(0));
    let config = ProviderConfig {
        retries: 0,
        circuit_failure_threshold: 2,
        ..config(&server)
    };
    let adapter = HttpPayments::new(&config, clock.clone()).unwrap();
    for _ in 0..2 {
        assert!(adapter.debit(&request()).await.is_err());
    }
    assert_eq!(adapter.breaker().state(), BreakerState::Open);
    assert!(matches!(
        adapter.debit(&request()).await,
        Err(FundingError::Unavailable(_))
    ));
    assert_eq!(server.hits(), 2, "an open circuit sends nothing");
    clock.advance_ms(1_000);
    assert!(adapter.debit(&request()).await.is_err());
    assert_eq!(server.hits(), 3, "one probe after the cool-down");
}

#[tokio::test]
async fn payouts_decode_every_status() {
    let table = [
        (r#"{"status":"paid"}"#, PayoutStatus::Paid),
        (r#"{"status":"pending"}"#, PayoutStatus::Pending),
        (
            r#"{"status":"failed","reason":"account_closed"}"#,
            PayoutStatus::Failed("account_closed".into()),
        ),
        (
            r#"{"status":"returned","reason":"r1"}"#,
            PayoutStatus::Returned("r1".into()),
        ),
    ];
    for (body, expected) in table {
        let server = TestServer::scripted(vec![], Reply::Json(200, body)).await;
        let adapter = HttpPayouts::new(&config(&server), Arc::new(ManualClock::new(0))).unwrap();
        let request = PayoutRequest {
            funding: FundingId(513),
            card: request().card,
            amount: Amount::from_fen(5_000),
        };
        assert_eq!(adapter.payout(&request).await.unwrap().status, expected, "{body}");
        assert_eq!(adapter.payout_status(FundingId(513)).await.unwrap().status, expected);
        let paths: Vec<_> = server.requests().iter().map(|r| r.path.clone()).collect();
        assert_eq!(paths, ["/v1/payouts", "/v1/payouts/status"]);
        assert_eq!(server.requests()[0].header("idempotency-key"), Some("iou-payout-513"));
    }
}
