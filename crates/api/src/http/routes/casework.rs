//! Working cases as a team ([`crate::edge::casework`]): queues (`GET /v1/case-queues`,
//! `POST /v1/case-queues/{queue}`), claiming and assigning (`POST /v1/cases/{case_id}/claim`,
//! `.../assign`), notes, links and attachments (`POST .../notes`, `.../links`,
//! `.../attachments`, `GET .../attachments/{n}`), and a theft case opened by an operator for a
//! customer who reported it outside iou (`POST /v1/cases`). Every change runs under an
//! Idempotency-Key ([`once`]) and is in the audit log (the assignment with its reason).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use engine::CaseId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::casework::{self, QueueConfig, Work};
use crate::http::auth::{OperatorId, Permission};
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::once::{Answer, once};
use crate::http::routes::cases::{CaseView, all_cases, find_case, operator_view};
use crate::state::AppState;

pub(crate) fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message.to_owned()).with_field(field)
}

/// The calling operator as a person: id and name (a case is worked by people, not API keys).
pub(crate) fn person(call: &Call) -> Result<(u64, String), ApiError> {
    let operator = call.principal.operator()?;
    match operator.id {
        OperatorId::Account(id) => Ok((id, call.operator_name.clone().unwrap_or_default())),
        _ => Err(ApiError::new(
            ErrorCode::FourEyesNeedsPerson,
            "cases are worked by an operator signed in as a person",
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    pub name: String,
    pub members: Vec<u64>,
    pub capacity: u32,
    pub sla_minutes: u32,
    pub open: usize,
    pub unassigned: usize,
    /// Open cases older than the SLA.
    pub breached: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuesResponse {
    pub queues: Vec<QueueView>,
}

/// The case queues: settings and counts (cases.read).
#[utoipa::path(operation_id = "case_queues", get, path = "/v1/case-queues", tag = "risk", security(("bearer" = [])),
    responses((status = 200, description = "success", body = QueuesResponse), Refusals))]
pub async fn queues(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let cases = all_cases(&state, None).await?;
    let now_us = state.clock().now().as_microsecond();
    let queues = state
        .casework()
        .queues()
        .into_iter()
        .map(|q| {
            let open: Vec<&engine::Case> = cases
                .iter()
                .filter(|c| c.status == engine::CaseStatus::Open && casework::queue_of(c.kind) == q.name)
                .collect();
            let sla_us = i64::from(q.sla_minutes) * 60_000_000;
            QueueView {
                unassigned: open
                    .iter()
                    .filter(|c| state.casework().work(c.id.0).assignee.is_none())
                    .count(),
                breached: open
                    .iter()
                    .filter(|c| now_us - c.opened_at.as_microsecond() > sla_us)
                    .count(),
                open: open.len(),
                name: q.name,
                members: q.members,
                capacity: q.capacity,
                sla_minutes: q.sla_minutes,
            }
        })
        .collect();
    Ok(respond(StatusCode::OK, &QueuesResponse { queues }, false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueBody {
    /// Operator ids (each an enabled operator who may resolve cases); empty: open to all.
    pub members: Vec<u64>,
    /// 1 to 1,000 open cases per member.
    pub capacity: u32,
    /// 1 to 43,200 minutes (30 days).
    pub sla_minutes: u32,
}

/// Set a queue's members, capacity and SLA (cases.assign: a supervisor).
#[utoipa::path(operation_id = "set_case_queue", post, path = "/v1/case-queues/{queue}", tag = "risk", request_body = QueueBody,
    params(("queue" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the queue's settings", body = QueueConfig), Refusals, Unavailable))]
pub async fn set_queue(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CasesAssign)?;
    let name = call
        .params()
        .iter()
        .find(|(k, _)| k == "queue")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if !casework::QUEUES.contains(&name.as_str()) {
        return Err(invalid("queue", "the queues are theft and interception"));
    }
    let body: QueueBody = call.json()?;
    if !(1..=1_000).contains(&body.capacity) {
        return Err(invalid("capacity", "capacity is 1 to 1000"));
    }
    if !(1..=43_200).contains(&body.sla_minutes) {
        return Err(invalid("sla_minutes", "sla_minutes is 1 to 43200"));
    }
    let mut members = body.members.clone();
    members.sort_unstable();
    members.dedup();
    for member in &members {
        may_work_cases(&state, *member).map_err(|e| e.with_field("members"))?;
    }
    let queue = QueueConfig {
        name,
        members,
        capacity: body.capacity,
        sla_minutes: body.sla_minutes,
    };
    once(&state, call.idem()?, async {
        let _write = state.casework().write.lock().await;
        state.casework().put_queue(state.meta(), queue.clone()).await?;
        Answer::new(StatusCode::OK, &queue)
    })
    .await
}

/// An enabled operator who may resolve cases: a valid assignee or queue member.
fn may_work_cases(state: &AppState, operator: u64) -> Result<String, ApiError> {
    let (grants, name) = state
        .operators()
        .grants(operator)
        .map_err(|_| ApiError::new(ErrorCode::OperatorNotFound, "no enabled operator has this id"))?;
    if !grants.contains(Permission::CasesResolve) {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            format!("operator {operator} may not resolve cases (needs cases.resolve)"),
        ));
    }
    Ok(name)
}

/// Changes one case's work under the write lock, after checking the case exists.
pub(crate) async fn change<F>(state: &AppState, call: &Call, status: StatusCode, edit: F) -> Result<Response, ApiError>
where
    F: FnOnce(&engine::Case, &mut Work, i64) -> Result<Option<FileWrite>, ApiError>,
{
    let id = CaseId(call.id("case_id")?);
    once(state, call.idem()?, async {
        let case = find_case(state, id).await?;
        let _write = state.casework().write.lock().await;
        let mut work = state.casework().work(id.0);
        let file = edit(&case, &mut work, state.clock().now().as_microsecond())?;
        // An attachment's bytes are stored before the record that names them.
        if let Some(FileWrite { key, base64 }) = file {
            state.meta().set(key, base64).await?;
        }
        state.casework().put(state.meta(), work).await?;
        Answer::new(status, &operator_view(state, &case))
    })
    .await
}

/// A meta record an edit needs written before the case's work record (an attachment's bytes).
#[derive(Debug)]
pub(crate) struct FileWrite {
    pub key: String,
    pub base64: String,
}

/// Claim an unassigned case (cases.resolve; a member of its queue when the queue has members).
#[utoipa::path(operation_id = "claim_case", post, path = "/v1/cases/{case_id}/claim", tag = "risk",
    params(("case_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the case, now the caller's", body = CaseView),
        (status = 409, description = "case_assigned: another operator holds it; case_closed", body = crate::http::error::ErrorBody),
        Refusals, Unavailable))]
pub async fn claim(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CasesResolve)?;
    let (me, name) = person(&call)?;
    let casework = state.casework();
    change(&state, &call, StatusCode::OK, |case, work, now_us| {
        if case.status != engine::CaseStatus::Open {
            return Err(ApiError::new(ErrorCode::CaseClosed, "the case is resolved"));
        }
        let queue = casework
            .queue(casework::queue_of(case.kind))
            .unwrap_or_else(|| QueueConfig::default_for("theft"));
        if !queue.members.is_empty() && !queue.members.contains(&me) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("only members of the {} queue claim its cases", queue.name),
            ));
        }
        match work.assignee {
            Some(holder) if holder != me => Err(ApiError::new(
                ErrorCode::CaseAssigned,
                "another operator holds this case",
            )),
            Some(_) => Ok(None),
            None => {
                work.assignee = Some(me);
                work.assignee_name = Some(name);
                work.assigned_at_us = Some(now_us);
                work.assigned_by = Some("claim".into());
                work.reason = None;
                Ok(None)
            }
        }
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The operator who will work it (must be able to resolve cases).
    pub operator_id: u64,
    /// Why (kept with the case and in the audit log): 3 to 500 characters.
    pub reason: String,
}

/// Assign (or reassign) a case with a reason (cases.assign: a supervisor).
#[utoipa::path(operation_id = "assign_case", post, path = "/v1/cases/{case_id}/assign", tag = "risk", request_body = AssignBody,
    params(("case_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the case with its assignee", body = CaseView), Refusals, Unavailable))]
pub async fn assign(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CasesAssign)?;
    let body: AssignBody = call.json()?;
    let reason = body.reason.trim().to_owned();
    if !(3..=500).contains(&reason.chars().count()) {
        return Err(invalid("reason", "a reason of 3 to 500 characters"));
    }
    let name = may_work_cases(&state, body.operator_id).map_err(|e| e.with_field("operator_id"))?;
    let by = call.operator_name.clone().unwrap_or_default();
    let detail = format!("assigned to {name}: {reason}");
    let answer = change(&state, &call, StatusCode::OK, |case, work, now_us| {
        if case.status != engine::CaseStatus::Open {
            return Err(ApiError::new(ErrorCode::CaseClosed, "the case is resolved"));
        }
        work.assignee = Some(body.operator_id);
        work.assignee_name = Some(name);
        work.assigned_at_us = Some(now_us);
        work.assigned_by = Some(by);
        work.reason = Some(reason);
        Ok(None)
    })
    .await?;
    record(&state, &call, "cases.assign", detail).await;
    Ok(answer)
}

/// An audit record beside the layer's, with what the layer cannot see (a reason).
async fn record(state: &AppState, call: &Call, action: &str, why: String) {
    let actor = call.operator_name.clone();
    let target = call.target().map(|t| t.uri.path().to_owned()).unwrap_or_default();
    let entry = crate::http::audited::Entry {
        actor: actor.as_deref(),
        action,
        target: &target,
        detail: vec![("reason", why)],
        outcome: audit::Outcome::Ok,
    };
    crate::http::audited::record(state, entry).await;
}

/// Gives each queue's unassigned open cases to its members by capacity
/// ([`casework::plan_assignments`]); the sweeper calls it. Each assignment is audited (actor
/// `system`, action `cases.auto_assign`).
pub async fn auto_assign(state: &AppState) -> Result<usize, ApiError> {
    let queues: Vec<QueueConfig> = state
        .casework()
        .queues()
        .into_iter()
        .filter(|q| !q.members.is_empty())
        .collect();
    if queues.is_empty() {
        return Ok(0);
    }
    let cases = all_cases(state, None).await?;
    let mut assigned = 0;
    for queue in queues {
        let _write = state.casework().write.lock().await;
        let open: Vec<casework::OpenCase> = cases
            .iter()
            .filter(|c| c.status == engine::CaseStatus::Open && casework::queue_of(c.kind) == queue.name)
            .map(|c| casework::OpenCase {
                case: c.id.0,
                opened_at_us: c.opened_at.as_microsecond(),
                assignee: state.casework().work(c.id.0).assignee,
            })
            .collect();
        for (case, member) in casework::plan_assignments(&queue, &open) {
            let Ok(name) = may_work_cases(state, member) else {
                continue;
            };
            let mut work = state.casework().work(case);
            work.assignee = Some(member);
            work.assignee_name = Some(name.clone());
            work.assigned_at_us = Some(state.clock().now().as_microsecond());
            work.assigned_by = Some("auto".into());
            work.reason = Some(format!("{} queue by capacity", queue.name));
            state.casework().put(state.meta(), work).await?;
            let target = format!("/v1/cases/{case}");
            let entry = crate::http::audited::Entry {
                actor: None,
                action: "cases.auto_assign",
                target: &target,
                detail: vec![("assignee", name)],
                outcome: audit::Outcome::Ok,
            };
            crate::http::audited::record(state, entry).await;
            assigned += 1;
        }
    }
    Ok(assigned)
}

/// Deletes the work on cases resolved more than [`casework::WORK_RETENTION_DAYS`] ago (the
/// retention rule); the sweeper calls it about once an hour. Each deletion is audited (actor
/// `system`, action `cases.work_pruned`). Returns how many cases' work went.
pub async fn prune_work(state: &AppState) -> Result<usize, ApiError> {
    let worked: std::collections::BTreeSet<u64> = state.casework().worked_cases().into_iter().collect();
    if worked.is_empty() {
        return Ok(0);
    }
    let now_us = state.clock().now().as_microsecond();
    let due: Vec<u64> = all_cases(state, None)
        .await?
        .iter()
        .filter(|c| worked.contains(&c.id.0) && c.status != engine::CaseStatus::Open)
        .filter(|c| {
            c.resolved_at
                .is_some_and(|at| casework::past_retention(at.as_microsecond(), now_us))
        })
        .map(|c| c.id.0)
        .collect();
    let _write = state.casework().write.lock().await;
    for case in &due {
        state.casework().forget(state.meta(), *case).await?;
        let target = format!("/v1/cases/{case}");
        let entry = crate::http::audited::Entry {
            actor: None,
            action: "cases.work_pruned",
            target: &target,
            detail: vec![("retention_days", casework::WORK_RETENTION_DAYS.to_string())],
            outcome: audit::Outcome::Ok,
        };
        crate::http::audited::record(state, entry).await;
    }
    Ok(due.len())
}
