//! A LightGBM ensemble together with its feature spec (`features.json`, format
//! `iou-features/1`, written by `scripts/train/train.py`): the column order, which columns are
//! categorical and each category's integer code, the missing-value tokens, and the score
//! scaling and bands shared with the scorecard.
//!
//! Encoding, as the training script fed LightGBM: a number as itself (LightGBM reads values
//! within 1e-35 of zero as zero), a known category as its code, a missing value or an unseen
//! category as NaN (LightGBM sends NaN right at a categorical split).

use serde::Deserialize;

use crate::error::LoadError;
use crate::gbdt::Gbdt;
use crate::scaling::{Bands, RawBand, Scaling};
use crate::schema::{Feature, Row, Schema, Value};

#[derive(Debug, Clone)]
pub struct GbdtModel {
    gbdt: Gbdt,
    schema: Schema,
    scaling: Scaling,
    bands: Bands,
}

#[derive(Deserialize)]
struct RawSpec {
    format: String,
    missing_values: Vec<String>,
    features: Vec<RawFeature>,
    scaling: Scaling,
    bands: Vec<RawBand>,
}

#[derive(Deserialize)]
struct RawFeature {
    name: String,
    kind: String,
    code: String,
    #[serde(default)]
    categories: Vec<String>,
}

const FORMAT: &str = "iou-features/1";

impl GbdtModel {
    /// A LightGBM dump (`lightgbm.json`) with its feature spec (`features.json`).
    pub fn from_lightgbm_json(dump: &str, features: &str) -> Result<Self, LoadError> {
        Self::new(Gbdt::from_lightgbm_json(dump)?, features)
    }

    /// Any ensemble with its feature spec; the spec must list the ensemble's features in order.
    pub fn new(gbdt: Gbdt, features: &str) -> Result<Self, LoadError> {
        let raw: RawSpec = serde_json::from_str(features).map_err(|source| LoadError::Json {
            what: "feature spec",
            source,
        })?;
        if raw.format != FORMAT {
            return Err(LoadError::Format {
                what: "feature spec",
                found: raw.format,
                expected: FORMAT,
            });
        }
        let names: Vec<&str> = raw.features.iter().map(|f| f.name.as_str()).collect();
        if names != gbdt.feature_names() {
            return Err(LoadError::FeatureMismatch(format!(
                "the spec lists [{}], the model [{}]",
                names.join(", "),
                gbdt.feature_names().join(", ")
            )));
        }
        let features = raw.features.into_iter().map(feature).collect::<Result<Vec<_>, _>>()?;
        Ok(GbdtModel {
            gbdt,
            schema: Schema::new(features, raw.missing_values)?,
            scaling: raw.scaling.check()?,
            bands: Bands::from_raw(raw.bands)?,
        })
    }

    pub fn gbdt(&self) -> &Gbdt {
        &self.gbdt
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn scaling(&self) -> Scaling {
        self.scaling
    }

    pub fn bands(&self) -> &Bands {
        &self.bands
    }

    /// Writes the numeric vector LightGBM sees for `row` into `out` (one slot per feature).
    pub fn encode(&self, row: &Row, out: &mut [f64]) {
        for (slot, value) in out.iter_mut().zip(row.values()) {
            *slot = match *value {
                Value::Number(x) if x.abs() <= crate::gbdt::ZERO_THRESHOLD => 0.0,
                Value::Number(x) => x,
                Value::Category(c) => f64::from(c),
                Value::Unseen | Value::Missing => f64::NAN,
            };
        }
    }
}

fn feature(f: RawFeature) -> Result<Feature, LoadError> {
    match f.kind.as_str() {
        "numeric" => Ok(Feature::numeric(f.name, f.code)),
        "categorical" => Feature::categorical(f.name, f.code, f.categories),
        other => Err(LoadError::Feature {
            feature: f.name,
            reason: format!("unknown kind {other:?}"),
        }),
    }
}
