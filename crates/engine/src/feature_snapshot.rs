//! Feature snapshots: the risk feature state of every partition and the store-wide shared state
//! (device, IP, merchant and card shards, merchant books, the link graph), taken at one cut, so
//! start-up restores it and observes only the journal after the cut instead of all of it.
//!
//! **One cut for the whole store.** Shared keys are fed by every partition, so their state is
//! consistent only with a position in *every* partition's journal at once. A feature snapshot
//! therefore holds, for each partition, the sequence `seq` of the last batch it had observed,
//! that partition's own feature state (user windows, sightings, own history, binding, orders) at
//! that batch, and the shared state as it stood with every partition parked at its `seq`
//! (`feature_cut`). It is written as one snapshot row under the reserved partition
//! [`FEATURES_PARTITION`] (the snapshot tables of every backend, no schema change), once the
//! journal is durable up to every `seq` in it (a cut never gets ahead of the journal).
//!
//! **Format.** [`MAGIC`], a version byte, the FNV-1a 64 checksum of the body (little endian),
//! then the postcard body. Structs are append-only; a new field comes with a new version whose
//! decoder fills it for the old one. A row that is missing, does not decode, fails its
//! checksum, names other partitions, or has a `seq` beyond a partition's journal is not used:
//! start-up then rebuilds the features by scanning the whole journal, as before snapshots.

use std::sync::PoisonError;

use risk::features::{
    BindingSnapshot, LinkGraph, LinkGraphSnapshot, SharedFeatureShard, SharedShardSnapshot, UserFeaturesSnapshot,
};
use serde::{Deserialize, Serialize};
use store::{Journal, Snapshot};

use crate::error::EngineError;
use crate::risk::{PartitionRisk, RiskShared};
use crate::risk_orders::{Order, Orders};

/// The snapshot row's partition: beyond every real partition (`route::PARTITIONS_MAX`).
pub(crate) const FEATURES_PARTITION: u32 = u32::MAX;
/// Marks a feature snapshot.
const MAGIC: &[u8; 8] = b"iou-feat";
/// The format written now.
const VERSION: u8 = 1;

/// Risk feature state in canonical bytes: each partition's own (by id) and the shared state.
/// Equal bytes mean equal state (maps are written sorted by key); tests compare a restart from
/// a feature snapshot with one that scanned the whole journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureState {
    pub partitions: Vec<Vec<u8>>,
    pub shared: Vec<u8>,
}

/// One partition's own feature state at `seq`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct PartitionFeatures {
    pub partition: u32,
    pub seq: u64,
    pub users: UserFeaturesSnapshot,
    pub binding: BindingSnapshot,
    pub orders: Vec<(credit::TxnId, Order)>,
    /// The time (ms) of the last record observed.
    pub last_ms: Option<i64>,
}

/// The store-wide shared state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct SharedFeatures {
    pub shards: Vec<SharedShardSnapshot>,
    pub graph: LinkGraphSnapshot,
}

/// A whole cut.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct FeatureSnapshot {
    /// Every partition, in order of id.
    pub partitions: Vec<PartitionFeatures>,
    pub shared: SharedFeatures,
}

impl FeatureSnapshot {
    /// The row's sequence: the sum of the partitions' (it grows with every cut that follows
    /// new batches, so the newest row is the newest cut).
    pub fn seq(&self) -> u64 {
        self.partitions.iter().map(|p| p.seq).sum()
    }
}

impl PartitionRisk {
    /// This partition's own feature state at `seq`.
    pub(crate) fn features_snapshot(&self, partition: u32, seq: u64) -> PartitionFeatures {
        PartitionFeatures {
            partition,
            seq,
            users: self.users.snapshot(),
            binding: self.binding.snapshot(),
            orders: self.orders.snapshot(),
            last_ms: self.last_at.map(|t| t.millis()),
        }
    }

    /// Replaces this partition's own feature state with `features`.
    pub(crate) fn restore_features(&mut self, features: PartitionFeatures) {
        let config = self.shared().config;
        self.users = risk::features::UserFeatureStore::restore(config.user, config.hash_seed, features.users);
        self.binding =
            risk::features::BindingStore::restore(risk::features::BINDING_LIMITS, config.hash_seed, features.binding);
        self.orders = Orders::restore(features.orders);
        self.last_at = features.last_ms.map(risk::Timestamp::from_millis);
    }
}

impl RiskShared {
    /// The shared state (each shard under its lock in turn: the caller makes sure no partition
    /// observes meanwhile, see `feature_cut`).
    pub(crate) fn features_snapshot(&self) -> SharedFeatures {
        let shards = self
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).snapshot())
            .collect();
        SharedFeatures {
            shards,
            graph: self.graph().snapshot(),
        }
    }

    /// Replaces the shared state with `features`; changes nothing if they do not fit.
    pub(crate) fn restore_features(&self, features: SharedFeatures) -> Result<(), &'static str> {
        if features.shards.len() != self.shards.len() {
            return Err("another number of shared shards");
        }
        let config = self.config;
        let graph = LinkGraph::restore(config.links, config.hash_seed, features.graph)?;
        let limits = [config.device, config.ip, config.merchant, config.card];
        for (slot, shard) in self.shards.iter().zip(features.shards) {
            let restored = SharedFeatureShard::restore(limits, config.hash_seed, shard);
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = restored;
        }
        *self.graph() = graph;
        Ok(())
    }
}

/// The snapshot's bytes (see the module docs).
pub(crate) fn encode(snapshot: &FeatureSnapshot) -> Result<Vec<u8>, postcard::Error> {
    let body = postcard::to_stdvec(snapshot)?;
    let mut bytes = Vec::with_capacity(body.len() + 17);
    bytes.extend_from_slice(MAGIC);
    bytes.push(VERSION);
    bytes.extend_from_slice(&fnv1a(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// A snapshot from its bytes, or why not.
pub(crate) fn decode(bytes: &[u8]) -> Result<FeatureSnapshot, String> {
    let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or("not a feature snapshot")?;
    let (version, rest) = rest.split_first().ok_or("no version")?;
    if *version != VERSION {
        return Err(format!("feature snapshot format {version} unknown to this build"));
    }
    let (sum, body) = rest.split_at_checked(8).ok_or("no checksum")?;
    if sum != fnv1a(body).to_le_bytes() {
        return Err("checksum differs".into());
    }
    postcard::from_bytes(body).map_err(|e| e.to_string())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash: u64, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Saves `snapshot` as the store's newest feature snapshot.
pub(crate) fn save(journal: &mut dyn Journal, snapshot: &FeatureSnapshot) -> Result<usize, EngineError> {
    let bytes = encode(snapshot).map_err(|e| EngineError::Corrupt(format!("feature snapshot: {e}")))?;
    let size = bytes.len();
    journal.save_snapshot(&Snapshot {
        partition: FEATURES_PARTITION,
        seq: snapshot.seq(),
        bytes,
    })?;
    Ok(size)
}

/// The store's newest feature snapshot that fits `seqs` (each partition's last journaled
/// batch), or none (start-up then scans the journal; the reason is logged).
pub(crate) fn load(journal: &mut dyn Journal, seqs: &[u64]) -> Result<Option<FeatureSnapshot>, EngineError> {
    let Some(row) = journal.load_snapshot(FEATURES_PARTITION)? else {
        return Ok(None);
    };
    let snapshot = match decode(&row.bytes) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            tracing::warn!(%error, "feature snapshot not readable: rebuilding features from the whole journal");
            return Ok(None);
        }
    };
    let fits = snapshot.partitions.len() == seqs.len()
        && snapshot
            .partitions
            .iter()
            .zip(seqs)
            .enumerate()
            .all(|(id, (p, &seq))| p.partition as usize == id && p.seq <= seq);
    if !fits {
        tracing::warn!("feature snapshot does not fit the journal: rebuilding features from the whole journal");
        return Ok(None);
    }
    Ok(Some(snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> FeatureSnapshot {
        FeatureSnapshot {
            partitions: vec![
                PartitionFeatures {
                    partition: 0,
                    seq: 7,
                    last_ms: Some(1_700_000_000_000),
                    ..PartitionFeatures::default()
                },
                PartitionFeatures {
                    partition: 1,
                    seq: 9,
                    ..PartitionFeatures::default()
                },
            ],
            shared: SharedFeatures {
                shards: vec![SharedShardSnapshot::default(); 3],
                graph: LinkGraphSnapshot::default(),
            },
        }
    }

    #[test]
    fn the_format_round_trips_and_its_row_sequence_is_the_sum() {
        let bytes = encode(&snapshot()).unwrap();
        assert!(bytes.starts_with(MAGIC));
        assert_eq!(bytes[MAGIC.len()], VERSION);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.seq(), 16);
        assert_eq!(back.partitions[0].last_ms, Some(1_700_000_000_000));
        assert_eq!(back.shared.shards.len(), 3);
    }

    #[test]
    fn damaged_or_unknown_bytes_are_refused_not_guessed_at() {
        let bytes = encode(&snapshot()).unwrap();
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x01;
            assert!(decode(&flipped).is_err(), "bit flipped at {at}");
        }
        let mut newer = bytes.clone();
        newer[MAGIC.len()] = VERSION + 1;
        assert!(decode(&newer).unwrap_err().contains("unknown"));
        // A partition snapshot is not a feature snapshot.
        assert!(decode(&[0xFF; 40]).is_err());
    }
}
