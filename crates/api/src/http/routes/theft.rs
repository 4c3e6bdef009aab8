//! Theft reports and the customer's own cases (`POST .../theft-reports`,
//! `GET .../cases`), the customer's own freeze (a lost phone: no step-up needed to stop
//! payments) and the customer's unfreeze after a liveness step-up (each beside the operator's
//! route on the same path).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use credit::{AccountId, FreezeReason};
use engine::ask;
use risk::ChallengeKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::cases::{CasesResponse, all_cases, case_view, operator_view};
use crate::http::routes::customers::customer_of;
use crate::http::routes::monitoring::parse_txns;
use crate::http::submit::{Audience, account, ask};
use crate::state::AppState;

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
    let report = ask::ReportTheft { account: id, txns };
    let answered = ask(&state, report, call.idem()?, Audience::Account, None)
        .await
        .map_err(|e| {
            if e.code == ErrorCode::TxnNotFound {
                e.with_field("txn_ids")
            } else {
                e
            }
        })?;
    let response = TheftResponse {
        case_id: answered.reply.case.to_string(),
        status: "open",
        txn_ids: answered.reply.txns.iter().map(ToString::to_string).collect(),
        frozen: "theft_report",
    };
    Ok(respond(StatusCode::CREATED, &response, answered.replayed))
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
        // Operators get the evidence and the team's work (notes, assignee): Customer 360.
        cases: cases
            .iter()
            .map(|c| {
                if evidence {
                    operator_view(&state, c)
                } else {
                    case_view(c, false)
                }
            })
            .collect(),
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

/// A customer's own freeze or unfreeze in the audit log (actor `system`: customers are not
/// operators; the target names the customer).
async fn customer_record(state: &AppState, id: AccountId, action: &str) {
    let target = format!("/v1/customers/{id}");
    let entry = crate::http::audited::Entry {
        actor: None,
        action,
        target: &target,
        detail: vec![("by", "customer".to_owned())],
        outcome: audit::Outcome::Ok,
    };
    crate::http::audited::record(state, entry).await;
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SelfFreezeResponse {
    pub customer_id: String,
    #[schema(example = "freeze")]
    pub change: &'static str,
    /// Always `customer`: lifted by the customer with a liveness step-up, or by an operator.
    pub frozen: &'static str,
}

/// Freeze: an operator freezes with a reason (`operator::freeze`); the customer freezes their
/// own account from the app (`{}`), at once and without a step-up (stopping payments must be
/// easy; lifting it is not: `unfreeze` needs a liveness step-up). An account already frozen
/// answers 409 `account_frozen` and keeps its freeze (a customer cannot turn an operator's
/// freeze into one they may lift). One path, two callers: the OpenAPI document lists the
/// operator's form (API.md describes the customer's).
pub async fn freeze(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    if call.principal.operator().is_ok() {
        return Ok(crate::http::routes::operator::freeze(State(state), call)
            .await
            .into_response());
    }
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let _: crate::http::routes::payments::EmptyBody = call.json()?;
    let idem = call.idem()?;
    let applied = crate::http::once::once(&state, idem, async {
        if account(&state, id).await?.frozen.is_some() {
            return Err(ApiError::new(ErrorCode::AccountFrozen, "the account is frozen already"));
        }
        // The engine decides "not frozen" again in the same step as the freeze: an operator's or
        // risk's freeze landing after the check above is never replaced by the customer's.
        let freeze = engine::ask::FreezeUnlessFrozen {
            account: id,
            reason: FreezeReason::Customer,
        };
        let inner = idem.sub("customer.freeze", id.0);
        ask(&state, freeze, inner, Audience::Account, None).await?;
        customer_record(&state, id, "customer.freeze").await;
        let response = SelfFreezeResponse {
            customer_id: id.to_string(),
            change: "freeze",
            frozen: "customer",
        };
        crate::http::once::Answer::new(StatusCode::OK, &response)
    })
    .await?;
    Ok(applied)
}

/// Unfreeze: an operator lifts any freeze but a theft report's (`operator::unfreeze`); the
/// customer lifts their own theft-report freeze, once its case is resolved, with a fresh
/// liveness step-up token (`{"step_up_token": "..."}`). One path, two callers: the OpenAPI
/// document lists the operator's form (API.md describes the customer's).
pub async fn unfreeze(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    if call.principal.operator().is_ok() {
        return Ok(crate::http::routes::operator::unfreeze(State(state), call)
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
            ErrorCode::OperatorFreeze,
            "only an operator lifts this freeze",
        ));
    }
    // In simulation mode the simulator's `Iou-Sim-Step-Up` header stands in for the token, as
    // it does on calls with a risk context (`crate::simulation`); never outside it.
    let kind = match crate::simulation::step_up() {
        Some(kind) => kind,
        None => {
            state
                .risk_edge()
                .step_ups
                .spend(&body.step_up_token, id, idem, state.clock().now())
                .map_err(|e| e.with_field("step_up_token"))?
                .kind
        }
    };
    if kind != ChallengeKind::Liveness {
        return Err(
            ApiError::new(ErrorCode::LivenessRequired, "unfreezing needs a liveness step-up token")
                .with_field("step_up_token"),
        );
    }
    let unfreeze = ask::VerifiedUnfreeze { account: id };
    let answered = ask(&state, unfreeze, idem, Audience::Account, None).await?;
    if !answered.replayed {
        customer_record(&state, id, "customer.unfreeze").await;
    }
    let response = UnfreezeResponse {
        customer_id: id.to_string(),
        change: "unfreeze",
    };
    Ok(respond(StatusCode::OK, &response, answered.replayed))
}
