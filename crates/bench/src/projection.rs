//! Waiting for the read models: the projector tails the journal into `read.db` on its own
//! thread, so after a burst of writes it lags. The benchmarks let it catch up with the setup
//! (opening and linking accounts is not what they measure, and its backlog would otherwise eat
//! the measured seconds), and report how long it took to catch up with the measured load.

use std::path::Path;
use std::time::{Duration, Instant};

use store::Backend;

use crate::BenchError;

/// How long to wait for the read models before giving up.
const PATIENCE: Duration = Duration::from_secs(300);

/// Blocks until every partition's read-model watermark has reached the journal's last batch,
/// and returns how long that took.
pub fn settle(dir: &Path, partitions: u32) -> Result<Duration, BenchError> {
    settle_on(&store::sqlite::SqliteBackend::open(dir)?, partitions)
}

/// [`settle`] on any store.
pub fn settle_on(backend: &dyn Backend, partitions: u32) -> Result<Duration, BenchError> {
    let mut journal = backend.journal()?;
    let mut models = backend.read_models()?;
    let begun = Instant::now();
    let targets: Vec<u64> = (0..partitions).map(|p| journal.last_seq(p)).collect::<Result<_, _>>()?;
    for (partition, target) in (0..partitions).zip(targets) {
        while models.watermark(partition)? < target {
            if begun.elapsed() > PATIENCE {
                return Err(BenchError::Other(format!(
                    "the read models of partition {partition} did not catch up within {PATIENCE:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Ok(begun.elapsed())
}
