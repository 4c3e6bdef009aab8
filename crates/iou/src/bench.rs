//! `iou bench`: durable authorizations per second, in-process, over HTTP on loopback, and
//! against a baseline of one SQLite transaction per authorization, on this machine.

use anyhow::Context;
use bench::report::{Measured, Report};
use bench::{Load, baseline, http, inprocess, plain_http};

/// What `--only` may name.
const MEASUREMENTS: [&str; 4] = ["inprocess", "http", "baseline", "baseline-http"];

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Accounts the authorizations spread over.
    #[arg(long, default_value_t = 100_000)]
    accounts: u64,
    /// Requests outstanding at any moment.
    #[arg(long, default_value_t = 2048)]
    in_flight: usize,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Engine partitions.
    #[arg(long, default_value_t = 4)]
    partitions: u32,
    /// Writer threads the partitions share (0: one per two cores).
    #[arg(long, default_value_t = 0)]
    writers: u32,
    /// How the HTTP load generator speaks: http1 (one connection per request in flight) or
    /// http2 (cleartext, 64 requests in flight per connection).
    #[arg(long, default_value = "http1")]
    protocol: bench::http::Protocol,
    /// Run only these measurements (comma-separated: inprocess, http, baseline, baseline-http).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Measure the in-process engine on PostgreSQL instead of SQLite: a fresh schema
    /// `iou_bench_<pid>` in the database at this URL, dropped afterwards (only with
    /// `--only inprocess`).
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Measure risk instead: one evaluation (features + model + rules) on one core, and the
    /// in-process engine with and without the shipped rules.
    #[arg(long)]
    risk: bool,
    /// Measure settlement's cost instead: the in-process engine without, then with merchant
    /// settlement's consumer and daily run going round in a loop beside it.
    #[arg(long, conflicts_with = "risk")]
    settlement: bool,
    /// Measure statement day instead: `--accounts` lines sharing one billing day, each with a
    /// purchase, through the statement closing, the end of grace and the next statement; each
    /// daily advance timed, with `--in-flight` authorizations on other accounts beside it.
    #[arg(long, conflicts_with_all = ["risk", "settlement"])]
    statement_day: bool,
    /// Measure restart instead: build a SQLite store with `--records` journal records (account
    /// openings, then authorizations decided by the shipped rules), take a feature snapshot,
    /// stop, and time start-up until the first authorization is answered, with features
    /// rebuilt by scanning the journal and restored from the snapshot.
    #[arg(long, conflicts_with_all = ["risk", "settlement", "statement_day"])]
    restart: bool,
    /// Journal records for `--restart`.
    #[arg(long, default_value_t = 1_000_000, requires = "restart")]
    records: u64,
    /// Build `--restart`'s store in this empty directory and keep it (default: a temporary
    /// directory, deleted after).
    #[arg(long, value_name = "DIR", requires = "restart")]
    restart_dir: Option<std::path::PathBuf>,
}

/// `--restart`: start-up to serving with a long journal, with and without the feature snapshot.
fn restart(args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.records >= args.accounts,
        "--records must be at least --accounts (each account's opening is a record)"
    );
    let load = bench::restart::RestartLoad {
        records: args.records,
        accounts: args.accounts,
        partitions: args.partitions,
        writers: args.writers,
        in_flight: args.in_flight,
    };
    if !args.json {
        eprintln!(
            "building a store with {} journal records, then restarting it twice ...",
            load.records
        );
    }
    if let Some(dir) = &args.restart_dir {
        std::fs::create_dir_all(dir)?;
        anyhow::ensure!(std::fs::read_dir(dir)?.next().is_none(), "--restart-dir must be empty");
    }
    let report = bench::restart::run_in(&load, args.restart_dir.as_deref()).context("restart benchmark")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

/// `--statement-day`: the daily advance of many accounts, and what it does to authorizations.
fn statement_day(args: &BenchArgs) -> anyhow::Result<()> {
    let load = bench::statement_day::StatementDayLoad {
        accounts: args.accounts,
        partitions: args.partitions,
        writers: args.writers,
        in_flight: args.in_flight,
    };
    if !args.json {
        eprintln!(
            "opening {} accounts, buying, capturing, then three daily advances ...",
            load.accounts
        );
    }
    let report = bench::statement_day::run(&load).context("statement-day benchmark")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

/// `--settlement`: what a settlement consumer and run beside the load cost authorizations.
fn settlement(load: &Load, json: bool) -> anyhow::Result<()> {
    if !json {
        eprintln!("measuring the in-process engine without, then with, settlement beside it ...");
    }
    let without = inprocess::run(load).context("in-process benchmark")?;
    let (with, rounds, facts) = inprocess::run_with_settlement(load).context("in-process benchmark with settlement")?;
    let (a, b) = (without.auth_per_s, with.auth_per_s);
    if json {
        let report =
            serde_json::json!({"without_per_s": a, "with_per_s": b, "settlement_rounds": rounds, "facts": facts});
        println!("{report}");
    } else {
        println!(
            "in-process authorizations/s without settlement: {a:.0} (p99 {:.1} ms)",
            without.p99_ms
        );
        println!(
            "in-process authorizations/s with settlement going round ({rounds} rounds, {facts} facts): {b:.0} (p99 {:.1} ms)",
            with.p99_ms
        );
    }
    Ok(())
}

/// `--risk`: what risk control costs.
fn risk(load: &Load, json: bool) -> anyhow::Result<()> {
    let say = |what: &str| {
        if !json {
            eprintln!("measuring {what} ...");
        }
    };
    say("one risk evaluation");
    let eval = bench::risk_eval::run(20_000, true).context("risk evaluation benchmark")?;
    say("one risk evaluation without the fraud model");
    let without_model = bench::risk_eval::run(20_000, false).context("risk evaluation benchmark")?;
    say("the in-process engine without risk");
    let without = inprocess::run(load).context("in-process benchmark")?;
    say("the in-process engine with risk");
    let with = inprocess::run_with_risk(load).context("in-process benchmark with risk")?;
    let report = bench::risk_eval::RiskReport::new(load, eval, without_model, without, with);
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

/// The in-process measurement in a fresh schema of the database at `url`, dropped afterwards.
fn on_postgres(url: &str, load: &Load) -> anyhow::Result<bench::Figures> {
    let schema = format!("iou_bench_{}", std::process::id());
    let backend = store::postgres::PostgresBackend::open_in_schema(url, &schema).context("opening PostgreSQL")?;
    let figures = inprocess::run_on(load, std::sync::Arc::new(backend)).context("in-process benchmark on PostgreSQL");
    store::postgres::PostgresBackend::drop_schema(url, &schema).context("dropping the benchmark's schema")?;
    figures
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.accounts > 0, "--accounts must be positive");
    anyhow::ensure!(args.in_flight > 0, "--in-flight must be positive");
    anyhow::ensure!(
        args.seconds > 0.0 && args.seconds <= 3600.0,
        "--seconds must be in (0, 3600]"
    );
    anyhow::ensure!((1..=256).contains(&args.partitions), "--partitions must be 1..=256");
    let load = Load {
        accounts: args.accounts,
        in_flight: args.in_flight,
        seconds: args.seconds,
        partitions: args.partitions,
        writers: args.writers,
        protocol: args.protocol,
    };
    if args.risk {
        return risk(&load, args.json);
    }
    if args.settlement {
        return settlement(&load, args.json);
    }
    if args.statement_day {
        return statement_day(&args);
    }
    if args.restart {
        return restart(&args);
    }
    if let Some(unknown) = args.only.iter().find(|o| !MEASUREMENTS.contains(&o.as_str())) {
        anyhow::bail!(
            "unknown measurement {unknown:?} for --only: use {}",
            MEASUREMENTS.join(", ")
        );
    }
    let wants = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let say = |what: &str| {
        if !args.json {
            eprintln!("measuring {what} for {:.0} s ...", load.seconds);
        }
    };
    if let Some(url) = &args.store {
        anyhow::ensure!(
            args.only == ["inprocess"],
            "--store measures only the in-process engine: add --only inprocess"
        );
        say("the in-process engine on PostgreSQL");
        let figures = on_postgres(url, &load)?;
        let report = Report::new(
            &load,
            Measured {
                inprocess: Some(figures),
                http: None,
                baseline: None,
                baseline_http: None,
            },
        );
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!("store: {}", store::postgres::describe_url(url)?);
            print!("{}", report.text());
        }
        return Ok(());
    }
    let inprocess = if wants("inprocess") {
        say("the in-process engine");
        Some(inprocess::run(&load).context("in-process benchmark")?)
    } else {
        None
    };
    let http = if wants("http") {
        say("the HTTP API on loopback");
        Some(http::run(&load).context("HTTP benchmark")?)
    } else {
        None
    };
    let baseline = if wants("baseline") {
        say("the baseline");
        Some(baseline::run(&load).context("baseline benchmark")?)
    } else {
        None
    };
    let baseline_http = if wants("baseline-http") {
        say("the baseline over HTTP");
        Some(plain_http::run(&load).context("baseline benchmark over HTTP")?)
    } else {
        None
    };
    let report = Report::new(
        &load,
        Measured {
            inprocess,
            http,
            baseline,
            baseline_http,
        },
    );
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}
