//! Forwarding in a cluster (`engine::cluster`): a request for a customer whose partition
//! another process owns is sent on to that process, once, and its answer is returned as is.
//!
//! Why a proxy hop and not a redirect (307/421 with a location): clients, merchants and
//! provider callbacks then need not know the cluster exists, a signed or idempotent call is
//! sent byte for byte (method, path and query, body, and every end-to-end header: the
//! idempotency key, `Authorization`, signatures), and a retry after a failover lands
//! anywhere. The cost is one extra hop inside the cluster.
//!
//! Which process owns a request is known two ways:
//! - **by path**, before anything runs here: `/v1/customers/{id}...` (the account's
//!   partition) and `/v1/payments/{txn_id}...` (the partition in the id's low byte). State
//!   this process keeps in memory for a customer (payment codes, step-up challenges) thus
//!   lives on the customer's owner.
//! - **by the engine**, for every other route: the handler runs here, and when its submit
//!   is refused with `SubmitError::NotOwned` (an [`ApiError`] with a partition, 421
//!   `partition_elsewhere`), the buffered request is sent to the owner instead (e.g. opening
//!   a customer, whose account id comes from the idempotency key, or an authorization by link).
//!
//! A forwarded request carries [`FORWARDED_BY`]; it is never forwarded again (the owner
//! answers 421 `partition_elsewhere` if ownership moved meanwhile, and the client retries).
//! An owner that cannot be reached (it died and its lease has not expired yet) answers 503
//! `unavailable` with `Retry-After`: after the lease expires another process takes over.
//! Outside a cluster this layer only asks the engine whether it is in one.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use credit::AccountId;

use crate::http::error::{ApiError, Elsewhere, ErrorCode};
use crate::state::AppState;

/// Marks a request one process forwarded to another (its value is the sender's node id).
pub const FORWARDED_BY: &str = "x-iou-forwarded-by";

/// The largest body a forwarding process buffers.
const BODY_MAX: usize = 4 << 20;

/// How long the owner has to answer a forwarded request.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1), and `Host`.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// The partition a path names, if it names one: a customer's, or a transaction's.
pub fn partition_of_path(path: &str, partitions: u32) -> Option<u32> {
    let mut segments = path.trim_start_matches('/').split('/');
    let (version, collection, id) = (segments.next()?, segments.next()?, segments.next()?);
    if version != "v1" || id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: u64 = id.parse().ok()?;
    match collection {
        "customers" => Some(engine::route::partition_of(AccountId(id), partitions)),
        "payments" => Some(engine::route::partition_of_id(id)).filter(|&p| p < partitions),
        _ => None,
    }
}

/// The layer (see the module doc).
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let engine = state.engine();
    let Some(node) = engine.node().map(str::to_owned) else {
        return next.run(request).await;
    };
    if request.headers().contains_key(FORWARDED_BY) {
        return next.run(request).await;
    }
    if let Some(partition) = partition_of_path(request.uri().path(), engine.partitions())
        && let Some(owner) = engine.owner_url(partition)
    {
        let (parts, body) = request.into_parts();
        return match axum::body::to_bytes(body, BODY_MAX).await {
            Ok(bytes) => forward(&parts, bytes, &owner, &node).await,
            Err(_) => too_large(),
        };
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_MAX).await else {
        return too_large();
    };
    let response = next
        .run(Request::from_parts(parts.clone(), Body::from(bytes.clone())))
        .await;
    let Some(&Elsewhere(partition)) = response.extensions().get::<Elsewhere>() else {
        return response;
    };
    match engine.owner_url(partition) {
        Some(owner) => forward(&parts, bytes, &owner, &node).await,
        None => retry_later(format!("partition {partition} has no live owner right now: retry")),
    }
}

fn too_large() -> Response {
    ApiError::new(ErrorCode::BodyTooLarge, "the body is too large to forward").into_response()
}

fn retry_later(message: String) -> Response {
    let mut error = ApiError::unavailable(message);
    error.retry_after = Some(1);
    error.into_response()
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(FORWARD_TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// The headers sent on: every end-to-end one, the sender's node, and the client's address
/// appended to `X-Forwarded-For` (the owner believes it when this node is a `--trusted-proxy`).
fn forwarded_headers(parts: &Parts, node: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != header::CONTENT_LENGTH {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Ok(value) = HeaderValue::from_str(node) {
        headers.insert(HeaderName::from_static(FORWARDED_BY), value);
    }
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>() {
        let chain = match parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
            Some(earlier) => format!("{earlier}, {}", peer.ip()),
            None => peer.ip().to_string(),
        };
        if let Ok(value) = HeaderValue::from_str(&chain) {
            headers.insert(HeaderName::from_static("x-forwarded-for"), value);
        }
    }
    headers
}

/// Sends the request to `owner` and returns its answer (503 when it cannot be reached).
async fn forward(parts: &Parts, body: Bytes, owner: &str, node: &str) -> Response {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", owner.trim_end_matches('/'));
    let sent = client()
        .request(parts.method.clone(), &url)
        .headers(forwarded_headers(parts, node))
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%error, owner, "forwarding failed");
            return retry_later("the customer's owner did not answer: retry".into());
        }
    };
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != header::CONTENT_LENGTH {
            headers.append(name.clone(), value.clone());
        }
    }
    match answer.bytes().await {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            *response.headers_mut() = headers;
            response
        }
        Err(error) => {
            tracing::warn!(%error, owner, "the forwarded answer broke off");
            retry_later("the customer's owner did not finish answering: retry".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_customer_and_transaction_partitions() {
        assert_eq!(partition_of_path("/v1/customers/42", 64), Some(21));
        assert_eq!(partition_of_path("/v1/customers/42/payment-codes", 64), Some(21));
        let txn = engine::route::make_id(7, 3);
        assert_eq!(partition_of_path(&format!("/v1/payments/{txn}/capture"), 8), Some(3));
        let foreign = engine::route::make_id(7, 9);
        assert_eq!(partition_of_path(&format!("/v1/payments/{foreign}"), 8), None);
        for other in [
            "/v1/payments",
            "/v1/customers",
            "/v1/customers/abc",
            "/v1/merchants/1",
            "/healthz",
            "/",
        ] {
            assert_eq!(partition_of_path(other, 8), None, "{other}");
        }
        assert_eq!(partition_of_path(&format!("/v1/customers/{}", "9".repeat(21)), 8), None);
    }
}
