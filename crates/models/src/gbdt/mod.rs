//! Gradient-boosted trees for binary classification, read from a LightGBM model dump and
//! evaluated exactly as LightGBM predicts: the raw score is the sum of the trees' leaf values
//! in tree order, the probability is `1 / (1 + exp(-sigmoid * raw))`.
//!
//! Feature attributions: [`Gbdt::path_contributions`] (per-tree path attribution, Saabas: each
//! split charges its feature with the change in the count-weighted mean output, cheap enough
//! for every decision) and [`Gbdt::shap_contributions`] (TreeSHAP, equal to LightGBM's
//! `predict(pred_contrib=True)`). Both sum with the bias term to the raw score.

mod forest;
mod lightgbm;
mod shap;
mod tree;

use crate::error::LoadError;
use forest::Forest;
pub use forest::ForestScratch;
use tree::Tree;

pub use shap::ShapScratch;
pub(crate) use tree::ZERO_THRESHOLD;

/// A boosted tree ensemble over a numeric feature vector (categorical features as their
/// integer codes, missing values as NaN).
#[derive(Debug, Clone)]
pub struct Gbdt {
    trees: Vec<Tree>,
    forest: Forest,
    feature_names: Vec<String>,
    sigmoid: f64,
    average_output: bool,
}

impl Gbdt {
    /// Reads the JSON of LightGBM's `Booster.dump_model()`.
    pub fn from_lightgbm_json(json: &str) -> Result<Self, LoadError> {
        lightgbm::parse(json)
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// The coefficient of the logistic link: log-odds = `sigmoid * raw`.
    pub fn sigmoid(&self) -> f64 {
        self.sigmoid
    }

    /// The raw score (LightGBM `raw_score=True`). `features` holds one value per feature
    /// (a shorter slice is a caller bug and panics; [`crate::GbdtModel::encode`] sizes it).
    pub fn predict_raw(&self, features: &[f64]) -> f64 {
        self.predict_raw_with(features, &mut ForestScratch::default())
    }

    /// [`Gbdt::predict_raw`] reusing `scratch` from row to row, so it allocates nothing.
    pub fn predict_raw_with(&self, features: &[f64], scratch: &mut ForestScratch) -> f64 {
        debug_assert_eq!(features.len(), self.feature_names.len(), "one value per feature");
        let raw = self.forest.sum(features, scratch);
        if self.average_output && !self.trees.is_empty() {
            raw / self.trees.len() as f64
        } else {
            raw
        }
    }

    /// The probability of the positive class (bad) for a raw score.
    pub fn probability(&self, raw: f64) -> f64 {
        1.0 / (1.0 + (-self.sigmoid * raw).exp())
    }

    /// Path attribution (Saabas) of the raw score, which it returns (equal to
    /// [`Gbdt::predict_raw`]): writes each feature's share to `out[feature]` and the trees' mean
    /// outputs to `out[n_features]` (the bias); `out` has one slot more than there are features.
    pub fn path_contributions(&self, features: &[f64], scratch: &mut ForestScratch, out: &mut [f64]) -> f64 {
        let n = self.feature_names.len();
        out[..=n].fill(0.0);
        let raw = self.forest.sum_with_paths(features, scratch, &mut out[..=n]);
        self.scale_if_averaged(&mut out[..=n]);
        if self.average_output && !self.trees.is_empty() {
            raw / self.trees.len() as f64
        } else {
            raw
        }
    }

    /// TreeSHAP values of the raw score, as LightGBM's `pred_contrib`: `out[feature]` per
    /// feature and the expected value in `out[n_features]`; overwritten.
    pub fn shap_contributions(&self, features: &[f64], scratch: &mut ShapScratch, out: &mut [f64]) {
        let n = self.feature_names.len();
        out[..=n].fill(0.0);
        for tree in &self.trees {
            out[n] += tree.expected_value();
            shap::tree_shap(tree, features, scratch, out);
        }
        self.scale_if_averaged(&mut out[..=n]);
    }

    /// The deepest tree's depth, to size a [`ShapScratch`].
    pub fn max_depth(&self) -> usize {
        self.trees.iter().map(|t| t.depth).max().unwrap_or(0)
    }

    fn scale_if_averaged(&self, out: &mut [f64]) {
        if self.average_output && !self.trees.is_empty() {
            let n = self.trees.len() as f64;
            out.iter_mut().for_each(|v| *v /= n);
        }
    }
}
