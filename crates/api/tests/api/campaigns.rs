//! Pricing and campaigns through the API: campaigns an operator runs (a merchant's, a
//! category's; 0% and 0.6% a period), plans made under them with exact schedules, every way a
//! merchant may not use one, campaigns kept across a restart, and lines an operator opens at a
//! price tier of the limit table.
//!
//! The expected fees are computed here independently of the server: a flat fee per period is
//! `principal x ppm / 1,000,000` rounded half-up to the fen (money's rounding rule), and the
//! principal is split evenly with the remainder in the last period.

use serde_json::{Value, json};

use crate::harness::{Auth, Merchant, TestServer, operator};

/// Registers a merchant with a category.
async fn merchant_in(t: &TestServer, name: &str, category: &str) -> Merchant {
    let answer = t
        .post_until_taken(
            &operator(),
            "/v1/merchants",
            json!({"name": name, "category": category}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["category"], category);
    Merchant {
        id: answer.str("merchant_id"),
        secret: answer.str("secret"),
    }
}

fn campaign(name: &str, target: (&str, &str), rate_ppm: u32, fee_paid_by: Value) -> Value {
    let mut body = json!({
        "name": name, "terms": [3, 6], "rate_ppm": rate_ppm, "methods": ["flat-fee"],
        "fee_paid_by": fee_paid_by, "starts_on": "2026-03-01", "ends_on": "2026-03-31"
    });
    body[target.0] = json!(target.1);
    body
}

/// Creates a campaign as `who`; returns its id.
async fn create(t: &TestServer, who: &Auth, body: Value) -> String {
    let answer = t.post_until_taken(who, "/v1/campaigns", body).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.str("campaign_id")
}

/// The flat-fee oracle: each period's (principal, fee).
fn flat_fee(principal: i64, periods: i64, ppm: i64) -> Vec<(i64, i64)> {
    let each = principal / periods;
    let fee = (principal * ppm + 500_000) / 1_000_000;
    (1..=periods)
        .map(|n| {
            let p = if n == periods {
                principal - each * (periods - 1)
            } else {
                each
            };
            (p, fee)
        })
        .collect()
}

fn periods_of(plan: &Value) -> Vec<(i64, i64)> {
    plan["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["principal_fen"].as_i64().unwrap(), p["fee_fen"].as_i64().unwrap()))
        .collect()
}

/// Captures a payment in full and reads its plan as the customer sees it.
async fn captured_plan(t: &TestServer, shop: &Merchant, who: &crate::harness::Customer, txn: &str, fen: i64) -> Value {
    let capture = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/capture"),
            json!({"amount_fen": fen}),
        )
        .await;
    assert_eq!(capture.status, 200, "{}", capture.text);
    let plan_id = capture.str("plan_id");
    let plan = t
        .get(&who.auth(), &format!("/v1/customers/{}/plans/{plan_id}", who.id))
        .await;
    assert_eq!(plan.status, 200, "{}", plan.text);
    plan.body
}

#[tokio::test]
async fn plans_at_a_zero_and_a_point_six_percent_campaign_have_exact_schedules() {
    let t = TestServer::start().await;
    let shop = merchant_in(&t, "Phone Shop", "electronics").await;
    let officer = t.operator_with("officer", &["credit_officer"]).await;
    let zero = create(
        &t,
        &officer,
        campaign("0% phones", ("merchant_id", &shop.id), 0, json!({"by": "merchant"})),
    )
    .await;
    let mut body = campaign(
        "0.6% electronics",
        ("category", "electronics"),
        0,
        json!({"by": "customer"}),
    );
    body.as_object_mut().unwrap().remove("rate_ppm");
    body["rate"] = json!("0.6%");
    let six = create(&t, &officer, body).await;
    let alice = t.open_customer(1_000_000, 5).await;

    // 0%: no fee at all, an APR of zero, the merchant pays (nothing).
    let paid = t
        .pay(
            &shop,
            &alice,
            json!({"amount_fen": 120_000, "plan": {"periods": 6, "method": "flat-fee", "campaign_id": zero}}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    assert_eq!(paid.body["plan"]["fee_rate_ppm"], 0);
    assert_eq!(paid.body["plan"]["campaign"]["campaign_id"], zero.as_str());
    assert_eq!(paid.body["plan"]["campaign"]["fee_paid_by"]["by"], "merchant");
    let plan = captured_plan(&t, &shop, &alice, &paid.str("txn_id"), 120_000).await;
    assert_eq!(periods_of(&plan), flat_fee(120_000, 6, 0));
    assert_eq!(plan["apr"], "0.000000");
    assert_eq!(plan["fee_rate_ppm"], 0);
    assert_eq!(plan["campaign"]["campaign_id"], zero.as_str());

    // 0.6% a period on an amount that does not divide: fee 600.006 -> 600 fen (half-up).
    let paid = t
        .pay(
            &shop,
            &alice,
            json!({"amount_fen": 100_001, "plan": {"periods": 3, "method": "flat-fee", "campaign_id": six}}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    assert_eq!(paid.body["plan"]["fee_rate_ppm"], 6_000);
    let txn = paid.str("txn_id");
    let seen = t.get(&shop.auth(), &format!("/v1/payments/{txn}")).await;
    assert_eq!(seen.body["plan"]["campaign"]["campaign_id"], six.as_str());
    assert_eq!(seen.body["plan"]["campaign"]["fee_paid_by"]["by"], "customer");
    assert_eq!(seen.body["plan"]["campaign"]["customer_rate_ppm"], 6_000);
    let plan = captured_plan(&t, &shop, &alice, &txn, 100_001).await;
    let expected = flat_fee(100_001, 3, 6_000);
    assert_eq!(expected, [(33_333, 600), (33_333, 600), (33_335, 600)]);
    assert_eq!(periods_of(&plan), expected);
    assert_eq!(plan["fee_rate_ppm"], 6_000);

    // The merchant's offers list both campaigns at their rates, with the same schedules.
    let offers = t
        .get(
            &Auth::None,
            &format!("/v1/plan-options?amount_fen=100001&merchant_id={}", shop.id),
        )
        .await;
    assert_eq!(offers.status, 200, "{}", offers.text);
    let campaign_options = offers.body["campaign_options"].as_array().unwrap();
    assert_eq!(
        campaign_options.len(),
        4,
        "2 campaigns x 2 terms x 1 method: {}",
        offers.text
    );
    let three_at_six = campaign_options
        .iter()
        .find(|o| o["campaign_id"] == six.as_str() && o["periods"] == 3)
        .unwrap();
    assert_eq!(three_at_six["fee_rate_ppm"], 6_000);
    assert_eq!(periods_of(&json!({"periods": three_at_six["schedule"]})), expected);
    assert_eq!(three_at_six["total_cost_fen"], 1_800);
    let six_at_zero = campaign_options
        .iter()
        .find(|o| o["campaign_id"] == zero.as_str() && o["periods"] == 6)
        .unwrap();
    assert_eq!(
        (six_at_zero["total_cost_fen"].as_i64(), six_at_zero["apr"].as_str()),
        (Some(0), Some("0.000000"))
    );
    // Without a merchant: no campaign offers; another category's merchant: none either.
    let plain = t.get(&Auth::None, "/v1/plan-options?amount_fen=100001").await;
    assert_eq!(plain.body["campaign_options"], json!([]));
    let other = merchant_in(&t, "Boutique", "fashion").await;
    let none = t
        .get(
            &Auth::None,
            &format!("/v1/plan-options?amount_fen=100001&merchant_id={}", other.id),
        )
        .await;
    assert_eq!(none.body["campaign_options"], json!([]));
}

#[tokio::test]
async fn a_merchant_cannot_use_a_campaign_that_is_not_its_own_running_offer() {
    let mut t = TestServer::start().await;
    let shop = merchant_in(&t, "Phone Shop", "electronics").await;
    let other = merchant_in(&t, "Boutique", "fashion").await;
    let mine = create(
        &t,
        &operator(),
        campaign("0% phones", ("merchant_id", &shop.id), 0, json!({"by": "customer"})),
    )
    .await;
    let mut later = campaign("later", ("merchant_id", &shop.id), 0, json!({"by": "customer"}));
    later["starts_on"] = json!("2026-04-01");
    later["ends_on"] = json!("2026-04-30");
    let later = create(&t, &operator(), later).await;
    let ended = create(
        &t,
        &operator(),
        campaign("ended", ("merchant_id", &shop.id), 0, json!({"by": "customer"})),
    )
    .await;
    let end = t
        .post(&operator(), &format!("/v1/campaigns/{ended}/end"), json!({}))
        .await;
    assert_eq!(
        (end.status, end.body["status"].as_str()),
        (200, Some("ended")),
        "{}",
        end.text
    );
    assert_eq!(end.body["ended_on"], "2026-03-01");
    let alice = t.open_customer(1_000_000, 5).await;
    let plan = |campaign: &str, periods: u32, method: &str| json!({"amount_fen": 10_000, "plan": {"periods": periods, "method": method, "campaign_id": campaign}});
    let refusals = [
        (
            &other,
            plan(&mine, 3, "flat-fee"),
            404,
            "campaign_not_found",
            "plan.campaign_id",
        ),
        (
            &shop,
            plan("999", 3, "flat-fee"),
            404,
            "campaign_not_found",
            "plan.campaign_id",
        ),
        (
            &shop,
            plan(&ended, 3, "flat-fee"),
            422,
            "campaign_not_active",
            "plan.campaign_id",
        ),
        (
            &shop,
            plan(&later, 3, "flat-fee"),
            422,
            "campaign_not_active",
            "plan.campaign_id",
        ),
        (
            &shop,
            plan(&mine, 12, "flat-fee"),
            422,
            "campaign_term_not_offered",
            "plan.periods",
        ),
        (
            &shop,
            plan(&mine, 3, "annuity"),
            422,
            "campaign_term_not_offered",
            "plan.method",
        ),
        (
            &shop,
            plan(&mine, 5, "flat-fee"),
            422,
            "term_not_offered",
            "plan.periods",
        ),
        (&shop, plan("x1", 3, "flat-fee"), 400, "invalid_id", "plan.campaign_id"),
        (
            &shop,
            json!({"amount_fen": 10_000, "plan": {"periods": 3, "method": "flat-fee", "rate": "0%"}}),
            422,
            "campaign_rate_not_allowed",
            "plan.rate",
        ),
        (
            &shop,
            json!({"amount_fen": 10_000, "plan": {"periods": 3, "method": "flat-fee", "campaign_id": mine, "rate": "0%"}}),
            422,
            "campaign_rate_not_allowed",
            "plan.rate",
        ),
    ];
    for (merchant, body, status, code, field) in refusals {
        let answer = t.pay(merchant, &alice, body.clone()).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (status, code, Some(field)),
            "{body}"
        );
    }
    // Nothing was held by the refusals.
    let balances = t.get(&alice.auth(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(balances.fen("held_fen"), 0);

    // A bill's installments name no campaign.
    let install = t
        .post(
            &alice.auth(),
            &format!("/v1/customers/{}/statements/1/installments", alice.id),
            json!({"periods": 3, "method": "flat-fee", "campaign_id": mine}),
        )
        .await;
    assert_eq!((install.status, install.code()), (404, "campaign_not_found"));

    // Campaigns survive a restart; the ended one stays ended, the running one runs.
    t.restart().await;
    let list = t.get(&operator(), "/v1/campaigns").await;
    let statuses: Vec<&str> = list.body["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "scheduled", "ended"]);
    let ok = t.pay(&shop, &alice, plan(&mine, 3, "flat-fee")).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let refused = t.pay(&shop, &alice, plan(&ended, 3, "flat-fee")).await;
    assert_eq!(refused.code(), "campaign_not_active");

    // After its last day a campaign no longer runs (the customer's token refreshed on the way).
    t.advance_to("2026-03-20T10:00:00+08:00").await;
    let refresh = format!("/v1/customers/{}/token/refresh", alice.id);
    assert_eq!(t.post(&alice.auth(), &refresh, json!({})).await.status, 200);
    t.advance_to("2026-04-01T10:00:00+08:00").await;
    let expired = t.pay(&shop, &alice, plan(&mine, 3, "flat-fee")).await;
    assert_eq!(expired.code(), "campaign_not_active");
    let started = t.pay(&shop, &alice, plan(&later, 3, "flat-fee")).await;
    assert_eq!(started.status, 201, "{}", started.text);
}

#[tokio::test]
async fn campaigns_are_checked_and_only_their_managers_make_them() {
    let t = TestServer::start().await;
    let shop = merchant_in(&t, "Phone Shop", "electronics").await;
    let good = campaign("ok", ("merchant_id", &shop.id), 6_000, json!({"by": "customer"}));
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let mut both = with("category", json!("electronics"));
    both["merchant_id"] = json!(shop.id);
    let mut two_rates = with("rate", json!("0.6%"));
    two_rates["rate_ppm"] = json!(6_000);
    let cases = [
        (both, 400, "invalid_field", "merchant_id"),
        (
            with("merchant_id", json!("99")),
            404,
            "merchant_not_found",
            "merchant_id",
        ),
        (with("terms", json!([5])), 400, "invalid_field", "terms"),
        (with("terms", json!([3, 3])), 400, "invalid_field", "terms"),
        (with("terms", json!([])), 400, "invalid_field", "terms"),
        (with("methods", json!([])), 400, "invalid_field", "methods"),
        (with("rate_ppm", json!(1_000_000)), 400, "invalid_field", "rate_ppm"),
        (two_rates, 400, "invalid_field", "rate"),
        (with("ends_on", json!("2026-02-28")), 400, "invalid_field", "ends_on"),
        (with("starts_on", json!("March 1")), 400, "invalid_field", "starts_on"),
        (
            with("fee_paid_by", json!({"by": "split"})),
            400,
            "invalid_field",
            "fee_paid_by",
        ),
        (
            with("fee_paid_by", json!({"by": "split", "merchant_share_ppm": 1_000_000})),
            400,
            "invalid_field",
            "fee_paid_by",
        ),
        (
            with("fee_paid_by", json!({"by": "bank"})),
            400,
            "invalid_field",
            "fee_paid_by",
        ),
    ];
    for (body, status, code, field) in cases {
        let answer = t.post(&operator(), "/v1/campaigns", body.clone()).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (status, code, Some(field)),
            "{body}"
        );
    }
    let mut bad_rate = good.clone();
    bad_rate.as_object_mut().unwrap().remove("rate_ppm");
    bad_rate["rate"] = json!("0.00001%");
    let answer = t.post(&operator(), "/v1/campaigns", bad_rate).await;
    assert_eq!((answer.code(), answer.field()), ("invalid_field", Some("rate")));
    let category = t
        .post(
            &operator(),
            "/v1/merchants",
            json!({"name": "X", "category": "weapons"}),
        )
        .await;
    assert_eq!((category.code(), category.field()), ("invalid_field", Some("category")));

    // Who may: a credit officer and an admin; not support, a merchant or a customer.
    let support = t.operator_with("support", &["support"]).await;
    let refused = t.post(&support, "/v1/campaigns", good.clone()).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let refused = t.post(&shop.auth(), "/v1/campaigns", good.clone()).await;
    assert!(refused.status == 401 || refused.status == 403, "{}", refused.text);
    let admin = t.operator_with("admin", &["admin"]).await;
    let id = create(&t, &admin, good.clone()).await;
    let list = t.get(&admin, "/v1/campaigns").await;
    let listed = &list.body["campaigns"][0];
    assert_eq!(listed["campaign_id"], id.as_str());
    assert_eq!(
        (listed["rate_ppm"].as_u64(), listed["rate"].as_str()),
        (Some(6_000), Some("0.6%"))
    );
    assert_eq!(listed["merchant_id"], shop.id.as_str());
    let unknown = t.post(&admin, "/v1/campaigns/77/end", json!({})).await;
    assert_eq!((unknown.status, unknown.code()), (404, "campaign_not_found"));
}

#[tokio::test]
async fn a_line_an_operator_opens_at_a_tier_pays_the_tiers_rate() {
    let mut t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let opened = t
        .post_until_taken(
            &operator(),
            "/v1/customers",
            json!({"limit_fen": 1_000_000, "billing_day": 5, "price_tier": "A"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    assert_eq!(opened.body["price_tier"], json!({"name": "A", "fee_rate_ppm": 3_000}));
    let alice = crate::harness::Customer {
        id: opened.str("customer_id"),
        token: opened.str("token"),
    };
    let seen = t.get(&operator(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(seen.body["price_tier"], json!({"name": "A", "fee_rate_ppm": 3_000}));

    let paid = t
        .pay(
            &shop,
            &alice,
            json!({"amount_fen": 120_000, "plan": {"periods": 6, "method": "flat-fee"}}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    assert_eq!(paid.body["plan"]["fee_rate_ppm"], 3_000);
    assert_eq!(paid.body["plan"]["campaign"], Value::Null);
    let plan = captured_plan(&t, &shop, &alice, &paid.str("txn_id"), 120_000).await;
    assert_eq!(periods_of(&plan), flat_fee(120_000, 6, 3_000));
    // The tier is journaled with the line: a restart (replay) keeps it.
    t.restart().await;
    let seen = t.get(&operator(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(seen.body["price_tier"], json!({"name": "A", "fee_rate_ppm": 3_000}));

    // A line without a tier pays the product's 0.50%.
    let bob = t.open_customer(1_000_000, 5).await;
    let paid = t
        .pay(
            &shop,
            &bob,
            json!({"amount_fen": 120_000, "plan": {"periods": 6, "method": "flat-fee"}}),
        )
        .await;
    assert_eq!(paid.body["plan"]["fee_rate_ppm"], 5_000);
    let plan = captured_plan(&t, &shop, &bob, &paid.str("txn_id"), 120_000).await;
    assert_eq!(periods_of(&plan), flat_fee(120_000, 6, 5_000));

    let unknown = t
        .post(
            &operator(),
            "/v1/customers",
            json!({"limit_fen": 1_000_000, "billing_day": 5, "price_tier": "Z"}),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code(), unknown.field()),
        (422, "unknown_price_tier", Some("price_tier"))
    );
}

#[tokio::test]
async fn a_merchant_subsidized_campaign_charges_the_customer_only_their_share() {
    let t = TestServer::start().await;
    let shop = merchant_in(&t, "Phone Shop", "electronics").await;
    let officer = t.operator_with("officer", &["credit_officer"]).await;
    let rate = 6_000;
    let by_merchant = campaign("0% to you", ("merchant_id", &shop.id), rate, json!({"by": "merchant"}));
    let by_merchant = create(&t, &officer, by_merchant).await;
    let split = json!({"by": "split", "merchant_share_ppm": 333_333});
    let split = create(&t, &officer, campaign("shared", ("merchant_id", &shop.id), rate, split)).await;
    let alice = t.open_customer(1_000_000, 5).await;

    // The merchant pays it all: the customer's plan is interest-free.
    let body = json!({"amount_fen": 90_000, "plan": {"periods": 3, "method": "flat-fee", "campaign_id": by_merchant}});
    let paid = t.pay(&shop, &alice, body).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let used = &paid.body["plan"]["campaign"];
    assert_eq!(
        (used["rate_ppm"].as_u64(), used["customer_rate_ppm"].as_u64()),
        (Some(6_000), Some(0))
    );
    assert_eq!(used["merchant_rate_ppm"], 6_000);
    let plan = captured_plan(&t, &shop, &alice, &paid.str("txn_id"), 90_000).await;
    assert_eq!(periods_of(&plan), flat_fee(90_000, 3, 0));
    assert_eq!(plan["apr"], "0.000000");

    // Split: the customer's share is 6,000 x (1 - 0.333333) = 4,000.002 -> 4,000 ppm (down).
    let body = json!({"amount_fen": 90_000, "plan": {"periods": 3, "method": "flat-fee", "campaign_id": split}});
    let paid = t.pay(&shop, &alice, body).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let used = &paid.body["plan"]["campaign"];
    assert_eq!(
        (used["customer_rate_ppm"].as_u64(), used["merchant_rate_ppm"].as_u64()),
        (Some(4_000), Some(2_000))
    );
    let plan = captured_plan(&t, &shop, &alice, &paid.str("txn_id"), 90_000).await;
    assert_eq!(periods_of(&plan), flat_fee(90_000, 3, 4_000));
    assert_eq!(plan["fee_rate_ppm"], 4_000);
}
