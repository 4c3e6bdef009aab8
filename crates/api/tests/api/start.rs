//! Starting the server: a first start that cannot listen (the port is in use) creates nothing,
//! so the admin token the next start generates is the one that works (issue 14, item 10); and
//! the store is the binary's choice, seen only through the store's traits (item 2).

use std::sync::Arc;

use api::{ServeError, Server};
use engine::ManualClock;

use store::Backend;

use crate::harness::{TestServer, config, engine_config, start_at};

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

/// The API sees stores only through `store::Backend`: the same server runs on the memory
/// store, answers a payment, and finds it again after a restart on that store.
#[tokio::test]
async fn the_api_runs_on_the_memory_store_and_restarts_on_it() {
    let memory = store::memory::MemoryBackend::new();
    let mut t = TestServer::start_on(api::StoreChoice::open_now(Arc::new(memory.clone()))).await;
    let shop = t.register_merchant("Corner Shop").await;
    let alice = t.open_customer(1_000_000, 5).await;
    let code = t.payment_code(&alice).await;
    let paid = t
        .post(
            &shop.auth(),
            "/v1/payments",
            serde_json::json!({"payment_code": code, "amount_fen": 300_000}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let txn = paid.str("txn_id");
    assert!(!t.dir.path().join("journal.db").exists(), "nothing went to SQLite");

    t.restart().await;
    let again = t.get(&shop.auth(), &format!("/v1/payments/{txn}")).await;
    assert_eq!(again.str("status"), "open", "{}", again.text);
    assert_eq!(again.fen("amount_fen"), 300_000);
    assert!(
        memory.journal().unwrap().last_seq(0).unwrap() + memory.journal().unwrap().last_seq(1).unwrap() > 0,
        "the journal is the memory store's"
    );
}
