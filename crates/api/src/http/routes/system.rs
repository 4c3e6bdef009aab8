//! The routes around the API: liveness (`/healthz`), readiness (`/readyz`), the metrics
//! (`/metrics`), and the error-shaped answers for unknown routes and methods. All public: they
//! answer nothing about a customer or merchant. The docs page is `routes::docs`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::telemetry::Scrape;
use crate::telemetry::ready::{self, NotReady};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the server answers.
#[utoipa::path(operation_id = "healthz", get, path = "/healthz", tag = "system", responses((status = 200, description = "success", body = Health)))]
pub async fn healthz() -> Response {
    crate::http::call::respond(StatusCode::OK, &Health { status: "ok" }, false)
}

/// Whether the server can take work.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, or `not_ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Why not: `shutting_down`, `engine_stopped`, `engine_thread_stopped`,
    /// `read_models_behind`; absent when ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The reason in words; absent when ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Readiness: 200 when the server can take work (not shutting down, the engine running, the
/// read models at most 60 s behind the journal), else 503 with the reason. Reads no store.
#[utoipa::path(operation_id = "readyz", get, path = "/readyz", tag = "system",
    responses((status = 200, description = "ready", body = Readiness), (status = 503, description = "not ready, and why", body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let gauges = state.engine().gauges();
    match ready::check(&state, &gauges) {
        Ok(()) => {
            let ready = Readiness {
                status: "ready",
                reason: None,
                message: None,
            };
            crate::http::call::respond(StatusCode::OK, &ready, false)
        }
        Err(not) => not_ready(&not),
    }
}

fn not_ready(not: &NotReady) -> Response {
    let body = Readiness {
        status: "not_ready",
        reason: Some(not.reason()),
        message: Some(not.message()),
    };
    crate::http::call::respond(StatusCode::SERVICE_UNAVAILABLE, &body, false)
}

/// The server's metrics in the Prometheus text format (API.md lists them). Public, like the
/// health routes: no label names a customer, merchant or transaction.
#[utoipa::path(operation_id = "metrics", get, path = "/metrics", tag = "system",
    responses((status = 200, description = "the metrics, Prometheus text format 0.0.4", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let gauges = state.engine().gauges();
    let ready = ready::check(&state, &gauges).is_ok();
    let reading = state.clone();
    let backlog = tokio::task::spawn_blocking(move || {
        let mut outbox = reading
            .outbox()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        outbox.backlog()
    })
    .await;
    let backlog = match backlog {
        Ok(Ok(backlog)) => Some(backlog),
        Ok(Err(error)) => {
            tracing::warn!(%error, "the outbox's backlog could not be read for the metrics");
            None
        }
        Err(error) => {
            tracing::error!(%error, "the outbox task failed");
            None
        }
    };
    let scrape = Scrape {
        gauges,
        backlog,
        now_ms: state.clock().now().as_millisecond(),
        ready,
    };
    let text = state.telemetry().render(&scrape);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::RouteNotFound, "no such route")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this route does not take this method")
}
