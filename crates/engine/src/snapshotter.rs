//! The snapshot thread: encodes partition snapshots and saves them once the journal is durable
//! up to their sequence (a snapshot must never get ahead of the journal).
//!
//! Format: postcard is not self-describing, so a snapshot says which format it is. Format 1
//! (before funding state) is the bare postcard of [`PartitionSnapshot`]'s fields. Format 2 is
//! [`MAGIC`], the version byte, the same fields, then the funding state. `MAGIC` is ten 0xFF
//! bytes, which no format-1 snapshot can start with (its first field is a postcard varint,
//! and ten 0xFF bytes are not one). A snapshot that decodes in no known format is not fatal:
//! recovery replays that partition's journal from the start instead (see `recovery`).

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
        let bytes = match encode(&job.state) {
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

/// Marks a snapshot of format 2 or later (see the module docs).
const MAGIC: [u8; 10] = [0xFF; 10];
/// The format written now.
const VERSION: u8 = 2;

pub(crate) fn encode(state: &PartitionSnapshot) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = MAGIC.to_vec();
    bytes.push(VERSION);
    let bytes = postcard::to_extend(state, bytes)?;
    postcard::to_extend(&state.funding, bytes)
}

pub(crate) fn decode(bytes: &[u8]) -> Result<PartitionSnapshot, postcard::Error> {
    let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
        return postcard::from_bytes(bytes);
    };
    match rest.split_first() {
        Some((&VERSION, rest)) => {
            let (mut state, rest): (PartitionSnapshot, _) = postcard::take_from_bytes(rest)?;
            state.funding = postcard::from_bytes(rest)?;
            Ok(state)
        }
        _ => Err(postcard::Error::DeserializeBadEncoding),
    }
}
