//! A points scorecard (`scorecard.json`, format `iou-scorecard/1`, written by
//! `scripts/train/train.py`): per feature a set of bins with points, a bin for missing values
//! and, for a categorical feature, points for categories never seen in training.
//!
//! A numeric feature with split points `s0 < s1 < ...` has bins `(-inf, s0)`, `[s0, s1)`, ...,
//! `[s_last, inf)` (optbinning's convention: a value equal to a split point goes right). The
//! score is `base_points` plus each feature's points, added in file order; the probability of
//! default is logistic in the score (see [`Scaling`]). A categorical feature without `unseen`
//! points gives an unseen category 0 points (weight of evidence 0).

use serde::Deserialize;

use crate::error::LoadError;
use crate::scaling::{Bands, RawBand, Scaling};
use crate::schema::{Feature, Row, Schema, Value};

/// The bin a value falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bin {
    /// A regular bin, by position in the feature's `bins`.
    Index(usize),
    Missing,
    /// A category not seen in training.
    Unseen,
}

#[derive(Debug, Clone)]
pub struct Scorecard {
    schema: Schema,
    base_points: f64,
    features: Vec<CardFeature>,
    scaling: Scaling,
    bands: Bands,
}

#[derive(Debug, Clone)]
struct CardFeature {
    /// Numeric split points, ascending (empty for a categorical feature).
    splits: Vec<f64>,
    /// For a categorical feature, the bin of each category code.
    category_bins: Vec<usize>,
    points: Vec<f64>,
    missing_points: f64,
    unseen_points: f64,
    /// The most points this feature can give (over the bins seen in training).
    best_points: f64,
}

#[derive(Deserialize)]
struct RawCard {
    format: String,
    missing_values: Vec<String>,
    scaling: Scaling,
    bands: Vec<RawBand>,
    base_points: f64,
    features: Vec<RawFeature>,
}

#[derive(Deserialize)]
struct RawFeature {
    name: String,
    kind: String,
    code: String,
    #[serde(default)]
    splits: Vec<f64>,
    bins: Vec<RawBin>,
    missing: RawSpecial,
    unseen: Option<RawSpecial>,
}

#[derive(Deserialize)]
struct RawBin {
    #[serde(default)]
    categories: Vec<String>,
    points: f64,
}

#[derive(Deserialize)]
struct RawSpecial {
    points: f64,
    #[serde(default)]
    count: u64,
}

const FORMAT: &str = "iou-scorecard/1";

impl Scorecard {
    pub fn from_json(json: &str) -> Result<Self, LoadError> {
        let raw: RawCard = serde_json::from_str(json).map_err(|source| LoadError::Json {
            what: "scorecard",
            source,
        })?;
        if raw.format != FORMAT {
            return Err(LoadError::Format {
                what: "scorecard",
                found: raw.format,
                expected: FORMAT,
            });
        }
        if !raw.base_points.is_finite() {
            return Err(LoadError::Scaling("base_points must be finite".into()));
        }
        let mut schema_features = Vec::with_capacity(raw.features.len());
        let mut features = Vec::with_capacity(raw.features.len());
        for f in raw.features {
            let (feature, card) = card_feature(f)?;
            schema_features.push(feature);
            features.push(card);
        }
        Ok(Scorecard {
            schema: Schema::new(schema_features, raw.missing_values)?,
            base_points: raw.base_points,
            features,
            scaling: raw.scaling.check()?,
            bands: Bands::from_raw(raw.bands)?,
        })
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

    pub fn base_points(&self) -> f64 {
        self.base_points
    }

    /// The bin of `value` for feature `feature`.
    pub fn bin(&self, feature: usize, value: Value) -> Bin {
        let f = &self.features[feature];
        match value {
            Value::Number(x) if f.category_bins.is_empty() => Bin::Index(f.splits.partition_point(|&s| s <= x)),
            Value::Category(c) => f.category_bins.get(c as usize).map_or(Bin::Unseen, |&b| Bin::Index(b)),
            Value::Unseen => Bin::Unseen,
            Value::Number(_) | Value::Missing => Bin::Missing,
        }
    }

    /// The points of `bin` for feature `feature`.
    pub fn points(&self, feature: usize, bin: Bin) -> f64 {
        let f = &self.features[feature];
        match bin {
            Bin::Index(i) => f.points[i],
            Bin::Missing => f.missing_points,
            Bin::Unseen => f.unseen_points,
        }
    }

    /// The total score of `row`; writes into `lost[j]` how many points feature `j` gave up
    /// against the best it could have given.
    pub fn score_with_losses(&self, row: &Row, lost: &mut [f64]) -> f64 {
        let mut total = self.base_points;
        for (j, (f, &value)) in self.features.iter().zip(row.values()).enumerate() {
            let points = self.points(j, self.bin(j, value));
            total += points;
            lost[j] = f.best_points - points;
        }
        total
    }
}

fn card_feature(f: RawFeature) -> Result<(Feature, CardFeature), LoadError> {
    let fail = |reason: String| LoadError::Feature {
        feature: f.name.clone(),
        reason,
    };
    let points: Vec<f64> = f.bins.iter().map(|b| b.points).collect();
    let unseen_points = f.unseen.as_ref().map_or(0.0, |u| u.points);
    if points.is_empty() {
        return Err(fail("no bins".into()));
    }
    if !points
        .iter()
        .chain([&f.missing.points, &unseen_points])
        .all(|p| p.is_finite())
    {
        return Err(fail("points must be finite".into()));
    }
    let mut best_points = points.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if f.missing.count > 0 {
        best_points = best_points.max(f.missing.points);
    }
    let (feature, splits, category_bins) = match f.kind.as_str() {
        "numeric" => {
            if f.splits.len() + 1 != points.len() {
                return Err(fail(format!(
                    "{} splits need {} bins, found {}",
                    f.splits.len(),
                    f.splits.len() + 1,
                    points.len()
                )));
            }
            if !f.splits.iter().all(|s| s.is_finite()) || !f.splits.windows(2).all(|w| w[0] < w[1]) {
                return Err(fail("splits must be finite and ascending".into()));
            }
            (Feature::numeric(&f.name, &f.code), f.splits, Vec::new())
        }
        "categorical" => {
            let mut names = Vec::new();
            let mut bins = Vec::new();
            for (b, bin) in f.bins.iter().enumerate() {
                for c in &bin.categories {
                    names.push(c.clone());
                    bins.push(b);
                }
            }
            (Feature::categorical(&f.name, &f.code, names)?, Vec::new(), bins)
        }
        other => return Err(fail(format!("unknown kind {other:?}"))),
    };
    let card = CardFeature {
        splits,
        category_bins,
        points,
        missing_points: f.missing.points,
        unseen_points,
        best_points,
    };
    Ok((feature, card))
}
