//! The engine's integration tests: requests through partitions and group commit, recovery from
//! the journal and snapshots, idempotency across restarts, back-pressure, merchant isolation,
//! concurrent authorizations on one line, storage failure; credit applications and line
//! openings (`engine/applications.rs`); live state equal to replayed state under random command
//! sequences on a clock with nanoseconds (`engine/replay.rs`).

use std::sync::Arc;

use credit::{AccountId, Command, Event, MerchantId, OpId, Rejection, TxnId};
use engine::{
    Engine, EngineConfig, EngineRejection, Idempotency, ManualClock, Op, Outcome, Payer, Reply, Request, SubmitError,
    TxnAction,
};
use jiff::{SignedDuration, Timestamp};
use money::Amount;
use store::Backend;
use store::memory::MemoryBackend;

/// The tests' first instant. It has a sub-microsecond part on purpose: the engine stamps state
/// at the journal's precision, whatever the clock reads.
fn start_at() -> Timestamp {
    "2026-03-01T10:00:00.000000123+08:00".parse().unwrap()
}

fn config(partitions: u32) -> EngineConfig {
    EngineConfig {
        partitions,
        schedule: false,
        ..EngineConfig::default()
    }
}

struct Harness {
    backend: Arc<dyn Backend>,
    clock: Arc<ManualClock>,
    /// The clock the engine reads: `clock`, or one that adds sub-microsecond parts to it.
    engine_clock: Arc<dyn engine::Clock>,
    engine: Option<Engine>,
    config: EngineConfig,
}

impl Harness {
    fn new(backend: Arc<dyn Backend>, config: EngineConfig) -> Harness {
        let clock = Arc::new(ManualClock::new(start_at()));
        Harness::with_clock(backend, config, clock.clone(), clock)
    }

    fn with_clock(
        backend: Arc<dyn Backend>,
        config: EngineConfig,
        clock: Arc<ManualClock>,
        engine_clock: Arc<dyn engine::Clock>,
    ) -> Harness {
        let engine = Engine::start(config.clone(), backend.clone(), engine_clock.clone()).unwrap();
        Harness {
            backend,
            clock,
            engine_clock,
            engine: Some(engine),
            config,
        }
    }

    fn memory(partitions: u32) -> Harness {
        Harness::new(Arc::new(MemoryBackend::new()), config(partitions))
    }

    fn engine(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }

    fn restart(&mut self) {
        self.engine.take().unwrap().shutdown();
        self.engine =
            Some(Engine::start(self.config.clone(), self.backend.clone(), self.engine_clock.clone()).unwrap());
    }

    fn call(&self, request: Request) -> Reply {
        self.call_keyed(request, None)
    }

    fn call_keyed(&self, request: Request, key: Option<Idempotency>) -> Reply {
        self.engine().submit(request, key).unwrap().blocking_recv().unwrap()
    }

    fn open(&self, account: u64, limit_fen: i64) {
        let reply = self.call(Request::Credit(Command::OpenAccount {
            account: AccountId(account),
            limit: Amount::from_fen(limit_fen),
            billing_day: 5,
        }));
        assert!(matches!(reply.outcome, Outcome::Applied { .. }), "{reply:?}");
    }

    fn authorize(&self, account: u64, merchant: u64, fen: i64) -> Result<TxnId, EngineRejection> {
        let reply = self.call(Request::Authorize {
            payer: Payer::Account(AccountId(account)),
            merchant: MerchantId(merchant),
            amount: Amount::from_fen(fen),
            plan: None,
        });
        match reply.outcome {
            Outcome::Applied {
                op: Op::Credit(Command::Authorize { txn, .. }),
                ..
            } => Ok(txn),
            Outcome::Rejected { rejection } => Err(rejection),
            other => panic!("{other:?}"),
        }
    }

    fn account(&self, account: u64) -> Box<credit::Account> {
        self.engine()
            .account(AccountId(account))
            .unwrap()
            .blocking_recv()
            .unwrap()
            .expect("account exists")
    }
}

fn applied(reply: &Reply) -> bool {
    matches!(reply.outcome, Outcome::Applied { .. })
}

#[test]
fn authorize_capture_repay_through_partitions() {
    let h = Harness::memory(4);
    for account in 1..=20 {
        h.open(account, 100_000);
    }
    let txn = h.authorize(7, 3, 30_000).unwrap();
    let capture = h.call(Request::Txn {
        merchant: MerchantId(3),
        txn,
        action: TxnAction::Capture {
            amount: Amount::from_fen(25_000),
        },
    });
    assert!(applied(&capture), "{capture:?}");
    let account = h.account(7);
    assert_eq!(account.available_on(account.day), Amount::from_fen(75_000));
    assert_eq!(account.held, Amount::ZERO);
    let repay = h.call(Request::Credit(Command::Repay {
        account: AccountId(7),
        op: OpId(1),
        amount: Amount::from_fen(100),
    }));
    assert!(applied(&repay));
    assert_eq!(h.account(7).credit_balance, Amount::from_fen(100));
}

#[test]
fn a_merchant_sees_only_its_own_transactions() {
    let h = Harness::memory(2);
    h.open(1, 100_000);
    let txn = h.authorize(1, 10, 5_000).unwrap();
    let other = h.call(Request::Txn {
        merchant: MerchantId(11),
        txn,
        action: TxnAction::Void,
    });
    assert_eq!(
        other.outcome,
        Outcome::Rejected {
            rejection: EngineRejection::TxnNotFound
        }
    );
    assert_eq!(
        h.engine()
            .txn_owner(MerchantId(11), txn)
            .unwrap()
            .blocking_recv()
            .unwrap(),
        None
    );
    assert_eq!(
        h.engine()
            .txn_owner(MerchantId(10), txn)
            .unwrap()
            .blocking_recv()
            .unwrap(),
        Some(AccountId(1))
    );
    let forged = h.call(Request::Txn {
        merchant: MerchantId(10),
        txn: TxnId(0xFF),
        action: TxnAction::Void,
    });
    assert_eq!(
        forged.outcome,
        Outcome::Rejected {
            rejection: EngineRejection::TxnNotFound
        }
    );
    let own = h.call(Request::Txn {
        merchant: MerchantId(10),
        txn,
        action: TxnAction::Void,
    });
    assert!(applied(&own));
}

#[test]
fn links_let_an_online_merchant_charge_the_customer() {
    let h = Harness::memory(3);
    h.open(5, 100_000);
    let reply = h.call(Request::LinkMerchant {
        account: AccountId(5),
        merchant: MerchantId(9),
    });
    let Outcome::Applied {
        op: Op::LinkMerchant { link, .. },
        ..
    } = reply.outcome
    else {
        panic!("{reply:?}")
    };
    let by_link = |merchant| Request::Authorize {
        payer: Payer::Link(link),
        merchant: MerchantId(merchant),
        amount: Amount::from_fen(100),
        plan: None,
    };
    assert!(applied(&h.call(by_link(9))));
    assert_eq!(
        h.call(by_link(8)).outcome,
        Outcome::Rejected {
            rejection: EngineRejection::LinkNotFound
        }
    );
}

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

/// The line runs out of credit (50.00, about 28 holds of 1.50-1.99) long before the account's
/// cap on open holds (64), so the refusals are credit refusals: the race is on the credit.
#[test]
fn a_thousand_concurrent_authorizations_never_exceed_the_line() {
    let h = Harness::memory(4);
    let limit = Amount::from_fen(5_000);
    h.open(1, limit.fen());
    let receivers: Vec<_> = (0..1000)
        .map(|i| {
            let request = Request::Authorize {
                payer: Payer::Account(AccountId(1)),
                merchant: MerchantId(1),
                amount: Amount::from_fen(150 + i % 50),
                plan: None,
            };
            h.engine().submit(request, None).unwrap()
        })
        .collect();
    let mut approved = Amount::ZERO;
    let (mut refused, mut too_many) = (0, 0);
    for r in receivers {
        match r.blocking_recv().unwrap().outcome {
            Outcome::Applied { events, .. } => {
                for e in events {
                    if let Event::Authorized { amount, .. } = e {
                        approved += amount;
                    }
                }
            }
            Outcome::Rejected {
                rejection: EngineRejection::Credit(Rejection::InsufficientAvailableCredit { .. }),
            } => refused += 1,
            Outcome::Rejected {
                rejection: EngineRejection::Credit(Rejection::TooManyHolds),
            } => too_many += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(approved <= limit, "approved {approved} of {limit}");
    assert!(
        approved > limit - Amount::from_fen(199),
        "the line was used up: {approved}"
    );
    assert_eq!(too_many, 0, "the credit, not the hold cap, refused them");
    assert!(refused >= 1000 - 64, "{refused} refused");
    let account = h.account(1);
    assert_eq!(account.held, approved);
    assert_eq!(account.available_on(account.day), limit - approved);
}

#[test]
fn a_full_queue_says_busy_and_loses_nothing_it_took() {
    let config = EngineConfig {
        queue_capacity: 4,
        batch_max: 2,
        ..config(1)
    };
    let h = Harness::new(Arc::new(MemoryBackend::new()), config);
    h.open(1, 10_000_000);
    let mut taken = Vec::new();
    let mut busy = 0;
    for _ in 0..5_000 {
        let request = Request::Credit(Command::Repay {
            account: AccountId(1),
            op: OpId(1),
            amount: Amount::from_fen(1),
        });
        match h.engine().submit(request, None) {
            Ok(r) => taken.push(r),
            Err(SubmitError::Busy) => busy += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    let taken_count = taken.len() as i64;
    for r in taken {
        assert!(applied(&r.blocking_recv().unwrap()));
    }
    assert!(busy > 0, "the queue never filled");
    assert_eq!(h.account(1).credit_balance, Amount::from_fen(taken_count));
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
    let later = h
        .engine()
        .submit(Request::Credit(Command::Unfreeze { account: AccountId(1) }), None);
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

pub mod with_risk_support {
    //! The shared pieces of the risk tests.

    use std::net::IpAddr;
    use std::sync::Arc;

    use engine::{EngineConfig, RiskContext, RiskShared};
    use risk::{Channel, DeviceId, RuleSetCell};

    use super::config;

    pub fn risk_config(partitions: u32) -> EngineConfig {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        let rules = engine::rules_dir::load_dir(&dir, risk::EvaluatorChoice::Auto).expect("the shipped rules load");
        let shared = RiskShared::new(
            Arc::new(RuleSetCell::new(Arc::new(rules))),
            risk::FeatureConfig::default(),
        );
        EngineConfig {
            risk: Some(Arc::new(shared)),
            ..config(partitions)
        }
    }

    pub fn context(device: u64) -> RiskContext {
        RiskContext {
            device: DeviceId(device),
            ip: IpAddr::from([10, 0, 0, (device % 250) as u8]),
            ..RiskContext::unknown(Channel::Online)
        }
    }
}

#[path = "engine/applications.rs"]
mod applications;
#[path = "engine/funding.rs"]
mod funding;

#[path = "engine/replay.rs"]
mod replay;

mod with_risk {
    //! The engine with the shipped default rules: decisions at authorization, journaled, with
    //! shared-key features across partitions and rebuilt after a restart.

    use std::sync::Arc;

    use credit::{AccountId, MerchantId};
    use engine::{EngineRejection, FraudLists, Outcome, Payer, Request, RiskBlock, RiskContext};
    use jiff::SignedDuration;
    use money::Amount;
    use risk::{ChallengeKind, DeviceId};
    use store::memory::MemoryBackend;

    use super::Harness;
    use super::with_risk_support::{context, risk_config};

    fn pay(h: &Harness, account: u64, fen: i64, ctx: RiskContext) -> engine::Reply {
        let request = Request::Authorize {
            payer: Payer::Account(AccountId(account)),
            merchant: MerchantId(1),
            amount: Amount::from_fen(fen),
            plan: None,
        };
        h.engine()
            .submit_with(request, None, Some(ctx))
            .unwrap()
            .blocking_recv()
            .unwrap()
    }

    fn reasons(reply: &engine::Reply) -> Vec<String> {
        reply
            .risk
            .as_ref()
            .map(|r| r.reasons.iter().map(|c| c.as_str().to_owned()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_device_on_the_fraud_list_is_denied_and_nothing_is_held() {
        let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
        h.open(1, 1_000_000);
        let ok = pay(&h, 1, 10_000, context(5));
        assert!(matches!(ok.outcome, Outcome::Applied { .. }), "{ok:?}");
        assert_eq!(ok.risk.as_ref().unwrap().outcome, risk::Outcome::Allow);
        let mut lists = FraudLists::default();
        lists.devices.insert(DeviceId(5));
        h.engine().risk().unwrap().lists.store(Arc::new(lists));
        let denied = pay(&h, 1, 10_000, context(5));
        assert_eq!(
            denied.outcome,
            Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::Denied)
            }
        );
        assert_eq!(reasons(&denied), ["DEVICE_ON_FRAUD_LIST"]);
        // The denial is evidence against the device: its earlier open order is intercepted too.
        assert_eq!(
            h.account(1).held,
            Amount::ZERO,
            "nothing held: the denied payment, and the earlier one voided"
        );
        let cases = h
            .engine()
            .cases(Some(AccountId(1)))
            .unwrap()
            .remove(0)
            .blocking_recv()
            .unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].kind, engine::CaseKind::Interception);
    }

    #[test]
    fn a_challenge_is_satisfied_by_the_step_up_it_asks_for() {
        let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
        h.open(1, 10_000_000);
        // Known device first, then a new device with 3,000 yuan: liveness.
        assert!(matches!(pay(&h, 1, 1_000, context(7)).outcome, Outcome::Applied { .. }));
        h.clock.advance(SignedDuration::from_hours(30));
        let challenged = pay(&h, 1, 300_000, context(8));
        let challenge = EngineRejection::Risk(RiskBlock::ChallengeRequired(ChallengeKind::Liveness));
        assert_eq!(
            challenged.outcome,
            Outcome::Rejected { rejection: challenge },
            "{:?}",
            reasons(&challenged)
        );
        assert!(reasons(&challenged).contains(&"NEW_DEVICE_HIGH_AMOUNT".to_owned()));
        let otp_only = pay(
            &h,
            1,
            300_000,
            RiskContext {
                step_up: Some(ChallengeKind::Otp),
                ..context(8)
            },
        );
        assert!(
            matches!(otp_only.outcome, Outcome::Rejected { .. }),
            "OTP does not satisfy liveness"
        );
        let passed = pay(
            &h,
            1,
            300_000,
            RiskContext {
                step_up: Some(ChallengeKind::Liveness),
                ..context(8)
            },
        );
        assert!(matches!(passed.outcome, Outcome::Applied { .. }), "{passed:?}");
        assert!(passed.risk.unwrap().satisfied_by_step_up);
    }

    #[test]
    fn a_device_farm_across_partitions_is_stopped_and_stays_stopped_after_restart() {
        let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(4));
        for account in 1..=8 {
            h.open(account, 1_000_000);
        }
        let partitions: std::collections::BTreeSet<u32> =
            (1..=8).map(|a| engine::route::partition_of(AccountId(a), 4)).collect();
        assert!(partitions.len() > 1, "the accounts span partitions");
        let mut outcomes = Vec::new();
        for account in 1..=5 {
            h.clock.advance(SignedDuration::from_mins(3));
            outcomes.push(pay(&h, account, 5_000, context(99)));
        }
        assert!(
            outcomes[..4]
                .iter()
                .all(|r| !reasons(r).contains(&"DEVICE_FARM".to_owned()))
        );
        assert_eq!(
            reasons(&outcomes[4]),
            ["DEVICE_FARM"],
            "the fifth account on one device"
        );
        h.restart();
        h.clock.advance(SignedDuration::from_mins(3));
        let after = pay(&h, 6, 5_000, context(99));
        assert_eq!(
            reasons(&after),
            ["DEVICE_FARM"],
            "features were rebuilt from the journal"
        );
        assert_eq!(
            after.outcome,
            Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::Denied)
            }
        );
    }
}

mod monitoring {
    //! Interception before delivery and theft cases, end to end through the engine, and their
    //! replay after a restart.

    use std::sync::Arc;

    use credit::{AccountId, MerchantId, TxnId};
    use engine::{
        CaseKind, CaseStatus, EngineRejection, InterceptAction, Notice, Op, Outcome, Payer, Request, RiskBlock,
        TxnAction,
    };
    use jiff::SignedDuration;
    use money::Amount;
    use store::memory::MemoryBackend;

    use super::Harness;
    use super::with_risk_support::{context, risk_config};

    fn buy(h: &Harness, account: u64, merchant: u64, fen: i64, device: u64) -> TxnId {
        let request = Request::Authorize {
            payer: Payer::Account(AccountId(account)),
            merchant: MerchantId(merchant),
            amount: Amount::from_fen(fen),
            plan: None,
        };
        // The customer passes any step-up: these tests are about what happens after.
        let ctx = engine::RiskContext {
            step_up: Some(risk::ChallengeKind::Liveness),
            ..context(device)
        };
        let reply = h
            .engine()
            .submit_with(request, None, Some(ctx))
            .unwrap()
            .blocking_recv()
            .unwrap();
        match reply.outcome {
            Outcome::Applied {
                op: Op::Credit(credit::Command::Authorize { txn, .. }),
                ..
            } => txn,
            other => panic!("{other:?}"),
        }
    }

    fn all_cases(h: &Harness) -> Vec<engine::Case> {
        h.engine()
            .cases(None)
            .unwrap()
            .into_iter()
            .flat_map(|r| r.blocking_recv().unwrap())
            .collect()
    }

    #[test]
    fn a_listed_device_intercepts_open_orders_before_delivery() {
        let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(3));
        for account in 1..=3 {
            h.open(account, 10_000_000);
        }
        let held = buy(&h, 1, 7, 40_000, 31);
        let captured = buy(&h, 2, 7, 60_000, 31);
        let other = buy(&h, 3, 7, 10_000, 32);
        let capture = TxnAction::Capture {
            amount: Amount::from_fen(60_000),
        };
        assert!(matches!(
            h.call(Request::Txn {
                merchant: MerchantId(7),
                txn: captured,
                action: capture
            })
            .outcome,
            Outcome::Applied { .. }
        ));

        let replies = h
            .engine()
            .broadcast(Request::ListFraud {
                device: Some(risk::DeviceId(31)),
                ip: None,
            })
            .unwrap();
        for r in replies {
            assert!(matches!(r.blocking_recv().unwrap().outcome, Outcome::Applied { .. }));
        }
        assert_eq!(h.account(1).held, Amount::ZERO, "the open hold was voided");
        assert_eq!(h.account(2).principal_owed(), Amount::ZERO, "the capture was refunded");
        assert_eq!(
            h.account(3).held,
            Amount::from_fen(10_000),
            "another device's order ships"
        );
        let cases = all_cases(&h);
        assert_eq!(cases.iter().filter(|c| c.kind == CaseKind::Interception).count(), 2);

        // The merchant cannot ship an intercepted order (denied again, as at interception); the
        // other one ships.
        let ship = |txn| Request::Deliver {
            merchant: MerchantId(7),
            txn,
            address_changed: false,
        };
        assert_eq!(
            h.call(ship(held)).outcome,
            Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::Denied)
            }
        );
        assert!(matches!(h.call(ship(other)).outcome, Outcome::Applied { .. }));

        // All of it replays.
        let before: Vec<_> = (1..=3).map(|a| h.account(a)).collect();
        h.restart();
        assert_eq!(before, (1..=3).map(|a| h.account(a)).collect::<Vec<_>>());
    }

    #[test]
    fn a_changed_address_on_a_big_order_is_intercepted_and_a_smaller_one_held_for_review() {
        let h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
        h.open(1, 10_000_000);
        let big = buy(&h, 1, 4, 600_000, 41);
        h.clock.advance(SignedDuration::from_hours(3));
        let small = buy(&h, 1, 4, 30_000, 41);
        let reply = h.call(Request::Deliver {
            merchant: MerchantId(4),
            txn: big,
            address_changed: true,
        });
        assert_eq!(
            reply.outcome,
            Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::Denied)
            }
        );
        let reasons: Vec<_> = reply
            .risk
            .unwrap()
            .reasons
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect();
        assert!(
            reasons.contains(&"ADDRESS_CHANGED_HIGH_AMOUNT".to_owned()),
            "{reasons:?}"
        );
        assert!(
            h.account(1)
                .hold(big)
                .is_some_and(|h| h.state == credit::HoldState::Voided)
        );

        let review = h.call(Request::AddressChanged {
            merchant: MerchantId(4),
            txn: small,
        });
        assert!(matches!(review.outcome, Outcome::Applied { .. }));
        let ship = Request::Deliver {
            merchant: MerchantId(4),
            txn: small,
            address_changed: false,
        };
        assert_eq!(
            h.call(ship.clone()).outcome,
            Outcome::Rejected {
                rejection: EngineRejection::HeldForReview
            }
        );
        let cases = h
            .engine()
            .cases(Some(AccountId(1)))
            .unwrap()
            .remove(0)
            .blocking_recv()
            .unwrap();
        let held = cases.iter().find(|c| c.txns == [small]).expect("a review case");
        // The operator clears it: the order may ship.
        assert!(matches!(
            h.call(Request::ResolveCase {
                case: held.id,
                confirm: false
            })
            .outcome,
            Outcome::Applied { .. }
        ));
        assert!(matches!(h.call(ship).outcome, Outcome::Applied { .. }));
        assert_eq!(
            h.call(Request::ResolveCase {
                case: held.id,
                confirm: true
            })
            .outcome,
            Outcome::Rejected {
                rejection: EngineRejection::CaseClosed
            }
        );
    }

    #[test]
    fn a_confirmed_theft_report_exempts_the_transactions_and_unfreezing_needs_verification() {
        let mut h = Harness::new(Arc::new(MemoryBackend::new()), risk_config(2));
        h.open(1, 10_000_000);
        let mine = buy(&h, 1, 2, 20_000, 51);
        let stolen = buy(&h, 1, 3, 150_000, 52);
        let pending = buy(&h, 1, 3, 50_000, 52);
        for (merchant, txn, fen) in [(2, mine, 20_000), (3, stolen, 150_000)] {
            let action = TxnAction::Capture {
                amount: Amount::from_fen(fen),
            };
            assert!(matches!(
                h.call(Request::Txn {
                    merchant: MerchantId(merchant),
                    txn,
                    action
                })
                .outcome,
                Outcome::Applied { .. }
            ));
        }
        h.clock.advance(SignedDuration::from_hours(24));
        let report = h.call(Request::ReportTheft {
            account: AccountId(1),
            txns: vec![stolen, pending],
        });
        let Outcome::Applied {
            op: Op::OpenCase { case, evidence, .. },
            ..
        } = report.outcome
        else {
            panic!("{report:?}")
        };
        assert_eq!(evidence.len(), 2, "each reported transaction's decision is evidence");
        let account = h.account(1);
        assert_eq!(account.frozen, Some(credit::FreezeReason::TheftReport));
        assert!(
            account
                .hold(pending)
                .is_some_and(|h| h.state == credit::HoldState::Voided)
        );

        assert_eq!(
            h.call(Request::Credit(credit::Command::Unfreeze { account: AccountId(1) }))
                .outcome,
            Outcome::Rejected {
                rejection: EngineRejection::VerificationRequired
            }
        );
        assert_eq!(
            h.call(Request::VerifiedUnfreeze { account: AccountId(1) }).outcome,
            Outcome::Rejected {
                rejection: EngineRejection::CaseOpen
            }
        );
        h.clock.advance(SignedDuration::from_hours(24 * 34));

        let confirm = h.call(Request::ResolveCase { case, confirm: true });
        assert!(matches!(confirm.outcome, Outcome::Applied { .. }), "{confirm:?}");
        let account = h.account(1);
        assert_eq!(account.exempt, vec![stolen, pending]);
        assert_eq!(
            account.principal_owed(),
            Amount::from_fen(20_000),
            "the victim owes only their own purchase"
        );
        assert_eq!(
            account.ledger.get(credit::ledger::LedgerAccount::FraudLoss),
            Amount::from_fen(150_000)
        );
        assert_eq!(account.reporting_status().exempt, vec![stolen, pending]);
        assert!(matches!(
            h.call(Request::VerifiedUnfreeze { account: AccountId(1) }).outcome,
            Outcome::Applied { .. }
        ));

        let cases = h
            .engine()
            .cases(Some(AccountId(1)))
            .unwrap()
            .remove(0)
            .blocking_recv()
            .unwrap();
        assert_eq!(
            cases.iter().find(|c| c.id == case).map(|c| c.status),
            Some(CaseStatus::Confirmed)
        );
        let before = h.account(1);
        h.restart();
        assert_eq!(before, h.account(1));
        let _ = (
            InterceptAction::Voided,
            Notice::Delivered {
                account: AccountId(1),
                merchant: MerchantId(1),
                txn: mine,
            },
        );
    }
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

/// Partitions are data, writer threads are CPU: the same store gives the same answers whether
/// its 5 partitions run on 1, 2 (uneven: 3 + 2) or 5 threads, and a restart may change the count.
#[test]
fn any_number_of_writer_threads_gives_the_same_state() {
    let mut h = Harness::new(
        Arc::new(MemoryBackend::new()),
        EngineConfig {
            writers: 1,
            ..config(5)
        },
    );
    for account in 1..=40 {
        h.open(account, 1_000_000);
    }
    let receivers: Vec<_> = (0..400u64)
        .map(|i| {
            let request = Request::Authorize {
                payer: Payer::Account(AccountId(i % 40 + 1)),
                merchant: MerchantId(1),
                amount: Amount::from_fen(100 + i as i64),
                plan: None,
            };
            h.engine().submit(request, None).unwrap()
        })
        .collect();
    for r in receivers {
        let outcome = r.blocking_recv().unwrap().outcome;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }
    let held = |h: &Harness| (1..=40).map(|a| h.account(a).held).collect::<Vec<_>>();
    // Account a took i = a-1, a+39, ... (10 holds): 10 * (100 + a - 1) + 40 * (0 + 1 + ... + 9).
    let expected: Vec<Amount> = (1..=40).map(|a| Amount::from_fen(10 * (99 + a) + 40 * 45)).collect();
    assert_eq!(held(&h), expected);
    for writers in [2, 5, 0, 1] {
        h.config.writers = writers;
        h.restart();
        assert_eq!(held(&h), expected, "{writers} writer threads");
        // New work is taken (and undone, so the holds stay as expected).
        for account in [1, 2] {
            let txn = h.authorize(account, 1, 1).expect("new work is taken");
            let voided = h.call(Request::Txn {
                merchant: MerchantId(1),
                txn,
                action: TxnAction::Void,
            });
            assert!(
                matches!(voided.outcome, Outcome::Applied { .. }),
                "{writers} writer threads"
            );
        }
    }
}

#[test]
fn writer_threads_are_at_least_one_and_at_most_one_per_partition() {
    let threads = |partitions, writers| {
        EngineConfig {
            partitions,
            writers,
            ..EngineConfig::default()
        }
        .writer_threads()
    };
    assert_eq!(threads(8, 3), 3);
    assert_eq!(threads(2, 16), 2);
    assert_eq!(threads(1, 0), 1);
    assert!((1..=8).contains(&threads(8, 0)));
}
