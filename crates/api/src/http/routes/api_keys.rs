//! API keys for service callers (admin): create one with scopes and an expiry (the key is
//! shown once), revoke one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::operators::api_keys::Key;
use crate::edge::operators::parse_name;
use crate::http::auth::{Grants, Permission};
use crate::http::call::{Call, no_store, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::payments::EmptyBody;
use crate::state::AppState;

/// The longest a key may live.
const DAYS_MAX: u32 = 366;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// What the key is for (ASCII letters, digits and `. _ - @`, up to 64).
    #[schema(example = "app-backend")]
    pub name: String,
    /// Permission names the key may use (at least one), e.g. `["risk.checkpoint"]`.
    pub scopes: Vec<String>,
    /// Days until it expires, 1 to 366.
    pub expires_in_days: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub key_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: String,
    pub revoked: bool,
    pub created_by: String,
    /// The key, shown once (`Authorization: Bearer <api_key>`): a retry gets null.
    pub api_key: Option<String>,
}

fn view(key: &Key, api_key: Option<String>) -> KeyView {
    KeyView {
        key_id: key.record.id.to_string(),
        name: key.record.name.clone(),
        scopes: key.record.scopes.clone(),
        expires_at: jiff::Timestamp::from_microsecond(key.record.expires_at_us)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        revoked: key.record.revoked,
        created_by: key.record.created_by.clone(),
        api_key,
    }
}

fn parse_scopes(names: &[String]) -> Result<Grants, ApiError> {
    let invalid = |why: String| ApiError::new(ErrorCode::InvalidField, why).with_field("scopes");
    if names.is_empty() {
        return Err(invalid("a key has at least one scope".into()));
    }
    let mut scopes = Vec::new();
    for name in names {
        match Permission::parse(name) {
            Some(Permission::OperatorsBootstrap) | None => return Err(invalid(format!("{name} is not a scope"))),
            Some(p) => scopes.push(p),
        }
    }
    Ok(Grants::of(scopes))
}

/// Create an API key with scopes (admin). The key is in this answer only.
#[utoipa::path(operation_id = "create_api_key", post, path = "/v1/api-keys", tag = "operators", request_body = NewKeyBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "the key, shown once", body = KeyView), Refusals, Unavailable))]
pub async fn create(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let idem = call.idem()?;
    let body: NewKeyBody = call.json()?;
    let name = parse_name(&body.name)?;
    let scopes = parse_scopes(&body.scopes)?;
    if !(1..=DAYS_MAX).contains(&body.expires_in_days) {
        return Err(
            ApiError::new(ErrorCode::InvalidField, format!("expires_in_days is 1 to {DAYS_MAX}"))
                .with_field("expires_in_days"),
        );
    }
    let now = state.clock().now();
    let expires_at = now
        .checked_add(SignedDuration::from_hours(24 * i64::from(body.expires_in_days)))
        .map(engine::journal_time)
        .map_err(|_| ApiError::internal("key expiry out of range"))?;
    let by = call.operator_name.clone().unwrap_or_default();
    let response = crate::http::once::once(&state, idem, async {
        let keys = &state.operators().keys;
        let (key, token) = keys.create(state.meta(), name, scopes, expires_at, by, now).await?;
        let stored = view(&key, None);
        crate::http::once::Answer::new(StatusCode::CREATED, &view(&key, Some(token)))?.storing(&stored)
    })
    .await?;
    Ok(no_store(response))
}

/// Revoke an API key (admin): it stops working at once.
#[utoipa::path(operation_id = "revoke_api_key", post, path = "/v1/api-keys/{key_id}/revoke", tag = "operators", request_body = EmptyBody,
    params(("key_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "revoked", body = KeyView), Refusals, Unavailable))]
pub async fn revoke(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = call.id("key_id")?;
    let _: EmptyBody = call.json()?;
    let key = state.operators().keys.revoke(state.meta(), id).await?;
    Ok(respond(StatusCode::OK, &view(&key, None), false))
}
