//! Customer risk routes: step-up (`POST /v1/customers/{id}/step-up`, then
//! `.../step-up/{challenge_id}/verify` for a token), theft reports and the customer's own
//! cases, the customer's unfreeze after a liveness step-up (beside the operator's unfreeze on
//! the same path), and the operator's record of who the customer is (`.../identity`), which
//! step-up needs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use credit::{AccountId, FreezeReason};
use engine::{Op, Request};
use identity::{ChallengeId, FaceImage, Liveness, Mobile, OtpCheck, OtpCode, ResidentId};
use risk::ChallengeKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::call::{Call, respond};
use crate::error::{ApiError, ErrorBody, Refusals, Unavailable};
use crate::once::{Answer, once};
use crate::routes::customers::customer_of;
use crate::routes::monitoring::parse_txns;
use crate::routes::risk::{CasesResponse, all_cases, case_view};
use crate::state::AppState;
use crate::step_up::{Subject, kind_name, set_subject, subject};
use crate::submit::{Audience, account, apply};

fn provider_error(error: identity::ProviderError) -> ApiError {
    if error.is_try_later() {
        ApiError::unavailable(format!("the identity provider is unavailable: {error}"))
    } else {
        ApiError::unprocessable("step_up_refused", format!("the identity provider refused: {error}"))
    }
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindDto {
    Otp,
    Liveness,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpBody {
    /// `otp` (a code by SMS to the mobile on file) or `liveness` (a face capture compared with
    /// the photo of the ID number on file).
    pub kind: KindDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeResponse {
    pub challenge_id: String,
    pub kind: &'static str,
    pub expires_at: String,
}

/// Start a step-up challenge (the customer).
#[utoipa::path(operation_id = "start_step_up", post, path = "/v1/customers/{customer_id}/step-up", tag = "risk", request_body = StepUpBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "challenge started", body = ChallengeResponse), Refusals, (status = 503, description = "provider unavailable: retry later", body = ErrorBody)))]
pub async fn start(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let body: StepUpBody = call.json()?;
    let idem = call.idem()?;
    once(&state, idem, async {
        let who = subject(&state, id).await?;
        let edge = state.risk_edge();
        let now = state.clock().now();
        let (challenge, kind, provider) = match body.kind {
            KindDto::Otp => {
                let sent = edge.providers.otp.send_otp(&who.mobile).await.map_err(provider_error)?;
                (sent.as_str().to_owned(), ChallengeKind::Otp, Some(sent))
            }
            KindDto::Liveness => (
                format!("lv_{}", &crate::random::hex_secret()?[..40]),
                ChallengeKind::Liveness,
                None,
            ),
        };
        let expires_at = edge.step_ups.open(challenge.clone(), id, kind, provider, now)?;
        let response = ChallengeResponse {
            challenge_id: challenge,
            kind: kind_name(kind),
            expires_at: expires_at.to_string(),
        };
        Answer::new(StatusCode::CREATED, &response)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The SMS code (`otp`).
    pub code: Option<String>,
    /// The provider's reference to the face capture its SDK made (`liveness`).
    pub face: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Present it as `risk.step_up_token` (payments), `step_up_token` (unfreeze, token
    /// rotation). Single use. Shown this once: a retry of the same verification gets `null`
    /// (start a new challenge if the answer was lost).
    pub step_up_token: Option<String>,
    pub kind: &'static str,
    pub expires_at: String,
}

fn failed(left: u32) -> ApiError {
    ApiError::unprocessable(
        "step_up_failed",
        format!("the check did not pass: {left} attempts left"),
    )
}

/// Answer a challenge; a pass returns the step-up token (the customer).
#[utoipa::path(operation_id = "verify_step_up", post, path = "/v1/customers/{customer_id}/step-up/{challenge_id}/verify", tag = "risk",
    request_body = VerifyBody,
    params(("customer_id" = String, Path), ("challenge_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "passed", body = TokenResponse), (status = 422, description = "step_up_failed", body = ErrorBody),
        Refusals, (status = 503, description = "provider unavailable: retry later", body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    challenge_id: ChallengePath,
    call: Call,
) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let body: VerifyBody = call.json()?;
    let idem = call.idem()?;
    let challenge_id = challenge_id.0;
    once(&state, idem, async {
        let edge = state.risk_edge();
        let now = state.clock().now();
        let challenge = edge.step_ups.challenge(&challenge_id, id, now)?;
        let passed = match challenge.kind {
            ChallengeKind::Otp => {
                let text = body.code.as_deref().ok_or_else(|| {
                    ApiError::bad_request("missing_field", "an otp challenge is answered with code").with_field("code")
                })?;
                let code = OtpCode::parse(text)
                    .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()).with_field("code"))?;
                let provider = challenge
                    .provider
                    .clone()
                    .ok_or_else(|| ApiError::internal("an otp challenge without its provider id"))?;
                match edge
                    .providers
                    .otp
                    .verify_otp(&provider, &code)
                    .await
                    .map_err(provider_error)?
                {
                    OtpCheck::Ok => true,
                    OtpCheck::Wrong => false,
                    OtpCheck::Expired | OtpCheck::TooManyAttempts => {
                        return Err(ApiError::not_found(
                            "challenge_not_found",
                            "the code expired: start a new challenge",
                        )
                        .with_field("challenge_id"));
                    }
                }
            }
            ChallengeKind::Liveness => {
                let text = body.face.as_deref().ok_or_else(|| {
                    ApiError::bad_request("missing_field", "a liveness challenge is answered with face")
                        .with_field("face")
                })?;
                let face = FaceImage::reference(text)
                    .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()).with_field("face"))?;
                let who = subject(&state, id).await?;
                let Liveness { passed, .. } = edge
                    .providers
                    .liveness
                    .check_liveness(&face, &who.id_number)
                    .await
                    .map_err(provider_error)?;
                passed
            }
        };
        if !passed {
            return Err(failed(edge.step_ups.wrong(&challenge_id)));
        }
        let (token, expires_at) = edge.step_ups.pass(&challenge_id, &challenge, now)?;
        let mut response = TokenResponse {
            step_up_token: None,
            kind: kind_name(challenge.kind),
            expires_at: expires_at.to_string(),
        };
        let stored = Answer::new(StatusCode::OK, &response)?;
        response.step_up_token = Some(token);
        Answer::new(StatusCode::OK, &response)?.storing(&stored.body)
    })
    .await
    .map(crate::call::no_store)
}

/// The `{challenge_id}` path parameter (any text; unknown ids are simply not found).
#[derive(Debug)]
pub struct ChallengePath(pub String);

impl axum::extract::FromRequestParts<AppState> for ChallengePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, ApiError> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("invalid_id", "a path parameter is not valid UTF-8"))?;
        let found = params
            .iter()
            .find(|(k, _)| *k == "challenge_id")
            .map(|(_, v)| v.to_owned())
            .filter(|v| ChallengeId::parse(v).is_ok())
            .ok_or_else(|| {
                ApiError::bad_request("invalid_id", "challenge_id is 1 to 64 letters, digits, _ or -")
                    .with_field("challenge_id")
            })?;
        Ok(ChallengePath(found))
    }
}

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
    ApiError::bad_request("invalid_field", message).with_field(field)
}

/// Checks a card with its four elements: the card kept, or why not.
async fn verify_card(
    state: &AppState,
    body: &IdentityBody,
    card: &str,
    id_number: &ResidentId,
) -> Result<crate::step_up::VerifiedCard, ApiError> {
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
        Ok(identity::CardCheck::Verified) => Ok(crate::step_up::VerifiedCard {
            name: elements.name,
            card: elements.card,
            reserved_mobile: elements.mobile,
        }),
        Ok(identity::CardCheck::CardNotSupported) => Err(ApiError::unprocessable(
            "bank_card_not_supported",
            "the bank card cannot be checked or used",
        )
        .with_field("bank_card")),
        Ok(identity::CardCheck::Mismatch(element)) => Err(ApiError::unprocessable(
            "bank_card_not_verified",
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
        .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()).with_field("mobile"))?;
    let id_number = ResidentId::parse(&body.id_number, state.today())
        .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()).with_field("id_number"))?;
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TheftBody {
    /// The transactions the customer did not make.
    pub txn_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TheftResponse {
    pub case_id: String,
    pub status: &'static str,
    pub txn_ids: Vec<String>,
    /// The account is frozen (`theft_report`) until the case is resolved and the customer
    /// passes a liveness step-up.
    pub frozen: &'static str,
}

/// Report transactions the customer did not make: a theft case opens, the account is frozen
/// and open holds of those transactions are voided (the customer).
#[utoipa::path(operation_id = "report_theft", post, path = "/v1/customers/{customer_id}/theft-reports", tag = "risk", request_body = TheftBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "case opened", body = TheftResponse), Refusals, Unavailable))]
pub async fn theft_report(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let body: TheftBody = call.json()?;
    let txns = parse_txns(&body.txn_ids)?;
    let request = Request::ReportTheft { account: id, txns };
    let applied = apply(&state, request, call.idem()?, Audience::Account)
        .await
        .map_err(|e| {
            if e.code == "txn_not_found" {
                e.with_field("txn_ids")
            } else {
                e
            }
        })?;
    let Op::OpenCase { case, txns, .. } = &applied.op else {
        return Err(ApiError::internal("a theft report applied as another op"));
    };
    let response = TheftResponse {
        case_id: case.to_string(),
        status: "open",
        txn_ids: txns.iter().map(ToString::to_string).collect(),
        frozen: "theft_report",
    };
    Ok(respond(StatusCode::CREATED, &response, applied.replayed))
}

/// A customer's cases (the customer, without evidence; or an operator, with it).
#[utoipa::path(operation_id = "customer_cases", get, path = "/v1/customers/{customer_id}/cases", tag = "risk",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = CasesResponse), Refusals))]
pub async fn own_cases(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let evidence = call.principal.operator().is_ok();
    let cases = all_cases(&state, Some(id)).await?;
    let response = CasesResponse {
        cases: cases.iter().map(|c| case_view(c, evidence)).collect(),
    };
    Ok(respond(StatusCode::OK, &response, false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnfreezeBody {
    /// A liveness step-up token of this customer.
    pub step_up_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnfreezeResponse {
    pub customer_id: String,
    #[schema(example = "unfreeze")]
    pub change: &'static str,
}

/// Unfreeze: an operator lifts any freeze but a theft report's (`operator::unfreeze`); the
/// customer lifts their own theft-report freeze, once its case is resolved, with a fresh
/// liveness step-up token (`{"step_up_token": "..."}`). One path, two callers: the OpenAPI
/// document lists the operator's form (API.md describes the customer's).
pub async fn unfreeze(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    if call.principal.operator().is_ok() {
        return Ok(crate::routes::operator::unfreeze(State(state), call)
            .await
            .into_response());
    }
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let body: UnfreezeBody = call.json()?;
    let idem = call.idem()?;
    let frozen = account(&state, id).await?.frozen;
    if matches!(frozen, Some(FreezeReason::Operator | FreezeReason::Risk)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "operator_freeze",
            "only an operator lifts this freeze",
        ));
    }
    let passed = state
        .risk_edge()
        .step_ups
        .spend(&body.step_up_token, id, idem, state.clock().now())
        .map_err(|e| e.with_field("step_up_token"))?;
    if passed.kind != ChallengeKind::Liveness {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "liveness_required",
            "unfreezing needs a liveness step-up token",
        )
        .with_field("step_up_token"));
    }
    let applied = apply(
        &state,
        Request::VerifiedUnfreeze { account: id },
        idem,
        Audience::Account,
    )
    .await?;
    let response = UnfreezeResponse {
        customer_id: id.to_string(),
        change: "unfreeze",
    };
    Ok(respond(StatusCode::OK, &response, applied.replayed))
}
