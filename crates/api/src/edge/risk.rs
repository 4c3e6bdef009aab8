//! The risk side of the server: how it is set up ([`RiskOptions`]: the rules folder, the
//! identity providers for step-up, the webhook dispatcher), and what its handlers share
//! ([`RiskEdge`]: step-up challenges and tokens, the contexts kept with payment codes, the
//! merchants' webhooks, the watched rules folder and its reloads).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use std::time::Duration;

use engine::RiskShared;
use identity::sim::{OtpPolicy, SimulatedLiveness, SimulatedOtp};
use identity::{BoxFuture, ChallengeId, LivenessScore, Mobile, OtpCheck, OtpCode, OtpSender, ProviderError};
use risk::{EvaluatorChoice, RuleSetCell};

use crate::edge::codes::CodeContexts;
use crate::edge::rules_history::{RuleHistory, Sources};
use crate::edge::rules_watch::RulesStatus;
use crate::edge::step_up::{Providers, StepUps};
use crate::meta::Meta;
use crate::webhooks::{WebhookOptions, Webhooks};

/// The rules the server decides with: a folder loaded at start and watched, or the rules
/// built into the binary (`engine::shipped_rules`, not watched).
#[derive(Clone, Debug)]
pub struct RulesOptions {
    /// The folder; `None`: the rules built into the binary.
    pub dir: Option<PathBuf>,
    /// How often the folder is looked at for changes.
    pub poll: Duration,
    /// The fraud model directory scored at every payment (`iou serve --fraud-model DIR`);
    /// `None`: the model built into the binary (`models/fraud`). Whether the rules read its
    /// score is the rules' business (`metadata.fraud_model`), not this option's.
    pub fraud_model: Option<PathBuf>,
}

impl RulesOptions {
    /// The rules of `dir`, loaded at start and watched.
    pub fn new(dir: PathBuf) -> RulesOptions {
        RulesOptions {
            dir: Some(dir),
            poll: Duration::from_secs(1),
            fraud_model: None,
        }
    }

    /// The rules built into the binary.
    pub fn shipped() -> RulesOptions {
        RulesOptions {
            dir: None,
            poll: Duration::from_secs(1),
            fraud_model: None,
        }
    }
}

/// How the server runs risk control, step-up and webhooks (all optional: the default runs
/// without rules, with simulated identity providers and the default dispatcher).
#[derive(Clone, Debug, Default)]
pub struct RiskOptions {
    /// Load these rules into the engine and hot-reload them. Without, the engine's own
    /// `EngineConfig::risk` is used as given (usually none: no risk decisions).
    pub rules: Option<RulesOptions>,
    /// The identity providers for step-up; the deterministic simulators (with a seed drawn at
    /// start) when `None`.
    pub providers: Option<Providers>,
    pub webhooks: WebhookOptions,
    /// The payment and payout providers (simulated when not given) and the callback secret.
    pub funding: crate::edge::funding::providers::FundingOptions,
    /// Customer notifications (simulated channels when none are given).
    pub notifications: crate::notifications::NotificationOptions,
}

/// The liveness score a face must reach (per mille), with the simulator or a provider.
pub const LIVENESS_THRESHOLD: u16 = 800;

/// The simulated providers, seeded. The OTP simulator sends no SMS: each code is logged (at
/// `warn`) so a person trying the API can type it. Faces pass with the simulator's references
/// (`score-950` passes, `spoof...` fails).
pub fn simulated_providers(seed: u64) -> Providers {
    let clock = Arc::new(identity::SystemClock::new());
    let threshold = LivenessScore::from_permille(LIVENESS_THRESHOLD).unwrap_or(LivenessScore::MAX);
    Providers {
        otp: Arc::new(LoggedOtp(SimulatedOtp::new(seed, OtpPolicy::default(), clock))),
        liveness: Arc::new(SimulatedLiveness::new(seed, threshold)),
    }
}

/// The OTP simulator, logging the code of each simulated SMS.
#[derive(Debug)]
struct LoggedOtp(SimulatedOtp);

impl OtpSender for LoggedOtp {
    fn send_otp<'a>(&'a self, mobile: &'a Mobile) -> BoxFuture<'a, Result<ChallengeId, ProviderError>> {
        let sent = self.0.send(mobile);
        if let Ok(challenge) = &sent {
            let code = self.0.code_for(challenge);
            tracing::warn!(mobile = %mobile.masked(), challenge = challenge.as_str(), code = code.as_str(), "simulated SMS");
        }
        Box::pin(std::future::ready(sent))
    }

    fn verify_otp<'a>(
        &'a self,
        challenge: &'a ChallengeId,
        code: &'a OtpCode,
    ) -> BoxFuture<'a, Result<OtpCheck, ProviderError>> {
        self.0.verify_otp(challenge, code)
    }
}

/// The rules loaded at start, for the engine's config, with the graph files' text when they
/// come from a folder (a rollback pinned in `meta` runs instead of the folder's set).
pub fn load_rules(options: &RulesOptions, meta: &Meta) -> Result<(Arc<RiskShared>, Option<Sources>), String> {
    let (rules, sources) = match &options.dir {
        Some(dir) => {
            let (sources, _pinned) = crate::edge::rules_history::startup_sources(meta, dir)?;
            let rules = crate::edge::rules_history::build(&sources, EvaluatorChoice::Auto, dir)?;
            tracing::info!(dir = %dir.display(), "risk: the rules of the folder (watched for edits)");
            (rules, Some(sources))
        }
        None => {
            let rules = engine::shipped_rules::rule_set(EvaluatorChoice::Auto)
                .map_err(|e| format!("the rules built into the binary: {e}"))?;
            tracing::info!("risk: the rules built into the binary (--rules DIR loads a folder)");
            (rules, None)
        }
    };
    let cell = Arc::new(RuleSetCell::new(Arc::new(rules)));
    let model = match &options.fraud_model {
        Some(dir) => engine::fraud_model::FraudModel::load_dir(dir),
        None => engine::fraud_model::FraudModel::shipped(),
    }
    .map_err(|e| format!("the fraud model: {}", error_chain(&e)))?;
    tracing::info!(
        model = model.id(),
        "risk: the fraud model scores every payment (shadow unless the payment graph reads it)"
    );
    let shared = RiskShared::new(cell, risk::FeatureConfig::default()).with_fraud_model(Arc::new(model));
    Ok((Arc::new(shared), sources))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// A running rules watcher.
#[derive(Debug)]
pub struct Watcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    status: Arc<RulesStatus>,
}

impl Watcher {
    /// Watches the folder of `options` (`sources`: the set loaded at start); the shipped
    /// rules are not watched (no thread).
    pub fn start(
        options: &RulesOptions,
        shared: &RiskShared,
        meta: &Arc<Meta>,
        sources: Option<Sources>,
    ) -> Result<Watcher, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let history = options
            .dir
            .clone()
            .zip(sources)
            .map(|(dir, sources)| {
                RuleHistory::new(dir, meta.clone(), shared.rules.clone(), EvaluatorChoice::Auto, sources)
            })
            .transpose()?
            .map(Arc::new);
        let status = Arc::new(RulesStatus::new(options.dir.clone(), history.clone()));
        let thread = options.dir.as_ref().zip(history).and_then(|(dir, history)| {
            crate::edge::rules_watch::watch(
                dir.clone(),
                status.clone(),
                history,
                EvaluatorChoice::Auto,
                options.poll,
                stop.clone(),
            )
            .inspect_err(|error| tracing::error!(%error, "the rules watcher did not start: edits are not reloaded"))
            .ok()
        });
        Ok(Watcher { stop, thread, status })
    }

    /// The watched folder and the reloads so far.
    pub fn status(&self) -> Arc<RulesStatus> {
        self.status.clone()
    }

    pub fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the risk routes share.
#[derive(Debug)]
pub struct RiskEdge {
    pub step_ups: StepUps,
    pub providers: Providers,
    pub code_contexts: CodeContexts,
    pub webhooks: Arc<Webhooks>,
    /// The watched rules folder and its reloads, if the server loaded one.
    pub rules: Option<Arc<RulesStatus>>,
}
