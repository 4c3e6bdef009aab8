//! Partitions across processes (`EngineConfig::cluster`): an engine that owns a subset of the
//! partitions through leases in the store (`store::lease`), takes more when their owner stops
//! renewing, and knows where every other partition's owner takes requests.
//!
//! - **Start.** The engine lists the leases and acquires free ones (never leased, or expired)
//!   up to its fair share, `ceil(partitions / nodes)` where `nodes` is the larger of
//!   [`ClusterConfig::nodes`] and the live owners it sees. Each acquired partition is replayed
//!   (snapshot + journal) after its token was bumped, so every batch the previous owner got
//!   durable is in the replay and none it sends later can commit.
//! - **The lease thread** ([`run`]) ticks every third of the ttl: it renews every owned lease
//!   (a renewal refused means another process took it: the partition is given up at once),
//!   refreshes the owner map the API forwards by, and acquires partitions whose lease expired
//!   (their owner died: failover) or that nobody took within [`ClusterConfig::grace`] of
//!   this engine's start (a node that never came up).
//! - **Fencing.** Each owned partition's token is in `Shared`; the committer tells the journal
//!   before each append, and a refused (fenced) partition is given up (see `committer`).
//!
//! - **The leader.** One more lease, on the pseudo-partition [`LEADER`], names the process
//!   that runs the jobs that must run once per store (`Engine::leading`): the webhook
//!   scanner and sender, settlement's task, the funding reconciler, customer notifications,
//!   case auto-assignment. Whoever holds it renews it with its partitions; when it dies the
//!   first process to see it expired takes it.
//!
//! Not built: moving a live partition to a node that joined later (a handoff: drain, release,
//! acquire); a joining node takes only partitions nobody owns.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use store::{Backend, Claimant, Lease, Leases, StoreError};

use crate::clock::Clock;
use crate::committer::Sealed;
pub use crate::config::ClusterConfig;
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::keys::KeyClaims;
use crate::observe::QueueDepth;
use crate::recovery::recover;
use crate::shared::Shared;
use crate::snapshotter::SnapshotJob;
use crate::worker::{Inbox, Worker, run_writer};

impl ClusterConfig {
    fn claimant(&self) -> Claimant {
        Claimant {
            owner: self.node.clone(),
            url: self.advertise.clone(),
            ttl_ms: u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// The pseudo-partition whose lease names the cluster's leader (above any real partition:
/// `route::PARTITIONS_MAX` is 256).
pub const LEADER: u32 = 1 << 20;

/// Each partition's queue, `None` where this process does not own it.
pub(crate) type Inboxes = Arc<RwLock<Vec<Option<Inbox>>>>;

/// What the engine and the lease thread share about the cluster.
#[derive(Debug)]
pub(crate) struct ClusterState {
    pub config: ClusterConfig,
    /// The advertised URL of each partition's live owner, as of the last tick.
    owners: RwLock<Vec<Option<String>>>,
    /// The tokens of the leases this process holds.
    held: Mutex<BTreeMap<u32, u64>>,
    /// Whether this process holds the [`LEADER`] lease (shared with the engine).
    pub leading: Arc<AtomicBool>,
    leader_token: Mutex<Option<u64>>,
}

impl ClusterState {
    pub fn new(config: ClusterConfig, partitions: u32, leading: Arc<AtomicBool>) -> ClusterState {
        ClusterState {
            config,
            owners: RwLock::new(vec![None; partitions as usize]),
            held: Mutex::new(BTreeMap::new()),
            leading,
            leader_token: Mutex::new(None),
        }
    }

    /// Renews the leader lease if this process holds it, else tries to take it.
    fn lead(&self, leases: &mut dyn Leases) -> Result<(), StoreError> {
        let claimant = self.config.claimant();
        let mut token = self
            .leader_token
            .lock()
            .map_err(|_| StoreError::Backend("leader lock".into()))?;
        let kept = match *token {
            Some(held) => leases.renew(LEADER, &claimant, held)?.then_some(held),
            None => None,
        };
        *token = match kept {
            Some(held) => Some(held),
            None => leases.acquire(LEADER, &claimant)?.map(|l| l.token),
        };
        let leading = token.is_some();
        if self.leading.swap(leading, Ordering::AcqRel) != leading {
            tracing::info!(node = %self.config.node, leading, "cluster leadership changed");
        }
        Ok(())
    }

    /// Where `partition`'s owner takes requests, if it has a live one.
    pub fn owner_url(&self, partition: u32) -> Option<String> {
        self.owners.read().ok()?.get(partition as usize).cloned().flatten()
    }

    fn remember(&self, leases: &[Lease]) {
        if let Ok(mut owners) = self.owners.write() {
            owners.iter_mut().for_each(|o| *o = None);
            for lease in leases.iter().filter(|l| !l.expired()) {
                if let Some(slot) = owners.get_mut(lease.partition as usize) {
                    *slot = Some(lease.url.clone());
                }
            }
        }
    }

    pub fn held(&self) -> Vec<(u32, u64)> {
        self.held
            .lock()
            .map(|h| h.iter().map(|(&p, &t)| (p, t)).collect())
            .unwrap_or_default()
    }

    /// Lets every held lease expire now (a clean stop, after the last commit).
    pub fn release_all(&self, leases: &mut dyn Leases) {
        let leader = self.leader_token.lock().ok().and_then(|t| *t).map(|t| (LEADER, t));
        for (partition, token) in self.held().into_iter().chain(leader) {
            if let Err(error) = leases.release(partition, &self.config.node, token) {
                tracing::warn!(partition, %error, "a lease could not be released; it expires on its own");
            }
        }
    }
}

/// What starting a partition's writer needs (the engine's parts, shared with the lease thread).
pub(crate) struct Adopter {
    pub config: EngineConfig,
    pub backend: Arc<dyn Backend>,
    pub clock: Arc<dyn Clock>,
    pub shared: Arc<Shared>,
    pub keys: Arc<KeyClaims>,
    pub inboxes: Inboxes,
    pub commit: SyncSender<Sealed>,
    pub snapshots: SyncSender<SnapshotJob>,
    pub threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    pub cluster: Arc<ClusterState>,
}

impl Adopter {
    /// Acquires `partition` if it is free (or expired, or ours) and starts serving it.
    /// Returns whether this process now owns it.
    fn take(&self, leases: &mut dyn Leases, partition: u32) -> Result<bool, EngineError> {
        let Some(lease) = leases.acquire(partition, &self.cluster.config.claimant())? else {
            return Ok(false);
        };
        if let Err(error) = self.start_partition(partition, lease.token) {
            let _ = leases.release(partition, &self.cluster.config.node, lease.token);
            return Err(error);
        }
        tracing::info!(partition, token = lease.token, node = %self.cluster.config.node, "partition taken");
        Ok(true)
    }

    /// Replays `partition` (its token already bumped) and starts its writer thread.
    fn start_partition(&self, partition: u32, token: u64) -> Result<(), EngineError> {
        let mut journal = self.backend.journal()?;
        let recovered = recover(partition, &self.config, journal.as_mut())?;
        self.keys.restore_index(&recovered.idempotency);
        self.shared.set_committed(partition, recovered.seq);
        self.shared.set_fence(partition, token);
        let worker = Worker::new(
            recovered,
            self.commit.clone(),
            self.snapshots.clone(),
            journal,
            self.clock.clone(),
            self.shared.clone(),
            self.config.batch_max,
            self.config.snapshot_every_batches,
        );
        let (tx, rx) = sync_channel(self.config.queue_capacity);
        let depth = Arc::new(QueueDepth::default());
        let inbox = Inbox::new(partition, tx, depth.clone());
        let thread = std::thread::Builder::new()
            .name(format!("iou-writer-p{partition}"))
            .spawn(move || run_writer(vec![worker], rx, &depth))
            .map_err(|e| EngineError::Config(format!("starting a writer thread: {e}")))?;
        if let Ok(mut threads) = self.threads.lock() {
            threads.push(thread);
        }
        if let Ok(mut inboxes) = self.inboxes.write() {
            inboxes[partition as usize] = Some(inbox);
        }
        if let Ok(mut held) = self.cluster.held.lock() {
            held.insert(partition, token);
        }
        self.shared.set_owned(partition, true);
        Ok(())
    }

    /// Stops taking requests for `partition` (its lease is gone): the writer thread ends once
    /// its queue is drained, and the committer refuses what it seals.
    fn give_up(&self, partition: u32) {
        self.shared.set_owned(partition, false);
        if let Ok(mut inboxes) = self.inboxes.write() {
            inboxes[partition as usize] = None;
        }
        if let Ok(mut held) = self.cluster.held.lock() {
            held.remove(&partition);
        }
    }

    /// The start: free partitions up to the fair share.
    pub fn start(&self, leases: &mut dyn Leases) -> Result<(), EngineError> {
        let listed = leases.list()?;
        self.cluster.remember(&listed);
        let me = &self.cluster.config.node;
        let mut live: Vec<&str> = listed
            .iter()
            .filter(|l| !l.expired() && &l.owner != me)
            .map(|l| l.owner.as_str())
            .collect();
        live.sort_unstable();
        live.dedup();
        let nodes = (live.len() as u32 + 1).max(self.cluster.config.nodes).max(1);
        let share = self.config.partitions.div_ceil(nodes);
        let taken_by_others: Vec<u32> = listed
            .iter()
            .filter(|l| !l.expired() && &l.owner != me)
            .map(|l| l.partition)
            .collect();
        let mut mine = 0;
        for partition in 0..self.config.partitions {
            if mine >= share {
                break;
            }
            if !taken_by_others.contains(&partition) && self.take(leases, partition)? {
                mine += 1;
            }
        }
        self.cluster.lead(leases)?;
        let listed = leases.list()?;
        self.cluster.remember(&listed);
        Ok(())
    }

    /// One tick of the lease thread.
    fn tick(&self, leases: &mut dyn Leases, started: Instant) -> Result<(), EngineError> {
        let claimant = self.cluster.config.claimant();
        for (partition, token) in self.cluster.held() {
            if !self.shared.owned(partition) {
                // The committer found it fenced.
                self.give_up(partition);
            } else if !leases.renew(partition, &claimant, token)? {
                tracing::error!(partition, token, "lease lost to another process: partition given up");
                self.give_up(partition);
            }
        }
        let listed = leases.list()?;
        self.cluster.remember(&listed);
        let held = self.cluster.held();
        let late = started.elapsed() >= self.cluster.config.grace;
        for partition in 0..self.config.partitions {
            if held.iter().any(|&(p, _)| p == partition) {
                continue;
            }
            let expired = match listed.iter().find(|l| l.partition == partition) {
                Some(lease) => lease.expired(),
                None => late,
            };
            if expired && let Err(error) = self.take(leases, partition) {
                tracing::error!(partition, %error, "taking over a partition failed; retrying next tick");
            }
        }
        self.cluster.lead(leases)?;
        let listed = leases.list()?;
        self.cluster.remember(&listed);
        Ok(())
    }
}

/// The lease thread: a tick every third of the ttl until `stop`.
pub(crate) fn run(adopter: Adopter, mut leases: Box<dyn Leases>, stop: Arc<AtomicBool>) {
    let started = Instant::now();
    let every = adopter.cluster.config.ttl / 3;
    let mut next = Instant::now() + every;
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(50));
        if Instant::now() < next {
            continue;
        }
        next = Instant::now() + every;
        if let Err(error) = adopter.tick(leases.as_mut(), started) {
            tracing::warn!(%error, "lease tick failed; retrying");
        }
    }
}
