//! The test harness: a server on a fresh data directory with a manual clock, and a client that
//! signs merchant requests, sends bearer tokens and idempotency keys, and reads the answers.
//!
//! Operators: [`operator()`] is the server's `root` operator, which holds every role. The
//! first time a test uses it, the harness bootstraps it with the bootstrap token ([`ADMIN`],
//! which stops working then), logs it in with its password and a TOTP code computed here
//! ([`totp`], an implementation independent of the server's), and keeps the session.
//! [`TestServer::operator_with`] makes an operator with chosen roles the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use api::{Config, Server};
use engine::{EngineConfig, ManualClock};
use jiff::Timestamp;
use serde_json::{Value, json};

pub const ADMIN: &str = "test-admin-token-0123456789";

/// Tells a merchant's reads apart (see `send`).
static READS: AtomicU64 = AtomicU64::new(0);

pub fn start_at() -> Timestamp {
    "2026-03-01T10:00:00+08:00".parse().unwrap()
}

/// Who a request is sent as.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Bearer(String),
    Merchant(Merchant),
    /// The server's root operator (every role), bootstrapped and logged in on first use.
    Operator,
}

#[derive(Clone, Debug)]
pub struct Merchant {
    pub id: String,
    pub secret: String,
}

#[derive(Clone, Debug)]
pub struct Customer {
    pub id: String,
    pub token: String,
}

impl Customer {
    pub fn auth(&self) -> Auth {
        Auth::Bearer(self.token.clone())
    }
}

impl Merchant {
    pub fn auth(&self) -> Auth {
        Auth::Merchant(self.clone())
    }
}

/// The server's root operator, which holds every role.
pub fn operator() -> Auth {
    Auth::Operator
}

/// Every role's name.
pub const ROLES: [&str; 9] = [
    "support",
    "analyst",
    "fraud",
    "credit_officer",
    "rules_admin",
    "auditor",
    "admin",
    "supervisor",
    "collector",
];

/// The root operator's password.
pub const ROOT_PASSWORD: &str = "root-password-0123";

/// An operator the harness made: its name, password and TOTP secret (base32).
#[derive(Clone, Debug)]
pub struct OperatorLogin {
    pub id: String,
    pub name: String,
    pub password: String,
    pub secret: String,
}

/// The RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) of a base32 `secret` at `at`, written from
/// the RFC, apart from the server's implementation.
pub fn totp(secret: &str, at: Timestamp) -> String {
    use hmac::Mac;
    let key = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).unwrap();
    let counter = (at.as_second() / 30) as u64;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0xf) as usize;
    let value = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

/// An answer: status, JSON body (Null if not JSON), and whether it was a replay.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub replayed: bool,
    pub retry_after: Option<String>,
}

impl Answer {
    /// The error code, asserting the error shape.
    pub fn code(&self) -> &str {
        assert_error_shape(self);
        self.body["error"]["code"].as_str().unwrap()
    }

    pub fn field(&self) -> Option<&str> {
        self.body["error"]["field"].as_str()
    }

    pub fn ok(&self) -> &Value {
        assert!(
            (200..300).contains(&self.status),
            "expected success, got {}: {}",
            self.status,
            self.text
        );
        &self.body
    }

    pub fn str(&self, key: &str) -> String {
        self.ok()[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing in {}", self.text))
            .to_owned()
    }

    pub fn fen(&self, key: &str) -> i64 {
        self.ok()[key]
            .as_i64()
            .unwrap_or_else(|| panic!("{key} missing in {}", self.text))
    }
}

/// `{"error": {"code": string, "message": string, "field": string|null}}` and nothing else.
pub fn assert_error_shape(answer: &Answer) {
    let body = &answer.body;
    let error = body
        .get("error")
        .unwrap_or_else(|| panic!("no error object ({}): {}", answer.status, answer.text));
    assert_eq!(body.as_object().unwrap().len(), 1, "{}", answer.text);
    let error = error.as_object().unwrap();
    // A 403 to an operator also names the permission it lacks.
    let permission = error.get("permission").is_some_and(Value::is_string) && error["code"] == "forbidden";
    assert_eq!(error.len(), 3 + usize::from(permission), "{}", answer.text);
    assert!(error["code"].as_str().is_some_and(|c| !c.is_empty()), "{}", answer.text);
    assert!(error["message"].is_string(), "{}", answer.text);
    assert!(
        error["field"].is_string() || error["field"].is_null(),
        "{}",
        answer.text
    );
}

pub struct TestServer {
    pub server: Option<Server>,
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    /// The clock the server reads: `clock`, or the system clock.
    pub server_clock: Arc<dyn engine::Clock>,
    pub http: reqwest::Client,
    pub base: String,
    keys: AtomicU64,
    engine: EngineConfig,
    options: api::RiskOptions,
    edge: api::EdgeConfig,
    /// The store, when not SQLite in `dir`.
    store: Option<api::StoreChoice>,
    /// The root operator's session token, once made.
    root: tokio::sync::Mutex<Option<String>>,
    /// The second root operator's session (it approves root's four-eyes proposals).
    pub(crate) checker: tokio::sync::Mutex<Option<String>>,
}

/// A small engine without the daily scheduler (tests advance the days themselves).
pub fn engine_config() -> EngineConfig {
    EngineConfig {
        partitions: 2,
        schedule: false,
        project: false,
        ..EngineConfig::default()
    }
}

/// The SQLite store in `dir`, opened when the server starts (as `iou serve` does).
pub fn sqlite_store(dir: &std::path::Path) -> api::StoreChoice {
    let dir = dir.to_path_buf();
    api::StoreChoice::opened_by(format!("sqlite:{}", dir.display()), move || {
        Ok(Arc::new(store::sqlite::SqliteBackend::open(&dir)?) as Arc<dyn store::Backend>)
    })
}

pub fn config(dir: &std::path::Path, engine: EngineConfig) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: sqlite_store(dir),
        engine,
        admin_token: Some(ADMIN.into()),
        edge: test_edge(),
        token_lifetime_days: api::Config::TOKEN_LIFETIME_DAYS,
        keys: Some(test_keys()),
    }
}

/// The keys every test server of this process seals with (so a restart opens what an earlier
/// start sealed); generated once, never written to a data directory.
pub fn test_keys() -> Arc<dyn vault::KeyProvider> {
    static KEYS: std::sync::OnceLock<Arc<vault::Keyring>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| Arc::new(vault::Keyring::generate().unwrap()))
        .clone()
}

/// The edge the tests run with: the defaults, but webhooks may go to the tests' receivers on
/// http://127.0.0.1, and every test client is 127.0.0.1, so the budget of authentication
/// failures is out of the way of tests that are refused on purpose (`edge_policy.rs` tests it
/// with its own).
pub fn test_edge() -> api::EdgeConfig {
    api::EdgeConfig {
        allow_insecure_webhooks: true,
        auth_failures_per_minute: 100_000,
        // Tests move the clock by months: the root operator's session outlives them.
        operator_session_hours: 24 * 365 * 50,
        ..api::EdgeConfig::default()
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(engine_config()).await
    }

    pub async fn start_with(engine: EngineConfig) -> TestServer {
        TestServer::start_with_risk(engine, api::RiskOptions::default()).await
    }

    /// A server with risk options (rules, step-up providers, webhook timing).
    pub async fn start_with_risk(engine: EngineConfig, options: api::RiskOptions) -> TestServer {
        TestServer::start_full(engine, options, test_edge(), None, None).await
    }

    /// A server with its own edge limits (timeouts, connection cap, trusted proxies).
    pub async fn start_with_edge(engine: EngineConfig, options: api::RiskOptions, edge: api::EdgeConfig) -> TestServer {
        TestServer::start_full(engine, options, edge, None, None).await
    }

    /// A server reading `server_clock` (the system clock in production), or the manual clock.
    pub async fn start_with_clock(
        engine: EngineConfig,
        options: api::RiskOptions,
        server_clock: Option<Arc<dyn engine::Clock>>,
    ) -> TestServer {
        TestServer::start_full(engine, options, test_edge(), server_clock, None).await
    }

    /// A server on `store` (the memory store: the API sees stores only through their traits).
    pub async fn start_on(store: api::StoreChoice) -> TestServer {
        TestServer::start_full(
            engine_config(),
            api::RiskOptions::default(),
            test_edge(),
            None,
            Some(store),
        )
        .await
    }

    async fn start_full(
        engine: EngineConfig,
        options: api::RiskOptions,
        edge: api::EdgeConfig,
        server_clock: Option<Arc<dyn engine::Clock>>,
        store: Option<api::StoreChoice>,
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(start_at()));
        let server_clock = server_clock.unwrap_or_else(|| clock.clone());
        let base_config = config(dir.path(), engine.clone());
        let config = Config {
            edge: edge.clone(),
            store: store.clone().unwrap_or(base_config.store.clone()),
            ..base_config
        };
        let server = Server::start_with(config, options.clone(), server_clock.clone())
            .await
            .unwrap();
        let base = format!("http://{}", server.addr());
        TestServer {
            server: Some(server),
            dir,
            clock,
            server_clock,
            http: reqwest::Client::new(),
            base,
            keys: AtomicU64::new(0),
            engine,
            options,
            edge,
            store,
            root: tokio::sync::Mutex::new(None),
            checker: tokio::sync::Mutex::new(None),
        }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(&mut self) {
        self.server.take().unwrap().stop().await.unwrap();
        self.start_again().await;
    }

    /// Starts a new server on the same data directory (the last one was stopped).
    pub async fn start_again(&mut self) {
        let base_config = config(self.dir.path(), self.engine.clone());
        let config = Config {
            edge: self.edge.clone(),
            store: self.store.clone().unwrap_or(base_config.store.clone()),
            ..base_config
        };
        let server = Server::start_with(config, self.options.clone(), self.server_clock.clone())
            .await
            .unwrap();
        self.base = format!("http://{}", server.addr());
        self.server = Some(server);
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    /// A fresh idempotency key.
    pub fn key(&self) -> String {
        format!("key-{}", self.keys.fetch_add(1, Ordering::Relaxed))
    }

    /// Moves the clock and brings every account up to the new day (closes statements).
    pub async fn advance_to(&self, at: &str) {
        self.clock.set(at.parse().unwrap());
        for reply in self.server().state().engine().advance().unwrap() {
            reply.await.unwrap();
        }
    }

    pub async fn get(&self, auth: &Auth, path: &str) -> Answer {
        self.send(auth, "GET", path, b"", None, &[]).await
    }

    /// POSTs JSON with a fresh idempotency key.
    pub async fn post(&self, auth: &Auth, path: &str, body: Value) -> Answer {
        let key = self.key();
        self.post_keyed(auth, path, body, &key).await
    }

    pub async fn post_keyed(&self, auth: &Auth, path: &str, body: Value, key: &str) -> Answer {
        let bytes = serde_json::to_vec(&body).unwrap();
        self.send(auth, "POST", path, &bytes, Some(key), &[]).await
    }

    /// The root operator's session (bootstrapped and logged in on first use).
    pub async fn root_token(&self) -> String {
        let mut root = self.root.lock().await;
        if let Some(token) = &*root {
            return token.clone();
        }
        let body = json!({"name": "root", "password": ROOT_PASSWORD, "roles": ROLES});
        let made = self
            .send_as(
                &Auth::Bearer(ADMIN.into()),
                "POST",
                "/v1/operators/bootstrap",
                &serde_json::to_vec(&body).unwrap(),
                Some("root-bootstrap"),
                &[],
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let login = OperatorLogin {
            id: made.str("operator_id"),
            name: "root".into(),
            password: ROOT_PASSWORD.into(),
            secret: made.str("totp_secret"),
        };
        let answer = self.login(&login).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let token = answer.str("token");
        *root = Some(token.clone());
        token
    }

    /// Logs `operator` in with a code for the server's clock now.
    pub async fn login(&self, operator: &OperatorLogin) -> Answer {
        let code = totp(&operator.secret, self.clock_now());
        let body = json!({"name": operator.name, "password": operator.password, "totp": code});
        self.send_as(
            &Auth::None,
            "POST",
            "/v1/operators/login",
            &serde_json::to_vec(&body).unwrap(),
            None,
            &[],
        )
        .await
    }

    /// Creates an operator with `roles` (as root) without logging it in.
    pub async fn create_operator(&self, name: &str, roles: &[&str]) -> OperatorLogin {
        let password = format!("{name}-password-0123");
        let body = json!({"name": name, "password": password, "roles": roles});
        let made = self.post(&operator(), "/v1/operators", body).await;
        assert_eq!(made.status, 201, "{}", made.text);
        OperatorLogin {
            id: made.str("operator_id"),
            name: name.into(),
            password,
            secret: made.str("totp_secret"),
        }
    }

    /// An operator with exactly `roles`, logged in.
    pub async fn operator_with(&self, name: &str, roles: &[&str]) -> Auth {
        let made = self.create_operator(name, roles).await;
        let answer = self.login(&made).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        Auth::Bearer(answer.str("token"))
    }

    /// Sends exactly these bytes; merchant requests are signed at the clock's current time
    /// unless `headers` overrides `x-timestamp` or `x-signature`.
    pub async fn send(
        &self,
        auth: &Auth,
        method: &str,
        path: &str,
        body: &[u8],
        key: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        if let Auth::Operator = auth {
            let root = Auth::Bearer(self.root_token().await);
            let answer = self.send_as(&root, method, path, body, key, headers).await;
            return self.approved(answer).await;
        }
        self.send_as(auth, method, path, body, key, headers).await
    }

    pub(crate) async fn send_as(
        &self,
        auth: &Auth,
        method: &str,
        path: &str,
        body: &[u8],
        key: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path))
            .body(body.to_vec());
        if !body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        // A merchant's signature is usable once for a read: two reads of one path in the same
        // second tell themselves apart with a key (it is signed, and ignored on a GET).
        let read_key;
        let key = match (auth, key, method == reqwest::Method::GET) {
            (Auth::Merchant(_), None, true) => {
                read_key = format!("read-{}", READS.fetch_add(1, Ordering::Relaxed));
                Some(read_key.as_str())
            }
            _ => key,
        };
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        match auth {
            Auth::None | Auth::Operator => {}
            Auth::Bearer(token) => request = request.header("authorization", format!("Bearer {token}")),
            Auth::Merchant(m) => {
                let timestamp = headers
                    .iter()
                    .find(|(k, _)| *k == "x-timestamp")
                    .map_or_else(|| self.clock_now().as_second().to_string(), |(_, v)| v.to_string());
                let signature = api::sign(
                    m.secret.as_bytes(),
                    method.as_str(),
                    path,
                    &timestamp,
                    key.unwrap_or(""),
                    body,
                );
                request = request.header("x-merchant-id", &m.id).header("x-timestamp", &timestamp);
                if !headers.iter().any(|(k, _)| *k == "x-signature") {
                    request = request.header("x-signature", signature);
                }
            }
        }
        for (name, value) in headers {
            if *name != "x-timestamp" {
                request = request.header(*name, *value);
            }
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get("idempotent-replayed")
            .is_some_and(|v| v == "true");
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            text,
            replayed,
            retry_after,
        }
    }

    pub fn clock_now(&self) -> Timestamp {
        self.server_clock.now()
    }

    /// POSTs under one fresh key, retrying while the server answers 503 `busy`, as a client
    /// should: for the setup calls of tests that fill the engine's queues on purpose.
    pub async fn post_until_taken(&self, auth: &Auth, path: &str, body: Value) -> Answer {
        let key = self.key();
        for _ in 0..200 {
            let answer = self.post_keyed(auth, path, body.clone(), &key).await;
            if answer.status != 503 {
                return answer;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{path} stayed busy");
    }

    pub async fn register_merchant(&self, name: &str) -> Merchant {
        let answer = self
            .post_until_taken(&operator(), "/v1/merchants", json!({"name": name}))
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        Merchant {
            id: answer.str("merchant_id"),
            secret: answer.str("secret"),
        }
    }

    pub async fn open_customer(&self, limit_fen: i64, billing_day: u8) -> Customer {
        let body = json!({"limit_fen": limit_fen, "billing_day": billing_day});
        let answer = self.post_until_taken(&operator(), "/v1/customers", body).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        Customer {
            id: answer.str("customer_id"),
            token: answer.str("token"),
        }
    }

    /// Records the customer's identity with a bank card the simulated four-element check
    /// verifies (debits draw on it, payouts pay to it).
    pub async fn card_on_file(&self, customer: &Customer) {
        let body = json!({
            "mobile": "13812345678", "id_number": identity::sim::fixtures::ID_MATCH,
            "bank_card": identity::sim::fixtures::CARD_VERIFIED, "name": "张三",
            "reserved_mobile": "13812345678"
        });
        let path = format!("/v1/customers/{}/identity", customer.id);
        let answer = self.post_until_taken(&operator(), &path, body).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }

    pub async fn payment_code(&self, customer: &Customer) -> String {
        let answer = self
            .post(
                &customer.auth(),
                &format!("/v1/customers/{}/payment-codes", customer.id),
                json!({}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.str("payment_code")
    }

    /// Authorizes with a fresh payment code; returns the answer.
    pub async fn pay(&self, merchant: &Merchant, customer: &Customer, body: Value) -> Answer {
        let code = self.payment_code(customer).await;
        let mut body = body;
        body["payment_code"] = json!(code);
        self.post(&merchant.auth(), "/v1/payments", body).await
    }
}

/// The signature a merchant sends for a request (the key is part of what is signed).
pub fn signature(m: &Merchant, method: &str, path: &str, timestamp: &str, key: &str, body: &[u8]) -> String {
    api::sign(m.secret.as_bytes(), method, path, timestamp, key, body)
}
