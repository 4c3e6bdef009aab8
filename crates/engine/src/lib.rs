//! The iou engine: the credit core made durable and concurrent.
//!
//! This crate owns the running shape of DESIGN.md section 1: accounts hash to a fixed number of
//! partitions; each partition is one writer thread that drains its bounded queue into a batch,
//! applies every request to its in-memory state (the sans-IO credit core), and seals the batch;
//! one committer thread appends every sealed batch to the journal in one durable transaction
//! (group commit) and only then replies. Start-up restores each partition from its newest
//! snapshot and replays the journal after it, and its risk features from the newest feature
//! snapshot (one cut of every partition and the shared state) and the journal after that;
//! snapshots are written by background threads;
//! a projector thread keeps the SQL read models; a scheduler sends the daily advance.
//!
//! Callers hand it typed [`Request`]s, which cannot hold what it would refuse for their shape
//! ([`AccountCommand`]), and read typed replies through [`ask`] (one struct per request kind,
//! its reply built from the resolved op and its events).
//!
//! It knows threads, queues and the store's traits. It must never know HTTP, JSON or a metrics
//! library (it tells a [`CommitObserver`] of its commits and answers [`Engine::gauges`]), never
//! parse requests (callers hand it typed [`Request`]s), and never decide a credit rule: those
//! live in `credit`. The clock it reads is the injected [`Clock`], truncated to the journal's
//! precision ([`journal_time`]) before anything is applied, so replay rebuilds the live state
//! exactly. [`journal`] is the one reader of the journal (the record encoding is private to this
//! crate): recovery, the [`projector`] (read models), the [`outbox`] scanner (notices and
//! webhook deliveries), the [`backtest`] and operators' tools all read through it.

mod account_command;
pub mod application;
pub mod ask;
pub mod backtest;
mod batches;
mod block;
mod cases;
mod clock;
pub mod cluster;
mod committer;
mod config;
mod cut;
mod engine;
mod error;
mod evidence;
mod feature_cut;
mod feature_snapshot;
pub mod fraud_model;
pub mod funding;
mod idempotency;
mod ids;
pub mod journal;
mod keys;
pub mod labelled;
pub mod labels;
mod monitor;
pub mod month_end;
pub mod observe;
pub mod outbox;
mod partition;
mod partition_funding;
mod partition_payments;
pub mod portfolio;
pub mod pricing;
pub mod projector;
mod record;
mod recovery;
mod reference;
mod rejection;
mod request;
pub mod ring;
pub mod risk;
mod risk_facts;
mod risk_journal;
mod risk_orders;
pub mod route;
pub mod rules_dir;
mod scheduler;
pub mod settle;
mod shared;
pub mod shipped_rules;
mod snapshotter;
mod store_meta;
pub mod transactions;
mod view;
mod worker;

pub use account_command::{AccountCommand, NotAnAccountCommand};
pub use application::{Approval, CreditApplication, LineOpening};
pub use cases::{Case, CaseKind, CaseStatus, Evidence, InterceptAction, Notice, Watch};
pub use clock::{Clock, ManualClock, SystemClock, journal_time};
pub use config::EngineConfig;
pub use engine::Engine;
pub use error::EngineError;
pub use evidence::evidence_of;
pub use feature_snapshot::FeatureState;
pub use funding::{Funding, FundingKind, FundingQuery, FundingStart, FundingStatus, FundingUpdate};
pub use idempotency::{Idempotency, IdempotencyIndex};
pub use ids::{CaseId, LinkId};
pub use keys::{Claim, KeyClaims};
pub use monitor::holds_payment;
pub use observe::{CommitGroup, CommitObserver, Gauges, Projection};
pub use partition_payments::MerchantTxn;
pub use pricing::{CreditProfile, Pricing, TierName};
pub use record::{Op, Record};
pub use reference::{Reference, ReferenceError};
pub use rejection::{EngineRejection, RiskBlock};
pub use request::{Outcome, Payer, Reply, Request, SubmitError, TxnAction};
pub use risk::{FraudLists, RiskContext, RiskRecord, RiskShared};
#[doc(hidden)]
pub use snapshotter::as_format_3 as snapshot_as_format_3;
