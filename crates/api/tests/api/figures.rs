//! The figures a statement, a plan and an account expose (issue 17, "Expose"), read over HTTP
//! and checked against amounts worked out by hand in the comments: where each statement stands
//! now, the statement as an HTML document, a plan's whole schedule with its cancelled periods,
//! the cost of credit to date and per year, and what a confirmed theft moved (in the resolve
//! answer and on the account). Reads after weeks of clock are the operator's (a customer token
//! expires).

use serde_json::{Value, json};

use crate::harness::{Answer, Customer, Merchant, TestServer, operator};

/// A purchase captured in full; `plan` as the payment's plan object. Returns the transaction.
async fn buy(t: &TestServer, shop: &Merchant, customer: &Customer, amount: i64, plan: Option<Value>) -> String {
    let mut body = json!({"amount_fen": amount});
    if let Some(plan) = plan {
        body["plan"] = plan;
    }
    let paid = t.pay(shop, customer, body).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let txn = paid.str("txn_id");
    let capture = format!("/v1/payments/{txn}/capture");
    let captured = t.post(&shop.auth(), &capture, json!({"amount_fen": amount})).await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    txn
}

async fn repay(t: &TestServer, customer: &Customer, amount: i64, reference: &str) {
    let offline = format!("/v1/customers/{}/offline-repayments", customer.id);
    let body = json!({"amount_fen": amount, "external_reference": reference});
    let paid = t.post(&operator(), &offline, body).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
}

async fn refund(t: &TestServer, shop: &Merchant, txn: &str, amount: i64) {
    let refunds = format!("/v1/payments/{txn}/refunds");
    let refund = t.post(&shop.auth(), &refunds, json!({"amount_fen": amount})).await;
    assert_eq!(refund.status, 201, "{}", refund.text);
}

/// `now` of a statement: (remaining, paid since close, minimum remaining, past due, carried
/// principal).
fn now(statement: &Value) -> (i64, i64, i64, i64, i64) {
    let now = &statement["now"];
    let fen = |k: &str| now[k].as_i64().unwrap_or_else(|| panic!("{k} in {statement}"));
    (
        fen("remaining_fen"),
        fen("paid_since_close_fen"),
        fen("minimum_remaining_fen"),
        fen("past_due_fen"),
        fen("carried_principal_fen"),
    )
}

async fn statement(t: &TestServer, customer: &Customer, seq: u32) -> Answer {
    let answer = t
        .get(&operator(), &format!("/v1/customers/{}/statements/{seq}", customer.id))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer
}

#[tokio::test]
async fn every_statement_shows_where_it_stands_now() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    buy(&t, &shop, &alice, 100_000, None).await;
    // Statement 1 closes on 03-05: 1,000.00, minimum 10% = 100.00, due 03-14.
    t.advance_to("2026-03-06T09:00:00+08:00").await;
    assert_eq!(now(statement(&t, &alice, 1).await.ok()), (100_000, 0, 10_000, 0, 0));
    repay(&t, &alice, 3_000, "FIG-1").await;
    let one = statement(&t, &alice, 1).await;
    assert_eq!(now(one.ok()), (97_000, 3_000, 7_000, 0, 0));
    assert_eq!(one.ok()["now"]["as_of"], "2026-03-06");
    // 03-15 is DPD 1: the 70.00 left of the minimum is past due.
    t.advance_to("2026-03-16T09:00:00+08:00").await;
    assert_eq!(
        now(statement(&t, &alice, 1).await.ok()),
        (97_000, 3_000, 7_000, 7_000, 0)
    );
    // Statement 2 (04-05) carries the 970.00 of principal and the 70.00 past due, which its
    // minimum holds; nothing of it is paid yet.
    t.advance_to("2026-04-06T09:00:00+08:00").await;
    let two = statement(&t, &alice, 2).await;
    let (balance, minimum) = (two.fen("balance_fen"), two.fen("minimum_fen"));
    assert_eq!(now(two.ok()), (balance, 0, minimum, 7_000, 97_000), "{}", two.text);
    // The list shows every kept statement with the same figures.
    let list = t
        .get(&operator(), &format!("/v1/customers/{}/statements", alice.id))
        .await;
    let statements = list.ok()["statements"].as_array().unwrap().clone();
    assert_eq!(statements.len(), 2, "{}", list.text);
    assert_eq!(now(&statements[0]), (97_000, 3_000, 7_000, 7_000, 0));
    assert_eq!(now(&statements[1]), now(two.ok()));
}

#[tokio::test]
async fn a_statement_is_a_document_its_customer_alone_may_read() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let (alice, bob) = (t.open_customer(1_000_000, 5).await, t.open_customer(1_000_000, 5).await);
    buy(&t, &shop, &alice, 123_456, None).await;
    t.advance_to("2026-03-06T09:00:00+08:00").await;
    let path = format!("/v1/customers/{}/statements/1/document", alice.id);
    let get = |token: &str| {
        t.http
            .get(format!("{}{path}", t.base))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    let page = get(&alice.token).await.unwrap();
    assert_eq!(page.status(), 200);
    let header = |name: &str| page.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("content-type").as_deref(), Some("text/html; charset=utf-8"));
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert!(
        header("content-security-policy")
            .unwrap()
            .starts_with("default-src 'none'")
    );
    let html = page.text().await.unwrap();
    // 1,234.56 billed, minimum 10% = 123.456 -> 123.46 (half-up), due 03-14.
    for want in [
        "New balance",
        "¥1,234.56",
        "¥123.46",
        "2026-03-14",
        "Still to pay of the minimum",
    ] {
        assert!(html.contains(want), "{want} not in {html}");
    }
    assert!(!html.contains("<script"), "{html}");
    // Bob may not read Alice's statement; a statement that does not exist is 404.
    let refused = get(&bob.token).await.unwrap();
    assert_eq!(refused.status(), 403);
    let missing = t
        .get(
            &alice.auth(),
            &format!("/v1/customers/{}/statements/9/document", alice.id),
        )
        .await;
    assert_eq!((missing.status, missing.code()), (404, "statement_not_found"));
}

/// (status, original principal, current principal, unpaid) of each period.
fn schedule(plan: &Answer) -> Vec<(String, i64, i64, i64)> {
    plan.ok()["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["status"].as_str().unwrap().to_owned(),
                p["original_principal_fen"].as_i64().unwrap(),
                p["principal_fen"].as_i64().unwrap(),
                p["unpaid_fen"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_plan_keeps_its_whole_schedule_and_the_costs_add_up_per_year() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    let plan = json!({"periods": 12, "method": "flat-fee"});
    let txn = buy(&t, &shop, &alice, 120_000, Some(plan)).await;
    // 1,200.00 in 12 at the default 0.50%: 100.00 + 6.00 a period; period 1 on 03-05.
    t.advance_to("2026-03-06T09:00:00+08:00").await;
    let plan_path = format!("/v1/customers/{}/plans/{txn}", alice.id);
    // 250.00 refunded: periods 12 and 11 to nothing (cancelled), period 10 to 50.00.
    refund(&t, &shop, &txn, 25_000).await;
    let plan = t.get(&operator(), &plan_path).await;
    assert_eq!(plan.fen("fee_rate_ppm"), 5_000, "{}", plan.text);
    let mut want = vec![("billed".to_owned(), 10_000, 10_000, 10_600)];
    want.extend((2..=9).map(|_| ("scheduled".to_owned(), 10_000, 10_000, 0)));
    want.push(("scheduled".to_owned(), 10_000, 5_000, 0));
    want.extend((11..=12).map(|_| ("cancelled".to_owned(), 10_000, 0, 0)));
    assert_eq!(schedule(&plan), want, "{}", plan.text);

    // The 6.00 fee is what Alice paid for credit in 2026.
    let me = format!("/v1/customers/{}", alice.id);
    let costs = |a: &Answer| a.ok()["credit_costs"].clone();
    let balances = t.get(&operator(), &me).await;
    let c = costs(&balances);
    assert_eq!(
        c["to_date"],
        json!({"fees_fen": 600, "interest_fen": 0, "penalties_fen": 0, "total_fen": 600})
    );
    let year =
        json!({"year": 2026, "fees_fen": 600, "interest_fen": 0, "penalties_fen": 0, "waived_fen": 0, "net_fen": 600});
    assert_eq!(
        (c["by_year"].clone(), c["years_from_statement"].clone()),
        (json!([year]), json!(1))
    );

    // The rest refunded: the whole purchase is, so its 6.00 fee is waived; every period that
    // was never billed is cancelled and period 1 owes nothing.
    refund(&t, &shop, &txn, 95_000).await;
    let plan = t.get(&operator(), &plan_path).await;
    assert_eq!(plan.str("status"), "closed");
    let mut want = vec![("paid".to_owned(), 10_000, 10_000, 0)];
    want.extend((2..=12).map(|_| ("cancelled".to_owned(), 10_000, 0, 0)));
    assert_eq!(schedule(&plan), want, "{}", plan.text);
    let c = costs(&t.get(&operator(), &me).await);
    assert_eq!(c["to_date"]["total_fen"], 0);
    assert_eq!(
        (
            c["by_year"][0]["waived_fen"].clone(),
            c["by_year"][0]["net_fen"].clone()
        ),
        (json!(600), json!(0))
    );
}

#[tokio::test]
async fn a_confirmed_theft_answers_what_it_moved_and_the_account_keeps_it() {
    let t = TestServer::start().await;
    let (shop, thief) = (t.register_merchant("Shop").await, t.register_merchant("Thief").await);
    let alice = t.open_customer(1_000_000, 5).await;
    buy(&t, &shop, &alice, 100_000, None).await;
    let plan = json!({"periods": 3, "method": "flat-fee"});
    let stolen = buy(&t, &thief, &alice, 60_000, Some(plan)).await;
    // Statement 1 (03-05): her 1,000.00 + the stolen plan's period 1, 200.00 + a 3.00 fee.
    t.advance_to("2026-03-06T09:00:00+08:00").await;
    // She pays 100.00: the 3.00 fee first, then 97.00 of principal.
    repay(&t, &alice, 10_000, "THEFT-1").await;
    let report = format!("/v1/customers/{}/theft-reports", alice.id);
    let reported = t.post(&alice.auth(), &report, json!({"txn_ids": [stolen]})).await;
    assert_eq!(reported.status, 201, "{}", reported.text);
    let case = reported.str("case_id");
    let resolve = format!("/v1/cases/{case}/resolve");
    let confirmed = t.post(&operator(), &resolve, json!({"confirm": true})).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    // Restated, she owes 1,000.00 - her 100.00 = 900.00; before, 1,503.00 of principal was
    // receivable and 3.00 was fee income. The difference: 603.00 less principal, 3.00 of fee
    // income reversed; fraud loss balances the entry: 600.00, the stolen principal.
    let moved = json!({
        "fraud_loss_fen": 60_000,
        "fees_waived_fen": 300,
        "interest_waived_fen": 0,
        "penalties_waived_fen": 0,
        "credited_fen": 0
    });
    assert_eq!(confirmed.ok()["exemption"], moved, "{}", confirmed.text);
    let balances = t.get(&operator(), &format!("/v1/customers/{}", alice.id)).await;
    let losses = json!({"charge_off_fen": 0, "recoveries_fen": 0, "fraud_loss_fen": 60_000});
    assert_eq!(balances.ok()["losses"], losses, "{}", balances.text);
    assert_eq!(balances.ok()["exempt_txn_ids"], json!([stolen]));
    assert_eq!(balances.ok()["credit_costs"]["to_date"]["total_fen"], 0);
    assert_eq!(
        balances.fen("principal_billed_fen") + balances.fen("principal_unbilled_fen"),
        90_000
    );
}

#[tokio::test]
async fn a_charge_off_shows_what_it_wrote_off_and_what_is_recovered() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    buy(&t, &shop, &alice, 100_000, None).await;
    let me = format!("/v1/customers/{}", alice.id);
    // Statement 1 (03-05) is due 03-14 and never paid: DPD 179 on 09-09, charge-off on 09-10.
    t.advance_to("2026-09-09T09:00:00+08:00").await;
    let before = t.get(&operator(), &me).await;
    assert_eq!(
        (before.fen("dpd"), before.ok()["losses"]["charge_off_fen"].clone()),
        (179, json!(0))
    );
    t.advance_to("2026-09-10T09:00:00+08:00").await;
    let after = t.get(&operator(), &me).await;
    assert_eq!(after.str("bucket"), "charged_off", "{}", after.text);
    // Everything owed moves to charge-off loss: what was billed, unbilled principal, and the
    // interest and penalties accrued, which the charge-off bills.
    let owed = |b: &Answer| {
        [
            "billed_fen",
            "principal_unbilled_fen",
            "accrued_interest_fen",
            "accrued_penalties_fen",
            "pending_penalty_fen",
        ]
        .iter()
        .map(|k| b.fen(k))
        .sum::<i64>()
    };
    let charge_off = after.ok()["losses"]["charge_off_fen"].as_i64().unwrap();
    // That day adds 0.50 of interest (0.05% of the 1,000.00) and a day of penalty.
    assert!(owed(&after) - owed(&before) > 50, "{}", after.text);
    assert_eq!(charge_off, owed(&after), "{}", after.text);
    // 100.00 paid after the charge-off is a recovery.
    repay(&t, &alice, 10_000, "RECOVER-1").await;
    let later = t.get(&operator(), &me).await;
    assert_eq!(later.ok()["losses"]["recoveries_fen"], 10_000, "{}", later.text);
    assert_eq!(later.ok()["losses"]["charge_off_fen"], charge_off);
    // What she was charged for credit: the interest and penalties the charge-off wrote off are
    // in it, and every year nets to the total (every statement is kept).
    let costs = &later.ok()["credit_costs"];
    let net: i64 = costs["by_year"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["net_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(net, costs["to_date"]["total_fen"].as_i64().unwrap(), "{costs}");
    assert_eq!(
        charge_off,
        100_000 + costs["to_date"]["total_fen"].as_i64().unwrap(),
        "{costs}"
    );
}
