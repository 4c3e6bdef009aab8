//! [`Merchants`]: registered merchants, their API secrets and the MACs keyed with them.
//!
//! A merchant is stored in the store's meta table as `merchant:<id>` (ids 1, 2, 3 ... in
//! registration order), one JSON record holding its name, its category (optional, from a fixed
//! list, [`Category`]), its secret sealed by the vault
//! (`keys`; the AAD is `merchant_secret`/id) and the hashes of the idempotency key and request
//! that registered it. Every merchant is loaded at start: its secret is opened once to key its
//! MAC (which signs requests' checks and webhooks) and not kept; the authorize path reads one
//! shard of the map. The secret in clear exists only in the registration's one answer.
//!
//! Registration never reaches the engine: its route runs under `once` (the shared idempotency of
//! such calls), which answers a retry with the stored answer, without the secret. The record
//! also carries the key and request hashes, so a retry after a crash between this record and
//! `once`'s finds the same merchant instead of making a second one. One registration runs at a
//! time (they are rare operator calls). Each merchant's risk tier is kept beside, in
//! [`crate::edge::merchant_tiers`].

use std::sync::Arc;

use credit::MerchantId;
use serde::{Deserialize, Serialize};

use crate::edge::merchant_tiers::Tiers;
use crate::http::auth::signature::{HmacSha256, keyed};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::idempotency::IdemKey;
use crate::meta::Meta;
use crate::sharded::Sharded;
use vault::Vault;

/// A registered merchant: the MAC keyed with its secret (the secret itself is not kept).
#[derive(Debug)]
pub struct Merchant {
    pub id: MerchantId,
    pub name: String,
    /// What it sells, if it said at registration (campaigns may go by category).
    pub category: Option<Category>,
    pub mac: HmacSha256,
}

/// What a merchant sells: one of a fixed list (campaigns may run for a whole category).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Electronics,
    Fashion,
    Grocery,
    Home,
    Travel,
    Education,
    Health,
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Electronics,
        Category::Fashion,
        Category::Grocery,
        Category::Home,
        Category::Travel,
        Category::Education,
        Category::Health,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Electronics => "electronics",
            Category::Fashion => "fashion",
            Category::Grocery => "grocery",
            Category::Home => "home",
            Category::Travel => "travel",
            Category::Education => "education",
            Category::Health => "health",
            Category::Other => "other",
        }
    }

    /// A category by its name; the error names the field and the list.
    pub fn parse(text: &str, field: &str) -> Result<Category, ApiError> {
        Category::ALL.into_iter().find(|c| c.as_str() == text).ok_or_else(|| {
            let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            ApiError::new(ErrorCode::InvalidField, format!("{field} must be one of {names:?}")).with_field(field)
        })
    }
}

/// The meta record of a merchant.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    name: String,
    /// Absent in records written before categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category: Option<Category>,
    /// The secret, sealed (`keys::seal_json` of the hex string).
    secret_sealed: String,
    key: String,
    request: String,
}

const SECRET_KIND: &str = "merchant_secret";

#[derive(Debug, Default)]
pub struct Merchants {
    by_id: Sharded<MerchantId, Arc<Merchant>>,
    by_key: Sharded<u128, (u128, MerchantId)>,
    last_id: tokio::sync::Mutex<u64>,
    /// Each merchant's risk tier (`edge::merchant_tiers`).
    pub tiers: Tiers,
}

/// The outcome of a registration.
#[derive(Debug)]
pub struct Registered {
    pub merchant: Arc<Merchant>,
    /// The new secret, to show once; `None`: a replay of an earlier registration.
    pub secret: Option<zeroize::Zeroizing<String>>,
}

fn meta_key(id: u64) -> String {
    format!("merchant:{id}")
}

impl Merchants {
    /// Loads every merchant from the meta table (blocking; at start only).
    pub fn load(meta: &Meta, vault: &Vault) -> Result<Merchants, String> {
        let merchants = Merchants {
            tiers: Tiers::load(meta)?,
            ..Merchants::default()
        };
        let mut id = 0;
        while let Some(text) = meta.get_blocking(&meta_key(id + 1)).map_err(|e| e.to_string())? {
            id += 1;
            let record: Record = serde_json::from_str(&text).map_err(|e| format!("merchant {id}: {e}"))?;
            let parse = |hex: &str| u128::from_str_radix(hex, 16).map_err(|e| format!("merchant {id}: {e}"));
            let (key, request) = (parse(&record.key)?, parse(&record.request)?);
            let secret = crate::keys::open_json::<String>(vault, SECRET_KIND, &id.to_string(), &record.secret_sealed)
                .map(zeroize::Zeroizing::new)
                .map_err(|e| format!("merchant {id}: {}", e.message))?;
            merchants.remember(MerchantId(id), record.name, record.category, &secret, key, request);
        }
        *merchants.last_id.try_lock().map_err(|e| e.to_string())? = id;
        Ok(merchants)
    }

    fn remember(
        &self,
        id: MerchantId,
        name: String,
        category: Option<Category>,
        secret: &str,
        key: u128,
        request: u128,
    ) -> Arc<Merchant> {
        let mac = keyed(secret.as_bytes());
        let merchant = Arc::new(Merchant {
            id,
            name,
            category,
            mac,
        });
        self.by_id.insert(id, merchant.clone());
        self.by_key.insert(key, (request, id));
        merchant
    }

    pub fn get(&self, id: MerchantId) -> Option<Arc<Merchant>> {
        self.by_id.get_cloned(&id)
    }

    /// Registers a merchant under an operator's idempotency key.
    pub async fn register(
        &self,
        meta: &Arc<Meta>,
        vault: &Vault,
        name: String,
        category: Option<Category>,
        idem: IdemKey,
    ) -> Result<Registered, ApiError> {
        let mut last_id = self.last_id.lock().await;
        if let Some((request, id)) = self.by_key.get_cloned(&idem.key) {
            if request != idem.request {
                return Err(key_reused());
            }
            let merchant = self
                .get(id)
                .ok_or_else(|| ApiError::internal("a registered merchant is missing"))?;
            return Ok(Registered { merchant, secret: None });
        }
        let id = *last_id + 1;
        let secret = zeroize::Zeroizing::new(crate::random::hex_secret()?);
        let record = Record {
            name,
            category,
            secret_sealed: crate::keys::seal_json(vault, SECRET_KIND, &id.to_string(), &*secret)?,
            key: format!("{:032x}", idem.key),
            request: format!("{:032x}", idem.request),
        };
        let text = serde_json::to_string(&record).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(id), text).await?;
        *last_id = id;
        let merchant = self.remember(
            MerchantId(id),
            record.name,
            record.category,
            &secret,
            idem.key,
            idem.request,
        );
        Ok(Registered {
            merchant,
            secret: Some(secret),
        })
    }
}

pub fn key_reused() -> ApiError {
    ApiError::new(
        ErrorCode::IdempotencyKeyReused,
        "this Idempotency-Key was used with a different request",
    )
    .with_field("Idempotency-Key")
}
