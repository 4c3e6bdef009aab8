//! [`Onboard`]: how an applicant becomes a customer with a credit line. The workload only
//! hands applicants to an `Onboard` and reads its decisions, so moving to the onboarding
//! crate's flow is one change.
//!
//! [`DirectOnboard`] is the flow until that crate lands, built from the engine's own requests:
//! the line is opened at zero, the applicant's credit profile is set (a synthetic scorecard
//! over the simulator's latent quality, not the trained model), the credit-application
//! checkpoint runs the shipped rules with the applicant's device and address (so device farms
//! meet the real shared features), then the activation checkpoint; a step-up the rules ask
//! for is attempted once (synthetic identities fail liveness); the limit comes from a table
//! of income and probability of default and is set only when both checkpoints pass.

use credit::{AccountId, Command};
use engine::{CreditProfile, EngineRejection, Outcome, Request, RiskBlock, RiskContext};
use money::Amount;
use risk::{ChallengeKind, CheckpointDetail};

use crate::driver::{Answer, Call};
use crate::link::{Link, SimError};
use crate::rng::Rng;

/// Someone applying for a line.
#[derive(Clone, Debug)]
pub struct Applicant {
    pub account: AccountId,
    pub declared_income_yuan: u64,
    /// Latent quality 0..=1000 as the bureau data would show it.
    pub quality: u64,
    pub billing_day: u8,
    pub context: RiskContext,
    /// A made-up identity: it cannot pass a liveness check.
    pub synthetic: bool,
    /// Whether the applicant can answer an OTP (a synthetic identity's SIM may be the farm's).
    pub answers_otp: bool,
}

/// The outcome of an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Approved {
        limit: Amount,
        /// The scorecard's score and probability of default (ppm), when the flow scored.
        scored: Option<(i32, i64)>,
    },
    /// `outcome:REASON`, e.g. `deny:CREDIT_PD_HIGH`.
    Declined { reason: String, scored: Option<(i32, i64)> },
}

pub trait Onboard {
    /// Decides `applicants`, who apply at the same moment, in order.
    fn onboard(
        &mut self,
        link: &mut Link<'_>,
        applicants: &[Applicant],
        rng: &mut Rng,
    ) -> Result<Vec<Decision>, SimError>;

    /// What the onboarding flow is, for the report.
    fn describe(&self) -> &'static str;
}

/// The simulator's own flow over the engine's requests (see the module comment).
#[derive(Debug, Default)]
pub struct DirectOnboard;

/// The synthetic scorecard: a score from quality and noise, and its probability of default.
pub fn profile(quality: u64, rng: &mut Rng) -> CreditProfile {
    let noise = rng.below(81) as f64 - 40.0;
    let score = 300.0 + quality as f64 * 0.55 + noise;
    let pd = 1.0 / (1.0 + ((score - 420.0) / 45.0).exp());
    CreditProfile {
        pd: (pd * 10_000.0).round() / 10_000.0,
        score: score.round() as i32,
        pricing: None,
    }
}

/// The limit table: a multiple of monthly income by probability of default, in whole hundreds
/// of yuan between 500 and 30,000.
pub fn limit_for(income_yuan: u64, pd: f64) -> Amount {
    let tenths = match pd {
        p if p < 0.02 => 15,
        p if p < 0.05 => 10,
        p if p < 0.08 => 7,
        p if p < 0.12 => 5,
        _ => 3,
    };
    let yuan = (income_yuan * tenths / 10 / 100 * 100).clamp(500, 30_000);
    Amount::yuan(i64::try_from(yuan).unwrap_or(30_000))
}

/// Whether a step-up of `kind` passes for this applicant.
fn passes(applicant: &Applicant, kind: ChallengeKind, rng: &mut Rng) -> bool {
    match kind {
        ChallengeKind::Liveness => !applicant.synthetic && rng.chance(960),
        ChallengeKind::Otp => applicant.answers_otp && rng.chance(985),
    }
}

/// What a checkpoint answered: go on, ask for a step-up, or stop with a reason.
enum Gate {
    Pass,
    StepUp(ChallengeKind),
    Stop(String),
}

fn gate(answer: &Answer) -> Gate {
    let reasons = |prefix: &str| {
        let first = answer
            .risk
            .as_ref()
            .and_then(|r| r.reasons.first().map(|c| c.as_str().to_owned()))
            .unwrap_or_else(|| "NO_REASON".into());
        format!("{prefix}:{first}")
    };
    match &answer.outcome {
        Outcome::Applied { .. } => match answer.risk.as_ref().map(|r| r.outcome) {
            Some(risk::Outcome::Review) => Gate::Stop(reasons("review")),
            _ => Gate::Pass,
        },
        Outcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::ChallengeRequired(kind)),
        } => Gate::StepUp(*kind),
        Outcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::Denied),
        } => Gate::Stop(reasons("deny")),
        Outcome::Rejected { rejection } => Gate::Stop(format!("refused:{}", rejection.code())),
        Outcome::Conflict => Gate::Stop("refused:conflict".into()),
    }
}

impl DirectOnboard {
    /// Runs one checkpoint for every applicant still in `open`, with one step-up retry.
    fn checkpoint(
        link: &mut Link<'_>,
        applicants: &[Applicant],
        open: &mut [Option<String>],
        detail: impl Fn(&Applicant) -> CheckpointDetail,
        rng: &mut Rng,
    ) -> Result<(), SimError> {
        let mut retry: Vec<(usize, ChallengeKind)> = Vec::new();
        let who: Vec<usize> = (0..applicants.len()).filter(|&i| open[i].is_none()).collect();
        let calls: Vec<Call> = who
            .iter()
            .map(|&i| check(&applicants[i], detail(&applicants[i]), None))
            .collect();
        for (&i, answer) in who.iter().zip(link.send(&calls)?) {
            match gate(&answer) {
                Gate::Pass => {}
                Gate::Stop(reason) => open[i] = Some(reason),
                Gate::StepUp(kind) if passes(&applicants[i], kind, rng) => retry.push((i, kind)),
                Gate::StepUp(kind) => open[i] = Some(format!("challenge_failed:{}", kind_name(kind))),
            }
        }
        let calls: Vec<Call> = retry
            .iter()
            .map(|&(i, kind)| check(&applicants[i], detail(&applicants[i]), Some(kind)))
            .collect();
        for (&(i, _), answer) in retry.iter().zip(link.send(&calls)?) {
            match gate(&answer) {
                Gate::Pass => {}
                Gate::Stop(reason) => open[i] = Some(reason),
                Gate::StepUp(kind) => open[i] = Some(format!("challenge_failed:{}", kind_name(kind))),
            }
        }
        Ok(())
    }
}

fn kind_name(kind: ChallengeKind) -> &'static str {
    match kind {
        ChallengeKind::Otp => "OTP",
        ChallengeKind::Liveness => "LIVENESS",
    }
}

fn check(applicant: &Applicant, detail: CheckpointDetail, step_up: Option<ChallengeKind>) -> Call {
    Call::from(
        Request::Checkpoint {
            account: applicant.account,
            detail,
        },
        RiskContext {
            step_up,
            ..applicant.context.clone()
        },
    )
}

impl Onboard for DirectOnboard {
    fn onboard(
        &mut self,
        link: &mut Link<'_>,
        applicants: &[Applicant],
        rng: &mut Rng,
    ) -> Result<Vec<Decision>, SimError> {
        let profiles: Vec<CreditProfile> = applicants.iter().map(|a| profile(a.quality, rng)).collect();
        let mut calls = Vec::with_capacity(applicants.len() * 2);
        for (a, p) in applicants.iter().zip(&profiles) {
            calls.push(Call::command(Command::OpenAccount {
                account: a.account,
                limit: Amount::ZERO,
                billing_day: a.billing_day,
            })?);
            calls.push(Call::plain(Request::SetCreditProfile {
                account: a.account,
                profile: *p,
            }));
        }
        for answer in link.send(&calls)? {
            if !matches!(answer.outcome, Outcome::Applied { .. }) {
                return Err(SimError::Driver(crate::driver::DriverError::Unavailable(format!(
                    "opening a line was refused: {:?}",
                    answer.outcome
                ))));
            }
        }
        let limits: Vec<Amount> = applicants
            .iter()
            .zip(&profiles)
            .map(|(a, p)| limit_for(a.declared_income_yuan, p.pd))
            .collect();
        let mut stopped: Vec<Option<String>> = vec![None; applicants.len()];
        let application = |a: &Applicant| CheckpointDetail::CreditApplication {
            requested_limit: limit_for(a.declared_income_yuan, 0.0),
            declared_monthly_income: Some(Amount::yuan(i64::try_from(a.declared_income_yuan).unwrap_or(0))),
        };
        Self::checkpoint(link, applicants, &mut stopped, application, rng)?;
        Self::checkpoint(link, applicants, &mut stopped, |_| CheckpointDetail::Activation, rng)?;
        let approve: Vec<Call> = applicants
            .iter()
            .zip(&limits)
            .zip(&stopped)
            .filter(|(_, s)| s.is_none())
            .map(|((a, limit), _)| {
                Call::command(Command::ChangeLimit {
                    account: a.account,
                    limit: *limit,
                })
            })
            .collect::<Result<_, _>>()?;
        link.send(&approve)?;
        Ok(stopped
            .into_iter()
            .zip(limits)
            .zip(&profiles)
            .map(|((s, limit), p)| {
                let scored = Some((p.score, (p.pd * 1_000_000.0).round() as i64));
                match s {
                    None => Decision::Approved { limit, scored },
                    Some(reason) => Decision::Declined { reason, scored },
                }
            })
            .collect())
    }

    fn describe(&self) -> &'static str {
        "direct: engine checkpoints (credit application, activation) with the shipped rules, a synthetic scorecard and a limit table"
    }
}
