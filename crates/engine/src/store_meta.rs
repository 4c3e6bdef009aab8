//! What a store records about the engine that wrote it, checked at every start: the partition
//! count, the product, and the credit core's behaviour (meta keys `partitions`, `product`,
//! `credit_rules`).

use credit::Product;

use crate::config::EngineConfig;
use crate::error::EngineError;

/// The partition count a store was created with, or the default for a new store.
pub(crate) fn stored_partitions(journal: &mut dyn store::Journal) -> Result<u32, EngineError> {
    match journal.meta("partitions")? {
        None => Ok(EngineConfig::default().partitions),
        Some(text) => text
            .parse()
            .map_err(|_| EngineError::Corrupt(format!("the store's partition count {text:?} is not a number"))),
    }
}

pub(crate) fn check_meta(journal: &mut dyn store::Journal, key: &str, wanted: &str) -> Result<(), EngineError> {
    match journal.meta(key)? {
        None => Ok(journal.set_meta(key, wanted)?),
        Some(stored) if stored == wanted => Ok(()),
        Some(stored) => Err(store::StoreError::MetaMismatch {
            key: key.into(),
            stored,
            wanted: wanted.into(),
        }
        .into()),
    }
}

/// The credit core's behaviour a store's journal was written under (meta `credit_rules`): 1
/// for a store begun before charged-off accounts kept getting statements, 2 since. A new store
/// starts at the latest; a store without the key (from before it existed) is 1, so its journal
/// replays to the events it recorded.
pub(crate) fn credit_rules(journal: &mut dyn store::Journal, fresh: bool) -> Result<u32, EngineError> {
    const KEY: &str = "credit_rules";
    if let Some(stored) = journal.meta(KEY)? {
        return stored
            .parse()
            .map_err(|_| EngineError::Config(format!("the store's {KEY} is not a number: {stored}")));
    }
    let rules = if fresh { CREDIT_RULES } else { 1 };
    journal.set_meta(KEY, &rules.to_string())?;
    Ok(rules)
}

/// The credit core's behaviour a new store is begun under (see [`credit_rules`]).
pub const CREDIT_RULES: u32 = 2;

pub(crate) fn serde_json_product(product: &Product) -> String {
    // Postcard is positional and stable for a given struct layout; the meta value is compared
    // as text, so use the same compact encoding every time.
    let bytes = postcard::to_stdvec(product).expect("a product encodes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
