//! The engine measured over HTTP on loopback: the real server (`api::Server` on SQLite), and a
//! load generator in the same process. Every request is a signed merchant authorization with its
//! own idempotency key, exactly what a merchant would send.
//!
//! Two ways to reach the server ([`Protocol`]): HTTP/1.1 with one keep-alive connection per
//! request in flight (each request is its own write and read on its own socket), spoken by the
//! lean client of [`crate::wire`] as `wrk` would, or HTTP/2 (cleartext, prior knowledge, hyper's
//! client) with up to [`H2_STREAMS`] requests in flight on each connection, which is how a busy
//! merchant gateway talks to an API: many requests share one socket's reads and writes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use credit::{AccountId, MerchantId};
use engine::{EngineConfig, Op, Outcome, Request, SystemClock};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::wire::Wire;
use crate::{BenchError, Figures, Latencies, Load, XorShift};

const ADMIN: &str = "bench-admin-token";

/// Requests in flight on one HTTP/2 connection.
pub const H2_STREAMS: usize = 64;

/// How the load generator speaks to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Http1,
    Http2,
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Protocol, String> {
        match s {
            "1" | "h1" | "http1" => Ok(Protocol::Http1),
            "2" | "h2" | "http2" => Ok(Protocol::Http2),
            other => Err(format!("unknown HTTP protocol {other:?}: use http1 or http2")),
        }
    }
}

/// One request slot's connection: its own HTTP/1.1 socket, or an HTTP/2 connection shared
/// (cloned) by the slots that use it.
enum Connection {
    H1(Wire),
    H2(http2::SendRequest<Full<Bytes>>),
}

fn other(e: impl std::fmt::Display) -> BenchError {
    BenchError::Other(e.to_string())
}

async fn socket(addr: std::net::SocketAddr) -> Result<TokioIo<tokio::net::TcpStream>, BenchError> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(TokioIo::new(stream))
}

/// A hyper HTTP/1.1 connection, for setup calls whose response bodies are read.
async fn connect_h1(addr: std::net::SocketAddr) -> Result<http1::SendRequest<Full<Bytes>>, BenchError> {
    let (sender, connection) = http1::handshake(socket(addr).await?).await.map_err(other)?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn connect_h2(addr: std::net::SocketAddr) -> Result<http2::SendRequest<Full<Bytes>>, BenchError> {
    let (sender, connection) = http2::handshake(TokioExecutor::new(), socket(addr).await?)
        .await
        .map_err(other)?;
    tokio::spawn(connection);
    Ok(sender)
}

/// One connection per request slot (HTTP/1.1), or [`H2_STREAMS`] slots sharing each
/// connection (HTTP/2).
async fn connect_slots(addr: std::net::SocketAddr, load: &Load) -> Result<Vec<Connection>, BenchError> {
    let mut slots = Vec::with_capacity(load.in_flight);
    match load.protocol {
        Protocol::Http1 => {
            for _ in 0..load.in_flight {
                slots.push(Connection::H1(Wire::connect(addr).await.map_err(other)?));
            }
        }
        Protocol::Http2 => {
            let mut shared = Vec::new();
            for _ in 0..load.in_flight.div_ceil(H2_STREAMS) {
                shared.push(connect_h2(addr).await?);
            }
            slots.extend((0..load.in_flight).map(|i| Connection::H2(shared[i % shared.len()].clone())));
        }
    }
    Ok(slots)
}

/// Sends a request on a hyper connection and reads the whole response.
async fn send<C>(conn: &mut C, request: hyper::Request<Full<Bytes>>) -> Result<(u16, Bytes), BenchError>
where
    C: Sender,
{
    let response = conn.send(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.map_err(other)?.to_bytes();
    Ok((status, body))
}

/// hyper's HTTP/1.1 and HTTP/2 senders, as one.
trait Sender {
    async fn send(&mut self, request: hyper::Request<Full<Bytes>>) -> Result<hyper::Response<Incoming>, BenchError>;
}

impl Sender for http1::SendRequest<Full<Bytes>> {
    async fn send(&mut self, request: hyper::Request<Full<Bytes>>) -> Result<hyper::Response<Incoming>, BenchError> {
        self.ready().await.map_err(other)?;
        self.send_request(request).await.map_err(other)
    }
}

impl Sender for http2::SendRequest<Full<Bytes>> {
    async fn send(&mut self, request: hyper::Request<Full<Bytes>>) -> Result<hyper::Response<Incoming>, BenchError> {
        self.ready().await.map_err(other)?;
        self.send_request(request).await.map_err(other)
    }
}

/// Registers the benchmark's merchant over HTTP: its id and secret.
async fn register_merchant(addr: std::net::SocketAddr) -> Result<(String, String), BenchError> {
    let mut conn = connect_h1(addr).await?;
    let request = hyper::Request::post("/v1/merchants")
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {ADMIN}"))
        .header("content-type", "application/json")
        .header("idempotency-key", "bench-merchant")
        .body(Full::new(Bytes::from_static(br#"{"name":"Bench Shop"}"#)))
        .map_err(other)?;
    let (status, body) = send(&mut conn, request).await?;
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| BenchError::Other(e.to_string()))?;
    let field = |k: &str| value[k].as_str().map(str::to_owned);
    match (status, field("merchant_id"), field("secret")) {
        (200 | 201, Some(id), Some(secret)) => Ok((id, secret)),
        _ => Err(BenchError::Other(format!(
            "merchant registration answered {status}: {value}"
        ))),
    }
}

/// Opens the accounts and links each to the merchant, straight through the engine (setup is not
/// measured).
fn link_accounts(engine: &engine::Engine, accounts: u64, merchant: MerchantId) -> Result<Vec<u64>, BenchError> {
    crate::inprocess::open_accounts(engine, accounts)?;
    let mut links = Vec::with_capacity(accounts as usize);
    // Chunks well under one partition's queue capacity (a full queue answers busy).
    for chunk in (0..accounts).collect::<Vec<_>>().chunks(1024) {
        let waiting: Vec<_> = chunk
            .iter()
            .map(|id| {
                engine.submit(
                    Request::LinkMerchant {
                        account: AccountId(*id),
                        merchant,
                    },
                    None,
                )
            })
            .collect::<Result<_, _>>()
            .map_err(|e| BenchError::Other(e.to_string()))?;
        for reply in waiting {
            match reply
                .blocking_recv()
                .map_err(|_| BenchError::Other("engine stopped".into()))?
                .outcome
            {
                Outcome::Applied {
                    op: Op::LinkMerchant { link, .. },
                    ..
                } => links.push(link.0),
                other => return Err(BenchError::Other(format!("linking failed: {other:?}"))),
            }
        }
    }
    Ok(links)
}

pub fn run(load: &Load) -> Result<Figures, BenchError> {
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let config = api::Config {
        listen: "127.0.0.1:0".parse().map_err(|_| BenchError::Other("address".into()))?,
        store: {
            let dir = dir.path().to_owned();
            api::StoreChoice::opened_by("sqlite (bench)", move || {
                Ok(Arc::new(store::sqlite::SqliteBackend::open(&dir)?) as Arc<dyn store::Backend>)
            })
        },
        engine: EngineConfig {
            partitions: load.partitions,
            writers: load.writers,
            schedule: false,
            snapshot_every_batches: 0,
            queue_capacity: load.in_flight.max(1024) * 2,
            ..EngineConfig::default()
        },
        admin_token: Some(ADMIN.to_owned()),
        edge: api::EdgeConfig::default(),
        token_lifetime_days: api::Config::TOKEN_LIFETIME_DAYS,
        // Keys for this run only (the authorization path seals nothing).
        keys: Some(Arc::new(
            vault::Keyring::generate().map_err(|e| BenchError::Other(e.to_string()))?,
        )),
    };
    let server = runtime
        .block_on(api::Server::start(config, Arc::new(SystemClock)))
        .map_err(|e| BenchError::Other(e.to_string()))?;
    let addr = server.addr();
    let (merchant, secret) = runtime.block_on(register_merchant(addr))?;
    let merchant_id = MerchantId(merchant.parse().map_err(|_| BenchError::Other("merchant id".into()))?);
    let links = Arc::new(link_accounts(server.state().engine(), load.accounts, merchant_id)?);
    crate::projection::settle(dir.path(), load.partitions)?;
    let figures = runtime.block_on(drive(addr, load.clone(), merchant, secret, links))?;
    let figures = figures.with_read_models_behind(crate::projection::settle(dir.path(), load.partitions)?);
    runtime
        .block_on(server.stop())
        .map_err(|e| BenchError::Other(e.to_string()))?;
    Ok(figures)
}

/// Drives the server at `addr` with signed authorizations on `links` for `load.seconds`.
pub(crate) async fn drive(
    addr: std::net::SocketAddr,
    load: Load,
    merchant: String,
    secret: String,
    links: Arc<Vec<u64>>,
) -> Result<Figures, BenchError> {
    let connections = connect_slots(addr, &load).await?;
    let deadline = Instant::now() + Duration::from_secs_f64(load.seconds);
    let cpu = crate::cpu::CpuSample::now();
    let started = Instant::now();
    let (merchant, secret) = (Arc::new(merchant), Arc::new(secret));
    let mut tasks = Vec::new();
    for (client, mut conn) in connections.into_iter().enumerate() {
        let (merchant, secret, links, host) = (merchant.clone(), secret.clone(), links.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut rng = XorShift::new(0x77 + client as u64);
            let mut latencies = Latencies::default();
            let (mut approved, mut declined, mut busy) = (0u64, 0u64, 0u64);
            let mut n = 0u64;
            let mut raw = Vec::with_capacity(1024);
            while Instant::now() < deadline {
                n += 1;
                let link = links[rng.below(links.len() as u64) as usize];
                let signed = Signed::new(link, format!("b{client}-{n}"), &secret);
                let begun;
                let status = match &mut conn {
                    Connection::H1(wire) => {
                        signed.write_raw(&host, &merchant, &mut raw);
                        begun = Instant::now();
                        wire.exchange(&raw).await.map(|(status, _)| status).map_err(other)
                    }
                    Connection::H2(h2) => {
                        let Ok(request) = signed.hyper(&host, &merchant) else {
                            break;
                        };
                        begun = Instant::now();
                        send(h2, request).await.map(|(status, _)| status)
                    }
                };
                let Ok(status) = status else {
                    break;
                };
                match status {
                    200 | 201 => {
                        approved += 1;
                        latencies.record(begun.elapsed());
                    }
                    402 => {
                        declined += 1;
                        latencies.record(begun.elapsed());
                    }
                    503 => {
                        busy += 1;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    _ => break,
                }
            }
            (latencies, approved, declined, busy)
        }));
    }
    let mut all = Latencies::default();
    let (mut approved, mut declined, mut busy) = (0, 0, 0);
    for task in tasks {
        if let Ok((l, a, d, b)) = task.await {
            all.merge(l);
            approved += a;
            declined += d;
            busy += b;
        }
    }
    Ok(Figures::new(all, started.elapsed().as_secs_f64(), approved, declined, busy).with_cpu_since(cpu))
}

/// One signed authorization, as a merchant sends it.
struct Signed {
    body: String,
    timestamp: String,
    signature: String,
    key: String,
}

impl Signed {
    fn new(link: u64, key: String, secret: &str) -> Signed {
        let body = format!(r#"{{"link_id":"{link}","amount_fen":100}}"#);
        let timestamp = jiff::Timestamp::now().as_second().to_string();
        let signature = api::sign(
            secret.as_bytes(),
            "POST",
            "/v1/payments",
            &timestamp,
            &key,
            body.as_bytes(),
        );
        Signed {
            body,
            timestamp,
            signature,
            key,
        }
    }

    /// The whole HTTP/1.1 request, into `out` (cleared first).
    fn write_raw(&self, host: &str, merchant: &str, out: &mut Vec<u8>) {
        use std::io::Write;
        out.clear();
        // Writing to a Vec cannot fail.
        let _ = write!(
            out,
            "POST /v1/payments HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
             x-merchant-id: {merchant}\r\nx-timestamp: {}\r\nx-signature: {}\r\n\
             idempotency-key: {}\r\ncontent-length: {}\r\n\r\n{}",
            self.timestamp,
            self.signature,
            self.key,
            self.body.len(),
            self.body
        );
    }

    fn hyper(self, host: &str, merchant: &str) -> Result<hyper::Request<Full<Bytes>>, BenchError> {
        hyper::Request::post("/v1/payments")
            .header("host", host)
            .header("content-type", "application/json")
            .header("x-merchant-id", merchant)
            .header("x-timestamp", self.timestamp)
            .header("x-signature", self.signature)
            .header("idempotency-key", self.key)
            .body(Full::new(Bytes::from(self.body)))
            .map_err(other)
    }
}
