//! The demo fills the console (issue 20): `iou simulate --serve`, as README shows it but small,
//! leaves every operator queue the console shows with work in it: theft reports, interceptions
//! at delivery, payments held for review, applications in review, temporary-limit requests and
//! four-eyes approvals. Read through the same JSON routes the console's Queues page calls.
//!
//! Short: README's population (10,000 shoppers) over 12 days instead of 120, with more device
//! farms and cash-out rings than the default (30,40,40 per 10,000 a month) so a short run has
//! the fraud the interception queue is made of.

use std::process::{Command, Stdio};
use std::time::Duration;

const TOKEN: &str = "demo-operator-token-0123456789";

/// The demo, stopped (killed: its data directory is a temp dir) on drop.
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(base: &str, path: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("the demo's server accepts");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert_eq!(&answer[9..12], "200", "{path}: {answer}");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

#[test]
fn after_a_short_demo_every_console_queue_has_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iou"))
        .args([
            "simulate",
            "--serve",
            "--users",
            "10000",
            "--days",
            "12",
            "--theft-reports",
            "800",
            "--attack-rates",
            "30,40,40",
            "--json",
            "--listen",
            "127.0.0.1:0",
            "--data",
        ])
        .arg(dir.path().join("demo"))
        .env("IOU_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("iou simulate --serve starts");
    let lines = crate::child::stdout_lines(&mut child);
    let _demo = Demo(child);
    const SERVING: &str = "the iou API is serving the simulated store at ";
    let mut figures = serde_json::Value::Null;
    let base = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(900))
            .expect("the demo finishes its simulation and serves");
        if line.starts_with('{') {
            figures = serde_json::from_str(&line).expect("the figures' JSON");
        }
        if let Some(rest) = line.strip_prefix(SERVING) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let queues = &figures["queues"];
    let listed = |path: &str, field: &str| -> usize {
        get(&base, path)[field]
            .as_array()
            .unwrap_or_else(|| panic!("{path} lists {field}"))
            .len()
    };
    let counts = [
        ("theft reports", listed("/v1/cases?queue=theft&status=open", "cases")),
        (
            "interceptions",
            listed("/v1/cases?queue=interception&status=open", "cases"),
        ),
        (
            "payments held for review",
            listed("/v1/cases?queue=payment_review&status=open", "cases"),
        ),
        (
            "applications in review",
            listed("/v1/applications?status=review", "applications"),
        ),
        (
            "temporary-limit requests",
            listed("/v1/temporary-limit-requests?status=pending", "requests"),
        ),
        (
            "four-eyes approvals",
            listed("/v1/approvals?status=pending", "approvals"),
        ),
    ];
    for (queue, count) in counts {
        assert!(count > 0, "the demo left no {queue}: {counts:?}; figures {queues}");
    }
    // The figures the demo prints count what the console lists.
    assert_eq!(
        queues["open_payment_reviews"].as_u64(),
        Some(counts[2].1 as u64),
        "{queues}"
    );
    assert_eq!(
        queues["limit_requests_pending"].as_u64(),
        Some(counts[4].1 as u64),
        "{queues}"
    );
    assert_eq!(
        queues["confirmations_proposed"].as_u64(),
        Some(counts[5].1 as u64),
        "{queues}"
    );
    // The desk decided held payments during the run, and the ledger of held payments adds up.
    let held = |k: &str| queues[k].as_u64().unwrap_or(0);
    assert!(held("held_released") > 0, "{queues}");
    assert!(
        held("held_released") + held("held_declined") + held("held_expired") + held("open_payment_reviews")
            <= held("payments_held"),
        "{queues}"
    );
}
