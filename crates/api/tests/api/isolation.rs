//! Who sees what: a merchant sees and acts on only its own payments (another's is "not found"),
//! a customer reads only their own account.

use serde_json::json;

use crate::harness::TestServer;

#[tokio::test]
async fn a_merchant_cannot_see_or_touch_another_merchants_payment() {
    let t = TestServer::start().await;
    let mine = t.register_merchant("Mine").await;
    let theirs = t.register_merchant("Theirs").await;
    let alice = t.open_customer(100_000, 5).await;
    let pay = t.pay(&mine, &alice, json!({"amount_fen": 3_000})).await;
    let txn = pay.str("txn_id");
    let get = t.get(&theirs.auth(), &format!("/v1/payments/{txn}")).await;
    assert_eq!((get.status, get.code()), (404, "txn_not_found"));
    for (action, body) in [
        ("capture", json!({"amount_fen": 3_000})),
        ("void", json!({})),
        ("refunds", json!({"amount_fen": 1})),
    ] {
        let answer = t
            .post(&theirs.auth(), &format!("/v1/payments/{txn}/{action}"), body)
            .await;
        assert_eq!((answer.status, answer.code()), (404, "txn_not_found"), "{action}");
    }
    // Still open and whole for its merchant.
    let seen = t.get(&mine.auth(), &format!("/v1/payments/{txn}")).await;
    assert_eq!((seen.str("status").as_str(), seen.fen("amount_fen")), ("open", 3_000));
    let void = t
        .post(&mine.auth(), &format!("/v1/payments/{txn}/void"), json!({}))
        .await;
    assert_eq!(void.fen("released_fen"), 3_000);
    // Forged ids of any shape are simply not found.
    for forged in ["255", "18446744073709551615", "0"] {
        let answer = t.get(&mine.auth(), &format!("/v1/payments/{forged}")).await;
        assert_eq!((answer.status, answer.code()), (404, "txn_not_found"), "{forged}");
    }
}

#[tokio::test]
async fn a_customer_reads_only_their_own_account() {
    let t = TestServer::start().await;
    let alice = t.open_customer(100_000, 5).await;
    let bob = t.open_customer(100_000, 5).await;
    for suffix in [
        "",
        "/statements",
        "/statements/1",
        "/plans",
        "/plans/1",
        "/plans/1/payoff-quote",
    ] {
        let answer = t.get(&bob.auth(), &format!("/v1/customers/{}{suffix}", alice.id)).await;
        assert_eq!((answer.status, answer.code()), (403, "forbidden"), "{suffix}");
    }
    for suffix in ["/repayments", "/cash-outs", "/payment-codes", "/links"] {
        let answer = t
            .post(
                &bob.auth(),
                &format!("/v1/customers/{}{suffix}", alice.id),
                json!({"amount_fen": 1}),
            )
            .await;
        assert_eq!((answer.status, answer.code()), (403, "forbidden"), "{suffix}");
    }
    let unknown = t.get(&crate::harness::operator(), "/v1/customers/12345").await;
    assert_eq!((unknown.status, unknown.code()), (404, "account_not_found"));
}
