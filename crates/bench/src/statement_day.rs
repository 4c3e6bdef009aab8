//! Statement day at scale: `accounts` lines that all share one billing day, each with one
//! captured purchase, taken through the days that cost the most: the statement closing, the end
//! of the grace period (penalties and the first delinquency bucket), and the next statement
//! (revolving interest and penalties billed). Each day is the engine's daily advance
//! (`Engine::advance`, what the scheduler sends after midnight), timed from sending it until
//! every partition's reply is durable, while clients keep authorizing on a separate set of
//! current accounts; their p99 before and during the advance shows whether statement day stalls
//! authorizations.
//!
//! The clock is a [`ManualClock`]: the benchmark moves it to each day, as the simulator does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use credit::{AccountId, Command, MerchantId};
use engine::{Engine, EngineConfig, ManualClock, Op, Outcome, Payer, Request, SubmitError, TxnAction};
use jiff::Timestamp;
use money::Amount;
use serde::Serialize;

use crate::{BenchError, Latencies, XorShift};

/// The shared billing day of the measured accounts.
const BILLING_DAY: u8 = 15;
/// Each measured account's limit and its one purchase.
const LIMIT_FEN: i64 = 2_000_000;
const PURCHASE_FEN: i64 = 50_000;
/// Accounts that carry the authorization load (a billing day of their own).
const LOAD_ACCOUNTS: u64 = 10_000;
/// How long the load runs before each advance, for the "before" p99.
const BEFORE: Duration = Duration::from_secs(2);

/// What the statement-day benchmark is asked to do.
#[derive(Clone, Debug)]
pub struct StatementDayLoad {
    pub accounts: u64,
    pub partitions: u32,
    pub writers: u32,
    /// Authorizations outstanding during the advances (0: no load).
    pub in_flight: usize,
}

/// One daily advance.
#[derive(Clone, Debug, Serialize)]
pub struct AdvanceFigures {
    pub day: String,
    pub what: &'static str,
    pub seconds: f64,
    /// Credit events the advance produced (statements, interest, penalties, bucket changes).
    pub events: u64,
    pub load_p99_before_ms: f64,
    pub load_p99_during_ms: f64,
    pub load_max_during_ms: f64,
    pub load_authorizations_during: u64,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct StatementDayReport {
    pub accounts: u64,
    pub partitions: u32,
    pub writer_threads: u32,
    pub in_flight: usize,
    pub setup_seconds: f64,
    pub advances: Vec<AdvanceFigures>,
}

impl StatementDayReport {
    pub fn text(&self) -> String {
        let mut out = format!(
            "statement day: {} accounts (billing day {BILLING_DAY}), {} partitions, {} writer threads, {} authorizations in flight; set-up {:.1} s\n",
            self.accounts, self.partitions, self.writer_threads, self.in_flight, self.setup_seconds
        );
        out.push_str("day         what                         seconds    events  p99 before  p99 during  max during  auths during\n");
        for a in &self.advances {
            out.push_str(&format!(
                "{:<11} {:<28} {:>7.2} {:>9} {:>8.2} ms {:>8.2} ms {:>8.1} ms {:>13}\n",
                a.day,
                a.what,
                a.seconds,
                a.events,
                a.load_p99_before_ms,
                a.load_p99_during_ms,
                a.load_max_during_ms,
                a.load_authorizations_during
            ));
        }
        out
    }
}

/// Runs the benchmark on a fresh SQLite store in a temporary directory.
pub fn run(load: &StatementDayLoad) -> Result<StatementDayReport, BenchError> {
    let dir = tempfile::tempdir()?;
    let backend = Arc::new(store::sqlite::SqliteBackend::open(dir.path())?);
    let clock = Arc::new(ManualClock::new(at("2026-01-02T02:00:00Z")?));
    let config = EngineConfig {
        partitions: load.partitions,
        writers: load.writers,
        schedule: false,
        project: false,
        snapshot_every_batches: 0,
        queue_capacity: 65_536,
        ..EngineConfig::default()
    };
    let writer_threads = config.writer_threads();
    let engine = Arc::new(Engine::start(config, backend, clock.clone())?);
    let setup = Instant::now();
    let measured = load.accounts;
    open(&engine, 0..measured, BILLING_DAY)?;
    open(&engine, measured..measured + LOAD_ACCOUNTS, 1)?;
    let txns = buy(&engine, measured)?;
    capture(&engine, txns)?;
    let setup_seconds = setup.elapsed().as_secs_f64();
    let days = [
        ("2026-01-15T17:00:00Z", "statement closes"),
        ("2026-01-27T17:00:00Z", "grace ends: penalty, bucket"),
        ("2026-02-15T17:00:00Z", "next statement: interest"),
    ];
    let mut advances = Vec::new();
    for (when, what) in days {
        let instant = at(when)?;
        clock.set(instant);
        advances.push(advance(&engine, load, measured, instant, what)?);
    }
    if let Ok(engine) = Arc::try_unwrap(engine) {
        engine.shutdown();
    }
    Ok(StatementDayReport {
        accounts: measured,
        partitions: load.partitions,
        writer_threads,
        in_flight: load.in_flight,
        setup_seconds: round2(setup_seconds),
        advances,
    })
}

fn at(text: &str) -> Result<Timestamp, BenchError> {
    text.parse().map_err(|e| BenchError::Other(format!("{text}: {e}")))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Submits every request, waiting for earlier replies whenever the engine is busy; returns the
/// replies in order.
fn submit_all(engine: &Engine, requests: impl Iterator<Item = Request>) -> Result<Vec<Outcome>, BenchError> {
    let stopped = || BenchError::Other("engine stopped".into());
    let mut waiting = std::collections::VecDeque::new();
    let mut outcomes = Vec::new();
    for request in requests {
        loop {
            match engine.submit(request.clone(), None) {
                Ok(reply) => {
                    waiting.push_back(reply);
                    break;
                }
                Err(SubmitError::Busy) => {
                    for reply in waiting.drain(..) {
                        outcomes.push(reply.blocking_recv().map_err(|_| stopped())?.outcome);
                    }
                }
                Err(_) => return Err(stopped()),
            }
        }
    }
    for reply in waiting {
        outcomes.push(reply.blocking_recv().map_err(|_| stopped())?.outcome);
    }
    Ok(outcomes)
}

fn open(engine: &Engine, ids: std::ops::Range<u64>, billing_day: u8) -> Result<(), BenchError> {
    let requests = ids.map(|id| {
        let command = Command::OpenAccount {
            account: AccountId(id),
            limit: Amount::from_fen(LIMIT_FEN),
            billing_day,
        };
        Request::from_command(command).expect("an account command")
    });
    for outcome in submit_all(engine, requests)? {
        applied(&outcome, "open")?;
    }
    Ok(())
}

fn merchant_of(account: u64) -> MerchantId {
    MerchantId(1 + account % 500)
}

/// One purchase per measured account; the transactions in account order.
fn buy(engine: &Engine, accounts: u64) -> Result<Vec<(u64, credit::TxnId)>, BenchError> {
    let requests = (0..accounts).map(|id| Request::Authorize {
        payer: Payer::Account(AccountId(id)),
        merchant: merchant_of(id),
        amount: Amount::from_fen(PURCHASE_FEN),
        plan: None,
        reference: None,
    });
    let mut txns = Vec::with_capacity(accounts as usize);
    for (id, outcome) in (0..accounts).zip(submit_all(engine, requests)?) {
        match applied(&outcome, "authorize")? {
            Op::Authorize {
                command: Command::Authorize { txn, .. },
                ..
            } => txns.push((id, *txn)),
            other => return Err(BenchError::Other(format!("authorize applied as {other:?}"))),
        }
    }
    Ok(txns)
}

fn capture(engine: &Engine, txns: Vec<(u64, credit::TxnId)>) -> Result<(), BenchError> {
    let requests = txns.into_iter().map(|(id, txn)| Request::Txn {
        merchant: merchant_of(id),
        txn,
        action: TxnAction::Capture {
            amount: Amount::from_fen(PURCHASE_FEN),
        },
    });
    for outcome in submit_all(engine, requests)? {
        applied(&outcome, "capture")?;
    }
    Ok(())
}

fn applied<'a>(outcome: &'a Outcome, what: &str) -> Result<&'a Op, BenchError> {
    match outcome {
        Outcome::Applied { op, .. } => Ok(op),
        other => Err(BenchError::Other(format!("{what} was not applied: {other:?}"))),
    }
}

/// Latencies of the load, by phase: 0 before the advance, 1 during it.
struct Phased {
    phase: AtomicU8,
    stop: AtomicBool,
}

/// The advance at the clock's time, timed, with the load beside it.
fn advance(
    engine: &Arc<Engine>,
    load: &StatementDayLoad,
    measured: u64,
    day: Timestamp,
    what: &'static str,
) -> Result<AdvanceFigures, BenchError> {
    let phased = Arc::new(Phased {
        phase: AtomicU8::new(0),
        stop: AtomicBool::new(false),
    });
    let clients = (load.in_flight > 0).then(|| {
        let (engine, phased, in_flight) = (engine.clone(), phased.clone(), load.in_flight);
        std::thread::spawn(move || drive(engine, phased, measured, in_flight))
    });
    if clients.is_some() {
        std::thread::sleep(BEFORE);
    }
    phased.phase.store(1, Ordering::Release);
    let begun = Instant::now();
    let replies = engine
        .advance()
        .map_err(|e| BenchError::Other(format!("advance not taken: {e:?}")))?;
    let mut events = 0u64;
    for reply in replies {
        let reply = reply
            .blocking_recv()
            .map_err(|_| BenchError::Other("engine stopped".into()))?;
        if let Outcome::Applied { events: e, .. } = &reply.outcome {
            events += e.len() as u64;
        }
    }
    let seconds = begun.elapsed().as_secs_f64();
    phased.stop.store(true, Ordering::Release);
    let (before, during) = match clients {
        Some(handle) => handle
            .join()
            .map_err(|_| BenchError::Other("load thread panicked".into()))?,
        None => (Latencies::default(), Latencies::default()),
    };
    let during_count = during.0.len() as u64;
    let before = crate::Figures::new(before, 1.0, 0, 0, 0);
    let during = crate::Figures::new(during, 1.0, 0, 0, 0);
    Ok(AdvanceFigures {
        day: day.strftime("%Y-%m-%d").to_string(),
        what,
        seconds: round2(seconds),
        events,
        load_p99_before_ms: before.p99_ms,
        load_p99_during_ms: during.p99_ms,
        load_max_during_ms: during.max_ms,
        load_authorizations_during: during_count,
    })
}

/// `in_flight` clients authorizing 1 yuan on the load accounts until told to stop; their
/// latencies before and during the advance.
fn drive(engine: Arc<Engine>, phased: Arc<Phased>, measured: u64, in_flight: usize) -> (Latencies, Latencies) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
        Ok(runtime) => runtime,
        Err(_) => return (Latencies::default(), Latencies::default()),
    };
    runtime.block_on(async move {
        let mut tasks = Vec::new();
        for client in 0..in_flight {
            let (engine, phased) = (engine.clone(), phased.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = XorShift::new(0x5da7 + client as u64);
                let (mut before, mut during) = (Latencies::default(), Latencies::default());
                while !phased.stop.load(Ordering::Acquire) {
                    let account = measured + rng.below(LOAD_ACCOUNTS);
                    let request = Request::Authorize {
                        payer: Payer::Account(AccountId(account)),
                        merchant: merchant_of(account),
                        amount: Amount::from_fen(100),
                        plan: None,
                        reference: None,
                    };
                    let phase = phased.phase.load(Ordering::Acquire);
                    let begun = Instant::now();
                    let receiver = match engine.submit(request, None) {
                        Ok(receiver) => receiver,
                        Err(SubmitError::Busy) => {
                            tokio::time::sleep(Duration::from_micros(200)).await;
                            continue;
                        }
                        Err(_) => break,
                    };
                    if receiver.await.is_err() {
                        break;
                    }
                    let sample = if phase == 0 { &mut before } else { &mut during };
                    sample.record(begun.elapsed());
                }
                (before, during)
            }));
        }
        let (mut before, mut during) = (Latencies::default(), Latencies::default());
        for task in tasks {
            if let Ok((b, d)) = task.await {
                before.merge(b);
                during.merge(d);
            }
        }
        (before, during)
    })
}
