//! Feature snapshots (issue 19 item 5): a restart that restores risk features from the feature
//! snapshot and observes only the journal after it must hold exactly the features a restart
//! that scans the whole journal rebuilds (the naive twin), byte for byte in canonical form;
//! a store without a usable feature snapshot (none, unreadable, a newer format, ahead of its
//! journal) must still start, by the scan.

use std::sync::Arc;

use credit::{AccountId, MerchantId, TxnId};
use engine::{FeatureState, Outcome, Payer, Reply, Request, RiskContext, TxnAction};
use jiff::SignedDuration;
use money::Amount;
use risk::CheckpointDetail;
use store::Backend;
use store::memory::MemoryBackend;

use super::Harness;
use super::with_risk_support::risk_config;

/// The feature snapshot's row (`engine::feature_snapshot::FEATURES_PARTITION`).
const FEATURES_ROW: u32 = u32::MAX;

fn config(partitions: u32) -> engine::EngineConfig {
    engine::EngineConfig {
        feature_snapshot_every_batches: 0,
        feature_snapshot_every_secs: 0,
        ..risk_config(partitions)
    }
}

/// A device shared by a few accounts (so the link graph joins them), with a liveness check
/// passed (a new device's challenge does not stop the story).
fn context(account: u64, turn: u64) -> RiskContext {
    let device = 100 + (account + turn % 3) % 9;
    RiskContext {
        step_up: Some(risk::ChallengeKind::Liveness),
        ..super::with_risk_support::context(device)
    }
}

fn submit(h: &Harness, request: Request, ctx: RiskContext) -> Reply {
    h.engine()
        .submit_with(request, None, Some(ctx))
        .unwrap()
        .blocking_recv()
        .unwrap()
}

fn applied_txn(reply: &Reply) -> Option<TxnId> {
    match &reply.outcome {
        Outcome::Applied {
            op:
                engine::Op::Authorize {
                    command: credit::Command::Authorize { txn, .. },
                    ..
                },
            ..
        } => Some(*txn),
        _ => None,
    }
}

/// A seeded day of customers on `accounts`: logins, payments at a few merchants, deliveries,
/// captures, refunds, a theft report confirmed; minutes pass between acts, hours between rounds.
fn traffic(h: &Harness, accounts: &[u64], rounds: u64, seed: u64) {
    let mut rng = seeded::XorShift64::new(seed);
    for round in 0..rounds {
        for &account in accounts {
            let turn = rng.below(1_000);
            let merchant = MerchantId(1 + turn % 4);
            if turn.is_multiple_of(5) {
                let login = Request::Checkpoint {
                    account: AccountId(account),
                    detail: CheckpointDetail::Login {
                        password_ok: turn.is_multiple_of(2),
                    },
                };
                submit(h, login, context(account, turn));
            }
            let pay = Request::Authorize {
                payer: Payer::Account(AccountId(account)),
                merchant,
                amount: Amount::from_fen(1_000 + (turn as i64) * 37),
                plan: None,
                reference: None,
            };
            let reply = submit(h, pay, context(account, turn));
            if let Some(txn) = applied_txn(&reply) {
                finish(h, account, merchant, txn, turn);
            }
            h.clock.advance(SignedDuration::from_mins(7));
        }
        h.clock.advance(SignedDuration::from_hours(5 + (round % 3) as i64));
    }
}

/// What happens to an order afterwards, by `turn`.
fn finish(h: &Harness, account: u64, merchant: MerchantId, txn: TxnId, turn: u64) {
    let call = |request| h.call(request);
    if turn.is_multiple_of(3) {
        call(Request::Deliver {
            merchant,
            txn,
            address_changed: false,
        });
    }
    if !turn.is_multiple_of(4) {
        let amount = Amount::from_fen(1_000 + (turn as i64) * 37);
        call(Request::Txn {
            merchant,
            txn,
            action: TxnAction::Capture { amount },
        });
        if turn.is_multiple_of(7) {
            let op = credit::OpId(0x7000 + turn);
            call(Request::Txn {
                merchant,
                txn,
                action: TxnAction::Refund { op, amount },
            });
        }
    }
    if turn.is_multiple_of(97) {
        let report = call(Request::ReportTheft {
            account: AccountId(account),
            txns: vec![txn],
        });
        if let Outcome::Applied {
            op: engine::Op::OpenCase { case, .. },
            ..
        } = report.outcome
        {
            call(Request::ResolveCase { case, confirm: true });
        }
    }
}

/// Restarts as a new process (fresh shared features), restoring features from the feature
/// snapshot or (`false`) by scanning the whole journal; the features as they stand then, and
/// the feature snapshot start-up used.
fn restart(h: &mut Harness, partitions: u32, feature_snapshots: bool) -> (FeatureState, Option<u64>) {
    h.config = engine::EngineConfig {
        feature_snapshots,
        ..config(partitions)
    };
    h.restart();
    let state = h.engine().feature_state().unwrap().expect("feature state");
    (state, h.engine().feature_snapshot_used())
}

fn open_all(h: &Harness, accounts: &[u64]) {
    for &account in accounts {
        h.open(account, 10_000_000);
    }
}

fn snapshot_features(h: &Harness) {
    assert!(
        h.engine().snapshot_features().unwrap(),
        "the feature snapshot was taken"
    );
}

fn features_row(backend: &Arc<dyn Backend>) -> Option<store::Snapshot> {
    backend.journal().unwrap().load_snapshot(FEATURES_ROW).unwrap()
}

#[test]
fn one_partition_restored_from_the_snapshot_and_tail_equals_the_full_scan() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), config(1));
    let accounts: Vec<u64> = (1..=12).collect();
    open_all(&h, &accounts);
    traffic(&h, &accounts, 6, 1);
    snapshot_features(&h);
    // The tail: acts after the cut, some days later, so windows move on.
    h.clock.advance(SignedDuration::from_hours(30));
    traffic(&h, &accounts, 5, 2);

    let (scanned, none) = restart(&mut h, 1, false);
    assert_eq!(none, None, "feature snapshots off: the scan");
    let (restored, used) = restart(&mut h, 1, true);
    assert!(used.is_some(), "start-up used the feature snapshot");
    assert_eq!(restored, scanned, "snapshot + tail == full scan");
    // A second cut and restart with no tail at all holds the same too.
    snapshot_features(&h);
    let (again, used_again) = restart(&mut h, 1, true);
    assert!(used_again > used, "the newer snapshot");
    assert_eq!(again, scanned);
}

#[test]
fn four_partitions_restored_from_a_snapshot_equal_the_scan() {
    // Shared keys are fed by every partition, and a scan replays partition after partition, so
    // the twin is exact when the snapshot was cut on a scanned state and the tail is in the
    // last partition only (the scan's order and the restore's agree). Own features are
    // per-partition and equal whatever the tail.
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), config(4));
    let accounts: Vec<u64> = (1..=24).collect();
    open_all(&h, &accounts);
    traffic(&h, &accounts, 3, 3);
    // No feature snapshot yet: this start-up scans, and the cut is taken on the scanned state.
    let (after_scan, none) = restart(&mut h, 4, true);
    assert_eq!(none, None);
    snapshot_features(&h);
    assert_eq!(
        h.engine().feature_state().unwrap().unwrap(),
        after_scan,
        "nothing happened since"
    );
    let last: Vec<u64> = accounts
        .iter()
        .copied()
        .filter(|&a| engine::route::partition_of(AccountId(a), 4) == 3)
        .collect();
    assert!(!last.is_empty(), "some accounts live in partition 3");
    traffic(&h, &last, 4, 4);
    let (scanned, _) = restart(&mut h, 4, false);
    let (restored, used) = restart(&mut h, 4, true);
    assert!(used.is_some());
    assert_eq!(restored, scanned);

    // Traffic everywhere after a cut: every partition's own features still equal the scan's.
    snapshot_features(&h);
    traffic(&h, &accounts, 2, 5);
    let (scanned, _) = restart(&mut h, 4, false);
    let (restored, used) = restart(&mut h, 4, true);
    assert!(used.is_some());
    assert_eq!(restored.partitions, scanned.partitions);
}

#[test]
fn a_store_without_a_usable_feature_snapshot_starts_by_the_scan() {
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), config(2));
    let accounts: Vec<u64> = (1..=8).collect();
    open_all(&h, &accounts);
    traffic(&h, &accounts, 3, 6);
    // A store from before feature snapshots: no row at all.
    assert!(features_row(&h.backend).is_none());
    let (scanned, _) = restart(&mut h, 2, false);
    let (started, used) = restart(&mut h, 2, true);
    assert_eq!(used, None, "nothing to restore");
    assert_eq!(started, scanned);

    snapshot_features(&h);
    let good = features_row(&h.backend).expect("saved");
    let backend = h.backend.clone();
    let save = |bytes: Vec<u8>| {
        let row = store::Snapshot {
            partition: FEATURES_ROW,
            seq: good.seq + 1,
            bytes,
        };
        backend.journal().unwrap().save_snapshot(&row).unwrap();
    };
    let mut flipped = good.bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    let mut newer = good.bytes.clone();
    newer[8] += 1;
    for (what, bytes) in [
        ("garbage", b"not a snapshot".to_vec()),
        ("a flipped bit", flipped),
        ("a newer format", newer),
        ("empty", Vec::new()),
    ] {
        save(bytes);
        let (started, used) = restart(&mut h, 2, true);
        assert_eq!(used, None, "{what}: not restored");
        assert_eq!(started, scanned, "{what}: scanned");
    }
}

#[test]
fn a_snapshot_ahead_of_its_journal_is_not_restored() {
    // A feature snapshot must never be ahead of the journal (the cut waits until every
    // partition is durable up to it). Should a store hold one anyway (a journal restored
    // from an older backup beside newer snapshots), start-up scans instead of restoring
    // features of batches the journal does not have.
    let mut ahead = Harness::new(Arc::new(MemoryBackend::new()), config(2));
    let mut behind = Harness::new(Arc::new(MemoryBackend::new()), config(2));
    let accounts: Vec<u64> = (1..=8).collect();
    for h in [&ahead, &behind] {
        open_all(h, &accounts);
        traffic(h, &accounts, 2, 7);
    }
    traffic(&ahead, &accounts, 2, 8);
    snapshot_features(&ahead);
    let row = features_row(&ahead.backend).expect("saved");
    behind.backend.journal().unwrap().save_snapshot(&row).unwrap();
    let (scanned, _) = restart(&mut behind, 2, false);
    let (started, used) = restart(&mut behind, 2, true);
    assert_eq!(used, None);
    assert_eq!(started, scanned);
    let (_, used) = restart(&mut ahead, 2, true);
    assert!(used.is_some(), "the store it was cut from restores it");
}

#[test]
fn a_crash_after_the_snapshot_replays_the_acknowledged_tail_and_a_scheduled_cut_comes() {
    // Cut, then more acknowledged requests, then the process is gone without another cut:
    // start-up restores the cut and observes the tail; every acknowledged act is in the
    // features. The schedule (every 5 batches here) takes cuts on its own.
    let config = engine::EngineConfig {
        feature_snapshot_every_batches: 5,
        ..config(2)
    };
    let mut h = Harness::new(Arc::new(MemoryBackend::new()), config);
    let accounts: Vec<u64> = (1..=8).collect();
    open_all(&h, &accounts);
    traffic(&h, &accounts, 2, 9);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while features_row(&h.backend).is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let scheduled = features_row(&h.backend).expect("a scheduled cut within 10 s");
    traffic(&h, &accounts, 1, 10);
    let (scanned, _) = restart(&mut h, 2, false);
    let (restored, used) = restart(&mut h, 2, true);
    assert!(used.is_some_and(|seq| seq >= scheduled.seq));
    assert_eq!(restored.partitions, scanned.partitions);
}

/// Restart time with and without the feature snapshot on a debug build (the release figures
/// are `iou bench --restart`, BENCHMARKS.md): `IOU_RESTART_RECORDS=N cargo test -p engine
/// --test engine -- --ignored restart_time --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn restart_time() {
    let records: u64 = std::env::var("IOU_RESTART_RECORDS").map_or(50_000, |n| n.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let backend: Arc<dyn Backend> = Arc::new(store::sqlite::SqliteBackend::open(dir.path()).unwrap());
    let mut h = Harness::new(backend, config(4));
    let accounts: Vec<u64> = (1..=1_000).collect();
    open_all(&h, &accounts);
    let mut waiting = Vec::new();
    for i in 0..records.saturating_sub(1_000) {
        let account = 1 + i % 1_000;
        let pay = Request::Authorize {
            payer: Payer::Account(AccountId(account)),
            merchant: MerchantId(1 + i % 50),
            amount: Amount::from_fen(100),
            plan: None,
            reference: None,
        };
        waiting.push(h.engine().submit_with(pay, None, Some(context(account, i))).unwrap());
        if waiting.len() == 512 {
            waiting.drain(..).for_each(|r| drop(r.blocking_recv().unwrap()));
            h.clock.advance(SignedDuration::from_secs(20));
        }
    }
    waiting.drain(..).for_each(|r| drop(r.blocking_recv().unwrap()));
    h.engine().snapshot();
    snapshot_features(&h);
    for feature_snapshots in [false, true, false, true] {
        h.config = engine::EngineConfig {
            feature_snapshots,
            ..config(4)
        };
        h.engine.take().unwrap().shutdown();
        let began = std::time::Instant::now();
        h.engine = Some(engine::Engine::start(h.config.clone(), h.backend.clone(), h.engine_clock.clone()).unwrap());
        let used = h.engine().feature_snapshot_used().is_some();
        println!(
            "{records} records, feature snapshot {used}: start {:.3} s",
            began.elapsed().as_secs_f64()
        );
    }
}
