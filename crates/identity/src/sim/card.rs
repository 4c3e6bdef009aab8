//! [`SimulatedBankCard`]: the four-element bank card check simulator.

use std::future::ready;

use super::MOBILE_MISMATCH_PER_MILLE;
use super::fixtures;
use super::name_id::SimulatedNameId;
use crate::CardBrand;
use crate::provider::{
    BankCardVerifier, BoxFuture, CardCheck, CardElement, FourElements, NameIdMatch, Outage, ProviderError,
};
use crate::seeded::keyed_hash;

/// Answers card checks from fixtures, the card brand, the name/ID simulator with the same seed
/// and a keyed hash (see [`crate::sim`]).
#[derive(Debug, Clone)]
pub struct SimulatedBankCard {
    seed: u64,
    name_id: SimulatedNameId,
}

impl SimulatedBankCard {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            name_id: SimulatedNameId::new(seed),
        }
    }

    /// The answer, synchronously.
    pub fn answer(&self, e: &FourElements) -> Result<CardCheck, ProviderError> {
        match e.card.as_str() {
            fixtures::CARD_VERIFIED => return Ok(CardCheck::Verified),
            fixtures::CARD_MISMATCH_MOBILE => {
                return Ok(CardCheck::Mismatch(Some(CardElement::Mobile)));
            }
            fixtures::CARD_MISMATCH_UNSPECIFIED => return Ok(CardCheck::Mismatch(None)),
            fixtures::CARD_NOT_SUPPORTED => return Ok(CardCheck::CardNotSupported),
            fixtures::CARD_OUTAGE => return Err(ProviderError::Unavailable(Outage::Simulated)),
            _ => {}
        }
        if !matches!(
            e.card.brand(),
            CardBrand::UnionPay | CardBrand::Visa | CardBrand::Mastercard
        ) {
            return Ok(CardCheck::CardNotSupported);
        }
        match self.name_id.answer(&e.name, &e.id) {
            Ok(NameIdMatch::Mismatch) => return Ok(CardCheck::Mismatch(Some(CardElement::Name))),
            Ok(NameIdMatch::NoRecord) => {
                return Ok(CardCheck::Mismatch(Some(CardElement::IdNumber)));
            }
            Ok(NameIdMatch::Match) | Err(_) => {}
        }
        let parts: [&[u8]; 4] = [
            e.card.as_str().as_bytes(),
            e.name.as_str().as_bytes(),
            e.id.as_str().as_bytes(),
            e.mobile.as_str().as_bytes(),
        ];
        if keyed_hash(self.seed, "bank_card.mobile", &parts) % 1000 < MOBILE_MISMATCH_PER_MILLE {
            return Ok(CardCheck::Mismatch(Some(CardElement::Mobile)));
        }
        Ok(CardCheck::Verified)
    }
}

impl BankCardVerifier for SimulatedBankCard {
    fn verify_card<'a>(&'a self, elements: &'a FourElements) -> BoxFuture<'a, Result<CardCheck, ProviderError>> {
        Box::pin(ready(self.answer(elements)))
    }
}
