//! Simulation mode: off by default (the `/v1/system/*` routes answer 404
//! `simulation_mode_off`); on, the operator moves the clock (never backwards), runs the daily
//! advance, reads accounts whole, and every engine call answers its journaled reply in
//! `Iou-Sim-Reply`. Also the operator's routes the simulator uses on any server: opening a line
//! with a given id at limit 0, setting a credit profile, and a risk checkpoint.

use api::{Server, simulated_providers};
use serde_json::{Value, json};

use crate::harness::{ADMIN, TestServer, config, engine_config, operator, start_at};

#[tokio::test]
async fn the_system_routes_are_404_outside_simulation_mode() {
    let t = TestServer::start().await;
    for (path, body) in [
        ("/v1/system/clock", json!({"at": "2030-01-01T00:00:00Z"})),
        ("/v1/system/advance", json!({})),
    ] {
        let answer = t.post(&operator(), path, body).await;
        assert_eq!((answer.status, answer.code()), (404, "simulation_mode_off"), "{path}");
    }
    let answer = t.get(&operator(), "/v1/system/accounts/1").await;
    assert_eq!((answer.status, answer.code()), (404, "simulation_mode_off"));
    let alice = t.open_customer(100_000, 5).await;
    let answer = t
        .post(&alice.auth(), "/v1/system/clock", json!({"at": "2030-01-01T00:00:00Z"}))
        .await;
    assert_eq!(answer.status, 403, "{}", answer.text);
}

struct Sim {
    server: Server,
    http: reqwest::Client,
    keys: u32,
}

impl Sim {
    async fn post(&mut self, path: &str, body: Value) -> (u16, Value, bool) {
        self.keys += 1;
        let response = self
            .http
            .post(format!("http://{}{path}", self.server.addr()))
            .bearer_auth(ADMIN)
            .header("idempotency-key", format!("k{}", self.keys))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let reply = response.headers().contains_key("iou-sim-reply");
        (status, response.json().await.unwrap(), reply)
    }
}

#[tokio::test]
async fn in_simulation_mode_the_operator_moves_the_clock_and_advances_the_day() {
    let dir = tempfile::tempdir().unwrap();
    let options = api::RiskOptions {
        providers: Some(simulated_providers(1)),
        ..api::RiskOptions::default()
    };
    let server = Server::start_simulated(config(dir.path(), engine_config()), options, start_at())
        .await
        .unwrap();
    let mut sim = Sim {
        server,
        http: reqwest::Client::new(),
        keys: 0,
    };
    let (status, body, _) = sim
        .post(
            "/v1/customers",
            json!({"customer_id": "42", "limit_fen": 0, "billing_day": 3}),
        )
        .await;
    assert_eq!((status, body["customer_id"].as_str()), (201, Some("42")), "{body}");
    let first_statement = body["first_statement"].as_str().unwrap().to_owned();
    let (status, body, reply) = sim
        .post("/v1/customers/42/credit-profile", json!({"pd": 0.04, "score": 610}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(reply, "an engine call answers its reply in the header");
    let (status, body, _) = sim
        .post(
            "/v1/customers/42/checkpoints",
            json!({"checkpoint": "login", "password_ok": true, "risk": {"device_id": "phone-1", "ip": "203.0.113.7"}}),
        )
        .await;
    assert_eq!((status, body["decision"].as_str()), (200, Some("none")), "{body}");
    let (status, body, _) = sim
        .post("/v1/customers/42/checkpoints", json!({"checkpoint": "login"}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("password_ok")),
        "{body}"
    );

    // To the morning after the first statement day, then back: the clock never goes backwards.
    let day_after: jiff::civil::Date = first_statement
        .parse::<jiff::civil::Date>()
        .unwrap()
        .tomorrow()
        .unwrap();
    let at = format!("{day_after}T09:00:00+08:00");
    let (status, body, _) = sim.post("/v1/system/clock", json!({ "at": at })).await;
    let expected: jiff::Timestamp = at.parse().unwrap();
    assert_eq!(
        (status, body["now"].as_str()),
        (200, Some(expected.to_string().as_str())),
        "{body}"
    );
    let (status, body, _) = sim
        .post("/v1/system/clock", json!({"at": "2026-03-02T00:00:00+08:00"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("clock_backwards")),
        "{body}"
    );
    let (status, body, _) = sim.post("/v1/system/advance", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["partitions"], 2);
    // A line that never bought closes no statement: the events are none, encoded as an empty
    // list (statements closed by the advance are proven by `iou simulate --url`'s test).
    assert_eq!(
        (body["events"].as_u64(), body["journal"].as_str()),
        (Some(0), Some("00")),
        "{body}"
    );

    let response = sim
        .http
        .get(format!("http://{}/v1/system/accounts/42", sim.server.addr()))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["journal"].as_str().is_some_and(|j| j.len() > 16), "{body}");
    sim.server.stop().await.unwrap();
}

#[tokio::test]
async fn an_operator_freezes_for_a_reported_theft_and_exempts_the_fraud() {
    let t = TestServer::start().await;
    let shop = t.register_merchant("Shop").await;
    let alice = t.open_customer(100_000, 5).await;
    let paid = t.pay(&shop, &alice, json!({"amount_fen": 30_000})).await;
    let txn = paid.str("txn_id");
    let captured = t
        .post(
            &shop.auth(),
            &format!("/v1/payments/{txn}/capture"),
            json!({"amount_fen": 30_000}),
        )
        .await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    let base = format!("/v1/customers/{}", alice.id);
    let frozen = t
        .post(
            &operator(),
            &format!("{base}/freeze"),
            json!({"reason": "theft_report"}),
        )
        .await;
    assert_eq!(frozen.str("frozen"), "theft_report");
    let empty = t
        .post(&operator(), &format!("{base}/fraud-exemptions"), json!({"txn_ids": []}))
        .await;
    assert_eq!((empty.status, empty.field()), (400, Some("txn_ids")));
    let by_customer = t
        .post(
            &alice.auth(),
            &format!("{base}/fraud-exemptions"),
            json!({"txn_ids": [txn]}),
        )
        .await;
    assert_eq!(by_customer.status, 403);
    let exempted = t
        .post(
            &operator(),
            &format!("{base}/fraud-exemptions"),
            json!({"txn_ids": [txn]}),
        )
        .await;
    assert_eq!(exempted.status, 201, "{}", exempted.text);
    assert_eq!(exempted.fen("fraud_loss_fen"), 30_000);
    let balances = t.get(&operator(), &base).await;
    assert_eq!(balances.fen("principal_unbilled_fen"), 0, "{}", balances.text);
}
