//! [`Campaigns`]: installment campaigns an operator runs for one merchant or a merchant
//! category, each with its own fee rate per period (0% allowed), terms, methods, dates and who
//! pays the fee; and the campaign a payment was made under ([`CampaignUse`]).
//!
//! A campaign is stored in the meta table as `campaign:<id>` (ids 1, 2, 3 ... in creation
//! order) before the answer, with the hashes of the idempotency key and request that made it
//! (so a retry after a crash between this record and `once`'s answer finds it instead of
//! making a second one), and every campaign is loaded at start. Ending one writes its
//! `ended_on` (the business date) to the same record; an ended campaign stays listed.
//!
//! A merchant never sets a rate: its authorization names a `campaign_id`, [`Campaigns::offer`]
//! checks the campaign is the merchant's (or its category's), runs today, and offers the term
//! and method, and the campaign's rate goes to the engine as the plan's rate (the engine
//! journals the rate with the authorization). Which campaign it was and who pays the fee is
//! kept API-side, `campaign_txn:<txn>` ([`CampaignUse`]), written before the payment's answer
//! and again by every replay of it, for the settlement work to book.

use std::sync::{Arc, RwLock};

use credit::{Day, MerchantId, PlanChoice, TxnId};
use money::Rate;
use money::schedule::{Method, PeriodRate};
use serde::{Deserialize, Serialize};

use crate::edge::merchants::{Category, Merchant, key_reused};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::idempotency::IdemKey;
use crate::meta::Meta;

/// Who pays a campaign plan's fee: the customer (as with any plan), the merchant (the customer's
/// plan is made at 0%: the merchant-subsidized interest-free offer), or both, the merchant paying
/// `merchant_share_ppm` of the rate. The customer's plan is made at their share
/// ([`Campaign::customer_rate`]); the merchant's share (the campaign rate less it) is kept with the
/// payment ([`CampaignUse`]) for settlement to charge the merchant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeePaidBy {
    Customer,
    Merchant,
    Split { merchant_share_ppm: u32 },
}

/// Who a campaign is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Audience {
    Merchant(u64),
    Category(Category),
}

/// A campaign as it is kept and answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub id: u64,
    pub name: String,
    pub audience: Audience,
    /// Terms offered (a subset of the product's), ascending.
    pub terms: Vec<u32>,
    pub methods: Vec<Method>,
    /// The fee per period, parts per million of the plan's principal.
    pub rate: Rate,
    pub fee_paid_by: FeePaidBy,
    pub starts_on: Day,
    /// The last day it runs.
    pub ends_on: Day,
    /// The business date an operator ended it; it does not run on that day.
    pub ended_on: Option<Day>,
    key: String,
    request: String,
}

/// What an operator asks for (parsed and checked by the route).
#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub name: String,
    pub audience: Audience,
    pub terms: Vec<u32>,
    pub methods: Vec<Method>,
    pub rate: Rate,
    pub fee_paid_by: FeePaidBy,
    pub starts_on: Day,
    pub ends_on: Day,
}

impl Campaign {
    /// Whether it runs on `today`.
    pub fn runs_on(&self, today: Day) -> bool {
        self.starts_on <= today && today <= self.ends_on && self.ended_on.is_none()
    }

    /// `runs_on(today)` as a word: `scheduled`, `active`, `expired` or `ended`.
    pub fn status(&self, today: Day) -> &'static str {
        match () {
            () if self.ended_on.is_some() => "ended",
            () if today < self.starts_on => "scheduled",
            () if today > self.ends_on => "expired",
            () => "active",
        }
    }

    /// Whether `merchant` may make plans under it.
    pub fn is_for(&self, merchant: &Merchant) -> bool {
        match self.audience {
            Audience::Merchant(id) => id == merchant.id.0,
            Audience::Category(category) => merchant.category == Some(category),
        }
    }

    /// The customer's share of the campaign's rate: all of it, none (the merchant pays), or the
    /// rate less the merchant's share, rounded down to the ppm (the merchant's share carries
    /// the rounding: the customer is never charged more than their share).
    pub fn customer_rate(&self) -> Rate {
        const WHOLE: u64 = 1_000_000;
        let merchant_share = match self.fee_paid_by {
            FeePaidBy::Customer => 0,
            FeePaidBy::Merchant => WHOLE,
            FeePaidBy::Split { merchant_share_ppm } => u64::from(merchant_share_ppm).min(WHOLE),
        };
        let customer = u64::from(self.rate.ppm()) * (WHOLE - merchant_share) / WHOLE;
        // At most the campaign's own rate, so it fits.
        Rate::from_ppm(u32::try_from(customer).unwrap_or(self.rate.ppm()))
    }

    /// The customer's plan rate under this campaign: their share of the fee per period.
    pub fn period_rate(&self) -> PeriodRate {
        PeriodRate::per_period(self.customer_rate())
    }
}

/// The campaign a payment's plan was made under, kept by transaction for settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignUse {
    pub campaign_id: u64,
    /// The campaign's rate per period; the merchant owes it less `customer_rate`.
    pub rate: Rate,
    pub fee_paid_by: FeePaidBy,
    /// The rate the customer's plan was made at.
    pub customer_rate: Rate,
}

#[derive(Debug, Default)]
pub struct Campaigns {
    all: RwLock<Vec<Arc<Campaign>>>,
    /// One change at a time (creations and ends are rare operator calls).
    writer: tokio::sync::Mutex<()>,
}

fn meta_key(id: u64) -> String {
    format!("campaign:{id}")
}

fn use_key(txn: TxnId) -> String {
    format!("campaign_txn:{}", txn.0)
}

pub fn not_found(field: &str) -> ApiError {
    ApiError::new(ErrorCode::CampaignNotFound, "no such campaign").with_field(field)
}

impl Campaigns {
    /// Loads every campaign from the meta table (blocking; at start only).
    pub fn load(meta: &Meta) -> Result<Campaigns, String> {
        let mut all = Vec::new();
        while let Some(text) = meta
            .get_blocking(&meta_key(all.len() as u64 + 1))
            .map_err(|e| e.to_string())?
        {
            let campaign: Campaign =
                serde_json::from_str(&text).map_err(|e| format!("campaign {}: {e}", all.len() + 1))?;
            all.push(Arc::new(campaign));
        }
        Ok(Campaigns {
            all: RwLock::new(all),
            writer: tokio::sync::Mutex::new(()),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Campaign>>> {
        self.all.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn list(&self) -> Vec<Arc<Campaign>> {
        self.read().clone()
    }

    pub fn get(&self, id: u64) -> Option<Arc<Campaign>> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.read().get(index).cloned()
    }

    /// Creates a campaign under an operator's idempotency key (a retry finds the first).
    pub async fn create(&self, meta: &Arc<Meta>, new: NewCampaign, idem: IdemKey) -> Result<Arc<Campaign>, ApiError> {
        let _writer = self.writer.lock().await;
        let (key, request) = (format!("{:032x}", idem.key), format!("{:032x}", idem.request));
        if let Some(found) = self.list().into_iter().find(|c| c.key == key) {
            return if found.request == request {
                Ok(found)
            } else {
                Err(key_reused())
            };
        }
        let campaign = Campaign {
            id: self.read().len() as u64 + 1,
            name: new.name,
            audience: new.audience,
            terms: new.terms,
            methods: new.methods,
            rate: new.rate,
            fee_paid_by: new.fee_paid_by,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            ended_on: None,
            key,
            request,
        };
        let text = serde_json::to_string(&campaign).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(campaign.id), text).await?;
        let campaign = Arc::new(campaign);
        self.all
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(campaign.clone());
        Ok(campaign)
    }

    /// Ends a campaign as of `today` (an ended one stays as it was ended).
    pub async fn end(&self, meta: &Arc<Meta>, id: u64, today: Day) -> Result<Arc<Campaign>, ApiError> {
        let _writer = self.writer.lock().await;
        let found = self.get(id).ok_or_else(|| not_found("campaign_id"))?;
        if found.ended_on.is_some() {
            return Ok(found);
        }
        let mut ended = (*found).clone();
        ended.ended_on = Some(today);
        let text = serde_json::to_string(&ended).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(id), text).await?;
        let ended = Arc::new(ended);
        let mut all = self.all.write().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = usize::try_from(id - 1).ok().and_then(|i| all.get_mut(i)) {
            *slot = ended.clone();
        }
        Ok(ended)
    }

    /// The campaigns `merchant` may make plans under today.
    pub fn running_for(&self, merchant: &Merchant, today: Day) -> Vec<Arc<Campaign>> {
        self.read()
            .iter()
            .filter(|c| c.is_for(merchant) && c.runs_on(today))
            .cloned()
            .collect()
    }

    /// The campaign `merchant` names for `choice` on `today`, checked, with the choice priced
    /// at its rate. Another merchant's (or category's) campaign is "not found".
    pub fn offer(
        &self,
        merchant: &Merchant,
        id: u64,
        choice: PlanChoice,
        today: Day,
    ) -> Result<(PlanChoice, CampaignUse), ApiError> {
        const FIELD: &str = "plan.campaign_id";
        let campaign = self
            .get(id)
            .filter(|c| c.is_for(merchant))
            .ok_or_else(|| not_found(FIELD))?;
        if !campaign.runs_on(today) {
            let status = campaign.status(today);
            let message = format!("campaign {id} is {status}: it does not run on {today}");
            return Err(ApiError::new(ErrorCode::CampaignNotActive, message).with_field(FIELD));
        }
        if !campaign.terms.contains(&choice.periods) {
            let message = format!("campaign {id} offers periods {:?}", campaign.terms);
            return Err(ApiError::new(ErrorCode::CampaignTermNotOffered, message).with_field("plan.periods"));
        }
        if !campaign.methods.contains(&choice.method) {
            let offered: Vec<&str> = campaign.methods.iter().map(|m| m.as_str()).collect();
            let message = format!("campaign {id} offers methods {offered:?}");
            return Err(ApiError::new(ErrorCode::CampaignTermNotOffered, message).with_field("plan.method"));
        }
        let priced = PlanChoice {
            rate: Some(campaign.period_rate()),
            ..choice
        };
        let used = CampaignUse {
            campaign_id: id,
            rate: campaign.rate,
            fee_paid_by: campaign.fee_paid_by,
            customer_rate: campaign.customer_rate(),
        };
        Ok((priced, used))
    }
}

/// Keeps the campaign a payment was made under (before the payment's answer).
pub async fn record_use(meta: &Arc<Meta>, txn: TxnId, used: CampaignUse) -> Result<(), ApiError> {
    let text = serde_json::to_string(&used).map_err(|e| ApiError::internal(e.to_string()))?;
    meta.set(use_key(txn), text).await
}

/// The campaign a payment was made under, if any.
pub async fn use_of(meta: &Arc<Meta>, txn: TxnId) -> Result<Option<CampaignUse>, ApiError> {
    match meta.get(use_key(txn)).await? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ApiError::internal(format!("campaign use of {}: {e}", txn.0))),
    }
}

/// The merchant's share of the fee per period of the campaign a payment was made under, for
/// settlement's run (blocking: on a blocking thread). A record that cannot be read counts as no
/// campaign and is logged.
pub fn merchant_rate_blocking(meta: &Meta, txn: TxnId) -> Option<Rate> {
    let text = match meta.get_blocking(&use_key(txn)) {
        Ok(text) => text?,
        Err(e) => {
            tracing::error!(error = %e, txn = txn.0, "reading a campaign use failed");
            return None;
        }
    };
    let used: CampaignUse = serde_json::from_str(&text)
        .inspect_err(|e| tracing::error!(error = %e, txn = txn.0, "a campaign use is not readable"))
        .ok()?;
    Some(Rate::from_ppm(used.rate.ppm().saturating_sub(used.customer_rate.ppm())))
}

/// The merchant id of an audience, for answers.
pub fn merchant_of(audience: Audience) -> Option<MerchantId> {
    match audience {
        Audience::Merchant(id) => Some(MerchantId(id)),
        Audience::Category(_) => None,
    }
}
