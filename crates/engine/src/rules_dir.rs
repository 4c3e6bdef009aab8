//! The `rules/` folder: loading every graph file into a rule set, and watching the folder so
//! an edited set is swapped in atomically (a set that does not build is refused whole and the
//! running one stays).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use risk::{EvaluatorChoice, RuleSet, RuleSetCell};

/// Why a rules folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesDirError {
    #[error("reading {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("rules in {dir}: {source}")]
    Rules { dir: PathBuf, source: risk::RuleSetError },
}

/// The `*.json` graph files of `dir`, by name, in name order (README and other files are
/// ignored).
fn graph_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, RulesDirError> {
    let io = |source| RulesDirError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            files.push((name.to_owned(), path));
        }
    }
    files.sort();
    Ok(files)
}

/// Builds a rule set from every graph file in `dir`.
pub fn load_dir(dir: &Path, choice: EvaluatorChoice) -> Result<RuleSet, RulesDirError> {
    let mut sources = Vec::new();
    for (name, path) in graph_files(dir)? {
        let text = std::fs::read_to_string(&path).map_err(|source| RulesDirError::Io { path, source })?;
        sources.push((name, text));
    }
    RuleSet::from_sources(sources, choice).map_err(|source| RulesDirError::Rules {
        dir: dir.to_owned(),
        source,
    })
}

fn fingerprint(dir: &Path) -> Vec<(String, Option<SystemTime>, u64)> {
    graph_files(dir)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, path)| {
            let meta = std::fs::metadata(&path).ok();
            (
                name,
                meta.as_ref().and_then(|m| m.modified().ok()),
                meta.map_or(0, |m| m.len()),
            )
        })
        .collect()
}

/// Polls `dir` every `every` and swaps a changed set into `cell`. Stops when `stop` is set.
pub fn watch(
    dir: PathBuf,
    cell: Arc<RuleSetCell>,
    choice: EvaluatorChoice,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("iou-rules-watch".into())
        .spawn(move || {
            let mut seen = fingerprint(&dir);
            while !stop.load(Ordering::Acquire) {
                std::thread::sleep(every);
                let now = fingerprint(&dir);
                if now == seen {
                    continue;
                }
                seen = now;
                match load_dir(&dir, choice) {
                    Ok(set) => {
                        cell.store(Arc::new(set));
                        tracing::info!(dir = %dir.display(), "rules reloaded");
                    }
                    Err(error) => tracing::error!(%error, "rules not reloaded: the running set stays"),
                }
            }
        })
        .expect("a thread starts")
}
