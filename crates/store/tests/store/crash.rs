//! Crash durability: a child process (this test binary, re-run with [`CHILD_ENV`] set) appends
//! commit groups in a loop and prints each acknowledged batch; the parent SIGKILLs it at a
//! random moment, reopens the store and checks that every acknowledged batch is there, intact,
//! with no gaps. Several rounds run on the same store, each child continuing where the last
//! one was killed.
//!
//! A SIGKILL tests atomicity and "acknowledged means committed"; power loss (what the fsync
//! of `synchronous=FULL` covers) cannot be simulated from a test.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use store::conformance::batch_bytes;
use store::sqlite::SqliteBackend;
use store::{Backend, BatchRef};

use super::workload::Rng;

const CHILD_ENV: &str = "IOU_STORE_CRASH_CHILD";
const CHILD_TEST: &str = "store::crash::child_appends_until_killed";
const PARTITIONS: u32 = 4;
const ROUNDS: usize = 4;

fn batch_len(partition: u32, seq: u64) -> usize {
    64 + ((u64::from(partition) * 7919 + seq * 104_729) % 8_000) as usize
}

/// The child: does nothing unless [`CHILD_ENV`] names a data directory.
#[test]
fn child_appends_until_killed() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let backend = SqliteBackend::open(Path::new(&dir)).unwrap();
    let mut journal = backend.journal().unwrap();
    let mut next: Vec<u64> = (0..PARTITIONS).map(|p| journal.last_seq(p).unwrap() + 1).collect();
    let mut stdout = std::io::stdout();
    for round in 0u64.. {
        // A varying subset of the partitions in each group, never empty.
        let members: Vec<u32> = (0..PARTITIONS).filter(|p| (round + u64::from(*p)) % 3 != 0).collect();
        let bytes: Vec<Vec<u8>> = members
            .iter()
            .map(|&p| batch_bytes(p, next[p as usize], batch_len(p, next[p as usize])))
            .collect();
        let group: Vec<BatchRef<'_>> = members
            .iter()
            .zip(&bytes)
            .map(|(&p, bytes)| BatchRef {
                partition: p,
                seq: next[p as usize],
                bytes,
            })
            .collect();
        journal.append(&group).unwrap();
        // One write per group: a pipe write this small is atomic, so a kill never splits it.
        let mut line = String::new();
        for batch in &group {
            line.push_str(&format!("ACK {} {}\n", batch.partition, batch.seq));
        }
        stdout.write_all(line.as_bytes()).unwrap();
        stdout.flush().unwrap();
        for &p in &members {
            next[p as usize] += 1;
        }
    }
}

/// Runs one child and kills it; returns the batches it acknowledged.
fn run_child(dir: &Path, rng: &mut Rng) -> Vec<(u32, u64)> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (first_ack, acked) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut acks = Vec::new();
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            // A line without its newline was cut by the kill: it was never acknowledged.
            if let Some(text) = line.strip_suffix(b"\n")
                && let Some(ack) = std::str::from_utf8(text).ok().and_then(parse_ack)
            {
                if acks.is_empty() {
                    let _ = first_ack.send(());
                }
                acks.push(ack);
            }
            line.clear();
        }
        acks
    });
    // Kill at a random moment after the child has started appending.
    let _ = acked.recv_timeout(Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(rng.below(400)));
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap()
}

fn parse_ack(line: &str) -> Option<(u32, u64)> {
    let mut words = line.strip_prefix("ACK ")?.split(' ');
    let partition = words.next()?.parse().ok()?;
    let seq = words.next()?.parse().ok()?;
    words.next().is_none().then_some((partition, seq))
}

#[test]
fn acknowledged_batches_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut rng = Rng::new(seed);
    let mut acked: BTreeMap<u32, u64> = BTreeMap::new();
    for round in 0..ROUNDS {
        for (partition, seq) in run_child(dir.path(), &mut rng) {
            let highest = acked.entry(partition).or_default();
            *highest = (*highest).max(seq);
        }
        let backend = SqliteBackend::open(dir.path()).unwrap();
        let mut journal = backend.journal().unwrap();
        for partition in 0..PARTITIONS {
            let last = journal.last_seq(partition).unwrap();
            let promised = acked.get(&partition).copied().unwrap_or(0);
            assert!(
                last >= promised,
                "seed {seed}, round {round}: partition {partition} acknowledged {promised} but holds {last}"
            );
            let mut expected = 1;
            journal
                .scan(partition, 0, &mut |seq, bytes| {
                    assert_eq!(
                        seq, expected,
                        "seed {seed}, round {round}: a gap in partition {partition}"
                    );
                    assert!(
                        bytes == batch_bytes(partition, seq, batch_len(partition, seq)),
                        "seed {seed}, round {round}: batch {seq} of partition {partition} is damaged"
                    );
                    expected += 1;
                    Ok(())
                })
                .unwrap();
            assert_eq!(
                expected - 1,
                last,
                "seed {seed}, round {round}: scan and last_seq disagree"
            );
        }
    }
    let total: u64 = acked.values().sum();
    assert!(total > 0, "seed {seed}: the children acknowledged nothing");
    println!("seed {seed}: highest acknowledged batch per partition after {ROUNDS} kills: {acked:?}");
}
