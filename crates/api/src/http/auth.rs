//! Authentication: who is calling ([`Principal`]) and what each kind of caller may touch.
//!
//! Merchants sign requests with their API secret ([`signature`]); customers send their bearer
//! token ([`tokens`]); operators send a session token (from `POST /v1/operators/login`, or the
//! console's session cookie with its header: [`console`]), an API key, or, until the first
//! operator exists, the bootstrap token. What an operator may do is
//! [`permissions`]' table, and which route needs which permission is [`policy`]'s, checked
//! by the `Call` extractor before any handler runs; handlers keep asking the same questions
//! (`merchant()`, `operator()`, `may_act_for(account)`).

pub mod console;
pub mod permissions;
pub mod policy;
pub mod replay;
pub mod signature;
pub mod tokens;

use axum::http::{HeaderMap, header};
use credit::{AccountId, MerchantId};

use crate::edge::operators::{BOOTSTRAP_NAME, api_keys, sessions};
use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub use permissions::{Grants, Permission, Role};

/// Which operator credential is calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorId {
    /// The bootstrap token, while no operator exists.
    Bootstrap,
    /// An operator's session.
    Account(u64),
    /// An API key.
    ApiKey(u64),
}

/// An authenticated operator and what it may do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator {
    pub id: OperatorId,
    pub grants: Grants,
}

/// The authenticated caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    Merchant(MerchantId),
    Customer(AccountId),
    Operator(Operator),
}

// One SplitMix64 step: spreads a tagged id over 64 bits.
use seeded::splitmix64 as mix;

impl Principal {
    /// The caller's idempotency scope: a stable u64, different for a merchant and a customer
    /// with the same number.
    pub fn scope(&self) -> u64 {
        match self {
            Principal::Merchant(m) => mix(m.0 ^ 0x4D45_5243_0000_0000),
            Principal::Customer(a) => mix(a.0).rotate_left(17) ^ 0x4355_5354,
            // The bootstrap token keeps the scope the one admin token had.
            Principal::Operator(Operator {
                id: OperatorId::Bootstrap,
                ..
            }) => mix(0x4F50_4552),
            Principal::Operator(Operator {
                id: OperatorId::Account(id),
                ..
            }) => mix(id ^ 0x4F50_4143_0000_0000).rotate_left(29),
            Principal::Operator(Operator {
                id: OperatorId::ApiKey(id),
                ..
            }) => mix(id ^ 0x4F50_4B45_0000_0000).rotate_left(41),
        }
    }

    pub fn merchant(&self) -> Result<MerchantId, ApiError> {
        match self {
            Principal::Merchant(m) => Ok(*m),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// An operator (whose permission for the route the `Call` extractor already checked).
    pub fn operator(&self) -> Result<Operator, ApiError> {
        match self {
            Principal::Operator(operator) => Ok(*operator),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// The customer themself, only.
    pub fn customer_self(&self, account: AccountId) -> Result<(), ApiError> {
        match self {
            Principal::Customer(own) if *own == account => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// The customer themself or an operator: reading an account, repaying on it.
    pub fn may_act_for(&self, account: AccountId) -> Result<(), ApiError> {
        match self {
            Principal::Customer(own) if *own == account => Ok(()),
            Principal::Operator(_) => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Who is calling, and whether a merchant's signature was seen before inside the window (the
/// caller decides whether that is an idempotent retry or a replay to refuse).
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub principal: Principal,
    pub signature_seen_before: bool,
    /// An operator's name, as the audit log names it (`bootstrap`, `apikey-<id>`).
    pub operator_name: Option<String>,
}

/// Authenticates a request from its headers and the SHA-256 of its body.
pub async fn authenticate(
    state: &AppState,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body_sha256: &[u8; 32],
) -> Result<Authenticated, ApiError> {
    if headers.contains_key("x-merchant-id") {
        return merchant(state, method, path_and_query, headers, body_sha256);
    }
    let (principal, operator_name) = bearer(state, headers).await?;
    Ok(Authenticated {
        principal,
        signature_seen_before: false,
        operator_name,
    })
}

/// The bearer token of a request, if it sent one well formed.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The operator session token a request authenticates with: its bearer token, else the
/// console's session cookie (see [`console`] for when that counts).
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    bearer_token(headers).or_else(|| console::session_token(headers).ok().flatten())
}

async fn bearer(state: &AppState, headers: &HeaderMap) -> Result<(Principal, Option<String>), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        if let Some(token) = console::session_token(headers)? {
            return console_session(state, token).await;
        }
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "send X-Merchant-Id, X-Timestamp and X-Signature (merchants) or Authorization: Bearer (customers, operators)",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::new(ErrorCode::BadToken, "Authorization must be `Bearer <token>`"))?;
    let now = state.clock().now();
    if tokens::is_customer_token(token) {
        let account = state.tokens().verify(state.meta(), token, now).await?;
        return Ok((Principal::Customer(account), None));
    }
    let operators = state.operators();
    let (id, grants, name) = if sessions::is_session_token(token) {
        let id = operators.sessions.verify(state.meta(), token, now).await?;
        let (grants, name) = operators.grants(id)?;
        (OperatorId::Account(id), grants, name)
    } else if api_keys::is_api_key(token) {
        let key = operators.keys.verify(token, now)?;
        (
            OperatorId::ApiKey(key.record.id),
            key.grants,
            api_keys::actor_name(key.record.id),
        )
    } else if state.admin().matches(token) {
        if operators.any() {
            return Err(ApiError::new(
                ErrorCode::BootstrapTokenRetired,
                "the bootstrap token only sets up the first operator, and one exists: log in as an operator",
            ));
        }
        (OperatorId::Bootstrap, Grants::all(), BOOTSTRAP_NAME.to_owned())
    } else {
        return Err(ApiError::new(ErrorCode::BadToken, "the bearer token is not valid"));
    };
    Ok((Principal::Operator(Operator { id, grants }), Some(name)))
}

/// The operator of a console session cookie: a session token only.
async fn console_session(state: &AppState, token: &str) -> Result<(Principal, Option<String>), ApiError> {
    if !sessions::is_session_token(token) {
        return Err(ApiError::new(ErrorCode::BadToken, "the session cookie is not valid"));
    }
    let operators = state.operators();
    let id = operators
        .sessions
        .verify(state.meta(), token, state.clock().now())
        .await?;
    let (grants, name) = operators.grants(id)?;
    let operator = Operator {
        id: OperatorId::Account(id),
        grants,
    };
    Ok((Principal::Operator(operator), Some(name)))
}

fn merchant(
    state: &AppState,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body_sha256: &[u8; 32],
) -> Result<Authenticated, ApiError> {
    let unknown = || ApiError::new(ErrorCode::UnknownMerchant, "no merchant has this id").with_field("X-Merchant-Id");
    let id = header_str(headers, "x-merchant-id")
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(unknown)?;
    let merchant = id
        .parse()
        .ok()
        .and_then(|id| state.merchants().get(MerchantId(id)))
        .ok_or_else(unknown)?;
    let bad_time = || {
        ApiError::new(
            ErrorCode::StaleTimestamp,
            "X-Timestamp must be unix seconds within 300 s of the server's clock",
        )
        .with_field("X-Timestamp")
    };
    let timestamp = header_str(headers, "x-timestamp").ok_or_else(bad_time)?;
    let seconds: i64 = timestamp.parse().map_err(|_| bad_time())?;
    let now = state.clock().now().as_second();
    if now.abs_diff(seconds) > signature::WINDOW_SECONDS.unsigned_abs() {
        return Err(bad_time());
    }
    let signature = headers.get("x-signature").map(|v| v.as_bytes()).unwrap_or_default();
    let signed = signature::Signed {
        method,
        path_and_query,
        timestamp,
        idempotency_key: headers
            .get(crate::http::idempotency::HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default(),
        body_sha256,
    };
    let Some(signature) = signature::verify(&merchant.mac, &signed, signature) else {
        return Err(
            ApiError::new(ErrorCode::BadSignature, "X-Signature does not sign this request").with_field("X-Signature"),
        );
    };
    // Only reads are remembered: a POST's signed key is claimed system-wide, which already
    // answers a resent POST with its stored reply (API.md), so remembering POST signatures
    // would cost the hot path a map insert and up to the cap in memory for nothing.
    let read = method == "GET" || method == "HEAD";
    let signature_seen_before = read && state.replays().seen_before(merchant.id.0, &signature, seconds, now);
    Ok(Authenticated {
        principal: Principal::Merchant(merchant.id),
        signature_seen_before,
        operator_name: None,
    })
}

/// The refusal of a signature seen before that is not an idempotent retry.
pub fn replayed() -> ApiError {
    ApiError::new(
        ErrorCode::SignatureReplayed,
        "this signature was used before: sign each read anew (a POST may be resent as it was: its key answers it)",
    )
    .with_field("X-Signature")
}

impl Principal {
    /// An operator whose grants hold `permission`; anyone else is refused (403 naming it). For
    /// the checks a route makes beyond its declared permission (an offline payoff, a theft
    /// confirmation).
    pub fn require(&self, permission: Permission) -> Result<Operator, ApiError> {
        match self {
            Principal::Operator(operator) if operator.grants.contains(permission) => Ok(*operator),
            Principal::Operator(_) => Err(lacks(permission)),
            _ => Err(ApiError::forbidden()),
        }
    }
}

/// The refusal of an operator that lacks `permission`.
pub fn lacks(permission: Permission) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!("this operator may not do this: it needs permission {permission}"),
    )
    .with_permission(permission.name())
}
