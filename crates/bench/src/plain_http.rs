//! The plain service behind HTTP: the baseline for the HTTP measurement. An axum server on
//! loopback answers the same signed merchant authorizations the iou server answers (the same
//! request bytes from the same load generator, [`crate::http::drive`]), checking what iou checks
//! at its edge (the merchant's HMAC signature and timestamp window, the idempotency key, a JSON
//! body with no unknown fields, a positive amount), then hands [`crate::plain::authorize`] (one
//! durable SQLite transaction, idempotency key and stored response included) to a connection's
//! own thread, the way a tokio service uses rusqlite.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::{BenchError, Figures, Load, plain};

/// Connections in the pool, each owned by its own thread that takes jobs from a shared queue
/// (what tokio-rusqlite and deadpool-sqlite do: one thread per connection, one hop per call).
/// SQLite has one writer, so more connections only wait on its lock. Measured with 256 in
/// flight on 2 cores: 1 connection 2.8-3.3k auth/s (max latency ~0.1 s), 2 connections 2.8k
/// (max ~1.2 s, the busy handler's sleeps); a semaphore-guarded pool used through
/// `spawn_blocking` (two hops per call) reached 2.2-2.5k with 1, 4 or 8 connections.
const POOL: usize = 1;

/// The one merchant, and its signing secret.
const MERCHANT: i64 = 1;
const SECRET: &str = "plain-service-bench-secret";

/// How far a request's timestamp may be from the clock (as iou's server allows).
const WINDOW_SECONDS: i64 = 300;

/// One authorization for a connection thread, and where its answer goes.
struct Job {
    link: i64,
    amount_fen: i64,
    at_ms: i64,
    key: String,
    hash: [u8; 32],
    reply: oneshot::Sender<Result<plain::Answer, BenchError>>,
}

/// The queue the connection threads take jobs from.
struct Pool {
    jobs: SyncSender<Job>,
}

impl Pool {
    /// Opens the connections and starts their threads; they end when the pool is dropped.
    fn open(path: &Path) -> Result<(Pool, Vec<std::thread::JoinHandle<()>>), BenchError> {
        let (jobs, queue) = sync_channel::<Job>(4096);
        let queue = Arc::new(Mutex::new(queue));
        let mut threads = Vec::new();
        for _ in 0..POOL {
            let mut conn = plain::connect(path)?;
            let queue = queue.clone();
            let thread = std::thread::Builder::new().name("plain-sqlite".into());
            threads.push(thread.spawn(move || {
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let auth = plain::Authorization {
                        payer: plain::Payer::Link(job.link),
                        merchant: MERCHANT,
                        amount_fen: job.amount_fen,
                        at_ms: job.at_ms,
                        idempotency: Some((&job.key, &job.hash)),
                    };
                    let _ = job.reply.send(plain::authorize(&mut conn, &auth));
                }
            })?);
        }
        Ok((Pool { jobs }, threads))
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
    let key = header_str(headers, "idempotency-key").unwrap_or("");
    let expected = api::sign(SECRET.as_bytes(), "POST", "/v1/payments", timestamp, key, body);
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    merchant.parse() == Ok(MERCHANT) && fresh && same
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
    let (reply, answered) = oneshot::channel();
    let job = Job {
        link,
        amount_fen: parsed.amount_fen,
        at_ms: now.as_millisecond(),
        key,
        hash: Sha256::digest(&body).into(),
        reply,
    };
    // The queue is far longer than the load generator's requests in flight.
    if pool.jobs.try_send(job).is_err() {
        return refuse(503, "busy");
    }
    match answered.await {
        Ok(Ok(plain::Answer { status, body })) => answer(status, body),
        _ => refuse(500, "internal"),
    }
}

/// The plain service on loopback, driven by the same load generator as the iou server.
pub fn run(load: &Load) -> Result<Figures, BenchError> {
    let dir = tempfile::tempdir()?;
    let path: PathBuf = dir.path().join("plain.db");
    plain::create(&path, load.accounts, Some(MERCHANT))?;
    let (pool, threads) = Pool::open(&path)?;
    let pool = Arc::new(pool);
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
    // The server dropped the pool: its threads see the queue closed.
    drop(runtime);
    for thread in threads {
        let _ = thread.join();
    }
    figures
}
