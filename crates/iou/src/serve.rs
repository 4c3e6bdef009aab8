//! `iou serve`: runs the HTTP API on the embedded store until SIGINT or SIGTERM.
//!
//! Logs go to stderr (`RUST_LOG` filters them, `info` by default). Stdout gets two kinds of
//! lines scripts can read: `listening on http://ADDR` once the port is bound, and, on the first
//! start of a store without `IOU_ADMIN_TOKEN`, `admin token: TOKEN` (shown this once; only its
//! hash is kept).
//!
//! Risk: the rules built into the binary (the `rules/` folder it was built from) by default;
//! `--rules DIR` loads a folder instead and watches it: an edited set that builds replaces the
//! running one, one that does not is refused whole and the running set stays. `--no-risk` is
//! the one way to run without risk decisions. Step-up
//! uses the identity provider endpoints given with `--otp-endpoint` and `--liveness-endpoint`,
//! else the deterministic simulators (the simulated SMS code is logged).
//!
//! The edge (API.md, "Limits"): `--header-timeout`, `--body-timeout`, `--idle-timeout`,
//! `--max-connections`, `--shutdown-deadline`, `--auth-failures-per-minute`; `--trusted-proxy
//! CIDR` (repeatable) names the proxies whose `X-Forwarded-For` is believed;
//! `--allow-insecure-webhooks` (tests only) admits http and loopback webhook URLs;
//! `--secure-cookies` marks the operator console's session cookie `Secure` (behind a proxy that
//! terminates TLS). The console itself is served at `/console/`.
//! Funding: repayments are debits through the payment provider at `--payment-endpoint`,
//! cash-outs payouts through `--payout-endpoint` (the funding crate's protocol), else the
//! deterministic simulators (every ordinary amount settles or is paid at once). Provider
//! callbacks are accepted only with a secret (`--funding-callback-secret` or
//! `IOU_FUNDING_CALLBACK_SECRET`).
//! Customer tokens are valid `--token-lifetime-days` (default 30) after they are issued,
//! refreshed or rotated (see API.md, "Tokens").
//!
//! Keys: `--key-file PATH` (or `IOU_KEY_FILE`, or `IOU_KEYS`) gives the key provider that seals
//! personal data and secrets (see `keys`); without one, or with keys that are not the store's,
//! the server refuses to start.
//!
//! Cluster: `--cluster --node-id ID --advertise URL` (with `--store postgres://...`) serves as
//! one of several processes on one store (`cluster`; ARCHITECTURE.md, "Scale").
//!
//! `--simulation` starts it in simulation mode for `iou simulate --url` (see the api crate's
//! `simulation` module): a manual clock moved by the operator, the daily advance on request.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The data directory of the embedded store (created on first start).
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// Run on PostgreSQL instead of the embedded store: `postgres://user:password@host:port/db`
    /// (libpq URL parameters work, e.g. `?options=-c%20search_path%3Diou` for a schema). The
    /// schema is created or migrated at start. Also `IOU_STORE` (keeps a password off the
    /// command line).
    #[arg(long, value_name = "URL", conflicts_with = "data")]
    store: Option<String>,
    /// How long a start waits for PostgreSQL to be reachable (retrying with backoff) before
    /// it gives up and exits non-zero. The server does not listen for requests until then.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    store_wait: u64,
    /// The address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Engine partitions of a new store (default 8). A store keeps the count it was created
    /// with: without this flag an existing store is served with its own count, and a count
    /// that differs from the store's is refused.
    #[arg(long)]
    partitions: Option<u32>,
    /// Writer threads the partitions share (0: one per two cores). Can change between runs.
    #[arg(long, default_value_t = 0)]
    writers: u32,
    /// A risk rules folder (JDM graphs) to load at start and hot-reload, instead of the rules
    /// built into the binary.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// A fraud model directory (`lightgbm.json`, `features.json`, as
    /// `scripts/train/train_fraud.py` writes them) to score payments with, instead of the
    /// model built into the binary. The payment graph reads its score only with
    /// `"fraud_model": "live"` in its metadata (shadow otherwise).
    #[arg(long)]
    fraud_model: Option<PathBuf>,
    /// Serve without risk decisions (no rules at all: every checkpoint is allowed).
    #[arg(long, conflicts_with = "rules")]
    no_risk: bool,
    /// The SMS OTP provider's base URL (the identity crate's protocol); simulated without.
    #[arg(long)]
    otp_endpoint: Option<String>,
    /// The customer messaging gateway's base URL (SMS, push and e-mail at
    /// `/v1/messages/<channel>`, bearer key from `IOU_NOTIFY_API_KEY`); simulated without.
    #[arg(long)]
    notify_endpoint: Option<String>,
    /// The liveness provider's base URL; simulated without.
    #[arg(long)]
    liveness_endpoint: Option<String>,
    /// The payment (debit) provider's base URL (the funding crate's protocol); simulated without.
    #[arg(long)]
    payment_endpoint: Option<String>,
    /// The payout provider's base URL; simulated without.
    #[arg(long)]
    payout_endpoint: Option<String>,
    /// The merchant payout provider's base URL (`funding::merchant`'s protocol): settled days
    /// are paid through it. Without it merchant payouts stay pending.
    #[arg(long)]
    merchant_payout_endpoint: Option<String>,
    /// Seconds between the settlement task's ticks: after the business day rolls it settles
    /// the day before (as `POST /v1/settlement/runs` does), and each tick sends pending
    /// merchant payouts. 0 turns the task off.
    #[arg(long, default_value_t = 60)]
    settlement_every: u64,
    /// The secret payment and payout providers sign their callbacks with (also
    /// `IOU_FUNDING_CALLBACK_SECRET`); without it callbacks are refused.
    #[arg(long)]
    funding_callback_secret: Option<String>,
    /// Simulation mode, for `iou simulate --url`: the server runs on a manual clock that only
    /// the operator's `POST /v1/system/clock` moves, the daily scheduler is off (the operator's
    /// `POST /v1/system/advance` runs the daily advance), and the simulation-only routes and
    /// headers are on. Never for production.
    #[arg(long)]
    simulation: bool,
    /// Where the simulation clock starts (RFC 3339; default 2000-01-01T00:00:00Z, so the first
    /// POST /v1/system/clock can move it to any simulation's start). Only with --simulation.
    #[arg(long, requires = "simulation")]
    clock_start: Option<String>,
    /// A file holding the audit log's checkpoint signing key (an Ed25519 seed, 64 hex digits).
    /// Keep it outside the data directory; `iou audit verify --verifying-key` takes the public
    /// half, printed at start. Without it audit records are chained but not signed.
    #[arg(long, value_name = "FILE")]
    audit_key: Option<PathBuf>,
    /// Publish every journaled fact to this NATS JetStream server as the server runs (EVENTS.md;
    /// also `IOU_EVENTS_NATS`). NATS being unreachable never stops serving: the publisher
    /// retries, and resumes where the stream stands.
    #[arg(long, value_name = "URL")]
    events_nats: Option<String>,
    #[command(flatten)]
    events: crate::events::StreamArgs,
    #[command(flatten)]
    cluster: crate::cluster::ClusterArgs,
    /// How long a customer token is valid after it is issued, rotated or refreshed (days).
    #[arg(long, default_value_t = api::Config::TOKEN_LIFETIME_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
    token_lifetime_days: u32,
    /// Seconds a client has to send a request's head (and an HTTP/1.1 keep-alive connection
    /// may sit idle); a connection's first bytes must come within it too.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a request's whole body has to arrive (408 body_timeout after).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    body_timeout: u64,
    /// Seconds a connection may go without reading or writing anything before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    idle_timeout: u64,
    /// Connections served at once (more wait to be accepted); lowered to the open-file limit
    /// (ulimit -n) less 128.
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// Seconds SIGTERM waits for open connections to finish before dropping them (the store
    /// is closed cleanly either way).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    shutdown_deadline: u64,
    /// A proxy (address or CIDR range, repeatable) whose X-Forwarded-For is believed: the
    /// right-most address in it that is not a trusted proxy is the client. Without any, the
    /// TCP peer is the client and X-Forwarded-For is ignored.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = parse_cidr)]
    trusted_proxies: Vec<api::IpNet>,
    /// Failed authentications one address may make in a minute before it gets 429
    /// too_many_auth_failures.
    #[arg(long, default_value_t = 20)]
    auth_failures_per_minute: u32,
    /// How long an operator session lasts after login, in hours.
    #[arg(long, default_value_t = 8)]
    operator_session_hours: u32,
    /// A permanent limit raised above this, or a temporary limit above it, needs a second
    /// operator's approval (fen; four eyes).
    #[arg(long, value_name = "FEN", default_value_t = api::FourEyesConfig::default().limit_above_fen)]
    four_eyes_limit_above_fen: i64,
    /// An operator's cash-out above this needs a second operator's approval (fen).
    #[arg(long, value_name = "FEN", default_value_t = api::FourEyesConfig::default().cash_out_above_fen)]
    four_eyes_cash_out_above_fen: i64,
    /// Mark the console's session cookie `Secure` always (the server is reached over https
    /// through a proxy that terminates TLS). Without it the cookie is `Secure` only when a
    /// trusted proxy's `X-Forwarded-Proto` says https.
    #[arg(long)]
    secure_cookies: bool,
    /// The key file that seals personal data and secrets (`iou keys init --out PATH`; also
    /// `IOU_KEY_FILE`, or the file's JSON in `IOU_KEYS`). Required: without keys the server
    /// does not start.
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,
    /// Lets merchants register http webhook URLs and loopback targets. For tests only, never
    /// production: without it webhooks must be https to public addresses.
    #[arg(long)]
    allow_insecure_webhooks: bool,
}

/// A CIDR range, or a single address (as /32 or /128).
fn parse_cidr(text: &str) -> Result<api::IpNet, String> {
    if let Ok(net) = text.parse::<api::IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<std::net::IpAddr>()
        .map(api::IpNet::from)
        .map_err(|_| format!("{text:?} is not an address or CIDR range (10.0.0.0/8, 2001:db8::/32)"))
}

impl ServeArgs {
    fn edge(&self) -> api::EdgeConfig {
        api::EdgeConfig {
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            body_timeout: Duration::from_secs(self.body_timeout.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout.max(1)),
            max_connections: self.max_connections.max(1),
            shutdown_deadline: Duration::from_secs(self.shutdown_deadline),
            trusted_proxies: self.trusted_proxies.clone(),
            allow_insecure_webhooks: self.allow_insecure_webhooks,
            auth_failures_per_minute: self.auth_failures_per_minute.max(1),
            operator_session_hours: self.operator_session_hours.max(1),
            four_eyes: api::FourEyesConfig {
                limit_above_fen: self.four_eyes_limit_above_fen.max(0),
                cash_out_above_fen: self.four_eyes_cash_out_above_fen.max(0),
            },
            secure_cookies: self.secure_cookies,
        }
    }
}

/// The rules to decide with: the folder given, else the rules built into the binary; none
/// with `--no-risk`.
fn rules(given: Option<PathBuf>, fraud_model: Option<PathBuf>, no_risk: bool) -> Option<api::RulesOptions> {
    if no_risk {
        eprintln!("warning: --no-risk: serving without risk decisions");
        return None;
    }
    let options = given.map_or_else(api::RulesOptions::shipped, api::RulesOptions::new);
    Some(api::RulesOptions { fraud_model, ..options })
}

/// The step-up providers: HTTP adapters for the endpoints given, simulators for the rest.
fn providers(otp: Option<String>, liveness: Option<String>) -> anyhow::Result<Option<api::Providers>> {
    if otp.is_none() && liveness.is_none() {
        return Ok(None);
    }
    let clock: Arc<dyn identity::Clock> = Arc::new(identity::SystemClock::new());
    let config = |endpoint: String| -> anyhow::Result<identity::http::ProviderConfig> {
        serde_json::from_value(serde_json::json!({ "endpoint": endpoint })).context("provider endpoint")
    };
    let mut chosen = api::simulated_providers(std::process::id().into());
    if let Some(endpoint) = otp {
        chosen.otp =
            Arc::new(identity::http::HttpOtpSender::new(&config(endpoint)?, clock.clone()).context("--otp-endpoint")?);
    }
    if let Some(endpoint) = liveness {
        let threshold = identity::LivenessScore::from_permille(api::LIVENESS_THRESHOLD).context("threshold")?;
        let checker = identity::http::HttpLivenessChecker::new(&config(endpoint)?, threshold, clock)
            .context("--liveness-endpoint")?;
        chosen.liveness = Arc::new(checker);
    }
    Ok(Some(chosen))
}

/// Customer notifications: the HTTP channels of the gateway given, else the simulators.
fn notifications(endpoint: Option<String>) -> anyhow::Result<api::NotificationOptions> {
    let Some(endpoint) = endpoint else {
        return Ok(api::NotificationOptions::default());
    };
    let clock: Arc<dyn identity::Clock> = Arc::new(identity::SystemClock::new());
    let api_key = std::env::var("IOU_NOTIFY_API_KEY").ok();
    let config: identity::http::ProviderConfig =
        serde_json::from_value(serde_json::json!({ "endpoint": endpoint, "api_key": api_key }))
            .context("--notify-endpoint")?;
    let mut channels: Vec<Arc<dyn notify::NotificationChannel>> = Vec::new();
    for channel in notify::Channel::ALL {
        let http = notify::http::HttpChannel::new(channel, &config, clock.clone()).context("--notify-endpoint")?;
        channels.push(Arc::new(http));
    }
    Ok(api::NotificationOptions {
        channels: Some(channels),
        ..api::NotificationOptions::default()
    })
}

/// The funding providers: HTTP adapters for the endpoints given, simulators for the rest.
fn funding(
    payments: Option<String>,
    payouts: Option<String>,
    merchant_payouts: Option<String>,
    secret: Option<String>,
) -> anyhow::Result<api::FundingOptions> {
    let clock: Arc<dyn identity::Clock> = Arc::new(identity::SystemClock::new());
    let config = |endpoint: String| -> anyhow::Result<identity::http::ProviderConfig> {
        serde_json::from_value(serde_json::json!({ "endpoint": endpoint })).context("provider endpoint")
    };
    let mut options = api::FundingOptions {
        callback_secret: secret.filter(|s| !s.is_empty()),
        ..api::FundingOptions::default()
    };
    if let Some(endpoint) = payments {
        let adapter =
            funding::http::HttpPayments::new(&config(endpoint)?, clock.clone()).context("--payment-endpoint")?;
        options.payments = Some(Arc::new(adapter));
    }
    if let Some(endpoint) = payouts {
        let adapter =
            funding::http::HttpPayouts::new(&config(endpoint)?, clock.clone()).context("--payout-endpoint")?;
        options.payouts = Some(Arc::new(adapter));
    }
    if let Some(endpoint) = merchant_payouts {
        let adapter = funding::merchant::HttpMerchantPayouts::new(&config(endpoint)?, clock)
            .context("--merchant-payout-endpoint")?;
        options.merchant_payouts = Some(Arc::new(adapter));
    }
    Ok(options)
}

/// PostgreSQL when `--store` (or `IOU_STORE`) names it, else SQLite in `--data`.
fn chosen_store(url: Option<String>, data: PathBuf, wait_seconds: u64) -> anyhow::Result<api::StoreChoice> {
    let url = url.or_else(|| std::env::var("IOU_STORE").ok().filter(|u| !u.is_empty()));
    match url {
        Some(url) => crate::postgres_store(url, Duration::from_secs(wait_seconds)),
        None => Ok(crate::sqlite_store(data)),
    }
}

/// The store, signing its audit checkpoints with the key in `key_file` if there is one.
fn audit_store(store: api::StoreChoice, key_file: Option<&std::path::Path>) -> anyhow::Result<api::StoreChoice> {
    let Some(path) = key_file else {
        return Ok(store);
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("--audit-key {}", path.display()))?;
    let key = audit::CheckpointKey::from_hex(&text).with_context(|| format!("the audit key in {}", path.display()))?;
    eprintln!("audit checkpoints are signed; verifying key {}", key.verifying_key());
    Ok(store.with_audit_key(key))
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let admin_token = std::env::var("IOU_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    if args.allow_insecure_webhooks {
        eprintln!(
            "warning: --allow-insecure-webhooks: http and loopback webhook URLs are accepted; never use it in production"
        );
    }
    let edge = args.edge();
    let events = args
        .events_nats
        .clone()
        .or_else(|| std::env::var("IOU_EVENTS_NATS").ok().filter(|u| !u.is_empty()))
        .map(|url| (url, args.events.config()));
    let keys = crate::keys::provider(args.key_file.clone())?;
    let cluster = args.cluster.config(args.listen)?;
    let config = api::Config {
        listen: args.listen,
        store: audit_store(
            chosen_store(args.store, args.data, args.store_wait)?,
            args.audit_key.as_deref(),
        )?,
        engine: engine::EngineConfig {
            partitions: args.partitions.unwrap_or(0),
            writers: args.writers,
            cluster,
            ..engine::EngineConfig::default()
        },
        admin_token,
        edge,
        token_lifetime_days: args.token_lifetime_days,
        keys,
    };
    let options = api::RiskOptions {
        rules: rules(args.rules, args.fraud_model, args.no_risk),
        providers: providers(args.otp_endpoint, args.liveness_endpoint)?,
        webhooks: api::WebhookOptions::default(),
        funding: api::FundingOptions {
            settlement_every: (args.settlement_every > 0).then(|| Duration::from_secs(args.settlement_every)),
            ..funding(
                args.payment_endpoint,
                args.payout_endpoint,
                args.merchant_payout_endpoint,
                args.funding_callback_secret
                    .or_else(|| std::env::var("IOU_FUNDING_CALLBACK_SECRET").ok()),
            )?
        },
        notifications: notifications(args.notify_endpoint)?,
    };
    let start = match (args.simulation, &args.clock_start) {
        (false, _) => None,
        (true, None) => Some(jiff::Timestamp::from_second(946_684_800).context("the default clock start")?),
        (true, Some(text)) => Some(
            text.parse::<jiff::Timestamp>()
                .with_context(|| format!("--clock-start {text:?} is not an RFC 3339 time"))?,
        ),
    };
    if start.is_some() {
        eprintln!(
            "warning: simulation mode: the clock moves only by POST /v1/system/clock; never use it for real money"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let server = match start {
            Some(at) => api::Server::start_simulated(config, options, at).await,
            None => api::Server::start_with(config, options, Arc::new(engine::SystemClock)).await,
        }
        .context("starting the server")?;
        // Handlers are installed before the address is printed: a SIGTERM sent as soon as a
        // script reads it must stop the server gracefully, not kill it.
        let mut terminate = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{}", server.addr())?;
        if let Some(token) = server.generated_admin_token() {
            writeln!(out, "admin token: {token}")?;
            writeln!(out, "(shown once: keep it, or set IOU_ADMIN_TOKEN)")?;
        }
        out.flush()?;
        drop(out);
        let state = server.state();
        let _events = events.map(|(url, config)| {
            crate::events::spawn_follower(url, config, state.backend().clone(), state.engine().partitions())
        });
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        server.stop().await.context("serving")
    })
}
