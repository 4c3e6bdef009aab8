//! Authentication: the signature scheme against an independent openssl computation, and every
//! way a merchant or bearer credential can be wrong (401 with the error shape).

use serde_json::json;

use crate::harness::{Auth, Merchant, TestServer, operator};

/// Computed with openssl, as API.md shows:
/// `printf 'iou-v2\nPOST\n/v1/payments\n1772330400\norder-1-pay\n%s' "$(printf '%s' "$BODY" | openssl dgst -sha256 -hex | sed 's/^.* //')" | openssl dgst -sha256 -hmac "$SECRET" -hex`
#[test]
fn signature_matches_the_openssl_example() {
    let secret = "9f2c7a1e4b8d6f3a0c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a";
    let body = br#"{"payment_code":"283749102938475610","amount_fen":12999}"#;
    let signature = api::sign(
        secret.as_bytes(),
        "POST",
        "/v1/payments",
        "1772330400",
        "order-1-pay",
        body,
    );
    assert_eq!(
        signature,
        "3f49e50e4fa741c7fa935477b39bdf5931c837e3b5c43cc7ce2ff50e53bd1949"
    );
    // The first version (no version line, no key) is another signature: it is not accepted.
    assert_ne!(
        signature,
        "c1eafe1c3cb12f5bf72cce0bc22fbb9b970a9db85b85684ed4a0f5f265b295af"
    );
}

/// Who, extra headers, expected status, expected code.
type Case<'a> = (Auth, Vec<(&'a str, &'a str)>, u16, &'static str);

#[tokio::test]
async fn merchant_credentials_are_checked() {
    let t = TestServer::start().await;
    let merchant = t.register_merchant("Shop").await;
    let customer = t.open_customer(100_000, 5).await;
    let path = format!("/v1/payments/{}", 123);
    // A correctly signed request reaches the route (the payment does not exist).
    let fine = t.get(&merchant.auth(), &path).await;
    assert_eq!((fine.status, fine.code()), (404, "txn_not_found"));

    let now = t.clock_now().as_second();
    let stale = (now - 301).to_string();
    let future = (now + 301).to_string();
    let edge = (now - 300).to_string();
    let not_hex = "zz".repeat(32);
    let wrong_secret = Merchant {
        id: merchant.id.clone(),
        secret: "not-the-secret".into(),
    };
    let unknown = Merchant {
        id: "999".into(),
        secret: merchant.secret.clone(),
    };
    let garbage_id = Merchant {
        id: "12ab".into(),
        secret: merchant.secret.clone(),
    };
    // (who, extra headers, expected status, expected code)
    let cases: Vec<Case> = vec![
        (Auth::None, vec![], 401, "unauthenticated"),
        (wrong_secret.auth(), vec![], 401, "bad_signature"),
        (merchant.auth(), vec![("x-signature", "00")], 401, "bad_signature"),
        (merchant.auth(), vec![("x-signature", &not_hex)], 401, "bad_signature"),
        (merchant.auth(), vec![("x-timestamp", &stale)], 401, "stale_timestamp"),
        (merchant.auth(), vec![("x-timestamp", &future)], 401, "stale_timestamp"),
        (
            merchant.auth(),
            vec![("x-timestamp", "yesterday")],
            401,
            "stale_timestamp",
        ),
        (merchant.auth(), vec![("x-timestamp", &edge)], 404, "txn_not_found"),
        (unknown.auth(), vec![], 401, "unknown_merchant"),
        (garbage_id.auth(), vec![], 401, "unknown_merchant"),
        (Auth::Bearer("nonsense".into()), vec![], 401, "bad_token"),
        (
            Auth::Bearer(format!("ct_{}_{}", customer.id, "0".repeat(64))),
            vec![],
            401,
            "bad_token",
        ),
        (Auth::Bearer("ct_1_short".into()), vec![], 401, "bad_token"),
        (Auth::None, vec![("authorization", "Basic abc")], 401, "bad_token"),
    ];
    for (i, (auth, headers, status, code)) in cases.into_iter().enumerate() {
        let answer = t.send(&auth, "GET", &path, b"", None, &headers).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "case {i}: {}",
            answer.text
        );
    }
    // The signature covers the body: a body changed after signing is refused.
    let signed_for = br#"{"amount_fen":100}"#;
    let timestamp = t.clock_now().as_second().to_string();
    let signature = api::sign(
        merchant.secret.as_bytes(),
        "POST",
        "/v1/payments/5/capture",
        &timestamp,
        "k",
        signed_for,
    );
    let headers = [("x-signature", signature.as_str()), ("x-timestamp", timestamp.as_str())];
    let tampered = t
        .send(
            &merchant.auth(),
            "POST",
            "/v1/payments/5/capture",
            br#"{"amount_fen":999}"#,
            Some("k"),
            &headers,
        )
        .await;
    assert_eq!((tampered.status, tampered.code()), (401, "bad_signature"));
}

#[tokio::test]
async fn each_kind_of_caller_reaches_only_its_routes() {
    let t = TestServer::start().await;
    let merchant = t.register_merchant("Shop").await;
    let customer = t.open_customer(100_000, 5).await;
    let balances = format!("/v1/customers/{}", customer.id);
    // (who, method, path, expected status)
    let cases = vec![
        (merchant.auth(), "GET", balances.clone(), 403),
        (merchant.auth(), "POST", "/v1/merchants".to_owned(), 403),
        (merchant.auth(), "POST", "/v1/customers".to_owned(), 403),
        (customer.auth(), "POST", "/v1/merchants".to_owned(), 403),
        (customer.auth(), "POST", "/v1/payments".to_owned(), 403),
        (
            customer.auth(),
            "POST",
            format!("/v1/customers/{}/limit", customer.id),
            403,
        ),
        (operator(), "POST", "/v1/payments".to_owned(), 403),
        (
            operator(),
            "POST",
            format!("/v1/customers/{}/payment-codes", customer.id),
            403,
        ),
        (customer.auth(), "GET", balances.clone(), 200),
        (operator(), "GET", balances.clone(), 200),
    ];
    for (i, (auth, method, path, status)) in cases.into_iter().enumerate() {
        let answer = t.send(&auth, method, &path, b"{}", Some(&t.key()), &[]).await;
        assert_eq!(answer.status, status, "case {i} {method} {path}: {}", answer.text);
        if status == 403 {
            assert_eq!(answer.code(), "forbidden");
        }
    }
    // The operator's token from the configuration works after a restart too (hash compare).
    let again = t.post(&operator(), "/v1/merchants", json!({"name": "Second"})).await;
    assert_eq!(again.status, 201);
}
