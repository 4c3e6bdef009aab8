//! [`ModelScores`]: what the model crate computed for this event, as the rules see it.
//! Risk never loads or runs a model; the caller scores first and passes the numbers in.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Scores of the models that ran for this event; `None` when a model did not run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelScores {
    /// Probability (0..=1) that the event is fraud.
    pub fraud_score: Option<f64>,
    /// Probability (0..=1) that the customer defaults (credit scorecard or trees).
    pub credit_pd: Option<f64>,
    /// Scorecard points (higher is better), if a points scorecard ran.
    pub credit_score: Option<i32>,
}

/// Decimal places a probability keeps when it enters the rules (both evaluators see exactly the
/// same decimal, so `>= 0.85` means the same thing to both).
pub const SCORE_DECIMALS: u32 = 4;

/// A probability as the rules see it: rounded half-up to 4 places; NaN and infinities are
/// treated as "model did not run".
pub fn score_decimal(score: Option<f64>) -> Option<Decimal> {
    let value = score.filter(|s| s.is_finite())?;
    let scaled = (value * 10f64.powi(SCORE_DECIMALS as i32)).round();
    if scaled.abs() > 1e15 {
        return None;
    }
    Some(Decimal::new(scaled as i64, SCORE_DECIMALS))
}
