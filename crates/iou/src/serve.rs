//! `iou serve`: runs the HTTP API on the embedded store until SIGINT or SIGTERM.
//!
//! Logs go to stderr (`RUST_LOG` filters them, `info` by default). Stdout gets two kinds of
//! lines scripts can read: `listening on http://ADDR` once the port is bound, and, on the first
//! start of a store without `IOU_ADMIN_TOKEN`, `admin token: TOKEN` (shown this once; only its
//! hash is kept).
//!
//! Risk: `--rules DIR` (default `./rules` when that folder exists) is loaded at start and
//! watched: an edited set that builds replaces the running one, one that does not is refused
//! whole and the running set stays. Without a rules folder the engine decides nothing. Step-up
//! uses the identity provider endpoints given with `--otp-endpoint` and `--liveness-endpoint`,
//! else the deterministic simulators (the simulated SMS code is logged).
//!
//! Customer tokens are valid `--token-lifetime-days` (default 30) after they are issued,
//! refreshed or rotated (see API.md, "Tokens").
//!
//! `--simulation` starts it in simulation mode for `iou simulate --url` (see the api crate's
//! `simulation` module): a manual clock moved by the operator, the daily advance on request.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The data directory of the embedded store (created on first start).
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// The address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Engine partitions: fixed when the store is created.
    #[arg(long, default_value_t = engine::EngineConfig::default().partitions)]
    partitions: u32,
    /// Writer threads the partitions share (0: one per two cores). Can change between runs.
    #[arg(long, default_value_t = 0)]
    writers: u32,
    /// The risk rules folder (JDM graphs), loaded at start and hot-reloaded. Default:
    /// `./rules` if it exists, else no risk decisions.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// The SMS OTP provider's base URL (the identity crate's protocol); simulated without.
    #[arg(long)]
    otp_endpoint: Option<String>,
    /// The liveness provider's base URL; simulated without.
    #[arg(long)]
    liveness_endpoint: Option<String>,
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
    /// How long a customer token is valid after it is issued, rotated or refreshed (days).
    #[arg(long, default_value_t = api::Config::TOKEN_LIFETIME_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
    token_lifetime_days: u32,
}

/// The rules folder to load: the one given (it must exist), else `./rules` if present.
fn rules_dir(given: Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    match given {
        Some(dir) if dir.is_dir() => Ok(Some(dir)),
        Some(dir) => anyhow::bail!("--rules {}: no such folder", dir.display()),
        None => {
            let default = PathBuf::from("rules");
            if default.is_dir() {
                Ok(Some(default))
            } else {
                eprintln!("warning: no ./rules folder: serving without risk decisions (use --rules DIR)");
                Ok(None)
            }
        }
    }
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

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let admin_token = std::env::var("IOU_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    let config = api::Config {
        listen: args.listen,
        data_dir: args.data,
        engine: engine::EngineConfig {
            partitions: args.partitions,
            writers: args.writers,
            ..engine::EngineConfig::default()
        },
        admin_token,
        token_lifetime_days: args.token_lifetime_days,
    };
    let options = api::RiskOptions {
        rules: rules_dir(args.rules)?.map(api::RulesOptions::new),
        providers: providers(args.otp_endpoint, args.liveness_endpoint)?,
        webhooks: api::WebhookOptions::default(),
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
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{}", server.addr())?;
        if let Some(token) = server.generated_admin_token() {
            writeln!(out, "admin token: {token}")?;
            writeln!(out, "(shown once: keep it, or set IOU_ADMIN_TOKEN)")?;
        }
        out.flush()?;
        drop(out);
        server.run_until_signal().await.context("serving")
    })
}
