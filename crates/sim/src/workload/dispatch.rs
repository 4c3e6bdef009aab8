//! Intents and how they reach the engine: [`Intent`] (something that happens at a moment of the
//! run), the queue drained in waves (intents within a few minutes of each other go to the engine
//! at once), the call each intent makes, and what its answer schedules next.

use credit::AccountId;
use money::Amount;
use risk::ChallengeKind;

use super::{Simulation, attacks};
use crate::driver::{Answer, Call};
use crate::link::SimError;

/// Something that happens at a moment of the run.
#[derive(Clone, Debug)]
pub(crate) enum Intent {
    Shop {
        line: usize,
    },
    Pay {
        order: usize,
        step_up: Option<ChallengeKind>,
    },
    Deliver {
        order: usize,
    },
    Capture {
        order: usize,
    },
    Void {
        order: usize,
    },
    Refund {
        order: usize,
        amount: Amount,
    },
    Repay {
        line: usize,
    },
    Payoff {
        line: usize,
    },
    NewPhone {
        line: usize,
        step_up: Option<ChallengeKind>,
    },
    Unfreeze {
        line: usize,
    },
    /// The day's applications (run together at one moment).
    Applications,
    Takeover {
        attack: usize,
        stage: attacks::Stage,
    },
    /// A customer reports theft: a takeover's victim (`attack`), or a shopper mistaken about a
    /// purchase of their own.
    ReportTheft {
        line: usize,
        attack: Option<usize>,
    },
    /// The fraud team works a theft case (`Simulation::reports`).
    ResolveCase {
        report: usize,
    },
    BustOut {
        line: usize,
    },
    Wash {
        attack: usize,
        member: usize,
    },
    CashOut {
        attack: usize,
        member: usize,
    },
    /// A sleeper's well-behaved purchase (`families.rs`).
    Groom {
        line: usize,
    },
    /// A sleeper's strike: a limit request, then the orders (several calls: direct).
    Strike {
        line: usize,
    },
    /// A rogue merchant charges one stolen account.
    RogueCharge {
        attack: usize,
    },
    /// A shift of the payment-review desk (`review.rs`).
    ReviewShift,
}

impl Intent {
    /// Intents that run on their own (several dependent calls, or a batch of their own).
    pub(super) fn is_direct(&self) -> bool {
        matches!(
            self,
            Intent::Applications
                | Intent::ReportTheft { .. }
                | Intent::ResolveCase { .. }
                | Intent::Payoff { .. }
                | Intent::Takeover { .. }
                | Intent::Strike { .. }
                | Intent::ReviewShift
        )
    }
}

/// What an intent sent, waiting for its answer.
pub(crate) struct Sent {
    intent: Intent,
    /// The order `prepare` created, if it made one.
    order: Option<usize>,
}

impl Simulation<'_, '_> {
    /// Runs the waves of intents due before `end_ms`.
    pub(super) fn process_until(&mut self, end_ms: i64) -> Result<(), SimError> {
        while let Some((&(t0, _), _)) = self.queue.first_key_value() {
            if t0 >= end_ms {
                break;
            }
            let direct = self.queue.first_key_value().is_some_and(|(_, i)| i.is_direct());
            self.set_clock(t0)?;
            if direct {
                let (_, intent) = self.queue.pop_first().expect("the first intent is there");
                self.direct(intent)?;
                continue;
            }
            let span_ms = i64::from(self.config.wave_span_s.max(1)) * 1000;
            let mut wave: Vec<Intent> = Vec::new();
            while wave.len() < self.config.wave_max {
                match self.queue.first_key_value() {
                    Some((&(t, _), intent)) if t < t0 + span_ms && t < end_ms && !intent.is_direct() => {
                        let (_, intent) = self.queue.pop_first().expect("peeked");
                        wave.push(intent);
                    }
                    _ => break,
                }
            }
            self.wave(wave)?;
        }
        Ok(())
    }

    pub(super) fn wave(&mut self, wave: Vec<Intent>) -> Result<(), SimError> {
        let mut calls = Vec::with_capacity(wave.len());
        let mut sent = Vec::with_capacity(wave.len());
        for intent in wave {
            let orders_before = self.orders.len();
            if let Some(call) = self.prepare(&intent) {
                if let Some(account) = call_account(&call) {
                    self.touched.insert(account);
                }
                calls.push(call);
                let order = (self.orders.len() > orders_before).then(|| self.orders.len() - 1);
                sent.push(Sent { intent, order });
            }
        }
        let answers = self.link.send(&calls)?;
        for (sent, answer) in sent.into_iter().zip(answers) {
            if let engine::Outcome::Applied { events, .. } = &answer.outcome {
                self.on_events(events);
            }
            self.settle(sent, answer)?;
        }
        Ok(())
    }

    /// The call an intent makes now, if any.
    pub(super) fn prepare(&mut self, intent: &Intent) -> Option<Call> {
        match *intent {
            Intent::Shop { line } => self.shop(line),
            Intent::Pay { order, step_up } => self.pay_call(order, step_up),
            Intent::Deliver { order } => self.deliver_call(order),
            Intent::Capture { order } => self.capture_call(order),
            Intent::Void { order } => self.void_call(order),
            Intent::Refund { order, amount } => self.refund_call(order, amount),
            Intent::Repay { line } => self.repay_call(line),
            Intent::NewPhone { line, step_up } => self.new_phone_call(line, step_up),
            Intent::Unfreeze { line } => self.unfreeze_call(line),
            Intent::BustOut { line } => self.bust_out(line),
            Intent::Wash { attack, member } => self.wash(attack, member),
            Intent::CashOut { attack, member } => self.cash_out(attack, member),
            Intent::Groom { line } => self.groom(line),
            Intent::RogueCharge { attack } => self.rogue_charge(attack),
            Intent::Applications
            | Intent::Strike { .. }
            | Intent::ReportTheft { .. }
            | Intent::ResolveCase { .. }
            | Intent::Payoff { .. }
            | Intent::Takeover { .. }
            | Intent::ReviewShift => None,
        }
    }

    /// Reads an answer and schedules what follows.
    pub(super) fn settle(&mut self, sent: Sent, answer: Answer) -> Result<(), SimError> {
        match sent.intent {
            Intent::Shop { .. }
            | Intent::BustOut { .. }
            | Intent::Wash { .. }
            | Intent::CashOut { .. }
            | Intent::Groom { .. }
            | Intent::RogueCharge { .. } => {
                if let Some(order) = sent.order {
                    self.pay_answer(order, answer);
                }
            }
            Intent::Pay { order, .. } => self.pay_answer(order, answer),
            Intent::Deliver { order } => self.deliver_answer(order, answer)?,
            Intent::Capture { order } => self.capture_answer(order, answer),
            Intent::Void { order } => self.void_answer(order, answer),
            Intent::Refund { order, amount } => self.refund_answer(order, amount, answer),
            Intent::Repay { line } => self.repay_answer(line, answer),
            Intent::NewPhone { line, .. } => self.new_phone_answer(line, answer),
            Intent::Unfreeze { line } => {
                if matches!(answer.outcome, engine::Outcome::Applied { .. }) {
                    self.lines[line].frozen = false;
                }
            }
            Intent::Applications
            | Intent::ReportTheft { .. }
            | Intent::ResolveCase { .. }
            | Intent::Payoff { .. }
            | Intent::Takeover { .. }
            | Intent::Strike { .. }
            | Intent::ReviewShift => {}
        }
        Ok(())
    }

    pub(super) fn direct(&mut self, intent: Intent) -> Result<(), SimError> {
        match intent {
            Intent::Applications => self.applications(),
            Intent::ReportTheft { line, attack } => self.report_theft(line, attack),
            Intent::ResolveCase { report } => self.resolve_case(report),
            Intent::Payoff { line } => self.payoff(line),
            Intent::Takeover { attack, stage } => self.takeover(attack, stage),
            Intent::Strike { line } => self.strike(line),
            Intent::ReviewShift => self.review_shift(),
            _ => Ok(()),
        }
    }
}

/// The account a call acts on, when the call names it.
fn call_account(call: &Call) -> Option<AccountId> {
    match &call.request {
        engine::Request::Account(command) => Some(command.account()),
        engine::Request::Authorize {
            payer: engine::Payer::Account(account),
            ..
        } => Some(*account),
        engine::Request::Checkpoint { account, .. }
        | engine::Request::ExemptFraud { account, .. }
        | engine::Request::ReportTheft { account, .. }
        | engine::Request::VerifiedUnfreeze { account }
        | engine::Request::SetCreditProfile { account, .. }
        | engine::Request::LinkMerchant { account, .. } => Some(*account),
        _ => None,
    }
}
