//! A customer's life through the API: a credit line, offline purchases with one-time payment
//! codes, partial capture and refund, an installment purchase, the first statement, bill
//! installment, a repayment, and an early payoff. Expected numbers are worked out here from
//! DESIGN.md's rules (0.50% fee per period, principal split rounded down).

use serde_json::json;

use crate::harness::{TestServer, operator};

#[tokio::test]
async fn a_customer_buys_gets_a_statement_installs_it_and_pays_a_plan_off() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Corner Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    t.card_on_file(&alice).await;
    let base = format!("/v1/customers/{}", alice.id);

    // An offline purchase with a one-time code.
    let code = t.payment_code(&alice).await;
    assert_eq!(code.len(), 18);
    let auth = t
        .post(
            &shop.auth(),
            "/v1/payments",
            json!({"payment_code": code, "amount_fen": 300_000, "reference": "order-1"}),
        )
        .await;
    assert_eq!(auth.status, 201, "{}", auth.text);
    assert_eq!(auth.str("status"), "approved");
    assert_eq!(auth.str("reference"), "order-1");
    assert_eq!(auth.str("expires_on"), "2026-03-08", "held 7 days");
    let txn = auth.str("txn_id");

    // The code is single use, for this merchant and any other.
    let reuse = t
        .post(
            &shop.auth(),
            "/v1/payments",
            json!({"payment_code": code, "amount_fen": 100}),
        )
        .await;
    assert_eq!(
        (reuse.status, reuse.code(), reuse.field()),
        (409, "payment_code_used", Some("payment_code"))
    );
    let unknown = t
        .post(
            &shop.auth(),
            "/v1/payments",
            json!({"payment_code": "000000000000000001", "amount_fen": 100}),
        )
        .await;
    assert_eq!((unknown.status, unknown.code()), (404, "payment_code_not_found"));

    // Partial capture releases the rest; a partial refund credits the purchase.
    let capture = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/capture"),
            json!({"amount_fen": 250_000}),
        )
        .await;
    assert_eq!(
        (capture.fen("captured_fen"), capture.fen("released_fen")),
        (250_000, 50_000)
    );
    let refund = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/refunds"),
            json!({"amount_fen": 50_000}),
        )
        .await;
    assert_eq!(refund.status, 201, "{}", refund.text);
    let too_much = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/refunds"),
            json!({"amount_fen": 200_001}),
        )
        .await;
    assert_eq!((too_much.status, too_much.code()), (422, "refund_exceeds_purchase"));
    let seen = t.get(&shop.auth(), &format!("/v1/payments/{txn}")).await;
    assert_eq!(
        (
            seen.str("status").as_str(),
            seen.fen("captured_fen"),
            seen.fen("refunded_fen")
        ),
        ("captured", 250_000, 50_000)
    );

    // An installment purchase: 6 periods flat fee at 0.50% of 120,000 = 600 fen a period.
    let plan_buy = t
        .pay(
            &shop,
            &alice,
            json!({"amount_fen": 120_000, "plan": {"periods": 6, "method": "flat-fee"}}),
        )
        .await;
    assert_eq!(plan_buy.status, 201, "{}", plan_buy.text);
    let plan_txn = plan_buy.str("txn_id");
    let capture = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{plan_txn}/capture"),
            json!({"amount_fen": 120_000}),
        )
        .await;
    let plan_id = capture.str("plan_id");

    let balances = t.get(&alice.auth(), &base).await;
    assert_eq!(balances.fen("principal_unbilled_fen"), 200_000 + 120_000);
    assert_eq!(balances.fen("available_fen"), 1_000_000 - 320_000);

    // A decline: more than what is available.
    let declined = t.pay(&shop, &alice, json!({"amount_fen": 680_001})).await;
    assert_eq!(
        (declined.status, declined.code()),
        (402, "insufficient_available_credit")
    );
    assert!(
        !declined.text.contains("680000"),
        "a merchant is not told the customer's available credit"
    );

    // The statement of 2026-03-05: the pay-later purchase and the plan's first period.
    t.advance_to("2026-03-06T09:00:00+08:00").await;
    let list = t.get(&alice.auth(), &format!("{base}/statements")).await;
    let statements = list.ok()["statements"].as_array().unwrap().clone();
    assert_eq!(statements.len(), 1, "{}", list.text);
    assert_eq!(statements[0]["date"], "2026-03-05");
    assert_eq!(statements[0]["due_date"], "2026-03-14");
    let statement = t.get(&alice.auth(), &format!("{base}/statements/1")).await;
    assert_eq!(statement.fen("new_purchases_fen"), 200_000);
    assert_eq!(
        (statement.fen("plan_principal_fen"), statement.fen("plan_fees_fen")),
        (20_000, 600)
    );
    assert_eq!(statement.fen("balance_fen"), 220_600);
    let kinds: Vec<&str> = statement.ok()["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"purchase") && kinds.contains(&"plan_fee"), "{kinds:?}");
    let missing = t.get(&alice.auth(), &format!("{base}/statements/2")).await;
    assert_eq!((missing.status, missing.code()), (404, "statement_not_found"));

    // Bill installment: the 200,000 pay-later principal becomes a 3-period plan.
    let install = t
        .post(
            &alice.auth(),
            &format!("{base}/statements/1/installments"),
            json!({"periods": 3, "method": "flat-fee"}),
        )
        .await;
    assert_eq!(install.status, 201, "{}", install.text);
    assert_eq!(install.fen("principal_fen"), 200_000);
    assert_eq!(
        install.fen("minimum_fen"),
        20_600,
        "only the purchase plan's period is left to pay"
    );
    let again = t
        .post(
            &alice.auth(),
            &format!("{base}/statements/1/installments"),
            json!({"periods": 3, "method": "flat-fee"}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "statement_already_installed"));

    // Repay the minimum; it goes to the plan period's fee first, then principal.
    let repay = t
        .post(
            &alice.auth(),
            &format!("{base}/repayments"),
            json!({"amount_fen": 20_600}),
        )
        .await;
    assert_eq!(repay.status, 202, "{}", repay.text);
    assert_eq!(repay.str("status"), "settled", "the simulated provider settles at once");
    assert_eq!(
        (
            repay.ok()["allocation"]["fee_fen"].as_i64(),
            repay.ok()["allocation"]["principal_fen"].as_i64()
        ),
        (Some(600), Some(20_000))
    );

    // Plans: the purchase plan with one period billed, the bill plan with none.
    let plans = t.get(&alice.auth(), &format!("{base}/plans")).await;
    assert_eq!(plans.ok()["plans"].as_array().unwrap().len(), 2, "{}", plans.text);
    let plan = t.get(&alice.auth(), &format!("{base}/plans/{plan_id}")).await;
    assert_eq!(plan.str("source"), "purchase");
    let billed = plan.ok()["periods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["billed"] == true)
        .count();
    assert_eq!(billed, 1);

    // Early payoff of the purchase plan: nothing billed is unpaid, 5 x 20,000 principal remains;
    // its 5 future fees (3,000) are waived.
    let quote = t
        .get(&alice.auth(), &format!("{base}/plans/{plan_id}/payoff-quote"))
        .await;
    assert_eq!(quote.fen("payoff_fen"), 100_000);
    let short = t
        .post(
            &alice.auth(),
            &format!("{base}/plans/{plan_id}/payoff"),
            json!({"amount_fen": 99_999}),
        )
        .await;
    assert_eq!((short.status, short.code()), (422, "payment_below_payoff"));
    let payoff = t
        .post(
            &alice.auth(),
            &format!("{base}/plans/{plan_id}/payoff"),
            json!({"amount_fen": 100_000}),
        )
        .await;
    assert_eq!(payoff.status, 202, "{}", payoff.text);
    assert_eq!(
        payoff.str("status"),
        "settled",
        "a debit of the verified card, settled at once"
    );
    assert_eq!(payoff.fen("fees_waived_fen"), 3_000);
    let plan = t.get(&alice.auth(), &format!("{base}/plans/{plan_id}")).await;
    assert_eq!(plan.str("status"), "paid_off");

    // What is left is the bill plan's 200,000; the operator sees the same balances.
    let balances = t.get(&operator(), &base).await;
    assert_eq!(balances.fen("principal_unbilled_fen"), 200_000);
    assert_eq!(balances.fen("billed_fen"), 0);
    assert_eq!(balances.fen("available_fen"), 800_000);
}

#[tokio::test]
async fn an_online_merchant_charges_a_linked_customer_and_operators_manage_the_line() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Online Shop").await;
    let other = t.register_merchant("Other Shop").await;
    let bob = t.open_customer(50_000, 10).await;
    t.card_on_file(&bob).await;
    let base = format!("/v1/customers/{}", bob.id);
    let link = t
        .post(&bob.auth(), &format!("{base}/links"), json!({"merchant_id": shop.id}))
        .await;
    assert_eq!(link.status, 201, "{}", link.text);
    let link_id = link.str("link_id");
    let pay = t
        .post(
            &shop.auth(),
            "/v1/payments",
            json!({"link_id": link_id, "amount_fen": 10_000}),
        )
        .await;
    assert_eq!(pay.status, 201, "{}", pay.text);
    // The link is this merchant's only.
    let stolen = t
        .post(
            &other.auth(),
            "/v1/payments",
            json!({"link_id": link_id, "amount_fen": 10_000}),
        )
        .await;
    assert_eq!((stolen.status, stolen.code()), (404, "link_not_found"));
    let no_merchant = t
        .post(&bob.auth(), &format!("{base}/links"), json!({"merchant_id": "777"}))
        .await;
    assert_eq!((no_merchant.status, no_merchant.code()), (404, "merchant_not_found"));

    // Operator: freeze declines new purchases; unfreeze allows them again.
    assert_eq!(
        t.post(&operator(), &format!("{base}/freeze"), json!({"reason": "risk"}))
            .await
            .str("frozen"),
        "risk"
    );
    let frozen = t
        .post(
            &shop.auth(),
            "/v1/payments",
            json!({"link_id": link_id, "amount_fen": 100}),
        )
        .await;
    assert_eq!((frozen.status, frozen.code()), (402, "account_frozen"));
    assert_eq!(
        t.post(&operator(), &format!("{base}/unfreeze"), json!({})).await.status,
        200
    );
    let twice = t.post(&operator(), &format!("{base}/unfreeze"), json!({})).await;
    assert_eq!((twice.status, twice.code()), (409, "account_not_frozen"));
    // Limits: a temporary limit adds to the permanent one; a limit below exposure is refused.
    let temp = t
        .post(
            &operator(),
            &format!("{base}/temporary-limit"),
            json!({"amount_fen": 20_000, "expires_on": "2026-04-30"}),
        )
        .await;
    assert_eq!(temp.status, 200, "{}", temp.text);
    let balances = t.get(&bob.auth(), &base).await;
    assert_eq!(balances.fen("available_fen"), 50_000 + 20_000 - 10_000);
    let low = t
        .post(&operator(), &format!("{base}/limit"), json!({"limit_fen": 9_999}))
        .await;
    assert_eq!(
        (low.status, low.code(), low.field()),
        (422, "limit_below_exposure", Some("limit_fen"))
    );
    assert_eq!(
        t.post(&operator(), &format!("{base}/limit"), json!({"limit_fen": 80_000}))
            .await
            .fen("limit_fen"),
        80_000
    );

    // A credit balance can be cashed out, not more.
    let pay_in = t
        .post(&bob.auth(), &format!("{base}/repayments"), json!({"amount_fen": 5_000}))
        .await;
    assert_eq!(pay_in.ok()["allocation"]["credit_balance_fen"], 5_000);
    let too_much = t
        .post(&bob.auth(), &format!("{base}/cash-outs"), json!({"amount_fen": 5_001}))
        .await;
    assert_eq!(
        (too_much.status, too_much.code()),
        (422, "amount_exceeds_credit_balance")
    );
    assert_eq!(
        t.post(&bob.auth(), &format!("{base}/cash-outs"), json!({"amount_fen": 5_000}))
            .await
            .status,
        202
    );

    // Plan options are public and priced by money's schedules: 6 x 0.50% of 120,000 = 3,600.
    let options = t
        .get(&crate::harness::Auth::None, "/v1/plan-options?amount_fen=120000")
        .await;
    let flat6 = options.ok()["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["periods"] == 6 && o["method"] == "flat-fee")
        .cloned()
        .unwrap();
    assert_eq!(flat6["total_cost_fen"], 3_600);
    assert_eq!(flat6["schedule"].as_array().unwrap().len(), 6);
    assert_eq!(options.ok()["options"].as_array().unwrap().len(), 4 * 3);
}

/// The merchant's reference is kept with the payment: answered by the authorization, read back
/// by `GET /v1/payments/{txn_id}` (`null` when none was given), after a restart from the journal
/// and after one from a snapshot.
#[tokio::test]
async fn a_payment_keeps_its_merchant_reference_across_restarts() {
    let engine = engine::EngineConfig {
        snapshot_every_batches: 1,
        ..crate::harness::engine_config()
    };
    let mut t = TestServer::start_with(engine).await;
    let shop = t.register_merchant("Corner Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    let with = t
        .pay(
            &shop,
            &alice,
            json!({"amount_fen": 10_000, "reference": "order-7 第七"}),
        )
        .await;
    assert_eq!(with.status, 201, "{}", with.text);
    assert_eq!(with.str("reference"), "order-7 第七");
    let without = t.pay(&shop, &alice, json!({"amount_fen": 2_000})).await;
    assert_eq!(without.status, 201, "{}", without.text);
    assert!(without.ok()["reference"].is_null());
    let (with, without) = (with.str("txn_id"), without.str("txn_id"));

    for restart in ["none", "first", "second"] {
        let read = t.get(&shop.auth(), &format!("/v1/payments/{with}")).await;
        assert_eq!(read.str("reference"), "order-7 第七", "after restart {restart}");
        assert_eq!(read.str("status"), "open");
        let read = t.get(&shop.auth(), &format!("/v1/payments/{without}")).await;
        assert!(
            read.ok()["reference"].is_null(),
            "after restart {restart}: {}",
            read.text
        );
        t.restart().await;
    }

    let other = t.register_merchant("Other Shop").await;
    let theirs = t.get(&other.auth(), &format!("/v1/payments/{with}")).await;
    assert_eq!((theirs.status, theirs.code()), (404, "txn_not_found"));
    let long = t
        .pay(&shop, &alice, json!({"amount_fen": 100, "reference": "x".repeat(129)}))
        .await;
    assert_eq!((long.status, long.field()), (400, Some("reference")));
}
