//! Emergency controls an on-call operator switches in seconds: offline (payment code)
//! authorizations paused, single merchants paused, and every account's risk tier raised (a
//! payment above an amount must step up). [`Emergency`] holds what is switched on; every
//! change is written to the store's meta table (keys under `emergency/`) before it takes
//! effect, so a restart keeps it. The routes (`/v1/emergency/...`) are
//! `http::routes::emergency`; the payment route asks [`Emergency::payment`] before it spends a
//! payment code.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use credit::MerchantId;
use money::Amount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;

const PREFIX: &str = "emergency/";
const OFFLINE: &str = "emergency/offline";
const TIER: &str = "emergency/risk_tier";
const MERCHANT: &str = "emergency/merchant/";

/// Who switched a control on, when, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Switched {
    /// The operator, as the audit log names them.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    pub reason: Option<String>,
}

/// The raised risk tier: every payment above `step_up_above_fen` needs a step-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RaisedTier {
    pub step_up_above_fen: i64,
    pub switched: Switched,
}

/// What is switched on now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Controls {
    pub offline_paused: Option<Switched>,
    pub merchants_paused: BTreeMap<u64, Switched>,
    pub risk_tier: Option<RaisedTier>,
}

/// What a payment must do under the controls in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Go,
    /// A step-up is needed: the amount is above the raised tier's threshold.
    StepUp,
}

/// The controls in force, and the lock that keeps the stored order and the memory order one.
/// `any` says whether any control is on: a payment reads only it while none is (one relaxed
/// load on the authorization path instead of a lock every worker shares).
#[derive(Debug, Default)]
pub struct Emergency {
    controls: RwLock<Controls>,
    any: AtomicBool,
    writes: tokio::sync::Mutex<()>,
}

fn decode<T: for<'de> Deserialize<'de>>(key: &str, value: &str) -> Result<T, String> {
    serde_json::from_str(value).map_err(|e| format!("the emergency control {key} cannot be read: {e}"))
}

impl Emergency {
    /// The controls the store holds (a record that does not parse stops the start: a pause
    /// that silently vanished would be worse).
    pub fn load(meta: &Meta) -> Result<Emergency, String> {
        let rows = meta
            .with_prefix_blocking(PREFIX)
            .map_err(|e| format!("reading the emergency controls: {e}"))?;
        let mut controls = Controls::default();
        for (key, value) in rows {
            if key == OFFLINE {
                controls.offline_paused = Some(decode(&key, &value)?);
            } else if key == TIER {
                controls.risk_tier = Some(decode(&key, &value)?);
            } else if let Some(id) = key.strip_prefix(MERCHANT) {
                let id: u64 = id
                    .parse()
                    .map_err(|_| format!("the emergency control {key} names no merchant"))?;
                controls.merchants_paused.insert(id, decode(&key, &value)?);
            } else {
                return Err(format!("the emergency control {key} is unknown"));
            }
        }
        if controls != Controls::default() {
            tracing::warn!(?controls, "emergency controls in force");
        }
        Ok(Emergency::with(controls))
    }

    fn with(controls: Controls) -> Emergency {
        Emergency {
            any: AtomicBool::new(controls != Controls::default()),
            controls: RwLock::new(controls),
            writes: tokio::sync::Mutex::new(()),
        }
    }

    /// A copy of the controls in force.
    pub fn controls(&self) -> Controls {
        self.controls.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether a payment of `amount` to `merchant` may go on: a paused merchant or (for a
    /// payment code) paused offline payments refuse it; a raised tier asks for a step-up.
    pub fn payment(&self, merchant: MerchantId, offline: bool, amount: Amount) -> Result<Verdict, ApiError> {
        if !self.any.load(Ordering::Acquire) {
            return Ok(Verdict::Go);
        }
        let controls = self.controls.read().unwrap_or_else(|p| p.into_inner());
        if controls.merchants_paused.contains_key(&merchant.0) {
            return Err(ApiError::new(
                ErrorCode::MerchantPaused,
                "payments to this merchant are paused: take another payment method",
            ));
        }
        if offline && controls.offline_paused.is_some() {
            return Err(ApiError::new(
                ErrorCode::OfflinePaused,
                "payment code payments are paused: take another payment method",
            )
            .with_field("payment_code"));
        }
        match &controls.risk_tier {
            Some(tier) if amount.fen() > tier.step_up_above_fen => Ok(Verdict::StepUp),
            _ => Ok(Verdict::Go),
        }
    }

    /// Stores `value` under `key` (or deletes it), then applies `change` in memory.
    async fn write(
        &self,
        meta: &Arc<Meta>,
        key: String,
        value: Option<String>,
        change: impl FnOnce(&mut Controls),
    ) -> Result<(), ApiError> {
        let _one_at_a_time = self.writes.lock().await;
        match value {
            Some(value) => meta.set(key, value).await?,
            None => meta.delete(key).await?,
        }
        let mut controls = self.controls.write().unwrap_or_else(|p| p.into_inner());
        change(&mut controls);
        self.any.store(*controls != Controls::default(), Ordering::Release);
        Ok(())
    }

    /// Pauses (`Some`) or resumes (`None`) offline payments.
    pub async fn set_offline(&self, meta: &Arc<Meta>, switched: Option<Switched>) -> Result<(), ApiError> {
        let value = switched.as_ref().map(encode).transpose()?;
        self.write(meta, OFFLINE.to_owned(), value, |c| c.offline_paused = switched)
            .await
    }

    /// Pauses (`Some`) or resumes (`None`) one merchant's payments.
    pub async fn set_merchant(
        &self,
        meta: &Arc<Meta>,
        merchant: MerchantId,
        switched: Option<Switched>,
    ) -> Result<(), ApiError> {
        let value = switched.as_ref().map(encode).transpose()?;
        let key = format!("{MERCHANT}{}", merchant.0);
        self.write(meta, key, value, |c| match switched {
            Some(s) => {
                c.merchants_paused.insert(merchant.0, s);
            }
            None => {
                c.merchants_paused.remove(&merchant.0);
            }
        })
        .await
    }

    /// Raises (`Some`) or lowers (`None`) every account's risk tier.
    pub async fn set_risk_tier(&self, meta: &Arc<Meta>, tier: Option<RaisedTier>) -> Result<(), ApiError> {
        let value = tier.as_ref().map(encode).transpose()?;
        self.write(meta, TIER.to_owned(), value, |c| c.risk_tier = tier).await
    }
}

fn encode<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn switched() -> Switched {
        Switched {
            by: "operator:ann".into(),
            at: "2026-12-07T12:00:00Z".into(),
            reason: None,
        }
    }

    fn controls(offline: bool, merchant: Option<u64>, above: Option<i64>) -> Emergency {
        let mut c = Controls::default();
        if offline {
            c.offline_paused = Some(switched());
        }
        if let Some(m) = merchant {
            c.merchants_paused.insert(m, switched());
        }
        c.risk_tier = above.map(|fen| RaisedTier {
            step_up_above_fen: fen,
            switched: switched(),
        });
        Emergency::with(c)
    }

    fn code(r: Result<Verdict, ApiError>) -> Result<Verdict, ErrorCode> {
        r.map_err(|e| e.code)
    }

    #[test]
    fn each_control_refuses_only_what_it_names() {
        let fen = Amount::from_fen;
        let none = controls(false, None, None);
        assert_eq!(code(none.payment(MerchantId(1), true, fen(1))), Ok(Verdict::Go));

        let offline = controls(true, None, None);
        assert_eq!(
            code(offline.payment(MerchantId(1), true, fen(1))),
            Err(ErrorCode::OfflinePaused)
        );
        assert_eq!(code(offline.payment(MerchantId(1), false, fen(1))), Ok(Verdict::Go));

        let merchant = controls(false, Some(7), None);
        assert_eq!(
            code(merchant.payment(MerchantId(7), false, fen(1))),
            Err(ErrorCode::MerchantPaused)
        );
        assert_eq!(code(merchant.payment(MerchantId(8), true, fen(1))), Ok(Verdict::Go));

        let tier = controls(false, None, Some(500));
        assert_eq!(code(tier.payment(MerchantId(1), true, fen(500))), Ok(Verdict::Go));
        assert_eq!(code(tier.payment(MerchantId(1), false, fen(501))), Ok(Verdict::StepUp));
    }
}
