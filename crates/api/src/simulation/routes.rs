//! The simulation-mode routes (operator only; 404 `simulation_mode_off` on a server not started
//! in simulation mode): move the server's clock, run the daily advance now, and read an
//! account whole as the engine holds it (for the simulator's auditor). See
//! [`crate::simulation`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{AccountId, Event};
use engine::{Clock, Outcome};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Unavailable};
use crate::http::routes::payments::EmptyBody;
use crate::http::submit::{account, submit_error};
use crate::simulation::required;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    /// The new time (RFC 3339); never before the server's current time.
    #[schema(example = "2026-01-02T00:00:00+08:00")]
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockResponse {
    /// The server's time now (RFC 3339, UTC).
    pub now: String,
}

/// Set the server's clock (operator, simulation mode only). The clock never goes backwards.
#[utoipa::path(operation_id = "set_clock", post, path = "/v1/system/clock", tag = "system", request_body = ClockBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = ClockResponse), (status = "4XX", description = "refused: see the error code (404 `simulation_mode_off` outside simulation mode)", body = ErrorBody)))]
pub async fn clock(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let simulation = required(&state)?;
    let body: ClockBody = call.json()?;
    let at: Timestamp = body.at.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidField,
            "at must be an RFC 3339 time like 2026-01-02T00:00:00+08:00",
        )
        .with_field("at")
    })?;
    let now = simulation.clock.now();
    if at < now {
        return Err(ApiError::new(
            ErrorCode::ClockBackwards,
            format!("the clock stands at {now} and never goes backwards"),
        )
        .with_field("at"));
    }
    simulation.clock.set(at);
    Ok(respond(StatusCode::OK, &ClockResponse { now: at.to_string() }, false))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdvanceResponse {
    /// The server's time the advance ran at (RFC 3339, UTC).
    pub at: String,
    pub partitions: u32,
    /// Credit events the advance produced.
    pub events: usize,
    pub statements_closed: usize,
    /// Delinquency bucket changes (an account going overdue, deeper, or back to current).
    pub bucket_changes: usize,
    pub holds_expired: usize,
    pub charged_off: usize,
    /// Every event, as the journal encodes it (hex of postcard `Vec<credit::Event>`), for the
    /// simulator's auditor.
    pub journal: String,
}

/// Run the daily advance on every partition now (operator, simulation mode only): statements
/// close on billing days, holds expire, interest and penalties accrue, delinquency moves.
#[utoipa::path(operation_id = "advance_day", post, path = "/v1/system/advance", tag = "system", request_body = EmptyBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = AdvanceResponse), (status = "4XX", description = "refused: see the error code (404 `simulation_mode_off` outside simulation mode)", body = ErrorBody), Unavailable))]
pub async fn advance(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let simulation = required(&state)?;
    let _: EmptyBody = call.json()?;
    let at = simulation.clock.now();
    let receivers = state.engine().advance().map_err(submit_error)?;
    let partitions = receivers.len() as u32;
    let mut events: Vec<Event> = Vec::new();
    for receiver in receivers {
        let reply = receiver
            .await
            .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
        match reply.outcome {
            Outcome::Applied { events: mut e, .. } => events.append(&mut e),
            Outcome::Rejected { rejection } => {
                return Err(crate::http::submit::refusal(
                    rejection,
                    crate::http::submit::Audience::Account,
                ));
            }
            Outcome::Conflict => return Err(ApiError::internal("an advance answered an idempotency conflict")),
        }
    }
    let count = |f: fn(&Event) -> bool| events.iter().filter(|e| f(e)).count();
    let journal = postcard::to_stdvec(&events)
        .map(hex::encode)
        .map_err(|e| ApiError::internal(format!("the events did not encode: {e}")))?;
    let response = AdvanceResponse {
        at: at.to_string(),
        partitions,
        events: events.len(),
        statements_closed: count(|e| matches!(e, Event::StatementClosed { .. })),
        bucket_changes: count(|e| matches!(e, Event::BucketChanged { .. })),
        holds_expired: count(|e| matches!(e, Event::HoldExpired { .. })),
        charged_off: count(|e| matches!(e, Event::ChargedOff { .. })),
        journal,
    };
    Ok(respond(StatusCode::OK, &response, false))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountRecordResponse {
    pub customer_id: String,
    /// The account as the engine holds it (hex of postcard `credit::Account`): plans, holds,
    /// statements and the ledger, for the simulator's auditor.
    pub journal: String,
}

/// Read an account whole, as the engine holds it (operator, simulation mode only).
#[utoipa::path(operation_id = "get_account_record", get, path = "/v1/system/accounts/{customer_id}", tag = "system",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = AccountRecordResponse), (status = "4XX", description = "refused: see the error code (404 `simulation_mode_off` outside simulation mode)", body = ErrorBody)))]
pub async fn account_record(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    required(&state)?;
    let id = AccountId(call.id("customer_id")?);
    let found = account(&state, id).await?;
    let journal = postcard::to_stdvec(&found)
        .map(hex::encode)
        .map_err(|e| ApiError::internal(format!("the account did not encode: {e}")))?;
    let response = AccountRecordResponse {
        customer_id: id.to_string(),
        journal,
    };
    Ok(respond(StatusCode::OK, &response, false))
}
