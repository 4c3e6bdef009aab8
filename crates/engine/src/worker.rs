//! The partition writers: drain the queue into a batch, apply every request to the
//! partition's state, seal the batch (encode it) and hand it to the committer, which replies
//! once the batch is durable. The next batch is applied while the previous one is being
//! written (pipelining); replies always wait for their own batch.
//!
//! A writer thread ([`run_writer`]) owns one or more partitions: they share the thread's queue,
//! and each keeps its own state, batch and sequence. A partition is still mutated by exactly
//! one thread; the number of threads only decides how partitions share the cores (see
//! `EngineConfig::writers`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::Duration;

use credit::{Account, AccountId, Event, MerchantId, TxnId};
use jiff::Timestamp;
use rustc_hash::FxHashSet;
use store::Journal;
use tokio::sync::oneshot;

use crate::clock::{Clock, journal_time};
use crate::committer::{Pending, Sealed};
use crate::idempotency::Idempotency;
use crate::idempotency::{Lookup, Seen};
use crate::observe::QueueDepth;
use crate::partition::Partition;
use crate::record::{BatchBody, Op, Record};
use crate::request::{Outcome, Reply, Request};
use crate::risk::{RiskContext, RiskRecord};
use crate::shared::Shared;
use crate::snapshotter::SnapshotJob;

mod advance;
mod replies;

use crate::block::block_of;
use replies::read_records;
pub(crate) use replies::reply_of;

/// What a partition's queue carries.
pub(crate) enum Msg {
    Request {
        request: Request,
        idempotency: Option<Idempotency>,
        context: Option<Box<RiskContext>>,
        reply: oneshot::Sender<Reply>,
    },
    /// The account as of now (after the requests queued before this one are durable).
    Account {
        account: AccountId,
        reply: oneshot::Sender<Option<Box<Account>>>,
    },
    /// Every account of the partition in collections as of now: days past due, or charged off
    /// with something still owed (collections' queue).
    Delinquent {
        reply: oneshot::Sender<Vec<Account>>,
    },
    /// A merchant's own transaction (its account and reference), if it is that merchant's.
    MerchantTxn {
        merchant: MerchantId,
        txn: TxnId,
        reply: oneshot::Sender<Option<crate::partition_payments::MerchantTxn>>,
    },
    /// The account of a merchant's link, if the link is that merchant's.
    LinkAccount {
        merchant: MerchantId,
        link: crate::ids::LinkId,
        reply: oneshot::Sender<Option<AccountId>>,
    },
    /// The credit profile of an account (scores and price tier), if it has one.
    Profile {
        account: AccountId,
        reply: oneshot::Sender<Option<crate::pricing::CreditProfile>>,
    },
    /// The cases of an account (or every case of the partition).
    Cases {
        account: Option<AccountId>,
        reply: oneshot::Sender<Vec<crate::cases::Case>>,
    },
    /// The devices, IPs and cards the account was seen with (its risk feature state).
    Sightings {
        account: AccountId,
        reply: oneshot::Sender<risk::features::Sightings>,
    },
    Snapshot,
    /// A feature snapshot's cut: every partition of the receiving writer thread joins it
    /// (`feature_cut`).
    FeatureCut(Arc<crate::cut::Cut>),
    /// The partition's state in canonical form (tests compare it with a replay's).
    State {
        reply: oneshot::Sender<crate::journal::PartitionState>,
    },
    /// Funding operations: one by id, or every pending one of the partition.
    Fundings {
        query: crate::funding::FundingQuery,
        reply: oneshot::Sender<Vec<crate::funding::Funding>>,
    },
}

/// Sealed batches kept in memory until surely durable, to answer idempotent retries without
/// reading the journal.
const RECENT_BATCHES: usize = 16;

/// The sending end of a partition's queue: its writer thread's queue, tagged with the partition,
/// and the count of messages waiting in it.
#[derive(Clone)]
pub(crate) struct Inbox {
    partition: u32,
    tx: SyncSender<(u32, Msg)>,
    depth: Arc<QueueDepth>,
}

impl Inbox {
    pub fn new(partition: u32, tx: SyncSender<(u32, Msg)>, depth: Arc<QueueDepth>) -> Inbox {
        Inbox { partition, tx, depth }
    }

    /// Like `SyncSender::try_send`: a refused message comes back, so the caller can retry it.
    #[allow(clippy::result_large_err)] // the message itself, handed back as std's channels do
    pub fn try_send(&self, msg: Msg) -> Result<(), TrySendError<Msg>> {
        // Counted before it can be received, so the writer never takes off more than was added.
        self.depth.add();
        self.tx.try_send((self.partition, msg)).map_err(|e| {
            self.depth.sub(1);
            match e {
                TrySendError::Full((_, msg)) => TrySendError::Full(msg),
                TrySendError::Disconnected((_, msg)) => TrySendError::Disconnected(msg),
            }
        })
    }
}

/// One writer thread: takes its queue in rounds (up to a batch of messages), hands each message
/// to its partition, then seals every partition that has work. Exits when the queue is closed
/// (the engine stopped) or a commit failed.
pub(crate) fn run_writer(mut workers: Vec<Worker>, inbox: Receiver<(u32, Msg)>, depth: &QueueDepth) {
    let Some((shared, batch_max)) = workers.first().map(|w| (w.shared.clone(), w.batch_max)) else {
        return;
    };
    let mut turn = 0;
    loop {
        // While a partition's daily advance is under way, the writer takes what is queued
        // without waiting, and one more slice of the advance each round.
        let first = if workers.iter().any(Worker::advancing) {
            match inbox.try_recv() {
                Ok(msg) => Some(msg),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => break,
            }
        } else {
            match inbox.recv_timeout(Duration::from_millis(500)) {
                Ok(msg) => Some(msg),
                Err(RecvTimeoutError::Timeout) => {
                    workers.iter_mut().for_each(Worker::expire);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        };
        if shared.failed.load(Ordering::Acquire) {
            break;
        }
        let mut taken = 0;
        if let Some(first) = first {
            dispatch(&mut workers, first);
            taken = 1;
            for _ in 1..batch_max {
                match inbox.try_recv() {
                    Ok(msg) => dispatch(&mut workers, msg),
                    Err(_) => break,
                }
                taken += 1;
            }
        }
        depth.sub(taken);
        // One slice per round for the whole thread, the partitions taking turns, so a round
        // never holds more than one slice of work besides its requests.
        let count = workers.len();
        if let Some(next) = (0..count).map(|i| (turn + i) % count).find(|&i| workers[i].advancing()) {
            workers[next].advance_step();
            turn = next + 1;
        }
        if !workers.iter_mut().all(Worker::seal) {
            break;
        }
    }
    // Whatever is still open dies with the thread: nothing in it was acknowledged.
}

/// A writer thread's part of a feature cut: seal, snapshot and copy the features of each of its
/// partitions, then park at the cut until the cutter releases it.
fn join_cut(workers: &mut [Worker], cut: &crate::cut::Cut) {
    let mut features = Vec::new();
    for worker in workers.iter_mut() {
        // A failed commit stops the thread anyway; the cut then times out.
        if !worker.seal() {
            return;
        }
        worker.snapshot_now();
        let partition = &worker.partition;
        if let Some(risk) = partition.risk.as_ref() {
            features.push(risk.features_snapshot(partition.id, partition.seq));
        }
    }
    cut.park(features);
}

fn dispatch(workers: &mut [Worker], (partition, msg): (u32, Msg)) {
    if let Msg::FeatureCut(cut) = msg {
        join_cut(workers, &cut);
        return;
    }
    // Every inbox is made for a partition of this thread (`Engine::start`).
    if let Some(worker) = workers.iter_mut().find(|w| w.partition.id == partition) {
        worker.handle(msg);
    }
}

pub(crate) struct Worker {
    pub partition: Partition,
    pub committer: SyncSender<Sealed>,
    pub snapshots: SyncSender<SnapshotJob>,
    pub journal: Box<dyn Journal>,
    pub clock: Arc<dyn Clock>,
    pub shared: Arc<Shared>,
    pub batch_max: usize,
    pub snapshot_every: u64,
    recent: VecDeque<(u64, Arc<BatchBody>)>,
    open: BatchBody,
    pending: Vec<Pending>,
    touched: FxHashSet<AccountId>,
    events: Vec<Event>,
    bytes: Vec<u8>,
    /// The daily advance under way, taken a slice per round (`advance.rs`).
    advance: Option<advance::AdvanceRun>,
}

impl Worker {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        partition: Partition,
        committer: SyncSender<Sealed>,
        snapshots: SyncSender<SnapshotJob>,
        journal: Box<dyn Journal>,
        clock: Arc<dyn Clock>,
        shared: Arc<Shared>,
        batch_max: usize,
        snapshot_every: u64,
    ) -> Worker {
        Worker {
            partition,
            committer,
            snapshots,
            journal,
            clock,
            shared,
            batch_max,
            snapshot_every,
            recent: VecDeque::new(),
            open: BatchBody::default(),
            pending: Vec::new(),
            touched: FxHashSet::default(),
            events: Vec::new(),
            bytes: Vec::new(),
            advance: None,
        }
    }

    /// Idle housekeeping: forget idempotency keys past their retention.
    fn expire(&mut self) {
        let now_us = self.clock.now().as_microsecond();
        self.partition.idempotency.expire(now_us);
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Request {
                request,
                idempotency,
                context,
                reply,
            } => {
                let reply = match (&request, &idempotency) {
                    (Request::Advance, None) => match self.start_advance(reply) {
                        Some(reply) => reply,
                        None => return,
                    },
                    _ => reply,
                };
                self.request(request, idempotency, context, reply)
            }
            Msg::Account { account, reply } => {
                let at =
                    journal_time(self.clock.now()).max(self.partition.book.last_at().unwrap_or(Timestamp::UNIX_EPOCH));
                let view = self
                    .partition
                    .book
                    .account_at(account, at)
                    .map(|a| Box::new(a.into_owned()));
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(view);
                })));
            }
            Msg::Delinquent { reply } => {
                let at =
                    journal_time(self.clock.now()).max(self.partition.book.last_at().unwrap_or(Timestamp::UNIX_EPOCH));
                let found = self.partition.delinquent(at);
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(found);
                })));
            }
            Msg::MerchantTxn { merchant, txn, reply } => {
                let owner = self.partition.merchant_txn(merchant, txn);
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(owner);
                })));
            }
            Msg::LinkAccount { merchant, link, reply } => {
                let account = self.partition.link_account(merchant, link);
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(account);
                })));
            }
            Msg::Profile { account, reply } => {
                let profile = self.partition.profile(account);
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(profile);
                })));
            }
            Msg::Cases { account, reply } => {
                let cases: Vec<_> = match account {
                    Some(account) => self.partition.cases_of(account).cloned().collect(),
                    None => self.partition.cases.values().cloned().collect(),
                };
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(cases);
                })));
            }
            Msg::Sightings { account, reply } => {
                let seen = self
                    .partition
                    .risk
                    .as_ref()
                    .map(|r| r.sightings(account))
                    .unwrap_or_default();
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(seen);
                })));
            }
            Msg::State { reply } => {
                let state = crate::journal::PartitionState::of(&self.partition);
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(state);
                })));
            }
            Msg::Fundings { query, reply } => {
                let found = self.partition.fundings_for(query);
                self.pending.push(Pending::Other(Box::new(move || {
                    let _ = reply.send(found);
                })));
            }
            // The open batch's requests are applied to the state but have no sequence yet: seal
            // them first, or the snapshot would hold them under the previous batch's sequence
            // and a restart would apply them again from the journal.
            Msg::Snapshot => {
                if self.seal() {
                    self.snapshot();
                }
            }
            // `dispatch` hands a cut to every partition of the thread at once; alone, this one.
            Msg::FeatureCut(cut) => join_cut(std::slice::from_mut(self), &cut),
        }
    }

    fn request(
        &mut self,
        request: Request,
        idempotency: Option<Idempotency>,
        context: Option<Box<RiskContext>>,
        reply: oneshot::Sender<Reply>,
    ) {
        let seq = self.partition.seq + 1;
        if let Some(key) = &idempotency {
            match self.partition.idempotency.lookup(key) {
                Lookup::New => {}
                Lookup::Same(seen) => {
                    let stored = self.stored_reply(seen);
                    self.pending.push(Pending::Reply(reply, stored));
                    return;
                }
                Lookup::Conflict => {
                    let at = journal_time(self.clock.now());
                    let conflict = Reply {
                        partition: self.partition.id,
                        seq,
                        index: 0,
                        at,
                        outcome: Outcome::Conflict,
                        replayed: false,
                        risk: None,
                    };
                    self.pending.push(Pending::Reply(reply, conflict));
                    return;
                }
            }
        }
        let theft_confirmation = self.is_theft_confirmation(&request);
        if matches!(request, Request::ExemptFraud { .. } | Request::ReportTheft { .. }) || theft_confirmation {
            // What the journal is read for must include every earlier command: make them
            // durable first.
            if !self.seal() || !self.wait_durable(self.partition.seq) {
                return;
            }
        }
        let seq = self.partition.seq + 1;
        let at = self.partition.next_at(self.clock.now());
        let journal = &mut self.journal;
        let partition_id = self.partition.id;
        let resolved = self.partition.resolve(&request, &mut |account| {
            read_records(journal.as_mut(), partition_id, account)
        });
        self.events.clear();
        let mut notices = Vec::new();
        let (op, outcome, risk) = match resolved {
            Ok(op) => {
                let risk = self.partition.assess(&op, context.as_deref(), at);
                match risk.as_ref().and_then(|r| block_of(&op, r)) {
                    Some(rejection) => {
                        self.partition.note_ids(&op);
                        (op, Err(rejection), risk)
                    }
                    _ => {
                        let outcome = self
                            .partition
                            .apply_op(&op, at, risk.as_ref(), &mut self.events, &mut notices);
                        (op, outcome, risk)
                    }
                }
            }
            Err(rejection) => (Op::Refused, Err(rejection), None),
        };
        self.note_touched(&op);
        let index = self.open.records.len() as u32;
        if let Some(key) = &idempotency {
            let seen = Seen {
                request: key.request,
                seq,
                index,
                at_us: at.as_microsecond(),
            };
            self.partition.idempotency.insert(key, seen);
        }
        let events = std::mem::take(&mut self.events);
        let record = Record {
            at_us: at.as_microsecond(),
            op,
            outcome,
            events,
            idempotency,
            risk,
            notices,
        };
        self.partition.observe_facts(&record);
        let answer = reply_of(self.partition.id, seq, index, &record, false);
        let follow_ups = if record.outcome.is_ok() || record.risk.is_some() {
            self.partition.follow_ups(&record, at)
        } else {
            Vec::new()
        };
        self.open.records.push(record);
        self.pending.push(Pending::Reply(reply, answer));
        for (op, risk) in follow_ups {
            self.follow_up(op, risk, at);
        }
    }

    /// Whether a request confirms a theft case (its exemption reads the journal).
    fn is_theft_confirmation(&self, request: &Request) -> bool {
        matches!(request, Request::ResolveCase { case, confirm: true }
            if self.partition.case(*case).is_some_and(|c| c.kind == crate::cases::CaseKind::Theft && c.status == crate::cases::CaseStatus::Open))
    }

    /// Journals and applies a consequence the engine decided (an interception, an exemption).
    fn follow_up(&mut self, op: Op, risk: Option<RiskRecord>, at: Timestamp) {
        self.events.clear();
        let mut notices = Vec::new();
        let outcome = self
            .partition
            .apply_op(&op, at, risk.as_ref(), &mut self.events, &mut notices);
        if let Err(rejection) = &outcome {
            tracing::warn!(?rejection, "a follow-up op was refused");
        }
        self.note_touched(&op);
        let events = std::mem::take(&mut self.events);
        let record = Record {
            at_us: at.as_microsecond(),
            op,
            outcome,
            events,
            idempotency: None,
            risk,
            notices,
        };
        self.partition.observe_facts(&record);
        self.open.records.push(record);
    }

    fn note_touched(&mut self, op: &Op) {
        if let Some(command) = op.credit_command()
            && let Some(account) = command.account()
        {
            self.touched.insert(account);
        }
        for event in &self.events {
            self.touched.insert(event.account());
        }
    }

    /// Seals the open batch (if it holds anything) and hands it to the committer. Returns false
    /// when the engine has stopped.
    pub(crate) fn seal(&mut self) -> bool {
        if self.open.records.is_empty() && self.pending.is_empty() {
            return true;
        }
        let records = self.open.records.len();
        let seq = if self.open.records.is_empty() {
            None
        } else {
            let at = self.partition.book.last_at().unwrap_or(Timestamp::UNIX_EPOCH);
            self.open.accounts.clear();
            for account in self.touched.drain() {
                if let Some(view) = self.partition.book.account_at(account, at) {
                    self.open
                        .accounts
                        .push((account, view.balances(self.partition.book.product())));
                }
            }
            self.open.accounts.sort_by_key(|(a, _)| *a);
            self.open.encode(&mut self.bytes);
            self.partition.seq += 1;
            let body = Arc::new(std::mem::take(&mut self.open));
            self.recent.push_back((self.partition.seq, body));
            if self.recent.len() > RECENT_BATCHES {
                self.recent.pop_front();
            }
            Some(self.partition.seq)
        };
        let sealed = Sealed {
            partition: self.partition.id,
            seq,
            bytes: std::mem::take(&mut self.bytes),
            pending: std::mem::take(&mut self.pending),
            records,
        };
        if self.committer.send(sealed).is_err() {
            return false;
        }
        if let Some(seq) = seq
            && self.snapshot_every > 0
            && seq % self.snapshot_every == 0
        {
            self.snapshot();
        }
        true
    }

    fn wait_durable(&self, seq: u64) -> bool {
        self.shared.wait_committed(self.partition.id, seq)
    }

    /// Asks the snapshot thread for a snapshot of the partition as it stands (sealed first).
    pub(crate) fn snapshot_now(&mut self) {
        self.snapshot();
    }

    fn snapshot(&mut self) {
        let job = SnapshotJob {
            partition: self.partition.id,
            state: self.partition.snapshot(),
        };
        match self.snapshots.try_send(job) {
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => tracing::warn!("snapshot thread is gone"),
        }
    }
}
