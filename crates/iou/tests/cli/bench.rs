//! `iou bench` end to end on a tiny load: the JSON object scripts read has every measurement
//! with real approvals and ordered latencies, over both HTTP protocols, and a bad flag is one
//! clear error. It guards the benchmark itself (a driver that stopped sending, a protocol that
//! silently fell back, a renamed key), not its speed.

use std::process::{Command, Output};

use serde_json::Value;

fn iou_bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iou"))
        .arg("bench")
        .args([
            "--accounts",
            "300",
            "--in-flight",
            "16",
            "--seconds",
            "0.4",
            "--partitions",
            "2",
        ])
        .args(args)
        .output()
        .expect("iou runs")
}

fn report(args: &[&str]) -> Value {
    let out = iou_bench(args);
    assert!(
        out.status.success(),
        "iou bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// A measurement's figures: authorizations happened, every one answered, latencies ordered.
fn check_figures(report: &Value, key: &str) {
    let f = &report[key];
    let number = |k: &str| f[k].as_f64().unwrap_or_else(|| panic!("{key}.{k} missing in {f}"));
    assert!(number("auth_per_s") > 0.0, "{key}: {f}");
    assert!(f["approved"].as_u64().unwrap() > 0, "{key}: nothing approved: {f}");
    assert_eq!(
        f["declined"].as_u64(),
        Some(0),
        "{key}: a 100 fen authorization was declined: {f}"
    );
    assert!(
        number("p50_ms") <= number("p99_ms") && number("p99_ms") <= number("max_ms"),
        "{key}: {f}"
    );
    if cfg!(target_os = "linux") {
        let cpu = &f["cpu_per_auth"];
        let total = cpu["total_us"]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: no CPU figure: {f}"));
        assert!(total > 0.0, "{key}: {f}");
        let parts: f64 = cpu["by_thread_us"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(Value::as_f64)
            .sum();
        assert!(
            parts <= total * 1.05 + 1.0,
            "{key}: the threads spent more than the process: {f}"
        );
    }
}

#[test]
fn json_report_has_every_measurement_and_ratio() {
    let r = report(&["--json", "--protocol", "http2"]);
    assert!(r["cores"].as_u64().unwrap() >= 1);
    for key in ["inprocess", "http", "baseline", "baseline_http"] {
        check_figures(&r, key);
    }
    assert_eq!(r["http_protocol"], "http2");
    for ratio in [
        "ratio_inprocess_vs_baseline",
        "ratio_http_vs_baseline",
        "ratio_http_vs_baseline_http",
    ] {
        assert!(r[ratio].as_f64().unwrap() > 0.0, "{ratio}: {r}");
    }
}

#[test]
fn http1_alone() {
    let r = report(&["--json", "--only", "http", "--protocol", "http1"]);
    check_figures(&r, "http");
    assert_eq!(r["http_protocol"], "http1");
    assert!(r["inprocess"].is_null() && r["baseline"].is_null(), "{r}");
    assert!(r["ratio_http_vs_baseline"].is_null(), "no baseline, no ratio: {r}");
    assert!(r.get("baseline_http").is_none(), "{r}");
}

/// The plain service over HTTP answers the same signed requests as the iou server: every one
/// approved (a refused signature, key or body would show as nothing approved).
#[test]
fn the_plain_service_over_http1_approves_the_signed_load() {
    let r = report(&["--json", "--only", "http,baseline-http", "--protocol", "http1"]);
    check_figures(&r, "http");
    check_figures(&r, "baseline_http");
    assert!(r["ratio_http_vs_baseline_http"].as_f64().unwrap() > 0.0, "{r}");
}

#[test]
fn an_unknown_measurement_is_one_clear_error() {
    let out = iou_bench(&["--only", "http,baseline_http"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown measurement \"baseline_http\""), "{stderr}");
}

#[test]
fn an_unknown_protocol_is_one_clear_error() {
    let out = iou_bench(&["--protocol", "h3"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown HTTP protocol"), "{stderr}");
}
