//! The routes around the API: health, a docs page that loads nothing
//! from the network, and the error-shaped answers for unknown routes and methods.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorCode};

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

const DOCS: &str = "<!doctype html><meta charset=utf-8><title>iou API</title>\
<body style=\"font-family:sans-serif;max-width:60em;margin:2em auto\"><h1>iou API</h1>\
<p>The API is described by its <a href=\"/openapi.json\">OpenAPI document</a>; open it in any \
OpenAPI viewer. Authentication, signing and a first purchase with curl are in API.md.</p>";

pub async fn docs() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], DOCS).into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::RouteNotFound, "no such route")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this route does not take this method")
}
