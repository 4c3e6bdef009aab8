//! Idempotency keys: a retry gets the stored response (with `Idempotent-Replayed: true`), the
//! same key with another request a 409, a missing key a 400; for calls the engine answers and
//! for those the API answers itself (merchant registration, payment codes, payment-code
//! authorizations); and approved responses survive a restart.

use serde_json::json;

use crate::harness::{TestServer, operator};

#[tokio::test]
async fn retries_get_the_stored_response_and_other_requests_a_conflict() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let code = t.payment_code(&alice).await;
    let body = json!({"payment_code": code, "amount_fen": 1_000});

    let first = t
        .post_keyed(&shop.auth(), "/v1/payments", body.clone(), "order-42")
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(!first.replayed);
    // The retry reuses the spent code: same key, same request, same answer.
    let retry = t
        .post_keyed(&shop.auth(), "/v1/payments", body.clone(), "order-42")
        .await;
    assert_eq!((retry.status, &retry.text), (201, &first.text));
    assert!(retry.replayed);
    let held = t.get(&alice.auth(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(held.fen("held_fen"), 1_000, "the retry authorized nothing more");

    let other = t
        .post_keyed(
            &shop.auth(),
            "/v1/payments",
            json!({"payment_code": code, "amount_fen": 1_001}),
            "order-42",
        )
        .await;
    assert_eq!((other.status, other.code()), (409, "idempotency_key_reused"));

    // Engine-answered calls: capture.
    let txn = first.str("txn_id");
    let path = format!("/v1/payments/{txn}/capture");
    let capture = t
        .post_keyed(&shop.auth(), &path, json!({"amount_fen": 500}), "cap-1")
        .await;
    let again = t
        .post_keyed(&shop.auth(), &path, json!({"amount_fen": 500}), "cap-1")
        .await;
    assert_eq!(
        (again.status, &again.text, again.replayed),
        (capture.status, &capture.text, true)
    );
    let differs = t
        .post_keyed(&shop.auth(), &path, json!({"amount_fen": 400}), "cap-1")
        .await;
    assert_eq!((differs.status, differs.code()), (409, "idempotency_key_reused"));
    // A rejection is stored too: the retry of a refused call is refused the same way.
    let refused = t
        .post_keyed(&shop.auth(), &path, json!({"amount_fen": 500}), "cap-2")
        .await;
    let refused_again = t
        .post_keyed(&shop.auth(), &path, json!({"amount_fen": 500}), "cap-2")
        .await;
    assert_eq!((refused.status, refused.code()), (409, "hold_already_captured"));
    assert_eq!(refused_again.text, refused.text);

    // The same key string from another caller is another key.
    t.card_on_file(&alice).await;
    let repay = format!("/v1/customers/{}/repayments", alice.id);
    let mine = t
        .post_keyed(&alice.auth(), &repay, json!({"amount_fen": 100}), "cap-1")
        .await;
    assert_eq!(mine.status, 202, "{}", mine.text);
    let retried = t
        .post_keyed(&alice.auth(), &repay, json!({"amount_fen": 100}), "cap-1")
        .await;
    assert_eq!((retried.text.as_str(), retried.replayed), (mine.text.as_str(), true));

    // A missing or malformed key.
    let none = t
        .send(&alice.auth(), "POST", &repay, br#"{"amount_fen": 1}"#, None, &[])
        .await;
    assert_eq!(
        (none.status, none.code(), none.field()),
        (400, "idempotency_key_missing", Some("Idempotency-Key"))
    );
    let long = "k".repeat(256);
    let bad = t
        .send(&alice.auth(), "POST", &repay, br#"{"amount_fen": 1}"#, Some(&long), &[])
        .await;
    assert_eq!((bad.status, bad.code()), (400, "idempotency_key_invalid"));
}

#[tokio::test]
async fn calls_the_api_answers_itself_are_idempotent_too() {
    let t = TestServer::start().await;
    // Merchant registration: the same merchant again; its secret is shown once.
    let first = t
        .post_keyed(&operator(), "/v1/merchants", json!({"name": "Shop"}), "reg-1")
        .await;
    let retry = t
        .post_keyed(&operator(), "/v1/merchants", json!({"name": "Shop"}), "reg-1")
        .await;
    assert_eq!((first.status, retry.status, retry.replayed), (201, 201, true));
    assert_eq!(first.str("merchant_id"), retry.str("merchant_id"));
    assert_eq!(first.body["secret_issued"], true);
    assert_eq!(first.str("secret").len(), 64);
    assert_eq!(
        (&retry.body["secret"], &retry.body["secret_issued"]),
        (&json!(null), &json!(false))
    );
    let other = t
        .post_keyed(&operator(), "/v1/merchants", json!({"name": "Other"}), "reg-1")
        .await;
    assert_eq!((other.status, other.code()), (409, "idempotency_key_reused"));
    let second = t
        .post_keyed(&operator(), "/v1/merchants", json!({"name": "Shop"}), "reg-2")
        .await;
    assert_ne!(second.str("merchant_id"), first.str("merchant_id"));

    // Customer opening: the same account, and no second token (the first keeps working).
    let body = json!({"limit_fen": 10_000, "billing_day": 3});
    let opened = t.post_keyed(&operator(), "/v1/customers", body.clone(), "open-1").await;
    let reopened = t.post_keyed(&operator(), "/v1/customers", body, "open-1").await;
    assert!(reopened.replayed);
    assert_eq!(opened.str("customer_id"), reopened.str("customer_id"));
    assert_eq!(
        (&reopened.body["token"], &reopened.body["token_issued"]),
        (&json!(null), &json!(false))
    );
    let path = format!("/v1/customers/{}", opened.str("customer_id"));
    let first_token = crate::harness::Auth::Bearer(opened.str("token"));
    assert_eq!(t.get(&first_token, &path).await.status, 200);

    // Payment codes: the retry gets the same code.
    let customer = crate::harness::Customer {
        id: opened.str("customer_id"),
        token: opened.str("token"),
    };
    let codes = format!("/v1/customers/{}/payment-codes", customer.id);
    let code = t.post_keyed(&customer.auth(), &codes, json!({}), "qr-1").await;
    let same = t.post_keyed(&customer.auth(), &codes, json!({}), "qr-1").await;
    assert_eq!((code.text.as_str(), same.replayed), (same.text.as_str(), true));
    assert_ne!(t.payment_code(&customer).await, code.str("payment_code"));
}

#[tokio::test]
async fn approved_responses_survive_a_restart() {
    let mut t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let link = t
        .post(
            &alice.auth(),
            &format!("/v1/customers/{}/links", alice.id),
            json!({"merchant_id": shop.id}),
        )
        .await;
    let body = json!({"link_id": link.str("link_id"), "amount_fen": 2_500, "reference": "r-1"});
    let first = t.post_keyed(&shop.auth(), "/v1/payments", body.clone(), "pay-1").await;
    assert_eq!(first.status, 201, "{}", first.text);

    t.restart().await;
    // Merchants, their secrets, customer tokens and the engine's stored replies all survive.
    let retry = t.post_keyed(&shop.auth(), "/v1/payments", body, "pay-1").await;
    assert_eq!((retry.status, &retry.text, retry.replayed), (201, &first.text, true));
    let balances = t.get(&alice.auth(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(balances.fen("held_fen"), 2_500);
    let payment = t
        .get(&shop.auth(), &format!("/v1/payments/{}", first.str("txn_id")))
        .await;
    assert_eq!(
        (payment.str("status").as_str(), payment.fen("amount_fen")),
        ("open", 2_500)
    );
    let next = t.register_merchant("After restart").await;
    assert_ne!(next.id, shop.id);
}
