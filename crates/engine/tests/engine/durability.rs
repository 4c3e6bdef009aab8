//! Recovery and durability: idempotent retries across restarts, replay of the journal and
//! snapshots, SQLite across restarts, a failed commit, a snapshot between queued requests, and
//! the fraud exemption reading history from the journal.

use std::sync::Arc;

use credit::{AccountId, Command, MerchantId};
use engine::{Engine, EngineRejection, Idempotency, ManualClock, Outcome, Payer, Request, SubmitError, TxnAction};
use jiff::SignedDuration;
use money::Amount;
use store::Backend;
use store::memory::MemoryBackend;

use super::{Harness, applied, config, start_at};

#[test]
fn idempotent_retries_get_the_stored_reply_even_after_restart() {
    let mut h = Harness::memory(2);
    h.open(1, 100_000);
    let key = Idempotency {
        principal: 77,
        key: 1234,
        request: 99,
    };
    let request = Request::Authorize {
        payer: Payer::Account(AccountId(1)),
        merchant: MerchantId(77),
        amount: Amount::from_fen(100),
        plan: None,
        reference: None,
    };
    let first = h.call_keyed(request.clone(), Some(key));
    assert!(applied(&first) && !first.replayed);
    let again = h.call_keyed(request.clone(), Some(key));
    assert!(again.replayed);
    assert_eq!(
        (again.seq, again.index, &again.outcome),
        (first.seq, first.index, &first.outcome)
    );
    let conflict = h.call_keyed(request.clone(), Some(Idempotency { request: 100, ..key }));
    assert_eq!(conflict.outcome, Outcome::Conflict);
    assert_eq!(
        h.account(1).held,
        Amount::from_fen(100),
        "the retry did not authorize twice"
    );

    h.restart();
    let after = h.call_keyed(request, Some(key));
    assert!(after.replayed);
    assert_eq!(after.outcome, first.outcome);
    assert_eq!(h.account(1).held, Amount::from_fen(100));
}

#[test]
fn restart_replays_the_journal_and_snapshots_to_the_same_state() {
    let mut h = Harness::memory(3);
    for account in 1..=30 {
        h.open(account, 1_000_000);
    }
    let mut txns = Vec::new();
    for round in 0..200 {
        let account = round % 30 + 1;
        if let Ok(txn) = h.authorize(account, 1, 1_000 + round as i64) {
            txns.push(txn);
        }
        if round == 100 {
            h.engine().snapshot();
        }
        h.clock.advance(SignedDuration::from_hours(7));
    }
    for txn in txns.iter().step_by(2) {
        h.call(Request::Txn {
            merchant: MerchantId(1),
            txn: *txn,
            action: TxnAction::Capture {
                amount: Amount::from_fen(500),
            },
        });
    }
    for r in h.engine().advance().unwrap() {
        r.blocking_recv().unwrap();
    }
    let before: Vec<_> = (1..=30).map(|a| h.account(a)).collect();
    h.restart();
    let after: Vec<_> = (1..=30).map(|a| h.account(a)).collect();
    assert_eq!(before, after);
    // The restarted engine keeps assigning fresh transaction ids.
    let next = h.authorize(1, 1, 10).unwrap();
    assert!(!txns.contains(&next));
}

#[test]
fn fraud_exemption_reads_the_history_from_the_journal() {
    let h = Harness::memory(2);
    h.open(1, 100_000);
    let good = h.authorize(1, 1, 1_000).unwrap();
    let bad = h.authorize(1, 2, 50_000).unwrap();
    for (merchant, txn) in [(1, good), (2, bad)] {
        let reply = h.call(Request::Txn {
            merchant: MerchantId(merchant),
            txn,
            action: TxnAction::Capture {
                amount: Amount::from_fen(if merchant == 1 { 1_000 } else { 50_000 }),
            },
        });
        assert!(applied(&reply));
    }
    h.clock.advance(SignedDuration::from_hours(24 * 40));
    let reply = h.call(Request::ExemptFraud {
        account: AccountId(1),
        txns: vec![bad],
    });
    assert!(applied(&reply), "{reply:?}");
    let account = h.account(1);
    assert_eq!(account.exempt, vec![bad]);
    assert_eq!(account.principal_owed(), Amount::from_fen(1_000));
    assert_eq!(
        account.ledger.get(credit::ledger::LedgerAccount::FraudLoss),
        Amount::from_fen(50_000)
    );
}

#[test]
fn sqlite_keeps_everything_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let backend: Arc<dyn Backend> = Arc::new(store::sqlite::SqliteBackend::open(dir.path()).unwrap());
    let mut h = Harness::new(backend, config(2));
    h.open(1, 100_000);
    let txn = h.authorize(1, 4, 2_000).unwrap();
    h.restart();
    assert_eq!(h.account(1).hold(txn).map(|x| x.amount), Some(Amount::from_fen(2_000)));
    let reopened = Arc::new(store::sqlite::SqliteBackend::open(dir.path()).unwrap());
    // A different partition count cannot open the same store.
    let clock = Arc::new(ManualClock::new(start_at()));
    h.engine.take().unwrap().shutdown();
    assert!(Engine::start(config(3), reopened, clock).is_err());
}

mod failing {
    //! A backend whose journal refuses to append on demand (a full disk).

    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use store::{Backend, BatchRef, Journal, ReadModels, Snapshot, StoreError};

    pub struct FailingBackend {
        pub inner: Arc<dyn Backend>,
        pub fail: Arc<AtomicBool>,
    }

    struct FailingJournal {
        inner: Box<dyn Journal>,
        fail: Arc<AtomicBool>,
    }

    impl Backend for FailingBackend {
        fn journal(&self) -> Result<Box<dyn Journal>, StoreError> {
            Ok(Box::new(FailingJournal {
                inner: self.inner.journal()?,
                fail: self.fail.clone(),
            }))
        }
        fn read_models(&self) -> Result<Box<dyn ReadModels>, StoreError> {
            self.inner.read_models()
        }
        fn outbox(&self) -> Result<Box<dyn store::Outbox>, StoreError> {
            self.inner.outbox()
        }
        fn audit(&self) -> Result<Box<dyn store::AuditLog>, StoreError> {
            self.inner.audit()
        }
        fn describe(&self) -> String {
            "failing".into()
        }
    }

    impl Journal for FailingJournal {
        fn append(&mut self, batches: &[BatchRef<'_>]) -> Result<(), StoreError> {
            if self.fail.load(Ordering::Acquire) {
                return Err(StoreError::Backend("disk full".into()));
            }
            self.inner.append(batches)
        }
        fn last_seq(&mut self, partition: u32) -> Result<u64, StoreError> {
            self.inner.last_seq(partition)
        }
        fn scan(&mut self, partition: u32, after: u64, visit: &mut store::BatchVisitor<'_>) -> Result<(), StoreError> {
            self.inner.scan(partition, after, visit)
        }
        fn read_batch(&mut self, partition: u32, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.read_batch(partition, seq)
        }
        fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
            self.inner.save_snapshot(snapshot)
        }
        fn load_snapshot(&mut self, partition: u32) -> Result<Option<Snapshot>, StoreError> {
            self.inner.load_snapshot(partition)
        }
        fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
            self.inner.meta(key)
        }
        fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
            self.inner.set_meta(key, value)
        }
        fn meta_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
            self.inner.meta_with_prefix(prefix)
        }
        fn delete_meta(&mut self, key: &str) -> Result<(), StoreError> {
            self.inner.delete_meta(key)
        }
    }
}

#[test]
fn a_failed_commit_acknowledges_nothing_and_stops_the_engine() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let memory: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    let fail = Arc::new(AtomicBool::new(false));
    let backend: Arc<dyn Backend> = Arc::new(failing::FailingBackend {
        inner: memory.clone(),
        fail: fail.clone(),
    });
    let mut h = Harness::new(backend, config(2));
    h.open(1, 100_000);
    fail.store(true, Ordering::Release);
    let refused = h.authorize(1, 1, 5_000);
    assert!(matches!(refused, Err(EngineRejection::StorageFailed)), "{refused:?}");
    let later = h.engine().submit(
        Request::from_command(Command::Unfreeze { account: AccountId(1) }).unwrap(),
        None,
    );
    assert!(
        matches!(later, Err(SubmitError::Unavailable))
            || later.unwrap().blocking_recv().is_err()
            || h.engine().failed()
    );
    assert!(h.engine().failed());
    // After a restart on the healthy store, the refused authorization is not there.
    fail.store(false, Ordering::Release);
    h.backend = memory;
    h.restart();
    assert_eq!(h.account(1).held, Amount::ZERO);
}

/// Regression: a snapshot asked for while the partition's open batch already held applied
/// requests captured them under the previous batch's sequence, so a restart from it applied
/// them twice (once from the snapshot, once from the journal). The partition now seals its
/// open batch before snapshotting.
#[test]
fn a_snapshot_between_queued_requests_restores_each_once() {
    let mut h = Harness::memory(1);
    for account in 1..=60 {
        h.open(account, 1_000_000);
    }
    let authorize = |h: &Harness, i: u64| {
        let request = Request::Authorize {
            payer: Payer::Account(AccountId(i % 60 + 1)),
            merchant: MerchantId(1),
            amount: Amount::from_fen(1),
            plan: None,
            reference: None,
        };
        h.engine().submit(request, None).unwrap()
    };
    let mut receivers: Vec<_> = (0..300).map(|i| authorize(&h, i)).collect();
    h.engine().snapshot();
    receivers.extend((300..600).map(|i| authorize(&h, i)));
    for r in receivers {
        let outcome = r.blocking_recv().unwrap().outcome;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }
    let held = |h: &Harness| (1..=60).map(|a| h.account(a).held).collect::<Vec<_>>();
    assert_eq!(held(&h), vec![Amount::from_fen(10); 60]);
    for _ in 0..3 {
        h.restart();
        assert_eq!(held(&h), vec![Amount::from_fen(10); 60]);
    }
}

#[test]
fn a_key_reused_for_accounts_of_other_partitions_conflicts_and_survives_restart() {
    let mut h = Harness::memory(4);
    for account in 1..=12 {
        h.open(account, 100_000);
    }
    let pay = |account: u64| Request::Authorize {
        payer: Payer::Account(AccountId(account)),
        merchant: MerchantId(5),
        amount: Amount::from_fen(100),
        plan: None,
        reference: None,
    };
    let key = |request: u128| Idempotency {
        principal: 5,
        key: 42,
        request,
    };
    let first = h.call_keyed(pay(1), Some(key(1)));
    assert!(applied(&first));
    // Accounts 2..=12 span every partition: each is another request under the used key.
    for account in 2..=12 {
        let other = h.call_keyed(pay(account), Some(key(u128::from(account))));
        assert_eq!(other.outcome, Outcome::Conflict, "account {account}");
        assert_eq!(h.account(account).held, Amount::ZERO);
    }
    h.restart();
    for account in 2..=12 {
        let other = h.call_keyed(pay(account), Some(key(u128::from(account))));
        assert_eq!(other.outcome, Outcome::Conflict, "after restart: account {account}");
    }
    let retry = h.call_keyed(pay(1), Some(key(1)));
    assert!(retry.replayed);
    assert_eq!(h.account(1).held, Amount::from_fen(100));
}

/// The one journal reader: records come decoded with their place, a visitor's error stops the
/// scan and comes back as it is, and bytes that are no batch are named as corrupt.
#[test]
fn the_journal_reader_decodes_in_order_stops_at_the_visitors_error_and_names_a_corrupt_batch() {
    let backend = MemoryBackend::new();
    let mut journal = backend.journal().unwrap();
    let record = |at_us| engine::Record {
        at_us,
        op: engine::Op::Refused,
        outcome: Ok(()),
        events: Vec::new(),
        idempotency: None,
        risk: None,
        notices: Vec::new(),
    };
    engine::journal::append(journal.as_mut(), 0, vec![record(1), record(2)]).unwrap();
    engine::journal::append(journal.as_mut(), 0, vec![record(3)]).unwrap();
    let mut seen = Vec::new();
    engine::journal::scan(journal.as_mut(), 0, 0, |at, r| {
        seen.push((at.seq, at.index, r.at_us));
        Ok::<_, engine::EngineError>(())
    })
    .unwrap();
    assert_eq!(seen, vec![(1, 0, 1), (1, 1, 2), (2, 0, 3)]);

    #[derive(Debug)]
    enum Stop {
        Here(u64),
        Engine,
    }
    impl From<engine::EngineError> for Stop {
        fn from(_: engine::EngineError) -> Stop {
            Stop::Engine
        }
    }
    let stopped = engine::journal::scan(journal.as_mut(), 0, 0, |at, _| Err(Stop::Here(at.seq)));
    assert!(matches!(stopped, Err(Stop::Here(1))), "{stopped:?}");

    let garbage = [0xff_u8; 3];
    let batch = store::BatchRef {
        partition: 0,
        seq: 3,
        bytes: &garbage,
    };
    journal.append(&[batch]).unwrap();
    let corrupt = engine::journal::scan(journal.as_mut(), 0, 2, |_, _| Ok::<_, engine::EngineError>(()));
    match corrupt {
        Err(engine::EngineError::Corrupt(message)) => assert!(message.contains("partition 0 batch 3"), "{message}"),
        other => panic!("expected a corrupt batch, got {other:?}"),
    }
}

/// The outbox scanner reads the journal through the one reader: each notice becomes a row at
/// its place, a delivery only where the caller words one, and a second scan records nothing.
#[test]
fn the_outbox_scanner_records_each_notice_once_with_its_place() {
    struct Words;
    impl engine::outbox::NoticeText for Words {
        fn body(&self, notice: &engine::Notice, _: &engine::Record) -> String {
            notice.name().to_owned()
        }
        fn payload(
            &self,
            key: store::outbox::NoticeKey,
            _: &engine::Notice,
            merchant: MerchantId,
            _: i64,
        ) -> Option<String> {
            (merchant == MerchantId(7)).then(|| key.to_string())
        }
    }
    let backend = MemoryBackend::new();
    let mut journal = backend.journal().unwrap();
    let delivered = |merchant| engine::Notice::Delivered {
        account: AccountId(1),
        merchant: MerchantId(merchant),
        txn: credit::TxnId(5),
    };
    let record = engine::Record {
        at_us: 2_000,
        op: engine::Op::Refused,
        outcome: Ok(()),
        events: Vec::new(),
        idempotency: None,
        risk: None,
        notices: vec![delivered(7), delivered(8)],
    };
    let quiet = engine::Record {
        notices: Vec::new(),
        ..record.clone()
    };
    engine::journal::append(journal.as_mut(), 1, vec![quiet, record]).unwrap();
    let mut outbox = backend.outbox().unwrap();
    let recorded = engine::outbox::scan_once(journal.as_mut(), outbox.as_mut(), &Words, 2).unwrap();
    assert_eq!(recorded, 2);
    let rows = backend.memory_outbox().notices().unwrap();
    let places: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.key.partition,
                r.key.seq,
                r.key.record,
                r.key.notice,
                r.merchant,
                r.at_ms,
            )
        })
        .collect();
    assert_eq!(places, vec![(1, 1, 1, 0, Some(7), 2), (1, 1, 1, 1, Some(8), 2)]);
    let due = outbox.due(i64::MAX, 10).unwrap();
    assert_eq!(due.len(), 1, "only the merchant the caller words a payload for");
    assert_eq!(due[0].merchant, 7);
    assert_eq!(outbox.scanned(1).unwrap(), 1);
    let again = engine::outbox::scan_once(journal.as_mut(), outbox.as_mut(), &Words, 2).unwrap();
    assert_eq!(again, 0, "the watermark moved past the batch");
}

#[test]
fn a_new_store_runs_the_latest_credit_rules_and_an_older_store_keeps_its_own() {
    let clock = || Arc::new(ManualClock::new(start_at()));
    let fresh: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    let engine = Engine::start(config(2), fresh.clone(), clock()).unwrap();
    assert!(engine.config().product.statements_after_charge_off);
    engine.shutdown();
    assert_eq!(
        fresh.journal().unwrap().meta("credit_rules").unwrap().as_deref(),
        Some("2")
    );

    // A store begun before the key existed: its journal was written without statements after
    // charge-off, and replays that way for good.
    let older: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    older.journal().unwrap().set_meta("partitions", "2").unwrap();
    let engine = Engine::start(config(2), older.clone(), clock()).unwrap();
    assert!(!engine.config().product.statements_after_charge_off);
    engine.shutdown();
    assert_eq!(
        older.journal().unwrap().meta("credit_rules").unwrap().as_deref(),
        Some("1")
    );
    let again = Engine::start(config(2), older, clock()).unwrap();
    assert!(!again.config().product.statements_after_charge_off);
    again.shutdown();
}

/// PostgreSQL lost under load: the engine's connections are closed by the server; the next
/// commit fails, its requests are refused (`StorageFailed`, HTTP 503 `storage_failed`), the
/// engine stops (later requests: `Unavailable`, 503), and a restart on the same database (its
/// handles reconnect) has every acknowledged authorization and not the refused one.
#[test]
fn postgres_lost_under_load_loses_nothing_acknowledged() {
    let Some(db) = store::conformance::postgres::fresh("engine::durability::postgres_lost_under_load") else {
        return;
    };
    let backend: Arc<dyn Backend> = Arc::new(db.backend.clone());
    let mut h = Harness::new(backend, config(2));
    h.open(1, 100_000);
    let acknowledged: Vec<_> = (1..=5).map(|m| h.authorize(1, m, 1_000).unwrap()).collect();
    assert!(db.break_connections() >= 1, "the engine's connections should be found");
    let refused = h.authorize(1, 9, 5_000);
    assert!(matches!(refused, Err(EngineRejection::StorageFailed)), "{refused:?}");
    assert!(h.engine().failed());
    let later = h.engine().submit(
        Request::from_command(Command::Unfreeze { account: AccountId(1) }).unwrap(),
        None,
    );
    assert!(matches!(later, Err(SubmitError::Unavailable)) || later.unwrap().blocking_recv().is_err());
    h.restart();
    let account = h.account(1);
    for txn in &acknowledged {
        assert_eq!(account.hold(*txn).map(|x| x.amount), Some(Amount::from_fen(1_000)));
    }
    assert_eq!(
        account.held,
        Amount::from_fen(5_000),
        "the refused authorization is not there"
    );
}
