//! `iou settle --data DIR --date D`: reads the journal into settlement's tables, settles every
//! merchant's days through D, and (with `--pay-simulated`) sends the pending payouts through
//! the deterministic payout simulator. `iou ledger trial-balance --data DIR --date D`: every
//! account's balance through D over both ledgers (the customers' read models and settlement's),
//! debits = credits proved, the reconciliation's breaks, and with `--gl FILE` the
//! general-ledger export (CSV, one line per account per day).
//!
//! Glue only: the work is `engine::settle` and the `settlement` crate.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use credit::Day;
use engine::settle::{self, Fault, SimulatedPayouts};
use money::Amount;
use settlement::reconcile::{Figures, reconcile};
use store::settlement::FactKind;
use store::{ReadModels, SettlementStore};

#[derive(Debug, clap::Args)]
pub struct SettleArgs {
    /// The data directory (as given to `iou serve --data`).
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// The last business day to settle (YYYY-MM-DD); it must be over.
    #[arg(long)]
    date: String,
    /// Send pending payouts through the payout simulator (no real provider is wired yet).
    #[arg(long)]
    pay_simulated: bool,
}

#[derive(Debug, clap::Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Debug, clap::Subcommand)]
enum LedgerCommand {
    /// Every ledger account's balance through a day, debits = credits proved, and the
    /// reconciliation's breaks (exit status 1 when any).
    TrialBalance(TrialArgs),
}

#[derive(Debug, clap::Args)]
struct TrialArgs {
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// The business day (YYYY-MM-DD) to close the books on.
    #[arg(long)]
    date: String,
    /// Write the general-ledger export here (CSV: day, ledger, account, debit_fen, credit_fen).
    #[arg(long)]
    gl: Option<PathBuf>,
}

fn day_of(text: &str) -> anyhow::Result<Day> {
    let date: jiff::civil::Date = text.parse().with_context(|| format!("--date {text}: not YYYY-MM-DD"))?;
    Ok(Day::from_date(date))
}

fn open(data: &Path) -> anyhow::Result<(store::sqlite::SqliteBackend, u32)> {
    anyhow::ensure!(
        data.join(store::sqlite::JOURNAL_FILE).is_file(),
        "{} holds no journal",
        data.display()
    );
    let backend = store::sqlite::SqliteBackend::open(data)?;
    let partitions = engine::journal::stored_partitions(&mut backend.open_journal()?)?
        .context("the store was never started: no partitions")?;
    Ok((backend, partitions))
}

pub fn run(args: SettleArgs) -> anyhow::Result<()> {
    let through = day_of(&args.date)?;
    let zone = engine::EngineConfig::default().zone;
    let today = credit::calendar::Clock::new(zone.clone()).day_of(jiff::Timestamp::now());
    if through >= today {
        bail!("--date {} is not over yet (today is {})", args.date, today.to_date());
    }
    let (backend, partitions) = open(&args.data)?;
    let mut settlement = backend.open_settlement()?;
    let facts = settle::consume_once(&mut backend.open_journal()?, &mut settlement, &zone, partitions)?;
    // Campaign subsidies as the server's run reads them (the API's meta records).
    let subsidies = api::campaign_subsidies(Box::new(backend.open_journal()?));
    let report = settle::run_through(&mut settlement, through, &subsidies, Fault::default())?;
    println!(
        "facts read: {facts}; days settled: {}; merchant days: {} (already settled: {}); payouts: {}",
        report.days.len(),
        report.settled,
        report.already,
        report.payouts
    );
    if !report.unattributed.is_empty() {
        println!("facts without a merchant (a break): {:?}", report.unattributed);
    }
    if args.pay_simulated {
        let mut provider = SimulatedPayouts::new(0);
        let paid = settle::pay_out(&mut settlement, &mut provider, through, usize::MAX)?;
        println!("paid: {}; failed: {}; queued: {}", paid.paid, paid.failed, paid.queued);
    }
    Ok(())
}

pub fn ledger(args: LedgerArgs) -> anyhow::Result<()> {
    let LedgerCommand::TrialBalance(args) = args.command;
    let through = day_of(&args.date)?;
    let (backend, _) = open(&args.data)?;
    let mut settlement = backend.open_settlement()?;
    let mut read = backend.open_read_models()?;
    let zone = engine::EngineConfig::default().zone;
    let end_ms = through
        .next()
        .to_date()
        .to_zoned(zone.clone())?
        .timestamp()
        .as_millisecond();
    let customer = customer_ledger(&mut read, end_ms)?;
    let settled = settlement.ledger_by_day(through.days())?;
    let mut accounts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (account, debit, credit) in &customer {
        let a = accounts.entry(account.clone()).or_default();
        a.0 += debit;
        a.1 += credit;
    }
    for d in &settled {
        let a = accounts.entry(d.account.clone()).or_default();
        a.0 += d.debits_fen;
        a.1 += d.credits_fen;
    }
    println!("{:<28} {:>16} {:>16} {:>16}", "account", "debits", "credits", "balance");
    for (account, (debit, credit)) in &accounts {
        let (d, c) = (Amount::from_fen(*debit), Amount::from_fen(*credit));
        println!(
            "{account:<28} {:>16} {:>16} {:>16}",
            d.to_string(),
            c.to_string(),
            (d - c).to_string()
        );
    }
    let debits: i64 = accounts.values().map(|a| a.0).sum();
    let credits: i64 = accounts.values().map(|a| a.1).sum();
    let (d, c) = (Amount::from_fen(debits), Amount::from_fen(credits));
    println!(
        "{:<28} {:>16} {:>16} {:>16}",
        "total",
        d.to_string(),
        c.to_string(),
        (d - c).to_string()
    );
    if let Some(path) = &args.gl {
        write_gl(path, &customer_by_day(&mut read, end_ms)?, &settled)?;
    }
    let figures = figures(&mut settlement, through, &customer, &settled, debits, credits)?;
    let breaks = reconcile(&figures);
    for b in &breaks {
        println!(
            "break {}: expected {} actual {} (difference {})",
            b.check,
            b.expected,
            b.actual,
            b.difference()
        );
    }
    if breaks.is_empty() {
        println!("debits = credits; reconciliation: 0 breaks");
        Ok(())
    } else {
        bail!("{} reconciliation break(s)", breaks.len())
    }
}

/// The customer ledger's debits and credits per account for entries before `end_ms`.
fn customer_ledger(read: &mut dyn ReadModels, end_ms: i64) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let sql = format!(
        "SELECT p.ledger_account,
             SUM(CASE WHEN p.amount_fen > 0 THEN p.amount_fen ELSE 0 END),
             SUM(CASE WHEN p.amount_fen < 0 THEN -p.amount_fen ELSE 0 END)
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry
         WHERE e.at_ms < {end_ms} GROUP BY p.ledger_account ORDER BY p.ledger_account"
    );
    let (_, rows) = read.query(&sql, 1_000)?;
    let number = |v: &Option<String>| v.as_deref().unwrap_or("0").parse::<i64>().unwrap_or(0);
    Ok(rows
        .iter()
        .map(|r| (r[0].clone().unwrap_or_default(), number(&r[1]), number(&r[2])))
        .collect())
}

/// The customer ledger per business day (the engine's fixed +08:00 zone) before `end_ms`.
fn customer_by_day(read: &mut dyn ReadModels, end_ms: i64) -> anyhow::Result<Vec<(i64, String, i64, i64)>> {
    const OFFSET_MS: i64 = 8 * 3_600_000;
    let sql = format!(
        "SELECT (e.at_ms + {OFFSET_MS}) / 86400000 AS day, p.ledger_account,
             SUM(CASE WHEN p.amount_fen > 0 THEN p.amount_fen ELSE 0 END),
             SUM(CASE WHEN p.amount_fen < 0 THEN -p.amount_fen ELSE 0 END)
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry
         WHERE e.at_ms < {end_ms} GROUP BY day, p.ledger_account ORDER BY day, p.ledger_account"
    );
    let (_, rows) = read.query(&sql, 10_000_000)?;
    let number = |v: &Option<String>| v.as_deref().unwrap_or("0").parse::<i64>().unwrap_or(0);
    Ok(rows
        .iter()
        .map(|r| {
            (
                number(&r[0]),
                r[1].clone().unwrap_or_default(),
                number(&r[2]),
                number(&r[3]),
            )
        })
        .collect())
}

fn write_gl(
    path: &Path,
    customer: &[(i64, String, i64, i64)],
    settled: &[store::settlement::DayBalance],
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "day,ledger,account,debit_fen,credit_fen")?;
    for (day, account, debit, credit) in customer {
        let day = Day::from_days(i32::try_from(*day)?).to_date();
        writeln!(out, "{day},customer,{account},{debit},{credit}")?;
    }
    for d in settled {
        let day = Day::from_days(d.day).to_date();
        writeln!(out, "{day},settlement,{},{},{}", d.account, d.debits_fen, d.credits_fen)?;
    }
    out.flush()?;
    println!("general ledger: {}", path.display());
    Ok(())
}

fn figures(
    settlement: &mut dyn SettlementStore,
    through: Day,
    customer: &[(String, i64, i64)],
    settled: &[store::settlement::DayBalance],
    debits: i64,
    credits: i64,
) -> anyhow::Result<Figures> {
    let fen = Amount::from_fen;
    let mut f = Figures {
        debits: fen(debits),
        credits: fen(credits),
        ..Figures::default()
    };
    let last = settlement.last_run()?.unwrap_or(i32::MIN).min(through.days());
    let first = settlement.first_fact_day()?.unwrap_or(last);
    for day in first..=last {
        for fact in settlement.day_facts(day)? {
            match fact.kind {
                FactKind::Capture => f.facts_captured += fen(fact.amount_fen),
                FactKind::Refund => f.facts_refunded += fen(fact.amount_fen),
            }
        }
    }
    for row in settlement.settlements(i32::MIN, last)? {
        f.settled_captured += fen(row.captured_fen);
        f.settled_refunded += fen(row.refunded_fen);
        f.fees += fen(row.fees_fen);
        f.subsidies += fen(row.subsidies_fen);
    }
    for status in ["pending", "paid"] {
        f.paid_out += settlement
            .payouts(status, usize::MAX)?
            .iter()
            .map(|p| fen(p.amount_fen))
            .sum();
    }
    for b in settlement.balances()? {
        f.payable += fen(b.balance_fen);
        f.receivable += fen(b.receivable_fen);
    }
    let payable = |name: &str, d: i64, c: i64| if name == "merchant_payable" { d - c } else { 0 };
    f.customer_merchant_payable = fen(customer.iter().map(|(a, d, c)| payable(a, *d, *c)).sum());
    f.settlement_merchant_payable = fen(settled
        .iter()
        .map(|d| payable(&d.account, d.debits_fen, d.credits_fen))
        .sum());
    Ok(f)
}
