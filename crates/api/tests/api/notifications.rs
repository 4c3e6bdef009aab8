//! Customer notifications end to end, black-box but for the channel simulators the server runs
//! (read through `AppState::notifications`) and one consumer run at a time (`run_once`, as the
//! background task does): a statement is told once, deferred out of quiet hours; a due-soon
//! reminder follows the customer's preferences; a theft report is told at once at night; a
//! restart resends nothing; preferences refuse bad input and other customers.

use api::notifications::consumer::run_once;
use notify::Channel;
use serde_json::json;

use crate::harness::{Customer, Merchant, TestServer, operator};

async fn buy(t: &TestServer, shop: &Merchant, customer: &Customer, amount: i64) -> String {
    let paid = t.pay(shop, customer, json!({"amount_fen": amount})).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let txn = paid.str("txn_id");
    let capture = format!("/v1/payments/{txn}/capture");
    let captured = t.post(&shop.auth(), &capture, json!({"amount_fen": amount})).await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    txn
}

/// (kind, channel) of everything `channel`'s simulator accepted for `customer`.
fn sent(t: &TestServer, channel: Channel, customer: &Customer) -> Vec<String> {
    let sim = t.server().state().notifications().simulator(channel).unwrap();
    sim.sent()
        .iter()
        .filter(|m| m.account.to_string() == customer.id)
        .map(|m| m.kind.name().to_owned())
        .collect()
}

async fn run(t: &TestServer) -> api::notifications::consumer::RunFigures {
    run_once(t.server().state()).await.unwrap()
}

async fn put_prefs(
    t: &TestServer,
    auth: &crate::harness::Auth,
    customer: &str,
    body: serde_json::Value,
) -> crate::harness::Answer {
    let path = format!("/v1/customers/{customer}/notification-preferences");
    let key = t.key();
    t.send(auth, "PUT", &path, &serde_json::to_vec(&body).unwrap(), Some(&key), &[])
        .await
}

#[tokio::test]
async fn statement_and_due_soon_reach_the_channels_the_customer_keeps_once() {
    let mut t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    // Alice wants due-soon reminders by push only, in English.
    let set = put_prefs(
        &t,
        &alice.auth(),
        &alice.id,
        json!({"language": "en", "channels": {"due_soon": ["push"]}}),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.ok()["channels"]["due_soon"], json!(["push"]));
    assert_eq!(
        set.ok()["channels"]["statement_issued"],
        json!(["sms", "push", "email"])
    );
    buy(&t, &shop, &alice, 123_456).await;

    // The statement closes at midnight: told at 08:00, the end of quiet hours.
    t.advance_to("2026-03-06T00:30:00+08:00").await;
    let night = run(&t).await;
    assert_eq!((night.recorded, night.sent), (3, 0));
    let listed = t
        .get(&operator(), &format!("/v1/customers/{}/notifications", alice.id))
        .await;
    let first = &listed.ok()["notifications"][0];
    assert_eq!(
        (first["status"].as_str(), first["due_at"].as_str()),
        (Some("pending"), Some("2026-03-06T00:00:00Z"))
    );
    t.advance_to("2026-03-06T08:00:00+08:00").await;
    assert_eq!(run(&t).await.sent, 3);
    assert_eq!(sent(&t, Channel::Sms, &alice), ["statement_issued"]);
    let sms = t
        .server()
        .state()
        .notifications()
        .simulator(Channel::Sms)
        .unwrap()
        .sent();
    assert!(sms[0].body.contains("¥1,234.56"), "{}", sms[0].body);

    // Three days before the due date: a push only.
    let statement = t
        .get(&operator(), &format!("/v1/customers/{}/statements/1", alice.id))
        .await;
    let due: jiff::civil::Date = statement.str("due_date").parse().unwrap();
    let soon = due.checked_sub(jiff::Span::new().days(3)).unwrap();
    t.advance_to(&format!("{soon}T09:00:00+08:00")).await;
    let figures = run(&t).await;
    assert_eq!((figures.recorded, figures.sent), (1, 1));
    assert_eq!(sent(&t, Channel::Push, &alice), ["statement_issued", "due_soon"]);
    assert_eq!(sent(&t, Channel::Sms, &alice), ["statement_issued"]);
    let push = t
        .server()
        .state()
        .notifications()
        .simulator(Channel::Push)
        .unwrap()
        .sent();
    assert!(push[1].body.starts_with("Payment due"), "{}", push[1].body);

    // Again, and after a restart: nothing new is derived or sent.
    assert_eq!(run(&t).await, Default::default());
    t.restart().await;
    assert_eq!(run(&t).await, Default::default());
    assert!(sent(&t, Channel::Push, &alice).is_empty());
    let listed = t
        .get(&operator(), &format!("/v1/customers/{}/notifications", alice.id))
        .await;
    let rows = listed.ok()["notifications"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter().all(|r| r["status"] == "sent" && r["attempts"] == 1),
        "{rows:?}"
    );
    assert_eq!(rows[0]["id"], format!("{}:due_soon:1:{soon}:push", alice.id));
}

#[tokio::test]
async fn a_theft_report_at_night_is_told_at_once_on_every_channel() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let bob = t.open_customer(1_000_000, 5).await;
    let txn = buy(&t, &shop, &bob, 5_000).await;
    // Switching theft messages off is refused, naming the field.
    let refused = put_prefs(&t, &bob.auth(), &bob.id, json!({"channels": {"theft_case": ["sms"]}})).await;
    assert_eq!((refused.status, refused.code()), (422, "notification_not_switchable"));
    assert_eq!(refused.field(), Some("channels.theft_case"));
    t.advance_to("2026-03-01T23:00:00+08:00").await;
    let report = t
        .post(
            &bob.auth(),
            &format!("/v1/customers/{}/theft-reports", bob.id),
            json!({"txn_ids": [txn]}),
        )
        .await;
    assert_eq!(report.status, 201, "{}", report.text);
    let figures = run(&t).await;
    assert_eq!((figures.recorded, figures.sent), (3, 3));
    for channel in Channel::ALL {
        assert_eq!(sent(&t, channel, &bob), ["theft_case"], "{channel:?}");
    }
}

#[tokio::test]
async fn preferences_refuse_bad_input_and_other_customers() {
    let t = TestServer::start().await;
    let alice = t.open_customer(1_000_000, 5).await;
    let mallory = t.open_customer(1_000_000, 5).await;
    let path = format!("/v1/customers/{}/notification-preferences", alice.id);
    assert_eq!(t.get(&mallory.auth(), &path).await.status, 403);
    let theirs = put_prefs(&t, &mallory.auth(), &alice.id, json!({"channels": {"due_soon": []}})).await;
    assert_eq!(theirs.status, 403);
    assert_eq!(
        t.get(&mallory.auth(), &format!("/v1/customers/{}/notifications", alice.id))
            .await
            .status,
        403
    );
    let table = [
        (
            json!({"channels": {"weather": ["sms"]}}),
            "invalid_field",
            "channels.weather",
        ),
        (
            json!({"channels": {"due_soon": ["fax"]}}),
            "invalid_field",
            "channels.due_soon",
        ),
        (json!({"language": "fr"}), "invalid_field", "language"),
        (
            json!({"channels": {"due_soon": "sms"}}),
            "invalid_field",
            "channels.due_soon",
        ),
    ];
    for (body, code, field) in table {
        let answer = put_prefs(&t, &alice.auth(), &alice.id, body.clone()).await;
        assert_eq!(answer.code(), code, "{body}: {}", answer.text);
        assert_eq!(answer.field().unwrap_or(""), field, "{body}");
    }
    let unknown = t.get(&operator(), "/v1/customers/99999/notification-preferences").await;
    assert_eq!((unknown.status, unknown.code()), (404, "account_not_found"));
    // Untouched by the refusals; an operator with support's role may change them for her.
    let support = t.operator_with("support-1", &["support"]).await;
    let set = put_prefs(&t, &support, &alice.id, json!({"channels": {"missed": ["sms"]}})).await;
    assert_eq!(set.status, 200, "{}", set.text);
    let read = t.get(&alice.auth(), &path).await;
    assert_eq!(read.ok()["channels"]["due_soon"], json!(["sms", "push", "email"]));
    assert_eq!(read.ok()["channels"]["missed"], json!(["sms"]));
    assert_eq!(read.ok()["language"], "zh-CN");
}
