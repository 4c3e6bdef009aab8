//! `/metrics`, `/readyz` and `/docs`: the metrics are scraped and parsed after real calls (an
//! authorization approved and one declined among them) and must have moved by exactly those
//! calls, with no id in any label; readiness answers 200 on a healthy server; the docs page
//! loads its Redoc bundle from this server only.

use std::collections::BTreeMap;

use serde_json::json;

use crate::harness::{Auth, TestServer, operator};
use crate::risk_support::RiskServer;

/// One sample line of the Prometheus text format.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of a Prometheus text document (comment lines skipped). Written here rather than
/// taken from a crate: the format's sample line is `name{k="v",...} value`.
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let inner = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                (name, labels_of(inner, line))
            }
        };
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

fn labels_of(mut inner: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while !inner.is_empty() {
        let (key, rest) = inner.split_once("=\"").unwrap_or_else(|| panic!("bad label: {line}"));
        let end = rest.find('"').unwrap_or_else(|| panic!("unclosed value: {line}"));
        labels.insert(key.to_owned(), rest[..end].to_owned());
        inner = rest[end + 1..].trim_start_matches(',');
    }
    labels
}

/// The value of the sample `name` with exactly these labels (0 when absent).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == wanted)
        .map_or(0.0, |s| s.value)
}

/// The sum over every sample of `name` whose labels include `labels`.
fn sum(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

async fn scrape(t: &TestServer) -> (String, Vec<Sample>) {
    let answer = t.get(&Auth::None, "/metrics").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let samples = parse(&answer.text);
    (answer.text, samples)
}

#[tokio::test]
async fn metrics_count_the_calls_made_and_name_no_one() {
    let r = RiskServer::start().await;
    let t = &r.t;
    let shop = t.register_merchant("Metrics Shop").await;
    let alice = t.open_customer(500_000, 5).await;
    let (_, before) = scrape(t).await;
    let approved = [("outcome", "approved")];
    assert_eq!(value(&before, "iou_authorizations_total", &approved), 0.0);
    let decided = sum(
        &before,
        "iou_risk_decisions_total",
        &[("checkpoint", "payment_authorization")],
    );
    let commits = value(&before, "iou_commit_group_batches_count", &[]);

    let paid = t.pay(&shop, &alice, json!({"amount_fen": 10_000})).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let declined = t.pay(&shop, &alice, json!({"amount_fen": 900_000})).await;
    assert_eq!(declined.status, 402, "{}", declined.text);
    assert_eq!(t.get(&Auth::None, "/healthz").await.status, 200);
    assert_eq!(t.get(&Auth::None, "/no-such-route").await.status, 404);

    let (text, after) = scrape(t).await;
    assert_eq!(value(&after, "iou_authorizations_total", &approved), 1.0);
    // The shipped rules may decline it before the line does: the answer's code says which.
    let outcome = match declined.body["error"]["code"].as_str() {
        Some("risk_declined") => "declined_risk",
        _ => "declined_credit",
    };
    // The rules that fired are counted by their reason codes.
    for reason in declined.body["error"]["reasons"].as_array().into_iter().flatten() {
        let labels = [
            ("checkpoint", "payment_authorization"),
            ("reason", reason.as_str().unwrap()),
        ];
        assert!(
            value(&after, "iou_risk_reasons_total", &labels) >= 1.0,
            "{reason}: {text}"
        );
    }
    assert_eq!(value(&after, "iou_authorizations_total", &[("outcome", outcome)]), 1.0);
    assert_eq!(sum(&after, "iou_authorizations_total", &[]), 2.0, "{text}");
    let payments = |status| [("method", "POST"), ("route", "/v1/payments"), ("status", status)];
    assert_eq!(value(&after, "iou_http_requests_total", &payments("201")), 1.0);
    assert_eq!(value(&after, "iou_http_requests_total", &payments("402")), 1.0);
    let health = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    assert_eq!(value(&after, "iou_http_requests_total", &health), 1.0);
    let unmatched = [("method", "GET"), ("route", "unmatched"), ("status", "404")];
    assert_eq!(value(&after, "iou_http_requests_total", &unmatched), 1.0);
    let timed = [("method", "POST"), ("route", "/v1/payments")];
    assert_eq!(value(&after, "iou_http_request_duration_seconds_count", &timed), 2.0);
    // Both payments were decided at the checkpoint (replays would not count again).
    let decided_now = sum(
        &after,
        "iou_risk_decisions_total",
        &[("checkpoint", "payment_authorization")],
    );
    assert_eq!(decided_now - decided, 2.0, "{text}");
    assert!(value(&after, "iou_commit_group_batches_count", &[]) > commits);
    assert!(value(&after, "iou_commit_group_records_sum", &[]) >= 2.0);
    assert!(value(&after, "iou_journal_commit_seconds_count", &[]) >= 1.0);
    assert_eq!(
        value(&after, "iou_engine_queue_depth", &[("writer", "0")]),
        0.0,
        "{text}"
    );
    assert_eq!(value(&after, "iou_webhook_outbox_pending", &[]), 0.0);
    assert_eq!(value(&after, "iou_ready", &[]), 1.0);
    assert!(after.iter().any(|s| s.name == "iou_read_model_lag_seconds"), "{text}");

    // Every documented metric is there, and nothing else of ours.
    for metric in api::METRICS {
        assert!(
            text.contains(&format!("# TYPE {} ", metric.name)),
            "{} missing:\n{text}",
            metric.name
        );
    }
    let documented = |name: &str| {
        api::METRICS.iter().any(|m| {
            name == m.name
                || ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| name == format!("{}{s}", m.name))
        })
    };
    for sample in &after {
        assert!(documented(&sample.name), "undocumented metric {}", sample.name);
        for (key, value) in &sample.labels {
            assert!(
                [
                    "method",
                    "route",
                    "status",
                    "outcome",
                    "checkpoint",
                    "reason",
                    "writer",
                    "result",
                    "le"
                ]
                .contains(&key.as_str()),
                "label {key} on {}",
                sample.name
            );
            if key == "route" {
                assert!(
                    value
                        .split('/')
                        .all(|part| !part.chars().all(|c| c.is_ascii_digit()) || part.is_empty()),
                    "a route label with an id: {value}"
                );
            }
        }
    }
    assert!(!text.contains(&alice.id), "the customer's id is in the metrics");
    let code_route = "/v1/customers/{customer_id}/payment-codes";
    assert!(text.contains(&format!("route=\"{code_route}\"")), "{text}");
}

#[tokio::test]
async fn readyz_answers_200_on_a_healthy_server_and_healthz_stays_liveness() {
    for t in [TestServer::start().await, RiskServer::start().await.t] {
        let ready = t.get(&Auth::None, "/readyz").await;
        assert_eq!(ready.status, 200, "{}", ready.text);
        assert_eq!(ready.body, json!({"status": "ready"}));
        let live = t.get(&Auth::None, "/healthz").await;
        assert_eq!(live.body, json!({"status": "ok"}));
        // Public: an operator's token changes nothing, and no token is needed.
        assert_eq!(t.get(&operator(), "/readyz").await.status, 200);
    }
}

#[tokio::test]
async fn docs_load_the_embedded_redoc_and_nothing_from_elsewhere() {
    let t = TestServer::start().await;
    let page = t.http.get(format!("{}/docs", t.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    let csp = header(&page, "content-security-policy");
    assert!(csp.starts_with("default-src 'none'; script-src 'self';"), "{csp}");
    for loose in ["unsafe-inline", "unsafe-eval", "http", "*", "data:", "blob:"] {
        assert!(!csp.contains(loose), "the policy allows {loose}: {csp}");
    }
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<script src=\"/docs/assets/redoc.standalone.js\"></script>"),
        "{html}"
    );
    assert!(html.contains("spec-url=\"/openapi.json\""), "{html}");

    let asset = t
        .http
        .get(format!("{}/docs/assets/redoc.standalone.js", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(header(&asset, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&asset, "x-content-type-options"), "nosniff");
    let vendored = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/redoc/redoc.standalone.js");
    let body = asset.bytes().await.unwrap();
    assert!(
        body[..] == std::fs::read(vendored).unwrap()[..],
        "the served bundle is the vendored file"
    );
    let spec = t.get(&Auth::None, "/openapi.json").await;
    assert_eq!(spec.status, 200, "the document the page loads is served");
}
