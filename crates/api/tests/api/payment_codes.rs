//! One-time payment codes are used up only by an authorization that applied: a decline, a key
//! reused for another request, or invalid input gives the code back for another try, while an
//! approval spends it for every other key and stays the stored answer of its own.

use serde_json::json;

use crate::harness::{TestServer, operator};

#[tokio::test]
async fn a_declined_authorization_leaves_the_code_usable() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let code = t.payment_code(&alice).await;
    let too_much = json!({"payment_code": code, "amount_fen": 100_001});

    let declined = t
        .post_keyed(&shop.auth(), "/v1/payments", too_much.clone(), "order-1")
        .await;
    assert_eq!(
        (declined.status, declined.code()),
        (402, "insufficient_available_credit"),
        "{}",
        declined.text
    );
    // The merchant's retry under the key gets the engine's stored decline, even once the
    // limit would allow it.
    let limit = t
        .post(
            &operator(),
            &format!("/v1/customers/{}/limit", alice.id),
            json!({"limit_fen": 200_000}),
        )
        .await;
    assert_eq!(limit.status, 200, "{}", limit.text);
    let retry = t
        .post_keyed(&shop.auth(), "/v1/payments", too_much.clone(), "order-1")
        .await;
    assert_eq!((retry.status, &retry.text), (402, &declined.text));

    // The customer pays with the same code under a new key.
    let paid = t
        .post_keyed(&shop.auth(), "/v1/payments", too_much.clone(), "order-2")
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let account = t.get(&alice.auth(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(account.fen("held_fen"), 100_001);

    // Once the code is spent, the declined call's retry is told so, like any other key.
    let late = t.post_keyed(&shop.auth(), "/v1/payments", too_much, "order-1").await;
    assert_eq!((late.status, late.code()), (409, "payment_code_used"));
}

#[tokio::test]
async fn a_key_reused_for_another_request_or_bad_input_leaves_the_code_usable() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let first = t.payment_code(&alice).await;
    let paid = t
        .post_keyed(
            &shop.auth(),
            "/v1/payments",
            json!({"payment_code": first, "amount_fen": 1_000}),
            "order-1",
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);

    let code = t.payment_code(&alice).await;
    let reused = t
        .post_keyed(
            &shop.auth(),
            "/v1/payments",
            json!({"payment_code": code, "amount_fen": 2_000}),
            "order-1",
        )
        .await;
    assert_eq!((reused.status, reused.code()), (409, "idempotency_key_reused"));
    let bad_risk = t
        .post(
            &shop.auth(),
            "/v1/payments",
            json!({"payment_code": code, "amount_fen": 2_000, "risk": {"ip": "not an address"}}),
        )
        .await;
    assert_eq!(
        (bad_risk.status, bad_risk.code(), bad_risk.field()),
        (400, "invalid_field", Some("risk.ip")),
        "{}",
        bad_risk.text
    );

    let paid = t
        .post(
            &shop.auth(),
            "/v1/payments",
            json!({"payment_code": code, "amount_fen": 2_000}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let account = t.get(&alice.auth(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(account.fen("held_fen"), 3_000);
}

#[tokio::test]
async fn an_approved_authorization_uses_the_code_up_and_stays_the_answer_of_its_key() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let other_shop = t.register_merchant("Other Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let code = t.payment_code(&alice).await;
    let body = json!({"payment_code": code, "amount_fen": 1_000});

    let approved = t
        .post_keyed(&shop.auth(), "/v1/payments", body.clone(), "order-1")
        .await;
    assert_eq!(approved.status, 201, "{}", approved.text);

    let again = t.post(&shop.auth(), "/v1/payments", body.clone()).await;
    assert_eq!((again.status, again.code()), (409, "payment_code_used"));
    let elsewhere = t.post(&other_shop.auth(), "/v1/payments", body.clone()).await;
    assert_eq!((elsewhere.status, elsewhere.code()), (409, "payment_code_used"));

    let retry = t.post_keyed(&shop.auth(), "/v1/payments", body, "order-1").await;
    assert_eq!((retry.status, &retry.text, retry.replayed), (201, &approved.text, true));
    let account = t.get(&alice.auth(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(account.fen("held_fen"), 1_000, "one authorization");
}
