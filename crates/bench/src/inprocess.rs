//! The engine measured in-process: clients in the same process submit authorizations through
//! the engine's queues; each reply arrives only once its batch is durable in SQLite (or, with
//! [`run_on`], in any store: `iou bench --store` measures PostgreSQL).
//! [`run_with_risk`] does the same with the shipped rules deciding every authorization on the
//! partition threads (each account paying from its own device and IP, at one of 500
//! merchants), to show what risk costs in authorizations per second.
//! [`run_with_settlement`] runs merchant settlement's consumer and daily run in a loop beside
//! the load, to show what settlement costs authorizations.

use std::sync::Arc;
use std::time::{Duration, Instant};

use credit::{AccountId, Command, MerchantId};
use engine::{Engine, EngineConfig, Outcome, Payer, Request, RiskContext, RiskShared, SubmitError, SystemClock};
use money::Amount;
use store::Backend;

use crate::{BenchError, Figures, Latencies, Load, XorShift};

/// Every account's limit: large enough that only the hold count ever declines.
const LIMIT_FEN: i64 = 1_000_000_000;

/// Starts an engine on a fresh SQLite store with `accounts` open lines.
pub fn start_engine(load: &Load, dir: &std::path::Path) -> Result<Engine, BenchError> {
    start_engine_with(load, dir, None)
}

/// [`start_engine`] with risk control.
pub fn start_engine_with(
    load: &Load,
    dir: &std::path::Path,
    risk: Option<Arc<RiskShared>>,
) -> Result<Engine, BenchError> {
    start_engine_on(load, Arc::new(store::sqlite::SqliteBackend::open(dir)?), risk)
}

/// [`start_engine_with`] on any store.
pub fn start_engine_on(
    load: &Load,
    backend: Arc<dyn Backend>,
    risk: Option<Arc<RiskShared>>,
) -> Result<Engine, BenchError> {
    let config = EngineConfig {
        partitions: load.partitions,
        writers: load.writers,
        schedule: false,
        snapshot_every_batches: 0,
        queue_capacity: load.in_flight.max(1024) * 2,
        risk,
        ..EngineConfig::default()
    };
    let engine = Engine::start(config, backend, Arc::new(SystemClock))?;
    open_accounts(&engine, load.accounts)?;
    Ok(engine)
}

pub(crate) fn open_accounts(engine: &Engine, accounts: u64) -> Result<(), BenchError> {
    let mut waiting = Vec::new();
    for id in 0..accounts {
        let command = Command::OpenAccount {
            account: AccountId(id),
            limit: Amount::from_fen(LIMIT_FEN),
            billing_day: (id % 28 + 1) as u8,
        };
        let request = Request::from_command(command).map_err(|e| BenchError::Other(e.to_string()))?;
        loop {
            match engine.submit(request.clone(), None) {
                Ok(reply) => {
                    waiting.push(reply);
                    break;
                }
                Err(SubmitError::Busy) => {
                    for reply in waiting.drain(..) {
                        reply
                            .blocking_recv()
                            .map_err(|_| BenchError::Other("engine stopped".into()))?;
                    }
                }
                Err(SubmitError::Unavailable | SubmitError::NotOwned { .. }) => {
                    return Err(BenchError::Other("engine stopped".into()));
                }
            }
        }
    }
    for reply in waiting {
        reply
            .blocking_recv()
            .map_err(|_| BenchError::Other("engine stopped".into()))?;
    }
    Ok(())
}

pub fn run(load: &Load) -> Result<Figures, BenchError> {
    measure(load, None)
}

/// [`run`] with the shipped rules deciding every authorization.
pub fn run_with_risk(load: &Load) -> Result<Figures, BenchError> {
    measure(load, Some(crate::risk_eval::shared()?))
}

/// [`run`] on `backend`, a fresh store (the engine opens `load.accounts` lines in it).
pub fn run_on(load: &Load, backend: Arc<dyn Backend>) -> Result<Figures, BenchError> {
    measure_on(load, backend, None)
}

fn measure(load: &Load, risk: Option<Arc<RiskShared>>) -> Result<Figures, BenchError> {
    let dir = tempfile::tempdir()?;
    let backend = Arc::new(store::sqlite::SqliteBackend::open(dir.path())?);
    measure_on(load, backend, risk)
}

fn measure_on(load: &Load, backend: Arc<dyn Backend>, risk: Option<Arc<RiskShared>>) -> Result<Figures, BenchError> {
    let with_risk = risk.is_some();
    let engine = Arc::new(start_engine_on(load, backend.clone(), risk)?);
    crate::projection::settle_on(backend.as_ref(), load.partitions)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let figures = runtime.block_on(drive(engine.clone(), load.clone(), with_risk));
    drop(runtime);
    let figures = figures.with_read_models_behind(crate::projection::settle_on(backend.as_ref(), load.partitions)?);
    if let Ok(engine) = Arc::try_unwrap(engine) {
        engine.shutdown();
    }
    Ok(figures)
}

/// `in_flight` clients, each submitting one authorization at a time until the deadline.
/// Where account `account` pays from: its own device and IP, online.
fn context_of(account: AccountId) -> RiskContext {
    RiskContext {
        device: risk::DeviceId(account.0 + 1),
        ip: std::net::IpAddr::from((0x0a00_0000 + account.0 as u32).to_be_bytes()),
        ..RiskContext::unknown(risk::Channel::Online)
    }
}

async fn drive(engine: Arc<Engine>, load: Load, with_risk: bool) -> Figures {
    let deadline = Instant::now() + Duration::from_secs_f64(load.seconds);
    let cpu = crate::cpu::CpuSample::now();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..load.in_flight {
        let engine = engine.clone();
        let accounts = load.accounts;
        tasks.push(tokio::spawn(async move {
            let mut rng = XorShift::new(0xbe7c + client as u64);
            let mut latencies = Latencies::default();
            let (mut approved, mut declined, mut busy) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                let account = AccountId(rng.below(accounts));
                let request = Request::Authorize {
                    payer: Payer::Account(account),
                    merchant: MerchantId(1 + account.0 % 500),
                    amount: Amount::from_fen(100),
                    plan: None,
                    reference: None,
                };
                let context = with_risk.then(|| context_of(account));
                let begun = Instant::now();
                let receiver = match engine.submit_with(request, None, context) {
                    Ok(receiver) => receiver,
                    Err(SubmitError::Busy) => {
                        busy += 1;
                        tokio::time::sleep(Duration::from_micros(200)).await;
                        continue;
                    }
                    Err(SubmitError::Unavailable | SubmitError::NotOwned { .. }) => break,
                };
                let Ok(reply) = receiver.await else { break };
                latencies.record(begun.elapsed());
                match reply.outcome {
                    Outcome::Applied { .. } => approved += 1,
                    _ => declined += 1,
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
    Figures::new(all, started.elapsed().as_secs_f64(), approved, declined, busy).with_cpu_since(cpu)
}

/// [`run`] with merchant settlement going round beside the load: a thread that, until the load
/// is over, reads the journal into settlement's tables (`engine::settle::consume_once`) and runs
/// the daily run through yesterday, again and again (far more often than `iou serve`'s
/// settlement task, once a tick). Returns the figures, the settlement rounds made and the facts
/// (authorized transactions' merchants, captures, refunds) they recorded.
pub fn run_with_settlement(load: &Load) -> Result<(Figures, u64, u64), BenchError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir()?;
    let backend = Arc::new(store::sqlite::SqliteBackend::open(dir.path())?);
    let (mut journal, mut books) = (backend.journal()?, backend.settlement()?);
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let partitions = load.partitions;
    let settler = std::thread::spawn(move || {
        let zone = EngineConfig::default().zone;
        let yesterday = credit::calendar::Clock::new(zone.clone())
            .day_of(jiff::Timestamp::now())
            .add(-1);
        let (mut rounds, mut facts) = (0u64, 0u64);
        while !stopped.load(Ordering::Acquire) {
            let round = engine::settle::consume_once(journal.as_mut(), books.as_mut(), &zone, partitions)
                .map_err(|e| e.to_string())
                .and_then(|read| {
                    facts += read as u64;
                    engine::settle::run_through(
                        books.as_mut(),
                        yesterday,
                        &engine::settle::NoSubsidies,
                        engine::settle::Fault::default(),
                    )
                    .map_err(|e| e.to_string())
                });
            if let Err(error) = round {
                eprintln!("settlement round failed: {error}");
                break;
            }
            rounds += 1;
        }
        (rounds, facts)
    });
    let figures = measure_on(load, backend, None);
    stop.store(true, Ordering::Release);
    let (rounds, facts) = settler.join().unwrap_or((0, 0));
    Ok((figures?, rounds, facts))
}
