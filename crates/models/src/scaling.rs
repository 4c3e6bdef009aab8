//! The map between log-odds, score points and probability of default, and the score bands.
//!
//! score = offset + factor * ln(odds of good), factor = PDO / ln 2, offset = base score -
//! factor * ln(base odds). The defaults trained by `scripts/train` are 600 points at 50:1 and
//! 20 points to double the odds; the files carry `factor` and `offset` so the scorer never
//! recomputes them.

use serde::Deserialize;

use crate::error::LoadError;

/// How points relate to odds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Scaling {
    pub factor: f64,
    pub offset: f64,
}

impl Scaling {
    pub(crate) fn check(self) -> Result<Self, LoadError> {
        if self.factor.is_finite() && self.factor > 0.0 && self.offset.is_finite() {
            Ok(self)
        } else {
            Err(LoadError::Scaling(format!(
                "factor {} and offset {} must be finite, factor > 0",
                self.factor, self.offset
            )))
        }
    }

    /// The probability of default at `score`.
    pub fn pd_of_score(self, score: f64) -> f64 {
        1.0 / (1.0 + ((score - self.offset) / self.factor).exp())
    }

    /// The score of a model whose log-odds of default is `logit`.
    pub fn score_of_logit(self, logit: f64) -> f64 {
        self.offset - self.factor * logit
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawBand {
    band: String,
    min_score: Option<f64>,
}

/// Score bands, best first: a score is in the first band whose minimum it reaches; the last
/// band has no minimum.
#[derive(Debug, Clone)]
pub struct Bands {
    names: Vec<String>,
    min_scores: Vec<f64>,
}

impl Bands {
    pub(crate) fn from_raw(raw: Vec<RawBand>) -> Result<Self, LoadError> {
        let Some((last, rest)) = raw.split_last() else {
            return Err(LoadError::Bands("no bands".into()));
        };
        if last.min_score.is_some() {
            return Err(LoadError::Bands(format!(
                "the last band {:?} must have no min_score",
                last.band
            )));
        }
        let mut min_scores = Vec::with_capacity(rest.len());
        for b in rest {
            let m = b
                .min_score
                .filter(|m| m.is_finite())
                .ok_or_else(|| LoadError::Bands(format!("band {:?} needs a finite min_score", b.band)))?;
            if min_scores.last().is_some_and(|&prev| m >= prev) {
                return Err(LoadError::Bands(format!(
                    "band {:?}: min_scores must fall from band to band",
                    b.band
                )));
            }
            min_scores.push(m);
        }
        Ok(Bands {
            names: raw.into_iter().map(|b| b.band).collect(),
            min_scores,
        })
    }

    /// The band of `score`.
    pub fn band_of(&self, score: f64) -> &str {
        let i = self
            .min_scores
            .iter()
            .position(|&m| score >= m)
            .unwrap_or(self.min_scores.len());
        &self.names[i]
    }

    /// Band names, best first.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}
