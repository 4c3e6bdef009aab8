//! `iou labels export`: the analysts' labels of a data directory's journal as training data for
//! the fraud model, one JSON object per labelled payment decision ([`engine::labels`]).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct LabelsArgs {
    #[command(subcommand)]
    command: LabelsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum LabelsCommand {
    /// Write every labelled payment decision (label, amount, features, model scores) as JSON
    /// lines.
    Export {
        /// The data directory whose journal holds the decisions and the analysts' labels.
        #[arg(long, default_value = "./data")]
        data: PathBuf,
        /// Where to write (standard output when absent).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Every payment decision, the unlabelled ones too (no `verdict`): for joining with
        /// ground truth from elsewhere (`iou simulate --ground-truth`).
        #[arg(long)]
        all: bool,
    },
}

pub fn run(args: LabelsArgs) -> anyhow::Result<()> {
    let LabelsCommand::Export { data, out, all } = args.command;
    anyhow::ensure!(
        data.join(store::sqlite::JOURNAL_FILE).is_file(),
        "{} holds no journal",
        data.display()
    );
    let backend = store::sqlite::SqliteBackend::open(&data)?;
    let mut journal = backend.open_journal()?;
    let rows = engine::labels::training_rows(&mut journal, all)?;
    let mut sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    for row in &rows {
        serde_json::to_writer(&mut sink, row)?;
        sink.write_all(b"\n")?;
    }
    sink.flush()?;
    let fraud = rows
        .iter()
        .filter(|r| {
            r.label
                .as_ref()
                .is_some_and(|l| l.verdict == engine::labels::Verdict::Fraud)
        })
        .count();
    let labelled = rows.iter().filter(|r| r.label.is_some()).count();
    eprintln!(
        "{labelled} labelled payment decisions: {fraud} fraud, {} genuine; {} unlabelled",
        labelled - fraud,
        rows.len() - labelled
    );
    Ok(())
}
