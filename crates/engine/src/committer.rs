//! The committer thread: group commit. It takes every sealed batch the partitions have
//! handed over, appends them to the journal in one durable transaction, then sends the replies
//! of those batches. A failed append stops the engine: partitions may hold effects that were
//! never made durable, so nothing more may be acknowledged until a restart replays the journal.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use store::{BatchRef, Journal, StoreError};
use tokio::sync::oneshot;

use crate::observe::{CommitGroup, CommitObserver};
use crate::rejection::EngineRejection;
use crate::request::{Outcome, Reply};
use crate::shared::Shared;

/// A reply to send once its batch is durable.
pub(crate) enum Pending {
    Reply(oneshot::Sender<Reply>, Reply),
    Other(Box<dyn FnOnce() + Send>),
}

/// A partition's sealed batch (or, with `seq` None, only replies that must follow the earlier
/// batches).
pub(crate) struct Sealed {
    pub partition: u32,
    pub seq: Option<u64>,
    pub bytes: Vec<u8>,
    pub pending: Vec<Pending>,
    /// Journal records in the batch.
    pub records: usize,
}

/// The most sealed batches written in one transaction.
const GROUP_MAX: usize = 1024;

pub(crate) struct Committer {
    pub inbox: Receiver<Sealed>,
    pub journal: Box<dyn Journal>,
    pub shared: Arc<Shared>,
    /// Called after each durable group (the projector's wake-up).
    pub on_commit: Box<dyn Fn() + Send>,
    /// Told of each durable group that wrote something (`EngineConfig::observer`).
    pub observer: Option<Arc<dyn CommitObserver>>,
}

impl Committer {
    /// Appends the group's batches. In a cluster a batch of a partition this process no longer
    /// owns (lease lost, or a commit of it refused as fenced) is never written: its requests
    /// are answered as failed and dropped from the group, and the rest is written.
    fn append(&mut self, group: &mut Vec<Sealed>) -> (Result<(), StoreError>, usize) {
        loop {
            let (lost, kept): (Vec<Sealed>, Vec<Sealed>) =
                group.drain(..).partition(|s| !self.shared.owned(s.partition));
            *group = kept;
            fail_all(lost.into_iter());
            let refs: Vec<BatchRef<'_>> = group
                .iter()
                .filter_map(|s| {
                    s.seq.map(|seq| BatchRef {
                        partition: s.partition,
                        seq,
                        bytes: &s.bytes,
                    })
                })
                .collect();
            for r in &refs {
                let token = self.shared.fence(r.partition);
                if token > 0 {
                    self.journal.fence(r.partition, Some(token));
                }
            }
            let written = refs.len();
            let result = if refs.is_empty() {
                Ok(())
            } else {
                self.journal.append(&refs)
            };
            match result {
                Err(StoreError::Fenced {
                    partition,
                    token,
                    current,
                }) => {
                    // Another process took the partition: this one's state of it may hold
                    // effects never made durable, so its writer stops for good here.
                    tracing::error!(
                        partition,
                        token,
                        current,
                        "partition fenced: another process owns it now"
                    );
                    self.shared.set_owned(partition, false);
                }
                other => return (other, written),
            }
        }
    }

    pub fn run(mut self) {
        let mut group: Vec<Sealed> = Vec::with_capacity(GROUP_MAX);
        while let Ok(first) = self.inbox.recv() {
            group.push(first);
            while group.len() < GROUP_MAX {
                match self.inbox.try_recv() {
                    Ok(sealed) => group.push(sealed),
                    Err(_) => break,
                }
            }
            let began = Instant::now();
            let (result, written) = self.append(&mut group);
            if let (Ok(()), Some(observer), true) = (&result, &self.observer, written > 0) {
                observer.committed(&CommitGroup {
                    batches: written,
                    records: group.iter().map(|s| s.records).sum(),
                    took: began.elapsed(),
                });
            }
            if let Err(error) = result {
                tracing::error!(%error, "journal append failed: the engine stops; restart to recover from the journal");
                self.shared.failed.store(true, Ordering::Release);
                self.shared.notify();
                fail_all(group.drain(..));
                while let Ok(sealed) = self.inbox.try_recv() {
                    fail_all(std::iter::once(sealed));
                }
                return;
            }
            for sealed in &group {
                if let Some(seq) = sealed.seq {
                    self.shared.set_committed(sealed.partition, seq);
                }
            }
            self.shared.notify();
            (self.on_commit)();
            for sealed in group.drain(..) {
                deliver(sealed.pending);
            }
        }
    }
}

fn deliver(pending: Vec<Pending>) {
    for p in pending {
        match p {
            Pending::Reply(sender, reply) => {
                let _ = sender.send(reply);
            }
            Pending::Other(send) => send(),
        }
    }
}

/// Answers every waiting request of failed batches: not applied (their effects are lost with
/// the process state on restart).
fn fail_all(sealed: impl Iterator<Item = Sealed>) {
    for s in sealed {
        for p in s.pending {
            if let Pending::Reply(sender, reply) = p {
                let outcome = Outcome::Rejected {
                    rejection: EngineRejection::StorageFailed,
                };
                let _ = sender.send(Reply {
                    outcome,
                    risk: None,
                    ..reply
                });
            }
        }
    }
}
