//! The sans-IO risk core of iou.
//!
//! Owns: the checkpoint inputs ([`CheckpointInput`]), the feature state with its exact sliding
//! windows ([`features`]), the rules as JDM decision graphs ([`rules`]: zen-engine as the
//! reference evaluator and a compiled fast path proven equal to it), and the [`Decision`] with
//! its reason codes, rule version, shadow outcome and trace; the one step after the rules,
//! OTP -> liveness escalation on takeover signals ([`escalation`]).
//!
//! Must never know: files, sockets, threads, clocks or randomness (time, ids and seeds are
//! arguments; graph JSON arrives as text), the journal or the store, how models are scored (the
//! scores arrive in [`ModelScores`]), or what the shell does with a challenge or a review.
//!
//! Entry points: [`RiskEngine::evaluate`] then [`RiskEngine::observe`] for a process that owns
//! every feature key; [`decide`] with a [`FeatureVector`] gathered from a
//! [`features::UserFeatureStore`] and [`features::SharedFeatureShard`]s for a partitioned engine
//! or a backtest; [`RuleSet::from_sources`] and [`RuleSetCell`] for loading and hot-swapping
//! the graphs.

mod checkpoint;
mod decision;
mod engine;
pub mod escalation;
pub mod features;
mod ids;
mod models;
pub mod rules;

pub use checkpoint::{Checkpoint, CheckpointDetail, CheckpointInput, ProfileField, Signals};
pub use decision::{
    ChallengeKind, Decision, Evaluator, Outcome, ReasonCode, ReasonCodeError, RuleTrace, RulesVersion, ShadowOutcome,
    TraceStep,
};
pub use engine::{RiskEngine, decide};
pub use features::{FeatureConfig, FeatureStore, FeatureVector};
pub use ids::{CardToken, Channel, DeviceId, Geo, GeoError, MerchantId, Timestamp, UserId};
pub use models::{ModelScores, SCORE_DECIMALS, score_decimal};
pub use rules::{EvaluatorChoice, RuleContext, RuleSet, RuleSetCell, RuleSetError};
