//! The projector thread: tails the journal and writes the read models, coalescing whatever is
//! waiting into few transactions. It lags the journal slightly and never slows commits (read
//! models live in their own database); after a restart it resumes from each partition's
//! watermark, and the read models can be rebuilt from the journal at any time.
//!
//! It runs at a lower scheduling priority than the request path ([`PROJECTOR_NICE`]): under a
//! burst the CPU goes to answering requests and the read models fall behind, then catch up when
//! the burst is over. Under a sustained load above what projection can absorb they stay behind;
//! `iou bench` reports how long they took to catch up after each measured load.
//!
//! After each round it tells the engine's shared state what the read models now hold (what
//! was durable when the round began), which `Engine::gauges` reports as the read models' lag.
//!
//! Rounds start at most every [`ROUND_INTERVAL`]: under load one round then covers every batch
//! committed in that time, so a read-model page (an account row, an index leaf) touched by many
//! authorizations is written to `read.db` once per round instead of once per commit. After a
//! quiet spell the first commit is projected at once; under continuous load the read models
//! trail the journal by about one interval plus one round. (`read.db` also checkpoints its WAL
//! rarely, for the same reason: see `store`'s connection roles.)

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use store::{AccountRow, Journal, Projection, ReadModels, StoreError};

use crate::error::EngineError;
use crate::journal::scan_projected;
use crate::record::ProjectedBatch;
use crate::shared::Shared;

/// Batches decoded before they are written (bounds memory when far behind).
const CHUNK: usize = 8192;

/// The shortest time from the start of one projection round to the start of the next.
pub const ROUND_INTERVAL: Duration = Duration::from_millis(1000);

/// How long an idle projector waits for a commit before looking at the journal anyway.
const IDLE_WAIT: Duration = Duration::from_millis(500);

/// The projector thread's nice value (Linux: per thread; 0 is the default, 19 the lowest).
pub const PROJECTOR_NICE: i32 = 10;

pub(crate) fn run(
    wake: Receiver<()>,
    mut journal: Box<dyn Journal>,
    mut models: Box<dyn ReadModels>,
    shared: Arc<Shared>,
) {
    lower_priority();
    let partitions = shared.committed_all().len() as u32;
    let marks: Result<Vec<u64>, StoreError> = (0..partitions).map(|p| models.watermark(p)).collect();
    match marks {
        Ok(marks) => shared.set_projected(&marks, 0),
        Err(error) => tracing::warn!(%error, "the read models' watermarks could not be read"),
    }
    let mut began = Instant::now();
    loop {
        let last_round = match wake.recv_timeout(IDLE_WAIT) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        if !last_round && let Some(rest) = ROUND_INTERVAL.checked_sub(began.elapsed()) {
            std::thread::sleep(rest);
        }
        began = Instant::now();
        let (durable, began_us) = (shared.committed_all(), shared.elapsed_us());
        let owned: Vec<u32> = (0..partitions).filter(|&p| shared.owned(p)).collect();
        match catch_up_partitions(journal.as_mut(), models.as_mut(), &owned) {
            Ok(()) => shared.set_projected(&durable, began_us),
            Err(error) => tracing::warn!(%error, "projection failed; it will be retried"),
        }
        if last_round {
            return;
        }
    }
}

/// Projects everything the journal has beyond each partition's watermark.
///
/// Every partition's batches go into the same transactions (up to [`CHUNK`] batches each):
/// accounts of all partitions share the read models' pages, so one transaction per round
/// writes a shared page once, where one per partition wrote it once per partition.
pub fn catch_up(journal: &mut dyn Journal, models: &mut dyn ReadModels, partitions: u32) -> Result<(), EngineError> {
    catch_up_partitions(journal, models, &(0..partitions).collect::<Vec<_>>())
}

/// [`catch_up`] for some partitions: in a cluster each process projects the partitions it
/// owns, so two projectors never write the same partition's rows.
fn catch_up_partitions(
    journal: &mut dyn Journal,
    models: &mut dyn ReadModels,
    partitions: &[u32],
) -> Result<(), EngineError> {
    let mut chunk: Vec<(u32, u64, ProjectedBatch)> = Vec::new();
    for &partition in partitions {
        let mark = models.watermark(partition)?;
        scan_projected(journal, partition, mark, |seq, body| {
            chunk.push((partition, seq, body));
            if chunk.len() >= CHUNK {
                write(models, &mut chunk)?;
            }
            Ok::<_, EngineError>(())
        })?;
    }
    Ok(write(models, &mut chunk)?)
}

/// One decoded batch, owning what its [`Projection`] borrows.
struct Decoded {
    partition: u32,
    seq: u64,
    at_ms: i64,
    events: Vec<credit::Event>,
    accounts: Vec<AccountRow>,
}

fn write(models: &mut dyn ReadModels, chunk: &mut Vec<(u32, u64, ProjectedBatch)>) -> Result<(), StoreError> {
    if chunk.is_empty() {
        return Ok(());
    }
    let owned: Vec<Decoded> = chunk
        .drain(..)
        .map(|(partition, seq, body)| Decoded {
            partition,
            seq,
            at_ms: body.records.last().map_or(0, |r| r.at_us / 1000),
            events: body.records.into_iter().flat_map(|r| r.events).collect(),
            accounts: body
                .accounts
                .into_iter()
                .map(|(account, balances)| AccountRow { account, balances })
                .collect(),
        })
        .collect();
    let projections: Vec<Projection<'_>> = owned
        .iter()
        .map(|d| Projection {
            partition: d.partition,
            seq: d.seq,
            at_ms: d.at_ms,
            events: &d.events,
            accounts: &d.accounts,
        })
        .collect();
    models.project_many(&projections)
}

/// Lowers this thread's priority to [`PROJECTOR_NICE`]. On Linux `setpriority` with a thread id
/// affects only that thread. A refusal (a sandbox that forbids it) only leaves the priority as it
/// was, so it is logged, not fatal.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let thread = rustix::thread::gettid();
        if let Err(error) = rustix::process::setpriority_process(Some(thread), PROJECTOR_NICE) {
            tracing::debug!(%error, "the projector keeps the default priority");
        }
    }
}
