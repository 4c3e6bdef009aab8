//! Who the customer is ([`Subject`]): the mobile step-up codes go to, the ID number liveness
//! compares with, and a verified bank card, kept sealed in the meta table (`keys`): the one
//! place that opens a customer's personal data.

use credit::AccountId;
use identity::{BankCard, Mobile, PersonName, ResidentId};
use serde::{Deserialize, Serialize};

use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Who the customer is, for a step-up.
#[derive(Clone, Debug)]
pub struct Subject {
    pub mobile: Mobile,
    pub id_number: ResidentId,
    /// The bank card a four-element check verified for this person, if any.
    pub card: Option<VerifiedCard>,
}

/// A bank card the four-element check verified: the card, the cardholder's name and the mobile
/// reserved with the bank (the ID number is the subject's).
#[derive(Clone, Debug)]
pub struct VerifiedCard {
    pub name: PersonName,
    pub card: BankCard,
    pub reserved_mobile: Mobile,
}

/// The meta record: the sealed [`SubjectRecord`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedRecord {
    sealed: String,
}

const SUBJECT_KIND: &str = "customer_identity";

/// What is sealed: the customer's identity in clear.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectRecord {
    mobile: String,
    id_number: String,
    /// Present only for a verified card (records written before cards were kept have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bank_card: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reserved_mobile: Option<String>,
}

fn subject_key(account: AccountId) -> String {
    format!("customer_identity:{account}")
}

/// Reads and opens a customer's subject: their identity in clear (for step-up, funding and a
/// reveal; show it only masked). A sealed record that does not open fails this call loudly.
pub async fn subject(state: &AppState, account: AccountId) -> Result<Subject, ApiError> {
    let today = state.today();
    let missing = || {
        ApiError::new(
            ErrorCode::IdentityNotOnFile,
            "no verified mobile and ID number are on file for this customer: step-up is not possible",
        )
    };
    let text = state.meta().get(subject_key(account)).await?.ok_or_else(missing)?;
    let sealed: SealedRecord =
        serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("a stored identity is corrupt: {e}")))?;
    let record: SubjectRecord =
        crate::keys::open_json(state.vault(), SUBJECT_KIND, &account.to_string(), &sealed.sealed)?;
    let mobile = Mobile::parse(&record.mobile).map_err(|_| missing())?;
    let id_number = ResidentId::parse(&record.id_number, today).map_err(|_| missing())?;
    let card = match (&record.name, &record.bank_card, &record.reserved_mobile) {
        (Some(name), Some(card), Some(reserved)) => Some(VerifiedCard {
            name: PersonName::parse(name).map_err(|_| missing())?,
            card: BankCard::parse(card).map_err(|_| missing())?,
            reserved_mobile: Mobile::parse(reserved).map_err(|_| missing())?,
        }),
        _ => None,
    };
    Ok(Subject {
        mobile,
        id_number,
        card,
    })
}

/// The customer's verified bank card: `409 bank_card_not_on_file` without one.
pub async fn verified_card(state: &AppState, account: AccountId) -> Result<BankCard, ApiError> {
    let none = || {
        ApiError::new(
            ErrorCode::BankCardNotOnFile,
            "no verified bank card is on file for this customer: money moves only to and from one",
        )
    };
    match subject(state, account).await {
        Ok(Subject { card: Some(card), .. }) => Ok(card.card),
        Ok(_) => Err(none()),
        Err(e) if e.code == ErrorCode::IdentityNotOnFile => Err(none()),
        Err(e) => Err(e),
    }
}

/// Seals and stores a customer's subject (the caller parsed both values).
pub async fn set_subject(state: &AppState, account: AccountId, subject: &Subject) -> Result<(), ApiError> {
    let card = subject.card.as_ref();
    let record = SubjectRecord {
        mobile: subject.mobile.as_str().to_owned(),
        id_number: subject.id_number.as_str().to_owned(),
        name: card.map(|c| c.name.as_str().to_owned()),
        bank_card: card.map(|c| c.card.as_str().to_owned()),
        reserved_mobile: card.map(|c| c.reserved_mobile.as_str().to_owned()),
    };
    let sealed = SealedRecord {
        sealed: crate::keys::seal_json(state.vault(), SUBJECT_KIND, &account.to_string(), &record)?,
    };
    let text = serde_json::to_string(&sealed).map_err(|e| ApiError::internal(e.to_string()))?;
    state.meta().set(subject_key(account), text).await
}

/// A customer's identity in clear, for an evidence bundle made with `--reveal` (`None`: none on
/// file). Blocking: the offline exporter's, never a route's.
pub(crate) fn reveal_blocking(
    meta: &crate::meta::Meta,
    vault: &vault::Vault,
    account: AccountId,
) -> Result<Option<Vec<(&'static str, String)>>, String> {
    let Some(text) = meta.get_blocking(&subject_key(account)).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let sealed: SealedRecord = serde_json::from_str(&text).map_err(|e| format!("identity of {account}: {e}"))?;
    let record: SubjectRecord = crate::keys::open_json(vault, SUBJECT_KIND, &account.to_string(), &sealed.sealed)
        .map_err(|e| format!("identity of {account}: {}", e.message))?;
    let mut fields = vec![("mobile", record.mobile), ("id_number", record.id_number)];
    fields.extend(record.name.map(|n| ("name", n)));
    fields.extend(record.bank_card.map(|c| ("bank_card", c)));
    Ok(Some(fields))
}
