//! The police evidence bundle over HTTP (`GET /v1/cases/{case_id}/evidence-bundle`): what
//! `iou cases export` writes, for a fraud investigator (`cases.export`), personal data always
//! masked (there is no reveal over HTTP: revealing a ring's identities would need a second
//! operator's approval, which this route does not offer; the CLI's `--reveal` with the key
//! file stays the way). Each export is audited as the CLI's is: a record `cases.export` with
//! the case as target, `ring`, `personal_data: masked` and the bundle's SHA-256, appended
//! through the server's one auditor before the answer leaves.
//!
//! `format=json` (default) answers the bundle (`iou.evidence_bundle/1`, its `hash` member the
//! SHA-256 a recipient recomputes); `format=html` the self-contained page. Building it reads the
//! whole journal (twice): an investigator's action, not a request path.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::CaseId;
use serde::Deserialize;

use crate::evidence_bundle::{ExportRequest, build};
use crate::http::audited::{Entry, record};
use crate::http::call::Call;
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::cases::find_case;
use crate::state::AppState;

/// No script, no outside resource, no frame: the page's inline style only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    /// `true`: the whole ring (every case linked to this one, and every account sharing a
    /// device or IP with them). Default `false`.
    pub ring: Option<bool>,
    /// `json` (default) or `html`.
    pub format: Option<String>,
}

/// A case's police evidence bundle, personal data masked (fraud investigators; audited as
/// `cases.export`).
#[utoipa::path(operation_id = "export_case_evidence", get, path = "/v1/cases/{case_id}/evidence-bundle", tag = "risk",
    params(("case_id" = String, Path), BundleQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "the bundle (`iou.evidence_bundle/1`, `no-store`) as JSON, or with `format=html` its self-contained page", content_type = "application/json", body = Object),
        Refusals, Unavailable))]
pub async fn export(
    State(state): State<AppState>,
    query: Result<Query<BundleQuery>, axum::extract::rejection::QueryRejection>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let Ok(Query(query)) = query else {
        return Err(
            ApiError::new(ErrorCode::InvalidField, "ring is true or false, format is json or html")
                .with_field("format"),
        );
    };
    let html = match query.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(_) => return Err(ApiError::new(ErrorCode::InvalidField, "format is json or html").with_field("format")),
    };
    let case = find_case(&state, CaseId(call.id("case_id")?)).await?;
    let request = ExportRequest {
        case: case.id.0,
        ring: query.ring.unwrap_or(false),
        reveal: None,
        actor: call.operator_name.clone(),
    };
    let backend = state.backend().clone();
    let ring = request.ring;
    let built = tokio::task::spawn_blocking(move || build(&backend, &request))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|error| {
            tracing::error!(%error, "building an evidence bundle failed");
            ApiError::unavailable("the evidence bundle could not be built from the journal")
        })?;
    let target = format!("case:{}", case.id.0);
    let entry = Entry {
        actor: call.operator_name.as_deref(),
        action: "cases.export",
        target: &target,
        detail: vec![
            ("ring", ring.to_string()),
            ("personal_data", "masked".to_owned()),
            ("sha256", built.hash.clone()),
            ("format", if html { "html" } else { "json" }.to_owned()),
        ],
        outcome: audit::Outcome::Ok,
    };
    record(&state, entry).await;
    let (body, content_type, name) = if html {
        (built.html.into_bytes(), "text/html; charset=utf-8", "bundle.html")
    } else {
        let json = serde_json::to_vec_pretty(&built.bundle).map_err(|e| ApiError::internal(e.to_string()))?;
        (json, "application/json", "bundle.json")
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    let set = |v: &str| header::HeaderValue::from_str(v).map_err(|_| ApiError::internal("a header value"));
    headers.insert(header::CONTENT_TYPE, set(content_type)?);
    headers.insert(header::CACHE_CONTROL, set("no-store")?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, set("nosniff")?);
    headers.insert(
        header::CONTENT_DISPOSITION,
        set(&format!("attachment; filename=\"case-{}-{name}\"", case.id.0))?,
    );
    if html {
        headers.insert(header::CONTENT_SECURITY_POLICY, set(CSP)?);
    }
    Ok(response)
}
