//! Emergency controls (`/v1/emergency/...`): see what is in force, pause offline payments,
//! pause one merchant, freeze a list of accounts at once, raise every account's risk tier, roll
//! the rule set back to the previous version.
//! Each switch is one route taking `active: true` (on) or `active: false` (off), kept by
//! `edge::emergency` in the meta table; the audit layer records every call under the route's
//! permission (`emergency.pause`, ...). Answers are stored under the Idempotency-Key (a retry
//! gets the first answer).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{AccountId, FreezeReason, MerchantId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::emergency::{RaisedTier, Switched};
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::idempotency::IdemKey;
use crate::http::input::{FenInput, parse_id, parse_text};
use crate::http::once::{Answer, once};
use crate::http::routes::operator::{FreezeReasonDto, reason_name};
use crate::http::submit::{Audience, ask};
use crate::state::AppState;

/// The most accounts one bulk freeze takes.
pub const FREEZE_MAX: usize = 1000;

/// A paused merchant.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantPause {
    pub merchant_id: String,
    pub switched: Switched,
}

/// The emergency controls in force (`null`: off).
#[derive(Debug, Serialize, ToSchema)]
pub struct EmergencyView {
    /// Payment code (QR/NFC) authorizations answer 402 `offline_paused`.
    pub offline_paused: Option<Switched>,
    /// Authorizations to these merchants answer 402 `merchant_paused`.
    pub merchants_paused: Vec<MerchantPause>,
    /// Every payment above `step_up_above_fen` answers 403 `challenge_required` (OTP) until
    /// it carries a step-up token.
    pub risk_tier: Option<RaisedTier>,
}

fn view(state: &AppState) -> EmergencyView {
    let controls = state.emergency().controls();
    EmergencyView {
        offline_paused: controls.offline_paused,
        merchants_paused: controls
            .merchants_paused
            .into_iter()
            .map(|(id, switched)| MerchantPause {
                merchant_id: id.to_string(),
                switched,
            })
            .collect(),
        risk_tier: controls.risk_tier,
    }
}

/// The emergency controls in force (operator).
#[utoipa::path(operation_id = "emergency_controls", get, path = "/v1/emergency", tag = "emergency",
    security(("bearer" = [])),
    responses((status = 200, description = "success", body = EmergencyView), Refusals))]
pub async fn read(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    Ok(respond(StatusCode::OK, &view(&state), false))
}

/// Switch a pause on or off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseBody {
    /// `true` pauses, `false` resumes.
    pub active: bool,
    /// Why (kept with the control and shown by `GET /v1/emergency`).
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// Who switches, now, and why.
fn switched(state: &AppState, call: &Call, reason: Option<&str>) -> Result<Switched, ApiError> {
    Ok(Switched {
        by: call.operator_name.clone().unwrap_or_else(|| "operator".to_owned()),
        at: state.clock().now().to_string(),
        reason: reason.map(|r| parse_text(r, "reason", 200)).transpose()?,
    })
}

fn answer(state: &AppState) -> Result<Answer, ApiError> {
    Answer::new(StatusCode::OK, &view(state))
}

/// Pause (or resume) every payment code (offline QR/NFC) authorization: they answer 402
/// `offline_paused` before the code is spent; online (link) payments go on (operator).
#[utoipa::path(operation_id = "emergency_offline_pause", post, path = "/v1/emergency/offline-pause", tag = "emergency",
    request_body = PauseBody, params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the controls now in force", body = EmergencyView), Refusals, Unavailable))]
pub async fn offline_pause(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let body: PauseBody = call.json()?;
    let on = switched(&state, &call, body.reason.as_deref())?;
    once(&state, call.idem()?, async {
        let meta = state.meta();
        state.emergency().set_offline(meta, body.active.then_some(on)).await?;
        answer(&state)
    })
    .await
}

/// Pause (or resume) one merchant: its authorizations answer 402 `merchant_paused`;
/// captures, voids and refunds of what it already authorized go on (operator).
#[utoipa::path(operation_id = "emergency_merchant_pause", post, path = "/v1/emergency/merchants/{merchant_id}/pause", tag = "emergency",
    request_body = PauseBody, params(("merchant_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the controls now in force", body = EmergencyView), Refusals, Unavailable))]
pub async fn merchant_pause(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let merchant = MerchantId(call.id("merchant_id")?);
    let body: PauseBody = call.json()?;
    if state.merchants().get(merchant).is_none() {
        return Err(ApiError::new(ErrorCode::MerchantNotFound, "no merchant has this id").with_field("merchant_id"));
    }
    let on = switched(&state, &call, body.reason.as_deref())?;
    once(&state, call.idem()?, async {
        let meta = state.meta();
        state
            .emergency()
            .set_merchant(meta, merchant, body.active.then_some(on))
            .await?;
        answer(&state)
    })
    .await
}

/// Raise (or lower) every account's risk tier.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskTierBody {
    /// `true` raises, `false` lowers.
    pub active: bool,
    /// Payments above this amount must step up (needed with `active: true`).
    pub step_up_above_fen: Option<FenInput>,
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// Raise (or lower) every account's risk tier: a payment above `step_up_above_fen` answers
/// 403 `challenge_required` (an OTP step-up) unless it carries a step-up token (operator).
#[utoipa::path(operation_id = "emergency_risk_tier", post, path = "/v1/emergency/risk-tier", tag = "emergency",
    request_body = RiskTierBody, params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the controls now in force", body = EmergencyView), Refusals, Unavailable))]
pub async fn risk_tier(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let body: RiskTierBody = call.json()?;
    let tier = match (body.active, body.step_up_above_fen) {
        (true, Some(fen)) => Some(RaisedTier {
            step_up_above_fen: fen.parse(state.product(), "step_up_above_fen")?.fen(),
            switched: switched(&state, &call, body.reason.as_deref())?,
        }),
        (true, None) => {
            return Err(
                ApiError::new(ErrorCode::MissingField, "raising the tier needs step_up_above_fen")
                    .with_field("step_up_above_fen"),
            );
        }
        (false, _) => None,
    };
    once(&state, call.idem()?, async {
        state.emergency().set_risk_tier(state.meta(), tier).await?;
        answer(&state)
    })
    .await
}

/// Freeze a list of accounts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezesBody {
    /// 1 to 1000 customer ids (repeats are frozen once).
    pub customer_ids: Vec<String>,
    /// `operator` (the default), `risk` or `theft_report`.
    #[serde(default)]
    pub reason: FreezeReasonDto,
}

/// What happened to one account.
#[derive(Debug, Serialize, ToSchema)]
pub struct FreezeResult {
    pub customer_id: String,
    /// `frozen`, `already_frozen`, `not_found` or `failed` (`code` says why).
    #[schema(example = "frozen")]
    pub result: &'static str,
    pub code: Option<ErrorCode>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FreezesResponse {
    /// One line per account, in the order given.
    pub results: Vec<FreezeResult>,
    pub frozen: usize,
    pub already_frozen: usize,
    pub not_found: usize,
    pub failed: usize,
}

fn parse_accounts(ids: &[String]) -> Result<Vec<AccountId>, ApiError> {
    if ids.is_empty() || ids.len() > FREEZE_MAX {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            format!("customer_ids takes 1 to {FREEZE_MAX} ids"),
        )
        .with_field("customer_ids"));
    }
    let mut accounts = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let account = AccountId(parse_id(id, &format!("customer_ids[{i}]"))?);
        if !accounts.contains(&account) {
            accounts.push(account);
        }
    }
    Ok(accounts)
}

/// Freezes one account unless it is frozen already (its reason stays: a theft report's
/// freeze is not turned into an operator's; only a customer's own freeze gives way). The engine
/// decides it in one step (`FreezeUnlessFrozen`); the read before only words the answer.
async fn freeze_one(
    state: &AppState,
    account: AccountId,
    reason: FreezeReason,
    idem: IdemKey,
) -> (&'static str, Option<ErrorCode>) {
    match crate::http::submit::account(state, account).await {
        Ok(found) if found.frozen.is_some_and(|r| r != FreezeReason::Customer) => return ("already_frozen", None),
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::AccountNotFound => return ("not_found", None),
        Err(e) => return ("failed", Some(e.code)),
    }
    let freeze = engine::ask::FreezeUnlessFrozen { account, reason };
    match ask(state, freeze, idem, Audience::Account, None).await {
        Ok(_) => ("frozen", None),
        Err(e) if e.code == ErrorCode::AccountFrozen => ("already_frozen", None),
        Err(e) if e.code == ErrorCode::AccountNotFound => ("not_found", None),
        Err(e) => ("failed", Some(e.code)),
    }
}

/// Freeze up to 1000 accounts at once, each with the freeze of `POST .../freeze`; answers
/// what happened to each (operator).
#[utoipa::path(operation_id = "emergency_freezes", post, path = "/v1/emergency/freezes", tag = "emergency",
    request_body = FreezesBody, params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "one result per account", body = FreezesResponse), Refusals, Unavailable))]
pub async fn freezes(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let body: FreezesBody = call.json()?;
    let accounts = parse_accounts(&body.customer_ids)?;
    let reason = match body.reason {
        FreezeReasonDto::Operator => FreezeReason::Operator,
        FreezeReasonDto::Risk => FreezeReason::Risk,
        FreezeReasonDto::TheftReport => FreezeReason::TheftReport,
    };
    let idem = call.idem()?;
    once(&state, idem, async {
        let mut response = FreezesResponse {
            results: Vec::with_capacity(accounts.len()),
            frozen: 0,
            already_frozen: 0,
            not_found: 0,
            failed: 0,
        };
        for account in accounts {
            let (result, code) = freeze_one(&state, account, reason, idem.sub("emergency.freeze", account.0)).await;
            match result {
                "frozen" => response.frozen += 1,
                "already_frozen" => response.already_frozen += 1,
                "not_found" => response.not_found += 1,
                _ => response.failed += 1,
            }
            response.results.push(FreezeResult {
                customer_id: account.to_string(),
                result,
                code,
            });
        }
        tracing::warn!(
            frozen = response.frozen,
            reason = reason_name(reason),
            "emergency: accounts frozen in bulk"
        );
        Answer::new(StatusCode::OK, &response)
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RollbackResponse {
    /// The graphs now in force (`<graph>@v<version>#<digest>`).
    pub in_force: Vec<String>,
    /// Whether another rollback would go back again (to the set just replaced: a roll forward).
    pub can_roll_back: bool,
}

/// Roll the rule set back to the one in force before the latest reload of the rules folder;
/// kept across restarts until the folder is edited again. Rolling back twice rolls forward
/// (operator).
#[utoipa::path(operation_id = "emergency_rules_rollback", post, path = "/v1/emergency/rules-rollback", tag = "emergency",
    request_body = crate::http::routes::payments::EmptyBody, params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the set now in force", body = RollbackResponse), Refusals, Unavailable))]
pub async fn rules_rollback(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    use crate::edge::rules_history::RollbackError;
    call.principal.operator()?;
    let _: crate::http::routes::payments::EmptyBody = call.json()?;
    let history = state.risk_edge().rules.as_ref().and_then(|r| r.history.clone());
    let no_previous = || {
        ApiError::new(
            ErrorCode::NoPreviousRules,
            "no previous rule set to roll back to: the rules are built in, or the folder was not edited since it was first loaded",
        )
    };
    let history = history.ok_or_else(no_previous)?;
    once(&state, call.idem()?, async {
        let worker = history.clone();
        let rolled = tokio::task::spawn_blocking(move || worker.roll_back())
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let in_force = rolled.map_err(|e| match e {
            RollbackError::NoPrevious => no_previous(),
            RollbackError::Store(why) => ApiError::new(ErrorCode::StorageFailed, why),
            RollbackError::Build(why) => ApiError::internal(why),
        })?;
        tracing::warn!(?in_force, "emergency: rule set rolled back");
        let response = RollbackResponse {
            in_force,
            can_roll_back: history.has_previous(),
        };
        Answer::new(StatusCode::OK, &response)
    })
    .await
}
