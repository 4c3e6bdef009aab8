//! What the engine tells about its running: the commit observer hears of every durable group
//! (its records add up to the requests made), the writer queues drain back to zero, and the
//! read models' lag goes to zero once the projector has caught up.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engine::{CommitGroup, CommitObserver};
use store::memory::MemoryBackend;

use super::{Harness, config};

#[derive(Debug, Default)]
struct Heard(Mutex<Vec<CommitGroup>>);

impl CommitObserver for Heard {
    fn committed(&self, group: &CommitGroup) {
        self.0.lock().unwrap().push(*group);
    }
}

#[test]
fn commits_are_told_and_the_gauges_settle() {
    let heard = Arc::new(Heard::default());
    let engine_config = engine::EngineConfig {
        observer: Some(heard.clone()),
        project: true,
        writers: 2,
        ..config(4)
    };
    let h = Harness::new(Arc::new(MemoryBackend::new()), engine_config);
    for account in 1..=12 {
        h.open(account, 100_000);
    }
    for account in 1..=12 {
        h.authorize(account, 3, 1_000).unwrap();
    }
    // 24 requests, each one record in one durable batch: the observer heard of all of them
    // (replies wait for their commit, and the observer is told before the replies are sent).
    let groups = heard.0.lock().unwrap().clone();
    assert_eq!(groups.iter().map(|g| g.records).sum::<usize>(), 24, "{groups:?}");
    assert!(
        groups.iter().all(|g| g.batches >= 1 && g.records >= g.batches),
        "{groups:?}"
    );

    let gauges = h.engine().gauges();
    assert_eq!(gauges.queues, vec![0, 0], "every message taken: {gauges:?}");
    assert_eq!(
        gauges.committed.iter().sum::<u64>(),
        groups.iter().map(|g| g.batches as u64).sum::<u64>()
    );
    assert!(!gauges.failed && gauges.stopped_threads.is_empty(), "{gauges:?}");

    // The projector catches up (a condition waited for, not a time asserted).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let gauges = h.engine().gauges();
        let projection = gauges.projection.clone().expect("projecting");
        if projection.lag_batches(&gauges.committed) == 0 {
            assert_eq!(projection.behind, Duration::ZERO, "{gauges:?}");
            break;
        }
        assert!(Instant::now() < deadline, "the read models never caught up: {gauges:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_engine_without_projection_reports_none() {
    let h = Harness::memory(2);
    h.open(1, 10_000);
    let gauges = h.engine().gauges();
    assert!(gauges.projection.is_some() == h.config.project, "{gauges:?}");
    let off = Harness::new(
        Arc::new(MemoryBackend::new()),
        engine::EngineConfig {
            project: false,
            ..config(2)
        },
    );
    assert_eq!(off.engine().gauges().projection, None);
}
