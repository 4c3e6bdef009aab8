//! A line's price: the tier onboarding approved it at ([`Pricing`]), kept in the account's
//! [`CreditProfile`], and applied where a customer chooses installments ([`priced`]).
//!
//! The credit core has one `Product` per book and takes an explicit per-purchase rate in
//! `PlanChoice.rate`. So the partition fills that rate from the account's tier when it resolves
//! an authorization or a bill installment whose choice names no rate (a merchant campaign's
//! rate, 0% included, wins). The resolved op carries the rate, so replay and a fraud restatement
//! see exactly what was charged. An account without pricing (opened by an operator without a
//! tier) keeps the product's default rate; an operator may open a line at a tier
//! (`ask::OpenPricedLine`). The campaign rate comes from the API, which checks the merchant's
//! campaign and sends its rate in the choice.

use credit::{AccountId, Command, PlanChoice};
use money::Rate;
use money::schedule::PeriodRate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What the customer's credit profile tells the rules (set at onboarding: the model's PD and
/// score), and the price tier the line was approved at. Journaled with the line
/// (`Op::SetCreditProfile`, `Op::OpenLine`); the partition's risk reads the PD and score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreditProfile {
    pub pd: f64,
    pub score: i32,
    /// `None` for a line opened without onboarding or a tier (the product's default rate applies).
    pub pricing: Option<Pricing>,
}

/// A price tier's name as the limit table writes it (`A`, `B`, `standard`): 1 to
/// [`TierName::MAX_LEN`] visible ASCII characters, kept inline so a profile stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TierName {
    len: u8,
    bytes: [u8; TierName::MAX_LEN],
}

/// Why a string is not a [`TierName`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a tier name is 1 to 15 visible ASCII characters, not {0:?}")]
pub struct TierNameError(pub String);

impl TierName {
    pub const MAX_LEN: usize = 15;

    pub fn parse(text: &str) -> Result<TierName, TierNameError> {
        let ok = (1..=Self::MAX_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(TierNameError(text.to_owned()));
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Ok(TierName {
            len: text.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `parse`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for TierName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TierName({:?})", self.as_str())
    }
}

impl std::fmt::Display for TierName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TierName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TierName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TierName, D::Error> {
        let text = String::deserialize(deserializer)?;
        TierName::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The price an approved line carries: its tier and the installment fee per period the
/// customer's plans are charged (parts per million of the plan's principal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    pub tier: TierName,
    pub fee_rate: Rate,
}

/// `plan` with the account's fee rate when it names none.
pub fn priced(plan: PlanChoice, profile: Option<&CreditProfile>) -> PlanChoice {
    match (plan.rate, profile.and_then(|p| p.pricing)) {
        (None, Some(pricing)) => PlanChoice {
            rate: Some(PeriodRate::per_period(pricing.fee_rate)),
            ..plan
        },
        _ => plan,
    }
}

/// A credit command with its installment choice priced for the account (a bill installment);
/// every other command as it is.
pub(crate) fn priced_command(command: Command, profile: impl FnOnce(AccountId) -> Option<CreditProfile>) -> Command {
    match command {
        Command::BillInstallment {
            account,
            plan,
            statement,
            choice,
        } if choice.rate.is_none() => Command::BillInstallment {
            account,
            plan,
            statement,
            choice: priced(choice, profile(account).as_ref()),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_names_are_short_visible_ascii() {
        let cases = [
            ("A", true),
            ("standard", true),
            ("fifteen-chars-x", true),
            ("sixteen-chars-xx", false),
            ("", false),
            ("a b", false),
            ("甲", false),
        ];
        for (text, ok) in cases {
            assert_eq!(TierName::parse(text).is_ok(), ok, "{text:?}");
            if ok {
                assert_eq!(TierName::parse(text).unwrap().as_str(), text);
            }
        }
        let b = TierName::parse("B").unwrap();
        assert_eq!(round_trip(b), b);
    }

    /// Round-trips through postcard, the journal's encoding.
    fn round_trip(name: TierName) -> TierName {
        let bytes = postcard::to_stdvec(&name).unwrap();
        postcard::from_bytes(&bytes).unwrap()
    }
}
