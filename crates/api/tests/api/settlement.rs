//! Merchant settlement over HTTP: an operator sets pricing (never edited, never in the past)
//! and a merchant's terms, and runs it for a day that is over (not before), once;
//! each merchant reads its own settled day as JSON and CSV, never another's; an unsettled day
//! is 404 and an operator cannot read a merchant's route.

use serde_json::json;

use crate::harness::{Auth, TestServer, operator};

#[tokio::test]
async fn a_run_settles_a_closed_day_once_and_each_merchant_reads_only_its_own() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let other = t.register_merchant("Other").await;
    let alice = t.open_customer(1_000_000, 5).await;
    let price = json!({"effective_from": "2026-03-01", "discount_ppm": 6_000, "fixed_fee_fen": 30});
    let added = t.post(&operator(), "/v1/settlement/prices", price.clone()).await;
    assert_eq!(added.status, 201, "{}", added.text);
    let twice = t.post(&operator(), "/v1/settlement/prices", price).await;
    assert_eq!(
        (twice.status, twice.code()),
        (409, "price_rule_exists"),
        "{}",
        twice.text
    );
    let past = json!({"effective_from": "2026-02-01", "discount_ppm": 1, "fixed_fee_fen": 0, "category": "travel"});
    let past = t.post(&operator(), "/v1/settlement/prices", past).await;
    assert_eq!(
        (past.status, past.field()),
        (400, Some("effective_from")),
        "{}",
        past.text
    );
    let listed = t.get(&operator(), "/v1/settlement/prices").await;
    assert_eq!(listed.ok()["prices"].as_array().unwrap().len(), 1, "{}", listed.text);
    let terms = json!({"delay_days": 1, "reserve_ppm": 0, "reserve_days": 0, "receivable_limit_fen": 100_000});
    let set = t
        .post(
            &operator(),
            &format!("/v1/merchants/{}/settlement-terms", other.id),
            terms,
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    for (merchant, amount) in [(&shop, 100_000), (&other, 50_000)] {
        let paid = t.pay(merchant, &alice, json!({"amount_fen": amount})).await;
        assert_eq!(paid.status, 201, "{}", paid.text);
        let txn = paid.str("txn_id");
        let captured = t
            .post(
                &merchant.auth(),
                &format!("/v1/payments/{txn}/capture"),
                json!({"amount_fen": amount}),
            )
            .await;
        assert_eq!(captured.status, 200, "{}", captured.text);
        if amount == 100_000 {
            let refund = t
                .post(
                    &merchant.auth(),
                    &format!("/v1/payments/{txn}/refunds"),
                    json!({"amount_fen": 10_000}),
                )
                .await;
            assert_eq!(refund.status, 201, "{}", refund.text);
        }
    }

    let today = t
        .post(&operator(), "/v1/settlement/runs", json!({"date": "2026-03-01"}))
        .await;
    assert_eq!(
        (today.status, today.code(), today.field()),
        (400, "invalid_field", Some("date")),
        "{}",
        today.text
    );
    t.advance_to("2026-03-02T09:00:00+08:00").await;
    let run = t
        .post(&operator(), "/v1/settlement/runs", json!({"date": "2026-03-01"}))
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(run.ok()["days"], json!(["2026-03-01"]), "{}", run.text);
    assert_eq!(run.ok()["merchant_days"], 2, "{}", run.text);
    // Fees: 0.6% + 0.30 a capture (a refund returns none); `other` is paid a day later.
    assert_eq!(run.fen("payouts_fen"), 100_000 - 10_000 - 630, "{}", run.text);
    let again = t
        .post(&operator(), "/v1/settlement/runs", json!({"date": "2026-03-01"}))
        .await;
    assert_eq!(
        (again.ok()["days"].clone(), again.ok()["merchant_days"].clone()),
        (json!([]), json!(0))
    );

    let path = "/v1/merchant/settlements?date=2026-03-01";
    let mine = t.get(&shop.auth(), path).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(
        (
            mine.fen("captured_fen"),
            mine.fen("refunded_fen"),
            mine.fen("payout_fen")
        ),
        (100_000, 10_000, 89_370)
    );
    assert_eq!(mine.fen("fees_fen"), 630);
    assert_eq!(mine.ok()["payout_status"], "pending");
    assert_eq!(mine.ok()["merchant_id"], shop.id.to_string());
    let theirs = t.get(&other.auth(), path).await;
    assert_eq!(
        (
            theirs.fen("captured_fen"),
            theirs.fen("payout_fen"),
            theirs.fen("held_fen")
        ),
        (50_000, 0, 49_670),
        "delayed a day: {}",
        theirs.text
    );

    let csv = t.get(&shop.auth(), &format!("{path}&format=csv")).await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let mut lines = csv.text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("merchant_id,date,captures,captured_fen")
    );
    assert!(
        lines.next().unwrap().contains(",2026-03-01,1,100000,1,10000,"),
        "{}",
        csv.text
    );
    let accept = t
        .send(&shop.auth(), "GET", path, b"", None, &[("accept", "text/csv")])
        .await;
    assert!(accept.text.starts_with("merchant_id,"), "{}", accept.text);

    let unsettled = t.get(&shop.auth(), "/v1/merchant/settlements?date=2026-02-01").await;
    assert_eq!(
        (unsettled.status, unsettled.code()),
        (404, "settlement_not_found"),
        "{}",
        unsettled.text
    );
    let bad = t.get(&shop.auth(), "/v1/merchant/settlements?date=March").await;
    assert_eq!((bad.status, bad.field()), (400, Some("date")), "{}", bad.text);
    let as_operator = t.get(&operator(), path).await;
    assert_eq!(as_operator.status, 403, "{}", as_operator.text);
    let anonymous = t.get(&Auth::None, path).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
}

/// A merchant-subsidized 0% plan: the settlement charges the merchant its share of the
/// campaign's fee (0.6% a period × 3 periods of 30,000 = 540), one rounding over the plan.
#[tokio::test]
async fn a_subsidized_campaign_charges_the_merchant_its_share() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    let campaign = json!({
        "name": "0% on three", "merchant_id": shop.id, "terms": [3], "rate_ppm": 6_000,
        "methods": ["flat-fee"], "fee_paid_by": {"by": "merchant"},
        "starts_on": "2026-03-01", "ends_on": "2026-03-31"
    });
    let created = t.post_until_taken(&operator(), "/v1/campaigns", campaign).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.str("campaign_id");
    let plan = json!({"amount_fen": 30_000, "plan": {"periods": 3, "method": "flat-fee", "campaign_id": id}});
    let paid = t.pay(&shop, &alice, plan).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let txn = paid.str("txn_id");
    let captured = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/capture"),
            json!({"amount_fen": 30_000}),
        )
        .await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    t.advance_to("2026-03-02T09:00:00+08:00").await;
    let run = t
        .post(&operator(), "/v1/settlement/runs", json!({"date": "2026-03-01"}))
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    let day = t.get(&shop.auth(), "/v1/merchant/settlements?date=2026-03-01").await;
    assert_eq!(
        (day.fen("subsidies_fen"), day.fen("fees_fen"), day.fen("payout_fen")),
        (540, 0, 29_460),
        "{}",
        day.text
    );
    // `iou settle` reads the same share from the store (`api::campaign_subsidies`); a payment
    // made under no campaign has none.
    use engine::settle::Subsidies;
    let journal = store::sqlite::SqliteBackend::open(t.dir.path())
        .unwrap()
        .open_journal()
        .unwrap();
    let subsidies = api::campaign_subsidies(Box::new(journal));
    let txn = credit::TxnId(txn.parse().unwrap());
    assert_eq!(subsidies.merchant_rate(txn), Some(money::Rate::from_ppm(6_000)));
    assert_eq!(subsidies.merchant_rate(credit::TxnId(txn.0 + 256)), None);
}
