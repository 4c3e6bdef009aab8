//! `iou simulate`: a seeded population of shoppers, merchants and attackers driven through the
//! real engine for simulated days, the auditor checking every answer, then the report (a text
//! summary, `--json` for scripts, and a self-contained HTML page).
//!
//! With `--serve` it is the demo: the engine runs on SQLite in a fresh data directory behind the
//! HTTP API, the simulation fills it with the last `--days` days, the clock switches to real
//! time, and the server keeps running (with a daily advance after each midnight) until Ctrl-C.
//! The simulation drives the engine in-process, and its applicant stream applies over HTTP to
//! the demo's own server (the application route is the API's), so the review queue is live too.
//!
//! With `--url` it drives a running server in simulation mode (`iou serve --simulation`) over
//! HTTP through `sim::driver::http::Http`; the figures and report are the same.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use sim::progress::{Bar, Progress, Silent};
use sim::{Figures, SimConfig, SwitchClock};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Genuine shoppers, each applying for a line once (default 2,000; 10,000 with --serve).
    #[arg(long)]
    users: Option<u32>,
    /// Merchants, online and offline (default: a tenth of the users plus 20).
    #[arg(long)]
    merchants: Option<u32>,
    /// Simulated days (default 90; 120 with --serve).
    #[arg(long)]
    days: Option<u32>,
    /// The seed: the same seed and sizes give the same figures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The first simulated day, YYYY-MM-DD (default 2026-01-01; with --serve, the run ends today).
    #[arg(long)]
    start: Option<String>,
    /// Engine partitions.
    #[arg(long, default_value_t = 4)]
    partitions: u32,
    /// Drive a running server over HTTP instead of an engine in this process. The server must
    /// run in simulation mode on a fresh store with a clock at or before --start, e.g.
    /// `iou serve --simulation --clock-start 2026-01-01T00:00:00+08:00 --data ./sim-data`; it
    /// needs the operator token (--operator-token or IOU_OPERATOR_TOKEN). A seed gives the figures
    /// of the in-process run when the server has the same rules and partitions (--rules,
    /// --partitions and --data are then the server's, not this command's).
    #[arg(long)]
    url: Option<String>,
    /// The server's operator (admin) token for --url (default: $IOU_OPERATOR_TOKEN, else
    /// $IOU_ADMIN_TOKEN).
    #[arg(long, requires = "url")]
    operator_token: Option<String>,
    /// Print the figures as one JSON object on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// Where to write the HTML report (default `report.html`; with --serve, in the data
    /// directory).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Keep the engine's store in this directory (SQLite); in memory without it.
    #[arg(long)]
    data: Option<PathBuf>,
    /// A risk rules folder to load instead of the rules built into the binary (the `rules/`
    /// folder of the source the binary was built from).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// The demo: SQLite in --data (default ./data-demo, wiped first), the API serving the
    /// simulated store afterwards in real time until Ctrl-C.
    #[arg(long)]
    serve: bool,
    /// Where the demo's API listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Shoppers who report one of their own purchases as theft and whose case the fraud team
    /// rejects, per 10,000 approved shoppers per 30 days (default 40). Takeover victims report
    /// too; the cases of the last days are left open for the operators.
    #[arg(long)]
    theft_reports: Option<u32>,
    /// Seconds of simulated time sent to the engine as one wave (default 300; 900 with
    /// --serve, where each wave is a durable SQLite commit).
    #[arg(long)]
    wave_seconds: Option<u32>,
    /// Write who was behind every payment decision (fraud or genuine; only the simulator knows)
    /// as JSON lines, keyed by customer, decision time and amount: the fraud model's labels
    /// for `scripts/train/train_fraud.py`, joined with `iou labels export --all`.
    #[arg(long)]
    ground_truth: Option<PathBuf>,
    /// Attacks started per 10,000 approved shoppers per 30 days, as `TAKEOVERS,FARMS,RINGS`
    /// (default 30,4,3): raise them to produce fraud for training the fraud model.
    #[arg(long, value_delimiter = ',')]
    attack_rates: Option<Vec<u32>>,
}

fn config(args: &SimulateArgs) -> anyhow::Result<SimConfig> {
    let users = args.users.unwrap_or(if args.serve { 10_000 } else { 2_000 });
    let days = args.days.unwrap_or(if args.serve { 120 } else { 90 });
    anyhow::ensure!(users > 0 && users <= 10_000_000, "--users must be 1..=10,000,000");
    anyhow::ensure!(days > 0 && days <= 3_650, "--days must be 1..=3650");
    anyhow::ensure!((1..=256).contains(&args.partitions), "--partitions must be 1..=256");
    let merchants = args.merchants.unwrap_or(users / 10 + 20);
    anyhow::ensure!(merchants > 0, "--merchants must be positive");
    let mut config = SimConfig::new(args.seed, users, merchants, days);
    config.partitions = args.partitions;
    if let Some(rate) = args.theft_reports {
        anyhow::ensure!(rate <= 300_000, "--theft-reports must be 0..=300000");
        config.mistaken_theft_reports = rate;
    }
    if let Some(rates) = &args.attack_rates {
        anyhow::ensure!(
            rates.len() == 3,
            "--attack-rates takes three numbers: TAKEOVERS,FARMS,RINGS"
        );
        anyhow::ensure!(
            rates.iter().all(|r| *r <= 100_000),
            "--attack-rates must be 0..=100000 each"
        );
        config.attacks.account_takeovers = rates[0];
        config.attacks.device_farms = rates[1];
        config.attacks.cash_out_rings = rates[2];
    }
    config.wave_span_s = args.wave_seconds.unwrap_or(if args.serve { 900 } else { 300 });
    anyhow::ensure!(
        (1..=3_600).contains(&config.wave_span_s),
        "--wave-seconds must be 1..=3600"
    );
    if let Some(start) = &args.start {
        config.start = start
            .parse()
            .with_context(|| format!("--start {start:?} is not a date like 2026-01-01"))?;
    } else if args.serve {
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
            .date();
        config.start = today
            .checked_sub(jiff::Span::new().days(i64::from(days)))
            .context("--days reaches before year 1")?;
    }
    Ok(config)
}

fn progress(args: &SimulateArgs, days: u32) -> Box<dyn Progress> {
    if !args.json && std::io::stderr().is_terminal() {
        Box::new(Bar::new(days))
    } else {
        Box::new(Silent)
    }
}

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let config = config(&args)?;
    if let Some(url) = &args.url {
        anyhow::ensure!(!args.serve, "--serve and --url do not go together");
        return over_http(&args, config, url);
    }
    let rules = args.rules.as_deref();
    if args.serve {
        return demo(&args, &config, rules);
    }
    let clock = Arc::new(SwitchClock::manual(sim::start_time(&config)));
    let backend: Arc<dyn store::Backend> = match &args.data {
        Some(dir) => Arc::new(store::sqlite::SqliteBackend::open(dir).context("opening the store")?),
        None => Arc::new(store::memory::MemoryBackend::new()),
    };
    let engine_config = sim::engine_config(config.partitions, rules, args.data.is_some())?;
    let engine = engine::Engine::start(engine_config, backend.clone(), clock.clone()).context("starting the engine")?;
    let figures = sim::run(&config, &engine, clock, progress(&args, config.days).as_mut());
    engine.shutdown();
    let mut figures = figures?;
    let settled = sim::settlement::settle_run(&config, backend.as_ref(), config.partitions)?;
    figures.settlement = Some(settled);
    let zone = engine::EngineConfig::default().zone;
    figures.notifications = Some(sim::notifications::notify_run(
        backend.as_ref(),
        config.partitions,
        &zone,
    )?);
    finish(&args, &figures)
}

/// `--url`: the same run through the HTTP driver against a server in simulation mode.
fn over_http(args: &SimulateArgs, config: SimConfig, url: &str) -> anyhow::Result<()> {
    let token = args
        .operator_token
        .clone()
        .or_else(|| std::env::var("IOU_OPERATOR_TOKEN").ok())
        .or_else(|| std::env::var("IOU_ADMIN_TOKEN").ok())
        .filter(|t| !t.is_empty())
        .context("--url needs the server's operator token: --operator-token or IOU_OPERATOR_TOKEN")?;
    let product = engine::EngineConfig::default().product;
    let mut driver =
        sim::driver::http::Http::connect(url, &token, product).with_context(|| format!("connecting to {url}"))?;
    let figures = sim::run_with(&config, &mut driver, progress(args, config.days).as_mut())?;
    finish(args, &figures)
}

fn finish(args: &SimulateArgs, figures: &Figures) -> anyhow::Result<()> {
    if let Some(path) = &args.ground_truth {
        write_ground_truth(path, figures)?;
    }
    let report = args.report.clone().unwrap_or_else(|| PathBuf::from("report.html"));
    write_report(&report, figures)?;
    if args.json {
        println!("{}", serde_json::to_string(figures)?);
    } else {
        print!("{}", sim::report::text(figures));
        println!("report: {}", shown(&report));
    }
    Ok(())
}

fn write_ground_truth(path: &Path, figures: &Figures) -> anyhow::Result<()> {
    use std::io::Write;
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for truth in &figures.ground_truth {
        serde_json::to_writer(&mut out, truth)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn write_report(path: &Path, figures: &Figures) -> anyhow::Result<()> {
    std::fs::write(path, sim::report::html(figures)).with_context(|| format!("writing {}", path.display()))
}

fn shown(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// The demo: simulate into a served SQLite store, then keep serving in real time.
fn demo(args: &SimulateArgs, config: &SimConfig, rules: Option<&Path>) -> anyhow::Result<()> {
    let data = args.data.clone().unwrap_or_else(|| PathBuf::from("./data-demo"));
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("wiping {}", data.display()))?;
    }
    let started = std::time::Instant::now();
    let clock = Arc::new(SwitchClock::manual(sim::start_time(config)));
    let api_config = api::Config {
        listen: args.listen,
        store: crate::sqlite_store(data.clone()),
        engine: sim::engine_config(config.partitions, rules, true)?,
        admin_token: std::env::var("IOU_ADMIN_TOKEN").ok().filter(|t| !t.is_empty()),
        edge: api::EdgeConfig::default(),
        token_lifetime_days: api::Config::TOKEN_LIFETIME_DAYS,
        keys: Some(crate::keys::demo_key_file(&data)?),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let server = runtime
        .block_on(api::Server::start(api_config, clock.clone()))
        .context("starting the server")?;
    eprintln!(
        "simulating {} shoppers over {} days from {} into {} ...",
        config.users,
        config.days,
        config.start,
        data.display()
    );
    let token = server
        .generated_admin_token()
        .map(str::to_owned)
        .or_else(|| std::env::var("IOU_ADMIN_TOKEN").ok())
        .unwrap_or_default();
    let applicants = sim::driver::http::Applicants::connect(&format!("http://{}", server.addr()), &token)
        .context("a client of the demo's own server")?;
    let mut driver =
        sim::driver::InProcess::new(server.state().engine(), clock.clone()).with_applications(Box::new(applicants));
    let figures = sim::run_with(config, &mut driver, progress(args, config.days).as_mut())?;
    drop(driver);
    clock.switch_to_system();
    let report = args.report.clone().unwrap_or_else(|| data.join("report.html"));
    write_report(&report, &figures)?;
    if args.json {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        print!("{}", sim::report::text(&figures));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let advancing = daily_advance(server.state().clone(), stop.clone());
    let token = server
        .generated_admin_token()
        .map_or_else(|| "$IOU_ADMIN_TOKEN".to_owned(), str::to_owned);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\ndemo ready in {:.0} s: open {} in a browser",
        started.elapsed().as_secs_f64(),
        shown(&report)
    )?;
    writeln!(out, "{}", curl_examples(server.addr(), &token))?;
    out.flush()?;
    drop(out);
    runtime.block_on(until_signal());
    stop.store(true, Ordering::Release);
    let _ = advancing.join();
    runtime.block_on(server.stop()).context("stopping the server")
}

/// Ctrl-C, or SIGTERM on Unix.
async fn until_signal() {
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

/// After the switch to real time, the daily advance after each local midnight (the engine's
/// own scheduler stays off: during the simulation the simulator sends the advance itself).
fn daily_advance(state: api::AppState, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
        let midnight_after = |now: jiff::Timestamp| {
            let tomorrow = now.to_zoned(zone.clone()).date().tomorrow().ok();
            tomorrow
                .and_then(|d| d.to_zoned(zone.clone()).ok())
                .map_or(now, |z| z.timestamp())
        };
        let mut next = midnight_after(jiff::Timestamp::now());
        while !stop.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(250));
            if jiff::Timestamp::now() >= next {
                let _ = state.engine().advance();
                next = midnight_after(jiff::Timestamp::now());
            }
        }
    })
}

fn curl_examples(addr: SocketAddr, token: &str) -> String {
    let base = format!("http://{addr}");
    format!(
        "the iou API is serving the simulated store at {base} in real time (Ctrl-C stops it)
operator token: {token}

  API={base}; OPERATOR_TOKEN={token}
  # a simulated customer, as an operator sees it (customers 1 to N are the simulated shoppers)
  curl -s -H \"Authorization: Bearer $OPERATOR_TOKEN\" $API/v1/customers/1
  # the operators' queues the simulation left open: theft cases, applications in review
  curl -s -H \"Authorization: Bearer $OPERATOR_TOKEN\" $API/v1/cases
  curl -s -H \"Authorization: Bearer $OPERATOR_TOKEN\" \"$API/v1/applications?status=review\"
  # register a merchant (the answer holds its merchant_id and the secret it signs calls with)
  curl -s -H \"Authorization: Bearer $OPERATOR_TOKEN\" -H 'Idempotency-Key: demo-merchant-1' \\
       -d '{{\"name\":\"Corner Shop\"}}' $API/v1/merchants
  # open a customer's line (the answer holds the customer_id and the customer's token)
  curl -s -H \"Authorization: Bearer $OPERATOR_TOKEN\" -H 'Idempotency-Key: demo-customer-1' \\
       -d '{{\"limit_fen\":500000,\"billing_day\":5}}' $API/v1/customers
  CUSTOMER_ID=...; CUSTOMER_TOKEN=ct_...   # from that answer
  # the customer's own balances
  curl -s -H \"Authorization: Bearer $CUSTOMER_TOKEN\" $API/v1/customers/$CUSTOMER_ID
  # merchants sign their calls (MERCHANT_ID, MERCHANT_SECRET): crates/api/API.md, \"A first
  # purchase with curl\", has the signed() helper and the rest; the whole API: $API/docs"
    )
}
