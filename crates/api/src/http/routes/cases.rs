//! Cases: the operator's queue (`GET /v1/cases`, `GET /v1/cases/{case_id}`,
//! `POST /v1/cases/{case_id}/resolve`) and the views of a case the customer's routes share.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use engine::{Case, CaseId, CaseStatus, ask};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals, Unavailable};
use crate::http::routes::figures::ExemptionView;
use crate::http::submit::{Audience, ask, submit_error};
use crate::state::AppState;
use crate::webhooks::scan::{evidence_json, kind_name};

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub case_id: String,
    pub customer_id: String,
    /// `interception`, `theft` or `payment_review` (a payment authorized but held: its
    /// authorization was decided `review`).
    pub kind: &'static str,
    /// `open`, `confirmed` or `rejected`.
    pub status: &'static str,
    pub txn_ids: Vec<String>,
    pub opened_at: String,
    pub resolved_at: Option<String>,
    /// What the engine knew when it decided on each transaction (operators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub evidence: Option<Vec<serde_json::Value>>,
    /// A held payment's decision in full (operators, `payment_review` cases): `checkpoint`,
    /// `outcome`, `reasons` (the rules that fired), `rules` (version), `models` (fraud score,
    /// credit PD and score) and `features` (what the rules saw).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub decision: Option<serde_json::Value>,
    /// The team's work on it (operators only): queue, assignee, notes, links, attachments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work: Option<WorkView>,
    /// What confirming a theft moved (fraud loss, fees, interest and penalties waived, payments
    /// credited back): in the answer of the resolve call that confirmed it (and its retries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<ExemptionView>,
}

/// Who works a case and what they added (operators only).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkView {
    /// `theft`, `interception` or `payment_review`.
    pub queue: &'static str,
    pub assignee_id: Option<u64>,
    pub assignee: Option<String>,
    pub assigned_at: Option<String>,
    /// `claim`, `auto`, or the supervisor who assigned it.
    pub assigned_by: Option<String>,
    pub reason: Option<String>,
    /// When the queue's SLA runs out for it, and whether it has (an open case only).
    pub sla_due_at: String,
    pub sla_breached: bool,
    #[schema(value_type = Vec<Object>)]
    pub notes: Vec<serde_json::Value>,
    pub linked_case_ids: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub attachments: Vec<serde_json::Value>,
}

fn time_of(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

impl CaseView {
    /// With the team's work, as of `now_us`, under the queue's `sla_minutes`.
    pub fn work(mut self, case: &Case, work: &crate::edge::casework::Work, sla_minutes: u32, now_us: i64) -> CaseView {
        let due_us = case.opened_at.as_microsecond() + i64::from(sla_minutes) * 60_000_000;
        let note = |n: &crate::edge::casework::Note| serde_json::json!({"author": n.author, "at": time_of(n.at_us), "text": n.text});
        let file = |a: &crate::edge::casework::Attachment| {
            serde_json::json!({"n": a.n, "name": a.name, "media_type": a.media_type, "bytes": a.bytes,
                "sha256": a.sha256, "author": a.author, "at": time_of(a.at_us)})
        };
        self.work = Some(WorkView {
            queue: crate::edge::casework::queue_of(case.kind),
            assignee_id: work.assignee,
            assignee: work.assignee_name.clone(),
            assigned_at: work.assigned_at_us.map(time_of),
            assigned_by: work.assigned_by.clone(),
            reason: work.reason.clone(),
            sla_due_at: time_of(due_us),
            sla_breached: case.status == CaseStatus::Open && now_us > due_us,
            notes: work.notes.iter().map(note).collect(),
            linked_case_ids: work.links.iter().map(ToString::to_string).collect(),
            attachments: work.attachments.iter().map(file).collect(),
        });
        self
    }
}

/// A case as an operator sees it: with evidence and the team's work.
pub fn operator_view(state: &AppState, case: &Case) -> CaseView {
    let work = state.casework().work(case.id.0);
    let sla = state
        .casework()
        .queue(crate::edge::casework::queue_of(case.kind))
        .map_or(24 * 60, |q| q.sla_minutes);
    case_view(case, true).work(case, &work, sla, state.clock().now().as_microsecond())
}

pub fn status_name(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Open => "open",
        CaseStatus::Confirmed => "confirmed",
        CaseStatus::Rejected => "rejected",
    }
}

/// A case as the API shows it; `evidence` for operators.
pub fn case_view(case: &Case, evidence: bool) -> CaseView {
    CaseView {
        case_id: case.id.to_string(),
        customer_id: case.account.to_string(),
        kind: kind_name(case.kind),
        status: status_name(case.status),
        txn_ids: case.txns.iter().map(ToString::to_string).collect(),
        opened_at: case.opened_at.to_string(),
        resolved_at: case.resolved_at.map(|t| t.to_string()),
        evidence: evidence.then(|| case.evidence.iter().map(evidence_json).collect()),
        decision: None,
        work: None,
        exemption: None,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CasesResponse {
    pub cases: Vec<CaseView>,
}

/// The cases of one account, or of every partition.
pub async fn all_cases(state: &AppState, account: Option<credit::AccountId>) -> Result<Vec<Case>, ApiError> {
    let mut cases = Vec::new();
    for receiver in state.engine().cases(account).map_err(submit_error)? {
        let part = receiver
            .await
            .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
        cases.extend(part);
    }
    cases.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
    Ok(cases)
}

/// Which cases to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseFilter {
    /// `open`, `confirmed` or `rejected`.
    pub status: Option<String>,
    /// `theft`, `interception` or `payment_review`.
    pub queue: Option<String>,
    /// `true`: only the cases assigned to the caller.
    pub mine: Option<bool>,
    /// `true`: only open cases nobody holds.
    pub unassigned: Option<bool>,
}

/// Every case, newest first, with evidence and the team's work (operator); filtered by status,
/// queue, the caller's own, or unassigned.
#[utoipa::path(operation_id = "list_cases", get, path = "/v1/cases", tag = "risk", security(("bearer" = [])),
    params(CaseFilter),
    responses((status = 200, description = "success", body = CasesResponse), Refusals))]
pub async fn cases(
    State(state): State<AppState>,
    axum::extract::Query(filter): axum::extract::Query<CaseFilter>,
    call: Call,
) -> Result<Response, ApiError> {
    let operator = call.principal.operator()?;
    let status = filter.status.as_deref();
    if status.is_some_and(|s| !["open", "confirmed", "rejected"].contains(&s)) {
        return Err(
            ApiError::new(ErrorCode::InvalidField, "status is open, confirmed or rejected").with_field("status"),
        );
    }
    let queue = filter.queue.as_deref();
    if queue.is_some_and(|q| !crate::edge::casework::QUEUES.contains(&q)) {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            "queue is theft, interception or payment_review",
        )
        .with_field("queue"));
    }
    let me = match operator.id {
        crate::http::auth::OperatorId::Account(id) => Some(id),
        _ => None,
    };
    let cases = all_cases(&state, None).await?;
    let mut views = Vec::new();
    for case in cases
        .iter()
        .filter(|c| status.is_none_or(|s| status_name(c.status) == s))
        .filter(|c| queue.is_none_or(|q| crate::edge::casework::queue_of(c.kind) == q))
    {
        let view = operator_view(&state, case);
        let assignee = view.work.as_ref().and_then(|w| w.assignee_id);
        if (filter.mine != Some(true) || (me.is_some() && assignee == me))
            && (filter.unassigned != Some(true) || (assignee.is_none() && view.status == "open"))
        {
            views.push(with_decision(&state, case, view).await?);
        }
    }
    Ok(respond(StatusCode::OK, &CasesResponse { cases: views }, false))
}

/// A held payment's case with its decision in full (see [`crate::edge::review_evidence`]).
pub async fn with_decision(state: &AppState, case: &Case, mut view: CaseView) -> Result<CaseView, ApiError> {
    if case.kind == engine::CaseKind::PaymentReview
        && let Some(txn) = case.txns.first()
    {
        view.decision = crate::edge::review_evidence::of(state.meta(), *txn).await?;
    }
    Ok(view)
}

pub(crate) async fn find_case(state: &AppState, id: CaseId) -> Result<Case, ApiError> {
    all_cases(state, None)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::new(ErrorCode::CaseNotFound, "no case has this id").with_field("case_id"))
}

/// One case with its evidence (operator).
#[utoipa::path(operation_id = "get_case", get, path = "/v1/cases/{case_id}", tag = "risk",
    params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = CaseView), Refusals))]
pub async fn case(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let case = find_case(&state, CaseId(call.id("case_id")?)).await?;
    let view = with_decision(&state, &case, operator_view(&state, &case)).await?;
    Ok(respond(StatusCode::OK, &view, false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// `true` confirms the fraud: a theft's transactions are exempted (the customer owes
    /// nothing for them, the loss is booked as fraud loss), an interception stays stopped.
    /// `false` rejects it: a held order may ship. For a `payment_review` case `true` DECLINES
    /// the held payment (its hold is voided, the customer's credit restored) and `false`
    /// RELEASES it (the merchant may capture and ship).
    pub confirm: bool,
}

/// Resolve an open case (operator). Confirming a theft and exempting its transactions are one
/// outcome: a refused exemption answers `409 exemption_failed` and leaves the case open.
#[utoipa::path(operation_id = "resolve_case", post, path = "/v1/cases/{case_id}/resolve", tag = "risk", request_body = ResolveBody,
    params(("case_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success: a confirmed theft's transactions are exempt", body = CaseView),
        (status = 202, description = "confirming a theft: kept for a second operator's approval (four eyes)", body = crate::http::four_eyes::ApprovalView),
        (status = 409, description = "case_closed (already resolved), or exemption_failed: the theft's exemption was refused, nothing changed and the case stays open", body = ErrorBody),
        Refusals, Unavailable))]
pub async fn resolve(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = CaseId(call.id("case_id")?);
    let body: ResolveBody = call.json()?;
    if body.confirm && find_case(&state, id).await?.kind == engine::CaseKind::Theft {
        // Confirming a theft exempts its transactions: the fraud team's permission, and a
        // second operator's approval.
        use crate::http::auth::Permission;
        call.principal.require(Permission::FraudExempt)?;
        let why = format!("confirming theft case {id} exempts its transactions");
        let needs = [Permission::CasesResolve, Permission::FraudExempt];
        if let Some(proposed) = crate::http::four_eyes::gate(&state, &call, &needs, why).await? {
            return Ok(proposed);
        }
    }
    let resolve = ask::ResolveCase {
        case: id,
        confirm: body.confirm,
    };
    let answered = ask(&state, resolve, call.idem()?, Audience::Account, None)
        .await
        .map_err(|e| {
            if e.code == ErrorCode::CaseNotFound {
                e.with_field("case_id")
            } else {
                e
            }
        })?;
    let case = find_case(&state, answered.reply.case).await?;
    let mut view = with_decision(&state, &case, operator_view(&state, &case)).await?;
    view.exemption = answered.reply.exemption.as_ref().map(ExemptionView::of);
    Ok(respond(StatusCode::OK, &view, answered.replayed))
}
