//! `iou report credit-bureau --month 2026-11 --data DIR`: the month's credit-bureau file
//! (REPORTING.md), one record per account as of the month's last day, written to `--out` or
//! standard output.
//!
//! The accounts come from the engine's view of the journal (`engine::month_end`: each
//! partition replayed to the month end, every fraud exemption the journal holds applied); the
//! records and the layout are the `bureau` crate's. This module only opens and writes.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use engine::EngineConfig;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ReportCommand {
    /// The monthly credit-bureau file: a header, one record per account as of the month's
    /// last day (status, balances, past due, bucket, charge-off), a trailer with counts and sums.
    CreditBureau(BureauArgs),
}

#[derive(Debug, clap::Args)]
struct BureauArgs {
    /// The month, YYYY-MM: accounts are reported as of its last day.
    #[arg(long)]
    month: String,
    /// The data directory (as given to `iou serve --data`).
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// The lender's code at the bureau (1 to 10 characters A-Z, 0-9).
    #[arg(long, default_value = "IOU")]
    lender: String,
    /// The key the account references are mixed with (keep it the same month to month).
    #[arg(long, default_value_t = 0)]
    reference_key: u64,
    /// Write the file here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    match args.command {
        ReportCommand::CreditBureau(args) => credit_bureau(&args),
    }
}

fn credit_bureau(args: &BureauArgs) -> anyhow::Result<()> {
    let month: bureau::Month = args.month.parse()?;
    let lender = bureau::Lender::new(&args.lender, args.reference_key)?;
    anyhow::ensure!(
        args.data.join(store::sqlite::JOURNAL_FILE).is_file(),
        "{} holds no journal",
        args.data.display()
    );
    let backend = store::sqlite::SqliteBackend::open(&args.data)?;
    let mut journal = backend.open_journal()?;
    let partitions =
        engine::journal::stored_partitions(&mut journal)?.context("the store was never started: no partitions")?;
    let config = EngineConfig {
        partitions,
        ..EngineConfig::default()
    };
    let at = month_end(&config, month)?;
    let accounts = engine::month_end::accounts_at(&config, &mut journal, at)?;
    let records = accounts
        .iter()
        .filter(|a| a.opened_on <= month.last_day())
        .map(|a| bureau::record(a, &config.product, &lender, month))
        .collect();
    let text = bureau::File::new(lender.code(), month, records).render()?;
    match &args.out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

/// The last microsecond of the month's last day in the product's zone.
fn month_end(config: &EngineConfig, month: bureau::Month) -> anyhow::Result<Timestamp> {
    let next = month.next().first_day().to_date().to_zoned(config.zone.clone())?;
    Ok(next.timestamp().checked_sub(SignedDuration::from_micros(1))?)
}
