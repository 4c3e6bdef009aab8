//! Loading models from the file system: the one module of this crate that does IO.
//!
//! A model directory (as written by `scripts/train/train.py`) holds `scorecard.json`,
//! `lightgbm.json` and `features.json`. A directory's primary model is its scorecard (reason
//! codes for a decline come from the scorecard's points), or its LightGBM model when it has no
//! scorecard. A file is recognised by its content: a scorecard has `"format":
//! "iou-scorecard/1"`, a LightGBM dump has `tree_info` and needs `features.json` beside it.

use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::LoadError;
use crate::gbdt_model::GbdtModel;
use crate::model::Model;
use crate::scorecard::Scorecard;

pub const SCORECARD_FILE: &str = "scorecard.json";
pub const LIGHTGBM_FILE: &str = "lightgbm.json";
pub const FEATURES_FILE: &str = "features.json";

/// Loads a model file or a model directory's primary model.
pub fn load(path: &Path) -> Result<Model, LoadError> {
    if path.is_dir() {
        return load_dir(path);
    }
    let text = read(path)?;
    #[derive(Deserialize)]
    struct Peek {
        format: Option<String>,
        tree_info: Option<IgnoredAny>,
    }
    let peek: Peek = serde_json::from_str(&text).map_err(|source| LoadError::Json {
        what: "model file",
        source,
    })?;
    match (peek.format.as_deref(), peek.tree_info) {
        (Some("iou-scorecard/1"), _) => Ok(Model::Scorecard(Scorecard::from_json(&text)?)),
        (_, Some(_)) => {
            let features = path.with_file_name(FEATURES_FILE);
            Ok(Model::Gbdt(GbdtModel::from_lightgbm_json(&text, &read(&features)?)?))
        }
        _ => Err(LoadError::Unrecognized(format!(
            "{}: neither a scorecard (format iou-scorecard/1) nor a LightGBM dump (tree_info)",
            path.display()
        ))),
    }
}

/// The primary model of a model directory.
pub fn load_dir(dir: &Path) -> Result<Model, LoadError> {
    let card = dir.join(SCORECARD_FILE);
    if card.exists() {
        return Ok(Model::Scorecard(Scorecard::from_json(&read(&card)?)?));
    }
    let dump = dir.join(LIGHTGBM_FILE);
    if dump.exists() {
        let features = read(&dir.join(FEATURES_FILE))?;
        return Ok(Model::Gbdt(GbdtModel::from_lightgbm_json(&read(&dump)?, &features)?));
    }
    Err(LoadError::Unrecognized(format!(
        "{}: no {SCORECARD_FILE} or {LIGHTGBM_FILE}",
        dir.display()
    )))
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })
}
