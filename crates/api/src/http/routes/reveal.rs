//! Revealing a customer's personal data in full: the one way an operator sees an unmasked name,
//! ID number, mobile or bank card. Every reveal is in the audit log with its reason; one
//! customer at a time needs `pii.reveal`; more at once (`POST /v1/reveals`) needs a second
//! operator's approval first, and then the maker reveals once, within
//! [`crate::edge::approvals::USE_WITHIN`] of the approval. Answers are never cached and never
//! kept as an idempotent answer (a retry reveals again, and is audited again).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::approvals::{Status, USE_WITHIN};
use crate::edge::subjects::subject;
use crate::http::audited::{Entry, record};
use crate::http::auth::Permission;
use crate::http::call::{Call, no_store, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals};
use crate::http::four_eyes::{gate, person};
use crate::http::input::{parse_id, parse_text};
use crate::http::routes::approvals::REVEAL_ROUTE;
use crate::state::AppState;

/// The most customers one bulk reveal covers.
pub const BULK_MAX: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// Why (the audit log keeps it): a case, a complaint, a police request.
    #[schema(max_length = 200, example = "case 41: customer called about a charge")]
    pub reason: String,
}

/// A customer's personal data in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revealed {
    pub customer_id: String,
    pub id_number: String,
    pub mobile: String,
    /// The verified bank card's cardholder name, card number and reserved mobile, if on file.
    pub name: Option<String>,
    pub bank_card: Option<String>,
    pub reserved_mobile: Option<String>,
}

async fn open(state: &AppState, account: AccountId) -> Result<Revealed, ApiError> {
    let subject = subject(state, account).await?;
    let card = subject.card.as_ref();
    Ok(Revealed {
        customer_id: account.to_string(),
        id_number: subject.id_number.as_str().to_owned(),
        mobile: subject.mobile.as_str().to_owned(),
        name: card.map(|c| c.name.as_str().to_owned()),
        bank_card: card.map(|c| c.card.as_str().to_owned()),
        reserved_mobile: card.map(|c| c.reserved_mobile.as_str().to_owned()),
    })
}

async fn audit(state: &AppState, call: &Call, customers: &[AccountId], reason: &str, approval: Option<u64>) {
    let name = call.operator_name.clone().unwrap_or_default();
    let ids: Vec<String> = customers.iter().map(ToString::to_string).collect();
    let mut detail = vec![("customers", ids.join(",")), ("reason", reason.to_owned())];
    if let Some(id) = approval {
        detail.push(("approval", id.to_string()));
    }
    let entry = Entry {
        actor: Some(&name),
        action: "pii.revealed",
        target: &format!("customers:{}", customers.len()),
        detail,
        outcome: audit::Outcome::Ok,
    };
    record(state, entry).await;
}

/// One customer's personal data in full, audited with the reason (operator).
#[utoipa::path(operation_id = "reveal_identity", post, path = "/v1/customers/{customer_id}/identity/reveal", tag = "operator",
    request_body = RevealBody, params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)),
    security(("bearer" = [])),
    responses((status = 200, description = "the data in full (never cached)", body = Revealed), Refusals))]
pub async fn one(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::PiiReveal)?;
    let account = AccountId(call.id("customer_id")?);
    let body: RevealBody = call.json()?;
    let reason = parse_text(&body.reason, "reason", 200)?;
    let revealed = open(&state, account).await?;
    audit(&state, &call, &[account], &reason, None).await;
    Ok(no_store(respond(StatusCode::OK, &revealed, false)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// 2 to 100 customers.
    pub customer_ids: Vec<String>,
    #[schema(max_length = 200)]
    pub reason: String,
    /// The approval of this very request (same customers), once a second operator gave it.
    pub approval_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRevealed {
    pub customers: Vec<Revealed>,
}

fn customers(ids: &[String]) -> Result<Vec<AccountId>, ApiError> {
    if !(2..=BULK_MAX).contains(&ids.len()) {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            format!("a bulk reveal names 2 to {BULK_MAX} customers (one: /v1/customers/{{id}}/identity/reveal)"),
        )
        .with_field("customer_ids"));
    }
    let mut parsed = ids
        .iter()
        .map(|id| parse_id(id, "customer_ids").map(AccountId))
        .collect::<Result<Vec<_>, _>>()?;
    parsed.sort_unstable();
    parsed.dedup();
    Ok(parsed)
}

/// Several customers' personal data in full: first proposed (`202`, four eyes), then, once a
/// second operator approved, revealed once to the maker with `approval_id` (operator).
#[utoipa::path(operation_id = "reveal_bulk", post, path = "/v1/reveals", tag = "operator",
    request_body = BulkBody, params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the data in full (never cached)", body = BulkRevealed),
        (status = 202, description = "kept for a second operator's approval", body = crate::http::four_eyes::ApprovalView),
        (status = 409, description = "approval_not_usable", body = crate::http::error::ErrorBody), Refusals))]
pub async fn bulk(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::PiiReveal)?;
    let body: BulkBody = call.json()?;
    let accounts = customers(&body.customer_ids)?;
    let reason = parse_text(&body.reason, "reason", 200)?;
    let Some(approval) = &body.approval_id else {
        let why = format!("revealing {} customers' personal data", accounts.len());
        return match gate(&state, &call, &[Permission::PiiReveal], why).await? {
            Some(proposed) => Ok(proposed),
            // The bootstrap token acts alone (no operator exists yet).
            None => reveal_all(&state, &call, &accounts, &reason, None).await,
        };
    };
    let approval = parse_id(approval, "approval_id")?;
    spend(&state, &call, approval, &accounts).await?;
    reveal_all(&state, &call, &accounts, &reason, Some(approval)).await
}

/// Marks approval `id` used, if it is an approved bulk reveal of `accounts` by this caller,
/// approved within [`USE_WITHIN`].
async fn spend(state: &AppState, call: &Call, id: u64, accounts: &[AccountId]) -> Result<(), ApiError> {
    let caller = person(state, call)?;
    let now = state.clock().now();
    let unusable = |why: &str| {
        ApiError::new(
            ErrorCode::ApprovalNotUsable,
            format!("approval {id} does not cover this: {why}"),
        )
        .with_field("approval_id")
    };
    state
        .approvals()
        .decide(state.meta(), id, now, |mut proposal| {
            if proposal.route != REVEAL_ROUTE || proposal.status != Status::Approved {
                return Err(unusable("it is not an approved bulk reveal"));
            }
            if proposal.maker.name != caller.name {
                return Err(unusable("another operator proposed it"));
            }
            let proposed: BulkBody =
                serde_json::from_str(&proposal.body).map_err(|_| unusable("its request does not read back"))?;
            if customers(&proposed.customer_ids)? != accounts {
                return Err(unusable("it names other customers"));
            }
            let approved_at = proposal.decided_at_us.unwrap_or(i64::MIN);
            if now.as_microsecond().saturating_sub(approved_at) > USE_WITHIN.as_micros() as i64 {
                return Err(unusable("it was approved too long ago"));
            }
            proposal.status = Status::Used;
            Ok(proposal)
        })
        .await
        .map(|_| ())
}

async fn reveal_all(
    state: &AppState,
    call: &Call,
    accounts: &[AccountId],
    reason: &str,
    approval: Option<u64>,
) -> Result<Response, ApiError> {
    let mut revealed = Vec::with_capacity(accounts.len());
    for account in accounts {
        revealed.push(open(state, *account).await?);
    }
    audit(state, call, accounts, reason, approval).await;
    let answer = BulkRevealed { customers: revealed };
    Ok(no_store(respond(StatusCode::OK, &answer, false)))
}
