//! `iou keys`: the key file that seals personal data and secrets (see the `vault` crate), and
//! where `iou serve` and the demo get their key provider.
//!
//! - `iou keys init --out PATH` writes a new key file (mode 0600; never over an existing one):
//!   one key-encryption key `k1` and a blind-index key. Keep it outside the data directory.
//! - `iou keys rotate --key-file PATH --data DIR` adds a new KEK to the file and makes it
//!   current, then re-wraps every sealed value in the store's meta table under it (data keys
//!   only: no value is decrypted). It may run while the server serves: the server reads the new
//!   key from the file when it first meets a value wrapped under it, and values it seals under
//!   the old key stay readable (the old key stays in the file); run rotate again to move them.
//!   A value the server rewrites in the instant between this command's read and write of that
//!   row is written back as it was read (re-checked just before writing, so the window is one
//!   row's write).
//!
//! The provider `iou serve` uses: `--key-file PATH`, else `IOU_KEY_FILE`, else the key file's
//! JSON text in `IOU_KEYS`; with none the server refuses to start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Write a new key file (mode 0600) with a key-encryption key and a blind-index key.
    Init {
        /// Where to write it (outside the data directory; refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Add a new key-encryption key and re-wrap every stored data key under it.
    Rotate {
        /// The key file to rotate (rewritten in place, mode 0600).
        #[arg(long)]
        key_file: PathBuf,
        /// The data directory whose sealed values to re-wrap.
        #[arg(long)]
        data: PathBuf,
    },
}

pub fn run(args: KeysArgs) -> anyhow::Result<()> {
    match args.command {
        KeysCommand::Init { out } => {
            init(&out)?;
            println!(
                "key file written: {} (mode 0600; keep it outside the data directory)",
                out.display()
            );
            Ok(())
        }
        KeysCommand::Rotate { key_file, data } => rotate(&key_file, &data),
    }
}

fn init(out: &Path) -> anyhow::Result<()> {
    let ring = vault::Keyring::generate().context("generating keys")?;
    vault::file::create(out, &ring).with_context(|| format!("writing {}", out.display()))
}

fn rotate(key_file: &Path, data: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        data.join("journal.db").exists(),
        "{} holds no store (no journal.db)",
        data.display()
    );
    let (id, ring) = vault::file::rotate(key_file).context("rotating the key file")?;
    println!("key file {}: new current key {id}", key_file.display());
    let vault = vault::Vault::new(Arc::new(ring)).context("the rotated keys")?;
    let backend = store::sqlite::SqliteBackend::open(data).with_context(|| format!("opening {}", data.display()))?;
    let mut journal = store::Backend::journal(&backend).context("the store's journal")?;
    let (mut rows, mut values) = (0, 0);
    for (key, value) in journal.meta_with_prefix("").context("reading the meta table")? {
        if !value.contains(vault::PREFIX) {
            continue;
        }
        let (rewrapped, changed) = vault.rewrap_all(&value).with_context(|| format!("re-wrapping {key}"))?;
        if changed == 0 {
            continue;
        }
        // Written only if the row is still what was read (see the module docs).
        if journal.meta(&key).context("re-reading a row")?.as_deref() != Some(value.as_str()) {
            eprintln!("warning: {key} changed while rotating: left as it is (run rotate again)");
            continue;
        }
        journal
            .set_meta(&key, &rewrapped)
            .with_context(|| format!("writing {key}"))?;
        rows += 1;
        values += changed;
    }
    println!("re-wrapped {values} sealed values in {rows} rows of {}", data.display());
    Ok(())
}

/// The key provider `iou serve` runs with: `--key-file`, else `IOU_KEY_FILE`, else `IOU_KEYS`.
pub fn provider(key_file: Option<PathBuf>) -> anyhow::Result<Option<Arc<dyn vault::KeyProvider>>> {
    let path = key_file.or_else(|| {
        std::env::var_os("IOU_KEY_FILE")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    });
    if let Some(path) = path {
        let file = vault::KeyFile::open(&path).with_context(|| format!("the key file {}", path.display()))?;
        return Ok(Some(Arc::new(file)));
    }
    let ring = vault::file::from_env().context("IOU_KEYS")?;
    Ok(ring.map(|r| Arc::new(r) as Arc<dyn vault::KeyProvider>))
}

/// The demo's key file, `<data>.keys` beside its data directory: a new one for the new store
/// (the data directory was just wiped).
pub fn demo_key_file(data: &Path) -> anyhow::Result<Arc<dyn vault::KeyProvider>> {
    let mut name = data.as_os_str().to_owned();
    name.push(".keys");
    let path = PathBuf::from(name);
    if path.exists() {
        std::fs::remove_file(&path).with_context(|| format!("replacing {}", path.display()))?;
    }
    init(&path)?;
    eprintln!(
        "demo key file: {} (the data directory's keys; `iou serve --data {} --key-file {}` serves it again)",
        path.display(),
        data.display(),
        path.display()
    );
    Ok(Arc::new(vault::KeyFile::open(&path)?))
}
