//! The identity step: the ID card's OCR against what was typed, then the three provider checks
//! (name/ID match, four-element bank card, liveness) run at once. A definite failure declines;
//! an outage (or an answer that cannot be read) means "try later", never a pass.

use std::sync::Arc;

use identity::{
    BankCardVerifier, CardCheck, CardElement, FourElements, LivenessChecker, LivenessScore, NameIdMatch,
    NameIdVerifier, ProviderError,
};
use jiff::civil::Date;

use crate::application::Application;

/// The identity providers the flow calls (HTTP adapters in production, simulators in tests).
#[derive(Clone)]
pub struct Providers {
    pub name_id: Arc<dyn NameIdVerifier>,
    pub card: Arc<dyn BankCardVerifier>,
    pub liveness: Arc<dyn LivenessChecker>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Providers { .. }")
    }
}

impl Providers {
    /// The deterministic simulators (see `identity::sim`), passing liveness at `threshold`.
    pub fn simulated(seed: u64, threshold: LivenessScore) -> Providers {
        Providers {
            name_id: Arc::new(identity::sim::SimulatedNameId::new(seed)),
            card: Arc::new(identity::sim::SimulatedBankCard::new(seed)),
            liveness: Arc::new(identity::sim::SimulatedLiveness::new(seed, threshold)),
        }
    }
}

/// What the identity step concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityVerdict {
    Verified,
    /// A definite answer against the applicant; the reason codes say which check.
    Failed(Vec<&'static str>),
    /// No answer from a provider: the applicant should try again later.
    TryLater(Vec<&'static str>),
}

/// Runs the identity step for `app` on `today`.
pub async fn check(providers: &Providers, app: &Application, today: Date) -> IdentityVerdict {
    let ocr = ocr_reasons(app, today);
    if !ocr.is_empty() {
        return IdentityVerdict::Failed(ocr);
    }
    let elements = FourElements {
        card: app.card.clone(),
        name: app.name.clone(),
        id: app.id.clone(),
        mobile: app.reserved_mobile.clone(),
    };
    let (name_id, card, liveness) = tokio::join!(
        providers.name_id.verify_name_id(&app.name, &app.id),
        providers.card.verify_card(&elements),
        providers.liveness.check_liveness(&app.face, &app.id),
    );
    let mut failed = Vec::new();
    let mut later = Vec::new();
    let mut note = |result: Result<Option<&'static str>, ProviderError>, which: &'static str| match result {
        Ok(None) => {}
        Ok(Some(code)) => failed.push(code),
        Err(e) if e.is_try_later() => later.push(which),
        // The provider refused the request itself: retrying will not help, and nothing was
        // verified.
        Err(_) => failed.push("IDENTITY_UNVERIFIABLE"),
    };
    note(name_id.map(name_id_reason), "NAME_ID_PROVIDER_UNAVAILABLE");
    note(card.map(card_reason), "CARD_PROVIDER_UNAVAILABLE");
    note(
        liveness.map(|l| (!l.passed).then_some("LIVENESS_FAILED")),
        "LIVENESS_PROVIDER_UNAVAILABLE",
    );
    if !failed.is_empty() {
        failed.dedup();
        IdentityVerdict::Failed(failed)
    } else if !later.is_empty() {
        IdentityVerdict::TryLater(later)
    } else {
        IdentityVerdict::Verified
    }
}

/// The ID card read by OCR must be the one typed, and not expired.
fn ocr_reasons(app: &Application, today: Date) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    if app.ocr.name != app.name {
        reasons.push("OCR_NAME_MISMATCH");
    }
    if app.ocr.id != app.id {
        reasons.push("OCR_ID_MISMATCH");
    }
    if app.ocr.valid_until.is_some_and(|until| until < today) {
        reasons.push("ID_CARD_EXPIRED");
    }
    reasons
}

fn name_id_reason(answer: NameIdMatch) -> Option<&'static str> {
    match answer {
        NameIdMatch::Match => None,
        NameIdMatch::Mismatch => Some("NAME_ID_MISMATCH"),
        NameIdMatch::NoRecord => Some("ID_NO_RECORD"),
    }
}

fn card_reason(answer: CardCheck) -> Option<&'static str> {
    match answer {
        CardCheck::Verified => None,
        CardCheck::Mismatch(Some(CardElement::Card)) => Some("CARD_MISMATCH_CARD"),
        CardCheck::Mismatch(Some(CardElement::Name)) => Some("CARD_MISMATCH_NAME"),
        CardCheck::Mismatch(Some(CardElement::IdNumber)) => Some("CARD_MISMATCH_ID"),
        CardCheck::Mismatch(Some(CardElement::Mobile)) => Some("CARD_MISMATCH_MOBILE"),
        CardCheck::Mismatch(None) => Some("CARD_MISMATCH"),
        CardCheck::CardNotSupported => Some("CARD_NOT_SUPPORTED"),
    }
}
