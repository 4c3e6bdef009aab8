//! The merchant payout adapter against the local test server: the payout id is the
//! idempotency key on every attempt, timeouts and 5xx are retried and 4xx are not, and the
//! circuit opens after consecutive failures, sends nothing while open, and closes again when
//! the probe after the cool-down succeeds.

use std::sync::Arc;

use funding::merchant::{HttpMerchantPayouts, MerchantPayoutOrder, MerchantPayoutProvider};
use funding::{FundingError, PayoutStatus};
use identity::ManualClock;
use identity::http::{BreakerState, ProviderConfig};
use money::Amount;

use super::test_server::{Reply, TestServer};

const PAID: &str = r#"{"status":"paid","provider_ref":"psp-9"}"#;

fn order() -> MerchantPayoutOrder {
    MerchantPayoutOrder {
        payout_id: "m7-2026-03-01".into(),
        merchant: 7,
        amount: Amount::from_fen(89_370),
    }
}

fn config(server: &TestServer, retries: u32, threshold: u32) -> ProviderConfig {
    ProviderConfig {
        timeout_ms: 50,
        retries,
        backoff_base_ms: 1,
        circuit_failure_threshold: threshold,
        circuit_open_ms: 1_000,
        jitter_seed: 3,
        ..ProviderConfig::new(server.base.clone())
    }
}

#[tokio::test]
async fn a_payout_is_posted_under_its_id_and_outages_are_retried_with_it() {
    let server = TestServer::scripted(
        vec![Reply::Json(503, "{}"), Reply::Slow(200, 200, PAID)],
        Reply::Json(200, PAID),
    )
    .await;
    let adapter = HttpMerchantPayouts::new(&config(&server, 2, 100), Arc::new(ManualClock::new(0))).unwrap();
    assert_eq!(adapter.pay(&order()).await.unwrap().status, PayoutStatus::Paid);
    let sent = server.requests();
    assert_eq!(sent.len(), 3, "a 503, a timeout, then the answer");
    for request in &sent {
        assert_eq!(request.path, "/v1/merchant-payouts");
        assert_eq!(request.header("idempotency-key"), Some("m7-2026-03-01"));
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"payout_id": "m7-2026-03-01", "merchant_id": "7", "amount_fen": 89_370})
        );
    }

    let server = TestServer::scripted(vec![], Reply::Json(422, r#"{"error":{"code":"account.closed"}}"#)).await;
    let adapter = HttpMerchantPayouts::new(&config(&server, 2, 100), Arc::new(ManualClock::new(0))).unwrap();
    assert!(matches!(
        adapter.pay(&order()).await,
        Err(FundingError::Rejected { status: 422, .. })
    ));
    assert_eq!(server.hits(), 1, "a refusal is not retried");
    let failed = TestServer::scripted(
        vec![],
        Reply::Json(200, r#"{"status":"failed","reason":"account_closed"}"#),
    )
    .await;
    let adapter = HttpMerchantPayouts::new(&config(&failed, 0, 100), Arc::new(ManualClock::new(0))).unwrap();
    assert_eq!(
        adapter.pay(&order()).await.unwrap().status,
        PayoutStatus::Failed("account_closed".into())
    );
}

#[tokio::test]
async fn the_circuit_opens_on_failures_and_closes_after_a_good_probe() {
    let script = vec![Reply::Json(500, "{}"), Reply::Json(500, "{}"), Reply::Json(500, "{}")];
    let server = TestServer::scripted(script, Reply::Json(200, PAID)).await;
    let clock = Arc::new(ManualClock::new(0));
    let adapter = HttpMerchantPayouts::new(&config(&server, 0, 2), clock.clone()).unwrap();
    for _ in 0..2 {
        assert!(matches!(adapter.pay(&order()).await, Err(FundingError::Unavailable(_))));
    }
    assert_eq!(adapter.breaker().state(), BreakerState::Open);
    assert!(matches!(adapter.pay(&order()).await, Err(FundingError::Unavailable(_))));
    assert_eq!(server.hits(), 2, "an open circuit sends nothing");
    clock.advance_ms(1_000);
    assert!(
        adapter.pay(&order()).await.is_err(),
        "the first probe fails: open again"
    );
    assert_eq!((server.hits(), adapter.breaker().state()), (3, BreakerState::Open));
    assert!(adapter.pay(&order()).await.is_err());
    assert_eq!(server.hits(), 3, "no call before the next cool-down");
    clock.advance_ms(1_000);
    assert_eq!(adapter.pay(&order()).await.unwrap().status, PayoutStatus::Paid);
    assert_eq!(
        adapter.breaker().state(),
        BreakerState::Closed,
        "a good probe closes it"
    );
    assert_eq!(adapter.pay(&order()).await.unwrap().status, PayoutStatus::Paid);
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn an_id_that_is_no_payout_id_is_never_sent() {
    let server = TestServer::scripted(vec![], Reply::Json(200, PAID)).await;
    let adapter = HttpMerchantPayouts::new(&config(&server, 0, 2), Arc::new(ManualClock::new(0))).unwrap();
    let bad = MerchantPayoutOrder {
        payout_id: "m7\r\nX-Evil: 1".into(),
        ..order()
    };
    assert!(matches!(adapter.pay(&bad).await, Err(FundingError::BadResponse(_))));
    assert_eq!(server.hits(), 0);
}
