//! A thousand authorizations in flight at once against one credit line, over HTTP on the real
//! server (SQLite store): the line's single writer serializes them, so the approvals never add
//! up to more than the credit, and what the customer's account shows held is exactly what was
//! approved. The line (50.00) runs out long before the cap on open holds (64), so the refusals
//! are credit refusals.

use std::sync::Arc;

use serde_json::json;

use crate::harness::TestServer;

const LIMIT_FEN: i64 = 5_000;
const REQUESTS: i64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_authorizations_never_exceed_the_line() {
    let t = Arc::new(TestServer::start().await);
    let shop = Arc::new(t.register_merchant("Busy Shop").await);
    let carol = t.open_customer(LIMIT_FEN, 5).await;
    let link = t
        .post(
            &carol.auth(),
            &format!("/v1/customers/{}/links", carol.id),
            json!({"merchant_id": shop.id}),
        )
        .await
        .str("link_id");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..REQUESTS {
        let (t, shop, link) = (t.clone(), shop.clone(), link.clone());
        tasks.spawn(async move {
            let amount = 150 + i % 50;
            let body = json!({"link_id": link, "amount_fen": amount});
            let key = format!("race-{i}");
            loop {
                let answer = t.post_keyed(&shop.auth(), "/v1/payments", body.clone(), &key).await;
                match answer.status {
                    // A full queue: the same call again, as a client told "retry later" does.
                    503 => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
                    201 => return (amount, true),
                    402 => {
                        assert_eq!(answer.code(), "insufficient_available_credit", "{}", answer.text);
                        return (amount, false);
                    }
                    other => panic!("unexpected {other}: {}", answer.text),
                }
            }
        });
    }
    let (mut approved_fen, mut approved, mut declined) = (0, 0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (amount, true) => {
                approved_fen += amount;
                approved += 1;
            }
            (_, false) => declined += 1,
        }
    }
    assert_eq!(approved + declined, REQUESTS);
    assert!(approved_fen <= LIMIT_FEN, "approved {approved_fen} of {LIMIT_FEN}");
    assert!(approved_fen > LIMIT_FEN - 199, "the line was used up: {approved_fen}");
    let account = t.get(&carol.auth(), &format!("/v1/customers/{}", carol.id)).await;
    assert_eq!(account.fen("held_fen"), approved_fen, "{}", account.text);
    assert_eq!(
        account.fen("available_fen"),
        LIMIT_FEN - approved_fen,
        "{}",
        account.text
    );
}
