//! `iou journal inspect`: what a data directory's journal holds, record by record, and whether
//! replaying it reproduces what it says (the check `iou serve` makes at start-up).
//!
//! Without `--partition` it prints each partition's batch and record counts and replays every
//! partition; with `--partition P` it prints that partition's records; with `--seq S` only that
//! batch's. A record whose replay diverges is marked, and the command fails. The records are
//! decoded by `engine::journal` (the encoding stays the engine's); this module only prints.

use std::path::PathBuf;

use anyhow::{Context, bail};
use engine::journal::{self, RecordView};
use engine::{EngineConfig, EngineError};
use store::Journal;

#[derive(Debug, clap::Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: JournalCommand,
}

#[derive(Debug, clap::Subcommand)]
enum JournalCommand {
    /// Print the journal's records and replay it to find the first record that does not
    /// reproduce (the reason `iou serve` refuses to start, if it does).
    Inspect(InspectArgs),
}

#[derive(Debug, clap::Args)]
struct InspectArgs {
    /// The data directory (as given to `iou serve --data`).
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// One partition: print its records.
    #[arg(long)]
    partition: Option<u32>,
    /// One batch of `--partition`: print only its records.
    #[arg(long, requires = "partition")]
    seq: Option<u64>,
    /// Skip the replay (only print).
    #[arg(long)]
    no_verify: bool,
}

pub fn run(args: JournalArgs) -> anyhow::Result<()> {
    match args.command {
        JournalCommand::Inspect(args) => inspect(&args),
    }
}

fn inspect(args: &InspectArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.data.join(store::sqlite::JOURNAL_FILE).is_file(),
        "{} holds no journal",
        args.data.display()
    );
    let backend = store::sqlite::SqliteBackend::open(&args.data)?;
    let mut db = backend.open_journal()?;
    let partitions = journal::stored_partitions(&mut db)?.context("the store was never started: no partitions")?;
    let config = EngineConfig {
        partitions,
        ..EngineConfig::default()
    };
    let selected: Vec<u32> = match args.partition {
        Some(p) if p >= partitions => bail!("the store has partitions 0..{partitions}; there is no {p}"),
        Some(p) => vec![p],
        None => (0..partitions).collect(),
    };
    let mut diverged = 0;
    for partition in selected {
        let divergence = if args.no_verify {
            None
        } else {
            verify(&config, &mut db, partition)?
        };
        let mark = |view: &RecordView| divergence.as_ref().filter(|d| same_record(&d.record, view));
        match (args.partition, args.seq) {
            (Some(_), Some(seq)) => {
                let views = journal::batch(&mut db, partition, seq)?
                    .with_context(|| format!("partition {partition} has no batch {seq}"))?;
                views.iter().for_each(|v| print_record(v, mark(v)));
            }
            (Some(_), None) => journal::scan(&mut db, partition, 0, |at, record| {
                let view = RecordView::of(at, record);
                print_record(&view, mark(&view));
                Ok::<_, EngineError>(())
            })?,
            (None, _) => print_summary(&mut db, partition)?,
        }
        if let Some(divergence) = divergence {
            diverged += 1;
            println!("partition {partition}: REPLAY DIVERGES at {divergence}");
        } else if !args.no_verify {
            println!("partition {partition}: replays as journaled");
        }
    }
    if diverged > 0 {
        bail!("{diverged} partition(s) do not replay as journaled: `iou serve` will not start on this store");
    }
    Ok(())
}

/// The partition's divergence, if replaying it diverges.
fn verify(
    config: &EngineConfig,
    journal: &mut dyn Journal,
    partition: u32,
) -> anyhow::Result<Option<journal::Divergence>> {
    match journal::verify(config, journal, partition) {
        Ok(_) => Ok(None),
        Err(EngineError::ReplayDiverged(divergence)) => Ok(Some(*divergence)),
        Err(other) => Err(other).with_context(|| format!("replaying partition {partition}")),
    }
}

fn same_record(a: &RecordView, b: &RecordView) -> bool {
    (a.partition, a.seq, a.index) == (b.partition, b.seq, b.index)
}

fn print_record(view: &RecordView, divergence: Option<&journal::Divergence>) {
    match divergence {
        Some(d) => println!(
            "{view}   <- replay gives {} ({} differ)",
            journal::outcome_text(&d.replay),
            d.differs
        ),
        None => println!("{view}"),
    }
}

fn print_summary(journal: &mut dyn Journal, partition: u32) -> anyhow::Result<()> {
    let (mut records, mut refused, mut last) = (0u64, 0u64, None);
    journal::scan(journal, partition, 0, |at, record| {
        records += 1;
        refused += u64::from(record.outcome.is_err());
        last = Some((at.seq, RecordView::of(at, record).at));
        Ok::<_, EngineError>(())
    })?;
    match last {
        Some((seq, at)) => {
            println!("partition {partition}: {seq} batches, {records} records ({refused} refused), last at {at}")
        }
        None => println!("partition {partition}: empty"),
    }
    Ok(())
}
