//! The wire: one HTTP call to an iou server as one of its callers (the operator's bearer token,
//! a customer's bearer token, or a merchant's HMAC signature over the request), with its
//! Idempotency-Key, retried on 503 (busy) under the same key; and the engine's reply read back
//! from the simulation-mode header (hex of postcard, as the server encodes it).

use std::sync::Arc;
use std::time::Duration;

use engine::{Outcome, RiskRecord};
use hmac::{Hmac, Mac};
use reqwest::Method;
use risk::ChallengeKind;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::driver::{Answer, DriverError};

/// The server's header with the engine's reply (simulation mode).
pub const REPLY_HEADER: &str = "iou-sim-reply";
/// The header with the step-up the simulator says its customer passed (simulation mode).
pub const STEP_UP_HEADER: &str = "iou-sim-step-up";

/// How often a busy answer is retried before the run stops.
const BUSY_RETRIES: u32 = 200;
/// How often a call whose connection was lost before its answer is resent.
const LOST_RETRIES: u32 = 3;
/// How long a pooled connection may sit idle (the server closes idle ones at 10 s).
const POOL_IDLE: Duration = Duration::from_secs(4);

/// A merchant as the server registered it.
#[derive(Clone, Debug)]
pub struct Merchant {
    pub id: u64,
    pub secret: Arc<str>,
}

/// Who a call is sent as.
#[derive(Clone, Debug)]
pub enum Who {
    /// No credentials (an applicant, who has no account yet).
    Nobody,
    Operator,
    Customer(Arc<str>),
    Merchant(Merchant),
}

/// What the server answered.
#[derive(Debug)]
pub struct Sent {
    pub status: u16,
    pub body: Value,
    pub text: String,
    /// The engine's reply, when the call reached the engine.
    pub reply: Option<Answer>,
}

impl Sent {
    /// A string field of a JSON answer.
    pub fn str(&self, key: &str) -> Result<&str, DriverError> {
        self.body[key]
            .as_str()
            .ok_or_else(|| DriverError::Http(format!("no {key} in the answer {} {}", self.status, self.text)))
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The client: cheap to clone (one connection pool).
#[derive(Clone, Debug)]
pub struct Wire {
    client: reqwest::Client,
    base: Arc<str>,
    operator: Arc<str>,
}

/// The merchant signature (version 2): `hex(HMAC-SHA256(secret,
/// "iou-v2\nMETHOD\nPATH\nTIMESTAMP\nIDEMPOTENCY_KEY\nhex(SHA256(body))"))`; the key is `""` when
/// the request has none.
pub fn sign(secret: &str, method: &str, path: &str, timestamp: &str, key: &str, body: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(body));
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(format!("iou-v2\n{method}\n{path}\n{timestamp}\n{key}\n{digest}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The engine's reply from the header's text.
pub fn decode_reply(text: &str) -> Result<Answer, DriverError> {
    let bytes = hex::decode(text).map_err(|e| DriverError::Http(format!("the reply header is not hex: {e}")))?;
    let (outcome, risk): (Outcome, Option<RiskRecord>) = postcard::from_bytes(&bytes)
        .map_err(|e| DriverError::Http(format!("the reply header does not decode: {e}")))?;
    Ok(Answer {
        outcome,
        risk: risk.map(Box::new),
    })
}

impl Wire {
    pub fn new(base: &str, operator: &str) -> Result<Wire, DriverError> {
        Wire::from_address(base, operator, None)
    }

    /// A client whose connections leave from `local` (the address the server sees).
    pub fn from_address(base: &str, operator: &str, local: Option<std::net::IpAddr>) -> Result<Wire, DriverError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(64)
            // Below the server's keep-alive limit (`iou serve --header-timeout`, 10 s by default):
            // a pooled connection the server has already closed is never picked up. A call
            // can still meet a connection closing under it: `send` retries those that are safe.
            .pool_idle_timeout(POOL_IDLE)
            .local_address(local)
            .build()
            .map_err(|e| DriverError::Http(format!("building the client: {e}")))?;
        Ok(Wire {
            client,
            base: base.trim_end_matches('/').into(),
            operator: operator.into(),
        })
    }

    /// Sends one call; `now_s` is the server's clock in unix seconds (merchants sign with it).
    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
        step_up: Option<ChallengeKind>,
        now_s: i64,
    ) -> Result<Sent, DriverError> {
        let bytes = match body {
            Some(value) => serde_json::to_vec(value).map_err(|e| DriverError::Http(e.to_string()))?,
            None => Vec::new(),
        };
        let mut lost = 0;
        for _ in 0..BUSY_RETRIES {
            let mut request = self
                .client
                .request(method.clone(), format!("{}{path}", self.base))
                .body(bytes.clone());
            if body.is_some() {
                request = request.header("content-type", "application/json");
            }
            if let Some(key) = key {
                request = request.header("idempotency-key", key);
            }
            if let Some(kind) = step_up {
                let name = match kind {
                    ChallengeKind::Otp => "otp",
                    ChallengeKind::Liveness => "liveness",
                };
                request = request.header(STEP_UP_HEADER, name);
            }
            request = match who {
                Who::Nobody => request,
                Who::Operator => request.bearer_auth(&*self.operator),
                Who::Customer(token) => request.bearer_auth(&**token),
                Who::Merchant(m) => {
                    let timestamp = now_s.to_string();
                    let signature = sign(&m.secret, method.as_str(), path, &timestamp, key.unwrap_or(""), &bytes);
                    request
                        .header("x-merchant-id", m.id.to_string())
                        .header("x-timestamp", timestamp)
                        .header("x-signature", signature)
                }
            };
            let response = match request.send().await {
                Ok(response) => response,
                // A connection lost before an answer: resent when resending is safe (a read, or
                // a call with an Idempotency-Key, which the server answers once).
                Err(e) if lost < LOST_RETRIES && (method == Method::GET || key.is_some()) => {
                    lost += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50 * lost as u64)).await;
                    continue;
                }
                Err(e) => return Err(DriverError::Unavailable(format!("{method} {path}: {e}"))),
            };
            let status = response.status().as_u16();
            let reply = response
                .headers()
                .get(REPLY_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(decode_reply)
                .transpose()?;
            let text = response
                .text()
                .await
                .map_err(|e| DriverError::Unavailable(format!("{method} {path}: {e}")))?;
            if status == 503 && reply.is_none() {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            let body = serde_json::from_str(&text).unwrap_or(Value::Null);
            return Ok(Sent {
                status,
                body,
                text,
                reply,
            });
        }
        Err(DriverError::Unavailable(format!(
            "{method} {path}: still busy after {BUSY_RETRIES} tries"
        )))
    }
}
