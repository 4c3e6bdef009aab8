//! `iou backtest`: opens the data directory's store and prints the engine's backtest
//! ([`engine::backtest`]) of a candidate rule set against every journaled risk decision.

use std::path::PathBuf;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// The candidate rules folder (JDM graphs, as `rules/`).
    #[arg(long)]
    rules: PathBuf,
    /// The data directory whose journal holds the live decisions.
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// Changed decisions to show.
    #[arg(long, default_value_t = 10)]
    samples: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: BacktestArgs) -> anyhow::Result<()> {
    let candidate = engine::rules_dir::load_dir(&args.rules, risk::EvaluatorChoice::Auto)
        .with_context(|| format!("loading the candidate rules from {}", args.rules.display()))?;
    anyhow::ensure!(
        args.data.join(store::sqlite::JOURNAL_FILE).is_file(),
        "{} holds no journal",
        args.data.display()
    );
    let backend = store::sqlite::SqliteBackend::open(&args.data)?;
    let mut journal = backend.open_journal()?;
    let report = engine::backtest::replay(&mut journal, &candidate, args.samples)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}
