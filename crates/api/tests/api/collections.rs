//! Collections end to end through the API (COLLECTIONS.md): an account goes delinquent on the
//! test clock, appears in the queue in its bucket with the strategy's action, a promise to pay
//! is made and broken (and the strategy sees it), a call task is recorded, a hardship plan is
//! proposed by one collector and approved by another (four eyes), and the account is current
//! again once the first installment is paid.

use serde_json::{Value, json};

use crate::harness::{Customer, TestServer, operator};

fn entry<'a>(queue: &'a Value, customer: &Customer) -> Option<&'a Value> {
    queue["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["customer_id"] == json!(customer.id))
}

#[tokio::test]
async fn a_delinquent_account_is_worked_to_a_hardship_plan_and_cured() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    let paid = t.pay(&shop, &alice, json!({"amount_fen": 100_000})).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let capture = format!("/v1/payments/{}/capture", paid.str("txn_id"));
    let captured = t.post(&shop.auth(), &capture, json!({"amount_fen": 100_000})).await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    let cole = t.operator_with("cole", &["collector"]).await;
    let cora = t.operator_with("cora", &["collector"]).await;
    let support = t.operator_with("sam", &["support"]).await;
    let file = format!("/v1/customers/{}/collections", alice.id);

    // Billed 1,000.00 on 2026-03-05 (minimum 100.00), due 2026-03-14, unpaid: DPD 6 on 03-20.
    t.advance_to("2026-03-20T09:00:00+08:00").await;
    let queue = t.get(&cole, "/v1/collections?bucket=M1").await;
    let e = entry(queue.ok(), &alice).unwrap_or_else(|| panic!("{}", queue.text));
    assert_eq!((e["dpd"].as_u64(), e["past_due_fen"].as_i64()), (Some(6), Some(10_000)));
    assert_eq!(
        (e["action"].as_str(), e["reason"].as_str()),
        (Some("reminder"), Some("EARLY_SMALL"))
    );
    let m2 = t.get(&cole, "/v1/collections?bucket=M2").await;
    assert!(entry(m2.ok(), &alice).is_none(), "{}", m2.text);
    assert_eq!(t.get(&support, "/v1/collections").await.status, 403);
    let bad = t.get(&cole, "/v1/collections?bucket=M9").await;
    assert_eq!(
        (bad.status, bad.body["error"]["field"].as_str()),
        (400, Some("bucket")),
        "{}",
        bad.text
    );

    // A promise of 100.00 by 03-25; a second one while it is open, or a date past 30 days, is
    // refused.
    let promises = format!("/v1/customers/{}/promises", alice.id);
    let far = t
        .post(&cole, &promises, json!({"amount_fen": 10_000, "date": "2026-04-20"}))
        .await;
    assert_eq!(
        (far.status, far.body["error"]["field"].as_str()),
        (400, Some("date")),
        "{}",
        far.text
    );
    let key = t.key();
    let body = json!({"amount_fen": 10_000, "date": "2026-03-25"});
    let made = t.post_keyed(&cole, &promises, body.clone(), &key).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["status"], "open");
    let retried = t.post_keyed(&cole, &promises, body, &key).await;
    assert_eq!(retried.body["promise_id"], made.body["promise_id"], "{}", retried.text);
    let second = t
        .post(&cole, &promises, json!({"amount_fen": 5_000, "date": "2026-03-22"}))
        .await;
    assert_eq!(
        (second.status, second.body["error"]["code"].as_str()),
        (409, Some("promise_open"))
    );
    let waiting = t.get(&cole, &file).await;
    assert_eq!(waiting.ok()["situation"]["action"], "none", "{}", waiting.text);

    // 40.00 paid by the date: the promise is broken, and the strategy calls.
    let offline = format!("/v1/customers/{}/offline-repayments", alice.id);
    let part = json!({"amount_fen": 4_000, "external_reference": "COLL-1"});
    assert_eq!(t.post(&operator(), &offline, part).await.status, 201);
    t.advance_to("2026-03-27T09:00:00+08:00").await;
    let broken = t.get(&cole, &file).await;
    let f = broken.ok();
    assert_eq!(f["promises"][0]["status"], "broken", "{f}");
    assert_eq!(f["promises"][0]["paid_fen"], 4_000, "{f}");
    assert_eq!(f["situation"]["broken_promises"], 1, "{f}");
    assert_eq!(f["situation"]["action"], "call_task", "{f}");
    let calls = format!("/v1/customers/{}/call-tasks", alice.id);
    let called = t.post(&cole, &calls, json!({"outcome": "no_answer"})).await;
    assert_eq!(called.status, 201, "{}", called.text);
    assert_eq!(
        (called.body["action"].as_str(), called.body["reason"].as_str()),
        (Some("call_task"), Some("M1_CALL"))
    );
    let junk = t.post(&cole, &calls, json!({"outcome": "maybe"})).await;
    assert_eq!(junk.status, 400, "{}", junk.text);

    // In M2 with a broken promise: the strategy offers a hardship plan.
    t.advance_to("2026-04-20T09:00:00+08:00").await;
    let offers = t.get(&cole, "/v1/collections?bucket=M2&action=hardship_offer").await;
    let e = entry(offers.ok(), &alice).unwrap_or_else(|| panic!("{}", offers.text));
    assert_eq!(e["reason"], "BROKEN_PROMISE", "{e}");
    assert_eq!(e["hardship_eligible"], true);

    // Cole proposes 4 installments; he may not approve it himself, Cora does.
    let plans = format!("/v1/customers/{}/hardship-plans", alice.id);
    let short = t.post(&cole, &plans, json!({"periods": 2})).await;
    assert_eq!(
        (short.status, short.body["error"]["code"].as_str()),
        (422, Some("term_not_offered")),
        "{}",
        short.text
    );
    let proposed = t.post(&cole, &plans, json!({"periods": 4})).await;
    assert_eq!(proposed.status, 202, "{}", proposed.text);
    let id = proposed.str("approval_id");
    let own = t.post(&cole, &format!("/v1/approvals/{id}/approve"), json!({})).await;
    assert_eq!(own.status, 403, "{}", own.text);
    let approved = t.post(&cora, &format!("/v1/approvals/{id}/approve"), json!({})).await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["result_status"], 201, "{}", approved.text);
    let plan = &approved.body["result"];
    // The billed principal still owed (the 40.00 paid went through the waterfall) is re-aged
    // into 4 periods at 0%, the first billed at once.
    let principal = plan["principal_fen"].as_i64().unwrap();
    assert_eq!(plan["first_installment_fen"].as_i64().unwrap(), principal / 4, "{plan}");
    let cure = plan["cure_fen"].as_i64().unwrap();
    assert!(cure >= principal / 4, "{plan}");

    // Not current until the cure is paid; then DPD 0 and out of the queue.
    let before = t.get(&operator(), &format!("/v1/customers/{}", alice.id)).await;
    assert!(before.ok()["dpd"].as_u64().unwrap() > 30, "{}", before.text);
    let f = t.get(&cole, &file).await;
    assert_eq!(
        f.ok()["situation"]["reason"],
        "HARDSHIP_FIRST_INSTALLMENT",
        "{}",
        f.text
    );
    assert_eq!(f.ok()["hardship_plan_id"], plan["plan_id"]);
    let again = t.post(&cole, &plans, json!({"periods": 6})).await;
    assert_eq!(again.body["error"]["code"], "hardship_too_recent", "{}", again.text);
    let pay = json!({"amount_fen": cure, "external_reference": "COLL-2"});
    assert_eq!(t.post(&operator(), &offline, pay).await.status, 201);
    let after = t.get(&operator(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(
        (after.ok()["dpd"].as_u64(), after.ok()["bucket"].as_str()),
        (Some(0), Some("current")),
        "{}",
        after.text
    );
    let queue = t.get(&cole, "/v1/collections").await;
    assert!(entry(queue.ok(), &alice).is_none(), "{}", queue.text);
    let listed = t.get(&operator(), &format!("/v1/customers/{}/plans", alice.id)).await;
    let sources: Vec<&str> = listed.ok()["plans"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["source"].as_str())
        .collect();
    assert!(sources.contains(&"hardship"), "{}", listed.text);
}
