//! Merchant payouts from the server, black-box: the day's settlement starts by itself after the
//! day rolls (the test clock moved), its payouts go to a local payout provider over HTTP, an
//! outage opens the circuit and leaves them pending (queued, never dropped), and when the
//! provider is back each payout is paid once (one idempotency key, one `payout.paid`
//! webhook); the provider's signed callbacks are checked (signature over method, path,
//! timestamp and body; freshness; replay) and applied once, a return putting the money back
//! for the next day's payout; a payout whose webhook was never enqueued (a crash between the
//! two writes) gets it after a restart.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use funding::merchant::HttpMerchantPayouts;
use identity::ManualClock;
use identity::http::{BreakerState, ProviderConfig};
use serde_json::{Value, json};

use crate::harness::{Merchant, TestServer, engine_config, operator};
use crate::risk_support::{Receiver, eventually, register_webhook, verify_signature};

const SECRET: &str = "merchant-payout-callbacks";
const CALLBACK: &str = "/v1/providers/merchant-payouts/callback";

/// A payout provider on 127.0.0.1: pays each payout id once (the first amount it was sent),
/// answers `answer` while up, 503 while down, and records every idempotency key.
#[derive(Default)]
struct Provider {
    down: AtomicBool,
    pending_only: AtomicBool,
    hits: AtomicUsize,
    keys: Mutex<Vec<String>>,
    paid: Mutex<BTreeMap<String, i64>>,
}

async fn provider() -> (Arc<Provider>, String) {
    let state = Arc::new(Provider::default());
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/v1/merchant-payouts",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let p = shared.clone();
            async move {
                p.hits.fetch_add(1, Ordering::SeqCst);
                if p.down.load(Ordering::SeqCst) {
                    return (StatusCode::SERVICE_UNAVAILABLE, "{}".to_owned());
                }
                let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                p.keys.lock().unwrap().push(key.clone());
                if p.pending_only.load(Ordering::SeqCst) {
                    return (StatusCode::OK, r#"{"status":"pending"}"#.to_owned());
                }
                let call: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(call["payout_id"], key.as_str(), "the payout id is the key");
                p.paid
                    .lock()
                    .unwrap()
                    .entry(key)
                    .or_insert(call["amount_fen"].as_i64().unwrap());
                (StatusCode::OK, r#"{"status":"paid","provider_ref":"psp-1"}"#.to_owned())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (state, url)
}

/// A server whose settlement task ticks every 30 ms, paying through the provider at `url`
/// (breaker: opens after 2 failed attempts, probes after 1 s of `breaker_clock`).
async fn server(url: &str, breaker_clock: Arc<ManualClock>) -> (TestServer, Arc<HttpMerchantPayouts>) {
    let config = ProviderConfig {
        timeout_ms: 500,
        retries: 1,
        backoff_base_ms: 1,
        circuit_failure_threshold: 2,
        circuit_open_ms: 1_000,
        ..ProviderConfig::new(url)
    };
    let adapter = Arc::new(HttpMerchantPayouts::new(&config, breaker_clock).unwrap());
    let options = api::RiskOptions {
        webhooks: api::WebhookOptions {
            poll: Duration::from_millis(20),
            backoff_base: Duration::from_secs(1),
            ..api::WebhookOptions::default()
        },
        funding: api::FundingOptions {
            merchant_payouts: Some(adapter.clone()),
            callback_secret: Some(SECRET.into()),
            settlement_every: Some(Duration::from_millis(30)),
            ..api::FundingOptions::default()
        },
        ..api::RiskOptions::default()
    };
    (TestServer::start_with_risk(engine_config(), options).await, adapter)
}

/// A purchase of `amount` captured at `merchant` today.
async fn sale(t: &TestServer, merchant: &Merchant, amount: i64) {
    let alice = t.open_customer(1_000_000, 5).await;
    let paid = t.pay(merchant, &alice, json!({"amount_fen": amount})).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let path = format!("/v1/payments/{}/capture", paid.str("txn_id"));
    let captured = t.post(&merchant.auth(), &path, json!({"amount_fen": amount})).await;
    assert_eq!(captured.status, 200, "{}", captured.text);
}

/// The merchant's settled day, once the settlement task has written it.
async fn settled(t: &TestServer, merchant: &Merchant, date: &str) -> Value {
    let path = format!("/v1/merchant/settlements?date={date}");
    eventually(&format!("{date} settled"), || async {
        let answer = t.get(&merchant.auth(), &path).await;
        (answer.status == 200).then_some(answer.body)
    })
    .await
}

async fn payout_status(t: &TestServer, merchant: &Merchant, date: &str) -> String {
    settled(t, merchant, date).await["payout_status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// One day's sale (the payout is read from the settled day: whatever the price list takes).
const SALE: i64 = 100_000;

#[tokio::test]
async fn the_day_settles_itself_an_outage_queues_payouts_and_each_is_paid_once() {
    let (provider, url) = provider().await;
    provider.down.store(true, Ordering::SeqCst);
    let breaker_clock = Arc::new(ManualClock::new(0));
    let (t, adapter) = server(&url, breaker_clock.clone()).await;
    let shop = t.register_merchant("Shop").await;
    let receiver = Receiver::start(0).await;
    register_webhook(&t, &shop, &receiver).await;
    sale(&t, &shop, SALE).await;

    t.advance_to("2026-03-02T00:00:10+08:00").await;
    let day = settled(&t, &shop, "2026-03-01").await;
    let payout = day["payout_id"].as_str().unwrap().to_owned();
    let amount = day["payout_fen"].as_i64().unwrap();
    assert!(amount > 0, "{day}");
    eventually("the circuit to open", || async {
        (adapter.breaker().state() == BreakerState::Open).then_some(())
    })
    .await;
    let hits = provider.hits.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        provider.hits.load(Ordering::SeqCst),
        hits,
        "an open circuit sends nothing"
    );
    assert_eq!(
        payout_status(&t, &shop, "2026-03-01").await,
        "pending",
        "queued, not dropped"
    );

    provider.down.store(false, Ordering::SeqCst);
    breaker_clock.advance_ms(1_000);
    eventually("the payout to be paid", || async {
        (payout_status(&t, &shop, "2026-03-01").await == "paid").then_some(())
    })
    .await;
    assert_eq!(adapter.breaker().state(), BreakerState::Closed, "the probe closed it");
    assert_eq!(
        *provider.paid.lock().unwrap(),
        BTreeMap::from([(payout.clone(), amount)])
    );
    assert!(provider.keys.lock().unwrap().iter().all(|k| *k == payout));

    let hook = receiver.delivered("payout.paid").await;
    verify_signature(&shop.secret, &hook);
    let body: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(
        (body["data"]["payout_id"].as_str(), body["data"]["amount_fen"].as_i64()),
        (Some(payout.as_str()), Some(amount))
    );
    assert_eq!(body["merchant_id"], shop.id.to_string());
    // Further ticks pay nothing and notify nothing again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let paid_hooks = receiver.received().iter().filter(|r| r.event == "payout.paid").count();
    assert_eq!(paid_hooks, 1, "one webhook per payout");
    assert_eq!(provider.paid.lock().unwrap().len(), 1);

    let again = t
        .post(&operator(), "/v1/settlement/runs", json!({"date": "2026-03-01"}))
        .await;
    assert_eq!(
        (
            again.status,
            again.ok()["days"].clone(),
            again.ok()["merchant_days"].clone()
        ),
        (200, json!([]), json!(0)),
        "the operator's trigger after the scheduled run is a no-op: {}",
        again.text
    );
}

/// Sends a merchant payout callback signed with `secret` for `path` at `timestamp`.
async fn callback(
    t: &TestServer,
    body: &Value,
    secret: &str,
    signed_path: &str,
    timestamp: i64,
) -> crate::harness::Answer {
    let bytes = serde_json::to_vec(body).unwrap();
    let timestamp = timestamp.to_string();
    let signature = funding::callback::sign_request(secret.as_bytes(), "POST", signed_path, &timestamp, &bytes);
    send(t, &bytes, &timestamp, &signature).await
}

async fn send(t: &TestServer, bytes: &[u8], timestamp: &str, signature: &str) -> crate::harness::Answer {
    let headers = [("x-provider-timestamp", timestamp), ("x-provider-signature", signature)];
    t.send(&crate::harness::Auth::None, "POST", CALLBACK, bytes, None, &headers)
        .await
}

#[tokio::test]
async fn signed_callbacks_are_checked_and_applied_once_and_a_return_is_paid_again() {
    let (provider, url) = provider().await;
    provider.pending_only.store(true, Ordering::SeqCst);
    let (t, _adapter) = server(&url, Arc::new(ManualClock::new(0))).await;
    let shop = t.register_merchant("Shop").await;
    let receiver = Receiver::start(0).await;
    register_webhook(&t, &shop, &receiver).await;
    sale(&t, &shop, SALE).await;
    t.advance_to("2026-03-02T00:00:10+08:00").await;
    let day = settled(&t, &shop, "2026-03-01").await;
    let payout = day["payout_id"].as_str().unwrap().to_owned();
    let amount = day["payout_fen"].as_i64().unwrap();
    eventually("the provider to be asked", || async {
        (!provider.keys.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    let now = t.clock_now().as_second();
    let paid = json!({"payout_id": payout, "status": "paid", "provider_ref": "psp-7"});

    let refusals = [
        (
            callback(&t, &paid, "not-the-secret", CALLBACK, now).await,
            401,
            "bad_signature",
        ),
        (
            callback(&t, &paid, SECRET, "/v1/providers/payouts/callback", now).await,
            401,
            "bad_signature",
        ),
        (
            callback(&t, &paid, SECRET, CALLBACK, now - 301).await,
            401,
            "bad_signature",
        ),
        (
            callback(
                &t,
                &json!({"payout_id": "m999-2026-03-01", "status": "paid"}),
                SECRET,
                CALLBACK,
                now,
            )
            .await,
            404,
            "payout_not_found",
        ),
        (
            callback(
                &t,
                &json!({"payout_id": payout, "status": "settled"}),
                SECRET,
                CALLBACK,
                now,
            )
            .await,
            400,
            "invalid_field",
        ),
    ];
    for (answer, status, code) in refusals {
        assert_eq!((answer.status, answer.code()), (status, code), "{}", answer.text);
    }
    assert_eq!(payout_status(&t, &shop, "2026-03-01").await, "pending");

    let bytes = serde_json::to_vec(&paid).unwrap();
    let ts = now.to_string();
    let signature = funding::callback::sign_request(SECRET.as_bytes(), "POST", CALLBACK, &ts, &bytes);
    let first = send(&t, &bytes, &ts, &signature).await;
    assert_eq!(
        (first.status, first.str("status")),
        (200, "paid".to_owned()),
        "{}",
        first.text
    );
    let replay = send(&t, &bytes, &ts, &signature).await;
    assert_eq!(
        (replay.status, replay.code()),
        (409, "callback_replayed"),
        "{}",
        replay.text
    );
    let duplicate = callback(&t, &paid, SECRET, CALLBACK, now - 1).await;
    assert_eq!(
        (duplicate.status, duplicate.str("status")),
        (200, "paid".to_owned()),
        "{}",
        duplicate.text
    );
    let failed = json!({"payout_id": payout, "status": "failed", "reason": "late"});
    let late = callback(&t, &failed, SECRET, CALLBACK, now - 2).await;
    assert_eq!(
        (late.status, late.code(), late.field()),
        (409, "payout_transition_not_allowed", Some("status")),
        "{}",
        late.text
    );
    receiver.delivered("payout.paid").await;

    let returned = json!({"payout_id": payout, "status": "returned", "reason": "account_closed"});
    let back = callback(&t, &returned, SECRET, CALLBACK, now - 3).await;
    assert_eq!(
        (back.status, back.str("status")),
        (200, "returned".to_owned()),
        "{}",
        back.text
    );
    assert_eq!(payout_status(&t, &shop, "2026-03-01").await, "returned");
    // The money is the merchant's again: the next day (no sales) pays it out.
    t.advance_to("2026-03-03T00:00:10+08:00").await;
    let next = settled(&t, &shop, "2026-03-02").await;
    assert_eq!(
        (next["balance_before_fen"].as_i64(), next["payout_fen"].as_i64()),
        (Some(amount), Some(amount)),
        "{next}"
    );
    let paid_hooks = receiver.received().iter().filter(|r| r.event == "payout.paid").count();
    assert_eq!(paid_hooks, 1, "the duplicate sent no second webhook");
}

/// A payout recorded paid whose `payout.paid` was never enqueued (here: the merchant had no
/// webhook yet, as a crash between the two writes would leave it) gets its webhook after a
/// restart, once; a second restart sends nothing more.
#[tokio::test]
async fn a_paid_payout_whose_webhook_was_never_enqueued_gets_it_after_a_restart() {
    let (_provider, url) = provider().await;
    let (mut t, _adapter) = server(&url, Arc::new(ManualClock::new(0))).await;
    let shop = t.register_merchant("Shop").await;
    sale(&t, &shop, SALE).await;
    t.advance_to("2026-03-02T00:00:10+08:00").await;
    eventually("the payout to be paid", || async {
        (payout_status(&t, &shop, "2026-03-01").await == "paid").then_some(())
    })
    .await;
    let payout = settled(&t, &shop, "2026-03-01").await["payout_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let receiver = Receiver::start(0).await;
    register_webhook(&t, &shop, &receiver).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        receiver.received().is_empty(),
        "nothing was enqueued before the restart"
    );
    t.restart().await;
    let hook = receiver.delivered("payout.paid").await;
    let body: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(body["data"]["payout_id"], payout.as_str());

    t.restart().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let paid_hooks = receiver.received().iter().filter(|r| r.event == "payout.paid").count();
    assert_eq!(paid_hooks, 1, "one webhook per payout, restarts included");
}
