//! Simulation mode: a server the operator starts explicitly on a clock it moves by hand
//! (`iou serve --simulation`, [`crate::Server::start_simulated`]), so `iou simulate --url` can
//! run days in seconds against it. Off by default; when off, the `/v1/system/*` routes answer
//! 404 `simulation_mode_off`.
//!
//! This module owns what the mode adds to every call, kept in a task-local slot that a
//! middleware opens per request:
//!
//! - the engine's reply as the journal keeps it (outcome with every credit event, and the risk
//!   decision), sent back in the `Iou-Sim-Reply` header (hex of postcard), so the simulator's
//!   auditor sees what the public answer summarizes (ledger postings, allocations, available
//!   credit after an authorization);
//! - `Iou-Sim-Step-Up: otp|liveness`: the simulator's word that its synthetic customer passed
//!   that step-up; it stands in for a step-up token on calls that carry a risk context and on
//!   the customer's unfreeze after a theft report.
//!
//! Neither header has any effect on a server outside simulation mode.

pub mod mode;
pub mod routes;

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use engine::{Outcome, Reply, RiskRecord};
use risk::ChallengeKind;

use crate::http::error::{ApiError, ErrorCode};
use crate::simulation::mode::Simulation;
use crate::state::AppState;

/// The header carrying the engine's reply.
pub const REPLY_HEADER: &str = "iou-sim-reply";
/// The header asserting a passed step-up.
pub const STEP_UP_HEADER: &str = "iou-sim-step-up";

/// What one call of a simulation-mode server carries.
#[derive(Debug, Default)]
struct Slot {
    reply: Mutex<Option<String>>,
    step_up: Option<ChallengeKind>,
}

tokio::task_local! {
    static SLOT: Arc<Slot>;
}

fn parse_step_up(value: Option<&HeaderValue>) -> Option<ChallengeKind> {
    match value.and_then(|v| v.to_str().ok()) {
        Some("otp") => Some(ChallengeKind::Otp),
        Some("liveness") => Some(ChallengeKind::Liveness),
        _ => None,
    }
}

/// The middleware: outside simulation mode it does nothing; in it, it opens the call's slot
/// and answers the reply the call recorded in [`REPLY_HEADER`].
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.simulation().is_none() {
        return next.run(request).await;
    }
    let slot = Arc::new(Slot {
        reply: Mutex::new(None),
        step_up: parse_step_up(request.headers().get(STEP_UP_HEADER)),
    });
    let mut response = SLOT.scope(slot.clone(), next.run(request)).await;
    let reply = slot.reply.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(value) = reply.and_then(|r| HeaderValue::from_str(&r).ok()) {
        response.headers_mut().insert(REPLY_HEADER, value);
    }
    response
}

/// Encodes a reply the way the header carries it.
pub fn encode_reply(outcome: &Outcome, risk: Option<&RiskRecord>) -> Option<String> {
    postcard::to_stdvec(&(outcome, risk)).ok().map(hex::encode)
}

/// Keeps the engine's reply for the header (a call in simulation mode only).
pub fn record(reply: &Reply) {
    let _ = SLOT.try_with(|slot| {
        if let Some(encoded) = encode_reply(&reply.outcome, reply.risk.as_deref()) {
            *slot.reply.lock().unwrap_or_else(PoisonError::into_inner) = Some(encoded);
        }
    });
}

/// The step-up the simulator says its customer passed on this call, if any.
pub fn step_up() -> Option<ChallengeKind> {
    SLOT.try_with(|slot| slot.step_up).ok().flatten()
}

/// `call` carrying this task's simulation slot, for a call that runs on a task of its own
/// (a payment code's `SpentCode::settle`): the engine's reply it records still reaches this
/// call's response. Outside simulation mode it is `call` as it is.
pub fn carry<F: std::future::Future>(call: F) -> impl std::future::Future<Output = F::Output> {
    let slot = SLOT.try_with(Arc::clone).ok();
    async move {
        match slot {
            Some(slot) => SLOT.scope(slot, call).await,
            None => call.await,
        }
    }
}

/// The mode's state, or 404 `simulation_mode_off`.
pub fn required(state: &AppState) -> Result<&Simulation, ApiError> {
    state.simulation().ok_or_else(|| {
        ApiError::new(
            ErrorCode::SimulationModeOff,
            "this route exists only on a server started in simulation mode (iou serve --simulation)",
        )
    })
}
