//! `iou serve --cluster`: two real processes on one PostgreSQL schema (a fresh one; a loud
//! `SKIPPED` line without `IOU_TEST_POSTGRES_URL`) split the partitions by lease, serve every
//! customer through either process (the other forwards), and after a SIGKILL of one the other
//! takes its partitions over: within 30 s it serves the dead one's customers with every
//! acknowledged authorization present, and takes new ones. The dead process's fencing token
//! can no longer commit. The measured failover time is printed (`FAILOVER_MS`; BENCHMARKS.md).

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use store::{Backend, BatchRef, Lease, StoreError};

use crate::crash::http::{Answer, Caller, call, call_ok};

const PARTITIONS: u32 = 8;
const LEASE_TTL_MS: u64 = 3_000;

/// A cluster member; killed (SIGKILL) and reaped when dropped.
struct Node {
    child: Child,
    addr: SocketAddr,
    token: Option<String>,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

fn start(url: &str, node: &str, log: &Path, first: bool) -> Node {
    let listen = format!("127.0.0.1:{}", free_port());
    let advertise = format!("http://{listen}");
    let ttl = LEASE_TTL_MS.to_string();
    let partitions = PARTITIONS.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(["serve", "--no-risk", "--listen", &listen, "--partitions", &partitions])
        .args([
            "--store",
            url,
            "--cluster",
            "--node-id",
            node,
            "--advertise",
            &advertise,
        ])
        .args([
            "--lease-ttl-ms",
            &ttl,
            "--cluster-nodes",
            "2",
            "--settlement-every",
            "0",
        ])
        .env_remove("IOU_STORE")
        .env_remove("IOU_ADMIN_TOKEN")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(log).expect("the log opens"))
        .spawn()
        .expect("iou serve starts");
    let received = crate::child::stdout_lines(&mut child);
    let addr = crate::child::first_line_after(&received, "listening on http://");
    let wait = Duration::from_secs(if first { 20 } else { 1 });
    let token = received
        .recv_timeout(wait)
        .ok()
        .and_then(|line| line.strip_prefix("admin token: ").map(str::to_owned));
    Node {
        child,
        addr: addr.parse().expect("an address"),
        token,
    }
}

fn post(addr: SocketAddr, caller: &Caller, path: &str, body: serde_json::Value, key: &str) -> Answer {
    let answer = call_ok(addr, caller, "POST", path, &body.to_string(), Some(key));
    assert!(
        (200..300).contains(&answer.status),
        "{path} via {addr}: {} {}",
        answer.status,
        answer.body
    );
    answer
}

/// The leases once `done` holds of them (waiting up to 30 s).
fn leases_when(backend: &dyn Backend, what: &str, done: impl Fn(&[Lease]) -> bool) -> Vec<Lease> {
    let mut leases = backend.leases().expect("the lease table");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = leases.list().expect("leases list");
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "{what}: {now:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn live_of(leases: &[Lease], owner: &str) -> usize {
    leases
        .iter()
        .filter(|l| l.partition < PARTITIONS && l.owner == owner && !l.expired())
        .count()
}

struct Customer {
    id: u64,
    link: String,
    owner: String,
}

#[test]
fn two_processes_serve_every_customer_and_one_takes_over_after_sigkill() {
    let test = "cli::cluster::two_processes_serve_every_customer_and_one_takes_over_after_sigkill";
    let Some(db) = store::conformance::postgres::fresh(test) else {
        return;
    };
    let url = db.schema_url();
    let dir = tempfile::tempdir().unwrap();
    let a = start(&url, "a", &dir.path().join("a.log"), true);
    let operator = Caller::Operator(a.token.clone().expect("the first start prints the admin token"));
    // Before b starts: a process knows the merchants registered when it started (and its own).
    let merchant = post(a.addr, &operator, "/v1/merchants", json!({"name": "Shop"}), "m");
    let shop = Caller::Merchant {
        id: merchant.str("merchant_id"),
        secret: merchant.str("secret"),
    };
    let mut b = Some(start(&url, "b", &dir.path().join("b.log"), false));
    let b_addr = b.as_ref().unwrap().addr;
    let split = leases_when(&db.backend, "each process owns half the partitions", |l| {
        live_of(l, "a") == 4 && live_of(l, "b") == 4
    });
    let owner_of = |p: u32| split.iter().find(|l| l.partition == p).unwrap().owner.clone();

    // Two customers per partition, each opened, linked and paid through alternating processes.
    let nodes = [a.addr, b_addr];
    let mut customers = Vec::new();
    let partition_of = |id: u64| engine::route::partition_of(credit::AccountId(id), PARTITIONS);
    let mut ids: Vec<u64> = Vec::new();
    for id in 1_000u64.. {
        if ids.len() == 2 * PARTITIONS as usize {
            break;
        }
        if ids.iter().filter(|&&i| partition_of(i) == partition_of(id)).count() < 2 {
            ids.push(id);
        }
    }
    for id in ids {
        let p = partition_of(id);
        let n = customers.len();
        let body = json!({"customer_id": id.to_string(), "limit_fen": 1_000_000, "billing_day": 5});
        let opened = post(nodes[n % 2], &operator, "/v1/customers", body, &format!("open-{id}"));
        let customer = Caller::Customer(opened.str("token"));
        let body = json!({"merchant_id": shop_id(&shop)});
        let link = post(
            nodes[(n + 1) % 2],
            &customer,
            &format!("/v1/customers/{id}/links"),
            body,
            &format!("link-{id}"),
        );
        customers.push(Customer {
            id,
            link: link.str("link_id"),
            owner: owner_of(p),
        });
    }
    let mut acknowledged = Vec::new();
    for (n, c) in customers.iter().enumerate() {
        for round in 0..2 {
            let body = json!({"link_id": c.link, "amount_fen": 1_000 + round});
            let paid = post(
                nodes[(n + round as usize) % 2],
                &shop,
                "/v1/payments",
                body,
                &format!("pay-{}-{round}", c.id),
            );
            acknowledged.push((c.id, paid.str("txn_id")));
        }
    }
    assert!(customers.iter().any(|c| c.owner == "b") && customers.iter().any(|c| c.owner == "a"));

    // SIGKILL b; a must serve b's customers within 30 s.
    let b_tokens: Vec<(u32, u64)> = split
        .iter()
        .filter(|l| l.owner == "b")
        .map(|l| (l.partition, l.token))
        .collect();
    let dead: Vec<&Customer> = customers.iter().filter(|c| c.owner == "b").collect();
    let killed = Instant::now();
    drop(b.take());
    let first = dead[0];
    loop {
        let body = json!({"link_id": first.link, "amount_fen": 777}).to_string();
        match call(a.addr, &shop, "POST", "/v1/payments", &body, Some("after-kill")) {
            Ok(answer) if (200..300).contains(&answer.status) => {
                acknowledged.push((first.id, answer.str("txn_id")));
                break;
            }
            Ok(answer) if answer.status == 503 => {}
            Ok(answer) => panic!(
                "an authorization for a dead owner's customer: {} {}",
                answer.status, answer.body
            ),
            Err(_) => {}
        }
        assert!(killed.elapsed() < Duration::from_secs(30), "no failover within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let failover = killed.elapsed();
    eprintln!("FAILOVER_MS {} (lease ttl {LEASE_TTL_MS} ms)", failover.as_millis());
    assert!(failover < Duration::from_secs(30), "{failover:?}");
    let after = leases_when(&db.backend, "a owns every partition and leads", |l| {
        live_of(l, "a") == 8
            && l.iter()
                .any(|l| l.partition == engine::cluster::LEADER && l.owner == "a" && !l.expired())
    });
    for (partition, token) in &b_tokens {
        let now = after.iter().find(|l| l.partition == *partition).unwrap();
        assert!(
            now.token > *token,
            "the takeover bumped partition {partition}'s token: {now:?}"
        );
    }

    // Every acknowledged authorization is there, on both processes' former customers.
    for (id, txn) in &acknowledged {
        let answer = call_ok(a.addr, &shop, "GET", &format!("/v1/payments/{txn}"), "", None);
        assert_eq!(answer.status, 200, "customer {id}, payment {txn}: {}", answer.body);
    }
    // And new ones are taken for every one of the dead process's customers.
    for c in &dead {
        let body = json!({"link_id": c.link, "amount_fen": 555});
        post(a.addr, &shop, "/v1/payments", body, &format!("new-{}", c.id));
    }

    // The dead owner's token can never commit again (a paused owner waking up).
    let (partition, token) = b_tokens[0];
    let mut stale = db.backend.journal().unwrap();
    let next = stale.last_seq(partition).unwrap() + 1;
    stale.fence(partition, Some(token));
    let refused = stale.append(&[BatchRef {
        partition,
        seq: next,
        bytes: b"stale",
    }]);
    assert!(
        matches!(refused, Err(StoreError::Fenced { token: t, current, .. }) if t == token && current > token),
        "{refused:?}"
    );
    drop(a);
}

fn shop_id(shop: &Caller) -> String {
    match shop {
        Caller::Merchant { id, .. } => id.clone(),
        _ => unreachable!("a merchant"),
    }
}

/// `--cluster` on the embedded store (one process by construction, no leases) is refused with
/// a clear error, and the server never listens.
#[test]
fn a_cluster_on_the_embedded_store_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(["serve", "--no-risk", "--listen", "127.0.0.1:0", "--cluster"])
        .args(["--advertise", "http://127.0.0.1:1", "--data"])
        .arg(data.path())
        .env_remove("IOU_STORE")
        .env("RUST_LOG", "off")
        .output()
        .expect("iou serve runs");
    assert!(!output.status.success(), "{:?}", output.status);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(!stdout.contains("listening on"), "{stdout}");
    assert!(stderr.contains("partition leases"), "{stderr}");
}
