//! `iou audit verify` and `iou audit export`: a data directory's audit log, checked or written
//! out for an auditor. The chain, its encoding and the checks are the `audit` crate's; this
//! module opens the store, reads the key and prints.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use audit::{VerifyError, VerifyingKey};

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Recompute the audit log's hash chain and check its signed checkpoints; fails, naming
    /// the first bad record, if any record was altered, removed, reordered or inserted.
    Verify(VerifyArgs),
    /// Write the audit log as JSON lines (each record with its hash, then the checkpoints)
    /// for an auditor to check independently (API.md, "Audit log").
    Export(ExportArgs),
    /// Make a checkpoint signing key: writes its 32-byte seed as hex to a new file of mode
    /// 0600 (for `iou serve --audit-key`) and prints the verifying key (for `verify`). Keep the
    /// file away from the data directory: the store must never hold it.
    Keygen(KeygenArgs),
}

#[derive(Debug, clap::Args)]
struct KeygenArgs {
    /// The new key file (refused if it exists).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The data directory (as given to `iou serve --data`).
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// The checkpoints' Ed25519 verifying key: 64 hex digits, or a file holding them. Without
    /// it the chain is checked but the checkpoints' signatures are not.
    #[arg(long, value_name = "HEX|FILE")]
    verifying_key: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The data directory (as given to `iou serve --data`).
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// The first record (and checkpoint) to write.
    #[arg(long, default_value_t = 1)]
    from: u64,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: AuditArgs) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify(args) => verify(&args),
        AuditCommand::Export(args) => export(&args),
        AuditCommand::Keygen(args) => keygen(&args.out),
    }
}

fn keygen(out: &Path) -> anyhow::Result<()> {
    let seed = vault::SecretKey::generate().context("drawing a key")?;
    let key = audit::CheckpointKey::from_bytes(seed.as_bytes());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(out)
        .with_context(|| format!("creating {}", out.display()))?;
    writeln!(file, "{}", seed.to_hex()).with_context(|| format!("writing {}", out.display()))?;
    file.sync_all().with_context(|| format!("writing {}", out.display()))?;
    println!("{}", key.verifying_key());
    eprintln!(
        "wrote the audit checkpoint key to {} (serve with --audit-key {0}; verify with --verifying-key and the line above)",
        out.display()
    );
    Ok(())
}

/// The store in `data`, which must exist (an audit command never creates one).
fn open(data: &Path) -> anyhow::Result<store::sqlite::SqliteBackend> {
    anyhow::ensure!(
        data.join(store::sqlite::JOURNAL_FILE).is_file(),
        "{} holds no store",
        data.display()
    );
    Ok(store::sqlite::SqliteBackend::open(data)?)
}

/// `--verifying-key`: the hex itself, or a file holding it.
fn verifying_key(arg: &str) -> anyhow::Result<VerifyingKey> {
    if let Ok(key) = VerifyingKey::from_hex(arg) {
        return Ok(key);
    }
    let text = std::fs::read_to_string(arg)
        .with_context(|| format!("--verifying-key {arg:?} is neither 64 hex digits nor a readable file"))?;
    VerifyingKey::from_hex(&text).with_context(|| format!("the verifying key in {arg}"))
}

fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let key = args.verifying_key.as_deref().map(verifying_key).transpose()?;
    let backend = open(&args.data)?;
    let mut log = backend.open_audit()?;
    let verified = match audit::verify(&mut log, key.as_ref()) {
        Ok(verified) => verified,
        Err(VerifyError::Broken(broken)) => {
            bail!(
                "audit log BROKEN at record {}: {} (`iou audit export --data {} --from {}` shows it)",
                broken.seq,
                broken.why,
                args.data.display(),
                broken.seq.saturating_sub(1).max(1)
            )
        }
        Err(VerifyError::Audit(e)) => return Err(e).context("reading the audit log"),
    };
    println!("audit log intact: {} records chained", verified.records);
    if let Some(hash) = verified.last_hash {
        println!("last record {} has hash {hash}", verified.records);
    }
    match (verified.last_checkpoint, verified.signatures_checked) {
        (None, _) => println!("no signed checkpoint yet"),
        (Some(last), true) => println!(
            "{} checkpoints, signatures verified; the newest at record {last}",
            verified.checkpoints
        ),
        (Some(last), false) => println!(
            "{} checkpoints match their records (newest at {last}); signatures NOT checked: pass --verifying-key",
            verified.checkpoints
        ),
    }
    if let Some(last) = verified.last_checkpoint
        && last < verified.records
    {
        println!(
            "records {}..={} are chained but not yet covered by a signed checkpoint",
            last + 1,
            verified.records
        );
    }
    Ok(())
}

fn export(args: &ExportArgs) -> anyhow::Result<()> {
    let backend = open(&args.data)?;
    let mut log = backend.open_audit()?;
    let exported = match &args.out {
        Some(path) => {
            let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::new(file);
            let exported = audit::export(&mut log, args.from, &mut out)?;
            out.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            exported
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let exported = audit::export(&mut log, args.from, &mut out)?;
            out.flush()?;
            exported
        }
    };
    eprintln!(
        "exported {} audit records and {} checkpoints",
        exported.records, exported.checkpoints
    );
    Ok(())
}
