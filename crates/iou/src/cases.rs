//! `iou cases export`: the police evidence bundle of a case (with `--ring`, of its fraud ring)
//! from a store, as `bundle.json` and `bundle.html` in `--out` ([`api::evidence_bundle`] builds
//! both and appends the `cases.export` audit record). This module opens the store and the key
//! file, writes the files and prints what it did.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct CasesArgs {
    #[command(subcommand)]
    command: CasesCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CasesCommand {
    /// Write a case's evidence bundle (JSON and a readable HTML page), personal data masked
    /// unless `--reveal`.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The data directory of the embedded store.
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// A PostgreSQL store instead (`postgres://...`; also `IOU_STORE`).
    #[arg(long)]
    store: Option<String>,
    /// The case (its id as the API shows it).
    #[arg(long)]
    case: u64,
    /// The whole ring: the linked cases and every account sharing a device or IP with them.
    #[arg(long)]
    ring: bool,
    /// The directory to write `bundle.json` and `bundle.html` to (made if missing).
    #[arg(long)]
    out: PathBuf,
    /// Put personal data in clear (identities, full IP addresses); needs `--key-file`.
    #[arg(long, requires = "key_file")]
    reveal: bool,
    /// The store's key file (as given to `iou serve --key-file`).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Who exports, for the audit record (an operator's name); `system` without it.
    #[arg(long)]
    operator: Option<String>,
}

fn backend(args: &ExportArgs) -> anyhow::Result<Arc<dyn store::Backend>> {
    if let Some(url) = args.store.clone().or_else(|| std::env::var("IOU_STORE").ok()) {
        let backend = store::postgres::PostgresBackend::open(&url).context("opening the PostgreSQL store")?;
        return Ok(Arc::new(backend));
    }
    anyhow::ensure!(
        args.data.join(store::sqlite::JOURNAL_FILE).is_file(),
        "{} holds no journal",
        args.data.display()
    );
    Ok(Arc::new(store::sqlite::SqliteBackend::open(&args.data)?))
}

pub fn run(args: CasesArgs) -> anyhow::Result<()> {
    let CasesCommand::Export(args) = args.command;
    let backend = backend(&args)?;
    let reveal = match (&args.key_file, args.reveal) {
        (Some(path), true) => Some(crate::keys::provider(Some(path.clone()))?.context("no key provider")?),
        _ => None,
    };
    let request = api::evidence_bundle::ExportRequest {
        case: args.case,
        ring: args.ring,
        reveal,
        actor: args.operator.clone(),
    };
    let exported = api::evidence_bundle::export(&backend, &request).map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let json = serde_json::to_vec_pretty(&exported.bundle)?;
    std::fs::write(args.out.join("bundle.json"), json).context("writing bundle.json")?;
    std::fs::write(args.out.join("bundle.html"), &exported.html).context("writing bundle.html")?;
    println!(
        "case {}{}: {} cases, {} accounts; personal data {}; sha256 {}; audit record {} (cases.export); written to {}",
        args.case,
        if args.ring { " (ring)" } else { "" },
        exported.cases,
        exported.accounts,
        if args.reveal { "REVEALED" } else { "masked" },
        exported.hash,
        exported.audit_seq,
        args.out.display()
    );
    Ok(())
}
