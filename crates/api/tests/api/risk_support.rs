//! What the risk tests share: a server running the shipped rules (copied to a folder the test
//! may edit) with fast webhook timing and seeded simulated identity providers, a local webhook
//! receiver that can fail on purpose, an independent check of webhook signatures, and waiting.

use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use identity::sim::{OtpPolicy, SimulatedLiveness, SimulatedOtp};
use serde_json::{Value, json};

use crate::harness::{Customer, Merchant, TestServer, engine_config, operator};

/// The ID number on file for stepped-up customers (the simulator's name/ID match fixture).
pub const ID_NUMBER: &str = identity::sim::fixtures::ID_MATCH;
/// A face reference the simulated liveness check passes, and one it fails.
pub const LIVE_FACE: &str = "score-950";
pub const SPOOF_FACE: &str = "spoof-1";

pub struct RiskServer {
    pub t: TestServer,
    pub rules: tempfile::TempDir,
    pub otp: Arc<SimulatedOtp>,
}

/// Copies the shipped `rules/*.json` into a fresh folder.
fn copy_rules() -> tempfile::TempDir {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

impl RiskServer {
    pub async fn start() -> RiskServer {
        RiskServer::start_with_clock(None).await
    }

    /// A risk server reading the machine's clock, as `iou serve` does.
    pub async fn start_on_system_clock() -> RiskServer {
        RiskServer::start_with_clock(Some(Arc::new(engine::SystemClock))).await
    }

    async fn start_with_clock(clock: Option<Arc<dyn engine::Clock>>) -> RiskServer {
        let rules = copy_rules();
        let otp = Arc::new(SimulatedOtp::new(
            7,
            OtpPolicy::default(),
            Arc::new(identity::SystemClock::new()),
        ));
        let threshold = identity::LivenessScore::from_permille(800).unwrap();
        let options = api::RiskOptions {
            rules: Some(api::RulesOptions {
                dir: Some(rules.path().to_path_buf()),
                poll: Duration::from_millis(40),
                fraud_model: None,
            }),
            providers: Some(api::Providers {
                otp: otp.clone(),
                liveness: Arc::new(SimulatedLiveness::new(7, threshold)),
            }),
            webhooks: api::WebhookOptions {
                poll: Duration::from_millis(20),
                timeout: Duration::from_secs(2),
                backoff_base: Duration::from_secs(1),
                backoff_max: Duration::from_secs(60),
                give_up_after: Duration::from_secs(3600),
                concurrency: 4,
            },
            funding: api::FundingOptions::default(),
            notifications: api::NotificationOptions::default(),
        };
        let engine = engine::EngineConfig {
            project: true,
            ..engine_config()
        };
        let t = TestServer::start_with_clock(engine, options, clock).await;
        RiskServer { t, rules, otp }
    }

    /// A customer whose mobile and ID number are on file (so it can step up).
    pub async fn customer(&self, limit_fen: i64) -> Customer {
        let customer = self.t.open_customer(limit_fen, 5).await;
        let path = format!("/v1/customers/{}/identity", customer.id);
        let body = json!({"mobile": "13812345678", "id_number": ID_NUMBER});
        let answer = self.t.post(&operator(), &path, body).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        customer
    }

    /// A payment code whose request carried `risk` (the customer's app's context).
    pub async fn code_with(&self, customer: &Customer, risk: Value) -> String {
        let path = format!("/v1/customers/{}/payment-codes", customer.id);
        let answer = self.t.post(&customer.auth(), &path, json!({"risk": risk})).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.str("payment_code")
    }

    /// Authorizes `amount_fen` with a fresh code from `device`.
    pub async fn pay_from(
        &self,
        merchant: &Merchant,
        customer: &Customer,
        device: &str,
        amount_fen: i64,
    ) -> crate::harness::Answer {
        let code = self.code_with(customer, json!({"device_id": device})).await;
        let body = json!({"payment_code": code, "amount_fen": amount_fen});
        self.t.post(&merchant.auth(), "/v1/payments", body).await
    }

    /// Runs a liveness (or OTP) step-up to the end; returns the token.
    pub async fn step_up(&self, customer: &Customer, kind: &str) -> String {
        let base = format!("/v1/customers/{}/step-up", customer.id);
        let started = self.t.post(&customer.auth(), &base, json!({"kind": kind})).await;
        assert_eq!(started.status, 201, "{}", started.text);
        let challenge = started.str("challenge_id");
        let answer = match kind {
            "otp" => {
                let id = identity::ChallengeId::parse(&challenge).unwrap();
                json!({"code": self.otp.code_for(&id).as_str()})
            }
            _ => json!({"face": LIVE_FACE}),
        };
        let verified = self
            .t
            .post(&customer.auth(), &format!("{base}/{challenge}/verify"), answer)
            .await;
        assert_eq!(verified.status, 200, "{}", verified.text);
        verified.str("step_up_token")
    }

    /// Moves the clock (the engine and the dispatcher read it).
    pub fn advance(&self, by: Duration) {
        self.t.clock.advance(jiff::SignedDuration::try_from(by).unwrap());
    }

    /// Runs read-only SQL on the read models.
    pub fn sql(&self, query: &str) -> Vec<Vec<Option<String>>> {
        use store::ReadModels;
        let backend = store::sqlite::SqliteBackend::open(self.t.dir.path()).unwrap();
        backend.open_read_models().unwrap().query(query, 1_000).unwrap().1
    }
}

/// The code of an error that may carry risk fields (so not checked for the plain shape).
pub fn code(answer: &crate::harness::Answer) -> (u16, String) {
    let code = answer.body["error"]["code"].as_str().unwrap_or_default().to_owned();
    (answer.status, code)
}

/// The reason codes of a risk error.
pub fn reasons(answer: &crate::harness::Answer) -> Vec<String> {
    answer.body["error"]["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("no reasons: {}", answer.text))
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

/// Waits (real time, at most 10 s) until `check` gives a value.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One webhook request as the receiver got it.
#[derive(Clone, Debug)]
pub struct Received {
    pub event: String,
    pub delivery: String,
    pub signature: String,
    pub body: String,
    /// What the receiver answered.
    pub answered: u16,
}

/// A merchant's endpoint on 127.0.0.1: records every request; the first `fail` requests get a
/// 500.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(fail: u32) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let failures = Arc::new(AtomicU32::new(fail));
        let (log, left) = (got.clone(), failures.clone());
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (log, left) = (log.clone(), left.clone());
                async move {
                    let fail = left
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let status = if fail {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    };
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default()
                    };
                    log.lock().unwrap().push(Received {
                        event: header("x-iou-event"),
                        delivery: header("x-iou-delivery"),
                        signature: header("x-iou-signature"),
                        body,
                        answered: status.as_u16(),
                    });
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url,
            got,
            _server: server,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits for a delivered (answered 2xx) request of `event`.
    pub async fn delivered(&self, event: &str) -> Received {
        eventually(event, || async {
            self.received()
                .into_iter()
                .find(|r| r.event == event && r.answered == 200)
        })
        .await
    }
}

/// Registers the receiver as the merchant's webhook (the merchant itself does it).
pub async fn register_webhook(t: &TestServer, merchant: &Merchant, receiver: &Receiver) {
    let path = format!("/v1/merchants/{}/webhook", merchant.id);
    let answer = t.post(&merchant.auth(), &path, json!({"url": receiver.url})).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

/// Checks `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` independently of the server's
/// code; returns `t`.
pub fn verify_signature(secret: &str, received: &Received) -> i64 {
    let (t, v1) = received
        .signature
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("malformed signature {:?}", received.signature));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap())
        .expect("the signature is the merchant secret's HMAC of t.body");
    t.parse().unwrap()
}
