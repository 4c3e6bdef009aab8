//! Restart at scale (issue 19 item 5): a SQLite store with `records` journal records, built
//! through the engine in-process with the shipped rules deciding every authorization (each
//! account paying from its own device and IP, at one of 500 merchants, so features hold user
//! windows, shared shards, merchant books and the link graph); then partition snapshots and a
//! feature snapshot are taken, the engine stops, and start-up is timed until the first
//! authorization is answered (durable): once restoring features by scanning the whole journal
//! (feature snapshots off, the engine before them) and once from the feature snapshot.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use credit::{AccountId, MerchantId};
use engine::{Engine, EngineConfig, Payer, Request, RiskContext, SubmitError, SystemClock};
use money::Amount;
use serde::Serialize;
use store::Backend;

use crate::{BenchError, XorShift};

/// What to build and how to restart it.
#[derive(Clone, Debug)]
pub struct RestartLoad {
    /// Journal records to build (authorizations, after `accounts` account openings).
    pub records: u64,
    pub accounts: u64,
    pub partitions: u32,
    pub writers: u32,
    /// Authorizations outstanding while building.
    pub in_flight: usize,
}

/// One start-up, timed.
#[derive(Clone, Debug, Serialize)]
pub struct StartFigures {
    /// `Engine::start` (snapshots, journal replay, features).
    pub start_s: f64,
    /// From the start until the first authorization was answered.
    pub serving_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RestartReport {
    pub records: u64,
    pub accounts: u64,
    pub partitions: u32,
    pub build_s: f64,
    /// The journal database's size on disk.
    pub journal_mb: f64,
    /// The feature snapshot's time to take (writers parked for part of it) .
    pub feature_snapshot_s: f64,
    /// Features rebuilt by scanning the whole journal.
    pub without_feature_snapshot: StartFigures,
    /// Features restored from the feature snapshot.
    pub with_feature_snapshot: StartFigures,
}

impl RestartReport {
    pub fn text(&self) -> String {
        format!(
            "restart with {} journal records ({} accounts, {} partitions, journal {:.0} MB; built in {:.1} s, feature snapshot taken in {:.2} s)\n\
             without feature snapshot (scan): start {:.2} s, serving after {:.2} s\n\
             with feature snapshot:           start {:.2} s, serving after {:.2} s\n",
            self.records,
            self.accounts,
            self.partitions,
            self.journal_mb,
            self.build_s,
            self.feature_snapshot_s,
            self.without_feature_snapshot.start_s,
            self.without_feature_snapshot.serving_s,
            self.with_feature_snapshot.start_s,
            self.with_feature_snapshot.serving_s,
        )
    }
}

fn config(load: &RestartLoad, feature_snapshots: bool) -> Result<EngineConfig, BenchError> {
    Ok(EngineConfig {
        partitions: load.partitions,
        writers: load.writers,
        schedule: false,
        project: false,
        snapshot_every_batches: 0,
        feature_snapshots,
        feature_snapshot_every_batches: 0,
        feature_snapshot_every_secs: 0,
        queue_capacity: load.in_flight.max(1024) * 2,
        risk: Some(crate::risk_eval::shared()?),
        ..EngineConfig::default()
    })
}

/// [`run`] in `dir`, or in a temporary directory deleted afterwards.
pub fn run_in(load: &RestartLoad, dir: Option<&Path>) -> Result<RestartReport, BenchError> {
    match dir {
        Some(dir) => run(load, dir),
        None => run(load, tempfile::tempdir()?.path()),
    }
}

/// Builds the store in `dir` (which must be empty), then times both start-ups.
pub fn run(load: &RestartLoad, dir: &Path) -> Result<RestartReport, BenchError> {
    let backend: Arc<dyn Backend> = Arc::new(store::sqlite::SqliteBackend::open(dir)?);
    let began = Instant::now();
    let engine = Arc::new(Engine::start(
        config(load, true)?,
        backend.clone(),
        Arc::new(SystemClock),
    )?);
    crate::inprocess::open_accounts(&engine, load.accounts)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let authorizations = load.records.saturating_sub(load.accounts);
    runtime.block_on(authorize(engine.clone(), authorizations, load.clone()));
    let build_s = began.elapsed().as_secs_f64();
    let cut = Instant::now();
    if !engine.snapshot_features()? {
        return Err(BenchError::Other("the feature snapshot was not taken".into()));
    }
    let feature_snapshot_s = cut.elapsed().as_secs_f64();
    let engine = Arc::try_unwrap(engine).map_err(|_| BenchError::Other("engine still shared".into()))?;
    engine.shutdown();
    drop(backend);
    let journal_mb = std::fs::metadata(dir.join("journal.db")).map_or(0.0, |m| m.len() as f64 / 1e6);
    let without_feature_snapshot = time_start(load, dir, false, &runtime)?;
    let with_feature_snapshot = time_start(load, dir, true, &runtime)?;
    Ok(RestartReport {
        records: load.records,
        accounts: load.accounts,
        partitions: load.partitions,
        build_s,
        journal_mb,
        feature_snapshot_s,
        without_feature_snapshot,
        with_feature_snapshot,
    })
}

/// Starts an engine on the store in `dir` and answers one authorization.
fn time_start(
    load: &RestartLoad,
    dir: &Path,
    feature_snapshots: bool,
    runtime: &tokio::runtime::Runtime,
) -> Result<StartFigures, BenchError> {
    let config = config(load, feature_snapshots)?;
    let began = Instant::now();
    let backend: Arc<dyn Backend> = Arc::new(store::sqlite::SqliteBackend::open(dir)?);
    let engine = Engine::start(config, backend, Arc::new(SystemClock))?;
    let start_s = began.elapsed().as_secs_f64();
    let account = AccountId(0);
    let receiver = engine
        .submit_with(payment(account), None, Some(context_of(account)))
        .map_err(|e| BenchError::Other(format!("first authorization: {e:?}")))?;
    runtime
        .block_on(receiver)
        .map_err(|_| BenchError::Other("engine stopped".into()))?;
    let serving_s = began.elapsed().as_secs_f64();
    engine.shutdown();
    Ok(StartFigures { start_s, serving_s })
}

fn payment(account: AccountId) -> Request {
    Request::Authorize {
        payer: Payer::Account(account),
        merchant: MerchantId(1 + account.0 % 500),
        amount: Amount::from_fen(100),
        plan: None,
        reference: None,
    }
}

/// Where account `account` pays from: its own device and IP, online.
fn context_of(account: AccountId) -> RiskContext {
    RiskContext {
        device: risk::DeviceId(account.0 + 1),
        ip: std::net::IpAddr::from((0x0a00_0000 + account.0 as u32).to_be_bytes()),
        ..RiskContext::unknown(risk::Channel::Online)
    }
}

/// `count` authorizations by `load.in_flight` clients.
async fn authorize(engine: Arc<Engine>, count: u64, load: RestartLoad) {
    let clients = load.in_flight.max(1) as u64;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let engine = engine.clone();
        let mine = count / clients + u64::from(client < count % clients);
        let accounts = load.accounts.max(1);
        tasks.push(tokio::spawn(async move {
            let mut rng = XorShift::new(0x5e57 + client);
            let mut done = 0;
            while done < mine {
                let account = AccountId(rng.below(accounts));
                let receiver = match engine.submit_with(payment(account), None, Some(context_of(account))) {
                    Ok(receiver) => receiver,
                    Err(SubmitError::Busy) => {
                        tokio::time::sleep(Duration::from_micros(200)).await;
                        continue;
                    }
                    Err(SubmitError::Unavailable | SubmitError::NotOwned { .. }) => return,
                };
                if receiver.await.is_err() {
                    return;
                }
                done += 1;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}
