//! The common face of the models: a [`Model`] scores a [`Row`] into a probability of default,
//! a score, a band and reason codes.
//!
//! Reason codes are the features that cost the applicant the most points:
//! - scorecard: the points a feature gave up against the best points it can give;
//! - LightGBM: the feature's contribution to the log-odds of default, in score points
//!   (`factor * sigmoid * contribution`), by path attribution (default, cheap) or TreeSHAP.
//!
//! Only features that cost points (more than zero) are reasons; ties keep feature order.

use crate::gbdt::{ForestScratch, ShapScratch};
use crate::gbdt_model::GbdtModel;
use crate::scaling::Bands;
use crate::schema::{Row, Schema};
use crate::scorecard::Scorecard;

#[derive(Debug, Clone)]
pub enum Model {
    Scorecard(Scorecard),
    Gbdt(GbdtModel),
}

/// How tree contributions are attributed to features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Attribution {
    /// Per-tree path attribution (Saabas): one walk per tree, as cheap as the prediction.
    #[default]
    Path,
    /// TreeSHAP, equal to LightGBM's `pred_contrib`; tens of microseconds a row.
    Shap,
}

/// How to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The most reason codes to return (0: none, and no attribution work).
    pub reasons: usize,
    /// The attribution used for tree models (a scorecard's points need none).
    pub attribution: Attribution,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reasons: 3,
            attribution: Attribution::Path,
        }
    }
}

/// A feature that counted against the applicant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reason<'m> {
    pub feature: &'m str,
    pub code: &'m str,
    /// Score points this feature cost.
    pub points: f64,
}

/// The outcome of scoring one row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scored<'m> {
    /// Probability of default (bad).
    pub pd: f64,
    /// Score points: higher is safer.
    pub score: f64,
    pub band: &'m str,
    /// Reasons, the costliest first.
    pub reasons: Vec<Reason<'m>>,
}

/// Buffers reused from row to row so that scoring allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    encoded: Vec<f64>,
    costs: Vec<f64>,
    contributions: Vec<f64>,
    forest: ForestScratch,
    shap: ShapScratch,
}

impl Model {
    pub fn schema(&self) -> &Schema {
        match self {
            Model::Scorecard(m) => m.schema(),
            Model::Gbdt(m) => m.schema(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Model::Scorecard(_) => "scorecard",
            Model::Gbdt(_) => "lightgbm",
        }
    }

    pub fn bands(&self) -> &Bands {
        match self {
            Model::Scorecard(m) => m.bands(),
            Model::Gbdt(m) => m.bands(),
        }
    }

    /// Buffers sized for this model.
    pub fn workspace(&self) -> Workspace {
        let n = self.schema().features().len();
        let depth = match self {
            Model::Scorecard(_) => 0,
            Model::Gbdt(m) => m.gbdt().max_depth(),
        };
        Workspace {
            encoded: vec![0.0; n],
            costs: vec![0.0; n],
            contributions: vec![0.0; n + 1],
            forest: ForestScratch::default(),
            shap: ShapScratch::new(depth),
        }
    }

    /// Scores `row` with the default [`Options`]. Allocates; see [`Model::score_into`].
    pub fn score(&self, row: &Row) -> Scored<'_> {
        let mut out = Scored::default();
        self.score_into(row, Options::default(), &mut self.workspace(), &mut out);
        out
    }

    /// Scores `row` (built by this model's [`Schema`]) into `out`, reusing `ws` (from
    /// [`Model::workspace`]) and `out.reasons`' capacity.
    pub fn score_into<'m>(&'m self, row: &Row, options: Options, ws: &mut Workspace, out: &mut Scored<'m>) {
        ws.fit(self.schema().features().len());
        let (pd, score) = match self {
            Model::Scorecard(card) => {
                let score = card.score_with_losses(row, &mut ws.costs);
                (card.scaling().pd_of_score(score), score)
            }
            Model::Gbdt(model) => score_gbdt(model, row, options, ws),
        };
        out.pd = pd;
        out.score = score;
        out.band = self.bands().band_of(score);
        out.reasons.clear();
        if options.reasons > 0 {
            top_reasons(self.schema(), &ws.costs, options.reasons, &mut out.reasons);
        }
    }
}

impl Workspace {
    /// Sizes the buffers for `n` features (a workspace made for another model still works).
    fn fit(&mut self, n: usize) {
        if self.encoded.len() != n || self.contributions.len() != n + 1 {
            self.encoded.resize(n, 0.0);
            self.costs.resize(n, 0.0);
            self.contributions.resize(n + 1, 0.0);
        }
    }
}

fn score_gbdt(model: &GbdtModel, row: &Row, options: Options, ws: &mut Workspace) -> (f64, f64) {
    let gbdt = model.gbdt();
    model.encode(row, &mut ws.encoded);
    let raw = match (options.reasons, options.attribution) {
        (0, _) => return finish_gbdt(model, gbdt.predict_raw_with(&ws.encoded, &mut ws.forest)),
        (_, Attribution::Path) => gbdt.path_contributions(&ws.encoded, &mut ws.forest, &mut ws.contributions),
        (_, Attribution::Shap) => {
            gbdt.shap_contributions(&ws.encoded, &mut ws.shap, &mut ws.contributions);
            gbdt.predict_raw_with(&ws.encoded, &mut ws.forest)
        }
    };
    let points_per_raw = model.scaling().factor * gbdt.sigmoid();
    for (cost, c) in ws.costs.iter_mut().zip(&ws.contributions) {
        *cost = points_per_raw * c;
    }
    finish_gbdt(model, raw)
}

/// Probability of default and score of a raw margin.
fn finish_gbdt(model: &GbdtModel, raw: f64) -> (f64, f64) {
    let gbdt = model.gbdt();
    (
        gbdt.probability(raw),
        model.scaling().score_of_logit(gbdt.sigmoid() * raw),
    )
}

/// Keeps the `k` largest positive costs, largest first, earlier features first on ties.
fn top_reasons<'m>(schema: &'m Schema, costs: &[f64], k: usize, out: &mut Vec<Reason<'m>>) {
    for (feature, &points) in schema.features().iter().zip(costs) {
        if points <= 0.0 || out.len() == k && out[k - 1].points >= points {
            continue;
        }
        let at = out.partition_point(|r| r.points >= points);
        if out.len() == k {
            out.pop();
        }
        out.insert(
            at,
            Reason {
                feature: feature.name(),
                code: feature.code(),
                points,
            },
        );
    }
}
