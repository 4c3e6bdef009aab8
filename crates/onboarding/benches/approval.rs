//! The approval path, end to end with simulated identity providers: an in-process engine on the
//! memory store with the shipped risk rules, the scorecard and the limit table. Prints the
//! latency of one application at a time (p50, p99) and the throughput with many in flight,
//! with the application store in memory and on a file (one fsync per record).
//!
//! `cargo bench -p onboarding` (optimized); `APPLICANTS=N` changes the count (default 2,000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::{Engine, EngineConfig, ManualClock, RiskShared};
use identity::LivenessScore;
use jiff::{SignedDuration, Timestamp};
use onboarding::testkit::{Applicant, Population};
use onboarding::{ApplicationStore, BlindIndexKey, Onboarding, OnboardingConfig, Outcome, Providers};
use risk::RuleSetCell;
use store::memory::MemoryBackend;

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn engine(clock: Arc<ManualClock>) -> Engine {
    let rules = engine::rules_dir::load_dir(&repo().join("rules"), risk::EvaluatorChoice::Auto).expect("rules load");
    let shared = RiskShared::new(
        Arc::new(RuleSetCell::new(Arc::new(rules))),
        risk::FeatureConfig::default(),
    );
    let config = EngineConfig {
        partitions: 2,
        schedule: false,
        project: false,
        risk: Some(Arc::new(shared)),
        ..EngineConfig::default()
    };
    Engine::start(config, Arc::new(MemoryBackend::new()), clock).expect("engine starts")
}

fn service(store: ApplicationStore) -> Onboarding {
    let key = BlindIndexKey::from_bytes(&[7; 32]).expect("a 32-byte key");
    Onboarding::load(
        OnboardingConfig::new(key),
        Providers::simulated(7, LivenessScore::from_permille(800).expect("a score")),
        &repo().join("models/credit_data_es"),
        &repo().join("rules/limits"),
        store,
    )
    .expect("model and tables load")
}

fn applicants(n: usize, seed: u64) -> Vec<Applicant> {
    let mut population = Population::new(seed, jiff::civil::date(2026, 3, 10));
    (0..n).map(|_| population.applicant()).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One application at a time: the latency of each, by outcome.
async fn sequential(label: &str, store: ApplicationStore, people: &[Applicant]) {
    let start: Timestamp = "2026-03-10T10:00:00+08:00".parse().expect("a time");
    let clock = Arc::new(ManualClock::new(start));
    let engine = engine(clock.clone());
    let onboarding = service(store);
    let mut approvals = Vec::new();
    let mut all = Vec::new();
    let began = Instant::now();
    for person in people {
        clock.advance(SignedDuration::from_millis(500));
        let t = Instant::now();
        let d = onboarding
            .apply(&engine, &person.input, person.context.clone(), clock_now(&clock))
            .await
            .expect("recorded");
        let took = t.elapsed();
        all.push(took);
        if d.outcome == Outcome::Approved {
            approvals.push(took);
        }
    }
    let wall = began.elapsed();
    approvals.sort();
    all.sort();
    println!(
        "{label}: {} applications one at a time in {wall:.2?} ({:.0}/s); approvals {}: p50 {:?}, p99 {:?}; all: p50 {:?}, p99 {:?}",
        people.len(),
        people.len() as f64 / wall.as_secs_f64(),
        approvals.len(),
        percentile(&approvals, 0.5),
        percentile(&approvals, 0.99),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
    );
}

/// Many applications in flight at once on one thread: throughput.
async fn concurrent(label: &str, store: ApplicationStore, people: Vec<Applicant>, in_flight: usize) {
    let start: Timestamp = "2026-03-10T10:00:00+08:00".parse().expect("a time");
    let clock = Arc::new(ManualClock::new(start));
    let engine = Arc::new(engine(clock.clone()));
    let onboarding = Arc::new(service(store));
    let total = people.len();
    let mut queue = people.into_iter();
    let mut tasks = tokio::task::JoinSet::new();
    let mut approved = 0usize;
    let began = Instant::now();
    loop {
        while tasks.len() < in_flight {
            let Some(person) = queue.next() else { break };
            let (engine, onboarding, now) = (engine.clone(), onboarding.clone(), clock_now(&clock));
            tasks.spawn(async move {
                let d = onboarding.apply(&engine, &person.input, person.context, now).await;
                d.map(|d| d.outcome == Outcome::Approved).unwrap_or(false)
            });
        }
        match tasks.join_next().await {
            Some(result) => approved += usize::from(result.unwrap_or(false)),
            None => break,
        }
    }
    let wall = began.elapsed();
    println!(
        "{label}: {total} applications, {in_flight} in flight, in {wall:.2?}: {:.0} applications/s, {:.0} approvals/s ({approved} approved)",
        total as f64 / wall.as_secs_f64(),
        approved as f64 / wall.as_secs_f64(),
    );
}

fn clock_now(clock: &ManualClock) -> Timestamp {
    engine::Clock::now(clock)
}

fn main() {
    let n: usize = std::env::var("APPLICANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    runtime.block_on(async {
        sequential("memory store", ApplicationStore::memory(), &applicants(n, 1)).await;
        let file = ApplicationStore::open(&dir.path().join("seq.jsonl")).expect("a store file");
        sequential("file store", file, &applicants(n, 2)).await;
        concurrent("memory store", ApplicationStore::memory(), applicants(n, 3), 64).await;
        let file = ApplicationStore::open(&dir.path().join("conc.jsonl")).expect("a store file");
        concurrent("file store", file, applicants(n, 4), 64).await;
    });
}
