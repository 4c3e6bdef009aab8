//! Operators as people: the one-time bootstrap of the first admin, login and logout, and the
//! admin's management of operators (create, list, disable, set roles). Logins are recorded in
//! the audit log here (ok or refused, with the name tried and the source address, never the
//! password or code); the other calls through `http::audited`.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::operators::sessions::Opened;
use crate::edge::operators::{Account, NewOperator, parse_name, password};
use crate::edge::risk_input::Peer;
use crate::http::audited::{self, Entry};
use crate::http::auth::{OperatorId, Principal, Role, bearer_token, session_token};
use crate::http::call::{Call, no_store, respond};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals, Unavailable};
use crate::http::routes::payments::EmptyBody;
use crate::state::AppState;

/// The issuer authenticator apps show.
const ISSUER: &str = "iou";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOperatorBody {
    /// ASCII letters, digits and `. _ - @`, up to 64.
    #[schema(example = "alice")]
    pub name: String,
    /// 12 characters to 256 bytes.
    pub password: String,
    /// Role names: `support`, `analyst`, `fraud`, `credit_officer`, `rules_admin`, `auditor`,
    /// `admin`. The bootstrap's must include `admin` (default: `["admin"]`).
    #[serde(default)]
    pub roles: Vec<String>,
}

/// An operator as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorView {
    pub operator_id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub created_at: String,
    pub created_by: String,
}

impl OperatorView {
    pub fn of(account: &Account) -> OperatorView {
        OperatorView {
            operator_id: account.id.to_string(),
            name: account.name.clone(),
            roles: account.roles.iter().map(|r| r.name().to_owned()).collect(),
            disabled: account.disabled,
            created_at: jiff::Timestamp::from_microsecond(account.created_at_us)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            created_by: account.created_by.clone(),
        }
    }
}

/// A new operator, with its second factor shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOperator {
    #[serde(flatten)]
    pub operator: OperatorView,
    /// The TOTP secret (base32), shown once: a retry gets null.
    pub totp_secret: Option<String>,
    /// The same as an `otpauth://` URI for a QR code, shown once.
    pub totp_uri: Option<String>,
    pub secret_issued: bool,
}

/// Parses role names (`field` names the body field).
pub fn parse_roles(names: &[String], field: &str) -> Result<BTreeSet<Role>, ApiError> {
    names
        .iter()
        .map(|n| {
            Role::parse(n)
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidField, format!("{n} is not a role")).with_field(field))
        })
        .collect()
}

async fn create_operator(state: &AppState, call: &Call, first: bool) -> Result<Response, ApiError> {
    let idem = call.idem()?;
    let body: NewOperatorBody = call.json()?;
    let name = parse_name(&body.name)?;
    let password = password::parse(&body.password)?.to_owned();
    let mut roles = parse_roles(&body.roles, "roles")?;
    if first && roles.is_empty() {
        roles.insert(Role::Admin);
    }
    if first && !roles.contains(&Role::Admin) {
        return Err(ApiError::new(ErrorCode::InvalidField, "the first operator is an admin").with_field("roles"));
    }
    if roles.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidField, "an operator has at least one role").with_field("roles"));
    }
    let by = call.operator_name.clone().unwrap_or_default();
    let now = state.clock().now();
    let response = crate::http::once::once(state, idem, async {
        let new = NewOperator { name, roles, password };
        let (account, secret) = state.operators().create(state.meta(), new, &by, now, first).await?;
        let mut response = CreatedOperator {
            operator: OperatorView::of(&account),
            totp_secret: None,
            totp_uri: None,
            secret_issued: false,
        };
        let stored = serde_json::to_value(&response).map_err(|e| ApiError::internal(e.to_string()))?;
        response.totp_secret = Some(secret.base32());
        response.totp_uri = Some(secret.uri(ISSUER, &account.name));
        response.secret_issued = true;
        crate::http::once::Answer::new(StatusCode::CREATED, &response)?.storing(&stored)
    })
    .await?;
    Ok(no_store(response))
}

/// Create the first admin operator with the bootstrap token (once: after it, the token is
/// refused everywhere with 401 `bootstrap_token_retired`).
#[utoipa::path(operation_id = "bootstrap_operator", post, path = "/v1/operators/bootstrap", tag = "operators", request_body = NewOperatorBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "the first admin, with its TOTP secret shown once", body = CreatedOperator), Refusals))]
pub async fn bootstrap(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    create_operator(&state, &call, true).await
}

/// Create an operator (admin). The answer shows the TOTP secret once.
#[utoipa::path(operation_id = "create_operator", post, path = "/v1/operators", tag = "operators", request_body = NewOperatorBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "the operator, with its TOTP secret shown once", body = CreatedOperator), Refusals, Unavailable))]
pub async fn create(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    create_operator(&state, &call, false).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorsResponse {
    pub operators: Vec<OperatorView>,
}

/// Every operator (admin).
#[utoipa::path(operation_id = "list_operators", get, path = "/v1/operators", tag = "operators", security(("bearer" = [])),
    responses((status = 200, description = "success", body = OperatorsResponse), Refusals))]
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let operators = state.operators().list().iter().map(OperatorView::of).collect();
    Ok(respond(StatusCode::OK, &OperatorsResponse { operators }, false))
}

/// Refuses a change that would leave no enabled admin.
fn keeps_an_admin(state: &AppState, id: u64, after: Option<&BTreeSet<Role>>) -> Result<(), ApiError> {
    let admins = state
        .operators()
        .list()
        .into_iter()
        .filter(|a| !a.disabled && a.roles.contains(&Role::Admin))
        .filter(|a| a.id != id || after.is_some_and(|roles| roles.contains(&Role::Admin)))
        .count();
    if admins == 0 {
        return Err(ApiError::new(ErrorCode::LastAdmin, "this would leave no enabled admin"));
    }
    Ok(())
}

/// Disable an operator (admin): their sessions stop working at once.
#[utoipa::path(operation_id = "disable_operator", post, path = "/v1/operators/{operator_id}/disable", tag = "operators", request_body = EmptyBody,
    params(("operator_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = OperatorView), Refusals, Unavailable))]
pub async fn disable(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = call.id("operator_id")?;
    let _: EmptyBody = call.json()?;
    keeps_an_admin(&state, id, None)?;
    let account = state
        .operators()
        .update(state.meta(), id, |a| a.disabled = true)
        .await?;
    Ok(respond(StatusCode::OK, &OperatorView::of(&account), false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    /// The operator's roles from now on (at least one).
    pub roles: Vec<String>,
}

/// Set an operator's roles (admin); they apply to their next call.
#[utoipa::path(operation_id = "set_operator_roles", post, path = "/v1/operators/{operator_id}/roles", tag = "operators", request_body = RolesBody,
    params(("operator_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = OperatorView), Refusals, Unavailable))]
pub async fn set_roles(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = call.id("operator_id")?;
    let body: RolesBody = call.json()?;
    let roles = parse_roles(&body.roles, "roles")?;
    if roles.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidField, "an operator has at least one role").with_field("roles"));
    }
    keeps_an_admin(&state, id, Some(&roles))?;
    let account = state.operators().update(state.meta(), id, |a| a.roles = roles).await?;
    Ok(respond(StatusCode::OK, &OperatorView::of(&account), false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub name: String,
    pub password: String,
    /// The current 6-digit code of the operator's authenticator.
    #[schema(example = "492039")]
    pub totp: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// `Authorization: Bearer <token>` for the operator's calls; shown once.
    pub token: String,
    /// RFC 3339; the session ends then (401 `session_expired`).
    pub expires_at: String,
    pub operator_id: String,
    pub name: String,
    pub roles: Vec<String>,
}

fn login_failed() -> ApiError {
    ApiError::new(
        ErrorCode::LoginFailed,
        "wrong name, password or code, or the operator is locked or disabled",
    )
}

/// Log in with name, password and the current TOTP code: a session token. Every refusal is
/// the same 401 `login_failed` (which part was wrong is in the audit log only); each counts
/// against the source's authentication-failure budget, and five in a row lock the operator for
/// 15 minutes.
#[utoipa::path(operation_id = "operator_login", post, path = "/v1/operators/login", tag = "operators", request_body = LoginBody,
    responses((status = 200, description = "a session", body = SessionResponse),
        (status = 401, description = "login_failed", body = ErrorBody),
        (status = 429, description = "too_many_auth_failures from this address", body = ErrorBody), Refusals))]
pub async fn login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (account, opened) = open_session(&state, peer, &headers, body).await?;
    let response = SessionResponse {
        token: opened.token,
        expires_at: opened.expires_at.to_string(),
        operator_id: account.id.to_string(),
        name: account.name,
        roles: account.roles.iter().map(|r| r.name().to_owned()).collect(),
    };
    Ok(no_store(respond(StatusCode::OK, &response, false)))
}

/// Checks a login body (name, password, TOTP code) and opens a session: what both logins
/// share, with the refusals, the failure budget and the audit records described at [`login`].
pub(crate) async fn open_session(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Account, Opened), ApiError> {
    let failures = &state.network().auth_failures;
    if let Some(ip) = peer {
        failures.check(ip)?;
    }
    let bytes = crate::http::call::read_body(headers, body, state.network().body_timeout).await?;
    let body: LoginBody = crate::http::input::parse_json(&bytes)?;
    let now = state.clock().now();
    let result = state
        .operators()
        .login(state.meta(), &body.name, body.password, &body.totp, now)
        .await;
    let named = audit::Actor::operator(&body.name).is_ok();
    let mut detail = vec![("source", audited::source(peer))];
    if !named {
        detail.push(("name", "(not a valid name)".to_owned()));
    }
    let account = match result {
        Ok(account) => account,
        Err(refusal) => {
            if let Some(ip) = peer {
                failures.failed(ip);
            }
            detail.push(("reason", refusal.name().to_owned()));
            let entry = Entry {
                actor: named.then_some(body.name.as_str()),
                action: "operator.login",
                target: "",
                detail,
                outcome: audit::Outcome::Denied,
            };
            audited::record(state, entry).await;
            return Err(login_failed());
        }
    };
    let opened = state.operators().sessions.open(state.meta(), account.id, now).await?;
    let entry = Entry {
        actor: Some(&account.name),
        action: "operator.login",
        target: "",
        detail,
        outcome: audit::Outcome::Ok,
    };
    audited::record(state, entry).await;
    Ok((account, opened))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutResponse {
    pub logged_out: bool,
}

/// End the caller's session (any operator signed in with a session). A console session (the
/// cookie) also gets the cookie cleared.
#[utoipa::path(operation_id = "operator_logout", post, path = "/v1/operators/logout", tag = "operators", request_body = EmptyBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the session token no longer works", body = LogoutResponse), Refusals))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, call: Call) -> Result<Response, ApiError> {
    let Principal::Operator(operator) = call.principal else {
        return Err(ApiError::forbidden());
    };
    let _: EmptyBody = call.json()?;
    let OperatorId::Account(_) = operator.id else {
        return Err(ApiError::new(
            ErrorCode::NotASession,
            "only a session logs out (revoke an API key instead)",
        ));
    };
    let token = session_token(&headers).ok_or_else(|| ApiError::internal("a session call without its token"))?;
    state.operators().sessions.close(state.meta(), token).await?;
    let mut response = respond(StatusCode::OK, &LogoutResponse { logged_out: true }, false);
    if bearer_token(&headers).is_none() {
        response
            .headers_mut()
            .insert(axum::http::header::SET_COOKIE, crate::http::auth::console::clear());
    }
    Ok(response)
}
