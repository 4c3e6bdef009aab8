//! Which partition owns what. Accounts hash to partitions; transaction and link ids carry their
//! partition in their low byte, so a merchant's capture by transaction id routes without a
//! lookup.

use credit::{AccountId, TxnId};

/// The most partitions an engine may have (ids keep the partition in one byte).
pub const PARTITIONS_MAX: u32 = 256;

// A fixed mix (one SplitMix64 step): stable across versions and platforms, so an account
// stays in its partition for the life of the store.
use seeded::splitmix64 as mix;

pub fn partition_of(account: AccountId, partitions: u32) -> u32 {
    (mix(account.0) % u64::from(partitions)) as u32
}

/// The partition an engine-assigned id (transaction, link) belongs to.
pub fn partition_of_id(id: u64) -> u32 {
    (id & 0xFF) as u32
}

/// The `counter`-th id assigned by `partition`.
pub fn make_id(counter: u64, partition: u32) -> u64 {
    debug_assert!(partition < PARTITIONS_MAX);
    (counter << 8) | u64::from(partition)
}

pub fn txn_partition(txn: TxnId) -> u32 {
    partition_of_id(txn.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_spread_over_partitions_and_never_move() {
        let mut counts = [0u32; 8];
        for id in 0..80_000u64 {
            counts[partition_of(AccountId(id), 8) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (9_000..11_000).contains(&c)), "{counts:?}");
        // Pinned: a change here would move existing accounts.
        assert_eq!(partition_of(AccountId(42), 64), 21);
    }

    #[test]
    fn ids_carry_their_partition() {
        let id = make_id(123_456, 17);
        assert_eq!(partition_of_id(id), 17);
        assert_eq!(id >> 8, 123_456);
    }
}
