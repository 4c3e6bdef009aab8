//! The operator's record of who the customer is (`POST /v1/customers/{id}/identity`): the
//! mobile step-up codes go to, the ID number liveness compares with, and a verified bank card.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use identity::{Mobile, ResidentId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::subjects::{Subject, set_subject, subject};
use crate::http::call::Call;
use crate::http::error::{ApiError, ErrorCode, Refusals};
use crate::http::once::{Answer, once};
use crate::http::routes::step_up::provider_error;
use crate::http::submit::account;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityBody {
    /// The mobile number step-up codes go to (11 digits).
    pub mobile: String,
    /// The resident ID number whose photo liveness checks compare with.
    pub id_number: String,
    /// The customer's bank card, to debit repayments from and pay cash-outs to. Checked with
    /// `name` and `reserved_mobile` (four elements) before it is kept; without it, a card
    /// already on file for the same ID number stays.
    #[serde(default)]
    pub bank_card: Option<String>,
    /// The cardholder's name (with `bank_card`).
    #[serde(default)]
    pub name: Option<String>,
    /// The mobile number reserved with the bank for the card (with `bank_card`).
    #[serde(default)]
    pub reserved_mobile: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityResponse {
    pub customer_id: String,
    /// Masked.
    pub mobile: String,
    /// The verified bank card on file, masked.
    pub bank_card: Option<String>,
}

fn field_error(field: &'static str, message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message).with_field(field)
}

/// Checks a card with its four elements: the card kept, or why not.
async fn verify_card(
    state: &AppState,
    body: &IdentityBody,
    card: &str,
    id_number: &ResidentId,
) -> Result<crate::edge::subjects::VerifiedCard, ApiError> {
    let card = identity::BankCard::parse(card).map_err(|e| field_error("bank_card", e.to_string()))?;
    let name = body
        .name
        .as_deref()
        .ok_or_else(|| field_error("name", "a bank card needs the cardholder's name".into()))?;
    let name = identity::PersonName::parse(name).map_err(|e| field_error("name", e.to_string()))?;
    let reserved = body
        .reserved_mobile
        .as_deref()
        .ok_or_else(|| field_error("reserved_mobile", "a bank card needs its reserved mobile".into()))?;
    let reserved_mobile = Mobile::parse(reserved).map_err(|e| field_error("reserved_mobile", e.to_string()))?;
    let elements = identity::FourElements {
        card,
        name,
        id: id_number.clone(),
        mobile: reserved_mobile,
    };
    match state.funding().bank_card.verify_card(&elements).await {
        Ok(identity::CardCheck::Verified) => Ok(crate::edge::subjects::VerifiedCard {
            name: elements.name,
            card: elements.card,
            reserved_mobile: elements.mobile,
        }),
        Ok(identity::CardCheck::CardNotSupported) => Err(ApiError::new(
            ErrorCode::BankCardNotSupported,
            "the bank card cannot be checked or used",
        )
        .with_field("bank_card")),
        Ok(identity::CardCheck::Mismatch(element)) => Err(ApiError::new(
            ErrorCode::BankCardNotVerified,
            "the card, name, ID number and reserved mobile do not belong together",
        )
        .with_field(element.map_or("bank_card", |e| match e {
            identity::CardElement::Card => "bank_card",
            identity::CardElement::Name => "name",
            identity::CardElement::IdNumber => "id_number",
            identity::CardElement::Mobile => "reserved_mobile",
        }))),
        Err(error) => Err(provider_error(error)),
    }
}

/// Record who the customer is, for step-up (operator; onboarding fills it for new customers).
#[utoipa::path(operation_id = "set_identity", post, path = "/v1/customers/{customer_id}/identity", tag = "risk", request_body = IdentityBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = IdentityResponse), Refusals))]
pub async fn identity(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = AccountId(call.id("customer_id")?);
    let body: IdentityBody = call.json()?;
    let mobile = Mobile::parse(&body.mobile)
        .map_err(|e| ApiError::new(ErrorCode::InvalidField, e.to_string()).with_field("mobile"))?;
    let id_number = ResidentId::parse(&body.id_number, state.today())
        .map_err(|e| ApiError::new(ErrorCode::InvalidField, e.to_string()).with_field("id_number"))?;
    account(&state, id).await?;
    let idem = call.idem()?;
    once(&state, idem, async {
        let card = match body.bank_card.as_deref() {
            Some(card) => Some(verify_card(&state, &body, card, &id_number).await?),
            None => match subject(&state, id).await {
                Ok(old) if old.id_number == id_number => old.card,
                _ => None,
            },
        };
        let subject = Subject {
            mobile,
            id_number,
            card,
        };
        set_subject(&state, id, &subject).await?;
        let response = IdentityResponse {
            customer_id: id.to_string(),
            mobile: subject.mobile.masked(),
            bank_card: subject.card.as_ref().map(|c| c.card.masked()),
        };
        Answer::new(StatusCode::OK, &response)
    })
    .await
}
