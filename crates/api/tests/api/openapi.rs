//! The OpenAPI document: the server serves exactly the one generated from the code, and the
//! repository's `openapi.json` is that document (`UPDATE_OPENAPI=1` rewrites it); API.md's
//! error codes and metrics are the code's tables (`UPDATE_API_MD=1` rewrites them).

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

/// The lines of API.md that open and close the generated table of error codes.
const CODES_BEGIN: &str = "<!-- error codes: generated from crates/api/src/http/error/code.rs (UPDATE_API_MD=1 cargo test -p api --test api error_codes) -->\n";
const CODES_END: &str = "<!-- error codes: end -->\n";

#[test]
fn the_error_codes_in_api_md_are_the_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("API.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let begin = text
        .find(CODES_BEGIN)
        .expect("API.md has the error codes' opening marker")
        + CODES_BEGIN.len();
    let end = text
        .find(CODES_END)
        .expect("API.md has the error codes' closing marker");
    let generated = api::error_codes_markdown();
    if std::env::var_os("UPDATE_API_MD").is_some() {
        let updated = format!("{}{generated}{}", &text[..begin], &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        text[begin..end] == generated,
        "API.md's error codes are stale: run `UPDATE_API_MD=1 cargo test -p api --test api error_codes` and commit it"
    );
}

/// The lines of API.md that open and close the generated table of metrics.
const METRICS_BEGIN: &str = "<!-- metrics: generated from crates/api/src/telemetry.rs (UPDATE_API_MD=1 cargo test -p api --test api metrics_in_api_md) -->\n";
const METRICS_END: &str = "<!-- metrics: end -->\n";

#[test]
fn the_metrics_in_api_md_are_the_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("API.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let begin = text
        .find(METRICS_BEGIN)
        .expect("API.md has the metrics' opening marker")
        + METRICS_BEGIN.len();
    let end = text.find(METRICS_END).expect("API.md has the metrics' closing marker");
    let generated = api::metrics_markdown();
    if std::env::var_os("UPDATE_API_MD").is_some() {
        let updated = format!("{}{generated}{}", &text[..begin], &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        text[begin..end] == generated,
        "API.md's metrics are stale: run `UPDATE_API_MD=1 cargo test -p api --test api metrics_in_api_md` and commit it"
    );
}
