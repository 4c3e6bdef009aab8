//! `iou fraud-eval`: the fraud evaluation a lender can rerun (FRAUD_EVAL.md). Every attack
//! family at once on a small population, on the tune seeds and on the held-out seeds, each
//! seed an in-process run on a fresh in-memory engine; prints a per-family table for each list
//! (fraud loss attempted, stopped, lost) with genuine friction, or both as one JSON object.

use std::ops::RangeInclusive;
use std::path::PathBuf;

use anyhow::Context;
use sim::eval::{EvalTable, HOLDOUT_SEEDS, TUNE_SEEDS};
use sim::progress::Silent;

#[derive(Debug, clap::Args)]
pub struct FraudEvalArgs {
    /// Seeds the rules were tuned on: a comma list and/or ranges like `1..=3` (default 1,2,3).
    #[arg(long)]
    tune_seeds: Option<String>,
    /// Seeds nobody tuned on: the report (default 101..=105).
    #[arg(long)]
    holdout_seeds: Option<String>,
    /// Shoppers per run.
    #[arg(long, default_value_t = 1_000)]
    users: u32,
    /// Simulated days per run (bust-outs need 30-90 days of patience).
    #[arg(long, default_value_t = 150)]
    days: u32,
    /// A risk rules folder instead of the rules built into the binary.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Print `{"tune": table, "holdout": table}` as JSON instead of the text tables.
    #[arg(long)]
    json: bool,
    /// Run the tune seeds only (while tuning: the held-out seeds are for the final report).
    #[arg(long)]
    tune_only: bool,
}

/// `1,2,5..=7` to `[1, 2, 5, 6, 7]`.
fn seeds(list: &str) -> anyhow::Result<Vec<u64>> {
    let mut out = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some((a, b)) = part.split_once("..=") {
            let range: RangeInclusive<u64> = a.parse()?..=b.parse()?;
            anyhow::ensure!(range.clone().count() <= 1_000, "seed range {part} is too long");
            out.extend(range);
        } else {
            out.push(part.parse().with_context(|| format!("{part:?} is not a seed"))?);
        }
    }
    anyhow::ensure!(!out.is_empty(), "a seed list is empty");
    Ok(out)
}

pub fn run(args: FraudEvalArgs) -> anyhow::Result<()> {
    anyhow::ensure!((10..=100_000).contains(&args.users), "--users must be 10..=100000");
    anyhow::ensure!((1..=3_650).contains(&args.days), "--days must be 1..=3650");
    let tune = match &args.tune_seeds {
        Some(list) => seeds(list).context("--tune-seeds")?,
        None => TUNE_SEEDS.to_vec(),
    };
    let holdout = match &args.holdout_seeds {
        Some(list) => seeds(list).context("--holdout-seeds")?,
        None => HOLDOUT_SEEDS.to_vec(),
    };
    anyhow::ensure!(
        !tune.iter().any(|s| holdout.contains(s)),
        "a seed is in both lists: held-out seeds must be ones nobody tuned on"
    );
    let rules = args.rules.as_deref();
    let run = |list: &[u64]| -> anyhow::Result<EvalTable> {
        let (table, _) = sim::eval::evaluate(list, args.users, args.days, rules, &mut Silent)?;
        Ok(table)
    };
    let tune_table = run(&tune)?;
    let holdout_table = if args.tune_only { None } else { Some(run(&holdout)?) };
    if args.json {
        let both = serde_json::json!({ "tune": tune_table, "holdout": holdout_table });
        println!("{both}");
        return Ok(());
    }
    print!("{}", sim::eval::text("tune", &tune_table));
    if let Some(holdout) = &holdout_table {
        println!();
        print!("{}", sim::eval::text("held out", holdout));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::seeds;

    #[test]
    fn seed_lists_parse_commas_and_ranges() {
        assert_eq!(seeds("1,2, 5..=7").unwrap(), vec![1, 2, 5, 6, 7]);
        assert!(seeds("").is_err());
        assert!(seeds("x").is_err());
        assert!(seeds("1..=100000").is_err());
    }
}
