//! Installment campaigns (operators with `campaigns.manage`): create one for a merchant or a
//! merchant category, list them, end one. The campaigns themselves are `edge::campaigns`'; a
//! merchant's payment names one (`plan.campaign_id`), `GET /v1/plan-options` shows a merchant's.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use credit::{Day, MerchantId};
use money::Rate;
use money::schedule::Method;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::campaigns::{Audience, Campaign, CampaignUse, FeePaidBy, NewCampaign, merchant_of};
use crate::edge::merchants::Category;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::input::{MethodDto, parse_id, parse_text};
use crate::state::AppState;

/// The campaign routes, to merge into the API's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/campaigns", get(list).post(create))
        .route("/v1/campaigns/{campaign_id}/end", post(end))
}

/// Who pays a campaign plan's fee.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeePaidByBody {
    /// `customer`, `merchant` or `split`.
    #[schema(example = "split")]
    pub by: String,
    /// With `split` only: the merchant's share of the fee, parts per million (1 to 999999).
    #[schema(example = 500000)]
    pub merchant_share_ppm: Option<u32>,
}

impl FeePaidByBody {
    fn parse(&self) -> Result<FeePaidBy, ApiError> {
        let field = "fee_paid_by";
        let bad = |message: &str| ApiError::new(ErrorCode::InvalidField, message).with_field(field);
        match (self.by.as_str(), self.merchant_share_ppm) {
            ("customer", None) => Ok(FeePaidBy::Customer),
            ("merchant", None) => Ok(FeePaidBy::Merchant),
            ("split", Some(share)) if (1..1_000_000).contains(&share) => Ok(FeePaidBy::Split {
                merchant_share_ppm: share,
            }),
            ("split", _) => Err(bad("a split names merchant_share_ppm, 1 to 999999")),
            ("customer" | "merchant", Some(_)) => Err(bad("merchant_share_ppm goes with by = split only")),
            _ => Err(bad("fee_paid_by.by must be customer, merchant or split")),
        }
    }

    pub fn of(paid: FeePaidBy) -> FeePaidByBody {
        let (by, merchant_share_ppm) = match paid {
            FeePaidBy::Customer => ("customer", None),
            FeePaidBy::Merchant => ("merchant", None),
            FeePaidBy::Split { merchant_share_ppm } => ("split", Some(merchant_share_ppm)),
        };
        FeePaidByBody {
            by: by.to_owned(),
            merchant_share_ppm,
        }
    }
}

/// A new campaign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    #[schema(max_length = 100, example = "Spring 0% on phones")]
    pub name: String,
    /// The merchant it is for. Exactly one of `merchant_id` and `category`.
    pub merchant_id: Option<String>,
    /// The merchant category it is for (every merchant registered with it).
    #[schema(example = "electronics")]
    pub category: Option<String>,
    /// Terms offered: a subset of the product's (3, 6, 12, 24 by default).
    #[schema(example = json!([3, 6]))]
    pub terms: Vec<u32>,
    /// The fee per period as a decimal string: a percentage (`"0.6%"`, `"0%"`) or a fraction
    /// (`"0.006"`), exact to one ppm. Exactly one of `rate` and `rate_ppm`.
    #[schema(example = "0.6%")]
    pub rate: Option<String>,
    /// The fee per period in parts per million (0 allowed).
    #[schema(example = 6000)]
    pub rate_ppm: Option<u32>,
    /// Methods offered (at least one).
    pub methods: Vec<MethodDto>,
    pub fee_paid_by: FeePaidByBody,
    /// The first day it runs (business date, `YYYY-MM-DD`).
    #[schema(example = "2026-03-01")]
    pub starts_on: String,
    /// The last day it runs.
    #[schema(example = "2026-03-31")]
    pub ends_on: String,
}

/// A campaign as operators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub campaign_id: String,
    pub name: String,
    pub merchant_id: Option<String>,
    pub category: Option<String>,
    pub terms: Vec<u32>,
    pub methods: Vec<MethodDto>,
    /// The fee per period, parts per million of the plan's principal.
    pub rate_ppm: u32,
    /// The same rate as a percentage (`0.6%`).
    #[schema(example = "0.6%")]
    pub rate: String,
    pub fee_paid_by: FeePaidByBody,
    pub starts_on: String,
    pub ends_on: String,
    pub ended_on: Option<String>,
    /// Today (business date): `scheduled`, `active`, `expired` or `ended`.
    #[schema(example = "active")]
    pub status: &'static str,
}

impl CampaignView {
    pub fn of(campaign: &Campaign, today: Day) -> CampaignView {
        let (merchant, category) = match campaign.audience {
            Audience::Merchant(_) => (merchant_of(campaign.audience), None),
            Audience::Category(category) => (None, Some(category.as_str().to_owned())),
        };
        CampaignView {
            campaign_id: campaign.id.to_string(),
            name: campaign.name.clone(),
            merchant_id: merchant.map(|m| m.to_string()),
            category,
            terms: campaign.terms.clone(),
            methods: campaign.methods.iter().map(|m| MethodDto::from(*m)).collect(),
            rate_ppm: campaign.rate.ppm(),
            rate: campaign.rate.to_string(),
            fee_paid_by: FeePaidByBody::of(campaign.fee_paid_by),
            starts_on: campaign.starts_on.to_string(),
            ends_on: campaign.ends_on.to_string(),
            ended_on: campaign.ended_on.map(|d| d.to_string()),
            status: campaign.status(today),
        }
    }
}

/// The campaign a payment's plan was made under, as its answers show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignUseView {
    pub campaign_id: String,
    /// The campaign's fee rate per period.
    pub rate_ppm: u32,
    pub fee_paid_by: FeePaidByBody,
    /// The customer's share of it: the plan's rate (0 when the merchant pays).
    pub customer_rate_ppm: u32,
    /// The merchant's share, per period, that settlement charges the merchant.
    pub merchant_rate_ppm: u32,
}

impl CampaignUseView {
    pub fn of(used: &CampaignUse) -> CampaignUseView {
        CampaignUseView {
            campaign_id: used.campaign_id.to_string(),
            rate_ppm: used.rate.ppm(),
            fee_paid_by: FeePaidByBody::of(used.fee_paid_by),
            customer_rate_ppm: used.customer_rate.ppm(),
            merchant_rate_ppm: used.rate.ppm().saturating_sub(used.customer_rate.ppm()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignView>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message).with_field(field)
}

fn parse_day(text: &str, field: &str) -> Result<Day, ApiError> {
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|_| invalid(field, format!("{field} must be a date, YYYY-MM-DD")))?;
    Ok(Day::from_date(date))
}

fn parse_rate(body: &CampaignBody) -> Result<Rate, ApiError> {
    match (&body.rate, body.rate_ppm) {
        (Some(text), None) => Rate::parse(text).map_err(|e| invalid("rate", e.to_string())),
        (None, Some(ppm)) if ppm < 1_000_000 => Ok(Rate::from_ppm(ppm)),
        (None, Some(_)) => Err(invalid("rate_ppm", "rate_ppm must be below 1000000 (100% a period)")),
        _ => Err(invalid("rate", "send exactly one of rate and rate_ppm")),
    }
}

fn parse_audience(state: &AppState, body: &CampaignBody) -> Result<Audience, ApiError> {
    match (&body.merchant_id, &body.category) {
        (Some(id), None) => {
            let id = parse_id(id, "merchant_id")?;
            if state.merchants().get(MerchantId(id)).is_none() {
                return Err(
                    ApiError::new(ErrorCode::MerchantNotFound, "no merchant has this id").with_field("merchant_id")
                );
            }
            Ok(Audience::Merchant(id))
        }
        (None, Some(category)) => Ok(Audience::Category(Category::parse(category, "category")?)),
        _ => Err(invalid("merchant_id", "send exactly one of merchant_id and category")),
    }
}

/// The body checked into a campaign: terms the product offers, at least one method, no
/// duplicates, dates in order, a rate below 100% a period.
fn parse_body(state: &AppState, body: &CampaignBody) -> Result<NewCampaign, ApiError> {
    let name = parse_text(&body.name, "name", 100)?;
    let audience = parse_audience(state, body)?;
    let product = state.product();
    let mut terms = body.terms.clone();
    terms.sort_unstable();
    terms.dedup();
    if terms.is_empty() || terms.len() != body.terms.len() || !terms.iter().all(|t| product.offers_term(*t)) {
        let message = format!("terms must be distinct terms of {:?}, at least one", product.terms);
        return Err(invalid("terms", message));
    }
    let mut methods: Vec<Method> = Vec::new();
    for method in &body.methods {
        let method = Method::from(*method);
        if methods.contains(&method) {
            return Err(invalid("methods", "methods must be distinct"));
        }
        methods.push(method);
    }
    if methods.is_empty() {
        return Err(invalid("methods", "methods must name at least one method"));
    }
    let (starts_on, ends_on) = (
        parse_day(&body.starts_on, "starts_on")?,
        parse_day(&body.ends_on, "ends_on")?,
    );
    if ends_on < starts_on {
        return Err(invalid("ends_on", "ends_on must not be before starts_on"));
    }
    Ok(NewCampaign {
        name,
        audience,
        terms,
        methods,
        rate: parse_rate(body)?,
        fee_paid_by: body.fee_paid_by.parse()?,
        starts_on,
        ends_on,
    })
}

/// Ending a campaign takes no fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndCampaignBody {}

/// Create a campaign (operator).
#[utoipa::path(operation_id = "create_campaign", post, path = "/v1/campaigns", tag = "operator", request_body = CampaignBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "success", body = CampaignView), Refusals, Unavailable))]
pub async fn create(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let idem = call.idem()?;
    let body: CampaignBody = call.json()?;
    let new = parse_body(&state, &body)?;
    let today = state.business_day();
    let response = crate::http::once::once(&state, idem, async {
        let campaign = state.campaigns().create(state.meta(), new, idem).await?;
        crate::http::once::Answer::new(StatusCode::CREATED, &CampaignView::of(&campaign, today))
    })
    .await?;
    Ok(response)
}

/// Every campaign, ended ones included (operator).
#[utoipa::path(operation_id = "list_campaigns", get, path = "/v1/campaigns", tag = "operator",
    security(("bearer" = [])), responses((status = 200, description = "success", body = CampaignList), Refusals))]
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let today = state.business_day();
    let campaigns = state
        .campaigns()
        .list()
        .iter()
        .map(|c| CampaignView::of(c, today))
        .collect();
    Ok(respond(StatusCode::OK, &CampaignList { campaigns }, false))
}

/// End a campaign today: from now on no plan is made under it (plans made stay as they are).
#[utoipa::path(operation_id = "end_campaign", post, path = "/v1/campaigns/{campaign_id}/end", tag = "operator", request_body = EndCampaignBody,
    params(("campaign_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = CampaignView), Refusals, Unavailable))]
pub async fn end(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = call.id("campaign_id")?;
    call.idem()?;
    let _: EndCampaignBody = call.json()?;
    let today = state.business_day();
    let campaign = state.campaigns().end(state.meta(), id, today).await?;
    Ok(respond(StatusCode::OK, &CampaignView::of(&campaign, today), false))
}
