//! The operator's own session: `POST /v1/operators/console/login` (the console's login, which
//! hands the session to the browser as an `HttpOnly` cookie instead of showing the token:
//! `http::auth::console`) and `GET /v1/operators/me` (who is calling, with which roles and
//! permissions, so a page offers only the actions the caller may take; the routes still refuse
//! the others).

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use crate::edge::risk_input::Peer;
use crate::http::auth::{OperatorId, console};
use crate::http::call::{Call, no_store, respond};
use crate::http::error::{ApiError, ErrorBody, Refusals};
use crate::http::routes::operators::{LoginBody, open_session};
use crate::state::AppState;

/// Whether the request came over https as far as the server can tell (see
/// [`console::secure`]).
pub struct ViaHttps(pub bool);

impl FromRequestParts<AppState> for ViaHttps {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ViaHttps, Self::Rejection> {
        let network = state.network();
        let from_proxy = crate::http::network::client::peer(parts).is_some_and(|ip| {
            let ip = ip.to_canonical();
            network.trusted_proxies.iter().any(|net| net.contains(&ip))
        });
        Ok(ViaHttps(console::secure(
            network.secure_cookies,
            from_proxy,
            &parts.headers,
        )))
    }
}

/// The operator calling, as a page needs it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The operator's id (null for an API key or the bootstrap token).
    pub operator_id: Option<String>,
    /// As the audit log names the caller (`apikey-<id>` for a key, `bootstrap`).
    pub name: String,
    pub roles: Vec<String>,
    /// Every permission the caller holds now (`cases.resolve`, ...).
    pub permissions: Vec<String>,
    /// RFC 3339: when a console session ends (null otherwise).
    pub expires_at: Option<String>,
}

/// Log in to the console: the same name, password and TOTP code, the same refusals and audit
/// records as `POST /v1/operators/login`, but the session goes to a cookie (`iou_session`,
/// `HttpOnly; SameSite=Strict; Path=/`, `Secure` over https) that no script can read, and
/// which counts only on requests that also send `X-IOU-Console: 1`. The login itself needs that
/// header too (401 `unauthenticated` without it), so another site cannot log a browser in.
#[utoipa::path(operation_id = "console_login", post, path = "/v1/operators/console/login", tag = "operators", request_body = LoginBody,
    responses((status = 200, description = "a session, in the Set-Cookie header only", body = Me),
        (status = 401, description = "login_failed; unauthenticated without X-IOU-Console: 1", body = ErrorBody),
        (status = 429, description = "too_many_auth_failures from this address", body = ErrorBody), Refusals))]
pub async fn console_login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    ViaHttps(secure): ViaHttps,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    console::from_the_console(&headers, "the console's login is accepted only")?;
    let (account, opened) = open_session(&state, peer, &headers, body).await?;
    let grants = crate::http::auth::Grants::of_roles(account.roles.iter().copied());
    let me = Me {
        operator_id: Some(account.id.to_string()),
        name: account.name,
        roles: account.roles.iter().map(|r| r.name().to_owned()).collect(),
        permissions: grants.iter().map(|p| p.name().to_owned()).collect(),
        expires_at: Some(opened.expires_at.to_string()),
    };
    let mut response = no_store(respond(StatusCode::OK, &me, false));
    response
        .headers_mut()
        .insert(header::SET_COOKIE, console::set(&opened.token, secure)?);
    Ok(response)
}

/// Who is calling: name, roles and permissions (any operator).
#[utoipa::path(operation_id = "operator_me", get, path = "/v1/operators/me", tag = "operators", security(("bearer" = [])),
    responses((status = 200, description = "the caller", body = Me), Refusals))]
pub async fn me(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let operator = call.principal.operator()?;
    let account = match operator.id {
        OperatorId::Account(id) => state.operators().get(id),
        OperatorId::ApiKey(_) | OperatorId::Bootstrap => None,
    };
    let me = Me {
        operator_id: account.as_ref().map(|a| a.id.to_string()),
        name: call.operator_name.clone().unwrap_or_default(),
        roles: account
            .iter()
            .flat_map(|a| a.roles.iter().map(|r| r.name().to_owned()))
            .collect(),
        permissions: operator.grants.iter().map(|p| p.name().to_owned()).collect(),
        expires_at: None,
    };
    Ok(respond(StatusCode::OK, &me, false))
}
