//! Credit applications over HTTP: the customer app applies (`POST /v1/applications`), analysts
//! work the review queue, operators run the periodic limit review, customers ask for a
//! temporary limit. The decisions are the `onboarding` crate's; this module only maps them to
//! HTTP.
//!
//! # Who may call
//!
//! - `POST /v1/applications` takes **no credentials**: an applicant has no account yet. The
//!   app sends the application and its device context (device id, location, fingerprint
//!   flags); the caller's IP is the client address of `edge::client` (the TCP peer, or
//!   `X-Forwarded-For` only from a configured trusted proxy; neither the body nor the client
//!   can choose it) and every IP gets [`limiter::PER_IP_PER_HOUR`] applications an hour (`429
//!   rate_limited` beyond). Answers: `201` approved (with the customer id and the customer's
//!   bearer token, shown once), `202` received and in review, `200` declined or challenge
//!   required, `400` a field that does not parse, `503 try_later`.
//!
//!   An ID number that already has a line or an open application is answered exactly as a
//!   review is (`202`, `outcome: review`, no reasons; a review's reasons are not shown to the
//!   applicant either), so the answer does not tell anyone whether an ID number is a customer.
//!   The application is recorded with its real outcome (`duplicate`) and reason, which
//!   operators see (`GET /v1/applications/{id}`) and the log says.
//! - `GET /v1/applications/{id}`: an operator, or the customer whose line it opened.
//! - `GET /v1/applications?status=review`, `POST /v1/applications/{id}/approve`,
//!   `POST /v1/applications/{id}/decline`, `POST /v1/limit-reviews`: operators.
//! - `POST /v1/customers/{id}/temporary-limit-requests`: the customer, under the policy of
//!   `onboarding::TemporaryPolicy` (the operator's `temporary-limit` route overrides it).
//!
//! # Where the service's state lives
//!
//! The application store's entries are kept in the store's meta table as
//! `onboarding:entry:<n>` (as merchants are), so applications survive a restart with the rest
//! of the data. The blind-index key is the key provider's (`Config::keys`, through the vault),
//! never kept in the store. The model and the limit tables are the shipped ones, built
//! into the binary. Identity providers are the deterministic simulators until the server's
//! config names HTTP providers.
//!
//! An application whose identity checks passed (approved, or in review for an analyst) keeps
//! the applicant's identity for the account: mobile, ID number and the bank card the
//! four-element check verified with its cardholder name and reserved mobile, in the meta table
//! (`customer_identity:<account>`, as `step_up` reads it), sealed by the vault. Step-up,
//! debits and payouts use it. Responses show the name and ID number masked only.

mod bootstrap;
pub(crate) mod dto;
pub(crate) mod limit_requests;
pub mod limiter;
pub(crate) mod operator;

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use onboarding::{ApplicationId, Onboarding, Outcome};
use serde::Deserialize;

use crate::edge::risk_input::Peer;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals};
use crate::state::AppState;

/// What the application routes share.
#[derive(Debug)]
pub struct Applications {
    service: Result<Onboarding, String>,
    limiter: limiter::PerIp,
}

impl Applications {
    fn service(&self) -> Result<&Onboarding, ApiError> {
        self.service.as_ref().map_err(|why| {
            tracing::error!(%why, "onboarding is not available");
            ApiError::unavailable("applications are not available")
        })
    }
}

/// The application routes, to merge into the API's router.
pub fn routes(state: &AppState) -> Router<AppState> {
    let shared = Arc::new(Applications {
        service: bootstrap::service(state),
        limiter: limiter::PerIp::default(),
    });
    Router::new()
        .route("/v1/applications", post(apply).get(list))
        .route("/v1/applications/{application_id}", get(one))
        .route("/v1/applications/{application_id}/approve", post(operator::approve))
        .route("/v1/applications/{application_id}/decline", post(operator::decline))
        .route("/v1/limit-reviews", post(operator::limit_review))
        .route("/v1/temporary-limit-requests", get(limit_requests::list))
        .route(
            "/v1/temporary-limit-requests/{request_id}/decide",
            post(limit_requests::decide),
        )
        .route(
            "/v1/temporary-limit-requests/{request_id}/claim",
            post(limit_requests::claim),
        )
        .route(
            "/v1/customers/{customer_id}/temporary-limit-requests",
            post(operator::temporary_limit_request),
        )
        .layer(Extension(shared))
}

/// Apply for a credit line (no credentials; rate-limited per IP). Identity checks, the
/// credit-application risk checkpoint, the credit score and the limit table decide at once:
/// `201` approved (the line is open and usable, with the customer's token, shown once), `202`
/// received and in review (no line until an analyst approves; no reasons shown; an ID number
/// that already has a line or an open application gets this same answer), `200` declined with
/// reason codes or a step-up asked for (no line), `503 try_later` when a provider or the engine
/// could not answer.
#[utoipa::path(operation_id = "apply_for_credit", post, path = "/v1/applications", tag = "applications", request_body = dto::ApplicationBody,
    params(("X-Forwarded-For" = Option<String>, Header, description = "Read only from a configured trusted proxy (`--trusted-proxy`): the right-most address that is not a trusted proxy is the caller.")),
    responses((status = 201, description = "approved: the line is open", body = dto::DecisionResponse), (status = 202, description = "received, in review", body = dto::DecisionResponse),
        (status = 200, description = "declined, or a step-up is required", body = dto::DecisionResponse),
        (status = 429, description = "rate_limited: too many applications from this address", body = ErrorBody), Refusals,
        (status = 503, description = "try_later: a check could not be completed", body = ErrorBody)))]
pub async fn apply(
    State(state): State<AppState>,
    Extension(apps): Extension<Arc<Applications>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let started = tokio::time::Instant::now();
    let service = apps.service()?;
    let ip = peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let now = state.clock().now();
    apps.limiter.admit(ip, now)?;
    let bytes = crate::http::call::read_body(&headers, body, state.network().body_timeout).await?;
    let body: dto::ApplicationBody = crate::http::input::parse_json(&bytes)?;
    let context = body.device.context(ip)?;
    let applicant = body.applicant.into();
    let decision = service
        .apply(state.engine(), &applicant, context, now)
        .await
        .map_err(|e| ApiError::internal(format!("application not recorded: {e}")))?;
    keep_identity(&state, &applicant, &decision).await?;
    let status = match decision.outcome {
        Outcome::Approved => StatusCode::CREATED,
        Outcome::Review | Outcome::Duplicate => return Ok(received(&decision, started).await),
        Outcome::Declined | Outcome::ChallengeRequired => StatusCode::OK,
        Outcome::InvalidInput => {
            let field = decision.field.clone().unwrap_or_default();
            let code = decision.reasons.first().cloned().unwrap_or_default();
            let message = format!("{field} is not valid ({code})");
            return Err(ApiError::new(ErrorCode::InvalidField, message).with_field(dto::field_path(&field)));
        }
        Outcome::TryLater => return Ok(try_later(&decision.reasons)),
    };
    let token = match (decision.outcome, decision.account) {
        (Outcome::Approved, Some(account)) => Some(state.tokens().issue(state.meta(), account, now).await?.token),
        _ => None,
    };
    Ok(crate::http::call::no_store(respond(
        status,
        &dto::DecisionResponse::of(&decision, token),
        false,
    )))
}

/// The least time a "received, in review" answer takes: a duplicate is decided sooner than a
/// review (it skips the score and the engine's checkpoint); both are held to this so the time
/// to answer does not tell them apart either (as long as a review is decided within it).
pub const RECEIVED_FLOOR: std::time::Duration = std::time::Duration::from_millis(250);

/// `202` "received, in review": a review, or an ID number that already has a line or an open
/// application, told apart only in the record and the log, answered no sooner than
/// [`RECEIVED_FLOOR`] after the request came.
async fn received(decision: &onboarding::Decision, started: tokio::time::Instant) -> Response {
    if decision.outcome == Outcome::Duplicate {
        let application = decision.application.map(|a| a.0);
        tracing::info!(?application, reasons = ?decision.reasons, "a duplicate application, answered as in review");
    }
    tokio::time::sleep_until(started + RECEIVED_FLOOR).await;
    respond(StatusCode::ACCEPTED, &dto::DecisionResponse::received(decision), false)
}

/// Keeps a verified applicant's identity for their account (see the module docs). Not for an
/// account-id collision: the account may be someone else's.
async fn keep_identity(
    state: &AppState,
    input: &onboarding::ApplicationInput,
    decision: &onboarding::Decision,
) -> Result<(), ApiError> {
    let verified = matches!(decision.outcome, Outcome::Approved | Outcome::Review);
    let collision = decision.reasons.iter().any(|r| r == "ACCOUNT_ID_COLLISION");
    let (true, false, Some(account)) = (verified, collision, decision.account) else {
        return Ok(());
    };
    let today = state.today();
    let parsed = (|| {
        let card = crate::edge::subjects::VerifiedCard {
            name: identity::PersonName::parse(&input.name).ok()?,
            card: identity::BankCard::parse(&input.bank_card).ok()?,
            reserved_mobile: identity::Mobile::parse(&input.reserved_mobile).ok()?,
        };
        Some(crate::edge::subjects::Subject {
            mobile: identity::Mobile::parse(&input.mobile).ok()?,
            id_number: identity::ResidentId::parse(&input.id_number, today).ok()?,
            card: Some(card),
        })
    })();
    match parsed {
        Some(subject) => crate::edge::subjects::set_subject(state, account, &subject).await,
        None => {
            tracing::warn!(%account, "a verified application's identity does not parse: not kept");
            Ok(())
        }
    }
}

fn try_later(reasons: &[String]) -> Response {
    let message = format!(
        "a check could not be completed ({}): try again later",
        reasons.join(", ")
    );
    let mut response = ApiError::new(ErrorCode::TryLater, message).into_response();
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("30"),
    );
    response
}

/// One application (an operator, or the customer whose line it opened).
#[utoipa::path(operation_id = "get_application", get, path = "/v1/applications/{application_id}", tag = "applications",
    params(("application_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = dto::RecordResponse), Refusals))]
pub async fn one(Extension(apps): Extension<Arc<Applications>>, call: Call) -> Result<Response, ApiError> {
    let service = apps.service()?;
    let id = ApplicationId(call.id("application_id")?);
    let not_found = || ApiError::new(ErrorCode::ApplicationNotFound, "no such application");
    let record = service.store().get(id).ok_or_else(not_found)?;
    if call.principal.operator().is_err() {
        // A customer sees only their own; anyone else learns nothing, not even that it exists.
        call.principal.customer_self(record.account).map_err(|_| not_found())?;
    }
    Ok(respond(StatusCode::OK, &dto::RecordResponse::of(&record), false))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `review`, the only list there is.
    pub status: Option<String>,
}

/// Applications waiting for an analyst (operator; `?status=review`, the only list there is).
#[utoipa::path(operation_id = "list_applications", get, path = "/v1/applications", tag = "applications", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, description = "success", body = dto::ListResponse), Refusals))]
pub async fn list(
    Extension(apps): Extension<Arc<Applications>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let service = apps.service()?;
    let Ok(Query(query)) = query else {
        return Err(ApiError::new(ErrorCode::InvalidField, "the only query is status=review").with_field("status"));
    };
    if query.status.as_deref().is_some_and(|s| s != "review") {
        return Err(ApiError::new(ErrorCode::InvalidField, "status must be review").with_field("status"));
    }
    let records: Vec<_> = service.store().reviews().iter().map(dto::RecordResponse::of).collect();
    Ok(respond(
        StatusCode::OK,
        &dto::ListResponse { applications: records },
        false,
    ))
}
