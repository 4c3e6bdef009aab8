//! The engine under test: started on a backend with a manual clock, restarted at will, called
//! synchronously.

use std::sync::Arc;

use credit::{AccountId, Command, MerchantId, TxnId};
use engine::{Engine, EngineConfig, EngineRejection, Idempotency, ManualClock, Op, Outcome, Payer, Reply, Request};
use jiff::Timestamp;
use money::Amount;
use store::Backend;
use store::memory::MemoryBackend;

/// The tests' first instant. It has a sub-microsecond part on purpose: the engine stamps state
/// at the journal's precision, whatever the clock reads.
pub fn start_at() -> Timestamp {
    "2026-03-01T10:00:00.000000123+08:00".parse().unwrap()
}

pub fn config(partitions: u32) -> EngineConfig {
    EngineConfig {
        partitions,
        schedule: false,
        ..EngineConfig::default()
    }
}

pub struct Harness {
    pub backend: Arc<dyn Backend>,
    pub clock: Arc<ManualClock>,
    /// The clock the engine reads: `clock`, or one that adds sub-microsecond parts to it.
    pub engine_clock: Arc<dyn engine::Clock>,
    pub engine: Option<Engine>,
    pub config: EngineConfig,
}

impl Harness {
    pub fn new(backend: Arc<dyn Backend>, config: EngineConfig) -> Harness {
        let clock = Arc::new(ManualClock::new(start_at()));
        Harness::with_clock(backend, config, clock.clone(), clock)
    }

    pub fn with_clock(
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

    pub fn memory(partitions: u32) -> Harness {
        Harness::new(Arc::new(MemoryBackend::new()), config(partitions))
    }

    pub fn engine(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }

    pub fn restart(&mut self) {
        self.engine.take().unwrap().shutdown();
        self.engine =
            Some(Engine::start(self.config.clone(), self.backend.clone(), self.engine_clock.clone()).unwrap());
    }

    pub fn call(&self, request: Request) -> Reply {
        self.call_keyed(request, None)
    }

    pub fn call_keyed(&self, request: Request, key: Option<Idempotency>) -> Reply {
        self.engine().submit(request, key).unwrap().blocking_recv().unwrap()
    }

    pub fn open(&self, account: u64, limit_fen: i64) {
        let reply = self.call(
            Request::from_command(Command::OpenAccount {
                account: AccountId(account),
                limit: Amount::from_fen(limit_fen),
                billing_day: 5,
            })
            .unwrap(),
        );
        assert!(matches!(reply.outcome, Outcome::Applied { .. }), "{reply:?}");
    }

    pub fn authorize(&self, account: u64, merchant: u64, fen: i64) -> Result<TxnId, EngineRejection> {
        let reply = self.call(Request::Authorize {
            payer: Payer::Account(AccountId(account)),
            merchant: MerchantId(merchant),
            amount: Amount::from_fen(fen),
            plan: None,
            reference: None,
        });
        match reply.outcome {
            Outcome::Applied {
                op:
                    Op::Authorize {
                        command: Command::Authorize { txn, .. },
                        ..
                    },
                ..
            } => Ok(txn),
            Outcome::Rejected { rejection } => Err(rejection),
            other => panic!("{other:?}"),
        }
    }

    pub fn account(&self, account: u64) -> Box<credit::Account> {
        self.engine()
            .account(AccountId(account))
            .unwrap()
            .blocking_recv()
            .unwrap()
            .expect("account exists")
    }
}

pub fn applied(reply: &Reply) -> bool {
    matches!(reply.outcome, Outcome::Applied { .. })
}
