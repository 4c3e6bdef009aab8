//! Customer 360 for operators: a customer's transactions with the risk decision behind each
//! (`GET /v1/customers/{id}/transactions`, `customers.read`: a page of the read models'
//! authorizations, each with the decision journaled with it) and the devices, IPs and cards
//! the customer was seen with, with the other accounts sharing each
//! (`GET /v1/customers/{id}/devices`, `cases.read`: what the risk features already remember,
//! read on request; nothing is added to the authorization path).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use credit::TxnId;
use engine::transactions::{PAGE_MAX, Transaction};
use risk::features::{EntityKey, Sighting};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::customers::customer_of;
use crate::http::submit::account;
use crate::state::AppState;
use crate::webhooks::scan::outcome_name;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TxnQuery {
    /// The previous page's `next_cursor`: transactions older than it.
    pub cursor: Option<String>,
    /// At most this many (1 to 100, default 20).
    pub limit: Option<usize>,
}

/// The risk decision journaled with an authorization.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// `allow`, `challenge`, `review` or `deny`.
    pub outcome: &'static str,
    pub reasons: Vec<String>,
    /// The rule set that decided: `<graph>@v<version>#<digest>`.
    pub rules: String,
    /// The fraud model's probability (4 decimals), if it ran.
    pub fraud_score: Option<String>,
    /// The credit scorecard's points, if it ran.
    pub credit_score: Option<i32>,
    /// A challenge the customer's step-up satisfied.
    pub satisfied_by_step_up: bool,
    pub device: String,
    pub ip: String,
}

/// One authorization, what became of it, and the decision behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionView {
    pub txn_id: String,
    pub merchant_id: String,
    pub amount_fen: i64,
    /// `held`, `captured`, `voided` or `expired`.
    pub status: String,
    pub captured_fen: Option<i64>,
    pub refunded_fen: i64,
    /// Confirmed as unauthorized use (exempt).
    pub fraud_exempt: bool,
    pub plan_id: Option<String>,
    pub authorized_at: String,
    pub settled_at: Option<String>,
    /// `null` when the authorization passed no checkpoint.
    pub decision: Option<DecisionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionPage {
    pub customer_id: String,
    /// Newest first.
    pub transactions: Vec<TransactionView>,
    /// The `cursor` of the next page; null at the end.
    pub next_cursor: Option<String>,
}

fn time_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

fn decision(risk: &engine::RiskRecord) -> DecisionView {
    DecisionView {
        outcome: outcome_name(risk.outcome),
        reasons: risk.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
        rules: risk.rules.to_string(),
        fraud_score: risk::score_decimal(risk.models.fraud_score).map(|d| d.to_string()),
        credit_score: risk.models.credit_score,
        satisfied_by_step_up: risk.satisfied_by_step_up,
        device: risk.input.device.to_string(),
        ip: risk.input.ip.to_string(),
    }
}

fn view(t: &Transaction) -> TransactionView {
    let r = &t.row;
    TransactionView {
        txn_id: r.txn.to_string(),
        merchant_id: r.merchant.to_string(),
        amount_fen: r.amount_fen,
        status: r.state.clone(),
        captured_fen: r.captured_fen,
        refunded_fen: r.refunded_fen,
        fraud_exempt: r.fraud_exempt,
        plan_id: r.plan.map(|p| p.to_string()),
        authorized_at: t.at.to_string(),
        settled_at: r.settled_at_ms.map(time_ms),
        decision: t.risk.as_ref().map(decision),
    }
}

fn page_query(
    query: Result<Query<TxnQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(Option<TxnId>, usize), ApiError> {
    let Ok(Query(query)) = query else {
        return Err(ApiError::new(ErrorCode::InvalidField, "cursor and limit are whole numbers").with_field("cursor"));
    };
    let limit = query.limit.unwrap_or(20);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::new(ErrorCode::InvalidField, format!("limit is 1 to {PAGE_MAX}")).with_field("limit"));
    }
    let cursor = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(text) => Some(TxnId(crate::http::input::parse_id(text, "cursor")?)),
    };
    Ok((cursor, limit))
}

/// A customer's transactions, newest first, each with the risk decision behind it (operator).
/// Read from the read models, which trail the journal by about a second.
#[utoipa::path(operation_id = "customer_transactions", get, path = "/v1/customers/{customer_id}/transactions", tag = "customers",
    params(("customer_id" = String, Path), TxnQuery), security(("bearer" = [])),
    responses((status = 200, description = "success", body = TransactionPage), Refusals, Unavailable))]
pub async fn transactions(
    State(state): State<AppState>,
    query: Result<Query<TxnQuery>, axum::extract::rejection::QueryRejection>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = customer_of(&call)?;
    let (cursor, limit) = page_query(query)?;
    account(&state, id).await?;
    let backend = state.backend().clone();
    let rows = tokio::task::spawn_blocking(move || -> Result<Vec<Transaction>, String> {
        let mut read = backend.read_models().map_err(|e| e.to_string())?;
        let mut journal = backend.journal().map_err(|e| e.to_string())?;
        engine::transactions::page(read.as_mut(), journal.as_mut(), id, cursor, limit).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| {
        tracing::error!(error = %e, "reading a customer's transactions failed");
        ApiError::unavailable("the read models could not be read")
    })?;
    let next_cursor = (rows.len() == limit)
        .then(|| rows.last().map(|t| t.row.txn.to_string()))
        .flatten();
    let page = TransactionPage {
        customer_id: id.to_string(),
        transactions: rows.iter().map(view).collect(),
        next_cursor,
    };
    Ok(respond(StatusCode::OK, &page, false))
}

/// A device, IP or card the customer was seen with, and the other accounts seen with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeenView {
    /// The device id, the IP address, or the card's token.
    pub key: String,
    pub first_seen: String,
    pub last_seen: String,
    /// Other accounts the risk features remember on it (at most the key kind's cap).
    pub shared_with: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DevicesResponse {
    pub customer_id: String,
    /// At login, activation, payment and every other checkpoint, most recent first.
    pub devices: Vec<SeenView>,
    pub ips: Vec<SeenView>,
    pub cards: Vec<SeenView>,
}

fn seen<K: Copy + ToString>(
    state: &AppState,
    own: credit::AccountId,
    rows: &[Sighting<K>],
    key: impl Fn(K) -> EntityKey,
) -> Vec<SeenView> {
    rows.iter()
        .map(|s| SeenView {
            key: s.key.to_string(),
            first_seen: time_ms(s.first_ms),
            last_seen: time_ms(s.last_ms),
            shared_with: state
                .engine()
                .sharing(key(s.key))
                .into_iter()
                .filter(|a| *a != own)
                .map(|a| a.to_string())
                .collect(),
        })
        .collect()
}

/// The devices, IPs and cards a customer was seen with, and the other accounts sharing each
/// (operator with `cases.read`): what the risk features remember (devices 180 days, IPs and
/// cards 31 days).
#[utoipa::path(operation_id = "customer_devices", get, path = "/v1/customers/{customer_id}/devices", tag = "risk",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = DevicesResponse), Refusals, Unavailable))]
pub async fn devices(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = customer_of(&call)?;
    account(&state, id).await?;
    let receiver = state
        .engine()
        .sightings(id)
        .map_err(crate::http::submit::submit_error)?;
    let sightings = receiver
        .await
        .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
    let response = DevicesResponse {
        customer_id: id.to_string(),
        devices: seen(&state, id, &sightings.devices, EntityKey::Device),
        ips: seen(&state, id, &sightings.ips, EntityKey::Ip),
        cards: seen(&state, id, &sightings.cards, EntityKey::Card),
    };
    Ok(respond(StatusCode::OK, &response, false))
}
