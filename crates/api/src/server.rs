//! Running the API: [`Server::start`] binds its address (before anything is created, so a start
//! that cannot listen leaves no store and loses no admin token), opens the store the binary
//! chose (`Config::store`; the API sees it only through `store::Backend`),
//! starts the engine with the given clock, restores merchants and the admin token, and serves (through `edge::listen`:
//! the connection cap and timeouts); [`Server::stop`] stops taking connections, lets in-flight
//! calls finish up to the shutdown deadline, then shuts the engine down so queued work is
//! durable and answered. [`serve`] does all of it with the system clock until SIGINT or
//! SIGTERM. [`Server::start_with`] also takes the [`RiskOptions`]: a rules folder loaded into
//! the engine and watched for edits, the step-up providers, and the webhook dispatcher (which
//! always runs).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use engine::{Clock, Engine, ManualClock, SystemClock};
use jiff::Timestamp;
use store::Backend;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::edge::codes::CodeContexts;
use crate::edge::codes::PaymentCodes;
use crate::edge::merchants::Merchants;
use crate::edge::risk::{RiskEdge, RiskOptions, Watcher, load_rules, simulated_providers};
use crate::http::auth::tokens::{AdminToken, CustomerTokens};
use crate::http::network::Network;
use crate::http::network::listen::Listening;
use crate::meta::Meta;
use crate::simulation::mode::Simulation;
use crate::state::{AppState, Inner};
use crate::telemetry::Telemetry;
use crate::webhooks::Webhooks;
use crate::webhooks::dispatcher::Dispatcher;

/// Why the server could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    #[error("start-up: {0}")]
    Bootstrap(String),
    /// No key provider, or keys that are not the store's: never served unencrypted.
    #[error("keys: {0}")]
    Keys(String),
    #[error("cannot listen on {addr}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    generated_admin_token: Option<String>,
    state: AppState,
    listening: Listening,
    sweeper: JoinHandle<()>,
    dispatcher: Dispatcher,
    watcher: Option<Watcher>,
    /// Asks providers about pending funding operations (see `edge::funding`).
    reconciler: JoinHandle<()>,
    /// Settles the day before after the day rolls, and sends merchant payouts
    /// (`edge::settlement::runs`), when configured.
    settler: Option<JoinHandle<()>>,
    /// Derives and sends customer notifications (see `notifications`).
    notifier: JoinHandle<()>,
}

struct Opened {
    vault: Arc<vault::Vault>,
    engine: Engine,
    meta: Arc<Meta>,
    admin: AdminToken,
    generated: Option<String>,
    merchants: Merchants,
    campaigns: crate::edge::campaigns::Campaigns,
    price_tiers: Vec<onboarding::PriceTier>,
    webhooks: Webhooks,
    backend: Arc<dyn Backend>,
    watcher: Option<Watcher>,
    auditor: audit::Auditor,
    audit_rows: Box<dyn store::AuditLog>,
    operators: crate::edge::operators::Operators,
    emergency: crate::edge::emergency::Emergency,
    approvals: crate::edge::approvals::Approvals,
    casework: crate::edge::casework::Casework,
    outbox: Box<dyn store::Outbox>,
    settlement: Option<crate::edge::settlement::Books>,
    notifications: crate::notifications::Notifications,
}

fn open(
    config: &Config,
    options: &RiskOptions,
    clock: Arc<dyn Clock>,
    telemetry: Arc<Telemetry>,
) -> Result<Opened, ServeError> {
    // The keys first: without them nothing is created.
    let vault = Arc::new(crate::keys::vault(config.keys.as_ref()).map_err(ServeError::Keys)?);
    let backend = config.store.open()?;
    let meta = Arc::new(Meta::new(backend.journal()?));
    crate::keys::check_at_start(&meta, &vault).map_err(ServeError::Keys)?;
    let mut engine_config = config.engine.clone();
    engine_config.observer = Some(telemetry);
    let mut sources = None;
    if let Some(rules) = &options.rules {
        let (shared, loaded) = load_rules(rules, &meta).map_err(ServeError::Bootstrap)?;
        engine_config.risk = Some(shared);
        sources = loaded;
    }
    let now_us = clock.now().as_microsecond();
    let audit_clock = clock.clone();
    let auditor = audit::Auditor::open(
        backend.as_ref(),
        audit::AuditConfig::default(),
        config.store.audit_key(),
        Arc::new(move || audit_clock.now()),
    )
    .map_err(|e| ServeError::Bootstrap(format!("opening the audit log: {e}")))?;
    let engine = Engine::start(engine_config, backend.clone(), clock)?;
    let watcher = match (&options.rules, engine.risk()) {
        (Some(rules), Some(shared)) => {
            Some(Watcher::start(rules, shared, &meta, sources).map_err(ServeError::Bootstrap)?)
        }
        _ => None,
    };
    let (admin, generated) =
        AdminToken::bootstrap(&meta, config.admin_token.as_deref()).map_err(ServeError::Bootstrap)?;
    let merchants = Merchants::load(&meta, &vault).map_err(ServeError::Bootstrap)?;
    let campaigns = crate::edge::campaigns::Campaigns::load(&meta).map_err(ServeError::Bootstrap)?;
    let price_tiers = onboarding::pricing::shipped_price_tiers().map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    let operators = crate::edge::operators::Operators::load(&meta, vault.clone(), config.edge.operator_session_hours)
        .map_err(ServeError::Bootstrap)?;
    let emergency = crate::edge::emergency::Emergency::load(&meta).map_err(ServeError::Bootstrap)?;
    let approvals = crate::edge::approvals::Approvals::load(&meta).map_err(ServeError::Bootstrap)?;
    let casework = crate::edge::casework::Casework::load(&meta).map_err(ServeError::Bootstrap)?;
    let audit_rows = backend
        .audit()
        .map_err(|e| ServeError::Bootstrap(format!("opening the audit log: {e}")))?;
    let webhooks = Webhooks::load(&meta, &merchants).map_err(ServeError::Bootstrap)?;
    let outbox = backend.outbox()?;
    let settlement = match backend.settlement() {
        Ok(store) => Some(crate::edge::settlement::Books {
            store,
            journal: backend.journal()?,
        }),
        Err(store::StoreError::Unsupported { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let restored = crate::http::once::load(&meta, engine.keys(), now_us).map_err(ServeError::Bootstrap)?;
    tracing::info!(restored, "idempotency records of calls outside the partitions restored");
    let notifications =
        crate::notifications::Notifications::open(options.notifications.clone(), &meta, backend.journal()?)
            .map_err(ServeError::Bootstrap)?;
    Ok(Opened {
        vault,
        engine,
        meta,
        admin,
        generated,
        merchants,
        campaigns,
        price_tiers,
        webhooks,
        backend,
        watcher,
        auditor,
        audit_rows,
        operators,
        emergency,
        approvals,
        casework,
        outbox,
        settlement,
        notifications,
    })
}

impl Server {
    /// Starts the server with `clock` (tests pass an `engine::ManualClock`) and the default
    /// [`RiskOptions`].
    pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Server, ServeError> {
        Server::start_with(config, RiskOptions::default(), clock).await
    }

    /// Starts the server with risk options: a rules folder, providers, the dispatcher's timing.
    pub async fn start_with(config: Config, options: RiskOptions, clock: Arc<dyn Clock>) -> Result<Server, ServeError> {
        Server::start_inner(config, options, clock, None).await
    }

    /// Starts the server in simulation mode (see [`crate::simulation`]): on a manual clock
    /// standing at `at` that only `POST /v1/system/clock` moves, with the engine's daily
    /// scheduler off (`POST /v1/system/advance` runs the daily advance). Payments decided
    /// `review` are held as in production: the simulator's desk works the `payment_review` queue.
    pub async fn start_simulated(
        mut config: Config,
        options: RiskOptions,
        at: Timestamp,
    ) -> Result<Server, ServeError> {
        config.engine.schedule = false;
        let clock = Arc::new(ManualClock::new(at));
        let simulation = Arc::new(Simulation { clock: clock.clone() });
        Server::start_inner(config, options, clock, Some(simulation)).await
    }

    async fn start_inner(
        config: Config,
        options: RiskOptions,
        clock: Arc<dyn Clock>,
        simulation: Option<Arc<Simulation>>,
    ) -> Result<Server, ServeError> {
        // Bind first: a start that cannot listen (the port is in use) creates nothing, so the
        // admin token a first start generates is never stored without being shown.
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: config.listen,
                source,
            })?;
        let telemetry = Arc::new(Telemetry::new());
        let opening = (config.clone(), options.clone(), clock.clone(), telemetry.clone());
        let opened = tokio::task::spawn_blocking(move || open(&opening.0, &opening.1, opening.2, opening.3))
            .await
            .map_err(|e| ServeError::Bootstrap(e.to_string()))??;
        let providers = match options.providers.clone() {
            Some(providers) => providers,
            None => simulated_providers(crate::random::below(u64::MAX).map_err(|e| ServeError::Bootstrap(e.message))?),
        };
        let risk_edge = Arc::new(RiskEdge {
            step_ups: Default::default(),
            providers,
            code_contexts: CodeContexts::default(),
            webhooks: Arc::new(opened.webhooks),
            rules: opened.watcher.as_ref().map(Watcher::status),
        });
        let codes = Arc::new(PaymentCodes::default());
        let seed = crate::random::below(u64::MAX).map_err(|e| ServeError::Bootstrap(e.message))?;
        let funding = Arc::new(crate::edge::funding::providers::FundingEdge::new(
            &options.funding,
            seed,
        ));
        let state = AppState::new(Inner {
            product: opened.engine.config().product.clone(),
            engine: opened.engine,
            clock: clock.clone(),
            meta: opened.meta,
            merchants: opened.merchants,
            campaigns: opened.campaigns,
            price_tiers: opened.price_tiers,
            tokens: CustomerTokens::new(config.token_lifetime_days),
            admin: opened.admin,
            replays: Default::default(),
            running: Default::default(),
            codes: codes.clone(),
            risk_edge: risk_edge.clone(),
            simulation,
            network: Arc::new(Network::new(&config.edge)),
            funding,
            auditor: Arc::new(opened.auditor),
            audit_rows: std::sync::Mutex::new(opened.audit_rows),
            operators: opened.operators,
            emergency: opened.emergency,
            vault: opened.vault,
            approvals: opened.approvals,
            four_eyes: config.edge.four_eyes,
            telemetry: telemetry.clone(),
            outbox: std::sync::Mutex::new(opened.outbox),
            casework: opened.casework,
            backend: opened.backend.clone(),
            backtests: tokio::sync::Semaphore::new(1),
            portfolio_reads: tokio::sync::Semaphore::new(1),
            settlement: opened.settlement.map(std::sync::Mutex::new),
            notifications: Arc::new(opened.notifications),
            shutting_down: Default::default(),
        });
        let dispatcher = Dispatcher::start(opened.backend.as_ref(), state.clone(), options.webhooks.clone())
            .map_err(ServeError::Bootstrap)?;
        let addr = listener.local_addr()?;
        let listening = Listening::start(listener, crate::http::router::router(state.clone()), &config.edge);
        let meta = state.meta().clone();
        let state_for_sweep = state.clone();
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(10));
            let mut ticks: u64 = 0;
            loop {
                every.tick().await;
                let now = clock.now();
                ticks += 1;
                if ticks.is_multiple_of(360) {
                    let (meta, now_us) = (meta.clone(), now.as_microsecond());
                    let pruned = tokio::task::spawn_blocking(move || crate::http::once::prune(&meta, now_us)).await;
                    if let Ok(Err(error)) = pruned {
                        tracing::warn!(%error, "pruning idempotency records failed");
                    }
                    let (meta, swept) = (state_for_sweep.meta().clone(), state_for_sweep.clone());
                    let pruned =
                        tokio::task::spawn_blocking(move || swept.operators().sessions.prune(&meta, now)).await;
                    if let Ok(Err(error)) = pruned {
                        tracing::warn!(%error, "pruning expired operator sessions failed");
                    }
                    let leading = state_for_sweep
                        .engine()
                        .leading()
                        .load(std::sync::atomic::Ordering::Acquire);
                    if leading && let Err(error) = crate::http::routes::casework::prune_work(&state_for_sweep).await {
                        tracing::warn!(error = %error.message, "pruning resolved cases' work failed");
                    }
                }
                telemetry.upkeep();
                let leading = state_for_sweep
                    .engine()
                    .leading()
                    .load(std::sync::atomic::Ordering::Acquire);
                if leading && let Err(error) = crate::http::routes::casework::auto_assign(&state_for_sweep).await {
                    tracing::warn!(error = %error.message, "assigning cases failed");
                }
                codes.sweep(now);
                risk_edge.step_ups.sweep(now);
                risk_edge.code_contexts.sweep(now);
            }
        });
        let reconciler = tokio::spawn(crate::edge::funding::reconcile(state.clone()));
        // Simulation mode's days are the simulator's to settle.
        let settler = match (options.funding.settlement_every, state.settlement(), state.simulation()) {
            (Some(every), Some(_), None) => {
                Some(tokio::spawn(crate::edge::settlement::runs::task(state.clone(), every)))
            }
            _ => None,
        };
        let notifier = crate::notifications::consumer::start(state.clone());
        tracing::info!(%addr, store = %config.store, "iou API listening");
        Ok(Server {
            addr,
            generated_admin_token: opened.generated,
            state,
            listening,
            sweeper,
            dispatcher,
            watcher: opened.watcher,
            reconciler,
            settler,
            notifier,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin token generated at this start (the first start of a store without a configured
    /// token), to be shown once.
    pub fn generated_admin_token(&self) -> Option<&str> {
        self.generated_admin_token.as_deref()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops gracefully: in-flight calls finish (connections still open after the shutdown
    /// deadline are dropped), then the engine makes its queued work durable.
    pub async fn stop(self) -> Result<(), ServeError> {
        self.state.begin_shutdown();
        self.listening.stop().await;
        self.sweeper.abort();
        let _ = self.sweeper.await;
        self.reconciler.abort();
        let _ = self.reconciler.await;
        if let Some(settler) = self.settler {
            settler.abort();
            let _ = settler.await;
        }
        self.notifier.abort();
        let _ = self.notifier.await;
        self.dispatcher.stop().await;
        if let Some(watcher) = self.watcher {
            let _ = tokio::task::spawn_blocking(move || watcher.stop()).await;
        }
        match sole_engine(self.state).await {
            Ok(engine) => tokio::task::spawn_blocking(move || engine.shutdown())
                .await
                .map_err(|e| ServeError::Bootstrap(e.to_string()))?,
            Err(_) => tracing::warn!("the engine is still shared: it stops when the last handle goes"),
        }
        tracing::info!("iou API stopped");
        Ok(())
    }

    /// Serves until SIGINT or SIGTERM, then stops gracefully.
    pub async fn run_until_signal(self) -> Result<(), ServeError> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

/// The engine, once the last request still holding the state (an HTTP/2 stream of a dropped
/// connection finishing its engine call) lets go; waits a few seconds at most.
async fn sole_engine(mut state: AppState) -> Result<Engine, AppState> {
    for _ in 0..50 {
        match state.into_engine() {
            Ok(engine) => return Ok(engine),
            Err(shared) => state = shared,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    state.into_engine()
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Serves `config` with the system clock until SIGINT or SIGTERM. A generated admin token is
/// logged once (the `iou serve` command prints it instead).
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let server = Server::start(config, Arc::new(SystemClock)).await?;
    if let Some(token) = server.generated_admin_token() {
        tracing::warn!(
            token,
            "generated the operator's admin token: keep it, it is not shown again"
        );
    }
    server.run_until_signal().await
}
