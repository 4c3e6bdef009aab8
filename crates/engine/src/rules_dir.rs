//! The `rules/` folder: loading every graph file into a rule set, for whoever starts an engine
//! with rules (the server, the simulator, backtests, tests). Watching the folder and swapping an
//! edited set in is the server's business (`api`'s rules watcher), not the engine's: the engine
//! only reads the `RuleSetCell` it was given.

use std::path::{Path, PathBuf};

use risk::{EvaluatorChoice, RuleSet};

/// Why a rules folder could not be loaded. The message never repeats its source: print the
/// chain (`{:#}` in a binary, [`RulesDirError::chain`] where one string is needed).
#[derive(Debug, thiserror::Error)]
pub enum RulesDirError {
    #[error("cannot read {path}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("rules in {dir}")]
    Rules { dir: PathBuf, source: risk::RuleSetError },
}

impl RulesDirError {
    /// The message followed by each cause once (`what: cause: cause`), for a log field or an
    /// API reply that holds one string.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            text.push_str(": ");
            text.push_str(&error.to_string());
            cause = error.source();
        }
        text
    }
}

/// The `*.json` graph files of `dir`, by name, in name order (README and other files are
/// ignored).
pub fn graph_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, RulesDirError> {
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
