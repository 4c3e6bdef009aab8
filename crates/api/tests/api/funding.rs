//! Funding and payouts over HTTP: a repayment is a debit of the customer's verified card that
//! pays nothing until the provider settles it; offline repayments need the permission and a
//! unique external reference; a cash-out pays only a settled credit balance to the verified
//! card and a failed payout gives it back; provider callbacks are signed and idempotent; the
//! store reopens after each flow. The providers are the deterministic simulators (their
//! fixture amounts end in 97xx for debits, 98xx for payouts: see `funding::sim`).

use std::sync::Arc;
use std::time::Duration;

use ::funding::sim::{SimulatedPayments, SimulatedPayouts};

use serde_json::{Value, json};

use crate::harness::{Auth, Customer, Merchant, TestServer, engine_config, operator};

const SECRET: &str = "callback-secret-for-tests";

/// A debit the simulator leaves pending (amount ending in 9701 fen).
const PENDING_DEBIT: i64 = 9_701;
/// A debit the simulator fails at once.
const FAILING_DEBIT: i64 = 9_703;
/// A debit that is pending, then settled when the provider is asked again.
const SETTLES_WHEN_ASKED: i64 = 9_702;
/// A payout the simulator fails at once.
const FAILING_PAYOUT: i64 = 9_803;

async fn server() -> TestServer {
    server_reconciling_every(Duration::from_millis(100)).await
}

/// A server whose simulated providers outlive its restarts, as a real provider would.
async fn server_reconciling_every(every: Duration) -> TestServer {
    let options = api::RiskOptions {
        funding: api::FundingOptions {
            payments: Some(Arc::new(SimulatedPayments::new())),
            payouts: Some(Arc::new(SimulatedPayouts::new())),
            callback_secret: Some(SECRET.into()),
            reconcile_every: every,
            ..api::FundingOptions::default()
        },
        ..api::RiskOptions::default()
    };
    TestServer::start_with_risk(engine_config(), options).await
}

async fn customer_with_card(t: &TestServer, limit_fen: i64) -> Customer {
    let customer = t.open_customer(limit_fen, 5).await;
    t.card_on_file(&customer).await;
    customer
}

fn base(customer: &Customer) -> String {
    format!("/v1/customers/{}", customer.id)
}

async fn repay(t: &TestServer, customer: &Customer, amount_fen: i64) -> crate::harness::Answer {
    let path = format!("{}/repayments", base(customer));
    t.post(&customer.auth(), &path, json!({"amount_fen": amount_fen})).await
}

async fn cash_out(t: &TestServer, customer: &Customer, amount_fen: i64) -> crate::harness::Answer {
    let path = format!("{}/cash-outs", base(customer));
    t.post(&customer.auth(), &path, json!({"amount_fen": amount_fen})).await
}

async fn balances(t: &TestServer, customer: &Customer) -> Value {
    t.get(&operator(), &base(customer)).await.ok().clone()
}

/// Sends a provider callback signed with `secret` at the server's clock.
async fn callback(t: &TestServer, kind: &str, body: Value, secret: &str) -> crate::harness::Answer {
    let bytes = serde_json::to_vec(&body).unwrap();
    let timestamp = t.clock_now().as_second().to_string();
    let signature = ::funding::callback::sign(secret.as_bytes(), &timestamp, &bytes);
    let path = format!("/v1/providers/{kind}/callback");
    let headers = [
        ("x-provider-timestamp", timestamp.as_str()),
        ("x-provider-signature", signature.as_str()),
    ];
    t.send(&Auth::None, "POST", &path, &bytes, None, &headers).await
}

/// A purchase of `amount_fen`, captured and billed on the first statement (billing day 5).
async fn billed_purchase(t: &TestServer, shop: &Merchant, customer: &Customer, amount_fen: i64) {
    let auth = t.pay(shop, customer, json!({"amount_fen": amount_fen})).await;
    assert_eq!(auth.status, 201, "{}", auth.text);
    let txn = auth.str("txn_id");
    let capture = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/capture"),
            json!({"amount_fen": amount_fen}),
        )
        .await;
    assert_eq!(capture.status, 200, "{}", capture.text);
    t.advance_to("2026-03-06T10:00:00+08:00").await;
}

/// Restarts the server on the same data directory and checks the account reads the same.
async fn reopens_with_the_same_account(t: &mut TestServer, customer: &Customer) {
    let before = balances(t, customer).await;
    t.restart().await;
    assert_eq!(
        balances(t, customer).await,
        before,
        "the store reopened to another state"
    );
}

#[tokio::test]
async fn an_unfunded_repayment_on_an_account_owing_nothing_pays_nothing_out() {
    let mut t = server().await;
    let mallory = customer_with_card(&t, 100_000).await;
    // 500,000 yuan the provider has not confirmed: no credit balance, nothing to cash out.
    let pending = repay(&t, &mallory, 50_000_000 + PENDING_DEBIT).await;
    assert_eq!(pending.status, 202, "{}", pending.text);
    assert_eq!(pending.str("status"), "pending");
    assert!(pending.ok()["allocation"].is_null());
    let owed = balances(&t, &mallory).await;
    assert_eq!(owed["credit_balance_fen"], 0, "{owed}");
    let out = cash_out(&t, &mallory, 1).await;
    assert_eq!((out.status, out.code()), (422, "amount_exceeds_credit_balance"));
    // A debit that fails changes nothing either.
    let failed = repay(&t, &mallory, 50_000_000 + FAILING_DEBIT).await;
    assert_eq!((failed.status, failed.str("status")), (202, "failed".to_owned()));
    assert_eq!(failed.str("reason"), "insufficient_funds");
    assert_eq!(balances(&t, &mallory).await, owed, "a failed debit moved something");
    let out = cash_out(&t, &mallory, 1).await;
    assert_eq!((out.status, out.code()), (422, "amount_exceeds_credit_balance"));
    // Settled money can go back out, not a fen more.
    let settled = repay(&t, &mallory, 30_000).await;
    assert_eq!(settled.str("status"), "settled", "{}", settled.text);
    assert_eq!(settled.ok()["allocation"]["credit_balance_fen"], 30_000);
    let too_much = cash_out(&t, &mallory, 30_001).await;
    assert_eq!(
        (too_much.status, too_much.code()),
        (422, "amount_exceeds_credit_balance")
    );
    let paid = cash_out(&t, &mallory, 30_000).await;
    assert_eq!(
        (paid.status, paid.str("status")),
        (202, "paid".to_owned()),
        "{}",
        paid.text
    );
    let out = cash_out(&t, &mallory, 1).await;
    assert_eq!((out.status, out.code()), (422, "amount_exceeds_credit_balance"));
    // Without a verified card on file nothing moves at all.
    let nobody = t.open_customer(100_000, 5).await;
    let refused = repay(&t, &nobody, 1_000).await;
    assert_eq!((refused.status, refused.code()), (409, "bank_card_not_on_file"));
    reopens_with_the_same_account(&mut t, &mallory).await;
}

#[tokio::test]
async fn a_pending_debit_restores_available_credit_only_once_a_signed_callback_settles_it() {
    let mut t = server().await;
    let shop = t.register_merchant("Shop").await;
    let alice = customer_with_card(&t, 100_000).await;
    billed_purchase(&t, &shop, &alice, PENDING_DEBIT).await;
    let owing = balances(&t, &alice).await;
    assert_eq!(owing["available_fen"], 100_000 - PENDING_DEBIT, "{owing}");

    let debit = repay(&t, &alice, PENDING_DEBIT).await;
    assert_eq!(debit.str("status"), "pending", "{}", debit.text);
    let id = debit.str("repayment_id");
    assert_eq!(balances(&t, &alice).await, owing, "money in flight paid something");
    let read = t.get(&alice.auth(), &format!("{}/repayments/{id}", base(&alice))).await;
    assert_eq!(read.str("status"), "pending");
    reopens_with_the_same_account(&mut t, &alice).await;

    let settle = json!({"funding_id": id, "status": "settled", "provider_ref": "psp-1"});
    let forged = callback(&t, "payments", settle.clone(), "not-the-secret").await;
    assert_eq!((forged.status, forged.code()), (401, "bad_signature"));
    assert_eq!(balances(&t, &alice).await, owing);
    let unknown = callback(
        &t,
        "payments",
        json!({"funding_id": "999999", "status": "settled"}),
        SECRET,
    )
    .await;
    assert_eq!((unknown.status, unknown.code()), (404, "funding_not_found"));

    let first = callback(&t, "payments", settle.clone(), SECRET).await;
    assert_eq!(
        (first.status, first.str("status")),
        (200, "settled".to_owned()),
        "{}",
        first.text
    );
    let paid = balances(&t, &alice).await;
    assert_eq!(paid["available_fen"], 100_000, "{paid}");
    for duplicate in [settle.clone(), settle, json!({"funding_id": id, "status": "failed"})] {
        let again = callback(&t, "payments", duplicate, SECRET).await;
        assert_eq!(
            (again.status, again.str("status")),
            (200, "settled".to_owned()),
            "{}",
            again.text
        );
    }
    assert_eq!(balances(&t, &alice).await, paid, "a duplicate callback had an effect");
    reopens_with_the_same_account(&mut t, &alice).await;
    let read = t.get(&alice.auth(), &format!("{}/repayments/{id}", base(&alice))).await;
    assert_eq!(read.str("status"), "settled");
}

#[tokio::test]
async fn a_replayed_repayment_key_is_one_debit() {
    let t = server().await;
    let alice = customer_with_card(&t, 100_000).await;
    let path = format!("{}/repayments", base(&alice));
    let body = json!({"amount_fen": 12_345});
    let first = t.post_keyed(&alice.auth(), &path, body.clone(), "pay-once").await;
    let again = t.post_keyed(&alice.auth(), &path, body, "pay-once").await;
    assert_eq!(first.str("repayment_id"), again.str("repayment_id"));
    assert!(again.replayed);
    assert_eq!(
        balances(&t, &alice).await["credit_balance_fen"],
        12_345,
        "one debit, not two"
    );
    let other = t
        .post_keyed(&alice.auth(), &path, json!({"amount_fen": 1}), "pay-once")
        .await;
    assert_eq!((other.status, other.code()), (409, "idempotency_key_reused"));
}

#[tokio::test]
async fn offline_repayments_need_the_permission_and_a_reference_used_once() {
    let mut t = server().await;
    let (alice, bob) = (t.open_customer(100_000, 5).await, t.open_customer(100_000, 5).await);
    let path = |c: &Customer| format!("{}/offline-repayments", base(c));
    let body = json!({"amount_fen": 5_000, "external_reference": "BANK-2026-0001"});
    let by_customer = t.post(&alice.auth(), &path(&alice), body.clone()).await;
    assert_eq!(by_customer.status, 403, "{}", by_customer.text);
    let missing = t.post(&operator(), &path(&alice), json!({"amount_fen": 5_000})).await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    let recorded = t.post_keyed(&operator(), &path(&alice), body.clone(), "off-1").await;
    assert_eq!(recorded.status, 201, "{}", recorded.text);
    assert_eq!(recorded.str("status"), "settled");
    assert_eq!(recorded.str("external_reference"), "BANK-2026-0001");
    let retried = t.post_keyed(&operator(), &path(&alice), body.clone(), "off-1").await;
    assert_eq!((retried.status, retried.replayed), (201, true), "{}", retried.text);
    for (customer, key) in [(&alice, "off-2"), (&bob, "off-3")] {
        let reused = t.post_keyed(&operator(), &path(customer), body.clone(), key).await;
        assert_eq!(
            (reused.status, reused.code(), reused.field()),
            (409, "external_reference_used", Some("external_reference"))
        );
    }
    assert_eq!(balances(&t, &alice).await["credit_balance_fen"], 5_000);
    assert_eq!(balances(&t, &bob).await["credit_balance_fen"], 0);
    reopens_with_the_same_account(&mut t, &alice).await;
    let after = t.post_keyed(&operator(), &path(&bob), body, "off-4").await;
    assert_eq!(after.code(), "external_reference_used", "the claim survives a restart");
}

#[tokio::test]
async fn a_cash_out_goes_only_to_a_verified_card_and_a_failed_payout_returns_the_balance() {
    let mut t = server().await;
    let alice = t.open_customer(100_000, 5).await;
    let offline = format!("{}/offline-repayments", base(&alice));
    let body = json!({"amount_fen": 20_000, "external_reference": "T-1"});
    assert_eq!(t.post(&operator(), &offline, body).await.status, 201);
    let no_card = cash_out(&t, &alice, 1_000).await;
    assert_eq!((no_card.status, no_card.code()), (409, "bank_card_not_on_file"));
    // A card that does not verify is not kept.
    let identity = format!("{}/identity", base(&alice));
    let wrong = json!({
        "mobile": "13812345678", "id_number": identity::sim::fixtures::ID_MATCH,
        "bank_card": identity::sim::fixtures::CARD_MISMATCH_MOBILE, "name": "张三", "reserved_mobile": "13812345678"
    });
    let refused = t.post(&operator(), &identity, wrong).await;
    assert_eq!((refused.status, refused.code()), (422, "bank_card_not_verified"));
    assert_eq!(cash_out(&t, &alice, 1_000).await.code(), "bank_card_not_on_file");
    t.card_on_file(&alice).await;

    let failed = cash_out(&t, &alice, FAILING_PAYOUT).await;
    assert_eq!(failed.status, 202, "{}", failed.text);
    assert_eq!(
        (failed.str("status"), failed.str("reason")),
        ("failed".into(), "account_closed".into())
    );
    assert_eq!(
        balances(&t, &alice).await["credit_balance_fen"],
        20_000,
        "the money came back"
    );
    let read = t
        .get(
            &alice.auth(),
            &format!("{}/cash-outs/{}", base(&alice), failed.str("cash_out_id")),
        )
        .await;
    assert_eq!(read.str("status"), "failed");
    reopens_with_the_same_account(&mut t, &alice).await;

    let paid = cash_out(&t, &alice, 15_000).await;
    assert_eq!(paid.str("status"), "paid", "{}", paid.text);
    assert_eq!(balances(&t, &alice).await["credit_balance_fen"], 5_000);
    // The bank sends a paid payout back: the money returns, once.
    let back = json!({"funding_id": paid.str("cash_out_id"), "status": "returned", "reason": "account_closed"});
    for _ in 0..2 {
        let answer = callback(&t, "payouts", back.clone(), SECRET).await;
        assert_eq!(answer.str("status"), "returned", "{}", answer.text);
    }
    assert_eq!(balances(&t, &alice).await["credit_balance_fen"], 20_000);
    reopens_with_the_same_account(&mut t, &alice).await;
}

#[tokio::test]
async fn debits_left_pending_are_settled_by_the_reconciler_after_a_restart() {
    // Asked about at start only: the debit stays pending until the restart.
    let mut t = server_reconciling_every(Duration::from_secs(3600)).await;
    let alice = customer_with_card(&t, 100_000).await;
    let debit = repay(&t, &alice, SETTLES_WHEN_ASKED).await;
    assert_eq!(debit.str("status"), "pending", "{}", debit.text);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let read = t
        .get(
            &alice.auth(),
            &format!("{}/repayments/{}", base(&alice), debit.str("repayment_id")),
        )
        .await;
    assert_eq!(read.str("status"), "pending");
    t.restart().await;
    let path = format!("{}/repayments/{}", base(&alice), debit.str("repayment_id"));
    let mut status = String::new();
    for _ in 0..100 {
        status = t.get(&alice.auth(), &path).await.str("status");
        if status != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "settled");
    assert_eq!(balances(&t, &alice).await["credit_balance_fen"], SETTLES_WHEN_ASKED);
}

/// An early payoff is money in too: a debit of the verified card that pays nothing off until it
/// settles (it took any amount as given, so an unfunded payoff above the quote minted a credit
/// balance to cash out).
#[tokio::test]
async fn an_early_payoff_is_a_debit_that_pays_nothing_off_until_settled() {
    let mut t = server().await;
    let shop = t.register_merchant("Shop").await;
    let alice = customer_with_card(&t, 100_000).await;
    let plan = json!({"periods": 3, "method": "flat-fee"});
    let auth = t.pay(&shop, &alice, json!({"amount_fen": 30_000, "plan": plan})).await;
    assert_eq!(auth.status, 201, "{}", auth.text);
    let txn = auth.str("txn_id");
    let capture = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/capture"),
            json!({"amount_fen": 30_000}),
        )
        .await;
    let plan_id = capture.str("plan_id");
    let plan_path = format!("{}/plans/{plan_id}", base(&alice));
    let quote = t
        .get(&alice.auth(), &format!("{plan_path}/payoff-quote"))
        .await
        .fen("payoff_fen");
    // Far above the quote, and an amount the simulated provider leaves pending.
    let amount = 50_000_000 + PENDING_DEBIT;
    let before = balances(&t, &alice).await;
    let payoff = t
        .post(
            &alice.auth(),
            &format!("{plan_path}/payoff"),
            json!({"amount_fen": amount}),
        )
        .await;
    assert_eq!(
        (payoff.status, payoff.str("status")),
        (202, "pending".to_owned()),
        "{}",
        payoff.text
    );
    assert_eq!(t.get(&alice.auth(), &plan_path).await.str("status"), "active");
    assert_eq!(
        balances(&t, &alice).await,
        before,
        "an unconfirmed payoff paid something"
    );
    assert_eq!(cash_out(&t, &alice, 1).await.code(), "amount_exceeds_credit_balance");
    let short = t
        .post(
            &alice.auth(),
            &format!("{plan_path}/payoff"),
            json!({"amount_fen": quote - 1}),
        )
        .await;
    assert_eq!((short.status, short.code()), (422, "payment_below_payoff"));
    reopens_with_the_same_account(&mut t, &alice).await;

    let settle = json!({"funding_id": payoff.str("payoff_id"), "status": "settled"});
    assert_eq!(callback(&t, "payments", settle, SECRET).await.str("status"), "settled");
    assert_eq!(t.get(&alice.auth(), &plan_path).await.str("status"), "paid_off");
    let paid = balances(&t, &alice).await;
    assert_eq!(paid["credit_balance_fen"], amount - quote, "{paid}");
    // An operator records a payoff received offline only with a reference.
    let by_customer = t
        .post(
            &alice.auth(),
            &format!("{plan_path}/payoff"),
            json!({"amount_fen": quote, "external_reference": "X-1"}),
        )
        .await;
    assert_eq!(by_customer.status, 403, "{}", by_customer.text);
    reopens_with_the_same_account(&mut t, &alice).await;
}

/// A customer mixing debits that settle, stay pending, fail or settle later, callbacks and
/// cash-outs that pay or fail: the money paid out never exceeds the settled money paid in,
/// and the credit balance is exactly their difference.
#[tokio::test]
async fn money_out_never_exceeds_settled_money_in() {
    let t = server().await;
    let mallory = customer_with_card(&t, 100_000).await;
    let (mut settled_in, mut paid_out) = (0i64, 0i64);
    let mut pending: Vec<(String, i64)> = Vec::new();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let base_fen = 10_000 * (1 + (seed >> 8) as i64 % 50);
        match seed % 6 {
            0 => {
                let answer = repay(&t, &mallory, base_fen + PENDING_DEBIT).await;
                pending.push((answer.str("repayment_id"), base_fen + PENDING_DEBIT));
            }
            1 => {
                assert_eq!(
                    repay(&t, &mallory, base_fen + FAILING_DEBIT).await.str("status"),
                    "failed"
                );
            }
            2 => {
                assert_eq!(repay(&t, &mallory, base_fen).await.str("status"), "settled");
                settled_in += base_fen;
            }
            3 if !pending.is_empty() => {
                let (id, fen) = pending.remove(0);
                let status = if seed & 0x100 == 0 { "settled" } else { "failed" };
                let body = json!({"funding_id": id, "status": status});
                assert_eq!(callback(&t, "payments", body, SECRET).await.str("status"), status);
                if status == "settled" {
                    settled_in += fen;
                }
            }
            _ => {
                // Try to take out more than is there half of the time.
                let want = if seed & 0x200 == 0 {
                    settled_in - paid_out + 1
                } else {
                    (settled_in - paid_out) / 2
                };
                let fails = seed & 0x400 == 0;
                let amount = if fails {
                    want - want.rem_euclid(10_000) + FAILING_PAYOUT
                } else {
                    want
                };
                let answer = cash_out(&t, &mallory, amount.max(1)).await;
                if answer.status == 202 && answer.str("status") == "paid" {
                    paid_out += amount.max(1);
                }
            }
        }
        assert!(paid_out <= settled_in, "paid out {paid_out} of {settled_in} settled");
        let balance = balances(&t, &mallory).await["credit_balance_fen"].as_i64().unwrap();
        assert_eq!(balance, settled_in - paid_out);
    }
    assert!(settled_in > 0 && paid_out > 0, "the mix moved money both ways");
}
