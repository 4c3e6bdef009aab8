//! The `iou` binary: glue between the command line and the crates that do the work.
//!
//! Each subcommand lives in its own module and turns raw flags into the library's types; no
//! domain logic lives here.

use clap::{Parser, Subcommand};

mod audit;
mod backtest;
mod bench;
mod cases;
mod cluster;
mod events;
mod fraud_eval;
mod journal;
mod keys;
mod labels;
mod plan;
mod report;
mod score;
mod serve;
mod settle;
mod simulate;

#[derive(Debug, Parser)]
#[command(
    name = "iou",
    version,
    about = "A consumer credit-payment core: credit lines, pay-later, installments, risk."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check or export a data directory's tamper-evident audit log.
    Audit(audit::AuditArgs),
    /// Replay the journaled risk decisions of a data directory against candidate rules.
    Backtest(backtest::BacktestArgs),
    /// Measure durable authorizations per second: in-process, over HTTP, and a plain baseline.
    Bench(bench::BenchArgs),
    /// The police evidence bundle: `iou cases export --data DIR --case ID [--ring] --out DIR`
    /// writes bundle.json and bundle.html (personal data masked unless `--reveal --key-file`).
    Cases(cases::CasesArgs),
    /// The event stream: `iou events publish --data DIR --nats URL [--follow]` publishes every
    /// journaled fact to NATS JetStream, exactly once by journal position (EVENTS.md).
    Events(events::EventsArgs),
    /// Read a data directory's journal: `iou journal inspect` prints its records and finds the
    /// first one that does not replay (why `iou serve` would refuse to start).
    Journal(journal::JournalArgs),
    /// The key file that seals personal data: `iou keys init --out PATH`, `iou keys rotate
    /// --key-file PATH --data DIR` (a new key, every stored data key re-wrapped under it).
    Keys(keys::KeysArgs),
    /// The analysts' labels (resolved cases, exemptions) with the decisions they label:
    /// `iou labels export --data DIR` writes the fraud model's training data as JSON lines.
    Labels(labels::LabelsArgs),
    /// The books: `iou ledger trial-balance --data DIR --date D` prints every account's balance
    /// over both ledgers, proves debits = credits and reports the reconciliation's breaks.
    Ledger(settle::LedgerArgs),
    /// Print an installment plan's schedule and its APR (IRR method).
    Plan(plan::PlanArgs),
    /// Reports from a data directory: `iou report credit-bureau --month 2026-11` writes the
    /// month's credit-bureau file (REPORTING.md).
    Report(report::ReportArgs),
    /// Score a CSV with a credit model: pd, score, band and reason codes per row.
    Score(score::ScoreArgs),
    /// The fraud evaluation: every attack family on tune and held-out seeds, per family
    /// (FRAUD_EVAL.md).
    FraudEval(fraud_eval::FraudEvalArgs),
    /// Run the HTTP API on the embedded store (API.md in crates/api explains it).
    Serve(Box<serve::ServeArgs>),
    /// Settle merchants: read the journal's captures and refunds, settle every merchant's days
    /// through `--date`, and (`--pay-simulated`) send the payouts.
    Settle(settle::SettleArgs),
    /// Simulate a population through the real engine and report; `--serve` is the demo.
    Simulate(simulate::SimulateArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Audit(args) => audit::run(args),
        Command::Backtest(args) => backtest::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Cases(args) => cases::run(args),
        Command::Events(args) => events::run(args),
        Command::FraudEval(args) => fraud_eval::run(args),
        Command::Journal(args) => journal::run(args),
        Command::Keys(args) => keys::run(args),
        Command::Labels(args) => labels::run(args),
        Command::Ledger(args) => settle::ledger(args),
        Command::Plan(args) => plan::run(args),
        Command::Report(args) => report::run(args),
        Command::Score(args) => score::run(args),
        Command::Serve(args) => serve::run(*args),
        Command::Settle(args) => settle::run(args),
        Command::Simulate(args) => simulate::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// `iou serve --store postgres://...`: PostgreSQL, opened (and migrated) once the server's
/// address is bound. A server that cannot be reached is retried with backoff for `wait`, then
/// the start fails (the process exits non-zero) without ever serving a request.
fn postgres_store(url: String, wait: std::time::Duration) -> anyhow::Result<api::StoreChoice> {
    let name = store::postgres::describe_url(&url)?;
    let shown = name.clone();
    Ok(api::StoreChoice::opened_by(name, move || {
        let backend = store::postgres::open_with_retry(&url, wait, &mut |attempt, delay, error| {
            eprintln!("{shown}: attempt {attempt} failed ({error}); retrying in {delay:?}");
        })?;
        Ok(std::sync::Arc::new(backend) as std::sync::Arc<dyn store::Backend>)
    }))
}

/// The store `iou serve` and the demo run on: SQLite in `dir`, opened (and created on first
/// start) once the server's address is bound.
fn sqlite_store(dir: std::path::PathBuf) -> api::StoreChoice {
    api::StoreChoice::opened_by(format!("sqlite:{}", dir.display()), move || {
        let backend = store::sqlite::SqliteBackend::open(&dir)?;
        Ok(std::sync::Arc::new(backend) as std::sync::Arc<dyn store::Backend>)
    })
}
