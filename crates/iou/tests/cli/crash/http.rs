//! The crash test's side of the wire: an `iou serve` child process that is killed when dropped,
//! and a plain HTTP/1.1 client (one connection per call) that tells an answer from a call whose
//! fate is unknown.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An `iou serve` child process. Dropping it kills the process (SIGKILL) and reaps it, so a
/// failing test leaves no server behind.
pub struct Process(Child);

impl Process {
    /// SIGKILL: no chance to flush or answer anything.
    pub fn kill(mut self) {
        self.0.kill().expect("SIGKILL is sent");
        self.0.wait().expect("the killed server is reaped");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Already reaped after a kill or a stop; otherwise (a panic) this is the guard.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where `iou serve` keeps its store: the flags that say so.
#[derive(Clone, Debug)]
pub struct StoreArgs(Vec<std::ffi::OsString>);

impl StoreArgs {
    /// SQLite in `dir` (`--data`).
    pub fn data(dir: &Path) -> StoreArgs {
        StoreArgs(vec!["--data".into(), dir.as_os_str().to_owned()])
    }

    /// PostgreSQL at `url` (`--store`).
    pub fn postgres(url: &str) -> StoreArgs {
        StoreArgs(vec!["--store".into(), url.into()])
    }
}

/// A running `iou serve` that listens.
pub struct ServerProcess {
    process: Process,
    pub addr: SocketAddr,
    /// The admin token, printed on the first start of a store only.
    pub token: Option<String>,
}

impl ServerProcess {
    /// Starts the server on `store` with its log in `log`, and waits until it listens. `cwd`
    /// has no `rules` folder, so the server decides no risk.
    pub fn start(store: &StoreArgs, cwd: &Path, log: &Path, first: bool) -> ServerProcess {
        let (process, received) = ServerProcess::spawn(store, cwd, log);
        let wait = Duration::from_secs(60);
        let first_line = received.recv_timeout(wait).unwrap_or_else(|_| {
            panic!(
                "iou serve printed no address; its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        });
        let addr = first_line
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {first_line}"));
        let addr = addr.parse().expect("the address parses");
        let token = first.then(|| {
            let line = received
                .recv_timeout(wait)
                .expect("the first start prints the admin token");
            let token = line.strip_prefix("admin token: ").unwrap_or_else(|| panic!("{line}"));
            token.to_owned()
        });
        ServerProcess { process, addr, token }
    }

    /// Starts the server without waiting: its stdout lines arrive on the receiver.
    pub fn spawn(store: &StoreArgs, cwd: &Path, log: &Path) -> (Process, mpsc::Receiver<String>) {
        let log_file = File::create(log).expect("the log file opens");
        let mut child = Command::new(env!("CARGO_BIN_EXE_iou"))
            .env("IOU_KEYS", crate::child::keys_json())
            // Money paths under crashes, not risk: without rules (or step-ups would refuse some
            // of the random traffic).
            .args(["serve", "--no-risk", "--listen", "127.0.0.1:0", "--partitions", "4"])
            .args(&store.0)
            .env_remove("IOU_STORE")
            .current_dir(cwd)
            .env_remove("IOU_ADMIN_TOKEN")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("iou serve starts");
        let received = crate::child::stdout_lines(&mut child);
        (Process(child), received)
    }

    /// SIGKILL: no chance to flush or answer anything.
    pub fn kill(self) {
        self.process.kill();
    }

    /// SIGTERM, and the server must exit cleanly.
    pub fn stop(mut self) {
        let child = &mut self.process.0;
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let status = child.wait().expect("iou serve exits");
        assert!(status.success(), "iou serve exited with {status} after SIGTERM");
    }
}

/// Who a call is sent as.
#[derive(Clone, Debug)]
pub enum Caller {
    Operator(String),
    Merchant { id: String, secret: String },
    Customer(String),
}

/// A complete HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub replayed: bool,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn str(&self, key: &str) -> String {
        self.json()[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing in {}", self.body))
            .to_owned()
    }

    pub fn fen(&self, key: &str) -> i64 {
        self.json()[key]
            .as_i64()
            .unwrap_or_else(|| panic!("{key} missing in {}", self.body))
    }
}

/// A call that got no complete answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No connection: nothing was sent, so nothing can have been applied.
    NotSent,
    /// Sent (perhaps in part) and no complete answer came back: applied or not, nobody knows.
    Lost,
}

/// One call on a fresh connection. POSTs carry `key` as their Idempotency-Key.
pub fn call(
    addr: SocketAddr,
    caller: &Caller,
    method: &str,
    path: &str,
    body: &str,
    key: Option<&str>,
) -> Result<Answer, Failure> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|_| Failure::NotSent)?;
    let timeout = Some(Duration::from_secs(20));
    stream.set_read_timeout(timeout).map_err(|_| Failure::NotSent)?;
    stream.set_write_timeout(timeout).map_err(|_| Failure::NotSent)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: iou\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    if let Some(key) = key {
        head.push_str(&format!("Idempotency-Key: {key}\r\n"));
    }
    match caller {
        Caller::Operator(token) | Caller::Customer(token) => {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"))
        }
        Caller::Merchant { id, secret } => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_secs();
            let timestamp = now.to_string();
            let signature = api::sign(
                secret.as_bytes(),
                method,
                path,
                &timestamp,
                key.unwrap_or(""),
                body.as_bytes(),
            );
            head.push_str(&format!(
                "X-Merchant-Id: {id}\r\nX-Timestamp: {timestamp}\r\nX-Signature: {signature}\r\n"
            ));
        }
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream.write_all(head.as_bytes()).map_err(|_| Failure::Lost)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|_| Failure::Lost)?;
    parse(&raw).ok_or(Failure::Lost)
}

/// A response read to the end of the connection; None unless it is complete (a status line,
/// headers, and exactly Content-Length bytes of body).
fn parse(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut length = None;
    let mut replayed = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("idempotent-replayed") {
            replayed = value == "true";
        }
    }
    if length? != body.len() {
        return None;
    }
    Some(Answer {
        status,
        replayed,
        body: String::from_utf8(body.to_vec()).ok()?,
    })
}

/// A call that must be answered (the server is up and idle): retries while busy.
pub fn call_ok(addr: SocketAddr, caller: &Caller, method: &str, path: &str, body: &str, key: Option<&str>) -> Answer {
    for _ in 0..50 {
        match call(addr, caller, method, path, body, key) {
            Ok(answer) if answer.status != 503 => return answer,
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    panic!("{method} {path} got no answer from a running server");
}
