//! The plain service behind HTTP: the baseline for the HTTP measurement. An axum server on
//! loopback answers the same signed merchant authorizations the iou server answers (the same
//! request bytes from the same load generator, [`crate::http::drive`]), checking what iou checks
//! at its edge (the merchant's HMAC signature and timestamp window, the idempotency key, a JSON
//! body with no unknown fields, a positive amount), then runs [`crate::plain::authorize`] (one
//! durable SQLite transaction, idempotency key and stored response included) on a blocking
//! thread with a connection from a small pool, the way a tokio service uses rusqlite.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{BenchError, Figures, Load, plain};

/// Connections in the pool. SQLite has one writer: more connections only wait on its lock
/// (measured with 256 in flight on 2 cores: 1, 4 and 8 connections gave 2.5k, 2.55k and
/// 2.2-2.4k auth/s, the larger pools with multi-second stalls from its busy handler).
const POOL: usize = 1;

/// The one merchant, and its signing secret.
const MERCHANT: i64 = 1;
const SECRET: &str = "plain-service-bench-secret";

/// How far a request's timestamp may be from the clock (as iou's server allows).
const WINDOW_SECONDS: i64 = 300;

/// Connections handed out one request at a time; the semaphore's permits match the idle ones.
struct Pool {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Pool {
    fn open(path: &Path) -> Result<Pool, BenchError> {
        let idle = (0..POOL).map(|_| plain::connect(path)).collect::<Result<_, _>>()?;
        Ok(Pool {
            idle: Mutex::new(idle),
            permits: Semaphore::new(POOL),
        })
    }

    fn take(&self) -> Option<Connection> {
        self.idle.lock().ok()?.pop()
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeBody {
    link_id: String,
    amount_fen: i64,
}

fn answer(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn refuse(status: u16, code: &str) -> Response {
    answer(status, format!(r#"{{"code":"{code}"}}"#))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether the request carries the merchant's valid signature within the time window.
fn signed(headers: &HeaderMap, body: &[u8], now_s: i64) -> bool {
    let (Some(merchant), Some(timestamp), Some(signature)) = (
        header_str(headers, "x-merchant-id"),
        header_str(headers, "x-timestamp"),
        header_str(headers, "x-signature"),
    ) else {
        return false;
    };
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (t - now_s).abs() <= WINDOW_SECONDS);
    let expected = api::sign(SECRET.as_bytes(), "POST", "/v1/payments", timestamp, body);
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    merchant == MERCHANT.to_string() && fresh && same
}

async fn authorize(State(pool): State<Arc<Pool>>, headers: HeaderMap, body: Bytes) -> Response {
    let now = jiff::Timestamp::now();
    if !signed(&headers, &body, now.as_second()) {
        return refuse(401, "bad_signature");
    }
    let Some(key) = header_str(&headers, "idempotency-key")
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
    else {
        return refuse(400, "idempotency_key_required");
    };
    let Ok(parsed) = serde_json::from_slice::<AuthorizeBody>(&body) else {
        return refuse(400, "invalid_json");
    };
    let (Ok(link), true) = (parsed.link_id.parse::<i64>(), parsed.amount_fen > 0) else {
        return refuse(400, "invalid_field");
    };
    let hash: [u8; 32] = Sha256::digest(&body).into();
    let Ok(_permit) = pool.permits.acquire().await else {
        return refuse(503, "unavailable");
    };
    let worker = pool.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut conn = worker.take()?;
        let auth = plain::Authorization {
            payer: plain::Payer::Link(link),
            merchant: MERCHANT,
            amount_fen: parsed.amount_fen,
            at_ms: now.as_millisecond(),
            idempotency: Some((&key, &hash)),
        };
        let result = plain::authorize(&mut conn, &auth);
        worker.give_back(conn);
        Some(result)
    })
    .await;
    match done {
        Ok(Some(Ok(plain::Answer { status, body }))) => answer(status, body),
        _ => refuse(500, "internal"),
    }
}

/// The plain service on loopback, driven by the same load generator as the iou server.
pub fn run(load: &Load) -> Result<Figures, BenchError> {
    let dir = tempfile::tempdir()?;
    let path: PathBuf = dir.path().join("plain.db");
    plain::create(&path, load.accounts, Some(MERCHANT))?;
    let pool = Arc::new(Pool::open(&path)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/v1/payments", axum::routing::post(authorize))
        .with_state(pool);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = runtime.spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let links = Arc::new((0..load.accounts).collect::<Vec<u64>>());
    let figures = runtime.block_on(crate::http::drive(
        addr,
        load.clone(),
        MERCHANT.to_string(),
        SECRET.to_owned(),
        links,
    ));
    let _ = stop.send(());
    let _ = runtime.block_on(serving);
    figures
}
