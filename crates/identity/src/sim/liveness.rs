//! [`SimulatedLiveness`]: the liveness simulator, passing unless the face reference says
//! otherwise.

use std::future::ready;

use super::fixtures;
use crate::ResidentId;
use crate::provider::{BoxFuture, FaceImage, Liveness, LivenessChecker, LivenessScore, Outage, ProviderError};
use crate::seeded::keyed_hash;

/// Scores faces from the face reference or a keyed hash (see [`crate::sim`]) and judges the
/// score against a threshold.
#[derive(Debug, Clone)]
pub struct SimulatedLiveness {
    seed: u64,
    threshold: LivenessScore,
}

impl SimulatedLiveness {
    pub fn new(seed: u64, threshold: LivenessScore) -> Self {
        Self { seed, threshold }
    }

    /// The provider's score alone, as the protocol returns it.
    pub fn score(&self, face: &FaceImage, id: &ResidentId) -> Result<LivenessScore, ProviderError> {
        if id.as_str() == fixtures::ID_OUTAGE {
            return Err(ProviderError::Unavailable(Outage::Simulated));
        }
        let id_bytes = id.as_str().as_bytes();
        let permille = match face {
            FaceImage::Reference(r) if r.starts_with(fixtures::FACE_SPOOF_PREFIX) => {
                20 + keyed_hash(self.seed, "liveness.spoof", &[r.as_bytes(), id_bytes]) % 80
            }
            FaceImage::Reference(r) => match fixed_score(r) {
                Some(score) => return Ok(score),
                None => 850 + keyed_hash(self.seed, "liveness.ref", &[r.as_bytes(), id_bytes]) % 150,
            },
            FaceImage::Bytes(b) => 850 + keyed_hash(self.seed, "liveness.bytes", &[b, id_bytes]) % 150,
        };
        // Every branch above stays below 1000.
        Ok(LivenessScore::from_permille(permille as u16).unwrap_or(LivenessScore::MAX))
    }

    /// The answer, synchronously.
    pub fn answer(&self, face: &FaceImage, id: &ResidentId) -> Result<Liveness, ProviderError> {
        Ok(Liveness::judge(self.score(face, id)?, self.threshold))
    }
}

/// The score written in a `score-NNN` reference.
fn fixed_score(reference: &str) -> Option<LivenessScore> {
    let digits = reference.strip_prefix(fixtures::FACE_SCORE_PREFIX)?;
    LivenessScore::from_permille(digits.parse().ok()?)
}

impl LivenessChecker for SimulatedLiveness {
    fn check_liveness<'a>(
        &'a self,
        face: &'a FaceImage,
        id: &'a ResidentId,
    ) -> BoxFuture<'a, Result<Liveness, ProviderError>> {
        Box::pin(ready(self.answer(face, id)))
    }
}
