//! A theft report end to end, black-box: the customer reports transactions they did not make,
//! a case opens and the account freezes; the operator confirms; the customer owes only their
//! own purchase and the ledger read model books the fraud loss; unfreezing needs a fresh
//! liveness step-up.

use serde_json::json;

use crate::harness::operator;
use crate::risk_support::{RiskServer, eventually};

#[tokio::test]
async fn a_confirmed_theft_report_exempts_the_transactions_and_unfreezing_needs_liveness() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Shop").await;
    let thief_shop = s.t.register_merchant("Other Shop").await;
    let customer = s.customer(10_000_000).await;
    let mine = s
        .pay_from(&merchant, &customer, "my-phone", 100_000)
        .await
        .str("txn_id");
    let stolen = s
        .pay_from(&thief_shop, &customer, "my-phone", 150_000)
        .await
        .str("txn_id");
    let pending = s
        .pay_from(&thief_shop, &customer, "my-phone", 50_000)
        .await
        .str("txn_id");
    for (m, txn, fen) in [(&merchant, &mine, 100_000), (&thief_shop, &stolen, 150_000)] {
        let path = format!("/v1/payments/{txn}/capture");
        let captured = s.t.post(&m.auth(), &path, json!({"amount_fen": fen})).await;
        assert_eq!(captured.status, 200, "{}", captured.text);
    }

    let report_path = format!("/v1/customers/{}/theft-reports", customer.id);
    let not_mine =
        s.t.post(&customer.auth(), &report_path, json!({"txn_ids": ["999"]}))
            .await;
    assert_eq!(not_mine.status, 404, "{}", not_mine.text);
    let report =
        s.t.post(&customer.auth(), &report_path, json!({"txn_ids": [stolen, pending]}))
            .await;
    assert_eq!(report.status, 201, "{}", report.text);
    let case = report.str("case_id");
    let me = format!("/v1/customers/{}", customer.id);
    let balances = s.t.get(&customer.auth(), &me).await;
    assert_eq!(balances.ok()["frozen"], "theft_report");
    assert_eq!(balances.fen("held_fen"), 0, "the reported open hold was voided");
    let own = s.t.get(&customer.auth(), &format!("{me}/cases")).await;
    assert_eq!(own.ok()["cases"][0]["status"], "open");
    assert!(
        own.ok()["cases"][0].get("evidence").is_none(),
        "customers see no rule evidence"
    );

    // While the case is open nothing unfreezes it; an OTP token never does.
    let unfreeze = format!("{me}/unfreeze");
    let otp = s.step_up(&customer, "otp").await;
    let refused =
        s.t.post(&customer.auth(), &unfreeze, json!({"step_up_token": otp}))
            .await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "liveness_required"),
        "{}",
        refused.text
    );
    let live = s.step_up(&customer, "liveness").await;
    let early =
        s.t.post(&customer.auth(), &unfreeze, json!({"step_up_token": live}))
            .await;
    assert_eq!((early.status, early.code()), (409, "case_open"), "{}", early.text);
    // Two operators (four eyes: the harness's root has a colleague) may lift a theft freeze
    // for a customer they verified outside the app, but not while the case is open.
    let by_operator = s.t.post(&operator(), &unfreeze, json!({})).await;
    assert_eq!(
        (by_operator.status, by_operator.code()),
        (409, "case_open"),
        "{}",
        by_operator.text
    );

    // The operator reads the evidence and confirms.
    let detail = s.t.get(&operator(), &format!("/v1/cases/{case}")).await;
    assert_eq!(detail.ok()["kind"], "theft");
    assert_eq!(detail.ok()["evidence"].as_array().unwrap().len(), 2, "{}", detail.text);
    let confirmed =
        s.t.post(
            &operator(),
            &format!("/v1/cases/{case}/resolve"),
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(confirmed.ok()["status"], "confirmed", "{}", confirmed.text);

    let balances = s.t.get(&customer.auth(), &me).await;
    let owed = balances.fen("principal_billed_fen") + balances.fen("principal_unbilled_fen");
    assert_eq!(
        owed, 100_000,
        "the victim owes only their own purchase: {}",
        balances.text
    );
    let fraud_loss = eventually("the fraud loss in the ledger read model", || async {
        let rows = s.sql("SELECT balance_fen FROM ledger_balances WHERE ledger_account = 'fraud_loss'");
        rows.first().and_then(|r| r[0].clone()).filter(|v| v == "150000")
    })
    .await;
    assert_eq!(fraud_loss, "150000");
    let status = eventually("the case in read.db", || async {
        let rows = s.sql(&format!("SELECT status FROM cases WHERE case_id = {case}"));
        rows.first().and_then(|r| r[0].clone()).filter(|v| v == "confirmed")
    })
    .await;
    assert_eq!(status, "confirmed");

    // The simulator's step-up header stands in for a token only on a simulation-mode server.
    let body = serde_json::to_vec(&json!({"step_up_token": "simulated"})).unwrap();
    let asserted = s
        .t
        .send(
            &customer.auth(),
            "POST",
            &unfreeze,
            &body,
            Some("sim-header-unfreeze"),
            &[("iou-sim-step-up", "liveness")],
        )
        .await;
    assert_eq!(asserted.status, 422, "{}", asserted.text);

    // The used token is gone; a fresh liveness step-up unfreezes.
    let reused =
        s.t.post(&customer.auth(), &unfreeze, json!({"step_up_token": live}))
            .await;
    assert_eq!(reused.status, 422, "{}", reused.text);
    let fresh = s.step_up(&customer, "liveness").await;
    let unfrozen =
        s.t.post(&customer.auth(), &unfreeze, json!({"step_up_token": fresh}))
            .await;
    assert_eq!(unfrozen.status, 200, "{}", unfrozen.text);
    let balances = s.t.get(&customer.auth(), &me).await;
    assert!(balances.ok()["frozen"].is_null(), "{}", balances.text);
}

/// The reproducer on the machine's clock, whose readings have nanoseconds (the journal
/// keeps microseconds): confirming the theft exempts the purchase (the victim owes nothing, the
/// fraud loss is booked, the purchase's credit record is exempt), and the server stops and
/// starts again on the same data directory with the same account. Before the engine stamped
/// state at the journal's precision, the exemption was refused live while the operator saw
/// "confirmed", and the restart refused to replay the journal.
#[tokio::test]
async fn on_the_system_clock_a_confirmed_theft_is_exempt_and_the_store_reopens() {
    let mut s = RiskServer::start_on_system_clock().await;
    let thief_shop = s.t.register_merchant("Other Shop").await;
    let customer = s.customer(10_000_000).await;
    let stolen = s
        .pay_from(&thief_shop, &customer, "my-phone", 150_000)
        .await
        .str("txn_id");
    let path = format!("/v1/payments/{stolen}/capture");
    let captured =
        s.t.post(&thief_shop.auth(), &path, json!({"amount_fen": 150_000}))
            .await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    let report_path = format!("/v1/customers/{}/theft-reports", customer.id);
    let report =
        s.t.post(&customer.auth(), &report_path, json!({"txn_ids": [stolen]}))
            .await;
    assert_eq!(report.status, 201, "{}", report.text);
    let case = report.str("case_id");

    let confirmed =
        s.t.post(
            &operator(),
            &format!("/v1/cases/{case}/resolve"),
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.ok()["status"], "confirmed", "{}", confirmed.text);
    let me = format!("/v1/customers/{}", customer.id);
    let balances = s.t.get(&customer.auth(), &me).await;
    let owed = balances.fen("principal_billed_fen") + balances.fen("principal_unbilled_fen");
    assert_eq!(owed, 0, "the victim owes nothing: {}", balances.text);
    let fraud_loss = eventually("the fraud loss in the ledger read model", || async {
        let rows = s.sql("SELECT balance_fen FROM ledger_balances WHERE ledger_account = 'fraud_loss'");
        rows.first().and_then(|r| r[0].clone()).filter(|v| v == "150000")
    })
    .await;
    assert_eq!(fraud_loss, "150000");
    let exempt = eventually("the purchase exempt in the read model", || async {
        let rows = s.sql(&format!("SELECT fraud_exempt FROM purchases WHERE txn = {stolen}"));
        rows.first().and_then(|r| r[0].clone()).filter(|v| v == "1")
    })
    .await;
    assert_eq!(exempt, "1", "the credit record shows the purchase as fraud");

    s.t.restart().await;
    let after = s.t.get(&customer.auth(), &me).await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(after.body, balances.body, "the restarted server holds the same account");
    let case_after = s.t.get(&operator(), &format!("/v1/cases/{case}")).await;
    assert_eq!(case_after.ok()["status"], "confirmed", "{}", case_after.text);
}
