//! [`RiskEngine`]: features + rules + the caller's model scores -> [`Decision`], for one
//! process that owns every feature key; and [`decide`], the pure step a partitioned engine or
//! `iou backtest` calls with features it gathered itself.

use std::sync::Arc;

use crate::checkpoint::CheckpointInput;
use crate::decision::Decision;
use crate::escalation::escalate;
use crate::features::{FeatureConfig, FeatureStore, FeatureVector};
use crate::ids::Timestamp;
use crate::models::ModelScores;
use crate::rules::{RuleContext, RuleSet};

/// Decides with `rules` on an input whose features are already known, then escalates an OTP
/// challenge to liveness when takeover signals are present ([`crate::escalation`], on the live
/// and the shadow answer alike). Pure.
pub fn decide(
    rules: &RuleSet,
    input: &CheckpointInput,
    features: &FeatureVector,
    models: &ModelScores,
    now: Timestamp,
) -> Decision {
    let ctx = RuleContext {
        input,
        features,
        models,
        now,
    };
    let mut outcome = rules.evaluate(&ctx);
    let live = escalate(outcome.live.outcome, &mut outcome.live.reasons, input, features);
    if let Some(shadow) = outcome.shadow.as_mut() {
        shadow.outcome = escalate(shadow.outcome, &mut shadow.reasons, input, features);
    }
    Decision {
        checkpoint: input.checkpoint(),
        outcome: live,
        reasons: outcome.live.reasons,
        rules_version: outcome.live_version,
        trace: outcome.live.trace,
        shadow: outcome.shadow,
        features: *features,
        models: *models,
    }
}

/// The risk core of one process: feature state and the current rule set.
#[derive(Debug)]
pub struct RiskEngine {
    features: FeatureStore,
    rules: Arc<RuleSet>,
}

impl RiskEngine {
    pub fn new(config: FeatureConfig, rules: Arc<RuleSet>) -> RiskEngine {
        RiskEngine {
            features: FeatureStore::new(config),
            rules,
        }
    }

    /// Swaps in a new rule set (evaluations already returned keep their versions).
    pub fn set_rules(&mut self, rules: Arc<RuleSet>) {
        self.rules = rules;
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Decides on `input` at `now`. Reads features (moving their windows to `now`) but does not
    /// record the event: call [`RiskEngine::observe`] once the decision is final.
    pub fn evaluate(&mut self, input: &CheckpointInput, models: &ModelScores, now: Timestamp) -> Decision {
        let features = self.features.features_for(input, now);
        decide(&self.rules, input, &features, models, now)
    }

    /// Records the event and its decision into the features. Denied attempts are recorded too
    /// (velocity must see a refused burst), with the denial counted.
    pub fn observe(&mut self, input: &CheckpointInput, decision: &Decision, now: Timestamp) {
        self.features.observe(input, decision.outcome.is_deny(), now);
    }

    /// Records a fact about an order of `merchant` (capture, void, refund, ...), told by the
    /// shell after it happened.
    pub fn observe_merchant_fact(
        &mut self,
        merchant: crate::ids::MerchantId,
        fact: crate::features::MerchantFact,
        now: Timestamp,
    ) {
        self.features.observe_merchant_fact(merchant, fact, now);
    }

    /// Records a confirmed fraud case on `user` (the link graph's fraud counts).
    pub fn confirm_fraud(&mut self, user: crate::ids::UserId, now: Timestamp) {
        self.features.confirm_fraud(user, now);
    }

    /// Forgets idle feature keys; see [`FeatureStore::sweep`].
    pub fn sweep(&mut self, now: Timestamp) {
        self.features.sweep(now);
    }

    pub fn features(&self) -> &FeatureStore {
        &self.features
    }
}
