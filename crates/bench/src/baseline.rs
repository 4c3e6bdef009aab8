//! The in-process baseline: the authorizations of the in-process measurement done the way a
//! plain service would, each its own SQLite transaction through [`crate::plain`] (same machine,
//! same disk, same durability, the same facts written), from a pool of client threads with a
//! connection each. [`crate::plain_http`] is the same service behind HTTP.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{BenchError, Figures, Latencies, Load, XorShift, plain};

/// More threads than this only add lock contention: SQLite has one writer.
const THREADS_MAX: usize = 64;

pub fn run(load: &Load) -> Result<Figures, BenchError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("baseline.db");
    plain::create(&path, load.accounts, None)?;

    let threads = load.in_flight.clamp(1, THREADS_MAX);
    let deadline = Instant::now() + Duration::from_secs_f64(load.seconds);
    let approved = Arc::new(AtomicU64::new(0));
    let declined = Arc::new(AtomicU64::new(0));
    let all = Arc::new(Mutex::new(Latencies::default()));
    let cpu = crate::cpu::CpuSample::now();
    let started = Instant::now();
    std::thread::scope(|scope| -> Result<(), BenchError> {
        let mut handles = Vec::new();
        for t in 0..threads {
            let (path, approved, declined, all) = (path.clone(), approved.clone(), declined.clone(), all.clone());
            let accounts = load.accounts;
            handles.push(scope.spawn(move || -> Result<(), BenchError> {
                let mut conn = plain::connect(&path)?;
                let mut rng = XorShift::new(0x5eed + t as u64);
                let mut latencies = Latencies::default();
                while Instant::now() < deadline {
                    let line = rng.below(accounts) as i64;
                    let begun = Instant::now();
                    let auth = plain::Authorization {
                        payer: plain::Payer::Line(line),
                        merchant: 1 + line % 500,
                        amount_fen: 100,
                        at_ms: jiff::Timestamp::now().as_millisecond(),
                        idempotency: None,
                    };
                    if plain::authorize(&mut conn, &auth)?.status == 201 {
                        approved.fetch_add(1, Ordering::Relaxed);
                    } else {
                        declined.fetch_add(1, Ordering::Relaxed);
                    }
                    latencies.record(begun.elapsed());
                }
                all.lock()
                    .map_err(|_| BenchError::Other("latency lock".into()))?
                    .merge(latencies);
                Ok(())
            }));
        }
        for handle in handles {
            handle
                .join()
                .map_err(|_| BenchError::Other("baseline thread panicked".into()))??;
        }
        Ok(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let latencies = std::mem::take(&mut *all.lock().map_err(|_| BenchError::Other("latency lock".into()))?);
    Ok(Figures::new(
        latencies,
        seconds,
        approved.load(Ordering::Relaxed),
        declined.load(Ordering::Relaxed),
        0,
    )
    .with_cpu_since(cpu))
}
