//! Authentication: who is calling ([`Principal`]) and what each kind of caller may touch.
//!
//! One layer that can grow: today merchants sign requests with their API secret
//! ([`signature`]), customers and the bootstrap operator send bearer tokens ([`tokens`]).
//! Customer login and operator accounts with roles come in a later issue; they add variants
//! here, and handlers keep asking the same questions (`merchant()`, `may_act_for(account)`).

pub mod replay;
pub mod signature;
pub mod tokens;

use axum::http::{HeaderMap, header};
use credit::{AccountId, MerchantId};

use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// What an operator may do. Only the bootstrap admin exists until operator accounts arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
}

/// The authenticated caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    Merchant(MerchantId),
    Customer(AccountId),
    Operator(Role),
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
            Principal::Operator(_) => mix(0x4F50_4552),
        }
    }

    pub fn merchant(&self) -> Result<MerchantId, ApiError> {
        match self {
            Principal::Merchant(m) => Ok(*m),
            _ => Err(ApiError::forbidden()),
        }
    }

    pub fn operator(&self) -> Result<Role, ApiError> {
        match self {
            Principal::Operator(role) => Ok(*role),
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
#[derive(Clone, Copy, Debug)]
pub struct Authenticated {
    pub principal: Principal,
    pub signature_seen_before: bool,
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
    let principal = bearer(state, headers).await?;
    Ok(Authenticated {
        principal,
        signature_seen_before: false,
    })
}

async fn bearer(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
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
    if tokens::is_customer_token(token) {
        let account = state.tokens().verify(state.meta(), token, state.clock().now()).await?;
        return Ok(Principal::Customer(account));
    }
    if state.admin().matches(token) {
        return Ok(Principal::Operator(Role::Admin));
    }
    Err(ApiError::new(ErrorCode::BadToken, "the bearer token is not valid"))
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

/// An operator action that moves money or trust, named so roles can be mapped to it (operator
/// accounts with roles arrive with the privacy issue). Today the bootstrap admin holds them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Record money received outside the system (an offline repayment).
    RecordOfflineRepayment,
}

impl Role {
    /// Whether this role may do `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        match (self, permission) {
            (Role::Admin, Permission::RecordOfflineRepayment) => true,
        }
    }
}

impl Principal {
    /// An operator whose role allows `permission`; anyone else is refused (403).
    pub fn require(&self, permission: Permission) -> Result<Role, ApiError> {
        match self {
            Principal::Operator(role) if role.allows(permission) => Ok(*role),
            _ => Err(ApiError::forbidden()),
        }
    }
}
