//! The baseline: each authorization is its own SQLite transaction (read the line, check the
//! available credit, insert the hold, update the line, commit with fsync), from a pool of
//! client threads, as a plain service would do it. Same machine, same disk, same durability.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior, params};

use crate::{BenchError, Figures, Latencies, Load, XorShift};

/// More threads than this only add lock contention: SQLite has one writer.
const THREADS_MAX: usize = 64;

fn connect(path: &std::path::Path) -> Result<Connection, BenchError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(Duration::from_secs(30))?;
    Ok(conn)
}

pub fn run(load: &Load) -> Result<Figures, BenchError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("baseline.db");
    let mut setup = connect(&path)?;
    setup.execute_batch(
        "CREATE TABLE lines (id INTEGER PRIMARY KEY, credit_limit INTEGER NOT NULL, held INTEGER NOT NULL);
         CREATE TABLE holds (id INTEGER PRIMARY KEY, line INTEGER NOT NULL, amount INTEGER NOT NULL, at INTEGER NOT NULL);",
    )?;
    let tx = setup.transaction()?;
    for id in 0..load.accounts {
        tx.execute(
            "INSERT INTO lines VALUES (?1, ?2, 0)",
            params![id as i64, 1_000_000_000_i64],
        )?;
    }
    tx.commit()?;

    let threads = load.in_flight.clamp(1, THREADS_MAX);
    let deadline = Instant::now() + Duration::from_secs_f64(load.seconds);
    let approved = Arc::new(AtomicU64::new(0));
    let declined = Arc::new(AtomicU64::new(0));
    let all = Arc::new(Mutex::new(Latencies::default()));
    let started = Instant::now();
    std::thread::scope(|scope| -> Result<(), BenchError> {
        let mut handles = Vec::new();
        for t in 0..threads {
            let (path, approved, declined, all) = (path.clone(), approved.clone(), declined.clone(), all.clone());
            let accounts = load.accounts;
            handles.push(scope.spawn(move || -> Result<(), BenchError> {
                let mut conn = connect(&path)?;
                let mut rng = XorShift::new(0x5eed + t as u64);
                let mut latencies = Latencies::default();
                while Instant::now() < deadline {
                    let line = rng.below(accounts) as i64;
                    let begun = Instant::now();
                    if authorize(&mut conn, line, 100)? {
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
    ))
}

fn authorize(conn: &mut Connection, line: i64, amount: i64) -> Result<bool, BenchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (limit, held): (i64, i64) = tx
        .prepare_cached("SELECT credit_limit, held FROM lines WHERE id = ?1")?
        .query_row([line], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if limit - held < amount {
        tx.commit()?;
        return Ok(false);
    }
    tx.prepare_cached("UPDATE lines SET held = held + ?2 WHERE id = ?1")?
        .execute(params![line, amount])?;
    tx.prepare_cached("INSERT INTO holds (line, amount, at) VALUES (?1, ?2, strftime('%s','now'))")?
        .execute(params![line, amount])?;
    tx.commit()?;
    Ok(true)
}
