//! A small HTTP/1.1 test server on 127.0.0.1:0 for the adapter tests: it answers from a script
//! of canned replies (then a fallback), or with the simulator's protocol handler, and records
//! every request. Hand-rolled on tokio so the tests need no web framework.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use identity::sim::SimulatedProviders;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer this status and body.
    Json(u16, &'static str),
    /// Wait this long, then answer.
    Slow(u64, u16, &'static str),
    /// Answer as the simulator would.
    Sim,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    fallback: Reply,
    sim: Option<Arc<SimulatedProviders>>,
    requests: Mutex<Vec<Recorded>>,
}

#[derive(Debug)]
pub struct TestServer {
    pub base: String,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Serves `script` in order, then `fallback` for every further request.
    pub async fn scripted(script: Vec<Reply>, fallback: Reply) -> Self {
        Self::start(script, fallback, None).await
    }

    /// Serves the simulator's protocol.
    pub async fn simulator(sim: Arc<SimulatedProviders>) -> Self {
        Self::start(Vec::new(), Reply::Sim, Some(sim)).await
    }

    async fn start(script: Vec<Reply>, fallback: Reply, sim: Option<Arc<SimulatedProviders>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            fallback,
            sim,
            requests: Mutex::new(Vec::new()),
        });
        let serving = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, serving.clone()));
            }
        });
        Self { base, shared }
    }

    pub fn hits(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    shared.requests.lock().unwrap().push(request.clone());
    let reply = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| shared.fallback.clone());
    let (status, body) = match reply {
        Reply::Json(status, body) => (status, body.to_owned()),
        Reply::Slow(ms, status, body) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            (status, body.to_owned())
        }
        Reply::Sim => {
            let sim = shared.sim.as_ref().expect("a simulator server");
            let answer = sim.answer(&request.path, request.body.as_bytes());
            (answer.status, answer.body)
        }
    };
    let response = format!(
        "HTTP/1.1 {status} Test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The client may have given up (timeout tests): a failed write is expected then.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads one request: the head up to the blank line, then `Content-Length` bytes of body.
async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        path,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}
