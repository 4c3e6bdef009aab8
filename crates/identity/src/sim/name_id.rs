//! [`SimulatedNameId`]: the name/ID registry simulator.

use std::future::ready;

use super::fixtures;
use super::{NAME_MISMATCH_PER_MILLE, NO_RECORD_PER_MILLE};
use crate::provider::{BoxFuture, NameIdMatch, NameIdVerifier, Outage, ProviderError};
use crate::seeded::keyed_hash;
use crate::{PersonName, ResidentId};

/// Answers name/ID checks from fixtures and a keyed hash (see [`crate::sim`]).
#[derive(Debug, Clone)]
pub struct SimulatedNameId {
    seed: u64,
}

impl SimulatedNameId {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// The answer, synchronously.
    pub fn answer(&self, name: &PersonName, id: &ResidentId) -> Result<NameIdMatch, ProviderError> {
        match id.as_str() {
            fixtures::ID_MATCH => return Ok(NameIdMatch::Match),
            fixtures::ID_NAME_MISMATCH => return Ok(NameIdMatch::Mismatch),
            fixtures::ID_NO_RECORD => return Ok(NameIdMatch::NoRecord),
            fixtures::ID_OUTAGE => return Err(ProviderError::Unavailable(Outage::Simulated)),
            _ => {}
        }
        let id_bytes = id.as_str().as_bytes();
        if keyed_hash(self.seed, "name_id.no_record", &[id_bytes]) % 1000 < NO_RECORD_PER_MILLE {
            return Ok(NameIdMatch::NoRecord);
        }
        let pair = keyed_hash(self.seed, "name_id.mismatch", &[id_bytes, name.as_str().as_bytes()]);
        if pair % 1000 < NAME_MISMATCH_PER_MILLE {
            return Ok(NameIdMatch::Mismatch);
        }
        Ok(NameIdMatch::Match)
    }
}

impl NameIdVerifier for SimulatedNameId {
    fn verify_name_id<'a>(
        &'a self,
        name: &'a PersonName,
        id: &'a ResidentId,
    ) -> BoxFuture<'a, Result<NameIdMatch, ProviderError>> {
        Box::pin(ready(self.answer(name, id)))
    }
}
