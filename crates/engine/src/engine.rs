//! [`Engine`]: starts the threads, routes requests to partitions, and stops cleanly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{TrySendError, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use store::Backend;
use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::cluster::{Adopter, ClusterState, Inboxes};
use crate::committer::Committer;
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::feature_cut::{self, Cutter};
use crate::idempotency::Idempotency;
use crate::keys::{Claim, KeyClaims};
use crate::observe::{Gauges, QueueDepth};
use crate::recovery::recover_all;
use crate::request::{Reply, Request, SubmitError};
use crate::risk::{RiskContext, RiskShared};
use crate::route::PARTITIONS_MAX;
use crate::shared::Shared;
use crate::store_meta::{check_meta, credit_rules, serde_json_product, stored_partitions};
use crate::worker::{Inbox, Msg, Worker, run_writer};
use crate::{cluster, projector, scheduler, snapshotter};

mod queries;

/// A running engine. Dropping it stops it (after the queued work is durable and answered).
pub struct Engine {
    /// Each partition's queue; `None` for a partition another process owns (a cluster).
    inboxes: Inboxes,
    /// Messages waiting in each writer thread's queue.
    queues: Vec<Arc<QueueDepth>>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// The writer threads of partitions taken while running (a cluster's failover).
    adopted: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// Leases and owners, in a cluster.
    cluster: Option<Arc<ClusterState>>,
    /// Whether this process runs the once-per-store jobs (always, outside a cluster).
    leading: Arc<AtomicBool>,
    backend: Arc<dyn Backend>,
    config: EngineConfig,
    /// Idempotency keys claimed system-wide (see `keys`).
    keys: Arc<KeyClaims>,
    clock: Arc<dyn Clock>,
    /// Takes feature snapshots (one process owning every partition, with risk).
    cutter: Option<Arc<Cutter>>,
    features_from: Option<u64>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("partitions", &self.config.partitions)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Recovers every partition from the store and starts the threads.
    pub fn start(
        config: EngineConfig,
        backend: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine, EngineError> {
        let mut config = config;
        let mut journal = backend.journal()?;
        if config.partitions == 0 {
            config.partitions = stored_partitions(journal.as_mut())?;
        }
        if config.partitions == 0 || config.partitions > PARTITIONS_MAX {
            return Err(EngineError::Config(format!("partitions must be 1..={PARTITIONS_MAX}")));
        }
        let fresh = journal.meta("partitions")?.is_none();
        check_meta(journal.as_mut(), "partitions", &config.partitions.to_string())?;
        config.product.statements_after_charge_off = credit_rules(journal.as_mut(), fresh)? >= 2;
        let product_json = serde_json_product(&config.product);
        check_meta(journal.as_mut(), "product", &product_json)?;

        // A cluster member replays only the partitions it gets leases on (below).
        let (mut partitions, mut features_from) = (Vec::new(), None);
        if config.cluster.is_none() {
            (partitions, features_from) = recover_all(&config, journal.as_mut())?;
        }
        let leases = config.cluster.as_ref().map(|_| backend.leases()).transpose()?;
        let keys = Arc::new(KeyClaims::new(config.partitions));
        for partition in &partitions {
            keys.restore_index(&partition.idempotency);
        }
        let mut committed = vec![0; config.partitions as usize];
        for p in &partitions {
            committed[p.id as usize] = p.seq;
        }
        let shared = Arc::new(Shared::new(&committed));
        if config.cluster.is_some() {
            (0..config.partitions).for_each(|p| shared.set_owned(p, false));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();

        let (project_tx, project_rx) = sync_channel::<()>(1);
        if config.project {
            let (j, m, s) = (backend.journal()?, backend.read_models()?, shared.clone());
            threads.push(spawn("iou-projector", move || projector::run(project_rx, j, m, s)));
        }
        let (commit_tx, commit_rx) = sync_channel(config.partitions as usize * config.inflight_batches.max(1));
        let committer = Committer {
            inbox: commit_rx,
            journal,
            shared: shared.clone(),
            on_commit: Box::new(move || {
                let _ = project_tx.try_send(());
            }),
            observer: config.observer.clone(),
        };
        threads.push(spawn("iou-committer", move || committer.run()));

        let (snap_tx, snap_rx) = sync_channel(config.partitions as usize);
        let (j, s) = (backend.journal()?, shared.clone());
        threads.push(spawn("iou-snapshots", move || snapshotter::run(snap_rx, j, s)));

        let writers = config.writer_threads();
        let mut groups: Vec<Vec<Worker>> = (0..writers).map(|_| Vec::new()).collect();
        for partition in partitions {
            let thread = (partition.id % writers) as usize;
            groups[thread].push(Worker::new(
                partition,
                commit_tx.clone(),
                snap_tx.clone(),
                backend.journal()?,
                clock.clone(),
                shared.clone(),
                config.batch_max,
                config.snapshot_every_batches,
            ));
        }
        let mut inboxes: Vec<Option<Inbox>> = vec![None; config.partitions as usize];
        let mut queues = Vec::new();
        for (thread, workers) in groups.into_iter().enumerate() {
            let (tx, rx) = sync_channel(config.queue_capacity.saturating_mul(workers.len()));
            let depth = Arc::new(QueueDepth::default());
            for worker in &workers {
                let inbox = Inbox::new(worker.partition.id, tx.clone(), depth.clone());
                inboxes[worker.partition.id as usize] = Some(inbox);
            }
            queues.push(depth.clone());
            threads.push(spawn(&format!("iou-writer-{thread}"), move || {
                run_writer(workers, rx, &depth)
            }));
        }
        let inboxes: Inboxes = Arc::new(RwLock::new(inboxes));
        let adopted = Arc::new(Mutex::new(Vec::new()));
        let leading = Arc::new(AtomicBool::new(config.cluster.is_none()));
        let cluster = match (config.cluster.clone(), leases) {
            (Some(cluster_config), Some(mut leases)) => {
                let state = Arc::new(ClusterState::new(cluster_config, config.partitions, leading.clone()));
                let adopter = Adopter {
                    config: config.clone(),
                    backend: backend.clone(),
                    clock: clock.clone(),
                    shared: shared.clone(),
                    keys: keys.clone(),
                    inboxes: inboxes.clone(),
                    commit: commit_tx.clone(),
                    snapshots: snap_tx.clone(),
                    threads: adopted.clone(),
                    cluster: state.clone(),
                };
                adopter.start(leases.as_mut())?;
                let s = stop.clone();
                threads.push(spawn("iou-leases", move || cluster::run(adopter, leases, s)));
                Some(state)
            }
            _ => None,
        };
        drop(commit_tx);
        drop(snap_tx);
        let cutter = match (&config.risk, config.cluster.is_none()) {
            (Some(risk), true) => Some(Arc::new(Cutter {
                inboxes: inboxes.clone(),
                risk: risk.clone(),
                shared: shared.clone(),
                backend: backend.clone(),
                partitions: config.partitions,
                writers,
                busy: Mutex::new(()),
            })),
            _ => None,
        };
        let schedule = feature_cut::Schedule {
            every_batches: config.feature_snapshot_every_batches,
            every: (config.feature_snapshot_every_secs > 0)
                .then(|| std::time::Duration::from_secs(config.feature_snapshot_every_secs)),
        };
        let scheduled = config.feature_snapshots && (schedule.every_batches > 0 || schedule.every.is_some());
        if let Some(cutter) = cutter.clone().filter(|_| scheduled) {
            let s = stop.clone();
            threads.push(spawn("iou-feature-snapshots", move || {
                feature_cut::run(&cutter, schedule, s)
            }));
        }
        if config.schedule {
            let (i, c, z, s) = (inboxes.clone(), clock.clone(), config.zone.clone(), stop.clone());
            threads.push(spawn("iou-scheduler", move || scheduler::run(i, c, z, s)));
        }
        tracing::info!(partitions = config.partitions, store = %backend.describe(), "engine started");
        Ok(Engine {
            inboxes,
            queues,
            shared,
            stop,
            threads,
            adopted,
            cluster,
            leading,
            backend,
            config,
            keys,
            clock,
            cutter,
            features_from,
        })
    }

    /// The system-wide idempotency claims: the API claims the keys of calls that never reach a
    /// partition here, so one key means one effect whatever route spends it.
    pub fn keys(&self) -> &Arc<KeyClaims> {
        &self.keys
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn partitions(&self) -> u32 {
        self.config.partitions
    }

    /// Queues a request; the receiver gets the reply once it is durable.
    pub fn submit(
        &self,
        request: Request,
        idempotency: Option<Idempotency>,
    ) -> Result<oneshot::Receiver<Reply>, SubmitError> {
        self.submit_with(request, idempotency, None)
    }

    /// Queues a request with what risk should know about where it came from.
    pub fn submit_with(
        &self,
        request: Request,
        idempotency: Option<Idempotency>,
        context: Option<RiskContext>,
    ) -> Result<oneshot::Receiver<Reply>, SubmitError> {
        let Some(partition) = request.partition(self.config.partitions) else {
            return Err(SubmitError::Unavailable);
        };
        if partition >= self.config.partitions {
            // A forged transaction or link id: it cannot be ours.
            let (tx, rx) = oneshot::channel();
            let _ = tx.send(Reply {
                partition,
                seq: 0,
                index: 0,
                at: jiff::Timestamp::UNIX_EPOCH,
                outcome: crate::request::Outcome::Rejected {
                    rejection: match request {
                        Request::Authorize { .. } => crate::rejection::EngineRejection::LinkNotFound,
                        Request::UpdateFunding(_) => crate::rejection::EngineRejection::FundingNotFound,
                        _ => crate::rejection::EngineRejection::TxnNotFound,
                    },
                },
                replayed: false,
                risk: None,
            });
            return Ok(rx);
        }
        let claimed = match &idempotency {
            Some(key) => match self.keys.claim(key, self.clock.now().as_microsecond()) {
                Claim::New => true,
                Claim::Same => false,
                Claim::Conflict => return Ok(conflict(partition)),
            },
            None => false,
        };
        let (reply, receiver) = oneshot::channel();
        let context = context.map(Box::new);
        let sent = self.send(
            partition,
            Msg::Request {
                request,
                idempotency,
                context,
                reply,
            },
        );
        if let (Err(_), true, Some(key)) = (&sent, claimed, &idempotency) {
            self.keys.release(key);
        }
        sent?;
        Ok(receiver)
    }

    /// The risk state every partition shares (for rule reloads and list updates).
    pub fn risk(&self) -> Option<&Arc<RiskShared>> {
        self.config.risk.as_ref()
    }

    /// Sends every partition an `Advance` (the scheduler does this after midnight; the
    /// simulator and tests call it themselves).
    pub fn advance(&self) -> Result<Vec<oneshot::Receiver<Reply>>, SubmitError> {
        self.owned()
            .into_iter()
            .map(|p| {
                let (reply, receiver) = oneshot::channel();
                let request = Request::Advance;
                self.send(
                    p,
                    Msg::Request {
                        request,
                        idempotency: None,
                        context: None,
                        reply,
                    },
                )?;
                Ok(receiver)
            })
            .collect()
    }

    /// Asks every partition for a snapshot now.
    pub fn snapshot(&self) {
        for p in self.owned() {
            let _ = self.send(p, Msg::Snapshot);
        }
    }

    /// Takes a feature snapshot now and waits until it is saved (see `feature_cut`): true if one
    /// was saved; false without risk, in a cluster, with feature snapshots off, or when a
    /// writer did not join the cut in time.
    pub fn snapshot_features(&self) -> Result<bool, EngineError> {
        match &self.cutter {
            Some(cutter) if self.config.feature_snapshots => Ok(cutter.cut()?.is_some()),
            _ => Ok(false),
        }
    }

    /// Every partition's and the shared risk feature state as it stands, in canonical bytes
    /// (equal bytes: equal state); none when [`Engine::snapshot_features`] could not run.
    pub fn feature_state(&self) -> Result<Option<crate::FeatureState>, EngineError> {
        match &self.cutter {
            Some(cutter) => cutter.state(),
            None => Ok(None),
        }
    }

    /// The feature snapshot start-up restored (the sum of its partitions' sequences), if it
    /// restored one rather than scanning the whole journal.
    pub fn feature_snapshot_used(&self) -> Option<u64> {
        self.features_from
    }

    /// Whether the engine stopped after a storage failure.
    pub fn failed(&self) -> bool {
        self.shared.failed.load(Ordering::Acquire)
    }

    /// The engine's gauges now (see `observe`): a few atomic loads, no IO, no lock.
    pub fn gauges(&self) -> Gauges {
        let committed = self.shared.committed_all();
        Gauges {
            queues: self.queues.iter().map(|q| q.get()).collect(),
            projection: self.config.project.then(|| self.shared.projection(&committed)),
            committed,
            failed: self.failed() || self.stop.load(Ordering::Acquire),
            stopped_threads: self
                .threads
                .iter()
                .filter(|t| t.is_finished())
                .map(|t| t.thread().name().unwrap_or("an engine thread").to_owned())
                .collect(),
        }
    }

    fn send(&self, partition: u32, msg: Msg) -> Result<(), SubmitError> {
        if self.failed() {
            return Err(SubmitError::Unavailable);
        }
        let inboxes = self.inboxes.read().map_err(|_| SubmitError::Unavailable)?;
        let inbox = match inboxes.get(partition as usize) {
            Some(Some(inbox)) if self.shared.owned(partition) => inbox,
            _ if self.cluster.is_some() && !self.stop.load(Ordering::Acquire) => {
                return Err(SubmitError::NotOwned { partition });
            }
            _ => return Err(SubmitError::Unavailable),
        };
        match inbox.try_send(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(SubmitError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(SubmitError::Unavailable),
        }
    }

    /// The partitions this process owns now (all of them outside a cluster), in order.
    pub fn owned(&self) -> Vec<u32> {
        (0..self.config.partitions).filter(|&p| self.shared.owned(p)).collect()
    }

    /// Where the process owning `partition` takes requests (`None` outside a cluster, for a
    /// partition this process owns, or while no process holds a live lease on it).
    pub fn owner_url(&self, partition: u32) -> Option<String> {
        if self.shared.owned(partition) {
            return None;
        }
        self.cluster.as_ref()?.owner_url(partition)
    }

    /// Whether this process should run the jobs that run once per store (webhooks,
    /// settlement, reconciliation, notifications): always outside a cluster, the leader's in
    /// one (see `cluster`). Read it at every round: leadership moves when a leader dies.
    pub fn leading(&self) -> Arc<AtomicBool> {
        self.leading.clone()
    }

    /// This process's node id in a cluster.
    pub fn node(&self) -> Option<&str> {
        self.cluster.as_ref().map(|c| c.config.node.as_str())
    }

    /// Stops taking requests, lets queued ones become durable and answered, and joins every
    /// thread.
    pub fn shutdown(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Ok(mut inboxes) = self.inboxes.write() {
            inboxes.iter_mut().for_each(|i| *i = None);
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        let adopted: Vec<JoinHandle<()>> = self
            .adopted
            .lock()
            .map(|mut a| a.drain(..).collect())
            .unwrap_or_default();
        for thread in adopted {
            let _ = thread.join();
        }
        // Every batch is durable or answered as failed: the leases may go now.
        if let Some(cluster) = &self.cluster {
            match self.backend.leases() {
                Ok(mut leases) => cluster.release_all(leases.as_mut()),
                Err(error) => tracing::warn!(%error, "leases not released; they expire on their own"),
            }
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

/// The answer to a request under a key claimed for another request: nothing was recorded.
fn conflict(partition: u32) -> oneshot::Receiver<Reply> {
    let (tx, rx) = oneshot::channel();
    let _ = tx.send(Reply {
        partition,
        seq: 0,
        index: 0,
        at: jiff::Timestamp::UNIX_EPOCH,
        outcome: crate::request::Outcome::Conflict,
        replayed: false,
        risk: None,
    });
    rx
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("a thread starts")
}
