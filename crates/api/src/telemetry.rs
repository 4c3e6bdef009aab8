//! The server's metrics (`GET /metrics`, Prometheus text) and readiness (`GET /readyz`).
//!
//! One [`Telemetry`] per server, with its own `metrics-exporter-prometheus` recorder and no
//! global one (several servers in one process, as in the tests, each count their own). The
//! request path only increments handles registered once and kept: an atomic add or a histogram
//! sample, never a registry lookup, a lock or an allocation (`http` keeps the per-route
//! handles). What is counted where:
//!
//! - HTTP requests by method, route template and status, and their latency: `http::layer`
//!   around every route;
//! - authorizations by outcome: `POST /v1/payments`'s handler ([`Telemetry::authorization`]);
//! - risk decisions by checkpoint and outcome, and the reason codes (the rules that fired) they
//!   carried: `http::submit`, for every reply with a decision that is not a replay;
//! - group commits (batches and records per durable transaction, and its duration, fsync
//!   included): the engine's `CommitObserver`, on its committer thread;
//! - webhook delivery attempts: the dispatcher;
//! - at scrape time ([`Telemetry::render`]): writer queue depths, the read models' lag, the
//!   webhook outbox's backlog and age, readiness (`ready`).
//!
//! Labels take values from fixed sets only (route templates, statuses, outcomes, checkpoints,
//! writer threads) or from the rules' reason codes, at most [`REASONS_MAX`] distinct (then
//! `other`). No label ever holds a customer, merchant, transaction or any other id.

pub(crate) mod http;
pub(crate) mod ready;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use engine::{CommitGroup, CommitObserver};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use risk::{Checkpoint, ReasonCode};

/// A metric as API.md's table lists it.
#[derive(Clone, Copy, Debug)]
pub struct MetricDoc {
    pub name: &'static str,
    pub kind: &'static str,
    pub labels: &'static str,
    pub help: &'static str,
}

pub(crate) const HTTP_REQUESTS: &str = "iou_http_requests_total";
pub(crate) const HTTP_SECONDS: &str = "iou_http_request_duration_seconds";
const AUTHORIZATIONS: &str = "iou_authorizations_total";
const RISK_DECISIONS: &str = "iou_risk_decisions_total";
const RISK_REASONS: &str = "iou_risk_reasons_total";
const QUEUE_DEPTH: &str = "iou_engine_queue_depth";
const COMMIT_BATCHES: &str = "iou_commit_group_batches";
const COMMIT_RECORDS: &str = "iou_commit_group_records";
const COMMIT_SECONDS: &str = "iou_journal_commit_seconds";
const READ_LAG_BATCHES: &str = "iou_read_model_lag_batches";
const READ_LAG_SECONDS: &str = "iou_read_model_lag_seconds";
const OUTBOX_PENDING: &str = "iou_webhook_outbox_pending";
const OUTBOX_AGE: &str = "iou_webhook_outbox_oldest_age_seconds";
const WEBHOOK_ATTEMPTS: &str = "iou_webhook_attempts_total";
const READY: &str = "iou_ready";

/// Every metric the server exports (API.md's table is generated from it).
pub const METRICS: &[MetricDoc] = &[
    MetricDoc {
        name: HTTP_REQUESTS,
        kind: "counter",
        labels: "`method`, `route` (the template, `unmatched` for no route), `status`",
        help: "HTTP requests answered.",
    },
    MetricDoc {
        name: HTTP_SECONDS,
        kind: "histogram",
        labels: "`method`, `route`",
        help: "Time from a request's arrival at the router to its response's head, in seconds.",
    },
    MetricDoc {
        name: AUTHORIZATIONS,
        kind: "counter",
        labels: "`outcome`: `approved`, `declined_credit`, `declined_risk`, `challenged`, `refused`, `failed`",
        help: "Merchant authorizations (`POST /v1/payments`) by outcome: approved (201, replays included), declined for the line (402) or by risk (402 `risk_declined`), a step-up asked (403 `challenge_required`), refused otherwise (4xx), failed (5xx, `busy` included).",
    },
    MetricDoc {
        name: RISK_DECISIONS,
        kind: "counter",
        labels: "`checkpoint`, `outcome`: `allow`, `challenge`, `review`, `deny`",
        help: "Risk decisions on the calls the API submitted (replays not counted again).",
    },
    MetricDoc {
        name: RISK_REASONS,
        kind: "counter",
        labels: "`checkpoint`, `reason` (a rule's reason code; at most 256 distinct, then `other`)",
        help: "Reason codes the decisions carried: which rules fired.",
    },
    MetricDoc {
        name: QUEUE_DEPTH,
        kind: "gauge",
        labels: "`writer` (the writer thread's number)",
        help: "Messages waiting in a writer thread's queue (a full queue answers 503 `busy`).",
    },
    MetricDoc {
        name: COMMIT_BATCHES,
        kind: "histogram",
        labels: "",
        help: "Partition batches written per group commit (one durable transaction).",
    },
    MetricDoc {
        name: COMMIT_RECORDS,
        kind: "histogram",
        labels: "",
        help: "Journal records (requests) per group commit.",
    },
    MetricDoc {
        name: COMMIT_SECONDS,
        kind: "histogram",
        labels: "",
        help: "Duration of a group commit's journal transaction, its fsync included, in seconds: no reply waits less.",
    },
    MetricDoc {
        name: READ_LAG_BATCHES,
        kind: "gauge",
        labels: "",
        help: "Batches durable in the journal and not yet known projected into the read models, summed over partitions.",
    },
    MetricDoc {
        name: READ_LAG_SECONDS,
        kind: "gauge",
        labels: "",
        help: "How stale the read models may be: 0 when caught up, else the time since the last completed projection round began.",
    },
    MetricDoc {
        name: OUTBOX_PENDING,
        kind: "gauge",
        labels: "",
        help: "Webhook deliveries pending (not delivered, not dead-lettered).",
    },
    MetricDoc {
        name: OUTBOX_AGE,
        kind: "gauge",
        labels: "",
        help: "Age of the oldest pending webhook delivery, in seconds (0 when none), by the server's clock.",
    },
    MetricDoc {
        name: WEBHOOK_ATTEMPTS,
        kind: "counter",
        labels: "`result`: `delivered`, `failed`",
        help: "Webhook delivery attempts.",
    },
    MetricDoc {
        name: READY,
        kind: "gauge",
        labels: "",
        help: "1 when `GET /readyz` would answer 200, else 0.",
    },
];

/// API.md's table of metrics.
pub fn metrics_markdown() -> String {
    let mut table = String::from("| metric | type | labels | meaning |\n| --- | --- | --- | --- |\n");
    for m in METRICS {
        table.push_str(&format!("| `{}` | {} | {} | {} |\n", m.name, m.kind, m.labels, m.help));
    }
    table
}

/// The most distinct `(checkpoint, reason)` pairs counted by name; more go to `other`.
pub const REASONS_MAX: usize = 256;

/// Bucket bounds of the latency histograms, in seconds.
const SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Bucket bounds of the commit-size histograms.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
const RECORD_BUCKETS: &[f64] = &[1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0];

/// An authorization's outcome, as `iou_authorizations_total` labels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    Approved,
    DeclinedCredit,
    DeclinedRisk,
    Challenged,
    Refused,
    Failed,
}

impl AuthOutcome {
    const ALL: [AuthOutcome; 6] = [
        AuthOutcome::Approved,
        AuthOutcome::DeclinedCredit,
        AuthOutcome::DeclinedRisk,
        AuthOutcome::Challenged,
        AuthOutcome::Refused,
        AuthOutcome::Failed,
    ];

    fn name(self) -> &'static str {
        match self {
            AuthOutcome::Approved => "approved",
            AuthOutcome::DeclinedCredit => "declined_credit",
            AuthOutcome::DeclinedRisk => "declined_risk",
            AuthOutcome::Challenged => "challenged",
            AuthOutcome::Refused => "refused",
            AuthOutcome::Failed => "failed",
        }
    }
}

const RISK_OUTCOMES: [&str; 4] = ["allow", "challenge", "review", "deny"];

fn risk_outcome_index(outcome: risk::Outcome) -> usize {
    match outcome {
        risk::Outcome::Allow => 0,
        risk::Outcome::Challenge(_) => 1,
        risk::Outcome::Review => 2,
        risk::Outcome::Deny => 3,
    }
}

type Reasons = HashMap<(Checkpoint, ReasonCode), Counter>;

/// The server's metrics: the recorder and the handles the request path increments.
pub struct Telemetry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    http: http::HttpMetrics,
    authorizations: Vec<Counter>,
    /// By `Checkpoint::ALL` index, then [`RISK_OUTCOMES`] index.
    risk: Vec<[Counter; 4]>,
    /// Reason counters by name: read without a lock, added under `adding` (rare: once per
    /// reason code ever seen).
    reasons: ArcSwap<Reasons>,
    adding: Mutex<()>,
    reasons_other: Vec<Counter>,
    commit_batches: Histogram,
    commit_records: Histogram,
    commit_seconds: Histogram,
    webhook_delivered: Counter,
    webhook_failed: Counter,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

pub(crate) static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

impl Telemetry {
    pub fn new() -> Telemetry {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(COMMIT_BATCHES.into()), BATCH_BUCKETS))
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(COMMIT_RECORDS.into()), RECORD_BUCKETS))
            .expect("the bucket lists are not empty")
            .build_recorder();
        for m in METRICS {
            let (name, help) = (KeyName::from_const_str(m.name), SharedString::const_str(m.help));
            match m.kind {
                "counter" => recorder.describe_counter(name, None, help),
                "gauge" => recorder.describe_gauge(name, None, help),
                _ => recorder.describe_histogram(name, None, help),
            }
        }
        let counter = |name: &'static str, labels: Vec<Label>| {
            recorder.register_counter(&Key::from_parts(name, labels), &METADATA)
        };
        let authorizations = AuthOutcome::ALL
            .iter()
            .map(|o| counter(AUTHORIZATIONS, vec![Label::from_static_parts("outcome", o.name())]))
            .collect();
        let risk = Checkpoint::ALL
            .iter()
            .map(|c| {
                RISK_OUTCOMES.map(|o| {
                    counter(
                        RISK_DECISIONS,
                        vec![
                            Label::from_static_parts("checkpoint", c.name()),
                            Label::from_static_parts("outcome", o),
                        ],
                    )
                })
            })
            .collect();
        let reasons_other = Checkpoint::ALL
            .iter()
            .map(|c| {
                counter(
                    RISK_REASONS,
                    vec![
                        Label::from_static_parts("checkpoint", c.name()),
                        Label::from_static_parts("reason", "other"),
                    ],
                )
            })
            .collect();
        let histogram = |name: &'static str| recorder.register_histogram(&Key::from_static_name(name), &METADATA);
        let result = |r: &'static str| counter(WEBHOOK_ATTEMPTS, vec![Label::from_static_parts("result", r)]);
        Telemetry {
            http: http::HttpMetrics::default(),
            authorizations,
            risk,
            reasons: ArcSwap::from_pointee(Reasons::default()),
            adding: Mutex::new(()),
            reasons_other,
            commit_batches: histogram(COMMIT_BATCHES),
            commit_records: histogram(COMMIT_RECORDS),
            commit_seconds: histogram(COMMIT_SECONDS),
            webhook_delivered: result("delivered"),
            webhook_failed: result("failed"),
            handle: recorder.handle(),
            recorder,
        }
    }

    /// Counts one authorization's outcome.
    pub fn authorization(&self, outcome: AuthOutcome) {
        let index = AuthOutcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        self.authorizations[index].increment(1);
    }

    /// Counts a risk decision and the reason codes it carried.
    pub fn risk_decision(&self, decision: &engine::RiskRecord) {
        let checkpoint = decision.input.checkpoint();
        let Some(at) = Checkpoint::ALL.iter().position(|c| *c == checkpoint) else {
            return;
        };
        self.risk[at][risk_outcome_index(decision.outcome)].increment(1);
        for reason in &decision.reasons {
            match self.reasons.load().get(&(checkpoint, *reason)) {
                Some(counter) => counter.increment(1),
                None => self.add_reason(at, checkpoint, *reason).increment(1),
            }
        }
    }

    /// The counter of a reason not seen before (or `other`, past [`REASONS_MAX`]).
    fn add_reason(&self, at: usize, checkpoint: Checkpoint, reason: ReasonCode) -> Counter {
        let _adding = self.adding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = self.reasons.load_full();
        if let Some(counter) = current.get(&(checkpoint, reason)) {
            return counter.clone();
        }
        if current.len() >= REASONS_MAX {
            return self.reasons_other[at].clone();
        }
        let labels = vec![
            Label::from_static_parts("checkpoint", checkpoint.name()),
            Label::new("reason", reason.as_str().to_owned()),
        ];
        let counter = self
            .recorder
            .register_counter(&Key::from_parts(RISK_REASONS, labels), &METADATA);
        let mut grown = Reasons::clone(&current);
        grown.insert((checkpoint, reason), counter.clone());
        self.reasons.store(Arc::new(grown));
        counter
    }

    /// Counts a webhook delivery attempt.
    pub fn webhook_attempt(&self, delivered: bool) {
        if delivered {
            self.webhook_delivered.increment(1);
        } else {
            self.webhook_failed.increment(1);
        }
    }

    pub(crate) fn http(&self) -> &http::HttpMetrics {
        &self.http
    }

    pub(crate) fn recorder(&self) -> &PrometheusRecorder {
        &self.recorder
    }

    /// Folds the histograms' recent samples into their buckets: run every few seconds, so
    /// samples never pile up between scrapes (the server's sweeper does).
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// Sets the scrape-time gauges from `scrape` and renders every metric as Prometheus text.
    pub fn render(&self, scrape: &Scrape) -> String {
        for (writer, depth) in scrape.gauges.queues.iter().enumerate() {
            self.gauge(QUEUE_DEPTH, vec![Label::new("writer", writer.to_string())])
                .set(*depth as f64);
        }
        if let Some(projection) = &scrape.gauges.projection {
            let lag = projection.lag_batches(&scrape.gauges.committed);
            self.gauge(READ_LAG_BATCHES, Vec::new()).set(lag as f64);
            self.gauge(READ_LAG_SECONDS, Vec::new())
                .set(projection.behind.as_secs_f64());
        }
        if let Some(backlog) = scrape.backlog {
            self.gauge(OUTBOX_PENDING, Vec::new()).set(backlog.pending as f64);
            let age_ms = backlog
                .oldest_created_ms
                .map_or(0, |t| scrape.now_ms.saturating_sub(t).max(0));
            self.gauge(OUTBOX_AGE, Vec::new()).set(age_ms as f64 / 1000.0);
        }
        self.gauge(READY, Vec::new()).set(if scrape.ready { 1.0 } else { 0.0 });
        self.handle.render()
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>) -> Gauge {
        self.recorder.register_gauge(&Key::from_parts(name, labels), &METADATA)
    }
}

impl Default for Telemetry {
    fn default() -> Telemetry {
        Telemetry::new()
    }
}

/// What a scrape reads besides the handles: the engine's gauges, the outbox's backlog (`None`
/// when it could not be read), the clock, readiness.
#[derive(Debug)]
pub struct Scrape {
    pub gauges: engine::Gauges,
    pub backlog: Option<store::outbox::Backlog>,
    pub now_ms: i64,
    pub ready: bool,
}

impl CommitObserver for Telemetry {
    fn committed(&self, group: &CommitGroup) {
        self.commit_batches.record(group.batches as f64);
        self.commit_records.record(group.records as f64);
        self.commit_seconds.record(group.took.as_secs_f64());
    }
}
