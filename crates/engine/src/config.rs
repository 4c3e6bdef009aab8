//! [`EngineConfig`]: how the engine runs (partitions, threads, queues, batches, snapshots, the
//! product and time zone, risk, who is told of commits).

use std::sync::Arc;

use credit::Product;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::observe::CommitObserver;
use crate::risk::RiskShared;

/// How the engine runs. The partition count and the product are fixed when the store is
/// created: the journal can only be replayed under the rules that wrote it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Partitions; 0 takes the count the store was created with (the default for a new store).
    pub partitions: u32,
    /// Writer threads the partitions share (partition `p` is written by thread `p % writers`);
    /// 0 picks one per two cores (at least one, at most one per partition). Unlike
    /// `partitions` it can change between runs: it only decides how partitions share cores.
    pub writers: u32,
    /// Requests queued per partition before answering "busy". The partitions of one writer
    /// thread share its queue, which holds this many times their number.
    pub queue_capacity: usize,
    /// The most requests in one batch.
    pub batch_max: usize,
    /// Sealed batches a partition may have waiting for the committer.
    pub inflight_batches: usize,
    /// A snapshot every this many batches of a partition (0: only on request).
    pub snapshot_every_batches: u64,
    /// Risk feature snapshots (`feature_snapshot`): start-up restores the newest and observes
    /// only the journal after it, and the engine takes them on the schedule below. Off: start-up
    /// rebuilds features by scanning the whole journal and none is taken.
    pub feature_snapshots: bool,
    /// A feature snapshot once this many batches were committed since the last one, all
    /// partitions together (0: not by count). Start-up observes at most about this many
    /// batches again (plus what came during the last cut).
    pub feature_snapshot_every_batches: u64,
    /// A feature snapshot this many seconds after the last one, if batches came meanwhile
    /// (0: not by time).
    pub feature_snapshot_every_secs: u64,
    /// Run the daily advance after local midnight.
    pub schedule: bool,
    /// Keep the read models up to date.
    pub project: bool,
    #[serde(skip)]
    pub product: Product,
    #[serde(skip, default = "default_zone")]
    pub zone: TimeZone,
    /// Risk control: rules and shared features. `None` runs without risk decisions.
    #[serde(skip)]
    pub risk: Option<Arc<RiskShared>>,
    /// Hold payments decided `review` (a `payment_review` case, capture refused until an
    /// analyst releases it). On by default, in simulations too (the simulator's payment-review
    /// desk works the `payment_review` queue). A live decision only: replay never reads it.
    pub hold_reviewed_payments: bool,
    /// How long a payment held for review waits for an analyst: the first daily advance after
    /// it declines the payment (the hold is voided). Seconds; default 24 h.
    pub review_timeout_secs: u64,
    /// Told of every group commit (the API's metrics); `None` tells no one.
    #[serde(skip)]
    pub observer: Option<Arc<dyn CommitObserver>>,
    /// Own only some partitions, through leases in a shared store (`cluster`); `None` (the
    /// default) owns them all, as the only process on its store.
    #[serde(skip)]
    pub cluster: Option<ClusterConfig>,
}

impl EngineConfig {
    /// The writer threads this configuration runs (see [`EngineConfig::writers`]).
    pub fn writer_threads(&self) -> u32 {
        let wanted = match self.writers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get() as u32 / 2),
            n => n,
        };
        wanted.clamp(1, self.partitions.max(1))
    }
}

/// This process's place in a cluster (`crate::cluster`; `iou serve --cluster`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// The node id the leases name (unique per process; a restart may reuse it).
    pub node: String,
    /// Where other processes forward this one's requests, e.g. `http://10.0.0.7:8080`.
    pub advertise: String,
    /// How long a lease lasts unrenewed: the longest a dead owner's partitions wait.
    pub ttl: std::time::Duration,
    /// The nodes expected (the fair share at start is `partitions / nodes`, rounded up).
    pub nodes: u32,
    /// A partition nobody leased this long after start is taken by whoever sees it.
    pub grace: std::time::Duration,
}

fn default_zone() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(8))
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            partitions: 8,
            writers: 0,
            queue_capacity: 16_384,
            batch_max: 4_096,
            inflight_batches: 4,
            snapshot_every_batches: 50_000,
            feature_snapshots: true,
            feature_snapshot_every_batches: 20_000,
            feature_snapshot_every_secs: 300,
            schedule: true,
            project: true,
            product: Product::default(),
            zone: default_zone(),
            risk: None,
            hold_reviewed_payments: true,
            review_timeout_secs: crate::cases::REVIEW_TIMEOUT.as_secs() as u64,
            observer: None,
            cluster: None,
        }
    }
}
