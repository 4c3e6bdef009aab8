//! Merchant payments: authorize (with a one-time payment code or a link), read, capture, void
//! and refund. A merchant reaches only its own transactions: another merchant's is "not found".
//! Emergency controls (`edge::emergency`) are asked before a payment code is spent.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{MerchantId, OpId, PlanChoice, Product, TxnId};
use engine::{LinkId, MerchantTxn, Payer, Reference, ask};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::campaigns::{CampaignUse, record_use, use_of};
use crate::edge::codes::PaymentCode;
use crate::edge::emergency::Verdict;
use crate::edge::risk_input::{Peer, RiskBody, payment_context};
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals, Unavailable};
use crate::http::input::{FenInput, MethodDto, PlanBody, parse_id};
use crate::http::routes::campaigns::CampaignUseView;
use crate::http::submit::{Audience, account, ask, submit_error};
use crate::state::AppState;
use crate::telemetry::AuthOutcome;

/// An authorization: a hold on the customer's available credit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeBody {
    /// The 18-digit one-time code the customer's app shows (offline merchants). Exactly one of
    /// `payment_code` and `link_id`.
    #[schema(example = "283749102938475610")]
    pub payment_code: Option<String>,
    /// A link the customer made to this merchant (online merchants).
    pub link_id: Option<String>,
    pub amount_fen: FenInput,
    /// Installments for the purchase; pay later in one go without it. With `plan.campaign_id`
    /// the plan is made at that campaign's fee rate.
    pub plan: Option<PlanBody>,
    /// The merchant's order id (1 to 128 characters, no control characters): kept with the
    /// payment, answered here and by `GET /v1/payments/{txn_id}`.
    #[schema(max_length = 128)]
    pub reference: Option<String>,
    /// Where and how the customer paid, for risk control (a payment code carries what the
    /// customer's app sent; see API.md). A declined payment answers 402 `risk_declined` with
    /// `reasons`; a step-up answers 403 `challenge_required` with `challenge`.
    pub risk: Option<RiskBody>,
}

/// The authorization result: approved or held (a decline is an error with status 402).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentResponse {
    pub txn_id: String,
    /// `approved`, or `held`: risk control holds the payment for an analyst's review. A held
    /// payment is authorized (the customer's credit stays held) but MUST NOT ship: its capture
    /// answers 409 `held_for_review` until an analyst releases it (then `GET
    /// /v1/payments/{txn_id}` says `open`); a decline, or no decision within the review
    /// timeout (24 h, declined at the next daily run), voids it (`voided`). Declines answer
    /// 402 with the decline code.
    #[schema(example = "approved")]
    pub status: &'static str,
    pub amount_fen: i64,
    /// The last day the hold can be captured.
    #[schema(example = "2026-03-08")]
    pub expires_on: String,
    pub plan: Option<PlanChoiceView>,
    pub reference: Option<String>,
    /// When the authorization was recorded (RFC 3339).
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanChoiceView {
    pub periods: u32,
    pub method: MethodDto,
    /// The fee per period the plan is made at, parts per million of its principal: the
    /// campaign's, else the line's price tier's, else the product's default for the term.
    pub fee_rate_ppm: Option<u32>,
    /// The campaign the plan was made under, with who pays its fee; `null` without one.
    pub campaign: Option<CampaignUseView>,
}

impl PlanChoiceView {
    pub fn of(choice: &PlanChoice, product: &Product, campaign: Option<&CampaignUse>) -> PlanChoiceView {
        let rate = choice
            .rate
            .or_else(|| product.default_rate(choice.periods, choice.method));
        PlanChoiceView {
            periods: choice.periods,
            method: choice.method.into(),
            fee_rate_ppm: rate.and_then(|r| r.per_period_rate()).map(|r| r.ppm()),
            campaign: campaign.map(CampaignUseView::of),
        }
    }
}

/// The plan's choice priced by the campaign it names, checked for this merchant today.
fn campaign_plan(
    state: &AppState,
    merchant: MerchantId,
    plan: Option<&PlanBody>,
) -> Result<(Option<PlanChoice>, Option<CampaignUse>), ApiError> {
    let Some(plan) = plan else {
        return Ok((None, None));
    };
    let (choice, campaign) = plan.parse_with_campaign(state.product(), "plan")?;
    let Some(id) = campaign else {
        return Ok((Some(choice), None));
    };
    let merchant = state
        .merchants()
        .get(merchant)
        .ok_or_else(|| ApiError::internal("a signed-in merchant is missing"))?;
    let (priced, used) = state.campaigns().offer(&merchant, id, choice, state.business_day())?;
    Ok((Some(priced), Some(used)))
}

#[derive(Clone, Copy)]
enum Source {
    Code(PaymentCode),
    Link(LinkId),
}

fn parse_reference(text: &str) -> Result<Reference, ApiError> {
    Reference::parse(text).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidField,
            "reference must be 1 to 128 characters without control characters",
        )
        .with_field("reference")
    })
}

fn source(body: &AuthorizeBody) -> Result<Source, ApiError> {
    match (&body.payment_code, &body.link_id) {
        (Some(code), None) => PaymentCode::parse(code).map(Source::Code).ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidField, "payment_code is 18 digits").with_field("payment_code")
        }),
        (None, Some(link)) => Ok(Source::Link(LinkId(parse_id(link, "link_id")?))),
        _ => Err(
            ApiError::new(ErrorCode::InvalidPayer, "send exactly one of payment_code and link_id")
                .with_field("payment_code"),
        ),
    }
}

/// Authorize a payment.
#[utoipa::path(operation_id = "authorize_payment", post, path = "/v1/payments", tag = "payments", request_body = AuthorizeBody,
    params(("Idempotency-Key" = String, Header, description = "1 to 255 visible ASCII characters")),
    security(("merchant_signature" = [])),
    responses((status = 201, description = "success", body = PaymentResponse), (status = 402, description = "declined", body = ErrorBody),
        Refusals, Unavailable))]
pub async fn authorize(State(state): State<AppState>, peer: Peer, call: Call) -> Result<Response, ApiError> {
    let answered = authorize_counted(&state, peer, call).await;
    state.telemetry().authorization(outcome_of(&answered));
    answered
}

/// How `iou_authorizations_total` counts an authorization's answer: a 402 is a decline (by
/// risk or for the line), a 5xx a failure (`busy` included).
fn outcome_of(answered: &Result<Response, ApiError>) -> AuthOutcome {
    let Err(error) = answered else {
        return AuthOutcome::Approved;
    };
    if error.status.is_server_error() {
        AuthOutcome::Failed
    } else if error.code == ErrorCode::RiskDeclined {
        AuthOutcome::DeclinedRisk
    } else if error.status == StatusCode::PAYMENT_REQUIRED {
        AuthOutcome::DeclinedCredit
    } else if error.code == ErrorCode::ChallengeRequired {
        AuthOutcome::Challenged
    } else {
        AuthOutcome::Refused
    }
}

async fn authorize_counted(state: &AppState, Peer(peer): Peer, call: Call) -> Result<Response, ApiError> {
    let merchant = call.principal.merchant()?;
    let idem = call.idem()?;
    let body: AuthorizeBody = call.json()?;
    let product = state.product();
    let amount = body.amount_fen.parse(product, "amount_fen")?;
    let (plan, campaign) = campaign_plan(state, merchant, body.plan.as_ref())?;
    let reference = body.reference.as_deref().map(parse_reference).transpose()?;
    let source = source(&body)?;
    // Emergency controls refuse before a payment code is spent (it stays usable).
    let offline = matches!(source, Source::Code(_));
    let verdict = state.emergency().payment(merchant, offline, amount)?;
    // A code held for this call comes back on every failure below (the guard's drop), and is
    // used up only once the authorization applied (`settle`).
    let (payer, spent) = match source {
        Source::Code(code) => {
            let spent = state.codes().spend(code, idem, state.clock().now())?;
            (Payer::Account(spent.account()), Some(spent))
        }
        Source::Link(link) => (Payer::Link(link), None),
    };
    let paying = spent.as_ref().map(|s| (s.code(), s.account()));
    let tier = state.merchants().tiers.tier(merchant);
    let link_account = match source {
        Source::Link(link) if tier.requires_link_step_up() || has_token(&body) => {
            Some(link_account(state, merchant, link).await?)
        }
        _ => None,
    };
    let context = payment_context(state, body.risk.as_ref(), peer, paying, link_account, idem)?;
    if verdict == Verdict::StepUp && context.step_up.is_none() {
        return Err(raised_tier_challenge());
    }
    if link_account.is_some() && tier.requires_link_step_up() && context.step_up.is_none() {
        return Err(merchant_tier_challenge(tier));
    }
    let authorize = ask::Authorize {
        payer,
        merchant,
        amount,
        plan,
        reference,
    };
    // `settle` runs the call on a task of its own (a dropped connection must not give the
    // code back mid-call); `carry` keeps simulation mode's reply slot with it.
    let call = crate::simulation::carry({
        let state = state.clone();
        async move { ask(&state, authorize, idem, Audience::Authorize, Some(context)).await }
    });
    let answered = match spent {
        Some(spent) => spent.settle(call).await?,
        None => call.await?,
    };
    let reply = &answered.reply;
    // Kept before the answer, and again by every replay (a crash after the authorization
    // committed and before this write is healed by the merchant's retry).
    if let Some(used) = campaign {
        record_use(state.meta(), reply.txn, used).await?;
    }
    let held = answered.risk.as_deref().filter(|r| engine::holds_payment(r));
    if let Some(risk) = held {
        crate::edge::review_evidence::record(state.meta(), reply.txn, risk).await?;
    }
    let response = PaymentResponse {
        txn_id: reply.txn.to_string(),
        status: if held.is_some() { "held" } else { "approved" },
        amount_fen: reply.amount.fen(),
        expires_on: reply.expires_on.to_string(),
        plan: reply
            .plan
            .as_ref()
            .map(|p| PlanChoiceView::of(p, product, campaign.as_ref())),
        reference: reply.reference.as_ref().map(ToString::to_string),
        created_at: answered.at.to_string(),
    };
    Ok(respond(StatusCode::CREATED, &response, answered.replayed))
}

/// The step-up a raised risk tier asks of a payment above its amount (an OTP; a payment code
/// held for the call comes back).
fn raised_tier_challenge() -> ApiError {
    ApiError::new(
        ErrorCode::ChallengeRequired,
        "the customer must pass a step-up (otp): the risk tier is raised; repeat the call under a new Idempotency-Key with risk.step_up_token",
    )
    .with_risk(vec!["emergency_risk_tier".to_owned()], Some("otp"))
}

fn has_token(body: &AuthorizeBody) -> bool {
    body.risk.as_ref().is_some_and(|r| r.step_up_token.is_some())
}

/// The account behind the merchant's own link (404 `link_not_found` for another's), to bind a
/// step-up token presented with a link payment to.
async fn link_account(state: &AppState, merchant: MerchantId, link: LinkId) -> Result<credit::AccountId, ApiError> {
    let receiver = state.engine().link_account(merchant, link).map_err(submit_error)?;
    let account = receiver
        .await
        .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
    account.ok_or_else(|| ApiError::new(ErrorCode::LinkNotFound, "no such link to this merchant").with_field("link_id"))
}

/// The step-up a `high` merchant's link payment always needs (an OTP at least; the customer
/// passes it in their own app, the merchant cannot waive it).
fn merchant_tier_challenge(tier: crate::edge::merchant_tiers::RiskTier) -> ApiError {
    ApiError::new(
        ErrorCode::ChallengeRequired,
        format!(
            "the customer must pass a step-up (otp) in their app: this merchant's risk tier ({}) requires it on link payments; repeat the call under a new Idempotency-Key with risk.step_up_token",
            tier.as_str()
        ),
    )
    .with_risk(vec!["merchant_risk_tier".to_owned()], Some("otp"))
}

/// A payment as its merchant sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub txn_id: String,
    /// `open`, `held` (authorized, held for review: do not ship, capture is refused),
    /// `captured`, `voided` or `expired`.
    pub status: &'static str,
    /// The amount authorized.
    pub amount_fen: i64,
    pub captured_fen: i64,
    pub refunded_fen: i64,
    pub expires_on: Option<String>,
    pub plan: Option<PlanChoiceView>,
    /// The merchant's reference given when authorizing; `null` when none was.
    pub reference: Option<String>,
}

/// Read one of the merchant's payments.
#[utoipa::path(operation_id = "get_payment", get, path = "/v1/payments/{txn_id}", tag = "payments",
    params(("txn_id" = String, Path, description = "digits")), security(("merchant_signature" = [])),
    responses((status = 200, description = "success", body = PaymentView), Refusals))]
pub async fn get(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let merchant = call.principal.merchant()?;
    let txn = TxnId(call.id("txn_id")?);
    let payment = merchant_txn(&state, merchant, txn).await?;
    let account = account(&state, payment.account).await?;
    let hold = account.hold(txn);
    let purchase = account.purchase(txn);
    let campaign = use_of(state.meta(), txn).await?;
    let view = match (hold, purchase) {
        (None, None) => return Err(txn_not_found()),
        (hold, purchase) => PaymentView {
            txn_id: txn.to_string(),
            status: match (hold.map(|h| h.state), purchase) {
                (_, Some(_)) => "captured",
                (Some(credit::HoldState::Open), None) if payment.held_by.is_some() => "held",
                (Some(credit::HoldState::Open), None) => "open",
                (Some(credit::HoldState::Voided), None) => "voided",
                (Some(credit::HoldState::Expired), None) => "expired",
                _ => "captured",
            },
            amount_fen: hold.map_or_else(|| purchase.map_or(0, |p| p.amount.fen()), |h| h.amount.fen()),
            captured_fen: purchase.map_or(0, |p| p.amount.fen()),
            refunded_fen: purchase.map_or(0, |p| p.refunded.fen()),
            expires_on: hold.map(|h| h.expires_on.to_string()),
            plan: hold
                .and_then(|h| h.plan.as_ref())
                .map(|p| PlanChoiceView::of(p, state.product(), campaign.as_ref())),
            reference: payment.reference.as_ref().map(ToString::to_string),
        },
    };
    Ok(respond(StatusCode::OK, &view, false))
}

fn txn_not_found() -> ApiError {
    ApiError::new(ErrorCode::TxnNotFound, "no such transaction").with_field("txn_id")
}

/// The merchant's own transaction (its account and reference); 404 for another merchant's.
async fn merchant_txn(state: &AppState, merchant: MerchantId, txn: TxnId) -> Result<MerchantTxn, ApiError> {
    let receiver = state.engine().merchant_txn(merchant, txn).map_err(submit_error)?;
    let owner = receiver
        .await
        .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
    owner.ok_or_else(txn_not_found)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountBody {
    pub amount_fen: FenInput,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaptureResponse {
    pub txn_id: String,
    pub captured_fen: i64,
    /// The rest of the hold, released.
    pub released_fen: i64,
    /// The installment plan the purchase pays through, if one was chosen.
    pub plan_id: Option<String>,
}

/// The merchant and the transaction of a `/v1/payments/{txn_id}/...` call.
fn merchant_and_txn(call: &Call) -> Result<(MerchantId, TxnId), ApiError> {
    Ok((call.principal.merchant()?, TxnId(call.id("txn_id")?)))
}

/// Capture all or part of an authorization (the rest of the hold is released). A payment held
/// for review answers 409 `held_for_review` until an analyst releases it; a merchant whose risk
/// tier is `elevated` or `high` is answered 409 `delivery_check_required` until `POST
/// /v1/payments/{txn_id}/delivery` answered `ship` for this payment. A retry under the same
/// `Idempotency-Key` gets the stored answer even if the tier was raised since.
#[utoipa::path(operation_id = "capture_payment", post, path = "/v1/payments/{txn_id}/capture", tag = "payments", request_body = AmountBody,
    params(("txn_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("merchant_signature" = [])),
    responses((status = 200, description = "success", body = CaptureResponse), Refusals, Unavailable))]
pub async fn capture(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let (merchant, txn) = merchant_and_txn(&call)?;
    let body: AmountBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let idem = call.idem()?;
    // A retry of a capture the engine already took (its key claimed for this very request)
    // gets the stored answer, whatever the merchant's tier has become since.
    if !state.engine().keys().holds(&idem.engine()) {
        state
            .merchants()
            .tiers
            .check_capture(state.meta(), merchant, txn)
            .await?;
    }
    let capture = ask::Capture { merchant, txn, amount };
    let answered = ask(&state, capture, idem, Audience::Merchant, None).await?;
    let reply = &answered.reply;
    let response = CaptureResponse {
        txn_id: reply.txn.to_string(),
        captured_fen: reply.captured.fen(),
        released_fen: reply.released.fen(),
        plan_id: reply.plan.map(|p| p.0.to_string()),
    };
    Ok(respond(StatusCode::OK, &response, answered.replayed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoidResponse {
    pub txn_id: String,
    pub released_fen: i64,
}

/// Void an authorization.
#[utoipa::path(operation_id = "void_payment", post, path = "/v1/payments/{txn_id}/void", tag = "payments", request_body = EmptyBody,
    params(("txn_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("merchant_signature" = [])),
    responses((status = 200, description = "success", body = VoidResponse), Refusals, Unavailable))]
pub async fn void(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let (merchant, txn) = merchant_and_txn(&call)?;
    let _: EmptyBody = call.json()?;
    let answered = ask(
        &state,
        ask::Void { merchant, txn },
        call.idem()?,
        Audience::Merchant,
        None,
    )
    .await?;
    let response = VoidResponse {
        txn_id: answered.reply.txn.to_string(),
        released_fen: answered.reply.released.fen(),
    };
    Ok(respond(StatusCode::OK, &response, answered.replayed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundResponse {
    pub refund_id: String,
    pub txn_id: String,
    pub amount_fen: i64,
}

/// Refund all or part of a captured payment (several partial refunds may follow each other).
#[utoipa::path(operation_id = "refund_payment", post, path = "/v1/payments/{txn_id}/refunds", tag = "payments", request_body = AmountBody,
    params(("txn_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("merchant_signature" = [])),
    responses((status = 201, description = "success", body = RefundResponse), Refusals, Unavailable))]
pub async fn refund(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let (merchant, txn) = merchant_and_txn(&call)?;
    let body: AmountBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let op = OpId(call.idem()?.derive("refund"));
    let refund = ask::Refund {
        merchant,
        txn,
        op,
        amount,
    };
    let answered = ask(&state, refund, call.idem()?, Audience::Merchant, None).await?;
    let reply = &answered.reply;
    let response = RefundResponse {
        refund_id: reply.op.0.to_string(),
        txn_id: reply.txn.to_string(),
        amount_fen: reply.amount.fen(),
    };
    Ok(respond(StatusCode::CREATED, &response, answered.replayed))
}
