//! Collections for iou: sans-IO and deterministic.
//!
//! This crate owns what collections decide and judge, given the facts: the strategy table (a
//! GoRules JDM decision graph, `rules/collections/strategy.json`, evaluated through
//! `risk::rules::zen`) that picks the next action on a delinquent account ([`Action`]: a
//! reminder, a call task, a hardship offer, or nothing, with a reason); the [`Situation`] the
//! table reads, built from a `credit::Account` brought to a day the caller passes; and promises
//! to pay ([`Promise`]): their limits when made and whether the payments since kept them.
//!
//! It must never know IO, clocks, randomness, HTTP, the store or the engine: the day, the
//! account and the promises arrive as arguments, so the API, the simulator and tests get the
//! same answers from the same facts. Where the work records live (the API's meta table) and how
//! the hardship plan moves money (`credit::hardship`) are elsewhere; COLLECTIONS.md has the
//! whole picture.

pub mod promise;
pub mod situation;
pub mod strategy;

pub use promise::{Promise, PromiseError, PromiseStatus};
pub use situation::Situation;
pub use strategy::{Action, Decision, Strategy, StrategyError};

/// `rules/collections/strategy.json`, built into the binary as the default strategy.
pub const SHIPPED_STRATEGY: &str = include_str!("../../../rules/collections/strategy.json");
