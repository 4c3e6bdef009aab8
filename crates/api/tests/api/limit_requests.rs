//! Temporary-limit requests through the `limit_request` risk checkpoint: allow grants, review
//! queues the request for a credit officer (who approves or declines it, once), deny refuses.

use serde_json::json;

use crate::applications::{application, apply, good_file, server};
use crate::harness::{Customer, TestServer};

async fn customer(t: &TestServer, id_number: &str) -> Customer {
    let answer = apply(
        t,
        &application(id_number, good_file(), 1_000_000, 2_000_000),
        "58.1.1.2",
    )
    .await;
    assert_eq!(
        (answer.status, answer.ok()["outcome"].as_str()),
        (201, Some("approved")),
        "{}",
        answer.text
    );
    Customer {
        id: answer.str("customer_id"),
        token: answer.str("token"),
    }
}

async fn ask(t: &TestServer, c: &Customer, risk: serde_json::Value) -> crate::harness::Answer {
    let path = format!("/v1/customers/{}/temporary-limit-requests", c.id);
    let body = json!({"amount_fen": 500_000, "days": 30, "risk": risk});
    t.post(&c.auth(), &path, body).await
}

#[tokio::test]
async fn an_allowed_request_is_granted_a_reviewed_one_waits_for_a_credit_officer() {
    let t = server().await;
    let c = customer(&t, "110105199003151028").await;
    let granted = ask(&t, &c, json!({"device_id": "phone-1"})).await;
    assert_eq!(granted.status, 200, "{}", granted.text);
    assert_eq!(granted.fen("temporary_limit_fen"), 500_000);

    let queued = ask(&t, &c, json!({"device_id": "phone-1", "emulator": true})).await;
    assert_eq!(
        (queued.status, queued.ok()["status"].as_str()),
        (202, Some("pending_review")),
        "{}",
        queued.text
    );
    assert_eq!(queued.ok()["reasons"], json!(["EMULATOR"]));
    let id = queued.str("request_id");

    let officer = t.operator_with("olga", &["credit_officer"]).await;
    let support = t.operator_with("sam", &["support"]).await;
    assert_eq!(t.get(&support, "/v1/temporary-limit-requests").await.status, 403);
    assert_eq!(t.get(&c.auth(), "/v1/temporary-limit-requests").await.status, 403);
    let listed = t.get(&officer, "/v1/temporary-limit-requests?status=pending").await;
    let requests = listed.ok()["requests"].as_array().unwrap().clone();
    assert_eq!(requests.len(), 1, "{}", listed.text);
    assert_eq!(requests[0]["request_id"], json!(id));
    assert_eq!(requests[0]["decision"]["reasons"], json!(["EMULATOR"]));
    assert!(requests[0]["decision"]["features"]["user"].is_object());

    let path = format!("/v1/temporary-limit-requests/{id}/decide");
    let by_customer = t.post(&c.auth(), &path, json!({"approve": true})).await;
    assert_eq!(by_customer.status, 403, "{}", by_customer.text);
    let approved = t.post(&officer, &path, json!({"approve": true})).await;
    assert_eq!(
        (approved.status, approved.ok()["status"].as_str()),
        (200, Some("approved")),
        "{}",
        approved.text
    );
    assert_eq!(approved.ok()["decided_by"], "olga");
    let twice = t.post(&officer, &path, json!({"approve": false})).await;
    assert_eq!(
        (twice.status, twice.code()),
        (409, "limit_request_decided"),
        "{}",
        twice.text
    );
    let missing = t
        .post(
            &officer,
            "/v1/temporary-limit-requests/12345/decide",
            json!({"approve": true}),
        )
        .await;
    assert_eq!((missing.status, missing.code()), (404, "limit_request_not_found"));

    // Two officers deciding one request at once: one decision, the other refused.
    let again = ask(&t, &c, json!({"device_id": "phone-1", "emulator": true})).await;
    assert_eq!(again.status, 202, "{}", again.text);
    let path = format!("/v1/temporary-limit-requests/{}/decide", again.str("request_id"));
    let (approve, decline) = tokio::join!(
        t.post(&officer, &path, json!({"approve": true})),
        t.post(&officer, &path, json!({"approve": false})),
    );
    let mut statuses = [approve.status, decline.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 409],
        "approve {}, decline {}",
        approve.code(),
        decline.code()
    );
}

#[tokio::test]
async fn a_request_from_a_listed_device_is_refused() {
    let t = server().await;
    let c = customer(&t, "110105199003151036").await;
    let listed = t
        .post(
            &crate::harness::operator(),
            "/v1/risk/lists",
            json!({"device_id": "bad-phone"}),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let refused = ask(&t, &c, json!({"device_id": "bad-phone"})).await;
    let code = refused.body["error"]["code"].as_str();
    assert_eq!((refused.status, code), (403, Some("risk_declined")), "{}", refused.text);
    assert_eq!(refused.body["error"]["reasons"], json!(["DEVICE_ON_FRAUD_LIST"]));
}

#[tokio::test]
async fn a_second_request_while_one_waits_is_refused_until_it_is_decided() {
    let t = server().await;
    let c = customer(&t, "110105199003151044").await;
    let first = ask(&t, &c, json!({"device_id": "phone-1", "proxy": true})).await;
    assert_eq!(first.status, 202, "{}", first.text);
    for risk in [
        json!({"device_id": "phone-1", "proxy": true}),
        json!({"device_id": "phone-1"}),
    ] {
        let second = ask(&t, &c, risk).await;
        assert_eq!(
            (second.status, second.code()),
            (409, "limit_request_pending"),
            "{}",
            second.text
        );
    }
    let officer = t.operator_with("olga", &["credit_officer"]).await;
    let pending = t.get(&officer, "/v1/temporary-limit-requests?status=pending").await;
    assert_eq!(
        pending.ok()["requests"].as_array().unwrap().len(),
        1,
        "{}",
        pending.text
    );
    let path = format!("/v1/temporary-limit-requests/{}/decide", first.str("request_id"));
    let declined = t.post(&officer, &path, json!({"approve": false})).await;
    assert_eq!(declined.status, 200, "{}", declined.text);
    let after = ask(&t, &c, json!({"device_id": "phone-1"})).await;
    assert_eq!(after.status, 200, "{}", after.text);
}
