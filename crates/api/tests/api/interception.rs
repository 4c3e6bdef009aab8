//! Monitoring after authorization, black-box: an order intercepted before delivery reaches the
//! merchant as a signed webhook; a failing endpoint is retried with backoff until it answers;
//! the delivery route ships, holds for review or intercepts.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Customer, Merchant, operator};
use crate::risk_support::{Receiver, RiskServer, code, eventually, reasons, register_webhook, verify_signature};

async fn link(s: &RiskServer, customer: &Customer, merchant: &Merchant) -> String {
    let path = format!("/v1/customers/{}/links", customer.id);
    let answer =
        s.t.post(&customer.auth(), &path, json!({"merchant_id": merchant.id}))
            .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.str("link_id")
}

async fn pay_online(s: &RiskServer, merchant: &Merchant, link: &str, device: &str, amount_fen: i64) -> String {
    let body = json!({"link_id": link, "amount_fen": amount_fen, "risk": {"device_id": device, "ip": "203.0.113.9"}});
    let answer = s.t.post(&merchant.auth(), "/v1/payments", body).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.str("txn_id")
}

#[tokio::test]
async fn a_listed_device_intercepts_the_order_and_the_merchant_gets_a_signed_webhook() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Shop").await;
    let receiver = Receiver::start(0).await;
    register_webhook(&s.t, &merchant, &receiver).await;
    let customer = s.customer(10_000_000).await;
    let suspect = s.pay_from(&merchant, &customer, "phone-A", 100_000).await;
    let suspect = suspect.str("txn_id");
    // A second phone minutes after the first: the customer passes the liveness it is asked for.
    let challenged = s.pay_from(&merchant, &customer, "phone-B", 20_000).await;
    assert_eq!(challenged.status, 403, "{}", challenged.text);
    assert_eq!(challenged.body["error"]["reasons"], json!(["UNSEEN_DEVICE"]));
    assert_eq!(challenged.body["error"]["challenge"], "liveness");
    let token = s.step_up(&customer, "liveness").await;
    let code = s.code_with(&customer, json!({"device_id": "phone-B"})).await;
    let stepped = json!({"payment_code": code, "amount_fen": 20_000, "risk": {"step_up_token": token}});
    let fine = s.t.post(&merchant.auth(), "/v1/payments", stepped).await;
    assert_eq!(fine.status, 201, "{}", fine.text);
    let fine = fine.str("txn_id");

    let listed =
        s.t.post(&operator(), "/v1/risk/lists", json!({"device_id": "phone-A"}))
            .await;
    assert_eq!(listed.status, 200, "{}", listed.text);

    let hook = receiver.delivered("order.intercepted").await;
    let t = verify_signature(&merchant.secret, &hook);
    assert_eq!(t, s.t.clock_now().as_second(), "t is the server's clock");
    let body: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(body["type"], "order.intercepted");
    assert_eq!(body["id"], hook.delivery);
    assert_eq!(body["merchant_id"], merchant.id);
    assert_eq!(body["data"]["txn_id"], suspect);
    assert_eq!(body["data"]["action"], "voided");
    assert_eq!(body["data"]["reasons"], json!(["DEVICE_ON_FRAUD_LIST"]));
    assert!(
        body["data"].get("customer_id").is_none(),
        "merchants get no customer data"
    );

    // The hold was released; the other order ships.
    let payment = s.t.get(&merchant.auth(), &format!("/v1/payments/{suspect}")).await;
    assert_eq!(payment.ok()["status"], "voided");
    let ship =
        s.t.post(&merchant.auth(), &format!("/v1/payments/{fine}/delivery"), json!({}))
            .await;
    assert_eq!((ship.status, ship.ok()["decision"].clone()), (200, json!("ship")));
    let gone =
        s.t.post(&merchant.auth(), &format!("/v1/payments/{suspect}/delivery"), json!({}))
            .await;
    // Regression: a merchant that missed the webhook and asks to ship an intercepted order
    // is told it was intercepted (it used to get 404).
    assert_eq!(
        (gone.status, gone.body["error"]["code"].as_str()),
        (402, Some("order_intercepted")),
        "an intercepted order stays intercepted: {}",
        gone.text
    );

    // The operator sees the case with its evidence; read.db has it too.
    let cases = s.t.get(&operator(), "/v1/cases").await;
    let case = &cases.ok()["cases"][0];
    assert_eq!(
        (case["kind"].clone(), case["status"].clone()),
        (json!("interception"), json!("open"))
    );
    assert_eq!(case["txn_ids"], json!([suspect]));
    assert_eq!(case["evidence"][0]["reasons"], json!(["DEVICE_ON_FRAUD_LIST"]));
    assert_eq!(case["evidence"][0]["checkpoint"], "delivery");
    let one =
        s.t.get(&operator(), &format!("/v1/cases/{}", case["case_id"].as_str().unwrap()))
            .await;
    assert_eq!(one.ok()["case_id"], case["case_id"]);
    let sql = format!(
        "SELECT kind, status, action, reasons, merchant FROM cases WHERE case_id = {}",
        case["case_id"].as_str().unwrap()
    );
    let rows = eventually("the cases view", || async {
        let rows = s.sql(&sql);
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    let row: Vec<String> = rows[0].iter().map(|v| v.clone().unwrap_or_default()).collect();
    assert_eq!(
        row,
        [
            "interception",
            "open",
            "voided",
            "[\"DEVICE_ON_FRAUD_LIST\"]",
            merchant.id.as_str()
        ]
    );
    // Each delivery was sent once and recorded as delivered.
    assert_eq!(
        receiver
            .received()
            .iter()
            .filter(|r| r.event == "order.intercepted")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_until_it_answers() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Shop").await;
    let receiver = Receiver::start(2).await;
    register_webhook(&s.t, &merchant, &receiver).await;
    let customer = s.customer(10_000_000).await;
    let order = s.pay_from(&merchant, &customer, "phone-A", 10_000).await.str("txn_id");
    let ship =
        s.t.post(&merchant.auth(), &format!("/v1/payments/{order}/delivery"), json!({}))
            .await;
    assert_eq!(ship.status, 200, "{}", ship.text);

    // The first attempt fails at once; each retry waits for the clock (1 s, then 2 s).
    let attempts = |n: usize| {
        let receiver = &receiver;
        async move {
            eventually("an attempt", || async {
                (receiver.received().len() >= n).then_some(())
            })
            .await
        }
    };
    // Each failure is recorded with its retry due one backoff after the clock: 1 s, then 2 s.
    let retry_due = |attempts: u32| {
        let s = &s;
        async move {
            let sql = "SELECT attempts, next_attempt_at_ms FROM outbox WHERE status = 'pending'";
            eventually("the failure recorded", || async {
                let rows = s.sql(sql);
                let row = rows.first()?;
                (row[0].as_deref() == Some(attempts.to_string().as_str()))
                    .then(|| row[1].as_deref().and_then(|ms| ms.parse::<i64>().ok()))
                    .flatten()
            })
            .await
        }
    };
    let clock_ms = || s.t.clock_now().as_millisecond();
    attempts(1).await;
    assert_eq!(retry_due(1).await, clock_ms() + 1_000, "the first retry waits 1 s");
    assert_eq!(receiver.received().len(), 1, "no retry before the backoff");
    s.advance(Duration::from_secs(1));
    attempts(2).await;
    assert_eq!(retry_due(2).await, clock_ms() + 2_000, "the second wait is 2 s");
    s.advance(Duration::from_secs(1));
    assert_eq!(receiver.received().len(), 2, "no retry before the backoff");
    s.advance(Duration::from_secs(1));
    let delivered = receiver.delivered("order.delivered").await;

    let got = receiver.received();
    assert_eq!(got.iter().map(|r| r.answered).collect::<Vec<_>>(), [500, 500, 200]);
    assert!(
        got.iter()
            .all(|r| r.delivery == delivered.delivery && r.body == delivered.body)
    );
    for r in &got {
        verify_signature(&merchant.secret, r);
    }
    let sql = "SELECT status, attempts, last_error FROM outbox";
    let rows = eventually("the outbox row", || async {
        let rows = s.sql(sql);
        (rows.first().and_then(|r| r[0].as_deref()) == Some("delivered")).then_some(rows)
    })
    .await;
    assert_eq!(rows[0][1].as_deref(), Some("3"));
    assert_eq!(rows[0][2].as_deref(), Some("HTTP 500"));
}

#[tokio::test]
async fn delivery_ships_holds_for_review_or_intercepts() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Online Shop").await;
    let receiver = Receiver::start(0).await;
    register_webhook(&s.t, &merchant, &receiver).await;
    let customer = s.customer(10_000_000).await;
    let link = link(&s, &customer, &merchant).await;
    // A known device (a day old) and a usual amount: the big order is allowed.
    pay_online(&s, &merchant, &link, "laptop", 150_000).await;
    s.advance(Duration::from_secs(25 * 3600));
    let big = pay_online(&s, &merchant, &link, "laptop", 600_000).await;
    let small = pay_online(&s, &merchant, &link, "laptop", 30_000).await;

    // Shipping 6,000 yuan to a changed address: intercepted.
    let path = format!("/v1/payments/{big}/delivery");
    let stopped =
        s.t.post(&merchant.auth(), &path, json!({"address_changed": true}))
            .await;
    assert_eq!(code(&stopped), (402, "order_intercepted".into()), "{}", stopped.text);
    assert!(reasons(&stopped).contains(&"ADDRESS_CHANGED_HIGH_AMOUNT".to_owned()));
    let hook = receiver.delivered("order.intercepted").await;
    verify_signature(&merchant.secret, &hook);
    let body: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(body["data"]["txn_id"], big);

    // A smaller order whose address changed is held until an operator clears it.
    let changed =
        s.t.post(
            &merchant.auth(),
            &format!("/v1/payments/{small}/address-change"),
            json!({}),
        )
        .await;
    assert_eq!(changed.ok()["action"], "held_for_review", "{}", changed.text);
    assert_eq!(changed.ok()["reasons"], json!(["ADDRESS_CHANGED"]));
    let path = format!("/v1/payments/{small}/delivery");
    let held = s.t.post(&merchant.auth(), &path, json!({})).await;
    assert_eq!(code(&held), (409, "held_for_review".into()), "{}", held.text);
    let cases =
        s.t.get(&operator(), &format!("/v1/customers/{}/cases", customer.id))
            .await;
    let case = cases.ok()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["txn_ids"] == json!([small]))
        .expect("a review case")
        .clone();
    let resolve = format!("/v1/cases/{}/resolve", case["case_id"].as_str().unwrap());
    let cleared = s.t.post(&operator(), &resolve, json!({"confirm": false})).await;
    assert_eq!(cleared.ok()["status"], "rejected", "{}", cleared.text);
    let shipped = s.t.post(&merchant.auth(), &path, json!({})).await;
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    let again = s.t.post(&operator(), &resolve, json!({"confirm": true})).await;
    assert_eq!((again.status, again.code()), (409, "case_closed"));
}
