//! [`JdmTable`]: one GoRules JDM decision graph of `rules/limits/`, compiled once by zen-engine
//! and evaluated synchronously through `risk::rules::zen`, the one zen-engine wrapper (the
//! graphs call nothing, so their future is ready at once).
//!
//! Why not `risk`'s graph machinery: it is built around the checkpoint context and the
//! `{outcome, reasons, challenge}` output contract; these tables take their own inputs and
//! return limits and tiers. Both read the same JDM format, so an analyst edits them alike.
//! zen-engine's compiled evaluation of these tables takes a few microseconds (see the crate's
//! benchmark), against hundreds of microseconds of engine round trips in an approval.

use std::sync::Arc;

use risk::rules::zen;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use zen_engine::model::DecisionContent;
use zen_expression::variable::Variable;

/// Why a table could not be loaded or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("table {name}: needs \"metadata\": {{\"table\": {name:?}, \"version\": <positive integer>}}: {error}")]
    Metadata { name: String, error: String },
    #[error("table {name}: {error}")]
    Invalid { name: String, error: String },
    #[error("table {name}: evaluation failed: {error}")]
    Evaluation { name: String, error: String },
    #[error("table {name}: unexpected output: {error}")]
    Output { name: String, error: String },
    #[error("reading {path}: {error}")]
    Io { path: String, error: String },
}

#[derive(Deserialize)]
struct Header {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    table: String,
    version: std::num::NonZeroU32,
}

/// A compiled decision graph with its name and version.
#[derive(Debug)]
pub struct JdmTable {
    name: String,
    version: u32,
    decision: zen_engine::Decision,
}

impl JdmTable {
    /// Parses, validates and compiles `json`, whose `metadata.table` must be `name`.
    pub fn from_json(name: &str, json: &str) -> Result<JdmTable, TableError> {
        let metadata = |error: String| TableError::Metadata {
            name: name.to_owned(),
            error,
        };
        let header: Header = serde_json::from_str(json).map_err(|e| metadata(e.to_string()))?;
        if header.metadata.table != name {
            return Err(metadata(format!("the file says it is {:?}", header.metadata.table)));
        }
        let invalid = |error: String| TableError::Invalid {
            name: name.to_owned(),
            error,
        };
        let content: DecisionContent = serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
        let decision = zen::compile(Arc::new(content)).map_err(invalid)?;
        Ok(JdmTable {
            name: name.to_owned(),
            version: header.metadata.version.get(),
            decision,
        })
    }

    /// Reads `<dir>/<name>.json` and compiles it.
    pub fn load(dir: &std::path::Path, name: &str) -> Result<JdmTable, TableError> {
        let path = dir.join(format!("{name}.json"));
        let json = std::fs::read_to_string(&path).map_err(|e| TableError::Io {
            path: path.display().to_string(),
            error: e.to_string(),
        })?;
        JdmTable::from_json(name, &json)
    }

    /// `name@v<version>`, recorded with every decision the table took.
    pub fn version(&self) -> String {
        format!("{}@v{}", self.name, self.version)
    }

    /// Evaluates the graph on `input` and reads its result as `T`.
    pub fn evaluate<T: DeserializeOwned>(&self, input: serde_json::Value) -> Result<T, TableError> {
        let response =
            zen::evaluate(&self.decision, Variable::from(input), false).map_err(|error| TableError::Evaluation {
                name: self.name.clone(),
                error,
            })?;
        let value = serde_json::to_value(&response.result).map_err(|e| self.output(e.to_string()))?;
        serde_json::from_value(value).map_err(|e| self.output(e.to_string()))
    }

    fn output(&self, error: String) -> TableError {
        TableError::Output {
            name: self.name.clone(),
            error,
        }
    }
}
