//! The OpenAPI document: the server serves exactly the one generated from the code, and the
//! repository's `openapi.json` is that document (`UPDATE_OPENAPI=1` rewrites it).

use crate::harness::{Auth, TestServer};

#[tokio::test]
async fn the_served_and_checked_in_documents_are_the_generated_one() {
    let generated = api::openapi_json();
    let t = TestServer::start().await;
    let served = t.get(&Auth::None, "/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.text, generated);

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p api` and commit it"
    );
}
