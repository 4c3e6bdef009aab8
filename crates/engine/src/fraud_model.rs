//! The fraud model at the payment checkpoint: a LightGBM ensemble trained by
//! `scripts/train/train_fraud.py` on labelled payment decisions (`iou labels export`), scored
//! in Rust with TreeSHAP reason codes, deterministically (no clock, no randomness: the same
//! journaled input gives the same score).
//!
//! Its inputs are named, never positional: `features.json` lists the rules' own field paths
//! (`features.user.payments_5m`, `input.amount`, `input.channel`, ...), and each is read through
//! the rules' one field table ([`risk::rules::NamedField`]), so a model retrained on a feature
//! added to that table loads with no code change here. A name the table does not know is a load
//! error, and so is a model that reads a model score (`models.*`).
//!
//! Shadow first: the score is always journaled beside the decision ([`FraudScore`]), but the
//! live graph sees it only when its metadata says `"fraud_model": "live"`
//! ([`risk::rules::ModelUse`]); promotion is a rule-set deploy (four-eyes and audit log).

use std::path::Path;
use std::sync::Arc;

use models::{ForestScratch, GbdtModel, ShapScratch};
use risk::RuleContext;
use risk::rules::{FieldValue, NamedField};
use serde::{Deserialize, Serialize};

/// The reason codes kept per decision: the features that pushed the score up most.
pub const REASONS: usize = 3;

/// The score from which reason codes are computed: half the challenge threshold of the shipped
/// payment graph's model rows (0.7), so every payment the model can challenge or deny has them.
pub const REASONS_FROM: f64 = 0.35;

/// The prefix of a model reason code (`MODEL:features.user.amount_vs_mean_pct`).
pub const REASON_PREFIX: &str = "MODEL:";

/// The shipped model (`models/fraud/`), built into the binary like the rules.
pub const SHIPPED_DUMP: &str = include_str!("../../../models/fraud/lightgbm.json");
pub const SHIPPED_FEATURES: &str = include_str!("../../../models/fraud/features.json");

/// Why a fraud model cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FraudModelError {
    #[error("fraud model files")]
    Load(#[from] models::LoadError),
    #[error("cannot read {path}")]
    Io { path: String, source: std::io::Error },
    #[error("fraud model feature {0:?} is not a field of the rules' table (rules/README.md)")]
    UnknownFeature(String),
    #[error("fraud model feature {0:?} is a model score: a model may not read models")]
    ModelInput(String),
}

/// One model input: the field it reads and, for a categorical feature, its categories in code
/// order.
#[derive(Debug)]
struct Input {
    field: NamedField,
    categories: Vec<String>,
    categorical: bool,
}

/// A loaded fraud model.
#[derive(Debug)]
pub struct FraudModel {
    model: GbdtModel,
    inputs: Vec<Input>,
    id: Arc<str>,
}

/// What the model said about one payment, journaled with its decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FraudScore {
    /// The model that scored (`fraud/<digest of lightgbm.json>`).
    pub model: String,
    /// Probability (0..=1) that the payment is fraud.
    pub score: f64,
    /// The features that pushed the score up most, largest first.
    pub reasons: Vec<ModelReason>,
}

/// One TreeSHAP reason: the feature and its contribution to the log-odds of fraud.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelReason {
    /// `MODEL:<field path>`.
    pub code: String,
    pub contribution: f64,
}

/// Buffers reused from payment to payment (one per partition).
#[derive(Debug, Default)]
pub struct FraudScratch {
    values: Vec<f64>,
    contributions: Vec<f64>,
    forest: ForestScratch,
    shap: ShapScratch,
}

impl FraudModel {
    /// A model from its LightGBM dump and feature spec.
    pub fn from_json(dump: &str, features: &str) -> Result<FraudModel, FraudModelError> {
        let model = GbdtModel::from_lightgbm_json(dump, features)?;
        let inputs = model
            .schema()
            .features()
            .iter()
            .map(|f| {
                if f.name().starts_with("models.") {
                    return Err(FraudModelError::ModelInput(f.name().to_owned()));
                }
                let field =
                    NamedField::find(f.name()).ok_or_else(|| FraudModelError::UnknownFeature(f.name().to_owned()))?;
                Ok(Input {
                    field,
                    categories: f.categories().to_vec(),
                    categorical: f.kind() == models::Kind::Categorical,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FraudModel {
            model,
            inputs,
            id: Arc::from(format!("fraud/{:016x}", fnv1a64(dump.as_bytes()))),
        })
    }

    /// The model built into the binary (`models/fraud/`).
    pub fn shipped() -> Result<FraudModel, FraudModelError> {
        Self::from_json(SHIPPED_DUMP, SHIPPED_FEATURES)
    }

    /// A model directory as `train_fraud.py` writes it (`lightgbm.json`, `features.json`).
    pub fn load_dir(dir: &Path) -> Result<FraudModel, FraudModelError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| FraudModelError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        Self::from_json(&read(models::dir::LIGHTGBM_FILE)?, &read(models::dir::FEATURES_FILE)?)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The input paths in the model's column order.
    pub fn feature_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.inputs.iter().map(|i| i.field.path())
    }

    /// Writes the vector LightGBM sees for `ctx` into `out` (numbers as themselves, a category
    /// as its code, missing values and unseen categories as NaN).
    pub fn encode(&self, ctx: &RuleContext<'_>, out: &mut Vec<f64>) {
        out.clear();
        out.extend(
            self.inputs
                .iter()
                .map(|input| encode_value(input, input.field.read(ctx))),
        );
    }

    /// Scores the payment `ctx` describes, with [`REASONS`] TreeSHAP reason codes when the score is
    /// at least [`REASONS_FROM`] (none below: the payment path cannot afford them on every payment).
    pub fn score(&self, ctx: &RuleContext<'_>, scratch: &mut FraudScratch) -> FraudScore {
        self.encode(ctx, &mut scratch.values);
        self.score_encoded(scratch)
    }

    /// Scores the vector already in `scratch.values`.
    fn score_encoded(&self, scratch: &mut FraudScratch) -> FraudScore {
        let gbdt = self.model.gbdt();
        let n = self.inputs.len();
        scratch.contributions.resize(n + 1, 0.0);
        let raw = gbdt.predict_raw_with(&scratch.values, &mut scratch.forest);
        let score = gbdt.probability(raw);
        // TreeSHAP costs about a hundred times the score itself: it runs only where the model
        // can matter to the decision (BENCHMARKS.md, "The fraud model").
        let reasons = if score >= REASONS_FROM {
            gbdt.shap_contributions(&scratch.values, &mut scratch.shap, &mut scratch.contributions);
            self.top_reasons(&scratch.contributions[..n])
        } else {
            Vec::new()
        };
        FraudScore {
            model: self.id.to_string(),
            score,
            reasons,
        }
    }

    /// The raw score and probability of an already encoded vector (the oracle tests).
    pub fn predict_encoded(&self, values: &[f64]) -> (f64, f64) {
        let gbdt = self.model.gbdt();
        let raw = gbdt.predict_raw(values);
        (raw, gbdt.probability(raw))
    }

    /// TreeSHAP contributions of an already encoded vector, bias last (the oracle tests).
    pub fn contributions_encoded(&self, values: &[f64]) -> Vec<f64> {
        let gbdt = self.model.gbdt();
        let mut out = vec![0.0; self.inputs.len() + 1];
        gbdt.shap_contributions(values, &mut ShapScratch::new(gbdt.max_depth()), &mut out);
        out
    }

    /// The encoding of one named cell as `train_fraud.py` wrote it in `expected.csv`.
    pub fn encode_cell(&self, feature: usize, cell: &str) -> f64 {
        let input = &self.inputs[feature];
        if cell.is_empty() {
            return f64::NAN;
        }
        if input.categorical {
            return input
                .categories
                .iter()
                .position(|c| c == cell)
                .map_or(f64::NAN, |i| i as f64);
        }
        cell.parse().unwrap_or(f64::NAN)
    }

    /// The `k` largest positive contributions, largest first; ties keep feature order.
    fn top_reasons(&self, contributions: &[f64]) -> Vec<ModelReason> {
        let mut order: Vec<usize> = (0..contributions.len()).filter(|&i| contributions[i] > 0.0).collect();
        order.sort_by(|&a, &b| contributions[b].total_cmp(&contributions[a]).then(a.cmp(&b)));
        order
            .into_iter()
            .take(REASONS)
            .map(|i| ModelReason {
                code: format!("{REASON_PREFIX}{}", self.inputs[i].field.path()),
                contribution: contributions[i],
            })
            .collect()
    }
}

fn encode_value(input: &Input, value: FieldValue) -> f64 {
    match value {
        FieldValue::Missing => f64::NAN,
        FieldValue::Number(x) if !input.categorical => x,
        FieldValue::Number(_) => f64::NAN,
        FieldValue::Text(t) if input.categorical => input
            .categories
            .iter()
            .position(|c| c == t)
            .map_or(f64::NAN, |i| i as f64),
        FieldValue::Text(_) => f64::NAN,
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
