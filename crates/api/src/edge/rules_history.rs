//! The rule sets of a watched rules folder the server ran, for the emergency rollback: the set
//! in force and the one it replaced, each kept as its graph files' text (`(name, json)`) so it
//! can be built again. The set it replaced is written to the meta table (`rules/previous`) at
//! each reload, and a rollback pins the set it restores (`rules/pinned`), so a restart runs the
//! rolled-back set, not the folder's, until the folder is edited again (a new deploy lifts the
//! pin). Rolling back twice rolls forward. A set deployed through the API (four eyes:
//! `POST /v1/risk/rules`) is pinned the same way and becomes the set in force; editing the
//! folder later replaces it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use engine::rules_dir::RulesDirError;
use risk::{EvaluatorChoice, RuleSet, RuleSetCell};

use crate::meta::Meta;

/// A rule set as its graph files: `(file name, JSON text)`, in name order.
pub type Sources = Vec<(String, String)>;

const PREVIOUS: &str = "rules/previous";
const PINNED: &str = "rules/pinned";

/// Why a rollback did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error("no previous rule set is known (the folder was not edited since it was first loaded)")]
    NoPrevious,
    #[error("the previous rule set does not build: {0}")]
    Build(String),
    #[error("the rollback could not be stored: {0}")]
    Store(String),
}

/// Why a deploy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("the rule set does not build: {0}")]
    Build(String),
    #[error("the rule set could not be stored: {0}")]
    Store(String),
}

/// The graph files of `dir`, read, or why not (as `engine::rules_dir` words it).
pub fn read_dir(dir: &Path) -> Result<Sources, String> {
    let files = engine::rules_dir::graph_files(dir).map_err(|e| e.chain())?;
    files
        .into_iter()
        .map(|(name, path)| match std::fs::read_to_string(&path) {
            Ok(text) => Ok((name, text)),
            Err(source) => Err(RulesDirError::Io { path, source }.chain()),
        })
        .collect()
}

/// The rule set of `sources` (the graph files of `dir`), or why not.
pub fn build(sources: &Sources, choice: EvaluatorChoice, dir: &Path) -> Result<RuleSet, String> {
    RuleSet::from_sources(sources.iter().map(|(n, j)| (n, j)), choice).map_err(|source| {
        RulesDirError::Rules {
            dir: dir.to_owned(),
            source,
        }
        .chain()
    })
}

fn decode(meta: &Meta, key: &str) -> Result<Option<Sources>, String> {
    let stored = meta.get_blocking(key).map_err(|e| format!("reading {key}: {e}"))?;
    stored
        .map(|text| serde_json::from_str(&text).map_err(|e| format!("{key} cannot be read: {e}")))
        .transpose()
}

/// What to run at start: a pinned (rolled-back) set if the store holds one, else the folder's.
/// The flag says whether it is the pinned set.
pub fn startup_sources(meta: &Meta, dir: &Path) -> Result<(Sources, bool), String> {
    match decode(meta, PINNED)? {
        Some(pinned) => {
            tracing::warn!("risk: running the rule set an emergency rollback pinned, not the folder's");
            Ok((pinned, true))
        }
        None => Ok((read_dir(dir)?, false)),
    }
}

#[derive(Debug)]
struct Sets {
    current: Sources,
    previous: Option<Sources>,
}

/// The set in force and the one before, with the cell the engine reads.
pub struct RuleHistory {
    dir: PathBuf,
    meta: Arc<Meta>,
    cell: Arc<RuleSetCell>,
    choice: EvaluatorChoice,
    sets: Mutex<Sets>,
}

impl std::fmt::Debug for RuleHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleHistory").finish_non_exhaustive()
    }
}

impl RuleHistory {
    /// The history of a server running `current` (the previous set comes from the store).
    pub fn new(
        dir: PathBuf,
        meta: Arc<Meta>,
        cell: Arc<RuleSetCell>,
        choice: EvaluatorChoice,
        current: Sources,
    ) -> Result<RuleHistory, String> {
        let previous = decode(&meta, PREVIOUS)?;
        Ok(RuleHistory {
            dir,
            meta,
            cell,
            choice,
            sets: Mutex::new(Sets { current, previous }),
        })
    }

    fn sets(&self) -> std::sync::MutexGuard<'_, Sets> {
        self.sets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An edited folder built into `set`: it goes in force, the set it replaces becomes the
    /// previous one (stored), and a pin is lifted. Blocking.
    pub fn reloaded(&self, sources: Sources, set: RuleSet) {
        let mut sets = self.sets();
        // Stored first, swapped in last: the watcher counts the reload right after the swap.
        let replaced = std::mem::replace(&mut sets.current, sources);
        let stored = serde_json::to_string(&replaced)
            .map_err(|e| e.to_string())
            .and_then(|text| self.meta.set_blocking(PREVIOUS, &text).map_err(|e| e.to_string()))
            .and_then(|()| self.meta.delete_blocking(PINNED).map_err(|e| e.to_string()));
        if let Err(error) = stored {
            tracing::error!(%error, "the replaced rule set was not stored: a rollback after a restart cannot reach it");
        }
        sets.previous = Some(replaced);
        self.cell.store(Arc::new(set));
    }

    /// Puts the previous set back in force (and pins it for restarts); the set it replaces
    /// becomes the previous one. Returns the versions now in force. Blocking.
    pub fn roll_back(&self) -> Result<Vec<String>, RollbackError> {
        let mut sets = self.sets();
        let previous = sets.previous.clone().ok_or(RollbackError::NoPrevious)?;
        let set = build(&previous, self.choice, &self.dir).map_err(RollbackError::Build)?;
        let encode = |s: &Sources| serde_json::to_string(s).map_err(|e| RollbackError::Store(e.to_string()));
        let (pinned, replaced) = (encode(&previous)?, encode(&sets.current)?);
        let store = |key, text: &str| {
            self.meta
                .set_blocking(key, text)
                .map_err(|e| RollbackError::Store(e.to_string()))
        };
        store(PINNED, &pinned)?;
        store(PREVIOUS, &replaced)?;
        let versions = versions(&set);
        self.cell.store(Arc::new(set));
        let current = std::mem::replace(&mut sets.current, previous);
        sets.previous = Some(current);
        Ok(versions)
    }

    /// Whether the set in force with `graphs` in place builds (why not, if not). Blocking.
    pub fn check(&self, graphs: Sources) -> Result<(), String> {
        self.candidate(graphs).map(|_| ())
    }

    /// The set in force with `graphs` in place, built (a backtest's candidate). Blocking.
    pub fn candidate(&self, graphs: Sources) -> Result<RuleSet, String> {
        let next = merged(&self.sets().current, graphs);
        build(&next, self.choice, &self.dir)
    }

    /// Deploys `graphs` (each replaces the graph file of its name, or adds one): the whole set
    /// is built first (a set that does not build changes nothing), then stored as pinned, so a
    /// restart runs it, and put in force; the set it replaces becomes the previous one (a
    /// rollback goes back to it). Returns the versions now in force. Blocking.
    pub fn deploy(&self, graphs: Sources) -> Result<Vec<String>, DeployError> {
        let mut sets = self.sets();
        let next = merged(&sets.current, graphs);
        let set = build(&next, self.choice, &self.dir).map_err(DeployError::Build)?;
        let encode = |s: &Sources| serde_json::to_string(s).map_err(|e| DeployError::Store(e.to_string()));
        let (pinned, replaced) = (encode(&next)?, encode(&sets.current)?);
        let store = |key, text: &str| {
            self.meta
                .set_blocking(key, text)
                .map_err(|e| DeployError::Store(e.to_string()))
        };
        store(PINNED, &pinned)?;
        store(PREVIOUS, &replaced)?;
        let versions = versions(&set);
        self.cell.store(Arc::new(set));
        let current = std::mem::replace(&mut sets.current, next);
        sets.previous = Some(current);
        Ok(versions)
    }

    /// Whether a rollback has a set to go back to.
    pub fn has_previous(&self) -> bool {
        self.sets().previous.is_some()
    }
}

/// `current` with `graphs` in place: each replaces the graph of its name, or is added.
fn merged(current: &Sources, graphs: Sources) -> Sources {
    let mut next = current.clone();
    for (name, json) in graphs {
        match next.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = json,
            None => next.push((name, json)),
        }
    }
    next.sort();
    next
}

/// Each graph's version, as `GET /v1/risk/rules` shows it.
pub fn versions(set: &RuleSet) -> Vec<String> {
    set.report().into_iter().map(|(version, _, _)| version).collect()
}
