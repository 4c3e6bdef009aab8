//! Statements: the list, one with its lines, and converting the latest into installments
//! (bill installment). The engine keeps each account's latest statements in memory
//! (`Product::statements_kept`, 24 by default); older ones are served from the read models
//! with the figures those keep (`statement_archive`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::statement::{Line, LineKind, Statement};
use credit::{Account, PlanId};
use money::Amount;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::input::PlanBody;
use crate::http::routes::customers::customer_of;
use crate::http::routes::figures::StatementNowView;
use crate::http::routes::statement_archive::{Archived, archived};
use crate::http::submit::{Audience, account, ask};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementSummary {
    pub seq: u32,
    pub date: String,
    pub due_date: String,
    pub balance_fen: i64,
    pub minimum_fen: i64,
    /// The plan it was converted into, if any.
    pub installed_plan_id: Option<String>,
    /// Where it stands now.
    pub now: StatementNowView,
    /// Older than the latest 24: served from the read models (its figures as closed; see
    /// `get_statement`).
    pub archived: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementList {
    pub statements: Vec<StatementSummary>,
}

/// A closed statement. It adds up on its face: `previous_balance_fen - payments_fen -
/// credits_fen + new_purchases_fen + plan_principal_fen + plan_fees_fen + plan_interest_fen +
/// interest_fen + penalties_fen = balance_fen`, and each total is the sum of its lines.
///
/// A statement older than the latest 24 (`archived: true`) is served from the read models,
/// which keep its close's figures only: its dates, `previous_balance_fen`, `balance_fen`,
/// `minimum_fen` and `installed_plan_id` are as it closed (and as a bill installment lowered
/// the minimum), `now` is exact as for any statement, and the totals summed from its lines
/// are `null` and `lines` empty (the credit events carry no lines). `previous_balance_fen` is
/// `null` only if the read models miss the statement before it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementView {
    pub seq: u32,
    pub date: String,
    pub due_date: String,
    pub previous_balance_fen: Option<i64>,
    /// Billed and unpaid when the close began (previous balance less the cycle's payments and
    /// credits, plus what a charge-off billed).
    pub carried_fen: Option<i64>,
    pub new_purchases_fen: Option<i64>,
    /// Plan periods' principal billed (and, after a charge-off, plans' accelerated principal).
    pub plan_principal_fen: Option<i64>,
    pub plan_fees_fen: Option<i64>,
    pub plan_interest_fen: Option<i64>,
    pub interest_fen: Option<i64>,
    pub penalties_fen: Option<i64>,
    /// Payments, as far as they paid billed amounts.
    pub payments_fen: Option<i64>,
    /// Refunds of billed principal, fees waived, principal moved into a bill installment plan,
    /// credit balance applied.
    pub credits_fen: Option<i64>,
    /// The part of `credits_fen` that is credit balance applied.
    pub credit_applied_fen: Option<i64>,
    pub balance_fen: i64,
    /// Due by `due_date`; on a charged-off account the whole balance.
    pub minimum_fen: i64,
    pub installed_plan_id: Option<String>,
    /// Where it stands now: what is left of its balance and of its minimum, what is past due.
    pub now: StatementNowView,
    pub lines: Vec<LineView>,
    /// Older than the latest 24, served from the read models (see above).
    pub archived: bool,
}

/// One statement line: what it did to the statement's balance (charges positive, payments and
/// credits negative). A memo line (`memo: true`) shows activity that did not move that balance:
/// `previous_balance_fen` plus the amounts of the other lines is `balance_fen`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub on: String,
    /// `purchase`, `plan_principal`, `plan_accelerated`, `plan_fee`, `plan_interest`,
    /// `revolving_interest`, `penalty`, `payment`, `refund`, `fee_waiver`, `bill_installment`,
    /// `credit_applied`; memo lines: `payment_unbilled`, `payment_to_credit`, `refund_unbilled`,
    /// `refund_to_credit`, `fee_waiver_to_credit`, `credit_cash_out`.
    pub kind: &'static str,
    pub amount_fen: i64,
    /// Not part of the statement's balance (see `kind`).
    pub memo: bool,
    pub txn_id: Option<String>,
    pub merchant_id: Option<String>,
    pub plan_id: Option<String>,
    /// The plan period, for plan lines.
    pub period: Option<u32>,
    pub op_id: Option<String>,
}

pub fn line(line: &Line) -> LineView {
    let mut view = LineView {
        on: line.on.to_string(),
        kind: "",
        amount_fen: line.amount.fen(),
        memo: !line.kind.on_face(),
        txn_id: None,
        merchant_id: None,
        plan_id: None,
        period: None,
        op_id: None,
    };
    let id = |x: u64| Some(x.to_string());
    view.kind = match line.kind {
        LineKind::Purchase { txn, merchant } => {
            (view.txn_id, view.merchant_id) = (id(txn.0), id(merchant.0));
            "purchase"
        }
        LineKind::PlanPrincipal { plan, n, .. } => {
            (view.plan_id, view.period) = (id(plan.0), Some(n));
            "plan_principal"
        }
        LineKind::PlanFee { plan, n } => {
            (view.plan_id, view.period) = (id(plan.0), Some(n));
            "plan_fee"
        }
        LineKind::PlanInterest { plan, n } => {
            (view.plan_id, view.period) = (id(plan.0), Some(n));
            "plan_interest"
        }
        LineKind::RevolvingInterest => "revolving_interest",
        LineKind::Penalty => "penalty",
        LineKind::Payment { op } => {
            view.op_id = id(op.0);
            "payment"
        }
        LineKind::Refund { txn, op } => {
            (view.txn_id, view.op_id) = (id(txn.0), id(op.0));
            "refund"
        }
        LineKind::FeeWaiver { txn } => {
            view.txn_id = id(txn.0);
            "fee_waiver"
        }
        LineKind::BillInstallment { plan } => {
            view.plan_id = id(plan.0);
            "bill_installment"
        }
        LineKind::CreditCashOut { op } => {
            view.op_id = id(op.0);
            "credit_cash_out"
        }
        LineKind::CreditApplied => "credit_applied",
        LineKind::PlanAccelerated { plan } => {
            view.plan_id = id(plan.0);
            "plan_accelerated"
        }
        LineKind::PaymentUnbilled { op } => {
            view.op_id = id(op.0);
            "payment_unbilled"
        }
        LineKind::PaymentToCredit { op } => {
            view.op_id = id(op.0);
            "payment_to_credit"
        }
        LineKind::RefundUnbilled { txn, op } => {
            (view.txn_id, view.op_id) = (id(txn.0), id(op.0));
            "refund_unbilled"
        }
        LineKind::RefundToCredit { txn, op } => {
            (view.txn_id, view.op_id) = (id(txn.0), id(op.0));
            "refund_to_credit"
        }
        LineKind::FeeWaiverToCredit { txn } => {
            view.txn_id = id(txn.0);
            "fee_waiver_to_credit"
        }
    };
    view
}

fn now(account: &Account, s: &Statement) -> StatementNowView {
    let figures = account.statement_figures(s.seq).unwrap_or_default();
    StatementNowView::of(account, &figures)
}

fn summary(account: &Account, s: &Statement) -> StatementSummary {
    StatementSummary {
        seq: s.seq,
        date: s.date.to_string(),
        due_date: s.due_date.to_string(),
        balance_fen: s.balance.fen(),
        minimum_fen: s.minimum.fen(),
        installed_plan_id: s.installed.map(|p| p.0.to_string()),
        now: now(account, s),
        archived: false,
    }
}

fn archived_now(account: &Account, a: &Archived) -> StatementNowView {
    let figures = account.closed_statement_figures(a.row.seq, a.balance(), a.due_date);
    StatementNowView::of(account, &figures)
}

fn archived_summary(account: &Account, a: &Archived) -> StatementSummary {
    StatementSummary {
        seq: a.row.seq,
        date: a.row.date.clone(),
        due_date: a.row.due_date.clone(),
        balance_fen: a.row.balance_fen,
        minimum_fen: a.row.minimum_fen,
        installed_plan_id: a.row.installed_plan.map(|p| p.to_string()),
        now: archived_now(account, a),
        archived: true,
    }
}

fn archived_view(account: &Account, a: &Archived) -> StatementView {
    StatementView {
        seq: a.row.seq,
        date: a.row.date.clone(),
        due_date: a.row.due_date.clone(),
        previous_balance_fen: a.previous_balance.map(Amount::fen),
        carried_fen: None,
        new_purchases_fen: None,
        plan_principal_fen: None,
        plan_fees_fen: None,
        plan_interest_fen: None,
        interest_fen: None,
        penalties_fen: None,
        payments_fen: None,
        credits_fen: None,
        credit_applied_fen: None,
        balance_fen: a.row.balance_fen,
        minimum_fen: a.row.minimum_fen,
        installed_plan_id: a.row.installed_plan.map(|p| p.to_string()),
        now: archived_now(account, a),
        lines: Vec::new(),
        archived: true,
    }
}

fn view(account: &Account, s: &Statement) -> StatementView {
    StatementView {
        seq: s.seq,
        date: s.date.to_string(),
        due_date: s.due_date.to_string(),
        previous_balance_fen: Some(s.previous_balance.fen()),
        carried_fen: Some(s.carried.fen()),
        new_purchases_fen: Some(s.new_purchases.fen()),
        plan_principal_fen: Some(s.plan_principal.fen()),
        plan_fees_fen: Some(s.plan_fees.fen()),
        plan_interest_fen: Some(s.plan_interest.fen()),
        interest_fen: Some(s.interest.fen()),
        penalties_fen: Some(s.penalties.fen()),
        payments_fen: Some(s.payments.fen()),
        credits_fen: Some(s.credits.fen()),
        credit_applied_fen: Some(s.credit_applied.fen()),
        balance_fen: s.balance.fen(),
        minimum_fen: s.minimum.fen(),
        installed_plan_id: s.installed.map(|p| p.0.to_string()),
        now: now(account, s),
        lines: s.lines.iter().map(line).collect(),
        archived: false,
    }
}

/// List a customer's statements, every one since the first, newest last, each with where it
/// stands now (`now`). The latest 24 are the engine's; older ones (`archived: true`) come from
/// the read models with their figures as closed.
#[utoipa::path(operation_id = "list_statements", get, path = "/v1/customers/{customer_id}/statements", tag = "statements",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = StatementList), Refusals, Unavailable))]
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let account = account(&state, id).await?;
    let old = archived(&state, &account, 1, u32::MAX).await?;
    let list = StatementList {
        statements: old
            .iter()
            .map(|a| archived_summary(&account, a))
            .chain(account.statements.iter().map(|s| summary(&account, s)))
            .collect(),
    };
    Ok(respond(StatusCode::OK, &list, false))
}

pub fn seq_of(call: &Call) -> Result<u32, ApiError> {
    let seq = call.id("seq")?;
    u32::try_from(seq).map_err(|_| ApiError::new(ErrorCode::InvalidId, "seq is too large").with_field("seq"))
}

/// One statement with its lines (an archived one, older than the latest 24, with its figures
/// as closed and no lines: see `StatementView`).
#[utoipa::path(operation_id = "get_statement", get, path = "/v1/customers/{customer_id}/statements/{seq}", tag = "statements",
    params(("customer_id" = String, Path), ("seq" = String, Path, description = "1 for the first statement")),
    security(("bearer" = [])),
    responses((status = 200, description = "success", body = StatementView), Refusals, Unavailable))]
pub async fn one(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let seq = seq_of(&call)?;
    let account = account(&state, id).await?;
    let view = match find(&state, &account, seq).await? {
        Found::Kept(statement) => view(&account, statement),
        Found::Archived(old) => archived_view(&account, &old),
    };
    Ok(respond(StatusCode::OK, &view, false))
}

/// A statement, kept in memory or archived.
#[derive(Debug)]
pub enum Found<'a> {
    Kept(&'a Statement),
    Archived(Box<Archived>),
}

/// Statement `seq` of the account: kept, or archived in the read models.
pub async fn find<'a>(state: &AppState, account: &'a Account, seq: u32) -> Result<Found<'a>, ApiError> {
    if let Some(statement) = account.statement(seq) {
        return Ok(Found::Kept(statement));
    }
    match archived(state, account, seq, seq).await?.pop() {
        Some(old) if old.row.seq == seq => Ok(Found::Archived(Box::new(old))),
        _ => Err(not_found()),
    }
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::StatementNotFound, "no such statement").with_field("seq")
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstallmentResponse {
    pub plan_id: String,
    pub statement_seq: u32,
    /// The principal moved into the plan.
    pub principal_fen: i64,
    /// The statement's minimum, recomputed.
    pub minimum_fen: i64,
}

/// Convert the latest statement into installments (bill installment), before its due date.
#[utoipa::path(operation_id = "install_statement", post, path = "/v1/customers/{customer_id}/statements/{seq}/installments", tag = "statements",
    request_body = PlanBody,
    params(("customer_id" = String, Path), ("seq" = String, Path), ("Idempotency-Key" = String, Header)),
    security(("bearer" = [])),
    responses((status = 201, description = "success", body = InstallmentResponse), Refusals, Unavailable))]
pub async fn install(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let seq = seq_of(&call)?;
    let idem = call.idem()?;
    let body: PlanBody = call.json()?;
    let choice = body.parse(state.product(), "")?;
    // Purchase plans share their transaction's id, whose top bit is never set: a bill plan's id
    // has it, so the two never collide.
    let plan = PlanId(idem.derive("bill-installment") | (1 << 63));
    let install = engine::ask::BillInstallment {
        account: id,
        plan,
        statement: seq,
        choice,
    };
    let answered = ask(&state, install, idem, Audience::Account, None).await?;
    let reply = &answered.reply;
    let response = InstallmentResponse {
        plan_id: reply.plan.0.to_string(),
        statement_seq: reply.statement,
        principal_fen: reply.principal.fen(),
        minimum_fen: reply.minimum.fen(),
    };
    Ok(respond(StatusCode::CREATED, &response, answered.replayed))
}
