//! [`AppState`]: what every handler shares: the engine, the clock, the product, and the shell's
//! own state (merchants, tokens, operators, payment codes, the meta store, the risk edge, the
//! audit log, the emergency controls, the metrics and whether it is shutting down).

use std::sync::Arc;

use credit::Product;
use engine::{Clock, Engine};

use crate::edge::codes::PaymentCodes;
use crate::edge::merchants::Merchants;
use crate::edge::risk::RiskEdge;
use crate::http::auth::replay::ReplayCache;
use crate::http::auth::tokens::{AdminToken, CustomerTokens};
use crate::http::network::Network;
use crate::http::once::running::Running;
use crate::meta::Meta;
use crate::simulation::mode::Simulation;

/// Cheap to clone: one shared allocation.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub(crate) struct Inner {
    pub engine: Engine,
    pub clock: Arc<dyn Clock>,
    pub product: Product,
    pub meta: Arc<Meta>,
    pub merchants: Merchants,
    /// Installment campaigns (loaded at start from the meta table).
    pub campaigns: crate::edge::campaigns::Campaigns,
    /// The price tiers the limit table defines (an operator may open a line at one).
    pub price_tiers: Vec<onboarding::PriceTier>,
    pub tokens: CustomerTokens,
    pub admin: AdminToken,
    /// Merchant signatures seen inside the timestamp window.
    pub replays: ReplayCache,
    /// Calls under [`crate::http::once::once`] still running.
    pub running: Running,
    pub codes: Arc<PaymentCodes>,
    pub risk_edge: Arc<RiskEdge>,
    /// Simulation mode (a hand-moved clock and the `/v1/system/*` routes), if it is on.
    pub simulation: Option<Arc<Simulation>>,
    /// The HTTP edge's shared part (trusted proxies, auth failures, webhook target rules).
    pub network: Arc<Network>,
    /// The payment and payout providers and the callback secret.
    pub funding: Arc<crate::edge::funding::providers::FundingEdge>,
    /// The store's audit log, opened at start (operator actions are recorded through it).
    pub auditor: Arc<audit::Auditor>,
    /// The audit log's rows, read by `GET /v1/audit` (its own handle: reads never wait on the
    /// writer's lock).
    pub audit_rows: std::sync::Mutex<Box<dyn store::AuditLog>>,
    /// Operator accounts, sessions and API keys.
    pub operators: crate::edge::operators::Operators,
    /// The emergency controls in force.
    pub emergency: crate::edge::emergency::Emergency,
    /// Seals and opens personal data and secrets; the blind-index key (see `keys`).
    pub vault: Arc<vault::Vault>,
    /// Calls kept for a second operator's approval (four eyes).
    pub approvals: crate::edge::approvals::Approvals,
    /// When a change needs a second operator.
    pub four_eyes: crate::config::FourEyesConfig,
    /// The metrics (`GET /metrics`).
    pub telemetry: Arc<crate::telemetry::Telemetry>,
    /// The outbox, read by `GET /metrics` for its backlog (its own handle).
    pub outbox: std::sync::Mutex<Box<dyn store::Outbox>>,
    /// The team's work on cases: queues, assignees, notes, links, attachments.
    pub casework: crate::edge::casework::Casework,
    /// The store, for the rare read that scans the journal (a backtest).
    pub backend: Arc<dyn store::Backend>,
    /// One backtest at a time (each scans the whole journal).
    pub backtests: tokio::sync::Semaphore,
    /// One portfolio report at a time (each reads every account and bucket change).
    pub portfolio_reads: tokio::sync::Semaphore,
    /// Merchant settlement's tables and a journal handle for its consumer (one lock: one run
    /// at a time); `None` when the store has no settlement tables.
    pub settlement: Option<std::sync::Mutex<crate::edge::settlement::Books>>,
    /// Customer notifications: channels, the consumer's journal handle, what is pending.
    pub notifications: Arc<crate::notifications::Notifications>,
    /// Set when `Server::stop` begins: `GET /readyz` answers 503 from then on.
    pub shutting_down: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("engine", &self.0.engine)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub(crate) fn new(inner: Inner) -> AppState {
        AppState(Arc::new(inner))
    }

    pub fn engine(&self) -> &Engine {
        &self.0.engine
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }

    /// Today's business date in the engine's zone (identity checks date ID numbers by it).
    pub(crate) fn today(&self) -> jiff::civil::Date {
        self.clock().now().to_zoned(self.engine().config().zone.clone()).date()
    }

    /// Customer notifications (the consumer, its channels and simulators).
    pub fn notifications(&self) -> &Arc<crate::notifications::Notifications> {
        &self.0.notifications
    }

    pub fn product(&self) -> &Product {
        &self.0.product
    }

    pub(crate) fn casework(&self) -> &crate::edge::casework::Casework {
        &self.0.casework
    }

    pub fn backend(&self) -> &Arc<dyn store::Backend> {
        &self.0.backend
    }

    pub(crate) fn backtests(&self) -> &tokio::sync::Semaphore {
        &self.0.backtests
    }

    pub(crate) fn portfolio_reads(&self) -> &tokio::sync::Semaphore {
        &self.0.portfolio_reads
    }

    pub(crate) fn meta(&self) -> &Arc<Meta> {
        &self.0.meta
    }

    pub(crate) fn vault(&self) -> &vault::Vault {
        &self.0.vault
    }

    pub(crate) fn merchants(&self) -> &Merchants {
        &self.0.merchants
    }

    pub(crate) fn campaigns(&self) -> &crate::edge::campaigns::Campaigns {
        &self.0.campaigns
    }

    pub(crate) fn price_tiers(&self) -> &[onboarding::PriceTier] {
        &self.0.price_tiers
    }

    /// Today's business date as the credit core counts days.
    pub(crate) fn business_day(&self) -> credit::Day {
        credit::Day::from_date(self.today())
    }

    pub(crate) fn tokens(&self) -> &CustomerTokens {
        &self.0.tokens
    }

    pub(crate) fn admin(&self) -> &AdminToken {
        &self.0.admin
    }

    pub(crate) fn replays(&self) -> &ReplayCache {
        &self.0.replays
    }

    pub(crate) fn running(&self) -> &Running {
        &self.0.running
    }

    pub(crate) fn codes(&self) -> &Arc<PaymentCodes> {
        &self.0.codes
    }

    pub(crate) fn risk_edge(&self) -> &Arc<RiskEdge> {
        &self.0.risk_edge
    }

    pub(crate) fn network(&self) -> &Network {
        &self.0.network
    }

    pub(crate) fn funding(&self) -> &crate::edge::funding::providers::FundingEdge {
        &self.0.funding
    }

    /// The audit log's writer: `record(actor, action, target, detail, outcome)`.
    pub fn auditor(&self) -> &Arc<audit::Auditor> {
        &self.0.auditor
    }

    /// Merchant settlement's tables, when the store has them.
    pub(crate) fn settlement(&self) -> Option<&std::sync::Mutex<crate::edge::settlement::Books>> {
        self.0.settlement.as_ref()
    }

    /// The audit log's rows, for reading.
    pub(crate) fn audit_rows(&self) -> &std::sync::Mutex<Box<dyn store::AuditLog>> {
        &self.0.audit_rows
    }

    pub(crate) fn operators(&self) -> &crate::edge::operators::Operators {
        &self.0.operators
    }

    pub(crate) fn approvals(&self) -> &crate::edge::approvals::Approvals {
        &self.0.approvals
    }

    pub(crate) fn four_eyes(&self) -> &crate::config::FourEyesConfig {
        &self.0.four_eyes
    }

    pub(crate) fn emergency(&self) -> &crate::edge::emergency::Emergency {
        &self.0.emergency
    }

    pub(crate) fn telemetry(&self) -> &crate::telemetry::Telemetry {
        &self.0.telemetry
    }

    pub(crate) fn outbox(&self) -> &std::sync::Mutex<Box<dyn store::Outbox>> {
        &self.0.outbox
    }

    pub(crate) fn shutting_down(&self) -> bool {
        self.0.shutting_down.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn begin_shutdown(&self) {
        self.0.shutting_down.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Simulation mode's state, if the server was started in it.
    pub(crate) fn simulation(&self) -> Option<&Simulation> {
        self.0.simulation.as_deref()
    }

    /// The engine, once every other handle to the state is gone (at shutdown).
    pub(crate) fn into_engine(self) -> Result<Engine, AppState> {
        Arc::try_unwrap(self.0).map(|inner| inner.engine).map_err(AppState)
    }
}
