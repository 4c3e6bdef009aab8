//! Collections (COLLECTIONS.md): the queue of accounts in collections by bucket with the
//! strategy's next action (`GET /v1/collections`), one account's collections file
//! (`GET /v1/customers/{id}/collections`), promises to pay (`POST .../promises`), call tasks
//! with their outcome (`POST .../call-tasks`), and the hardship plan (`POST .../hardship-plans`,
//! a money-moving re-age: always four eyes for an operator).
//!
//! The strategy table and the promise rules are the `collections` crate's, evaluated on the
//! business day of the request; the work records live in the meta table (`edge::collections`).
//! Promises are judged whenever an account is read here, so a broken one shows, and counts for
//! the strategy, on the first read after its date.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use collections::{Decision, Promise, PromiseError, Situation, Strategy};
use credit::delinquency::Bucket;
use credit::{Account, AccountId, Day, PlanId};
use engine::ask;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::collections::{self as records, CallOutcome, CallTask};
use crate::http::auth::Permission;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::four_eyes::gate;
use crate::http::input::FenInput;
use crate::http::submit::{self, Audience};
use crate::state::AppState;

fn strategy() -> &'static Strategy {
    static STRATEGY: OnceLock<Strategy> = OnceLock::new();
    STRATEGY.get_or_init(Strategy::shipped)
}

fn today(state: &AppState) -> Day {
    Day::from_date(state.today())
}

fn decide(situation: &Situation) -> Result<Decision, ApiError> {
    strategy()
        .decide(situation)
        .map_err(|e| ApiError::internal(format!("collections strategy: {e}")))
}

/// One account in the queue: where it stands and what the strategy says to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntry {
    pub customer_id: String,
    /// `grace`, `M1`, `M2`, `M3`, `M3+` or `charged_off`.
    pub bucket: &'static str,
    pub dpd: u32,
    /// Minimums missed on earlier due dates (charged off: everything still owed).
    pub past_due_fen: i64,
    /// Everything owed, billed and not yet billed.
    pub balance_fen: i64,
    /// `reminder`, `call_task`, `hardship_offer` or `none`.
    pub action: &'static str,
    /// The strategy row's reason code.
    pub reason: String,
    /// The table that decided (`strategy@v<n>`).
    pub strategy: String,
    pub open_promise: bool,
    pub broken_promises: u32,
    pub hardship_eligible: bool,
    pub hardship_active: bool,
}

fn entry(situation: &Situation, decision: &Decision) -> QueueEntry {
    QueueEntry {
        customer_id: situation.account.to_string(),
        bucket: situation.bucket.as_str(),
        dpd: situation.dpd,
        past_due_fen: situation.past_due.fen(),
        balance_fen: situation.balance.fen(),
        action: decision.action.as_str(),
        reason: decision.reason.clone(),
        strategy: decision.strategy.clone(),
        open_promise: situation.open_promise,
        broken_promises: situation.broken_promises,
        hardship_eligible: situation.hardship_eligible,
        hardship_active: situation.hardship_active,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueResponse {
    /// Most days past due first, then by customer id.
    pub accounts: Vec<QueueEntry>,
    /// Accounts in collections matching the filter (before `limit`).
    pub total: usize,
}

/// Which accounts of the queue to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// `grace`, `M1`, `M2`, `M3`, `M3+` or `charged_off`.
    pub bucket: Option<String>,
    /// `reminder`, `call_task`, `hardship_offer` or `none`.
    pub action: Option<String>,
    /// 1 to 1000 (100).
    pub limit: Option<usize>,
}

const BUCKETS: [Bucket; 6] = [
    Bucket::Grace,
    Bucket::M1,
    Bucket::M2,
    Bucket::M3,
    Bucket::M3Plus,
    Bucket::ChargedOff,
];

fn bad(field: &'static str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message).with_field(field)
}

/// The collections queue: every account past due or charged off with something owed, by
/// bucket, with the strategy's next action (operator).
#[utoipa::path(operation_id = "collections_queue", get, path = "/v1/collections", tag = "collections", params(QueueQuery),
    security(("bearer" = [])), responses((status = 200, description = "success", body = QueueResponse), Refusals, Unavailable))]
pub async fn queue(
    State(state): State<AppState>,
    query: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.require(Permission::CollectionsRead)?;
    let Ok(Query(query)) = query else {
        return Err(bad("limit", "bucket and action are names and limit a whole number"));
    };
    let bucket = match query.bucket.as_deref() {
        None => None,
        Some(name) => Some(
            BUCKETS
                .into_iter()
                .find(|b| b.as_str() == name)
                .ok_or_else(|| bad("bucket", "bucket is grace, M1, M2, M3, M3+ or charged_off"))?,
        ),
    };
    let action = match query.action.as_deref() {
        None => None,
        Some(name) => Some(
            collections::Action::ALL
                .into_iter()
                .find(|a| a.as_str() == name)
                .ok_or_else(|| bad("action", "action is reminder, call_task, hardship_offer or none"))?,
        ),
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit", "limit is 1 to 1000"));
    }
    let day = today(&state);
    let mut accounts = delinquent(&state).await?;
    accounts.sort_by_key(|a| a.id);
    let _one_at_a_time = records::lock().await;
    let mut promises: BTreeMap<u64, Vec<Promise>> = BTreeMap::new();
    for promise in records::promises(state.meta(), None).await? {
        promises.entry(promise.account).or_default().push(promise);
    }
    let mut entries = Vec::new();
    for account in &accounts {
        let mine = promises.remove(&account.id.0).unwrap_or_default();
        let mine = judge_all(&state, account, day, mine).await?;
        let situation = Situation::of(account, day, state.product(), &mine);
        if !situation.in_collections() || bucket.is_some_and(|b| b != situation.bucket) {
            continue;
        }
        let decision = decide(&situation)?;
        if action.is_some_and(|a| a != decision.action) {
            continue;
        }
        entries.push(entry(&situation, &decision));
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.dpd));
    let total = entries.len();
    entries.truncate(limit);
    let response = QueueResponse {
        accounts: entries,
        total,
    };
    Ok(respond(StatusCode::OK, &response, false))
}

async fn delinquent(state: &AppState) -> Result<Vec<Account>, ApiError> {
    let receivers = state.engine().delinquent().map_err(submit::submit_error)?;
    let mut accounts = Vec::new();
    for receiver in receivers {
        let found = receiver
            .await
            .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
        accounts.extend(found);
    }
    Ok(accounts)
}

/// Judges the open ones of `promises` (one account's) on `day`, writing back those that settled.
async fn judge_all(
    state: &AppState,
    account: &Account,
    day: Day,
    mut promises: Vec<Promise>,
) -> Result<Vec<Promise>, ApiError> {
    for promise in promises.iter_mut() {
        if promise.judge(account, day) {
            records::save_promise(state.meta(), promise).await?;
        }
    }
    Ok(promises)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseView {
    pub promise_id: String,
    pub customer_id: String,
    pub amount_fen: i64,
    pub made_on: String,
    /// The date the amount is promised by.
    pub date: String,
    /// Paid toward it so far (payments from `made_on` to `date`).
    pub paid_fen: i64,
    /// `open`, `kept` or `broken`.
    pub status: &'static str,
    pub settled_on: Option<String>,
}

fn promise_view(promise: &Promise, account: &Account, day: Day) -> PromiseView {
    PromiseView {
        promise_id: promise.id.to_string(),
        customer_id: promise.account.to_string(),
        amount_fen: promise.amount.fen(),
        made_on: promise.made_on.to_string(),
        date: promise.due_on.to_string(),
        paid_fen: promise.paid(account, day).fen(),
        status: promise.status.as_str(),
        settled_on: promise.settled_on.map(|d| d.to_string()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallTaskView {
    pub call_task_id: String,
    pub customer_id: String,
    pub on: String,
    pub outcome: CallOutcome,
    /// What the strategy said the day of the call, and why.
    pub action: String,
    pub reason: String,
}

fn call_view(task: &CallTask) -> CallTaskView {
    CallTaskView {
        call_task_id: task.id.to_string(),
        customer_id: task.account.to_string(),
        on: task.on.to_string(),
        outcome: task.outcome,
        action: task.action.clone(),
        reason: task.reason.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionsFile {
    /// Where the account stands and the strategy's next action (also for an account not in
    /// collections: then `action` is `none`).
    pub situation: QueueEntry,
    pub in_collections: bool,
    /// The hardship plan being paid, if any.
    pub hardship_plan_id: Option<String>,
    pub promises: Vec<PromiseView>,
    pub call_tasks: Vec<CallTaskView>,
}

/// One account's collections file: situation, next action, promises, call tasks (operator).
#[utoipa::path(operation_id = "customer_collections", get, path = "/v1/customers/{customer_id}/collections", tag = "collections",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = CollectionsFile), Refusals, Unavailable))]
pub async fn file(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CollectionsRead)?;
    let id = AccountId(call.id("customer_id")?);
    let account = submit::account(&state, id).await?;
    let day = today(&state);
    let promises = {
        let _one_at_a_time = records::lock().await;
        records::judge(state.meta(), &account, day).await?
    };
    let situation = Situation::of(&account, day, state.product(), &promises);
    let decision = decide(&situation)?;
    let file = CollectionsFile {
        situation: entry(&situation, &decision),
        in_collections: situation.in_collections(),
        hardship_plan_id: account.hardship_plan().map(|p| p.id.0.to_string()),
        promises: promises.iter().map(|p| promise_view(p, &account, day)).collect(),
        call_tasks: records::calls(state.meta(), id).await?.iter().map(call_view).collect(),
    };
    Ok(respond(StatusCode::OK, &file, false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseBody {
    #[schema(value_type = i64)]
    pub amount_fen: FenInput,
    /// The date it is promised by: today to 30 days from today.
    pub date: String,
}

fn promise_error(error: PromiseError) -> ApiError {
    let code = match error {
        PromiseError::AmountNotPositive => ErrorCode::InvalidAmount,
        PromiseError::DateInPast | PromiseError::DateTooFar => ErrorCode::InvalidField,
        PromiseError::NotInCollections => ErrorCode::NotDelinquent,
        PromiseError::PromiseOpen => ErrorCode::PromiseOpen,
    };
    let api = ApiError::new(code, error.to_string());
    match error.field() {
        Some(field) => api.with_field(field),
        None => api,
    }
}

/// Record a customer's promise to pay an amount by a date (operator). One open promise per
/// account; a retry under the same `Idempotency-Key` answers the promise it made.
#[utoipa::path(operation_id = "make_promise", post, path = "/v1/customers/{customer_id}/promises", tag = "collections",
    request_body = PromiseBody, params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "recorded", body = PromiseView), Refusals, Unavailable))]
pub async fn promise(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let operator = call.principal.require(Permission::CollectionsWork)?;
    let id = AccountId(call.id("customer_id")?);
    let idem = call.idem()?;
    let body: PromiseBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let due_on: Day = body
        .date
        .parse()
        .map_err(|_| bad("date", "date must be a date like 2026-06-30"))?;
    let account = submit::account(&state, id).await?;
    let day = today(&state);
    let promise_id = idem.derive("collections-promise");
    let _one_at_a_time = records::lock().await;
    if let Some(made) = records::promise(state.meta(), id, promise_id).await? {
        return Ok(respond(StatusCode::CREATED, &promise_view(&made, &account, day), true));
    }
    let existing = records::judge(state.meta(), &account, day).await?;
    let by = format!("{:?}", operator.id);
    let made = Promise::make(promise_id, &account, amount, due_on, day, &existing, by).map_err(promise_error)?;
    records::save_promise(state.meta(), &made).await?;
    Ok(respond(StatusCode::CREATED, &promise_view(&made, &account, day), false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallTaskBody {
    pub outcome: CallOutcome,
}

/// Record a collector's call to the customer and how it went (operator), with the strategy's
/// action of the day.
#[utoipa::path(operation_id = "record_call_task", post, path = "/v1/customers/{customer_id}/call-tasks", tag = "collections",
    request_body = CallTaskBody, params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "recorded", body = CallTaskView), Refusals, Unavailable))]
pub async fn call_task(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let operator = call.principal.require(Permission::CollectionsWork)?;
    let id = AccountId(call.id("customer_id")?);
    let idem = call.idem()?;
    let body: CallTaskBody = call.json()?;
    let account = submit::account(&state, id).await?;
    let day = today(&state);
    let task_id = idem.derive("collections-call");
    let _one_at_a_time = records::lock().await;
    if let Some(made) = records::call(state.meta(), id, task_id).await? {
        return Ok(respond(StatusCode::CREATED, &call_view(&made), true));
    }
    let promises = records::judge(state.meta(), &account, day).await?;
    let situation = Situation::of(&account, day, state.product(), &promises);
    let decision = decide(&situation)?;
    let task = CallTask {
        id: task_id,
        account: id.0,
        on: day,
        outcome: body.outcome,
        action: decision.action.as_str().to_owned(),
        reason: decision.reason,
        by: format!("{:?}", operator.id),
    };
    records::save_call(state.meta(), &task).await?;
    Ok(respond(StatusCode::CREATED, &call_view(&task), false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HardshipBody {
    /// Monthly installments, 3 to 12.
    pub periods: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HardshipResponse {
    pub plan_id: String,
    pub periods: u32,
    /// The billed principal re-aged into the plan.
    pub principal_fen: i64,
    /// The first installment, billed at once.
    pub first_installment_fen: i64,
    /// Paying this (everything billed now) ends the delinquency: DPD back to 0.
    pub cure_fen: i64,
}

/// Re-age a delinquent account's billed principal into a 0% hardship plan (operator; always a
/// second operator's approval). The account is current again once the first installment (and
/// anything else billed) is paid (COLLECTIONS.md).
#[utoipa::path(operation_id = "hardship_plan", post, path = "/v1/customers/{customer_id}/hardship-plans", tag = "collections",
    request_body = HardshipBody, params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "made", body = HardshipResponse),
        (status = 202, description = "kept for a second operator's approval (four eyes)", body = crate::http::four_eyes::ApprovalView), Refusals, Unavailable))]
pub async fn hardship(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CollectionsHardship)?;
    let id = AccountId(call.id("customer_id")?);
    let idem = call.idem()?;
    let body: HardshipBody = call.json()?;
    if !credit::hardship::HARDSHIP_PERIODS.contains(&body.periods) {
        return Err(ApiError::new(ErrorCode::TermNotOffered, "periods is 3 to 12").with_field("periods"));
    }
    let account = submit::account(&state, id).await?;
    account
        .hardship_check(today(&state))
        .map_err(|r| submit::refusal(engine::EngineRejection::Credit(r), Audience::Account))?;
    let why = format!(
        "re-aging customer {id}'s delinquent balance into {} installments",
        body.periods
    );
    if let Some(proposed) = gate(&state, &call, &[Permission::CollectionsHardship], why).await? {
        return Ok(proposed);
    }
    // Bill installment plans set the top bit too; a purchase plan's id (its transaction's) never.
    let plan = PlanId(idem.derive("hardship-plan") | (1 << 63));
    let hardship = ask::Hardship {
        account: id,
        plan,
        periods: body.periods,
    };
    let answered = submit::ask(&state, hardship, idem, Audience::Account, None).await?;
    let reply = &answered.reply;
    let response = HardshipResponse {
        plan_id: reply.plan.0.to_string(),
        periods: reply.periods,
        principal_fen: reply.principal.fen(),
        first_installment_fen: reply.first_installment.fen(),
        cure_fen: reply.cure.fen(),
    };
    Ok(respond(StatusCode::CREATED, &response, answered.replayed))
}
