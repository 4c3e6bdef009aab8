//! [`Call`]: the extractor every authenticated route takes. It reads the body (at most
//! [`BODY_MAX_BYTES`], within the edge's body timeout), hashes it once, authenticates the
//! caller (a source out of authentication tries is refused first, and every failure is
//! counted and logged: `edge::auth_failures`), checks an operator against the route's
//! permission (`auth::policy`; 403 naming the permission) and notes the operator for the
//! audit log (`http::audited`), and for a mutating method reads the `Idempotency-Key`;
//! handlers then parse the body and path parameters through it, so every rejection has the
//! error shape.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::http::audited::{Caller, Seen};
use crate::http::auth::{self, Principal};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::idempotency::{self, IdemKey};
use crate::http::input;
use crate::state::AppState;

/// The largest request body accepted.
pub const BODY_MAX_BYTES: usize = 64 * 1024;

/// An authenticated request.
#[derive(Debug)]
pub struct Call {
    pub principal: Principal,
    /// An operator's name as the audit log shows it (`None` for merchants and customers).
    pub operator_name: Option<String>,
    body: Bytes,
    idem: Option<IdemKey>,
    params: Vec<(String, String)>,
    /// What an operator called: the method, the request's URI and the route's template (a
    /// four-eyes proposal keeps it). `None` for merchants and customers: their calls (the
    /// authorization path) copy nothing they never use.
    target: Option<Target>,
    /// The approval this call applies (`http::four_eyes`): set only when a second operator
    /// approved a proposal and the server runs the call for it.
    approval: Option<u64>,
}

/// What a call was made to: cheap copies of the request's own parts.
#[derive(Clone, Debug)]
pub struct Target {
    pub method: Method,
    pub uri: axum::http::Uri,
    /// The route's template (`/v1/customers/{customer_id}/limit`).
    pub route: Option<MatchedPath>,
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::BodyTooLarge,
        format!("bodies are at most {BODY_MAX_BYTES} bytes"),
    )
}

/// Reads a body of at most [`BODY_MAX_BYTES`] that must arrive whole within `timeout`
/// (`408 body_timeout`; no timer is armed when the body is already in).
pub async fn read_body(headers: &axum::http::HeaderMap, body: Body, timeout: Duration) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > BODY_MAX_BYTES as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, BODY_MAX_BYTES)).await {
        Ok(read) => read.map_err(|_| too_large()),
        Err(_) => Err(ApiError::new(
            ErrorCode::BodyTimeout,
            format!("the body did not arrive within {} ms", timeout.as_millis()),
        )),
    }
}

/// Authenticates, unless the caller's source is out of tries; counts and logs a failure
/// (source, route and reason code: never the credentials).
async fn authenticate(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body_sha256: &[u8; 32],
) -> Result<auth::Authenticated, ApiError> {
    let edge = state.network();
    let source = crate::http::network::client::of(parts, &edge.trusted_proxies);
    if let Some(ip) = source {
        edge.auth_failures.check(ip)?;
    }
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let method = parts.method.as_str();
    let result = auth::authenticate(state, method, path_and_query, &parts.headers, body_sha256).await;
    if let (Err(error), Some(ip)) = (&result, source)
        && error.status == axum::http::StatusCode::UNAUTHORIZED
    {
        edge.auth_failures.failed(ip);
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or_else(|| parts.uri.path(), MatchedPath::as_str);
        tracing::warn!(source = %ip, %method, route, reason = error.code.as_str(), "authentication failed");
    }
    result
}

/// Refuses an operator the route does not allow (403 naming the permission; a route no
/// operator may call: plain 403), after noting the caller for the audit layer, so a refusal is
/// recorded too.
fn permitted(
    parts: &axum::http::request::Parts,
    operator: auth::Operator,
    name: Option<String>,
) -> Result<(), ApiError> {
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let access = auth::policy::access(parts.method.as_str(), &route);
    let action = match access {
        Some(auth::policy::Access::Needs(permission)) => permission.name(),
        Some(auth::policy::Access::AnyOperator) => auth::policy::any_operator_action(&route),
        None => "operator.route",
    };
    if let (Some(seen), Some(name)) = (parts.extensions.get::<Arc<Seen>>(), name) {
        let target = parts.uri.path().to_owned();
        seen.fill(Caller {
            name,
            action,
            route,
            target,
        });
    }
    match access {
        Some(auth::policy::Access::Needs(permission)) if !operator.grants.contains(permission) => {
            Err(auth::lacks(permission))
        }
        Some(_) => Ok(()),
        None => Err(ApiError::new(ErrorCode::Forbidden, "operators may not call this route")),
    }
}

impl FromRequest<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Call, ApiError> {
        let (mut parts, body) = request.into_parts();
        let params = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| ApiError::new(ErrorCode::InvalidId, "a path parameter is not valid UTF-8"))?;
        let params = params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let body = read_body(&parts.headers, body, state.network().body_timeout).await?;
        let body_sha256: [u8; 32] = Sha256::digest(&body).into();
        let authenticated = authenticate(state, &parts, &body_sha256).await?;
        let principal = authenticated.principal;
        let operator_name = authenticated.operator_name;
        if let Principal::Operator(operator) = principal {
            permitted(&parts, operator, operator_name.clone())?;
        }
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let method = parts.method.as_str();
        let idem = if parts.method == Method::GET || parts.method == Method::HEAD {
            None
        } else {
            let key = idempotency::key_hash(&parts.headers)?;
            let request = idempotency::request_hash(method, path_and_query, &body_sha256);
            Some(IdemKey {
                scope: principal.scope(),
                key,
                request,
            })
        };
        // A merchant signature seen before is the same request sent again: it signs the method,
        // the target, the key and the body. A read is refused (a captured GET cannot be used to
        // watch a payment); a POST goes on as the retry it is: its key, claimed system-wide,
        // answers it with the stored reply, so it cannot have a second effect (API.md).
        if authenticated.signature_seen_before && idem.is_none() {
            return Err(auth::replayed());
        }
        let target = matches!(principal, Principal::Operator(_)).then(|| Target {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            route: parts.extensions.get::<MatchedPath>().cloned(),
        });
        Ok(Call {
            principal,
            operator_name,
            body,
            idem,
            params,
            target,
            approval: None,
        })
    }
}

/// What a call approved by a second operator is made of (`http::routes::approvals`).
#[derive(Debug)]
pub struct Approved {
    pub approval: u64,
    /// The maker, with the permissions the approval covers.
    pub principal: Principal,
    pub operator_name: Option<String>,
    pub body: Bytes,
    pub idem: IdemKey,
    pub params: Vec<(String, String)>,
    pub target: Target,
}

impl Call {
    /// The call a second operator approved, as the maker made it (the handler runs it past
    /// its four-eyes gate).
    pub fn approved(approved: Approved) -> Call {
        Call {
            principal: approved.principal,
            operator_name: approved.operator_name,
            body: approved.body,
            idem: Some(approved.idem),
            params: approved.params,
            target: Some(approved.target),
            approval: Some(approved.approval),
        }
    }

    /// The approval this call applies, if a second operator approved it.
    pub fn approval(&self) -> Option<u64> {
        self.approval
    }

    /// What an operator called (`None` for merchants and customers).
    pub fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The body as a DTO.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        input::parse_json(&self.body)
    }

    /// The idempotency key of a mutating call.
    pub fn idem(&self) -> Result<IdemKey, ApiError> {
        self.idem
            .ok_or_else(|| ApiError::internal("a mutating route was routed as a read"))
    }

    /// A path parameter that is an id.
    pub fn id(&self, name: &str) -> Result<u64, ApiError> {
        let value = self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let value = value.ok_or_else(|| ApiError::internal(format!("route has no {name} parameter")))?;
        input::parse_id(value, name)
    }
}

/// Marks a response that holds a secret or a token as not to be cached anywhere.
pub fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// A JSON response; `replayed` adds `Idempotent-Replayed: true`.
pub fn respond<T: Serialize>(status: axum::http::StatusCode, value: &T, replayed: bool) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            if replayed {
                headers.insert("idempotent-replayed", header::HeaderValue::from_static("true"));
            }
            response
        }
        Err(error) => ApiError::internal(format!("response did not serialize: {error}")).into_response(),
    }
}
