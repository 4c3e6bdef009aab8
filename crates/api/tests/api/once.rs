//! Requests usable once (issue 13, items 2 and 3): a captured merchant request cannot be resent
//! into a second effect, a key means one effect per caller across partitions and every POST
//! route, replays issue no second token, and customer tokens expire, refresh and rotate.

use serde_json::{Value, json};

use crate::harness::{Auth, Customer, Merchant, TestServer, operator};
use crate::risk_support::RiskServer;

/// A merchant request signed once, as a proxy log would hold it.
struct Captured {
    path: String,
    body: Vec<u8>,
    key: String,
    timestamp: String,
    signature: String,
}

fn capture(t: &TestServer, merchant: &Merchant, path: &str, body: Value, key: &str) -> Captured {
    let body = serde_json::to_vec(&body).unwrap();
    let timestamp = t.clock_now().as_second().to_string();
    let signature = api::sign(merchant.secret.as_bytes(), "POST", path, &timestamp, key, &body);
    Captured {
        path: path.to_owned(),
        body,
        key: key.to_owned(),
        timestamp,
        signature,
    }
}

impl Captured {
    /// Sends it with `key` as the Idempotency-Key (the captured one, or an attacker's).
    async fn send(&self, t: &TestServer, merchant: &Merchant, key: &str) -> crate::harness::Answer {
        let headers = [
            ("x-timestamp", self.timestamp.as_str()),
            ("x-signature", self.signature.as_str()),
        ];
        t.send(&merchant.auth(), "POST", &self.path, &self.body, Some(key), &headers)
            .await
    }
}

async fn link(t: &TestServer, customer: &Customer, merchant: &Merchant) -> String {
    let path = format!("/v1/customers/{}/links", customer.id);
    let answer = t
        .post(&customer.auth(), &path, json!({"merchant_id": merchant.id}))
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.str("link_id")
}

#[tokio::test]
async fn a_captured_signed_refund_or_authorization_cannot_be_resent_into_a_second_effect() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let link_id = link(&t, &alice, &shop).await;

    // An authorization, captured: under a fresh key the signature no longer signs it.
    let auth = capture(
        &t,
        &shop,
        "/v1/payments",
        json!({"link_id": link_id, "amount_fen": 10_000}),
        "auth-1",
    );
    let first = auth.send(&t, &shop, "auth-1").await;
    assert_eq!(first.status, 201, "{}", first.text);
    for fresh in ["auth-2", "auth-3", "attacker"] {
        let resent = auth.send(&t, &shop, fresh).await;
        assert_eq!(
            (resent.status, resent.code()),
            (401, "bad_signature"),
            "{}",
            resent.text
        );
    }
    // Byte for byte the same (a retry): the stored reply, no second hold.
    let retry = auth.send(&t, &shop, &auth.key).await;
    assert_eq!((retry.status, retry.replayed, &retry.text), (201, true, &first.text));
    let balances = t.get(&alice.auth(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(balances.fen("held_fen"), 10_000);

    let txn = first.str("txn_id");
    let captured = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/capture"),
            json!({"amount_fen": 10_000}),
        )
        .await;
    assert_eq!(captured.status, 200, "{}", captured.text);

    // A refund, captured: resent four times under fresh keys, refunded once.
    let path = format!("/v1/payments/{txn}/refunds");
    let refund = capture(&t, &shop, &path, json!({"amount_fen": 2_500}), "refund-1");
    let first = refund.send(&t, &shop, "refund-1").await;
    assert_eq!(first.status, 201, "{}", first.text);
    for fresh in ["refund-2", "refund-3", "refund-4"] {
        let resent = refund.send(&t, &shop, fresh).await;
        assert_eq!(
            (resent.status, resent.code()),
            (401, "bad_signature"),
            "{}",
            resent.text
        );
    }
    let retry = refund.send(&t, &shop, "refund-1").await;
    assert_eq!((retry.status, retry.replayed, &retry.text), (201, true, &first.text));
    let payment = t.get(&shop.auth(), &format!("/v1/payments/{txn}")).await;
    assert_eq!(payment.fen("refunded_fen"), 2_500, "{}", payment.text);

    // A signed read is usable once.
    let timestamp = t.clock_now().as_second().to_string();
    let read = format!("/v1/payments/{txn}");
    let signature = api::sign(shop.secret.as_bytes(), "GET", &read, &timestamp, "r", b"");
    let headers = [("x-timestamp", timestamp.as_str()), ("x-signature", signature.as_str())];
    let once = t.send(&shop.auth(), "GET", &read, b"", Some("r"), &headers).await;
    assert_eq!(once.status, 200, "{}", once.text);
    let again = t.send(&shop.auth(), "GET", &read, b"", Some("r"), &headers).await;
    assert_eq!((again.status, again.code()), (401, "signature_replayed"));
}

#[tokio::test]
async fn a_key_reused_on_accounts_of_every_partition_applies_once() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let mut customers = Vec::new();
    for _ in 0..10 {
        customers.push(t.open_customer(100_000, 5).await);
    }
    // Limit changes: one operator key, ten accounts (both partitions).
    let mut statuses = Vec::new();
    for (i, customer) in customers.iter().enumerate() {
        let path = format!("/v1/customers/{}/limit", customer.id);
        let answer = t
            .post_keyed(
                &operator(),
                &path,
                json!({"limit_fen": 200_000 + i as i64}),
                "limit-once",
            )
            .await;
        statuses.push(answer.status);
        if answer.status == 409 {
            assert_eq!(answer.code(), "idempotency_key_reused");
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 9, "{statuses:?}");

    // Authorizations: one merchant key, ten customers' links.
    let mut links = Vec::new();
    for customer in &customers {
        links.push(link(&t, customer, &shop).await);
    }
    let mut statuses = Vec::new();
    for link_id in &links {
        let body = json!({"link_id": link_id, "amount_fen": 1_000});
        statuses.push(
            t.post_keyed(&shop.auth(), "/v1/payments", body, "auth-once")
                .await
                .status,
        );
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 9, "{statuses:?}");
    let mut held = 0;
    for customer in &customers {
        held += t
            .get(&customer.auth(), &format!("/v1/customers/{}", customer.id))
            .await
            .fen("held_fen");
    }
    assert_eq!(held, 1_000);
}

#[tokio::test]
async fn identity_and_webhook_keys_hold_their_request_and_survive_a_restart() {
    let mut t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let identity = format!("/v1/customers/{}/identity", alice.id);
    let id_number = crate::risk_support::ID_NUMBER;
    let body = json!({"mobile": "13812345678", "id_number": id_number});
    let first = t.post_keyed(&operator(), &identity, body.clone(), "id-1").await;
    assert_eq!(first.status, 200, "{}", first.text);
    let other = json!({"mobile": "13900000000", "id_number": id_number});
    let reused = t.post_keyed(&operator(), &identity, other.clone(), "id-1").await;
    assert_eq!((reused.status, reused.code()), (409, "idempotency_key_reused"));
    let retry = t.post_keyed(&operator(), &identity, body.clone(), "id-1").await;
    assert_eq!((retry.status, retry.replayed, &retry.text), (200, true, &first.text));

    let hook = format!("/v1/merchants/{}/webhook", shop.id);
    let url = json!({"url": "http://127.0.0.1:9/iou"});
    let set = t.post_keyed(&shop.auth(), &hook, url.clone(), "hook-1").await;
    assert_eq!(set.status, 200, "{}", set.text);
    let moved = t
        .post_keyed(&shop.auth(), &hook, json!({"url": "http://127.0.0.1:9/x"}), "hook-1")
        .await;
    assert_eq!((moved.status, moved.code()), (409, "idempotency_key_reused"));
    let read = t.get(&shop.auth(), &hook).await;
    assert_eq!(read.str("url"), "http://127.0.0.1:9/iou");
    let again = t.post_keyed(&shop.auth(), &hook, url.clone(), "hook-1").await;
    assert_eq!((again.status, again.replayed), (200, true));

    // A partition route's key, then a restart: every key keeps its request.
    let limit = format!("/v1/customers/{}/limit", alice.id);
    let changed = t
        .post_keyed(&operator(), &limit, json!({"limit_fen": 150_000}), "limit-1")
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    t.restart().await;
    let reused = t.post_keyed(&operator(), &identity, other, "id-1").await;
    assert_eq!((reused.status, reused.code()), (409, "idempotency_key_reused"));
    let retry = t.post_keyed(&operator(), &identity, body, "id-1").await;
    assert_eq!((retry.status, retry.replayed), (200, true));
    let moved = t
        .post_keyed(&shop.auth(), &hook, json!({"url": "http://127.0.0.1:9/x"}), "hook-1")
        .await;
    assert_eq!((moved.status, moved.code()), (409, "idempotency_key_reused"));
    // The operator's limit key, spent on a partition route, cannot be spent on a meta route or
    // on another account after the restart.
    let bob = t.open_customer(100_000, 5).await;
    let elsewhere = t
        .post_keyed(
            &operator(),
            &format!("/v1/customers/{}/limit", bob.id),
            json!({"limit_fen": 150_000}),
            "limit-1",
        )
        .await;
    assert_eq!((elsewhere.status, elsewhere.code()), (409, "idempotency_key_reused"));
    let on_meta = t
        .post_keyed(
            &operator(),
            &format!("/v1/customers/{}/identity", bob.id),
            json!({"mobile": "13812345678", "id_number": id_number}),
            "limit-1",
        )
        .await;
    assert_eq!((on_meta.status, on_meta.code()), (409, "idempotency_key_reused"));
    let same = t
        .post_keyed(&operator(), &limit, json!({"limit_fen": 150_000}), "limit-1")
        .await;
    assert_eq!((same.status, same.replayed, &same.text), (200, true, &changed.text));
}

#[tokio::test]
async fn fifty_identical_customer_openings_issue_one_token() {
    let t = TestServer::start().await;
    let body = json!({"limit_fen": 50_000, "billing_day": 7});
    let admin = operator();
    let calls = (0..50).map(|_| t.post_keyed(&admin, "/v1/customers", body.clone(), "open-once"));
    let answers = futures_join(calls).await;
    let ids: std::collections::BTreeSet<String> = answers.iter().map(|a| a.str("customer_id")).collect();
    assert_eq!(ids.len(), 1, "one account");
    let issued: Vec<_> = answers.iter().filter(|a| a.body["token_issued"] == true).collect();
    assert_eq!(issued.len(), 1, "one token");
    for answer in &answers {
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(answer.replayed, answer.body["token_issued"] == false);
    }
    let token = Auth::Bearer(issued[0].str("token"));
    let path = format!("/v1/customers/{}", issued[0].str("customer_id"));
    assert_eq!(t.get(&token, &path).await.status, 200, "the first token still works");
}

/// Runs the calls concurrently.
async fn futures_join<F: std::future::Future>(calls: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = calls.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn customer_tokens_expire_refresh_and_rotate_with_a_step_up() {
    let r = RiskServer::start().await;
    let t = &r.t;
    let alice = r.customer(100_000).await;
    let me = format!("/v1/customers/{}", alice.id);
    let day = jiff::SignedDuration::from_hours(24);

    // Refreshed on day 20: valid until day 50, so still valid on day 31.
    t.clock.advance(day * 20);
    let refresh = format!("{me}/token/refresh");
    let refreshed = t.post(&alice.auth(), &refresh, json!({})).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    t.clock.advance(day * 11);
    assert_eq!(t.get(&alice.auth(), &me).await.status, 200);

    // Rotation: a step-up, then a new token; the old one stops working at once.
    let step_up = r.step_up(&alice, "otp").await;
    let rotate = format!("{me}/token/rotate");
    let refused = t.post(&alice.auth(), &rotate, json!({})).await;
    assert_eq!((refused.status, refused.code()), (400, "step_up_required"));
    let rotated = t
        .post_keyed(&alice.auth(), &rotate, json!({"step_up_token": step_up}), "rot-1")
        .await;
    assert_eq!(rotated.status, 201, "{}", rotated.text);
    assert_eq!(rotated.body["token_issued"], true);
    let old = t.get(&alice.auth(), &me).await;
    assert_eq!((old.status, old.code()), (401, "bad_token"));
    let new = Customer {
        id: alice.id.clone(),
        token: rotated.str("token"),
    };
    assert_eq!(t.get(&new.auth(), &me).await.status, 200);
    // A retry under the same key (with the new token) mints nothing.
    let retry = t
        .post_keyed(&new.auth(), &rotate, json!({"step_up_token": step_up}), "rot-1")
        .await;
    assert!(retry.status == 201 || retry.status == 409, "{}", retry.text);
    assert_eq!(t.get(&new.auth(), &me).await.status, 200);

    // Unrefreshed for 30 days: expired.
    t.clock.advance(day * 31);
    let expired = t.get(&new.auth(), &me).await;
    assert_eq!((expired.status, expired.code()), (401, "token_expired"));
    let late = t.post(&new.auth(), &refresh, json!({})).await;
    assert_eq!((late.status, late.code()), (401, "token_expired"));
    // An operator rotates it for the customer.
    let by_operator = t.post(&operator(), &rotate, json!({})).await;
    assert_eq!(by_operator.status, 201, "{}", by_operator.text);
    let fresh = Auth::Bearer(by_operator.str("token"));
    assert_eq!(t.get(&fresh, &me).await.status, 200);
}

#[tokio::test]
async fn records_of_calls_outside_the_engine_are_kept_a_day_then_pruned() {
    let mut t = TestServer::start().await;
    let alice = t.open_customer(100_000, 5).await;
    let identity = format!("/v1/customers/{}/identity", alice.id);
    let id_number = crate::risk_support::ID_NUMBER;
    let body = json!({"mobile": "13812345678", "id_number": id_number});
    let other = json!({"mobile": "13900000000", "id_number": id_number});
    assert_eq!(t.post_keyed(&operator(), &identity, body, "id-day").await.status, 200);
    t.clock.advance(jiff::SignedDuration::from_hours(23));
    t.restart().await;
    let reused = t.post_keyed(&operator(), &identity, other.clone(), "id-day").await;
    assert_eq!((reused.status, reused.code()), (409, "idempotency_key_reused"));
    t.clock.advance(jiff::SignedDuration::from_hours(2));
    t.restart().await;
    let later = t.post_keyed(&operator(), &identity, other, "id-day").await;
    assert_eq!((later.status, later.replayed), (200, false), "{}", later.text);
}
