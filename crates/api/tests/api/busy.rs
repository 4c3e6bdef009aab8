//! Back-pressure: when a partition's queue is full the API answers 503 `busy` with
//! `Retry-After: 1`, and every call it did take is applied exactly once.

use std::sync::Arc;

use engine::EngineConfig;
use serde_json::json;

use crate::harness::{TestServer, engine_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_busy_with_retry_after_and_loses_nothing() {
    let config = EngineConfig {
        partitions: 1,
        queue_capacity: 1,
        batch_max: 1,
        ..engine_config()
    };
    let t = Arc::new(TestServer::start_with(config).await);
    let alice = t.open_customer(100_000, 5).await;
    t.card_on_file(&alice).await;
    let path = format!("/v1/customers/{}/repayments", alice.id);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..300 {
        let (t, auth, path) = (t.clone(), alice.auth(), path.clone());
        calls.spawn(async move { t.post(&auth, &path, json!({"amount_fen": 1})).await });
    }
    let (mut taken, mut busy) = (0, 0);
    while let Some(answer) = calls.join_next().await {
        let answer = answer.unwrap();
        match answer.status {
            202 => taken += 1,
            503 => {
                assert_eq!((answer.code(), answer.retry_after.as_deref()), ("busy", Some("1")));
                busy += 1;
            }
            other => panic!("{other}: {}", answer.text),
        }
    }
    assert!(busy > 0, "the queue never filled");
    let balances = t.get(&alice.auth(), &format!("/v1/customers/{}", alice.id)).await;
    assert_eq!(
        balances.fen("credit_balance_fen"),
        taken,
        "every taken repayment applied once"
    );
}
