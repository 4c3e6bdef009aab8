//! Watching the rules folder: a thread polls the graph files' names, times and sizes, and when
//! they change loads the whole folder and swaps the new set into the engine's `RuleSetCell`
//! (a set that does not build is refused whole and the running one stays). Loading is
//! `engine::rules_dir`'s; the engine itself never looks at the folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use engine::rules_dir::{graph_files, load_dir};
use risk::{EvaluatorChoice, RuleSetCell};

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

/// Polls `dir` every `every` and swaps a changed set into `cell`. Stops when `stop` is set.
pub fn watch(
    dir: PathBuf,
    cell: Arc<RuleSetCell>,
    choice: EvaluatorChoice,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
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
}
