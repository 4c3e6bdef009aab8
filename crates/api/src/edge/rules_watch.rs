//! Watching the rules folder: a thread polls the graph files' names, times and sizes, and when
//! they change loads the whole folder and puts the new set in force in the engine's `RuleSetCell` (through
//! `rules_history`, which keeps the set it replaced for a rollback)
//! (a set that does not build is refused whole and the running one stays). What it did is kept
//! in [`RulesStatus`] (`GET /v1/risk/rules` shows it). Loading is `engine::rules_dir`'s; the
//! engine itself never looks at the folder.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use engine::rules_dir::graph_files;
use risk::EvaluatorChoice;

use crate::edge::rules_history::{RuleHistory, build, read_dir};

/// The watched folder and what the watcher did with it since the server started.
#[derive(Debug)]
pub struct RulesStatus {
    /// The watched folder; `None`: the rules built into the binary (nothing to watch).
    pub dir: Option<PathBuf>,
    reloads: AtomicU64,
    refused: AtomicU64,
    /// Why the latest reload was refused; `None` once a later one succeeds.
    last_error: Mutex<Option<String>>,
    /// The set in force and the one before (the emergency rollback's); `None` without a folder.
    pub history: Option<Arc<RuleHistory>>,
}

/// A copy of [`RulesStatus`]'s counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reloads {
    /// Changed sets swapped in.
    pub reloads: u64,
    /// Changed sets refused (the running set stayed).
    pub refused: u64,
    pub last_error: Option<String>,
}

impl RulesStatus {
    pub fn new(dir: Option<PathBuf>, history: Option<Arc<RuleHistory>>) -> RulesStatus {
        RulesStatus {
            dir,
            history,
            reloads: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    pub fn reloads(&self) -> Reloads {
        Reloads {
            reloads: self.reloads.load(Ordering::Acquire),
            refused: self.refused.load(Ordering::Acquire),
            last_error: self.last_error.lock().map(|e| e.clone()).unwrap_or_default(),
        }
    }

    fn set_error(&self, error: Option<String>) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = error;
        }
    }

    fn reloaded(&self) {
        self.set_error(None);
        self.reloads.fetch_add(1, Ordering::AcqRel);
    }

    fn refused(&self, error: String) {
        self.set_error(Some(error));
        self.refused.fetch_add(1, Ordering::AcqRel);
    }
}

/// What the watcher compares between two looks: each graph file's name, modification time and
/// size.
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

/// Polls `dir` every `every` and puts a changed set in force through `history` (the engine's
/// cell), counting in `status`. Stops when `stop` is set.
pub fn watch(
    dir: PathBuf,
    status: Arc<RulesStatus>,
    history: Arc<RuleHistory>,
    choice: EvaluatorChoice,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("iou-rules-watch".into())
        .spawn(move || {
            let dir = dir.as_path();
            let mut seen = fingerprint(dir);
            while !stop.load(Ordering::Acquire) {
                std::thread::sleep(every);
                let now = fingerprint(dir);
                if now == seen {
                    continue;
                }
                seen = now;
                let loaded = read_dir(dir).and_then(|sources| build(&sources, choice, dir).map(|set| (sources, set)));
                match loaded {
                    Ok((sources, set)) => {
                        // Counted before it is put in force: whoever sees the new set in
                        // `GET /v1/risk/rules` also sees the reload that brought it.
                        status.reloaded();
                        history.reloaded(sources, set);
                        tracing::info!(dir = %dir.display(), "rules reloaded");
                    }
                    Err(error) => {
                        tracing::error!(%error, "rules not reloaded: the running set stays");
                        status.refused(error);
                    }
                }
            }
        })
}
