//! Four eyes (maker-checker): [`gate`] is the one question a handler asks before a call that
//! moves money or trust takes effect. The handler has parsed and checked the request (bad
//! input is refused to the maker at once) and knows why the call needs a second operator; the
//! gate keeps it as a proposal (`edge::approvals`) and answers `202` with it, unless the call
//! is already the approved one being applied, or the bootstrap token made it (it works only
//! while no operator exists: there is no second person to ask).
//!
//! Which calls ask, and when (API.md, "Four eyes"):
//! - fraud exemptions, and confirming a theft case (it exempts): always;
//! - a permanent limit above [`crate::config::FourEyesConfig::limit_above_fen`] that raises the line, and a
//!   temporary limit above it;
//! - an operator lifting a theft-report freeze (without the customer's own liveness step-up);
//! - recording an offline repayment or payoff: always;
//! - an operator's cash-out above [`crate::config::FourEyesConfig::cash_out_above_fen`];
//! - deploying a rule set: always;
//! - lowering a merchant's risk tier (`http::routes::merchant_tiers`): always;
//! - revealing more than one customer's personal data at once.
//!
//! A second operator, signed in as a person, holding every permission the call needs and not
//! the maker (nor the operator who made the maker's API key), approves it
//! (`http::routes::approvals`); both steps are in the audit log.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use crate::edge::approvals::{NewProposal, Person, Proposal};
use crate::http::audited::{Entry, record};
use crate::http::auth::{OperatorId, Permission};
use crate::http::call::Call;
use crate::http::error::ApiError;
use crate::http::once::{Answer, once};
use crate::state::AppState;

/// A proposal as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalView {
    pub approval_id: String,
    /// `pending`, `approved` (being applied; a reveal: usable by its maker), `applied`,
    /// `failed` (refused when applied: see `result`), `rejected`, `expired` or `used`.
    #[schema(example = "pending")]
    pub status: &'static str,
    /// The permission the call needs (the audit log's action).
    #[schema(example = "fraud.exempt")]
    pub action: String,
    /// Every permission the approver must hold.
    pub permissions: Vec<String>,
    pub method: String,
    /// The route's template and the request's path.
    pub route: String,
    pub path: String,
    /// The request's body as the maker sent it.
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    /// Why it needs a second operator.
    pub reason: String,
    pub maker: String,
    pub checker: Option<String>,
    /// A rejection's reason, or the approver's note.
    pub note: Option<String>,
    pub created_at: String,
    /// Until when it may be decided.
    pub expires_at: String,
    pub decided_at: Option<String>,
    /// The applied call's HTTP status and answer.
    pub result_status: Option<u16>,
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
}

/// A `202` that is either the route's own answer (`T`) or a four-eyes proposal: the OpenAPI
/// document's `oneOf` for routes that answer 202 both ways (a payout pending, a debit pending).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[expect(
    dead_code,
    reason = "a schema for the OpenAPI document only: handlers answer either type"
)]
pub enum OrProposal<T> {
    Answer(T),
    Proposal(Box<ApprovalView>),
}

fn time(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

pub fn view(proposal: &Proposal) -> ApprovalView {
    let request = serde_json::from_str(&proposal.body).unwrap_or(serde_json::Value::String(proposal.body.clone()));
    let expires = proposal
        .created_at_us
        .saturating_add(crate::edge::approvals::DECIDE_WITHIN.as_micros() as i64);
    ApprovalView {
        approval_id: proposal.id.to_string(),
        status: proposal.status.name(),
        action: proposal.permissions.first().cloned().unwrap_or_default(),
        permissions: proposal.permissions.clone(),
        method: proposal.method.clone(),
        route: proposal.route.clone(),
        path: proposal.path.clone(),
        request,
        reason: proposal.reason.clone(),
        maker: proposal.maker.name.clone(),
        checker: proposal.checker.as_ref().map(|c| c.name.clone()),
        note: proposal.note.clone(),
        created_at: time(proposal.created_at_us),
        expires_at: time(expires),
        decided_at: proposal.decided_at_us.map(time),
        result_status: proposal.result_status,
        result: proposal.result.clone(),
    }
}

/// Who an operator call was made by, as a proposal names them.
pub fn person(state: &AppState, call: &Call) -> Result<Person, ApiError> {
    let operator = call.principal.operator()?;
    let name = call.operator_name.clone().unwrap_or_default();
    Ok(match operator.id {
        OperatorId::Account(id) => Person {
            name,
            operator: Some(id),
            api_key: None,
            on_behalf_of: None,
        },
        OperatorId::ApiKey(id) => Person {
            name,
            operator: None,
            api_key: Some(id),
            on_behalf_of: state.operators().keys.created_by(id),
        },
        OperatorId::Bootstrap => Person {
            name,
            operator: None,
            api_key: None,
            on_behalf_of: None,
        },
    })
}

/// Whether two people are one (the checker is the maker, or made the maker's API key).
pub fn same_person(maker: &Person, checker: &Person) -> bool {
    maker.name == checker.name
        || (maker.operator.is_some() && maker.operator == checker.operator)
        || maker.on_behalf_of.as_deref() == Some(checker.name.as_str())
}

/// Keeps `call` as a proposal needing `permissions` (the first is its action) for `reason`,
/// and answers `202` with it: `Some(answer)`. `None`: go on and apply it (it is the approved
/// call, or the bootstrap token's). A retry under the maker's key gets the same proposal.
pub async fn gate(
    state: &AppState,
    call: &Call,
    permissions: &[Permission],
    reason: String,
) -> Result<Option<Response>, ApiError> {
    if call.approval().is_some() {
        return Ok(None);
    }
    let operator = call.principal.operator()?;
    if operator.id == OperatorId::Bootstrap {
        return Ok(None);
    }
    for permission in permissions {
        call.principal.require(*permission)?;
    }
    let maker = person(state, call)?;
    let target = call
        .target()
        .ok_or_else(|| ApiError::internal("an operator's call without its target"))?;
    let new = NewProposal {
        method: target.method.as_str().to_owned(),
        route: target
            .route
            .as_ref()
            .map_or_else(String::new, |r| r.as_str().to_owned()),
        path: target.uri.path().to_owned(),
        params: call.params().to_vec(),
        body: String::from_utf8_lossy(call.body()).into_owned(),
        permissions: permissions.iter().map(|p| p.name().to_owned()).collect(),
        reason,
        maker,
    };
    let answered = once(state, call.idem()?, async {
        let proposal = state
            .approvals()
            .propose(state.meta(), new, state.clock().now())
            .await?;
        let target = format!("approval:{}", proposal.id);
        let entry = Entry {
            actor: Some(&proposal.maker.name),
            action: "approvals.propose",
            target: &target,
            detail: vec![
                ("action", proposal.permissions.join(",")),
                ("path", proposal.path.clone()),
                ("reason", proposal.reason.clone()),
            ],
            outcome: audit::Outcome::Ok,
        };
        record(state, entry).await;
        Answer::new(StatusCode::ACCEPTED, &view(&proposal))
    })
    .await?;
    Ok(Some(answered))
}
