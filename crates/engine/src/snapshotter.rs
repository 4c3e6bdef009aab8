//! The snapshot thread: encodes partition snapshots and saves them once the journal is durable
//! up to their sequence (a snapshot must never get ahead of the journal).

use std::sync::Arc;
use std::sync::mpsc::Receiver;

use store::{Journal, Snapshot};

use crate::partition::PartitionSnapshot;
use crate::shared::Shared;

pub(crate) struct SnapshotJob {
    pub partition: u32,
    pub state: PartitionSnapshot,
}

pub(crate) fn run(inbox: Receiver<SnapshotJob>, mut journal: Box<dyn Journal>, shared: Arc<Shared>) {
    while let Ok(job) = inbox.recv() {
        let seq = job.state.seq;
        if !shared.wait_committed(job.partition, seq) {
            return;
        }
        let bytes = match postcard::to_stdvec(&job.state) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(%error, partition = job.partition, "snapshot does not encode");
                continue;
            }
        };
        let snapshot = Snapshot {
            partition: job.partition,
            seq,
            bytes,
        };
        match journal.save_snapshot(&snapshot) {
            Ok(()) => tracing::info!(
                partition = job.partition,
                seq,
                size = snapshot.bytes.len(),
                "snapshot saved"
            ),
            Err(error) => tracing::warn!(%error, partition = job.partition, "snapshot not saved"),
        }
    }
}

pub(crate) fn decode(bytes: &[u8]) -> Result<PartitionSnapshot, postcard::Error> {
    postcard::from_bytes(bytes)
}
