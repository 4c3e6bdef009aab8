//! Crash safety of `iou serve` over HTTP: client threads drive authorizations, captures, voids
//! and repayments while the server is killed with SIGKILL at random moments and restarted on
//! the same data directory, round after round. After every restart each account's balances
//! must lie between what the answered calls prove and what the unanswered ones could add; at
//! the end every call is repeated under its own Idempotency-Key: an answered one must get its
//! answer back byte for byte, an unanswered one at most one application. The balances, every
//! transaction, and the read models and ledger on disk must then add up exactly. Last, a theft
//! is confirmed on the system clock (`theft.rs`) and the server killed: it restarts with the
//! stolen purchase exempt.
//!
//! The same runs on PostgreSQL (`--store`, a fresh schema) when `IOU_TEST_POSTGRES_URL` is
//! set: there a SIGKILL also breaks the server's connections mid-transaction.
//!
//! `IOU_CRASH_SEED` (default below) fixes the kill schedule and the workload's choices;
//! `IOU_CRASH_ROUNDS` the number of kills (default 24; 12 on PostgreSQL). A failure names both.

#[path = "crash/expect.rs"]
mod expect;
#[path = "crash/http.rs"]
pub mod http;
#[path = "crash/ledger.rs"]
mod ledger;
#[path = "crash/traffic.rs"]
mod traffic;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use expect::{Bounds, Expected, HoldState};
use http::{Answer, Caller, ServerProcess, StoreArgs, call_ok};
use traffic::{Account, Op, Rng, Sent, Workload};

const SEED_DEFAULT: u64 = 0x10c0_ffee;
const ROUNDS_DEFAULT: u32 = 24;
const ACCOUNTS: usize = 16;
const CLIENTS: usize = 4;
const LIMIT_FEN: i64 = 50_000_000;
/// How long traffic runs before the kill, in milliseconds.
const KILL_AFTER_MS: (u64, u64) = (50, 400);
/// How often a restart is first killed while it recovers, and when.
const STARTUP_KILL_PERCENT: u64 = 30;
const STARTUP_KILL_MS: (u64, u64) = (0, 250);

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => {
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={text} is not a number"))
        }
        Err(_) => default,
    }
}

/// A billing day that is neither today nor tomorrow in the business zone, so no statement
/// closes while the test runs (the balances stay a plain sum of the calls).
fn quiet_billing_day() -> i8 {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date();
    let tomorrow = today.tomorrow().expect("a tomorrow");
    (1..=28)
        .find(|d| *d != today.day() && *d != tomorrow.day())
        .expect("28 days hold one")
}

/// The merchant, the accounts and their links, made on the first server before any kill.
fn set_up(addr: SocketAddr, operator: Caller) -> Workload {
    let merchant = call_ok(
        addr,
        &operator,
        "POST",
        "/v1/merchants",
        &json!({ "name": "Crash Shop" }).to_string(),
        Some("setup-merchant"),
    );
    assert_eq!(merchant.status, 201, "{}", merchant.body);
    let merchant_id = merchant.str("merchant_id");
    let billing_day = quiet_billing_day();
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let body = json!({ "limit_fen": LIMIT_FEN, "billing_day": billing_day }).to_string();
        let key = format!("setup-customer-{i}");
        let opened = call_ok(addr, &operator, "POST", "/v1/customers", &body, Some(&key));
        assert_eq!(opened.status, 201, "{}", opened.body);
        let id = opened.str("customer_id");
        let customer = Caller::Customer(opened.str("token"));
        let path = format!("/v1/customers/{id}/links");
        let body = json!({ "merchant_id": merchant_id }).to_string();
        let key = format!("setup-link-{i}");
        let linked = call_ok(addr, &customer, "POST", &path, &body, Some(&key));
        assert_eq!(linked.status, 201, "{}", linked.body);
        accounts.push(Account {
            id,
            link_id: linked.str("link_id"),
            limit_fen: LIMIT_FEN,
        });
    }
    Workload {
        accounts,
        merchant: Caller::Merchant {
            id: merchant_id,
            secret: merchant.str("secret"),
        },
        operator,
        sent: Mutex::new(Vec::new()),
        next_key: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    }
}

/// An account's balances as the server reports them to the operator.
fn balances(addr: SocketAddr, w: &Workload, account: &Account) -> serde_json::Value {
    let path = format!("/v1/customers/{}", account.id);
    let answer = call_ok(addr, &w.operator, "GET", &path, "", None);
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    answer.json()
}

/// After a restart: every account within the bounds the recorded calls allow, and its
/// available credit exactly limit - principal - holds.
fn check_bounds(addr: SocketAddr, w: &Workload, when: &str) {
    let sent = w.sent.lock().unwrap().clone();
    let all: Vec<Bounds> = expect::bounds(&sent, w.accounts.len());
    for (account, bounds) in w.accounts.iter().zip(&all) {
        let b = balances(addr, w, account);
        let fen = |key: &str| b[key].as_i64().unwrap_or_else(|| panic!("{key} missing in {b}"));
        let (held, unbilled, credit) = (
            fen("held_fen"),
            fen("principal_unbilled_fen"),
            fen("credit_balance_fen"),
        );
        let what = format!("{when}: account {}", account.id);
        assert!(bounds.held.holds(held), "{what}: held {held} outside {:?}", bounds.held);
        assert!(
            bounds.unbilled.holds(unbilled),
            "{what}: principal {unbilled} outside {:?}",
            bounds.unbilled
        );
        assert!(
            bounds.credit.holds(credit),
            "{what}: credit balance {credit} outside {:?}",
            bounds.credit
        );
        assert_eq!(fen("principal_billed_fen"), 0, "{what}: nothing is billed");
        assert_eq!(
            fen("available_fen"),
            account.limit_fen - unbilled - held,
            "{what}: available is limit - principal - holds"
        );
    }
}

/// How the unanswered calls turned out when repeated.
#[derive(Debug, Default)]
struct Tally {
    answered: usize,
    unknown_applied_before: usize,
    unknown_applied_now: usize,
    unknown_declined: usize,
}

/// Repeats every call under its key (accounts spread over threads, each account's calls in the
/// order they were sent) and checks the answers.
fn resolve(addr: SocketAddr, w: &Arc<Workload>) -> (Vec<(Sent, Answer)>, Tally) {
    let mut sent = w.sent.lock().unwrap().clone();
    sent.sort_by_key(|s| s.n);
    let shares: Vec<Vec<Sent>> = (0..CLIENTS)
        .map(|t| sent.iter().filter(|s| s.op.account() % CLIENTS == t).cloned().collect())
        .collect();
    let threads: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let w = w.clone();
            std::thread::spawn(move || {
                share
                    .into_iter()
                    .map(|s| {
                        let caller = if s.merchant { &w.merchant } else { &w.operator };
                        let again = call_ok(addr, caller, "POST", &s.path, &s.body, Some(&s.key));
                        (s, again)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut resolved: Vec<(Sent, Answer)> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("a resolving thread panicked"))
        .collect();
    resolved.sort_by_key(|(s, _)| s.n);
    let mut tally = Tally::default();
    for (s, again) in &resolved {
        let what = format!("round {} call {} {} {}", s.round, s.key, s.path, s.body);
        match &s.answer {
            Some(first) => {
                tally.answered += 1;
                assert_eq!(
                    (again.status, &again.body),
                    (first.status, &first.body),
                    "{what}: the repeat's answer differs from the one acknowledged before the crash"
                );
                if (200..300).contains(&first.status) {
                    assert!(again.replayed, "{what}: applied again instead of replayed");
                }
            }
            None if s.op.succeeded(again.status) && again.replayed => tally.unknown_applied_before += 1,
            None if s.op.succeeded(again.status) => tally.unknown_applied_now += 1,
            None if matches!(s.op, Op::Authorize { .. }) && again.status == 402 => tally.unknown_declined += 1,
            None => panic!("{what}: the repeat got {} {}", again.status, again.body),
        }
    }
    (resolved, tally)
}

/// The running server against the exact expected state: balances and every transaction.
fn check_exact(addr: SocketAddr, w: &Workload, expected: &Expected) {
    for (i, account) in w.accounts.iter().enumerate() {
        let b = balances(addr, w, account);
        let got: Vec<i64> = [
            "held_fen",
            "principal_unbilled_fen",
            "credit_balance_fen",
            "available_fen",
        ]
        .iter()
        .map(|k| b[*k].as_i64().unwrap_or_else(|| panic!("{k} missing in {b}")))
        .collect();
        let (held, unbilled, credit) = (expected.held[i], expected.unbilled[i], expected.credit[i]);
        assert_eq!(
            got,
            vec![held, unbilled, credit, account.limit_fen - unbilled - held],
            "account {}: held, principal, credit balance, available",
            account.id
        );
    }
    for (txn, hold) in &expected.holds {
        let path = format!("/v1/payments/{txn}");
        let view = call_ok(addr, &w.merchant, "GET", &path, "", None);
        assert_eq!(view.status, 200, "{path}: {}", view.body);
        let (status, captured) = match hold.state {
            HoldState::Open => ("open", 0),
            HoldState::Captured(fen) => ("captured", fen),
            HoldState::Voided => ("voided", 0),
        };
        assert_eq!(
            (view.str("status"), view.fen("amount_fen"), view.fen("captured_fen")),
            (status.to_owned(), hold.amount_fen, captured),
            "{path}"
        );
    }
}

/// Where one run keeps its store and its logs.
struct Site {
    root: tempfile::TempDir,
    store: StoreArgs,
    /// Opens the store for the final check (no server running).
    open: Box<dyn Fn() -> Box<dyn store::Backend>>,
}

fn start(site: &Site, name: &str, first: bool) -> ServerProcess {
    let root = site.root.path();
    ServerProcess::start(&site.store, root, &root.join(format!("{name}.log")), first)
}

/// The restart before a round: sometimes killed once while it recovers, then started and
/// checked against the bounds of everything sent so far.
fn restart(site: &Site, round: u32, rng: &mut Rng, w: &Workload, seed: u64) -> ServerProcess {
    if rng.chance(STARTUP_KILL_PERCENT) {
        let delay = rng.between(STARTUP_KILL_MS.0, STARTUP_KILL_MS.1);
        let root = site.root.path();
        let log = root.join(format!("serve-{round}-startup.log"));
        let (process, _lines) = ServerProcess::spawn(&site.store, root, &log);
        std::thread::sleep(Duration::from_millis(delay));
        process.kill();
        eprintln!("round {round}: killed {delay} ms into a start-up");
    }
    let began = Instant::now();
    let server = start(site, &format!("serve-{round}"), false);
    eprintln!("round {round}: restarted in {} ms", began.elapsed().as_millis());
    check_bounds(server.addr, w, &format!("seed {seed:#x} after kill {}", round - 1));
    server
}

/// One round: the clients send until the server is killed at a random moment.
fn traffic_until_kill(server: ServerProcess, round: u32, rng: &mut Rng, w: &Arc<Workload>, seed: u64) {
    w.stop.store(false, Ordering::Relaxed);
    let before = w.sent.lock().unwrap().len();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (w, addr, rng) = (w.clone(), server.addr, Rng::new(rng.next()));
            std::thread::spawn(move || w.client(addr, round, rng))
        })
        .collect();
    let delay = rng.between(KILL_AFTER_MS.0, KILL_AFTER_MS.1);
    std::thread::sleep(Duration::from_millis(delay));
    server.kill();
    w.stop.store(true, Ordering::Relaxed);
    for client in clients {
        client
            .join()
            .unwrap_or_else(|_| panic!("seed {seed:#x} round {round}: a client failed"));
    }
    let sent = w.sent.lock().unwrap();
    let unknown = sent[before..].iter().filter(|s| s.answer.is_none()).count();
    eprintln!(
        "round {round}: killed after {delay} ms, {} calls, {unknown} without an answer",
        sent.len() - before
    );
}

#[test]
fn acknowledged_calls_survive_sigkill_and_none_is_applied_twice() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let site = Site {
        store: StoreArgs::data(&data),
        open: Box::new(move || Box::new(store::sqlite::SqliteBackend::open(&data).expect("the store opens"))),
        root,
    };
    crash_run(&site, ROUNDS_DEFAULT);
}

/// The same on PostgreSQL, in a fresh schema.
#[test]
fn acknowledged_calls_survive_sigkill_on_postgres() {
    let name = "cli::crash::acknowledged_calls_survive_sigkill_on_postgres";
    let Some(db) = store::conformance::postgres::fresh(name) else {
        return;
    };
    let db = Arc::new(db);
    let reopen = db.clone();
    let site = Site {
        root: tempfile::tempdir().unwrap(),
        store: StoreArgs::postgres(&db.schema_url()),
        open: Box::new(move || Box::new(reopen.backend.clone())),
    };
    crash_run(&site, ROUNDS_DEFAULT / 2);
}

fn crash_run(site: &Site, rounds_default: u32) {
    let began = Instant::now();
    let seed = env_number("IOU_CRASH_SEED", SEED_DEFAULT);
    let rounds = u32::try_from(env_number("IOU_CRASH_ROUNDS", rounds_default.into())).expect("rounds fit u32");
    eprintln!("crash test: IOU_CRASH_SEED={seed:#x} IOU_CRASH_ROUNDS={rounds}");
    let mut rng = Rng::new(seed);

    let first = start(site, "serve-1", true);
    let token = first.token.clone().expect("the first start prints the admin token");
    let workload = Arc::new(set_up(first.addr, Caller::Operator(token.clone())));
    let mut first = Some(first);
    for round in 1..=rounds {
        let server = match first.take() {
            Some(server) => server,
            None => restart(site, round, &mut rng, &workload, seed),
        };
        traffic_until_kill(server, round, &mut rng, &workload, seed);
    }

    let server = start(site, "serve-final", false);
    check_bounds(server.addr, &workload, &format!("seed {seed:#x} after the last kill"));
    let (resolved, tally) = resolve(server.addr, &workload);
    eprintln!("{tally:?}");
    let unknown = tally.unknown_applied_before + tally.unknown_applied_now + tally.unknown_declined;
    assert!(unknown > 0, "no kill caught a call in flight: the test proved nothing");
    let expected = expect::expected(&resolved, workload.accounts.len());
    check_exact(server.addr, &workload, &expected);
    server.stop();
    ledger::check((site.open)().as_ref(), &workload.accounts, &expected);

    // A theft confirmed on the system clock, then SIGKILL: the store reopens with it exempt.
    let server = start(site, "serve-theft", false);
    let victim = crate::theft::confirm_a_theft(server.addr, &token);
    let before = crate::theft::check_victim(server.addr, &token, &victim);
    server.kill();
    let server = start(site, "serve-after-theft", false);
    assert_eq!(crate::theft::check_victim(server.addr, &token, &victim), before);
    server.stop();
    eprintln!(
        "crash test: {} calls, {} transactions, {rounds} kills, {:.1} s",
        resolved.len(),
        expected.holds.len(),
        began.elapsed().as_secs_f64()
    );
}
