//! Running a simulation in-process: the engine configuration a simulation needs (the rules
//! built into the binary unless a folder is given, the scheduler off) and the one call that
//! runs a population against an engine; and [`run_with`], the same run through any driver (over HTTP for `iou simulate --url`).

use std::path::Path;
use std::sync::Arc;

use engine::{Engine, EngineConfig, RiskShared};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::clock::SwitchClock;
use crate::config::SimConfig;
use crate::driver::{Driver, InProcess};
use crate::figures::Figures;
use crate::link::{Link, SimError};
use crate::onboard::DirectOnboard;
use crate::progress::Progress;
use crate::workload::Simulation;

/// Why an in-process run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Rules(#[from] engine::rules_dir::RulesDirError),
    #[error("the rules built into the binary")]
    Shipped(#[source] risk::RuleSetError),
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error("the fraud model built into the binary")]
    FraudModel(#[source] engine::fraud_model::FraudModelError),
}

/// The rules of `dir`, or the rules built into the binary (`engine::shipped_rules`) without one.
pub fn load_rules(dir: Option<&Path>) -> Result<risk::RuleSet, RunError> {
    let choice = risk::EvaluatorChoice::Auto;
    match dir {
        Some(dir) => Ok(engine::rules_dir::load_dir(dir, choice)?),
        None => engine::shipped_rules::rule_set(choice).map_err(RunError::Shipped),
    }
}

/// An engine configuration for a simulation: `partitions`, risk with the rules of `rules_dir`
/// (the shipped rules when `None`) and default features, the daily scheduler off (the
/// simulator sends the advance and reads its events), read models kept when `project`, and
/// payments decided `review` held for the workload's payment-review desk, as in production
/// (see `EngineConfig::hold_reviewed_payments`).
pub fn engine_config(partitions: u32, rules_dir: Option<&Path>, project: bool) -> Result<EngineConfig, RunError> {
    let rules = load_rules(rules_dir)?;
    let fraud_model = engine::fraud_model::FraudModel::shipped().map_err(RunError::FraudModel)?;
    let shared = RiskShared::new(
        Arc::new(risk::RuleSetCell::new(Arc::new(rules))),
        risk::FeatureConfig::default(),
    )
    .with_fraud_model(Arc::new(fraud_model));
    Ok(EngineConfig {
        partitions,
        schedule: false,
        project,
        risk: Some(Arc::new(shared)),
        ..EngineConfig::default()
    })
}

/// Midnight (Asia/Shanghai) of the run's first day: where the clock starts.
pub fn start_time(config: &SimConfig) -> Timestamp {
    config
        .start
        .to_zoned(TimeZone::fixed(jiff::tz::offset(8)))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Runs `config` against a running `engine` whose clock is `clock`.
pub fn run(
    config: &SimConfig,
    engine: &Engine,
    clock: Arc<SwitchClock>,
    progress: &mut dyn Progress,
) -> Result<Figures, SimError> {
    let mut driver = InProcess::new(engine, clock);
    run_with(config, &mut driver, progress)
}

/// Runs `config` through any driver (e.g. [`crate::driver::http::Http`] for a server).
pub fn run_with(config: &SimConfig, driver: &mut dyn Driver, progress: &mut dyn Progress) -> Result<Figures, SimError> {
    let name = driver.name();
    let mut link = Link::new(driver);
    let simulation = Simulation::new(config.clone(), &mut link, Box::new(DirectOnboard));
    let mut figures = simulation.run(progress)?;
    figures.throughput.driver = name.into();
    Ok(figures)
}

/// Runs `config` on a fresh engine in memory with the rules of `rules_dir` (the shipped rules
/// when `None`), then settles the merchants over the run's journal ([`crate::settlement`]).
pub fn run_in_memory(
    config: &SimConfig,
    rules_dir: Option<&Path>,
    progress: &mut dyn Progress,
) -> Result<Figures, RunError> {
    let clock = Arc::new(SwitchClock::manual(start_time(config)));
    let backend = Arc::new(store::memory::MemoryBackend::new());
    let engine = Engine::start(
        engine_config(config.partitions, rules_dir, false)?,
        backend.clone(),
        clock.clone(),
    )?;
    let figures = run(config, &engine, clock, progress);
    engine.shutdown();
    let mut figures = figures?;
    figures.settlement = Some(crate::settlement::settle_run(
        config,
        backend.as_ref(),
        config.partitions,
    )?);
    let zone = engine::EngineConfig::default().zone;
    figures.notifications = Some(crate::notifications::notify_run(
        backend.as_ref(),
        config.partitions,
        &zone,
    )?);
    Ok(figures)
}
