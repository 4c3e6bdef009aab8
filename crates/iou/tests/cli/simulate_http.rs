//! `iou simulate --url` end to end: `iou serve --simulation` starts on a free port with the
//! shipped rules, a small population runs against it over HTTP (every call signed or bearing a
//! token, with its own Idempotency-Key), and the auditor finds no mismatch. The same seed run
//! in-process gives the same figures. Customers report theft through the theft-report route
//! and the fraud team works the cases through the case routes.
//!
//! Over HTTP the applicant stream applies through `POST /v1/applications` too (in-process
//! without a server it does not run): the run leaves applications in review, which the
//! operators' list shows, and decided ones; every other figure equals the in-process run's, so
//! the stream moves none of them; and a second server given the same seed ends with the same
//! application figures.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const TOKEN: &str = "sim-operator-token-0123456789";
const USERS: u32 = 50;
const DAYS: u32 = 40;
const SEED: u64 = 7;
/// Mistaken theft reports per 10,000 shoppers a month: about one every other day here, so the
/// customers' theft reports, the fraud team's case work and the unfreeze after a liveness
/// check all run over HTTP, and some cases are still open at the end.
const THEFT_REPORTS: u32 = 6_000;

fn rules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

/// `iou serve --simulation` on a free port; stopped (SIGKILL is fine: nothing is kept) on drop.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args([
            "serve",
            "--simulation",
            "--clock-start",
            "2026-01-01T00:00:00+08:00",
            "--listen",
            "127.0.0.1:0",
            "--partitions",
            "4",
            "--data",
        ])
        .arg(data)
        .arg("--rules")
        .arg(rules())
        .env("IOU_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("iou serve starts");
    let received = crate::child::stdout_lines(&mut child);
    let addr = crate::child::first_line_after(&received, "listening on ");
    Server { child, url: addr }
}

/// What `iou simulate` runs with these flags.
fn config() -> sim::SimConfig {
    let mut config = sim::SimConfig::new(SEED, USERS, USERS / 10 + 20, DAYS);
    config.mistaken_theft_reports = THEFT_REPORTS;
    config
}

/// `GET path` as the operator: the status and the JSON body.
fn get(url: &str, path: &str) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("the server accepts");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().expect("a status line");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

/// `iou simulate --url` against `server`: the figures.
fn simulate(server: &Server, report: &std::path::Path) -> sim::Figures {
    let output = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(["simulate", "--url", &server.url, "--json", "--seed", &SEED.to_string()])
        .args(["--users", &USERS.to_string(), "--days", &DAYS.to_string()])
        .args(["--theft-reports", &THEFT_REPORTS.to_string()])
        .arg("--report")
        .arg(report)
        .env("IOU_OPERATOR_TOKEN", TOKEN)
        .output()
        .expect("iou simulate runs");
    assert!(
        output.status.success(),
        "iou simulate --url failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("figures as JSON")
}

#[test]
fn a_simulation_over_http_audits_clean_and_matches_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("data"));
    let over_http = simulate(&server, &dir.path().join("report.html"));
    assert_eq!(over_http.auditor_mismatches, 0);
    assert!(over_http.auditor_checks > 1_000, "{}", over_http.auditor_checks);
    assert_eq!(over_http.applications.total, u64::from(USERS));
    assert!(over_http.applications.approved > USERS as u64 / 2);
    assert!(over_http.payments.approved > 100, "{:?}", over_http.payments);
    assert!(over_http.payments.captured_fen > 0);
    assert!(over_http.statements.closed > 10, "{:?}", over_http.statements);
    assert_eq!(over_http.throughput.driver, "HTTP");
    let q = &over_http.queues;
    assert!(q.theft_reported > 5 && q.theft_rejected > 0, "{q:?}");
    assert_eq!(
        q.open_theft_cases,
        q.theft_reported - q.theft_confirmed - q.theft_rejected,
        "{q:?}"
    );

    // The applicant stream: some approved at once, some declined, reviews decided by the
    // analysts and the last days' left open, as the operators' list shows them.
    let apps = &q.applications;
    assert!(apps.applied > 20, "{apps:?}");
    assert_eq!(
        apps.applied,
        apps.approved + apps.review + apps.declined + apps.challenged + apps.not_decided,
        "{apps:?}"
    );
    assert!(apps.approved > 0 && apps.declined > 0 && apps.review > 0, "{apps:?}");
    assert!(apps.review_approved + apps.review_declined > 0, "{apps:?}");
    assert!(apps.left_in_review > 0, "{apps:?}");
    assert_eq!(
        apps.left_in_review,
        apps.review - apps.review_approved - apps.review_declined - apps.review_refused,
        "{apps:?}"
    );
    let (status, listed) = get(&server.url, "/v1/applications?status=review");
    assert_eq!(status, 200, "{listed}");
    let listed = listed["applications"].as_array().expect("a list").clone();
    assert_eq!(listed.len() as u64, apps.left_in_review);
    assert!(listed.iter().all(|a| a["status"] == "review"), "{listed:?}");
    // A decided one: the first in the log is decided by now (the last days' are the open ones).
    let decided = (1..=apps.applied).find_map(|id| {
        let (status, record) = get(&server.url, &format!("/v1/applications/{id}"));
        (status == 200 && record["outcome"] == "review" && !record["resolution"].is_null()).then_some(record)
    });
    let decided = decided.expect("a review an analyst decided");
    assert_eq!(decided["resolution"]["by"], "operator", "{decided}");

    // The same seed on a fresh server: the same applications.
    let again_dir = tempfile::tempdir().unwrap();
    let again_server = serve(&again_dir.path().join("data"));
    let again = simulate(&again_server, &again_dir.path().join("report.html"));
    assert_eq!(again.queues.applications, over_http.queues.applications);
    assert_eq!(again.deterministic(), over_http.deterministic());

    let mut in_process = sim::run_in_memory(&config(), Some(&rules()), &mut sim::progress::Silent).unwrap();
    assert_eq!(in_process.auditor_mismatches, 0);
    // Over HTTP there is no settlement route yet: the in-process run settles, HTTP does not.
    assert!(in_process.settlement.take().is_some());
    assert_eq!(over_http.settlement, None);
    // Notifications, too: the in-process run derives them from its journal after the run.
    assert!(in_process.notifications.take().is_some());
    assert_eq!(over_http.notifications, None);
    assert_eq!(
        in_process.queues.applications,
        sim::figures::ApplicationQueue::default()
    );
    // The last evening's work on the API's own queues, too (a temporary-limit request from
    // behind a proxy waits for a credit officer; the fraud desk's proposals for four eyes).
    assert_eq!(
        (
            in_process.queues.limit_requests_pending,
            in_process.queues.confirmations_proposed
        ),
        (0, 0)
    );
    assert!(over_http.queues.limit_requests_pending > 0, "{:?}", over_http.queues);
    let mut over_http = over_http;
    over_http.queues.applications = sim::figures::ApplicationQueue::default();
    over_http.queues.limit_requests_pending = 0;
    over_http.queues.confirmations_proposed = 0;
    let (a, b) = (over_http.deterministic(), in_process.deterministic());
    assert_eq!(a.applications, b.applications);
    assert_eq!(a.limits, b.limits);
    assert_eq!(a.payments, b.payments);
    assert_eq!(a.statements, b.statements);
    assert_eq!(a.delinquency, b.delinquency);
    assert_eq!(a.daily, b.daily);
    assert_eq!(a, b, "every figure but the throughput");
}
