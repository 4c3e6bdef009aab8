//! The ways a model file, a column set or a cell can be rejected, as values. A message never
//! repeats its source error: callers print the chain (`{:#}`), which adds it once.

use thiserror::Error;

/// A model file that cannot be used.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("not valid JSON for a {what}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("unsupported {what} format {found:?} (expected {expected:?})")]
    Format {
        what: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("unsupported LightGBM objective {0:?} (only binary classification is scored)")]
    Objective(String),
    #[error("LightGBM tree {tree}: {reason}")]
    Tree { tree: usize, reason: String },
    #[error("feature {feature:?}: {reason}")]
    Feature { feature: String, reason: String },
    #[error("the feature spec does not match the model: {0}")]
    FeatureMismatch(String),
    #[error("bad score bands: {0}")]
    Bands(String),
    #[error("bad score scaling: {0}")]
    Scaling(String),
    #[error("cannot read {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Unrecognized(String),
}

/// A header (column set) that cannot feed a model.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ColumnError {
    #[error("missing column(s) the model needs: {}", .0.join(", "))]
    Missing(Vec<String>),
    #[error("column {0:?} appears more than once")]
    Duplicate(String),
    #[error("unknown column {0:?}: the model has no such feature")]
    Unknown(String),
}

/// A cell that cannot be read as its feature's kind.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ValueError {
    #[error("column {column:?}: {value:?} is not a finite number")]
    BadNumber { column: String, value: String },
    #[error("column {column:?}: the row has no cell for it")]
    MissingCell { column: String },
}
