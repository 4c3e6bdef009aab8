//! Customers: opening a credit line (operator), balances, one-time payment codes and links to
//! online merchants (the customer).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{Account, AccountId, MerchantId, Product};
use engine::ask;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::input::{FenInput, parse_id};
use crate::http::routes::figures::{CreditCostsView, ExemptionsTotalView, LossesView};
use crate::http::submit::{Audience, account, ask};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCustomerBody {
    /// The limit; 0 opens a line that cannot be used until a limit is set (e.g. while an
    /// application is decided elsewhere).
    pub limit_fen: FenInput,
    /// The customer's id (digits, 1 to 2^53 - 1), for a line migrated or decided elsewhere that
    /// keeps its id; without it the id is derived from the Idempotency-Key. An id in use is
    /// refused with `account_exists`.
    pub customer_id: Option<String>,
    /// The day of the month statements close (1 to 28).
    #[schema(minimum = 1, maximum = 28, example = 5)]
    pub billing_day: u8,
    /// A price tier the limit table defines (`A`, `B`, `C` in the shipped table): the line's
    /// plans are charged its fee rate (unless a campaign's applies). Without it the line pays
    /// the product's default rates. An unknown name is refused with `unknown_price_tier`.
    #[schema(example = "A")]
    pub price_tier: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenCustomerResponse {
    pub customer_id: String,
    /// The customer's bearer token, shown this once: only its hash is stored. A retry of this
    /// call (same key, same body) gets the stored answer with `token: null` and
    /// `token_issued: false`: it never issues a second token nor touches the first. A lost
    /// token is replaced by `POST /v1/customers/{id}/token/rotate`.
    pub token: Option<String>,
    /// Whether this answer issued `token`.
    pub token_issued: bool,
    /// When the token expires (RFC 3339); `null` when no token was issued.
    pub token_expires_at: Option<String>,
    pub limit_fen: i64,
    pub billing_day: u8,
    pub first_statement: String,
    /// The price tier the line was opened at; `null` without one.
    pub price_tier: Option<PriceTierResponse>,
}

/// The pricing of a tier the limit table defines.
fn price_tier(state: &AppState, name: &str) -> Result<engine::Pricing, ApiError> {
    let unknown = || {
        let names: Vec<&str> = state.price_tiers().iter().map(|t| t.name.as_str()).collect();
        ApiError::new(
            ErrorCode::UnknownPriceTier,
            format!("price_tier must be one of {names:?}"),
        )
        .with_field("price_tier")
    };
    state
        .price_tiers()
        .iter()
        .find(|t| t.name == name)
        .and_then(onboarding::PriceTier::pricing)
        .ok_or_else(unknown)
}

/// Open a customer's credit line (operator).
#[utoipa::path(operation_id = "open_customer", post, path = "/v1/customers", tag = "customers", request_body = OpenCustomerBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "success", body = OpenCustomerResponse), Refusals, Unavailable))]
pub async fn open(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let idem = call.idem()?;
    let body: OpenCustomerBody = call.json()?;
    let limit = if body.limit_fen.is_zero() {
        money::Amount::ZERO
    } else {
        body.limit_fen.parse(state.product(), "limit_fen")?
    };
    if !(1..=28).contains(&body.billing_day) {
        return Err(ApiError::new(ErrorCode::InvalidField, "billing_day must be 1 to 28").with_field("billing_day"));
    }
    // The account id comes from the key, so a retry opens nothing new and gets the stored
    // reply. Ids stay below 2^53 so any JSON reader could hold them as numbers.
    let account = match &body.customer_id {
        Some(text) => {
            let id = parse_id(text, "customer_id")?;
            if !(1..1 << 53).contains(&id) {
                return Err(
                    ApiError::new(ErrorCode::InvalidId, "customer_id must be 1 to 2^53 - 1").with_field("customer_id")
                );
            }
            AccountId(id)
        }
        None => AccountId((idem.derive("account") >> 11).max(1)),
    };
    let pricing = body.price_tier.as_deref().map(|t| price_tier(&state, t)).transpose()?;
    let answered = match pricing {
        None => {
            let open = ask::OpenAccount {
                account,
                limit,
                billing_day: body.billing_day,
            };
            ask(&state, open, idem, Audience::Account, None).await?
        }
        Some(pricing) => {
            let open = ask::OpenPricedLine {
                account,
                limit,
                billing_day: body.billing_day,
                pricing,
            };
            ask(&state, open, idem, Audience::Account, None).await?
        }
    };
    // A replay (the engine's stored reply) issues nothing: the first answer's token stays the
    // only one. Only its hash is stored, so the replay cannot show it again.
    let issued = if answered.replayed {
        None
    } else {
        Some(state.tokens().issue(state.meta(), account, state.clock().now()).await?)
    };
    let response = OpenCustomerResponse {
        customer_id: account.to_string(),
        token_issued: issued.is_some(),
        token_expires_at: issued.as_ref().map(|i| i.expires_at.to_string()),
        token: issued.map(|i| i.token),
        limit_fen: limit.fen(),
        billing_day: body.billing_day,
        first_statement: answered.reply.first_statement.to_string(),
        price_tier: pricing.as_ref().map(PriceTierResponse::of),
    };
    Ok(crate::http::call::no_store(respond(
        StatusCode::CREATED,
        &response,
        answered.replayed,
    )))
}

/// A customer's balances as of today.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalancesResponse {
    pub customer_id: String,
    pub limit_fen: i64,
    pub temporary_limit_fen: i64,
    pub available_fen: i64,
    pub held_fen: i64,
    pub principal_billed_fen: i64,
    pub principal_unbilled_fen: i64,
    pub fees_fen: i64,
    pub interest_fen: i64,
    pub penalties_fen: i64,
    /// Everything billed and unpaid.
    pub billed_fen: i64,
    pub credit_balance_fen: i64,
    /// Revolving interest accrued since the last statement: the next statement charges it.
    pub accrued_interest_fen: i64,
    /// Penalties accrued since the last statement that the next statement charges. The
    /// penalty of the grace days is not in it while it may still be waived: see
    /// `pending_penalty_fen`.
    pub accrued_penalties_fen: i64,
    /// The penalty of the grace days (DPD 1 to 3): charged only if the past due is still unpaid
    /// when DPD 3 ends (it then moves to `accrued_penalties_fen`), dropped if it is paid by then.
    pub pending_penalty_fen: i64,
    pub minimum_unpaid_fen: i64,
    pub past_due_fen: i64,
    pub dpd: u32,
    /// `current`, `grace`, `M1`, `M2`, `M3`, `M3+` or `charged_off`.
    pub bucket: String,
    pub next_due_date: Option<String>,
    pub next_statement: String,
    /// Why the account is frozen, if it is.
    pub frozen: Option<String>,
    pub charged_off_on: Option<String>,
    /// The price tier the line was approved or opened at; `null` for a line an operator opened
    /// without one, which pays the product's default rates.
    pub price_tier: Option<PriceTierResponse>,
    /// What the customer paid for credit (fees, interest, penalties): to date and per year.
    pub credit_costs: CreditCostsView,
    /// Written off at charge-off, recovered since, lost to confirmed fraud.
    pub losses: LossesView,
    /// Transactions confirmed as unauthorized use: exempt, never reported as delinquent.
    pub exempt_txn_ids: Vec<String>,
    /// What every fraud exemption moved, summed: fraud loss, fees, interest and penalties
    /// waived, payments credited back.
    pub fraud_exemptions: ExemptionsTotalView,
}

/// A line's price tier: the installment fee per period its plans are charged unless a campaign
/// rate applies.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceTierResponse {
    #[schema(example = "A")]
    pub name: String,
    /// Installment fee per period, parts per million of the plan's principal.
    #[schema(example = 3000)]
    pub fee_rate_ppm: u32,
}

impl PriceTierResponse {
    pub fn of(pricing: &engine::Pricing) -> PriceTierResponse {
        PriceTierResponse {
            name: pricing.tier.as_str().to_owned(),
            fee_rate_ppm: pricing.fee_rate.ppm(),
        }
    }
}

fn balances(account: &Account, product: &Product, pricing: Option<&engine::Pricing>) -> BalancesResponse {
    let b = &account.balances(product);
    BalancesResponse {
        customer_id: account.id.to_string(),
        limit_fen: b.limit.fen(),
        temporary_limit_fen: b.temporary_limit.fen(),
        available_fen: b.available.fen(),
        held_fen: b.held.fen(),
        principal_billed_fen: b.principal_billed.fen(),
        principal_unbilled_fen: b.principal_unbilled.fen(),
        fees_fen: b.fees.fen(),
        interest_fen: b.interest.fen(),
        penalties_fen: b.penalties.fen(),
        billed_fen: b.billed.fen(),
        credit_balance_fen: b.credit_balance.fen(),
        accrued_interest_fen: b.accrued_interest.fen(),
        accrued_penalties_fen: b.accrued_penalties.fen(),
        pending_penalty_fen: account.pending_penalty().fen(),
        minimum_unpaid_fen: b.minimum_unpaid.fen(),
        past_due_fen: b.past_due.fen(),
        dpd: b.dpd,
        bucket: b.bucket.as_str().to_owned(),
        next_due_date: b.next_due_date.map(|d| d.to_string()),
        next_statement: b.next_statement.to_string(),
        frozen: b
            .frozen
            .map(|r| crate::http::routes::operator::reason_name(r).to_owned()),
        charged_off_on: b.charged_off_on.map(|d| d.to_string()),
        price_tier: pricing.map(PriceTierResponse::of),
        credit_costs: CreditCostsView::of(account),
        losses: LossesView::of(&account.losses()),
        exempt_txn_ids: account.exempt.iter().map(ToString::to_string).collect(),
        fraud_exemptions: ExemptionsTotalView::of(account),
    }
}

/// The customer id of a `/v1/customers/{customer_id}/...` route, checked against the caller.
pub fn customer_of(call: &Call) -> Result<AccountId, ApiError> {
    let account = AccountId(call.id("customer_id")?);
    call.principal.may_act_for(account)?;
    Ok(account)
}

/// Read a customer's balances (the customer or an operator).
#[utoipa::path(operation_id = "get_customer", get, path = "/v1/customers/{customer_id}", tag = "customers",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = BalancesResponse), Refusals))]
pub async fn get(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let account = account(&state, id).await?;
    let profile = crate::http::submit::credit_profile(&state, id).await?;
    let pricing = profile.and_then(|p| p.pricing);
    Ok(respond(
        StatusCode::OK,
        &balances(&account, state.product(), pricing.as_ref()),
        false,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentCodeResponse {
    /// 18 digits, shown as a QR code; single use.
    #[schema(example = "283749102938475610")]
    pub payment_code: String,
    /// RFC 3339; about a minute after issue.
    pub expires_at: String,
}

/// Get a one-time payment code (the customer). Codes live in the server's memory only: after a
/// restart the app asks for a fresh one. The optional `risk` object (device, location, a
/// step-up token) is kept with the code for the payment's risk decision.
#[utoipa::path(operation_id = "issue_payment_code", post, path = "/v1/customers/{customer_id}/payment-codes", tag = "customers",
    request_body = crate::edge::risk_input::PaymentCodeBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "success", body = PaymentCodeResponse), Refusals))]
pub async fn payment_code(
    State(state): State<AppState>,
    crate::edge::risk_input::Peer(peer): crate::edge::risk_input::Peer,
    call: Call,
) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let idem = call.idem()?;
    let body: crate::edge::risk_input::PaymentCodeBody = call.json()?;
    // The account must exist and may be frozen: a frozen account's code is declined at
    // authorization like any purchase.
    account(&state, id).await?;
    // Claimed system-wide like every key (the code and its answer are kept in memory by
    // `codes`, which answers a retry); a key used for another request is a conflict.
    let claims = state.engine().keys();
    if claims.claim(&idem.engine(), state.clock().now().as_microsecond()) == engine::Claim::Conflict {
        return Err(crate::edge::merchants::key_reused());
    }
    let context = body.context(&state, peer, id, idem)?;
    let (issued, replayed) = state.codes().issue(id, idem, state.clock().now())?;
    if let Some(context) = context {
        let forget_at = issued.expires_at + jiff::SignedDuration::from_secs(crate::edge::codes::SPENT_KEPT_SECONDS);
        state
            .risk_edge()
            .code_contexts
            .remember(issued.code, context, forget_at);
    }
    let response = PaymentCodeResponse {
        payment_code: issued.code.to_string(),
        expires_at: issued.expires_at.to_string(),
    };
    Ok(respond(StatusCode::CREATED, &response, replayed))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    pub merchant_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkResponse {
    pub link_id: String,
    pub merchant_id: String,
}

/// Link the account to an online merchant (the customer), who then authorizes with the link.
#[utoipa::path(operation_id = "link_merchant", post, path = "/v1/customers/{customer_id}/links", tag = "customers", request_body = LinkBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "success", body = LinkResponse), Refusals, Unavailable))]
pub async fn link(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let idem = call.idem()?;
    let body: LinkBody = call.json()?;
    let merchant = MerchantId(parse_id(&body.merchant_id, "merchant_id")?);
    if state.merchants().get(merchant).is_none() {
        return Err(ApiError::new(ErrorCode::MerchantNotFound, "no merchant has this id").with_field("merchant_id"));
    }
    let link = ask::LinkMerchant { account: id, merchant };
    let answered = ask(&state, link, idem, Audience::Account, None).await?;
    let response = LinkResponse {
        link_id: answered.reply.link.to_string(),
        merchant_id: answered.reply.merchant.to_string(),
    };
    Ok(respond(StatusCode::CREATED, &response, answered.replayed))
}
