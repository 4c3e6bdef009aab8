//! [`Onboarding::apply`]: one application from form to decision (see the crate docs for the
//! steps and why they run in this order).

use std::time::Instant;

use credit::{AccountId, Rejection};
use engine::{
    Approval, CreditApplication, Engine, EngineRejection, LineOpening, Outcome as EngineOutcome, Reply, Request,
    RiskBlock, RiskContext,
};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::application::{Application, ApplicationInput};
use crate::blind_index::BlindIndex;
use crate::decision::{Decision, Outcome, ScoreSummary};
use crate::engine_io;
use crate::identity_check::{self, IdentityVerdict};
use crate::onboarding::Onboarding;
use crate::reasons::score_reason;
use crate::store::{ApplicationId, ApplicationRecord, LineRecord, StoreError};
use crate::tier::{OfferInput, TableOutcome};

/// The application being decided and what is known about it so far.
struct Case<'a> {
    app: &'a Application,
    index: BlindIndex,
    account: AccountId,
    now: Timestamp,
    started: Instant,
    decision: Decision,
}

impl Onboarding {
    /// Decides one application. `now` is the time of the application (the caller's clock);
    /// `context` is where it came from (device, IP, geo, and a step-up the app already passed).
    /// Errs only when the decision could not be recorded.
    pub async fn apply(
        &self,
        engine: &Engine,
        input: &ApplicationInput,
        context: RiskContext,
        now: Timestamp,
    ) -> Result<Decision, StoreError> {
        let started = Instant::now();
        let today = now.to_zoned(engine.config().zone.clone()).date();
        let app = match Application::parse(input, today) {
            Ok(app) => app,
            Err(e) => {
                let mut decision = Decision::new(Outcome::InvalidInput).with_reasons([e.code]);
                decision.field = Some(e.field.to_owned());
                decision.timings.total_us = micros(started);
                return Ok(decision);
            }
        };
        let index = self.key().index(&app.id);
        let account = index.account();
        let mut case = Case {
            app: &app,
            index,
            account,
            now,
            started,
            decision: Decision::new(Outcome::Review),
        };
        case.decision.account = Some(account);
        self.decide(engine, &mut case, context, today).await
    }

    /// What earlier applications of this account say about a new one.
    fn earlier(&self, account: AccountId, index: &BlindIndex) -> Option<(Outcome, &'static str)> {
        let records = self.store().of_account(account);
        let hex = index.to_hex();
        if records.iter().any(|r| r.blind_index != hex) {
            // Two ID numbers whose 63-bit account ids collide: an analyst must sort it out.
            return Some((Outcome::Review, "ACCOUNT_ID_COLLISION"));
        }
        if records.iter().any(ApplicationRecord::in_review) {
            return Some((Outcome::Duplicate, "APPLICATION_IN_REVIEW"));
        }
        self.store().line(account).map(|_| (Outcome::Duplicate, "LINE_EXISTS"))
    }

    async fn decide(
        &self,
        engine: &Engine,
        case: &mut Case<'_>,
        context: RiskContext,
        today: Date,
    ) -> Result<Decision, StoreError> {
        let app = case.app;
        let step = Instant::now();
        let identity = identity_check::check(self.providers(), app, today).await;
        case.decision.timings.identity_us = micros(step);
        match identity {
            IdentityVerdict::Verified => {}
            IdentityVerdict::Failed(reasons) => return self.finish(case, Outcome::Declined, reasons),
            IdentityVerdict::TryLater(reasons) => return self.finish(case, Outcome::TryLater, reasons),
        }
        // Only someone who passed the identity checks learns that this ID number has a line.
        let Some(_claim) = self.in_flight().claim(case.account) else {
            return self.finish(case, Outcome::Duplicate, ["APPLICATION_IN_PROGRESS"]);
        };
        if let Some((outcome, reason)) = self.earlier(case.account, &case.index) {
            return self.finish(case, outcome, [reason]);
        }
        let step = Instant::now();
        let score_reasons = match self.score(app) {
            Ok((summary, reasons)) => {
                case.decision.score = Some(summary);
                reasons
            }
            Err(code) => return self.finish(case, Outcome::Review, [code]),
        };
        case.decision.timings.scoring_us = micros(step);
        let step = Instant::now();
        let billing_day = app.billing_day.unwrap_or_else(|| default_billing_day(today));
        case.decision.billing_day = Some(billing_day);
        let checked = self.checkpoint(engine, case, context).await;
        case.decision.timings.engine_us = micros(step);
        let risk = match checked {
            Ok(risk) => risk,
            Err((outcome, reasons)) => {
                case.decision.challenge = reasons.first().and_then(|r| challenge_of(r));
                let reasons = match outcome {
                    Outcome::Declined | Outcome::ChallengeRequired => [reasons, score_reasons].concat(),
                    _ => reasons,
                };
                return self.finish(case, outcome, reasons);
            }
        };
        self.offer(engine, case, risk, score_reasons).await
    }

    /// Scores the credit file: the summary and the scorecard's reason codes.
    fn score(&self, app: &Application) -> Result<(ScoreSummary, Vec<String>), &'static str> {
        let row = app
            .credit_file
            .row(self.model().schema(), app.age, app.income, app.requested_limit)
            .map_err(|_| "MODEL_INPUT_ERROR")?;
        let scored = self.model().score(&row);
        let reasons = scored
            .reasons
            .iter()
            .take(self.config().score_reasons_max)
            .map(|r| score_reason(r.feature, r.code))
            .collect();
        let summary = ScoreSummary {
            pd: scored.pd,
            score: scored.score,
            band: scored.band.to_owned(),
        };
        Ok((summary, reasons))
    }

    /// Passes the credit-application checkpoint for the applicant's would-be account, with the
    /// model's PD: the engine decides and journals it, and opens nothing. `Ok` is the risk
    /// answer to feed the limit table; `Err` is the outcome that ends the application here, with
    /// its reasons (an applicant who already holds a line is a duplicate).
    async fn checkpoint(
        &self,
        engine: &Engine,
        case: &Case<'_>,
        context: RiskContext,
    ) -> Result<RiskAnswer, (Outcome, Vec<String>)> {
        let (pd, score) = case
            .decision
            .score
            .as_ref()
            .map_or((1.0, 0), |s| (s.pd, s.score.round() as i32));
        let application = CreditApplication {
            applicant: case.account,
            pd,
            score,
            requested_limit: case.app.requested_limit,
            declared_monthly_income: Some(case.app.income),
        };
        let request = Request::CreditApplication(application);
        let reply = engine_io::call(engine, request, Some(context))
            .await
            .map_err(|e| (Outcome::TryLater, vec![engine_io::submit_code(e).to_owned()]))?;
        risk_answer(reply)
    }

    /// Asks the limit table and carries out its answer.
    async fn offer(
        &self,
        engine: &Engine,
        case: &mut Case<'_>,
        risk: RiskAnswer,
        score_reasons: Vec<String>,
    ) -> Result<Decision, StoreError> {
        let step = Instant::now();
        let Some(score) = case.decision.score.clone() else {
            return self.finish(case, Outcome::Review, ["PD_MISSING"]);
        };
        let input = OfferInput {
            band: score.band.clone(),
            pd: (score.pd * 10_000.0).round() / 10_000.0,
            score: score.score.round() as i32,
            age: case.app.age,
            income_fen: case.app.income.fen(),
            requested_limit_fen: case.app.requested_limit.fen(),
            risk_outcome: if risk.review { "review" } else { "allow" },
            risk_reasons: risk.reasons.clone(),
        };
        let offer = self.tiers().decide(&input);
        case.decision.timings.table_us = micros(step);
        case.decision.rules.push(self.tiers().version());
        let offer = match offer {
            Ok(offer) => offer,
            Err(_) => {
                return self.finish(
                    case,
                    Outcome::Review,
                    [risk.reasons, vec!["LIMIT_TABLE_ERROR".into()]].concat(),
                );
            }
        };
        let mut reasons = risk.reasons;
        reasons.extend(offer.reason.clone());
        case.decision.limit = (offer.limit.is_positive()).then_some(offer.limit);
        case.decision.tier = offer.tier.clone();
        match (offer.outcome, offer.tier) {
            (TableOutcome::Decline, _) => self.finish(case, Outcome::Declined, [reasons, score_reasons].concat()),
            (TableOutcome::Review, _) | (TableOutcome::Approve, None) => {
                self.finish(case, Outcome::Review, [reasons, score_reasons].concat())
            }
            (TableOutcome::Approve, Some(tier)) => {
                let Some(pricing) = tier.pricing() else {
                    return self.finish(
                        case,
                        Outcome::Review,
                        [reasons, vec!["LIMIT_TABLE_ERROR".into()]].concat(),
                    );
                };
                let step = Instant::now();
                let opening = LineOpening {
                    account: case.account,
                    limit: offer.limit,
                    billing_day: case.decision.billing_day.unwrap_or(1),
                    pd: score.pd,
                    score: score.score.round() as i32,
                    pricing,
                    approval: Approval::Automatic,
                    reasons: engine_io::reason_codes(&reasons),
                };
                let opened = engine_io::open_line(engine, opening).await;
                case.decision.timings.engine_us += micros(step);
                match opened {
                    Ok(Ok(())) => {}
                    Ok(Err(rejection)) if engine_io::is_account_exists(&rejection) => {
                        return self.finish(case, Outcome::Duplicate, ["LINE_EXISTS"]);
                    }
                    Ok(Err(EngineRejection::StorageFailed | EngineRejection::ReplyUnavailable)) => {
                        return self.finish(case, Outcome::TryLater, ["LINE_NOT_OPENED"]);
                    }
                    Ok(Err(_)) => {
                        return self.finish(
                            case,
                            Outcome::Review,
                            [reasons, vec!["LINE_NOT_OPENED".into()]].concat(),
                        );
                    }
                    Err(e) => return self.finish(case, Outcome::TryLater, [engine_io::submit_code(e)]),
                }
                let line = LineRecord {
                    account: case.account,
                    application: ApplicationId(0),
                    tier,
                    pd: score.pd,
                    score: score.score,
                    band: score.band,
                    limit: offer.limit,
                    opened_at: case.now,
                };
                self.record(case, Outcome::Approved, reasons, Some(line))
            }
        }
    }

    /// Records the application with its outcome and reasons.
    fn finish<S: Into<String>>(
        &self,
        case: &mut Case<'_>,
        outcome: Outcome,
        reasons: impl IntoIterator<Item = S>,
    ) -> Result<Decision, StoreError> {
        self.record(case, outcome, reasons, None)
    }

    /// Records the application, and the line it opened, in one durable write.
    fn record<S: Into<String>>(
        &self,
        case: &mut Case<'_>,
        outcome: Outcome,
        reasons: impl IntoIterator<Item = S>,
        line: Option<LineRecord>,
    ) -> Result<Decision, StoreError> {
        let decision = std::mem::replace(&mut case.decision, Decision::new(outcome));
        let mut decision = decision.with_reasons(reasons);
        decision.outcome = outcome;
        if outcome != Outcome::Approved && outcome != Outcome::Review {
            decision.limit = None;
            decision.tier = None;
        }
        decision.reasons.dedup();
        decision.timings.total_us = micros(case.started);
        let record = self.store().insert(
            ApplicationRecord {
                id: ApplicationId(0),
                account: case.account,
                blind_index: case.index.to_hex(),
                at: case.now,
                name_masked: case.app.name.masked(),
                id_masked: case.app.id.masked(),
                decision,
                resolution: None,
            },
            line,
        )?;
        Ok(record.decision)
    }
}

/// What the risk checkpoint said, when it lets the application go on.
#[derive(Clone, Debug)]
struct RiskAnswer {
    review: bool,
    reasons: Vec<String>,
}

fn risk_answer(reply: Reply) -> Result<RiskAnswer, (Outcome, Vec<String>)> {
    let reasons: Vec<String> = reply
        .risk
        .as_ref()
        .map(|r| r.reasons.iter().map(|c| c.as_str().to_owned()).collect())
        .unwrap_or_default();
    match reply.outcome {
        EngineOutcome::Applied { .. } => Ok(RiskAnswer {
            review: reply.risk.as_ref().is_some_and(|r| r.outcome == risk::Outcome::Review),
            reasons,
        }),
        EngineOutcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::Denied),
        } => Err((Outcome::Declined, reasons)),
        EngineOutcome::Rejected {
            rejection: EngineRejection::Credit(Rejection::AccountExists),
        } => Err((Outcome::Duplicate, vec!["LINE_EXISTS".to_owned()])),
        EngineOutcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::ChallengeRequired(kind)),
        } => Err((
            Outcome::ChallengeRequired,
            [vec![challenge_code(kind).to_owned()], reasons].concat(),
        )),
        EngineOutcome::Rejected { .. } | EngineOutcome::Conflict => {
            Err((Outcome::TryLater, vec!["CHECKPOINT_FAILED".to_owned()]))
        }
    }
}

fn challenge_of(code: &str) -> Option<risk::ChallengeKind> {
    [risk::ChallengeKind::Otp, risk::ChallengeKind::Liveness]
        .into_iter()
        .find(|k| challenge_code(*k) == code)
}

fn challenge_code(kind: risk::ChallengeKind) -> &'static str {
    match kind {
        risk::ChallengeKind::Otp => "CHALLENGE_OTP",
        risk::ChallengeKind::Liveness => "CHALLENGE_LIVENESS",
    }
}

/// The billing day when the applicant chose none: the day of month before the approval date
/// (capped at 28), so the first cycle is close to a full month.
pub fn default_billing_day(today: Date) -> u8 {
    let yesterday = today.yesterday().unwrap_or(today);
    (yesterday.day() as u8).clamp(1, 28)
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}
