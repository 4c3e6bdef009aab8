//! Credit applications over HTTP: approve (the line is usable with the token it returns),
//! decline with scorecard reasons, review and an analyst's approval, duplicate ID numbers
//! however written (answered exactly as a fresh application in review is), invalid fields, who
//! may read an application, the per-IP limit, and records surviving a restart. The server runs
//! the shipped risk rules; identity is the simulator; the test client stands for the edge proxy
//! (127.0.0.1 is a trusted proxy, so `X-Forwarded-For` names the applicant's address).

use std::sync::Arc;

use engine::{EngineConfig, RiskShared};
use serde_json::{Value, json};

use crate::harness::{Auth, Customer, TestServer, engine_config, operator};

/// The simulator's card that verifies with any name, ID number and mobile.
const CARD: &str = "6222020000000015";

pub(crate) async fn server() -> TestServer {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let rules = engine::rules_dir::load_dir(&dir, risk::EvaluatorChoice::Auto).unwrap();
    let shared = RiskShared::new(
        Arc::new(risk::RuleSetCell::new(Arc::new(rules))),
        risk::FeatureConfig::default(),
    );
    let edge = api::EdgeConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..crate::harness::test_edge()
    };
    let engine = EngineConfig {
        risk: Some(Arc::new(shared)),
        ..engine_config()
    };
    TestServer::start_with_edge(engine, api::RiskOptions::default(), edge).await
}

pub(crate) fn good_file() -> Value {
    json!({
        "employment_years": 10, "housing": "owner", "marital_status": "married",
        "adverse_records": false, "employment": "fixed", "monthly_expenses_fen": 200_000,
        "assets_fen": 30_000_000, "debt_fen": 0, "planned_term_months": 12, "purchase_price_fen": 6_000_000
    })
}

fn bad_file() -> Value {
    json!({
        "employment_years": 0, "housing": "rent", "marital_status": "single",
        "adverse_records": true, "employment": "part_time", "monthly_expenses_fen": 500_000,
        "assets_fen": 0, "debt_fen": 2_000_000, "planned_term_months": 60, "purchase_price_fen": 9_000_000
    })
}

/// An application body: the monthly income and the requested limit in fen.
pub(crate) fn application(id: &str, file: Value, income_fen: i64, requested_fen: i64) -> Value {
    json!({
        "applicant": {
            "name": "张伟", "id_number": id, "mobile": "13812345678", "bank_card": CARD,
            "reserved_mobile": "13812345678", "face_reference": "face-ok",
            "ocr": {"name": "张伟", "id_number": id, "valid_until": "2031-01-01"},
            "declared_monthly_income_fen": income_fen, "requested_limit_fen": requested_fen,
            "credit_file": file
        },
        "device": {"device_id": format!("device-{}", id.trim()), "lat_micro": 39904200, "lon_micro": 116407400}
    })
}

pub(crate) async fn apply(t: &TestServer, body: &Value, ip: &str) -> crate::harness::Answer {
    let bytes = serde_json::to_vec(body).unwrap();
    t.send(
        &Auth::None,
        "POST",
        "/v1/applications",
        &bytes,
        None,
        &[("x-forwarded-for", ip)],
    )
    .await
}

fn reasons(body: &Value) -> Vec<String> {
    body["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_approved_applicant_gets_a_usable_line_and_a_token() {
    let t = server().await;
    let answer = apply(
        &t,
        &application("110105199003151001", good_file(), 1_000_000, 2_000_000),
        "58.1.1.1",
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let body = answer.ok();
    assert_eq!(body["outcome"], "approved");
    assert_eq!(body["limit_fen"], 2_000_000);
    assert_eq!(body["tier"], json!({"name": "A", "rate_ppm": 3000}));
    let customer = Customer {
        id: answer.str("customer_id"),
        token: answer.str("token"),
    };
    let line = t.get(&customer.auth(), &format!("/v1/customers/{}", customer.id)).await;
    assert_eq!(line.fen("limit_fen"), 2_000_000, "{}", line.text);
    assert_eq!(line.fen("available_fen"), 2_000_000);
    let path = format!("/v1/applications/{}", answer.str("application_id"));
    let own = t.get(&customer.auth(), &path).await;
    assert_eq!((own.status, own.str("status")), (200, "approved".to_owned()));
    let seen = t.get(&operator(), &path).await;
    assert_eq!(seen.ok()["score"]["band"], "A");
    assert_eq!(seen.str("id_number"), "1101**********1001", "masked");
    assert_eq!(t.get(&Auth::None, &path).await.status, 401);
}

#[tokio::test]
async fn a_bad_file_is_declined_with_the_reasons() {
    let t = server().await;
    let answer = apply(
        &t,
        &application("110105198806201004", bad_file(), 300_000, 8_000_000),
        "58.1.1.2",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.ok();
    assert_eq!(body["outcome"], "declined");
    let reasons = reasons(body);
    assert!(reasons.contains(&"CREDIT_PD_HIGH".to_owned()), "{reasons:?}");
    let scorecard: Vec<_> = reasons.iter().filter(|r| r.starts_with("SCORE_")).collect();
    assert_eq!(scorecard.len(), 3, "the three costliest features: {reasons:?}");
    assert!(reasons.contains(&"SCORE_ADVERSE_RECORDS".to_owned()), "{reasons:?}");
    assert_eq!(body["customer_id"], Value::Null);
    assert_eq!(body["token"], Value::Null);
}

#[tokio::test]
async fn a_review_waits_for_an_analyst_who_approves_it() {
    let mut t = server().await;
    let mut file = good_file();
    file["housing"] = json!("rent");
    file["employment"] = json!("part_time");
    file["employment_years"] = json!(1);
    file["assets_fen"] = json!(0);
    let answer = apply(
        &t,
        &application("110105198501011007", file, 600_000, 2_000_000),
        "58.1.1.3",
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    assert_eq!(answer.ok()["outcome"], "review");
    assert_eq!(
        reasons(answer.ok()),
        Vec::<String>::new(),
        "the reasons are the analyst's"
    );
    assert_eq!(answer.ok()["limit_fen"], Value::Null, "the proposal is for the analyst");
    let id = answer.str("application_id");
    let record = t.get(&operator(), &format!("/v1/applications/{id}")).await;
    assert!(
        reasons(record.ok()).contains(&"CREDIT_PD_ELEVATED".to_owned()),
        "{}",
        record.text
    );

    let queue = t.get(&operator(), "/v1/applications?status=review").await;
    let listed: Vec<_> = queue.ok()["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["application_id"].clone())
        .collect();
    assert_eq!(listed, [json!(id)]);
    assert_eq!(queue.ok()["applications"][0]["limit_fen"], 600_000, "the proposal");

    t.restart().await;
    let approve = format!("/v1/applications/{id}/approve");
    let approved = t.post_keyed(&operator(), &approve, json!({}), "approve-1").await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.str("status"), "approved");
    // A retry of the approval: the stored answer, without a second token.
    let retry = t.post_keyed(&operator(), &approve, json!({}), "approve-1").await;
    assert_eq!((retry.status, retry.replayed), (200, true));
    assert_eq!(
        (&retry.body["token"], &retry.body["token_issued"]),
        (&Value::Null, &json!(false))
    );
    let customer = Customer {
        id: approved.str("customer_id"),
        token: approved.str("token"),
    };
    let line = t.get(&customer.auth(), &format!("/v1/customers/{}", customer.id)).await;
    assert_eq!(line.fen("limit_fen"), 600_000);
    let again = t
        .post(&operator(), &format!("/v1/applications/{id}/approve"), json!({}))
        .await;
    assert_eq!((again.status, again.code()), (409, "application_not_in_review"));
}

#[tokio::test]
async fn one_id_number_gets_one_line_however_it_is_written() {
    let t = server().await;
    let first = apply(
        &t,
        &application("11010519900315101X", good_file(), 1_000_000, 2_000_000),
        "58.1.1.4",
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    for (n, id) in ["11010519900315101x", " 11010519900315101X "].into_iter().enumerate() {
        let again = apply(
            &t,
            &application(id, good_file(), 1_000_000, 3_000_000),
            &format!("58.1.2.{n}"),
        )
        .await;
        assert_eq!(
            (again.status, again.ok()["outcome"].as_str()),
            (202, Some("review")),
            "{}",
            again.text
        );
        let id = again.str("application_id");
        let record = t.get(&operator(), &format!("/v1/applications/{id}")).await;
        assert_eq!(record.str("outcome"), "duplicate", "the operator sees the real outcome");
        assert_eq!(reasons(record.ok()), ["LINE_EXISTS"]);
    }
}

/// Issue 13: the answer told anyone whether an ID number had a line (409
/// duplicate_application). Now an ID number with a line and a fresh one in review get the same
/// status and the same body but for the application id.
#[tokio::test]
async fn an_id_number_with_a_line_and_a_fresh_one_get_indistinguishable_answers() {
    let t = server().await;
    let customer_id = "11010519900315101X";
    let approved = apply(
        &t,
        &application(customer_id, good_file(), 1_000_000, 2_000_000),
        "58.1.3.1",
    )
    .await;
    assert_eq!(approved.status, 201, "{}", approved.text);
    let mut review_file = good_file();
    review_file["housing"] = json!("rent");
    review_file["employment"] = json!("part_time");
    review_file["employment_years"] = json!(1);
    review_file["assets_fen"] = json!(0);
    let fresh = apply(
        &t,
        &application("110105198501011007", review_file.clone(), 600_000, 2_000_000),
        "58.1.3.2",
    )
    .await;
    let asked = std::time::Instant::now();
    let existing = apply(
        &t,
        &application(customer_id, review_file, 600_000, 2_000_000),
        "58.1.3.3",
    )
    .await;
    assert!(
        asked.elapsed() >= std::time::Duration::from_millis(250),
        "a duplicate is not answered sooner than a review can be"
    );
    assert_eq!(fresh.status, existing.status, "{} / {}", fresh.text, existing.text);
    let public = |answer: &crate::harness::Answer| {
        let mut body = answer.body.clone();
        assert!(
            body["application_id"].as_str().is_some_and(|id| !id.is_empty()),
            "{}",
            answer.text
        );
        body["application_id"] = Value::Null;
        body
    };
    assert_eq!(public(&fresh), public(&existing));
    assert_eq!(
        fresh.text.len(),
        existing.text.len(),
        "{} / {}",
        fresh.text,
        existing.text
    );
    // Operators still see which was which.
    for (answer, outcome) in [(&fresh, "review"), (&existing, "duplicate")] {
        let id = answer.str("application_id");
        let record = t.get(&operator(), &format!("/v1/applications/{id}")).await;
        assert_eq!(record.str("outcome"), outcome);
    }
}

#[tokio::test]
async fn a_field_that_does_not_parse_is_named() {
    let t = server().await;
    let mut body = application("110105199211111004", good_file(), 1_000_000, 2_000_000);
    body["applicant"]["id_number"] = json!("110105199211111005");
    let answer = apply(&t, &body, "58.1.1.5").await;
    assert_eq!(
        (answer.status, answer.code(), answer.field()),
        (400, "invalid_field", Some("applicant.id_number"))
    );
    let mut body = application("110105199211111004", good_file(), 1_000_000, 2_000_000);
    body["applicant"]["credit_file"]["housing"] = json!("castle");
    let answer = apply(&t, &body, "58.1.1.5").await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.field(), Some("applicant.credit_file.housing"));
}

#[tokio::test]
async fn application_amounts_are_integer_fen_like_every_other_route() {
    let t = server().await;
    // Yuan text (the old form) is refused, naming the field.
    let mut body = application("110105199211111004", good_file(), 1_000_000, 2_000_000);
    body["applicant"]["requested_limit_fen"] = json!("20000.00");
    let answer = apply(&t, &body, "58.1.1.6").await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.field(), Some("applicant.requested_limit_fen"));
    // A negative amount is refused with its path.
    let mut body = application("110105199211111004", good_file(), 1_000_000, 2_000_000);
    body["applicant"]["credit_file"]["debt_fen"] = json!(-1);
    let answer = apply(&t, &body, "58.1.1.6").await;
    assert_eq!(
        (answer.status, answer.code(), answer.field()),
        (400, "invalid_field", Some("applicant.credit_file.debt_fen"))
    );
    // The limit asked for in fen is the limit granted in fen.
    let body = application("110105199211111004", good_file(), 1_000_000, 1_500_000);
    let answer = apply(&t, &body, "58.1.1.6").await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.ok()["limit_fen"], 1_500_000);
}

#[tokio::test]
async fn one_address_may_send_so_many_applications_an_hour() {
    let t = server().await;
    let garbage = json!({"applicant": {}});
    let limit = 20; // `routes::applications::limiter::PER_IP_PER_HOUR`
    for _ in 0..limit {
        assert_eq!(apply(&t, &garbage, "58.9.9.9").await.status, 400);
    }
    let refused = apply(&t, &garbage, "58.9.9.9").await;
    assert_eq!((refused.status, refused.code()), (429, "rate_limited"));
    assert_eq!(
        apply(&t, &garbage, "58.9.9.10").await.status,
        400,
        "another address is counted apart"
    );
    t.clock.advance(jiff::SignedDuration::from_hours(1));
    assert_eq!(
        apply(&t, &garbage, "58.9.9.9").await.status,
        400,
        "the next hour starts afresh"
    );
}

/// A customer whose line was opened by an approved application reports a theft; the operator
/// confirms: the purchase is exempt (before, the exemption's history lacked the line's opening
/// and was refused for every onboarded customer).
#[tokio::test]
async fn an_approved_applicant_s_confirmed_theft_is_exempt() {
    let t = server().await;
    let answer = apply(
        &t,
        &application("110105199003151001", good_file(), 1_000_000, 2_000_000),
        "58.1.1.3",
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let customer = Customer {
        id: answer.str("customer_id"),
        token: answer.str("token"),
    };
    let merchant = t.register_merchant("Thief Shop").await;
    // The customer pays from the phone it applied with (a code from another device minutes
    // after the application is `UNSEEN_DEVICE`, a liveness challenge).
    let path = format!("/v1/customers/{}/payment-codes", customer.id);
    let risk = json!({"risk": {"device_id": "device-110105199003151001"}});
    let code = t.post(&customer.auth(), &path, risk).await;
    assert_eq!(code.status, 201, "{}", code.text);
    let body = json!({"payment_code": code.str("payment_code"), "amount_fen": 150_000});
    let paid = t.post(&merchant.auth(), "/v1/payments", body).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let txn = paid.str("txn_id");
    let capture = format!("/v1/payments/{txn}/capture");
    let captured = t.post(&merchant.auth(), &capture, json!({"amount_fen": 150_000})).await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    let report_path = format!("/v1/customers/{}/theft-reports", customer.id);
    let report = t.post(&customer.auth(), &report_path, json!({"txn_ids": [txn]})).await;
    assert_eq!(report.status, 201, "{}", report.text);
    let resolve = format!("/v1/cases/{}/resolve", report.str("case_id"));
    let confirmed = t.post(&operator(), &resolve, json!({"confirm": true})).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.ok()["status"], "confirmed");
    let balances = t.get(&customer.auth(), &format!("/v1/customers/{}", customer.id)).await;
    let owed = balances.fen("principal_billed_fen") + balances.fen("principal_unbilled_fen");
    assert_eq!(owed, 0, "the victim owes nothing: {}", balances.text);
}

/// Issue 13 item 6: onboarding keeps the applicant's identity for the approved customer, so
/// step-up works (it answered `identity_not_on_file`) and repayments draw on the verified card.
#[tokio::test]
async fn a_customer_approved_by_onboarding_can_step_up_and_repay_from_the_verified_card() {
    let t = server().await;
    let answer = apply(
        &t,
        &application("110105199003151001", good_file(), 1_000_000, 2_000_000),
        "58.1.1.2",
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let customer = Customer {
        id: answer.str("customer_id"),
        token: answer.str("token"),
    };
    let base = format!("/v1/customers/{}", customer.id);
    let start = t
        .post(
            &customer.auth(),
            &format!("{base}/step-up"),
            json!({"kind": "liveness"}),
        )
        .await;
    assert_eq!(start.status, 201, "{}", start.text);
    let verify = format!("{base}/step-up/{}/verify", start.str("challenge_id"));
    let passed = t.post(&customer.auth(), &verify, json!({"face": "score-950"})).await;
    assert_eq!(passed.status, 200, "{}", passed.text);
    assert!(passed.str("step_up_token").starts_with("su_"));
    let repay = t
        .post(
            &customer.auth(),
            &format!("{base}/repayments"),
            json!({"amount_fen": 1_000}),
        )
        .await;
    assert_eq!(
        (repay.status, repay.str("status")),
        (202, "settled".to_owned()),
        "{}",
        repay.text
    );
}
