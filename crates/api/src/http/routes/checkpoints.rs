//! The app backend's risk calls on a customer (operator): a risk checkpoint without a credit
//! effect (login, device change, activation, credit application, delivery) decided with the
//! customer's device context and answered with the decision and its reason codes, and setting
//! the customer's credit profile (the bureau or model scores the rules read).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use engine::{CreditProfile, ask};
use jiff::Timestamp;
use risk::{Channel, CheckpointDetail};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::risk_input::{Peer, RiskBody, context_for, device_id};
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::input::{FenInput, parse_id};
use crate::http::submit::reasons;
use crate::http::submit::{Audience, ask};
use crate::state::AppState;

/// A checkpoint and what it needs; fields of other checkpoints must be absent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointBody {
    /// `login`, `device_change`, `activation`, `credit_application` or `delivery`.
    #[schema(example = "login")]
    pub checkpoint: String,
    /// `login`: whether the credential check passed (risk runs after it, to count failures).
    pub password_ok: Option<bool>,
    /// `device_change`: the device the customer used before, if known.
    pub previous_device_id: Option<String>,
    /// `credit_application`: the limit asked for.
    pub requested_limit_fen: Option<FenInput>,
    /// `credit_application`: the declared monthly income.
    pub declared_monthly_income_fen: Option<FenInput>,
    /// `delivery`: the merchant shipping the order.
    pub merchant_id: Option<String>,
    /// `delivery`: the order's amount.
    pub order_amount_fen: Option<FenInput>,
    /// `delivery`: the shipping address changed after authorization.
    pub address_changed: Option<bool>,
    /// `delivery`: when the order was authorized (RFC 3339).
    pub authorized_at: Option<String>,
    /// The customer's device, address and location, and a step-up token if the customer
    /// passed one.
    pub risk: Option<RiskBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointResponse {
    pub customer_id: String,
    pub checkpoint: String,
    /// `allow`, `review` or `challenge_satisfied` (a deny answers 403 `risk_declined`, a
    /// step-up 403 `challenge_required`); `none` when the server runs without rules.
    #[schema(example = "allow")]
    pub decision: &'static str,
    pub reasons: Vec<String>,
    /// The rules version that decided.
    pub rules: Option<String>,
}

fn missing(field: &str) -> ApiError {
    ApiError::new(
        ErrorCode::MissingField,
        format!("{field} is required for this checkpoint"),
    )
    .with_field(field)
}

fn parse_time(text: &str, field: &str) -> Result<Timestamp, ApiError> {
    text.parse()
        .map_err(|_| ApiError::new(ErrorCode::InvalidField, format!("{field} is an RFC 3339 time")).with_field(field))
}

impl CheckpointBody {
    /// The names of the fields given that `checkpoint` does not take.
    fn stray(&self, takes: &[&str]) -> Option<&'static str> {
        let given = [
            ("password_ok", self.password_ok.is_some()),
            ("previous_device_id", self.previous_device_id.is_some()),
            ("requested_limit_fen", self.requested_limit_fen.is_some()),
            (
                "declared_monthly_income_fen",
                self.declared_monthly_income_fen.is_some(),
            ),
            ("merchant_id", self.merchant_id.is_some()),
            ("order_amount_fen", self.order_amount_fen.is_some()),
            ("address_changed", self.address_changed.is_some()),
            ("authorized_at", self.authorized_at.is_some()),
        ];
        given
            .into_iter()
            .find(|(name, present)| *present && !takes.contains(name))
            .map(|(name, _)| name)
    }

    fn detail(&self, state: &AppState) -> Result<CheckpointDetail, ApiError> {
        let product = state.product();
        let (detail, takes): (CheckpointDetail, &[&str]) = match self.checkpoint.as_str() {
            "login" => (
                CheckpointDetail::Login {
                    password_ok: self.password_ok.ok_or_else(|| missing("password_ok"))?,
                },
                &["password_ok"],
            ),
            "device_change" => (
                CheckpointDetail::DeviceChange {
                    previous_device: self
                        .previous_device_id
                        .as_deref()
                        .map(|d| device_id(d, "previous_device_id"))
                        .transpose()?,
                },
                &["previous_device_id"],
            ),
            "activation" => (CheckpointDetail::Activation, &[]),
            "credit_application" => (
                CheckpointDetail::CreditApplication {
                    requested_limit: self
                        .requested_limit_fen
                        .ok_or_else(|| missing("requested_limit_fen"))?
                        .parse(product, "requested_limit_fen")?,
                    declared_monthly_income: self
                        .declared_monthly_income_fen
                        .map(|f| f.parse(product, "declared_monthly_income_fen"))
                        .transpose()?,
                },
                &["requested_limit_fen", "declared_monthly_income_fen"],
            ),
            "delivery" => {
                let merchant = self.merchant_id.as_deref().ok_or_else(|| missing("merchant_id"))?;
                (
                    CheckpointDetail::Delivery {
                        merchant: risk::MerchantId(parse_id(merchant, "merchant_id")?),
                        order_amount: self
                            .order_amount_fen
                            .ok_or_else(|| missing("order_amount_fen"))?
                            .parse(product, "order_amount_fen")?,
                        address_changed: self.address_changed.unwrap_or(false),
                        authorized_at: risk::Timestamp::from_millis(
                            parse_time(
                                self.authorized_at.as_deref().ok_or_else(|| missing("authorized_at"))?,
                                "authorized_at",
                            )?
                            .as_millisecond(),
                        ),
                    },
                    &["merchant_id", "order_amount_fen", "address_changed", "authorized_at"],
                )
            }
            _ => {
                return Err(ApiError::new(
                    ErrorCode::InvalidField,
                    "checkpoint is login, device_change, activation, credit_application or delivery",
                )
                .with_field("checkpoint"));
            }
        };
        if let Some(field) = self.stray(takes) {
            return Err(ApiError::new(
                ErrorCode::InvalidField,
                format!("{field} does not belong to a {} checkpoint", self.checkpoint),
            )
            .with_field(field));
        }
        Ok(detail)
    }
}

fn decision_name(record: Option<&engine::RiskRecord>) -> &'static str {
    match record {
        None => "none",
        Some(r) if r.satisfied_by_step_up => "challenge_satisfied",
        Some(r) => match r.outcome {
            risk::Outcome::Allow => "allow",
            risk::Outcome::Review => "review",
            risk::Outcome::Challenge(_) => "challenge_satisfied",
            risk::Outcome::Deny => "deny",
        },
    }
}

/// Run a risk checkpoint for a customer (operator: the app backend). A deny answers 403
/// `risk_declined` and a step-up 403 `challenge_required`, both with `reasons`; the decision is
/// journaled and counted in the risk features either way.
#[utoipa::path(operation_id = "run_checkpoint", post, path = "/v1/customers/{customer_id}/checkpoints", tag = "risk",
    request_body = CheckpointBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "allowed or held for review", body = CheckpointResponse), Refusals, Unavailable))]
pub async fn checkpoint(State(state): State<AppState>, Peer(peer): Peer, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let account = AccountId(call.id("customer_id")?);
    let idem = call.idem()?;
    let body: CheckpointBody = call.json()?;
    let detail = body.detail(&state)?;
    let context = context_for(&state, body.risk.as_ref(), peer, Channel::Online, account, idem)?;
    let checkpoint = ask::Checkpoint { account, detail };
    let answered = ask(&state, checkpoint, idem, Audience::Account, Some(context)).await?;
    let record = answered.risk.as_deref();
    let response = CheckpointResponse {
        customer_id: account.to_string(),
        checkpoint: body.checkpoint.clone(),
        decision: decision_name(record),
        reasons: reasons(record),
        rules: record.map(|r| r.rules.to_string()),
    };
    Ok(respond(StatusCode::OK, &response, answered.replayed))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditProfileBody {
    /// Probability of default, 0 to 1.
    #[schema(example = 0.035)]
    pub pd: f64,
    /// The credit score (0 to 1000).
    #[schema(example = 640)]
    pub score: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditProfileResponse {
    pub customer_id: String,
    pub pd: f64,
    pub score: i32,
}

/// Set a customer's credit profile: the scores risk rules read (operator; e.g. after a bureau
/// refresh). The price tier of a line opened through an application is kept.
#[utoipa::path(operation_id = "set_credit_profile", post, path = "/v1/customers/{customer_id}/credit-profile", tag = "operator",
    request_body = CreditProfileBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = CreditProfileResponse), Refusals, Unavailable))]
pub async fn credit_profile(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let account = AccountId(call.id("customer_id")?);
    let idem = call.idem()?;
    let body: CreditProfileBody = call.json()?;
    if !(body.pd.is_finite() && (0.0..=1.0).contains(&body.pd)) {
        return Err(ApiError::new(ErrorCode::InvalidField, "pd must be 0 to 1").with_field("pd"));
    }
    if !(0..=1000).contains(&body.score) {
        return Err(ApiError::new(ErrorCode::InvalidField, "score must be 0 to 1000").with_field("score"));
    }
    crate::http::submit::account(&state, account).await?;
    let pricing = crate::http::submit::credit_profile(&state, account)
        .await?
        .and_then(|p| p.pricing);
    let profile = CreditProfile {
        pd: body.pd,
        score: body.score,
        pricing,
    };
    let set = ask::SetCreditProfile { account, profile };
    let answered = ask(&state, set, idem, Audience::Account, None).await?;
    let response = CreditProfileResponse {
        customer_id: account.to_string(),
        pd: body.pd,
        score: body.score,
    };
    Ok(respond(StatusCode::OK, &response, answered.replayed))
}
