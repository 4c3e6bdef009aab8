//! `iou simulate --url` end to end: `iou serve --simulation` starts on a free port with the
//! shipped rules, a small population runs against it over HTTP (every call signed or bearing a
//! token, with its own Idempotency-Key), and the auditor finds no mismatch. The same seed run
//! in-process gives the same figures. Customers report theft through the theft-report route
//! and the fraud team works the cases through the case routes.

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

#[test]
fn a_simulation_over_http_audits_clean_and_matches_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("data"));
    let output = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(["simulate", "--url", &server.url, "--json", "--seed", &SEED.to_string()])
        .args(["--users", &USERS.to_string(), "--days", &DAYS.to_string()])
        .args(["--theft-reports", &THEFT_REPORTS.to_string()])
        .arg("--report")
        .arg(dir.path().join("report.html"))
        .env("IOU_OPERATOR_TOKEN", TOKEN)
        .output()
        .expect("iou simulate runs");
    assert!(
        output.status.success(),
        "iou simulate --url failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let over_http: sim::Figures = serde_json::from_slice(&output.stdout).expect("figures as JSON");
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

    let in_process = sim::run_in_memory(&config(), Some(&rules()), &mut sim::progress::Silent).unwrap();
    assert_eq!(in_process.auditor_mismatches, 0);
    let (a, b) = (over_http.deterministic(), in_process.deterministic());
    assert_eq!(a.applications, b.applications);
    assert_eq!(a.limits, b.limits);
    assert_eq!(a.payments, b.payments);
    assert_eq!(a.statements, b.statements);
    assert_eq!(a.delinquency, b.delinquency);
    assert_eq!(a.daily, b.daily);
    assert_eq!(a, b, "every figure but the throughput");
}
