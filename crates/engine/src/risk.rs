//! Risk in the partition: the decision at each checkpoint, taken on the writer thread before
//! the credit core applies the command, and journaled with it.
//!
//! Features: a user's live in its partition's [`UserFeatureStore`] (users never leave their
//! partition); shared keys (device, IP, merchant, card) are seen by users of every partition, so
//! they live in [`RiskShared`]'s shards, striped by key hash, each behind its own mutex held only
//! for one key's read or update. Rules come from a [`RuleSetCell`] (lock-free reads, hot-swapped
//! by the shell). Replay never re-decides: the journaled decision is the decision; features
//! are rebuilt at start-up by observing the journaled inputs again.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use credit::{AccountId, MerchantId};
use jiff::Timestamp;
use money::Amount;
use risk::features::{
    BINDING_LIMITS, BindingStore, EntityKey, FeatureConfig, LinkGraph, LinkKey, MerchantFact, SharedFeatureShard,
    SharedKeys, Tally, UserFeatureStore, local_hour,
};
use risk::{
    ChallengeKind, Channel, CheckpointDetail, CheckpointInput, DeviceId, FeatureVector, Geo, ModelScores, Outcome,
    ReasonCode, RuleSet, RuleSetCell, RulesVersion, Signals, UserId,
};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::fraud_model::{FraudModel, FraudScore, FraudScratch};
use crate::pricing::CreditProfile;

/// Where and how the customer acted: what risk needs beyond the request itself. The shell
/// fills it from the customer's app or the merchant's checkout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskContext {
    pub device: DeviceId,
    pub ip: IpAddr,
    pub geo: Option<Geo>,
    pub channel: Channel,
    /// The device's own clock, when it reported one (hour-of-day features use it).
    pub device_time: Option<Timestamp>,
    /// The device fingerprint says emulator, rooted or hooked.
    pub emulator: bool,
    /// The IP is a data centre, proxy or anonymiser.
    pub proxy: bool,
    /// A step-up the customer passed for this request (checked by the shell with the identity
    /// provider): it satisfies a challenge of that kind.
    pub step_up: Option<ChallengeKind>,
}

impl RiskContext {
    /// What an unknown caller looks like: no device, no address.
    pub fn unknown(channel: Channel) -> RiskContext {
        RiskContext {
            device: DeviceId(0),
            ip: IpAddr::from([0, 0, 0, 0]),
            geo: None,
            channel,
            device_time: None,
            emulator: false,
            proxy: false,
            step_up: None,
        }
    }
}

/// Devices and addresses known to be used for fraud. Replaced whole (lock-free reads).
#[derive(Clone, Debug, Default)]
pub struct FraudLists {
    pub devices: FxHashSet<DeviceId>,
    pub ips: FxHashSet<IpAddr>,
}

/// What every partition's risk shares: the rules, the shared-key feature shards, the lists.
#[derive(Debug)]
pub struct RiskShared {
    pub rules: Arc<RuleSetCell>,
    pub(crate) shards: Vec<Mutex<SharedFeatureShard>>,
    pub lists: ArcSwap<FraudLists>,
    pub config: FeatureConfig,
    /// The fraud model scored at every payment authorization (none: no model runs).
    pub fraud_model: Option<Arc<FraudModel>>,
    /// The link graph over every partition's accounts: one value, one owner at a time (see
    /// `risk_facts`).
    pub(crate) graph: Mutex<LinkGraph>,
}

/// Shared-key shards: enough that two partitions rarely want the same one at once.
pub(crate) const SHARDS: u32 = 64;

impl RiskShared {
    pub fn new(rules: Arc<RuleSetCell>, config: FeatureConfig) -> RiskShared {
        let limits = [config.device, config.ip, config.merchant, config.card];
        RiskShared {
            rules,
            shards: (0..SHARDS)
                .map(|_| Mutex::new(SharedFeatureShard::new(limits, config.hash_seed)))
                .collect(),
            lists: ArcSwap::from_pointee(FraudLists::default()),
            config,
            fraud_model: None,
            graph: Mutex::new(LinkGraph::new(config.links, config.hash_seed)),
        }
    }

    /// The same, scoring `model` at every payment authorization.
    pub fn with_fraud_model(mut self, model: Arc<FraudModel>) -> RiskShared {
        self.fraud_model = Some(model);
        self
    }

    pub fn rule_set(&self) -> Arc<RuleSet> {
        self.rules.load()
    }

    fn shard(&self, key: EntityKey) -> std::sync::MutexGuard<'_, SharedFeatureShard> {
        let index = key.shard(SHARDS, self.config.hash_seed) as usize;
        self.shards[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Tells the merchant's shard a fact about one of its orders.
    pub(crate) fn observe_merchant_fact(&self, merchant: risk::MerchantId, fact: MerchantFact, now: risk::Timestamp) {
        let key = EntityKey::Merchant(merchant);
        self.shard(key).observe_merchant_fact(merchant, fact, now);
    }

    /// The link graph (held for one query or one observation).
    pub(crate) fn graph(&self) -> std::sync::MutexGuard<'_, LinkGraph> {
        self.graph.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Accounts and keys the link graph holds.
    pub fn graph_len(&self) -> (usize, usize) {
        self.graph().len()
    }

    /// The users a shared key was seen with that its shard still remembers (one shard lock,
    /// held for one lookup).
    pub fn users_of(&self, key: EntityKey) -> Vec<UserId> {
        self.shard(key).users_of(key)
    }

    /// Forgets idle shared keys.
    pub fn sweep(&self, now: risk::Timestamp) {
        for shard in &self.shards {
            shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .sweep(now);
        }
    }
}

/// A decision as the journal keeps it: enough to answer, audit and back-test (the full trace is
/// reproduced by deciding again with the same rules version, features and scores).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskRecord {
    pub input: CheckpointInput,
    pub outcome: Outcome,
    pub reasons: Vec<ReasonCode>,
    pub rules: RulesVersion,
    pub shadow: Option<(Outcome, Vec<ReasonCode>, RulesVersion)>,
    pub features: FeatureVector,
    pub models: ModelScores,
    /// A challenge the request's step-up satisfied (the outcome stays what the rules said).
    pub satisfied_by_step_up: bool,
    /// Whether the attempt entered the features (a customer's act does; a monitoring re-score
    /// does not). Start-up observes again exactly these.
    pub observed: bool,
    /// The fraud model's score and reason codes (payment authorizations, when a model runs),
    /// live or in shadow: `models.fraud_score` holds the score only when the live graph reads
    /// it. Journaled in the batch's trailer (`record::BatchBody`), not inline, so journals
    /// written before the model still decode.
    #[serde(skip)]
    pub fraud: Option<FraudScore>,
}

impl RiskRecord {
    /// Whether the request may go on: allow, review, or a challenge the step-up satisfied.
    pub fn proceeds(&self) -> bool {
        match self.outcome {
            Outcome::Allow | Outcome::Review => true,
            Outcome::Challenge(_) => self.satisfied_by_step_up,
            Outcome::Deny => false,
        }
    }
}

/// One partition's risk state.
#[derive(Debug)]
pub struct PartitionRisk {
    pub(crate) users: UserFeatureStore,
    shared: Arc<RiskShared>,
    fraud_scratch: FraudScratch,
    /// Devices bound to this partition's accounts.
    pub(crate) binding: BindingStore,
    /// This partition's recent orders: what a capture, void or refund needs to reach its
    /// merchant's book (see `risk_facts`).
    pub(crate) orders: crate::risk_orders::Orders,
    /// The time of the last record whose facts were observed (live or at start-up): where a
    /// start-up from a feature snapshot sweeps when no record follows it.
    pub(crate) last_at: Option<risk::Timestamp>,
}

pub fn risk_time(at: Timestamp) -> risk::Timestamp {
    risk::Timestamp::from_millis(at.as_millisecond())
}

impl PartitionRisk {
    pub fn new(shared: Arc<RiskShared>) -> PartitionRisk {
        PartitionRisk {
            users: UserFeatureStore::new(shared.config.user, shared.config.hash_seed),
            binding: BindingStore::new(BINDING_LIMITS, shared.config.hash_seed),
            orders: crate::risk_orders::Orders::default(),
            last_at: None,
            shared,
            fraud_scratch: FraudScratch::default(),
        }
    }

    pub fn shared(&self) -> &Arc<RiskShared> {
        &self.shared
    }

    /// The devices, IPs and cards `account` was seen with, as its features remember them.
    pub fn sightings(&self, account: AccountId) -> risk::features::Sightings {
        self.users.sightings(UserId(account.0))
    }

    /// The checkpoint input of a payment authorization.
    pub fn payment_input(
        &self,
        account: AccountId,
        merchant: MerchantId,
        amount: Amount,
        installments: u8,
        ctx: &RiskContext,
        now: Timestamp,
    ) -> CheckpointInput {
        let detail = CheckpointDetail::PaymentAuthorization {
            merchant: risk::MerchantId(merchant.0),
            amount,
            installments,
        };
        self.input(account, ctx, detail, now)
    }

    /// A checkpoint input of any kind for `account`.
    pub fn input(
        &self,
        account: AccountId,
        ctx: &RiskContext,
        detail: CheckpointDetail,
        now: Timestamp,
    ) -> CheckpointInput {
        let lists = self.shared.lists.load();
        CheckpointInput {
            user: UserId(account.0),
            device: ctx.device,
            ip: ctx.ip,
            geo: ctx.geo,
            channel: ctx.channel,
            at: risk_time(ctx.device_time.unwrap_or(now)),
            signals: Signals {
                device_listed: lists.devices.contains(&ctx.device),
                ip_listed: lists.ips.contains(&ctx.ip),
                card_listed: false,
                emulator: ctx.emulator,
                proxy: ctx.proxy,
            },
            detail,
        }
    }

    /// Decides on `input` at `now` and records the attempt in the features.
    pub fn decide(
        &mut self,
        input: CheckpointInput,
        profile: Option<CreditProfile>,
        step_up: Option<ChallengeKind>,
        now: Timestamp,
    ) -> RiskRecord {
        let record = self.decide_with(input, profile, step_up, now, true);
        self.observe(&record.input, !record.proceeds(), risk_time(now));
        record
    }

    /// Decides without recording the attempt in the features (monitoring re-scores).
    pub fn decide_quietly(
        &mut self,
        input: CheckpointInput,
        profile: Option<CreditProfile>,
        now: Timestamp,
    ) -> RiskRecord {
        self.decide_with(input, profile, None, now, false)
    }

    fn decide_with(
        &mut self,
        input: CheckpointInput,
        profile: Option<CreditProfile>,
        step_up: Option<ChallengeKind>,
        now: Timestamp,
        observed: bool,
    ) -> RiskRecord {
        let at = risk_time(now);
        let features = self.features_for(&input, at);
        let mut models = ModelScores {
            fraud_score: None,
            credit_pd: profile.map(|p| p.pd),
            credit_score: profile.map(|p| p.score),
        };
        let rules = self.shared.rule_set();
        let fraud = self.score_fraud(&input, &features, &models, at);
        models.fraud_score = fraud_score_for(&rules, &input, fraud.as_ref());
        let decision = risk::decide(&rules, &input, &features, &models, at);
        let satisfied_by_step_up = matches!((decision.outcome, step_up), (Outcome::Challenge(asked), Some(passed)) if passed == asked || passed == ChallengeKind::Liveness);
        RiskRecord {
            input,
            outcome: decision.outcome,
            reasons: decision.reasons,
            rules: decision.rules_version,
            shadow: decision.shadow.map(|s| (s.outcome, s.reasons, s.rules_version)),
            features,
            models,
            satisfied_by_step_up,
            observed,
            fraud,
        }
    }

    /// The fraud model's score of a payment authorization (none for other checkpoints or
    /// without a model). Reads only the input, features and credit scores: deterministic.
    fn score_fraud(
        &mut self,
        input: &CheckpointInput,
        features: &FeatureVector,
        models: &ModelScores,
        now: risk::Timestamp,
    ) -> Option<FraudScore> {
        if input.checkpoint() != risk::Checkpoint::PaymentAuthorization {
            return None;
        }
        let model = self.shared.fraud_model.as_ref()?;
        let ctx = risk::RuleContext {
            input,
            features,
            models,
            now,
        };
        Some(model.score(&ctx, &mut self.fraud_scratch))
    }

    fn features_for(&mut self, input: &CheckpointInput, now: risk::Timestamp) -> FeatureVector {
        let current = Tally::of_event(input);
        let keys = SharedKeys::of(input);
        let shared = |key| self.shared.shard(key).features(key, input.user, &current, now);
        let device = shared(EntityKey::Device(keys.device));
        let ip = shared(EntityKey::Ip(keys.ip));
        let merchant = keys.merchant.map(|m| shared(EntityKey::Merchant(m)));
        let card = keys.card.map(|c| shared(EntityKey::Card(c)));
        let merchant_book = keys
            .merchant
            .map(|m| self.shared.shard(EntityKey::Merchant(m)).merchant_features(m, now));
        let links = LinkKey::of(input.device, input.ip, input.card());
        FeatureVector {
            hour_of_day: local_hour(input.at, self.shared.config.utc_offset_minutes),
            user: self.users.features(input, now),
            device,
            ip,
            merchant,
            card,
            history: self.users.history(input, now),
            merchant_book,
            binding: self.binding.features(input, now),
            graph: self.shared.graph().features(input.user, links, now),
        }
    }

    /// Records an attempt into the features (live after a decision, or again at start-up).
    pub fn observe(&mut self, input: &CheckpointInput, denied: bool, now: risk::Timestamp) {
        let tally = Tally::of_event(input).with_denial(denied);
        self.users.observe(input, &tally, now);
        for key in SharedKeys::of(input).keys() {
            self.shared.shard(key).observe(key, input.user, &tally, now);
        }
        self.binding.observe(input, denied, now);
        let links = LinkKey::of(input.device, input.ip, input.card());
        self.shared.graph().observe(input.user, links, now);
    }

    pub fn sweep(&mut self, now: risk::Timestamp) {
        self.users.sweep(now);
        self.binding.sweep(now);
        self.orders.sweep(now);
    }
}

/// The fraud score `rules` may see for `input`: the model's, when the checkpoint's live graph
/// reads it (`metadata.fraud_model: "live"`); otherwise none (shadow). The backtest asks the
/// same of a candidate, so promoting the model can be replayed before it is deployed.
pub fn fraud_score_for(rules: &RuleSet, input: &CheckpointInput, fraud: Option<&FraudScore>) -> Option<f64> {
    let live = rules.live(input.checkpoint()).fraud_model() == risk::rules::ModelUse::Live;
    fraud.filter(|_| live).map(|f| f.score)
}

/// An outcome's stable name (`allow`, `challenge_otp`, `challenge_liveness`, `review`, `deny`).
pub fn outcome_name(outcome: risk::Outcome) -> &'static str {
    match outcome {
        risk::Outcome::Allow => "allow",
        risk::Outcome::Challenge(risk::ChallengeKind::Otp) => "challenge_otp",
        risk::Outcome::Challenge(risk::ChallengeKind::Liveness) => "challenge_liveness",
        risk::Outcome::Review => "review",
        risk::Outcome::Deny => "deny",
    }
}
