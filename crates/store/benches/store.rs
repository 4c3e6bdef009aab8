//! Store benchmarks (run with `cargo bench -p store`; prints figures, asserts nothing).
//!
//! - Journal appends: commit groups of 1, 8 and 64 batches of 4 KiB, each group one durable
//!   transaction (`synchronous=FULL`), so the figure is bound by fsync.
//! - Read-model projection: a realistic event mix made by driving `credit::Book`s, written with
//!   `project_many` in chunks as the projector coalesces them, and with `project` one batch per
//!   transaction for comparison.

#[path = "../tests/store/workload.rs"]
mod workload;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use store::conformance::batch_bytes;
use store::sqlite::SqliteBackend;
use store::{Backend, BatchRef};

use workload::{Batch, Workload};

/// How long each append figure runs.
const APPEND_TIME: Duration = Duration::from_secs(3);
const BATCH_BYTES: usize = 4 * 1024;

/// `cargo bench -p store -- append` (or `projection`) runs only that part.
fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let runs = |part: &str| filter.as_deref().is_none_or(|f| part.contains(f));
    println!("store benchmarks (SQLite {})", rusqlite::version());
    if runs("append") {
        for group in [1, 8, 64] {
            bench_append(group);
        }
    }
    if !runs("projection") {
        return;
    }
    let (batches, mix) = event_mix(4, 400, 64);
    let events: usize = batches.iter().map(|(_, b)| b.events.len()).sum();
    println!(
        "\nevent mix: {} batches, {events} events, {} account rows",
        batches.len(),
        batches.iter().map(|(_, b)| b.accounts.len()).sum::<usize>()
    );
    for (kind, count) in &mix {
        println!("  {kind:<20} {count:>8}");
    }
    for chunk in [1, 100, 1_000] {
        bench_projection(&batches, events, chunk);
    }
}

fn bench_append(group: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let backend = SqliteBackend::open(dir.path()).expect("open the store");
    let mut journal = backend.journal().expect("a journal handle");
    let payload: Vec<Vec<u8>> = (0..group as u32).map(|p| batch_bytes(p, 1, BATCH_BYTES)).collect();
    let mut latencies = Vec::new();
    let start = Instant::now();
    let mut seq = 0;
    while start.elapsed() < APPEND_TIME {
        seq += 1;
        let refs: Vec<BatchRef<'_>> = payload
            .iter()
            .enumerate()
            .map(|(p, bytes)| BatchRef {
                partition: p as u32,
                seq,
                bytes,
            })
            .collect();
        let t = Instant::now();
        journal.append(&refs).expect("append");
        latencies.push(t.elapsed());
    }
    let secs = start.elapsed().as_secs_f64();
    latencies.sort();
    let groups = latencies.len() as f64;
    println!(
        "append: groups of {group:>2} x 4 KiB: {:>7.0} groups/s {:>8.0} batches/s {:>6.1} MB/s  latency p50 {:?} p99 {:?}",
        groups / secs,
        groups * group as f64 / secs,
        groups * (group * BATCH_BYTES) as f64 / secs / 1e6,
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
    );
}

/// `partitions` books, each `batches` batches of `commands` random commands, interleaved as
/// the projector would see them; and the count of each event type.
fn event_mix(partitions: u32, batches: usize, commands: usize) -> (Vec<(u32, Batch)>, BTreeMap<String, usize>) {
    let mut workloads: Vec<Workload> = (0..partitions).map(|p| Workload::new(p, u64::from(p) + 7)).collect();
    let mut out = Vec::new();
    let mut mix = BTreeMap::new();
    for _ in 0..batches {
        for w in &mut workloads {
            let batch = w.random_batch(commands);
            for event in &batch.events {
                let json = serde_json::to_value(event).expect("events serialize");
                let kind = match json {
                    serde_json::Value::Object(map) => map
                        .get("type")
                        .and_then(|t| t.as_str().map(String::from))
                        .or_else(|| map.keys().next().cloned())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                *mix.entry(kind).or_insert(0) += 1;
            }
            out.push((w.partition, batch));
        }
    }
    (out, mix)
}

fn bench_projection(batches: &[(u32, Batch)], events: usize, chunk: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let backend = SqliteBackend::open(dir.path()).expect("open the store");
    let mut rm = backend.read_models().expect("read models");
    let start = Instant::now();
    for part in batches.chunks(chunk) {
        let projections: Vec<_> = part.iter().map(|(p, b)| b.projection(*p)).collect();
        rm.project_many(&projections).expect("project");
    }
    let secs = start.elapsed().as_secs_f64();
    let size = std::fs::metadata(dir.path().join("read.db")).map_or(0, |m| m.len())
        + std::fs::metadata(dir.path().join("read.db-wal")).map_or(0, |m| m.len());
    println!(
        "projection: {chunk:>5} batches per transaction: {:>8.0} events/s {:>7.0} batches/s ({:.2} s, read.db + wal {:.0} MB)",
        events as f64 / secs,
        batches.len() as f64 / secs,
        secs,
        size as f64 / 1e6
    );
}
