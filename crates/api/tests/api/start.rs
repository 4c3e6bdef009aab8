//! Starting the server: a first start that cannot listen (the port is in use) creates nothing,
//! so the admin token the next start generates is the one that works (issue 14, item 10).

use std::sync::Arc;

use api::{ServeError, Server};
use engine::ManualClock;

use crate::harness::{config, engine_config, start_at};

#[tokio::test]
async fn a_start_on_a_port_in_use_creates_nothing_and_the_next_start_shows_a_working_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let clock = Arc::new(ManualClock::new(start_at()));
    let mut first = config(&data, engine_config());
    first.admin_token = None;
    first.listen = taken.local_addr().unwrap();
    let refused = Server::start(first.clone(), clock.clone()).await;
    assert!(matches!(refused, Err(ServeError::Bind { .. })), "{refused:?}");
    assert!(!data.exists(), "a start that cannot listen creates no store");

    let second = api::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..first
    };
    let server = Server::start(second, clock).await.unwrap();
    let token = server
        .generated_admin_token()
        .expect("the first start that serves generates and shows the admin token")
        .to_owned();
    let answer = reqwest::Client::new()
        .post(format!("http://{}/v1/merchants", server.addr()))
        .bearer_auth(&token)
        .header("Idempotency-Key", "start-1")
        .json(&serde_json::json!({"name": "Shop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201, "{}", answer.text().await.unwrap());
    server.stop().await.unwrap();
}
