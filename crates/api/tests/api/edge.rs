//! The HTTP edge's connection limits (issue 13, "HTTP edge"), with raw TCP clients: a request
//! head that never ends is closed after the header timeout, a body that never comes is cut
//! off, at the connection cap open connections keep working and new ones wait for a free
//! place, and stopping with a half-open connection keeps to the shutdown deadline and leaves
//! a store that reopens with everything acknowledged.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{TestServer, engine_config, operator, test_edge};

async fn server(edge: api::EdgeConfig) -> TestServer {
    TestServer::start_with_edge(engine_config(), api::RiskOptions::default(), edge).await
}

fn addr(t: &TestServer) -> SocketAddr {
    t.server().addr()
}

/// Reads until the server closes the connection (or resets it); how long that took, or
/// `None` if it was still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((started.elapsed(), seen)),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// One HTTP/1.1 GET on an open connection; the status, or `None` if no whole response head
/// came within `limit`.
async fn get_on(stream: &mut TcpStream, path: &str, limit: Duration) -> Option<u16> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: iou\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length: usize = text[..head_end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if seen.len() >= head_end + 4 + length {
                return text.get(9..12).and_then(|s| s.parse().ok());
            }
        }
    }
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_closed_after_the_header_timeout() {
    let t = server(api::EdgeConfig {
        header_timeout: Duration::from_millis(500),
        ..test_edge()
    })
    .await;
    let mut half_sent = TcpStream::connect(addr(&t)).await.unwrap();
    half_sent
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: iou\r\nX-Slow: ")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(addr(&t)).await.unwrap();
    for stream in [&mut half_sent, &mut silent] {
        let (after, _) = closed_within(stream, Duration::from_secs(10))
            .await
            .expect("the server closes a connection whose request head never ends");
        assert!(after < Duration::from_secs(5), "closed after {after:?}");
    }
}

#[tokio::test]
async fn a_body_that_never_arrives_is_cut_off() {
    let t = server(api::EdgeConfig {
        body_timeout: Duration::from_millis(500),
        ..test_edge()
    })
    .await;
    let mut stream = TcpStream::connect(addr(&t)).await.unwrap();
    let head = format!(
        "POST /v1/merchants HTTP/1.1\r\nHost: iou\r\nAuthorization: Bearer {}\r\nIdempotency-Key: k1\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\"",
        crate::harness::ADMIN
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (after, answer) = closed_within(&mut stream, Duration::from_secs(10))
        .await
        .expect("the server gives up on a body that does not come");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    assert!(after < Duration::from_secs(5), "cut off after {after:?}");
}

#[tokio::test]
async fn at_the_connection_cap_open_connections_work_and_new_ones_wait_for_a_place() {
    let t = server(api::EdgeConfig {
        max_connections: 3,
        ..test_edge()
    })
    .await;
    let mut open = TcpStream::connect(addr(&t)).await.unwrap();
    assert_eq!(get_on(&mut open, "/healthz", Duration::from_secs(5)).await, Some(200));
    // Two connections that send nothing: the cap (3) is reached.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        stalled.push(TcpStream::connect(addr(&t)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        get_on(&mut open, "/healthz", Duration::from_secs(5)).await,
        Some(200),
        "a connection already open keeps being served at the cap"
    );
    let mut fresh = TcpStream::connect(addr(&t)).await.unwrap();
    assert_eq!(
        get_on(&mut fresh, "/healthz", Duration::from_millis(700)).await,
        None,
        "a connection past the cap waits to be accepted"
    );
    drop(stalled);
    let started = Instant::now();
    let mut buf = Vec::new();
    let answered = tokio::time::timeout(Duration::from_secs(5), async {
        // The request was already sent: read its answer.
        let mut chunk = [0u8; 512];
        while !String::from_utf8_lossy(&buf).contains("\r\n\r\n") {
            let n = fresh.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed without an answer");
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await;
    assert!(answered.is_ok(), "answered once the stalled connections closed");
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn stop_with_a_half_open_connection_keeps_to_the_shutdown_deadline() {
    let mut t = server(api::EdgeConfig {
        header_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        shutdown_deadline: Duration::from_secs(1),
        ..test_edge()
    })
    .await;
    let customer = t.open_customer(100_000, 5).await;
    let mut half_open = TcpStream::connect(addr(&t)).await.unwrap();
    half_open
        .write_all(b"POST /v1/customers HTTP/1.1\r\nHost: iou\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let stopped = tokio::time::timeout(Duration::from_secs(10), t.server.take().unwrap().stop()).await;
    let took = started.elapsed();
    assert!(stopped.is_ok(), "stop hung with a half-open connection");
    stopped.unwrap().unwrap();
    assert!(took < Duration::from_secs(4), "stop took {took:?} with a 1 s deadline");
    assert!(closed_within(&mut half_open, Duration::from_secs(2)).await.is_some());

    // The store reopens with what was acknowledged.
    let config = api::Config {
        edge: test_edge(),
        ..crate::harness::config(t.dir.path(), engine_config())
    };
    let server = api::Server::start(config, t.clock.clone()).await.unwrap();
    t.base = format!("http://{}", server.addr());
    t.server = Some(server);
    let read = t.get(&customer.auth(), &format!("/v1/customers/{}", customer.id)).await;
    assert_eq!(read.fen("limit_fen"), 100_000);
    let more = t
        .post(
            &operator(),
            "/v1/customers",
            json!({"limit_fen": 1000, "billing_day": 3}),
        )
        .await;
    assert_eq!(more.status, 201, "{}", more.text);
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let t = server(api::EdgeConfig {
        idle_timeout: Duration::from_millis(500),
        ..test_edge()
    })
    .await;
    let mut stream = TcpStream::connect(addr(&t)).await.unwrap();
    // The HTTP/2 preface and an empty SETTINGS frame, then nothing.
    stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
    stream.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
    let (after, answer) = closed_within(&mut stream, Duration::from_secs(10))
        .await
        .expect("an idle HTTP/2 connection is closed");
    assert_eq!(answer.get(3), Some(&4), "the server spoke HTTP/2 (its SETTINGS first)");
    assert!(after < Duration::from_secs(5), "closed after {after:?}");
}

#[tokio::test]
async fn http2_with_prior_knowledge_still_multiplexes_on_one_connection() {
    use http_body_util::{BodyExt, Empty};
    use hyper::body::Bytes;
    let t = server(test_edge()).await;
    let stream = TcpStream::connect(addr(&t)).await.unwrap();
    let (sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let uri = format!("http://{}/healthz", addr(&t));
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (mut sender, uri) = (sender.clone(), uri.clone());
            tokio::spawn(async move {
                let request = hyper::Request::get(uri).body(Empty::<Bytes>::new()).unwrap();
                let response = sender.send_request(request).await.unwrap();
                let status = response.status().as_u16();
                let cache = response.headers().get("cache-control").cloned();
                let body = response.into_body().collect().await.unwrap().to_bytes();
                (status, cache, body)
            })
        })
        .collect();
    for call in calls {
        let (status, cache, body) = call.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(cache.as_ref().map(|v| v.to_str().unwrap()), Some("no-store"));
        assert!(!body.is_empty());
    }
}
