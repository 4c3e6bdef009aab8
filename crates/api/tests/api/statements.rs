//! Statements and balances as a customer reads them (issue 17): a statement adds up on its
//! face and its lines sum to it, a refund of principal not yet billed is a memo line (never a
//! credit as well as netted into the purchase), and the grace-day penalty shows as pending,
//! apart from the accrued penalties, until DPD 3 ends unpaid. (Reads after weeks of clock are
//! the operator's: a customer token expires.)

use serde_json::{Value, json};

use crate::harness::{Answer, Customer, Merchant, TestServer, operator};

/// A pay-later purchase of `amount` captured in full, then `refunded` of it refunded.
async fn buy(t: &TestServer, shop: &Merchant, customer: &Customer, amount: i64, refunded: i64) {
    let paid = t.pay(shop, customer, json!({"amount_fen": amount})).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let txn = paid.str("txn_id");
    let capture = format!("/v1/payments/{txn}/capture");
    let captured = t.post(&shop.auth(), &capture, json!({"amount_fen": amount})).await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    if refunded > 0 {
        let refunds = format!("/v1/payments/{txn}/refunds");
        let refund = t.post(&shop.auth(), &refunds, json!({"amount_fen": refunded})).await;
        assert_eq!(refund.status, 201, "{}", refund.text);
    }
}

/// The statement's face: previous - payments - credits + charges = balance, and the lines
/// that are not memo lines move the previous balance to the balance.
fn assert_adds_up(statement: &Answer) {
    let s = statement.ok();
    let fen = |k: &str| s[k].as_i64().unwrap_or_else(|| panic!("{k} in {s}"));
    let charges: i64 = [
        "new_purchases_fen",
        "plan_principal_fen",
        "plan_fees_fen",
        "plan_interest_fen",
        "interest_fen",
        "penalties_fen",
    ]
    .iter()
    .map(|k| fen(k))
    .sum();
    let face = fen("previous_balance_fen") - fen("payments_fen") - fen("credits_fen") + charges;
    assert_eq!(face, fen("balance_fen"), "{s}");
    let lines: i64 = s["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["memo"] == json!(false))
        .map(|l| l["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(fen("previous_balance_fen") + lines, fen("balance_fen"), "{s}");
}

fn lines(statement: &Answer) -> Vec<(String, i64, bool)> {
    statement.ok()["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l: &Value| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["amount_fen"].as_i64().unwrap(),
                l["memo"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_refund_before_the_statement_is_a_memo_and_the_statement_adds_up() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    buy(&t, &shop, &alice, 100_000, 40_000).await;
    t.advance_to("2026-03-06T09:00:00+08:00").await;
    let base = format!("/v1/customers/{}", alice.id);
    let statement = t.get(&alice.auth(), &format!("{base}/statements/1")).await;
    // Billed net (60,000); the 40,000 refunded before billing is not a credit as well.
    assert_eq!(
        (
            statement.fen("new_purchases_fen"),
            statement.fen("credits_fen"),
            statement.fen("balance_fen")
        ),
        (60_000, 0, 60_000),
        "{}",
        statement.text
    );
    assert_eq!(
        lines(&statement),
        vec![
            ("refund_unbilled".to_owned(), -40_000, true),
            ("purchase".to_owned(), 60_000, false)
        ]
    );
    assert_adds_up(&statement);
}

#[tokio::test]
async fn the_grace_penalty_is_pending_apart_and_never_charged_when_paid_in_grace() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let (alice, bob) = (t.open_customer(1_000_000, 5).await, t.open_customer(1_000_000, 5).await);
    for customer in [&alice, &bob] {
        buy(&t, &shop, customer, 60_000, 0).await;
    }
    // Statement 1 on 03-05: minimum 6,000, due 03-14; DPD 1 is 03-15. The penalty is 0.05% a
    // day of the unpaid minimum: 3 fen. On the morning of 03-17 DPD 1 and 2 have passed.
    t.advance_to("2026-03-17T09:00:00+08:00").await;
    for customer in [&alice, &bob] {
        let b = t.get(&operator(), &format!("/v1/customers/{}", customer.id)).await;
        assert_eq!(b.str("bucket"), "grace");
        assert_eq!(
            (b.fen("accrued_penalties_fen"), b.fen("pending_penalty_fen")),
            (0, 6),
            "{}",
            b.text
        );
    }
    // Bob pays the minimum within grace: nothing was ever charged, nothing is shown.
    let offline = format!("/v1/customers/{}/offline-repayments", bob.id);
    let body = json!({"amount_fen": 6_000, "external_reference": "GRACE-1"});
    assert_eq!(t.post(&operator(), &offline, body).await.status, 201);
    // Alice does not: once DPD 3 ends the 9 fen of grace are charged, then 3 a day (DPD 4).
    t.advance_to("2026-03-19T09:00:00+08:00").await;
    let a = t.get(&operator(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(
        (a.fen("accrued_penalties_fen"), a.fen("pending_penalty_fen")),
        (12, 0),
        "{}",
        a.text
    );
    let b = t.get(&operator(), &format!("/v1/customers/{}", bob.id)).await;
    assert_eq!(
        (
            b.fen("accrued_penalties_fen"),
            b.fen("pending_penalty_fen"),
            b.fen("dpd")
        ),
        (0, 0, 0),
        "{}",
        b.text
    );
    // The next statements: Alice's penalty is on hers, Bob's shows none; both add up.
    t.advance_to("2026-04-06T09:00:00+08:00").await;
    for (customer, penalties) in [(&alice, true), (&bob, false)] {
        let base = format!("/v1/customers/{}", customer.id);
        let statement = t.get(&operator(), &format!("{base}/statements/2")).await;
        assert_eq!(statement.fen("penalties_fen") > 0, penalties, "{}", statement.text);
        assert_adds_up(&statement);
    }
}
