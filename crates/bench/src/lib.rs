//! iou's benchmarks. Figures are printed, never asserted: performance claims live here and in
//! the issue notes, not in timed tests.
//!
//! - [`inprocess`]: durable authorizations per second through the engine (partitions, group
//!   commit to SQLite), with clients in the same process.
//! - [`baseline`]: the same authorizations done the way a plain service would, one SQLite
//!   transaction each ([`plain`]: its tables and its transaction); [`plain_http`] is that
//!   service behind HTTP, driven by the same load generator as the iou server.
//! - [`risk_eval`]: one payment authorization's risk evaluation (features + model + rules) on
//!   one core; the in-process engine with and without risk is [`inprocess::run_with_risk`].
//! - [`projection`]: waiting for the read models, which the projector fills behind the journal.
//! - [`http`]: the real server on loopback, driven by a load generator in the same process;
//!   [`wire`] is its lean HTTP/1.1 client.
//! - [`statement_day`]: the daily advance on statement day for many accounts at once, with
//!   authorizations running beside it.
//! - [`restart`]: start-up to serving with a long journal, with and without the feature
//!   snapshot.
//! - [`report`]: the figures and ratios, as text or one JSON object.
//!
//! It knows the engine's and the store's public APIs and nothing of their insides.

pub mod baseline;
pub mod cpu;
pub mod http;
pub mod inprocess;
pub mod plain;
pub mod plain_http;
pub mod projection;
pub mod report;
pub mod restart;
pub mod risk_eval;
pub mod statement_day;
mod stats;
pub mod wire;

pub use stats::{Figures, Latencies};

/// The load every measurement uses.
#[derive(Clone, Debug)]
pub struct Load {
    /// Accounts the authorizations spread over.
    pub accounts: u64,
    /// Requests outstanding at any moment.
    pub in_flight: usize,
    /// How long each measurement runs.
    pub seconds: f64,
    /// Engine partitions.
    pub partitions: u32,
    /// Writer threads the partitions share (0: the engine's default).
    pub writers: u32,
    /// How the HTTP measurement's load generator speaks to the server.
    pub protocol: http::Protocol,
}

impl Load {
    /// The writer threads the engine runs for this load.
    pub fn writer_threads(&self) -> u32 {
        engine::EngineConfig {
            partitions: self.partitions,
            writers: self.writers,
            ..engine::EngineConfig::default()
        }
        .writer_threads()
    }
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("engine: {0}")]
    Engine(#[from] engine::EngineError),
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// A small fast generator for picking accounts (the benchmark's only randomness, seeded).
pub use seeded::XorShift64 as XorShift;
