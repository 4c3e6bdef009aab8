//! `iou serve` end to end: the binary starts on a free port, prints its address and the
//! generated admin token, answers HTTP, and exits cleanly on SIGTERM; a second start on the
//! same data directory prints no new token and the first one still works. The same on
//! PostgreSQL (`--store`, when `IOU_TEST_POSTGRES_URL` is set), and a start whose PostgreSQL
//! cannot be reached retries, then exits non-zero without ever listening.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Running {
    child: Child,
    addr: String,
    token: Option<String>,
}

fn start(data: &std::path::Path) -> Running {
    start_with(data, &["--partitions", "2"])
}

fn start_with(data: &std::path::Path, flags: &[&str]) -> Running {
    let data = data.to_str().expect("a UTF-8 temporary path");
    start_on(&["--data", data], flags)
}

/// `iou serve` with `store` (`--data DIR` or `--store URL`) and `flags`.
fn start_on(store: &[&str], flags: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(flags)
        .args(store)
        .env_remove("IOU_ADMIN_TOKEN")
        .env_remove("IOU_STORE")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("iou serve starts");
    let received = crate::child::stdout_lines(&mut child);
    let addr = crate::child::first_line_after(&received, "listening on http://");
    let token = received
        .recv_timeout(Duration::from_millis(500))
        .ok()
        .and_then(|line| line.strip_prefix("admin token: ").map(str::to_owned));
    Running { child, addr, token }
}

/// One HTTP/1.1 request over a plain socket; returns the status line and the body.
fn http(addr: &str, request: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn stop(mut running: Running) {
    let pid = running.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let status = running.child.wait().expect("iou serve exits");
    assert!(status.success(), "iou serve exited with {status}");
}

#[test]
fn serve_answers_http_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    serves_and_restarts(&|| start(data.path()));
}

/// The same on PostgreSQL, in a fresh schema.
#[test]
fn serve_on_postgres_answers_http_and_restarts() {
    let Some(db) = store::conformance::postgres::fresh("cli::serve::serve_on_postgres_answers_http_and_restarts")
    else {
        return;
    };
    let url = db.schema_url();
    serves_and_restarts(&|| start_on(&["--store", &url], &["--partitions", "2"]));
}

/// Nothing listens on port 1: the start retries for `--store-wait`, says why it gave up, and
/// exits non-zero without printing `listening on` (it never served a request).
#[test]
fn serve_on_unreachable_postgres_retries_then_exits() {
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(["serve", "--listen", "127.0.0.1:0", "--store-wait", "2"])
        .args(["--store", "postgres://iou:secret@127.0.0.1:1/iou"])
        .env("RUST_LOG", "off")
        .output()
        .expect("iou serve runs");
    assert!(!output.status.success(), "{:?}", output.status);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(!stdout.contains("listening on"), "{stdout}");
    assert!(stderr.contains("retrying in"), "{stderr}");
    assert!(stderr.contains("gave up after"), "{stderr}");
    assert!(stderr.contains("postgres://iou@127.0.0.1:1/iou"), "{stderr}");
    assert!(!stderr.contains("secret"), "the password is never shown: {stderr}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// Starts, answers HTTP, registers a merchant with the printed token, stops; the second
/// start shows no token and the first still works.
fn serves_and_restarts(start: &dyn Fn() -> Running) {
    let running = start();
    let (status, body) = http(
        &running.addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("\"ok\""), "{body}");
    let token = running.token.clone().expect("the first start prints the admin token");
    let register = |addr: &str, token: &str| {
        let body = r#"{"name":"Shop"}"#;
        let request = format!(
            "POST /v1/merchants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: k1\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        http(addr, &request)
    };
    let (status, body) = register(&running.addr, &token);
    assert!(status.contains("201"), "{status} {body}");
    settles(&running.addr, &token);
    stop(running);

    let again = start();
    assert_eq!(again.token, None, "the token is shown once");
    let (status, body) = register(&again.addr, &token);
    assert!(status.contains("201"), "the stored token still works: {status} {body}");
    stop(again);
}

/// The store keeps settlement's tables (SQLite's `settlement.db`, PostgreSQL's migration 3): a
/// pricing rule is added and read back, and a run through a past day answers (nothing to
/// settle) instead of "unsupported".
fn settles(addr: &str, token: &str) {
    let post = |path: &str, key: &str, body: &str| {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: {key}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        http(addr, &request)
    };
    let rule = r#"{"effective_from":"2099-01-01","discount_ppm":6543,"fixed_fee_fen":0}"#;
    let (status, body) = post("/v1/settlement/prices", "p1", rule);
    assert!(status.contains("201"), "{status} {body}");
    let (status, body) = http(
        addr,
        &format!(
            "GET /v1/settlement/prices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(status.contains("200") && body.contains("6543"), "{status} {body}");
    let (status, body) = post("/v1/settlement/runs", "r1", r#"{"date":"2020-01-02"}"#);
    assert!(status.contains("200"), "{status} {body}");
    assert!(body.contains("\"merchant_days\":0"), "{body}");
}

#[test]
fn a_store_is_served_with_the_partition_count_it_was_created_with() {
    let data = tempfile::tempdir().unwrap();
    stop(start_with(data.path(), &["--partitions", "3"]));
    // No flag: the store's own count.
    let again = start_with(data.path(), &[]);
    let (status, _) = http(
        &again.addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(status.contains("200"), "{status}");
    stop(again);
    // Another count is refused, naming both.
    let output = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(["serve", "--listen", "127.0.0.1:0", "--partitions", "8", "--data"])
        .arg(data.path())
        .env("RUST_LOG", "off")
        .output()
        .expect("iou serve runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("created with 3") && stderr.contains("not 8"),
        "{stderr}"
    );
}
