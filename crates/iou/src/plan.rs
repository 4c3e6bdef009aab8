//! `iou plan`: prints an installment plan's schedule and its APR (IRR method), as a table or as
//! one JSON object that scripts read.
//!
//! The flags are read in two stages. Clap only collects them as strings (so a bad value is ours
//! to name, and a clap complaint becomes one line instead of a usage screen); then
//! [`PlanRequest::parse`] turns the strings into money's types or a [`Rejection`]. Nothing is
//! printed on stdout unless the plan was built.

use std::fmt;
use std::io::{self, Write};

use anyhow::Context;
use clap::Parser;
use money::schedule::{Method, PeriodRate, Schedule, ScheduleError, Terms, format_apr};
use money::{Amount, AmountError, Rate, RateError};

const USAGE: &str = "iou plan --method flat-fee|annuity|equal-principal --principal YUAN --periods N \
                     (--fee-rate RATE | --annual-rate RATE) [--json]";

/// The subcommand's raw arguments, handed to [`PlanFlags`] as they were typed.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub struct PlanArgs {
    /// --method flat-fee|annuity|equal-principal --principal YUAN --periods N
    /// (--fee-rate RATE | --annual-rate RATE) [--json]; `iou plan --help` explains each.
    #[arg(value_name = "FLAGS", trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    raw: Vec<String>,
}

/// The flags as typed: every value is a string until [`PlanRequest::parse`] reads it.
#[derive(Debug, Parser)]
#[command(
    name = "iou plan",
    no_binary_name = true,
    disable_version_flag = true,
    about = "Print an installment plan's schedule and its APR (IRR method, monthly IRR x 12).",
    override_usage = USAGE
)]
struct PlanFlags {
    /// How the plan is priced: flat-fee (a fee on the original principal every period),
    /// annuity (equal payments) or equal-principal (interest on the declining balance).
    #[arg(long, value_name = "METHOD", allow_hyphen_values = true)]
    method: Option<String>,
    /// The amount borrowed, in yuan with at most two decimals (10000.00).
    #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
    principal: Option<String>,
    /// The number of monthly periods, 1 to 24.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    periods: Option<String>,
    /// The rate charged every period: 0.6% or 0.006.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true)]
    fee_rate: Option<String>,
    /// A nominal annual rate, charged as a twelfth every period: 12% or 0.12.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true)]
    annual_rate: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// What `iou plan` was asked for, once every flag has been read.
#[derive(Debug, Clone, Copy)]
struct PlanRequest {
    terms: Terms,
    rate: RateFlag,
    json: bool,
}

/// The rate as given, for the table's header.
#[derive(Debug, Clone, Copy)]
enum RateFlag {
    PerPeriod(Rate),
    Annual(Rate),
}

/// Why `iou plan`'s flags make no plan; each displays as one line that names the flag.
#[derive(Debug)]
enum Rejection {
    /// Clap's own complaint (an unknown or repeated flag, a flag without its value), first line.
    Flags(String),
    Missing {
        flag: &'static str,
        example: &'static str,
    },
    Method(ScheduleError),
    Principal(AmountError),
    PeriodsSyntax(String),
    Rate {
        flag: &'static str,
        error: RateError,
    },
    NoRate,
    BothRates,
    Terms(ScheduleError),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Flags(line) => write!(f, "{line} (usage: {USAGE})"),
            Rejection::Missing { flag, example } => write!(f, "missing {flag}, like {flag} {example}"),
            Rejection::Method(error) => write!(f, "--method: {error}"),
            Rejection::Principal(error) => write!(f, "--principal: {error}"),
            Rejection::PeriodsSyntax(text) => {
                write!(f, "--periods: {text:?} is not a whole number of periods from 1 to 24")
            }
            Rejection::Rate { flag, error } => write!(f, "{flag}: {error}"),
            Rejection::NoRate => f.write_str(
                "missing rate: give --fee-rate (per period, like 0.6%) or --annual-rate (per year, like 12%)",
            ),
            Rejection::BothRates => {
                f.write_str("give one rate, not both: --fee-rate (per period) or --annual-rate (per year)")
            }
            Rejection::Terms(error) => write!(f, "{}: {error}", flag_of(error)),
        }
    }
}

impl std::error::Error for Rejection {}

/// The flag a schedule's rejection is about.
fn flag_of(error: &ScheduleError) -> &'static str {
    match error {
        ScheduleError::UnknownMethod(_) => "--method",
        ScheduleError::PrincipalNotPositive(_) | ScheduleError::PrincipalTooLarge(_) => "--principal",
        ScheduleError::PeriodsOutOfRange(_) => "--periods",
        ScheduleError::RateTooLarge(_) => "rate",
    }
}

impl PlanRequest {
    /// Reads the raw flags; every problem is a [`Rejection`], never a panic.
    fn parse(raw: &[String]) -> Result<Option<PlanRequest>, Rejection> {
        let flags = match PlanFlags::try_parse_from(raw) {
            Ok(flags) => flags,
            Err(error) if error.kind() == clap::error::ErrorKind::DisplayHelp => return Ok(None),
            Err(error) => return Err(Rejection::Flags(first_line(&error))),
        };
        let method = required(flags.method.as_deref(), "--method", "flat-fee")?;
        let principal = required(flags.principal.as_deref(), "--principal", "10000.00")?;
        let periods = required(flags.periods.as_deref(), "--periods", "12")?;
        let rate = match (flags.fee_rate.as_deref(), flags.annual_rate.as_deref()) {
            (Some(text), None) => RateFlag::PerPeriod(parse_rate("--fee-rate", text)?),
            (None, Some(text)) => RateFlag::Annual(parse_rate("--annual-rate", text)?),
            (None, None) => return Err(Rejection::NoRate),
            (Some(_), Some(_)) => return Err(Rejection::BothRates),
        };
        let terms = Terms {
            method: method.parse::<Method>().map_err(Rejection::Method)?,
            principal: parse_principal(principal)?,
            periods: parse_periods(periods)?,
            rate: rate.period_rate(),
        };
        Ok(Some(PlanRequest {
            terms,
            rate,
            json: flags.json,
        }))
    }
}

impl RateFlag {
    fn period_rate(self) -> PeriodRate {
        match self {
            RateFlag::PerPeriod(rate) => PeriodRate::per_period(rate),
            RateFlag::Annual(rate) => PeriodRate::annual(rate),
        }
    }
}

impl fmt::Display for RateFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateFlag::PerPeriod(rate) => write!(f, "{rate} per period"),
            RateFlag::Annual(rate) => write!(f, "{rate} a year (a twelfth each period)"),
        }
    }
}

fn required<'a>(value: Option<&'a str>, flag: &'static str, example: &'static str) -> Result<&'a str, Rejection> {
    value.ok_or(Rejection::Missing { flag, example })
}

fn parse_rate(flag: &'static str, text: &str) -> Result<Rate, Rejection> {
    Rate::parse(text).map_err(|error| Rejection::Rate { flag, error })
}

/// Digits only: `u32`'s own parser would also take `+12`.
fn parse_periods(text: &str) -> Result<u32, Rejection> {
    let syntax = || Rejection::PeriodsSyntax(text.to_owned());
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    text.parse().map_err(|_| syntax())
}

fn parse_principal(text: &str) -> Result<Amount, Rejection> {
    let principal = Amount::parse_yuan(text).map_err(Rejection::Principal)?;
    if !principal.is_positive() {
        return Err(Rejection::Terms(ScheduleError::PrincipalNotPositive(principal)));
    }
    Ok(principal)
}

/// The first line of a clap error, without its `error: ` prefix (main.rs adds its own).
fn first_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let line = rendered.lines().next().unwrap_or("bad arguments");
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

/// Runs `iou plan`: prints the schedule, or returns the one-line reason there is none.
pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    let Some(request) = PlanRequest::parse(&args.raw)? else {
        return print_help();
    };
    let schedule = Schedule::build(request.terms).map_err(Rejection::Terms)?;
    let mut out = io::stdout().lock();
    if request.json {
        write_json(&mut out, &schedule)
    } else {
        write_table(&mut out, &schedule, request.rate)
    }
    .and_then(|()| out.flush())
    .context("writing the plan to stdout")
}

fn print_help() -> anyhow::Result<()> {
    use clap::CommandFactory;
    let help = PlanFlags::command().render_long_help().to_string();
    io::stdout()
        .lock()
        .write_all(help.as_bytes())
        .context("writing help to stdout")
}

/// One JSON object, keys in the documented order: `method`, `principal_fen`, `periods`,
/// `total_cost_fen`, `apr`. Written by hand because serde_json's map would sort the keys; every
/// value is an integer or a fixed ASCII word, so nothing needs escaping.
fn write_json(out: &mut impl Write, schedule: &Schedule) -> io::Result<()> {
    let periods: Vec<String> = schedule
        .periods
        .iter()
        .map(|p| {
            format!(
                r#"{{"n": {}, "principal_fen": {}, "fee_fen": {}, "interest_fen": {}, "payment_fen": {}}}"#,
                p.n,
                p.principal.fen(),
                p.fee.fen(),
                p.interest.fen(),
                p.payment().fen()
            )
        })
        .collect();
    writeln!(
        out,
        r#"{{"method": "{}", "principal_fen": {}, "periods": [{}], "total_cost_fen": {}, "apr": "{}"}}"#,
        schedule.terms.method,
        schedule.terms.principal.fen(),
        periods.join(", "),
        schedule.total_cost().fen(),
        format_apr(schedule.apr())
    )
}

fn write_table(out: &mut impl Write, schedule: &Schedule, rate: RateFlag) -> io::Result<()> {
    let terms = &schedule.terms;
    writeln!(
        out,
        "{} plan: {} yuan over {} periods at {}",
        terms.method, terms.principal, terms.periods, rate
    )?;
    let row = |out: &mut dyn Write, label: &str, cells: [Amount; 4]| -> io::Result<()> {
        // Amount's Display ignores widths, so each cell is a string first.
        let [principal, fee, interest, payment] = cells.map(|cell| cell.to_string());
        writeln!(out, "{label:>6} {principal:>16} {fee:>16} {interest:>16} {payment:>16}")
    };
    writeln!(
        out,
        "{:>6} {:>16} {:>16} {:>16} {:>16}",
        "period", "principal", "fee", "interest", "payment"
    )?;
    for p in &schedule.periods {
        row(out, &p.n.to_string(), [p.principal, p.fee, p.interest, p.payment()])?;
    }
    let fee: Amount = schedule.periods.iter().map(|p| p.fee).sum();
    let interest: Amount = schedule.periods.iter().map(|p| p.interest).sum();
    row(
        out,
        "total",
        [terms.principal, fee, interest, terms.principal + fee + interest],
    )?;
    writeln!(
        out,
        "total cost {} yuan, APR {} (IRR method)",
        schedule.total_cost(),
        apr_percent(&format_apr(schedule.apr()))
    )
}

/// `"0.130342"` as `"13.0342%"`: the same six decimals, the point moved two places.
fn apr_percent(fraction: &str) -> String {
    let (whole, decimals) = fraction.split_once('.').unwrap_or((fraction, "000000"));
    let (percent_digits, rest) = decimals.split_at(2.min(decimals.len()));
    let percent = format!("{whole}{percent_digits}").trim_start_matches('0').to_owned();
    let percent = if percent.is_empty() { "0" } else { &percent };
    format!("{percent}.{rest}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apr_percent_moves_the_point() {
        let table = [
            ("0.130342", "13.0342%"),
            ("0.000000", "0.0000%"),
            ("0.005000", "0.5000%"),
            ("1.234567", "123.4567%"),
            ("12.000000", "1200.0000%"),
        ];
        for (fraction, percent) in table {
            assert_eq!(apr_percent(fraction), percent, "{fraction}");
        }
    }
}
