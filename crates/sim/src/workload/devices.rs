//! A shopper's own device and account outside orders: binding a new phone (a device-change
//! checkpoint, with the step-up it may ask for) and lifting a theft report's freeze.

use engine::{EngineRejection, Outcome, Request, RiskBlock};
use risk::{ChallengeKind, Channel, CheckpointDetail};

use super::{Intent, Simulation};
use crate::driver::{Answer, Call};
use crate::population::NEW_PHONE_DEVICES;

impl Simulation<'_, '_> {
    /// A shopper's new phone: binding it is a device-change checkpoint.
    pub(super) fn new_phone_call(&mut self, line: usize, step_up: Option<ChallengeKind>) -> Option<Call> {
        let previous = self.lines[line].device;
        let new = risk::DeviceId(NEW_PHONE_DEVICES + line as u64);
        if previous == new && step_up.is_none() {
            return None;
        }
        self.lines[line].device = new;
        let account = self.lines[line].account;
        let mut context = self.genuine_context(line, Channel::Online);
        context.step_up = step_up;
        let detail = CheckpointDetail::DeviceChange {
            previous_device: Some(previous).filter(|p| *p != new),
        };
        Some(Call::from(Request::Checkpoint { account, detail }, context))
    }

    pub(super) fn new_phone_answer(&mut self, line: usize, answer: Answer) {
        if let Outcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::ChallengeRequired(kind)),
        } = answer.outcome
        {
            // The customer answers the step-up (or calls support and does it the next day).
            let wait = if self.rng.chance(970) { 60 } else { 86_400 };
            self.after(
                wait,
                Intent::NewPhone {
                    line,
                    step_up: Some(kind),
                },
            );
        }
    }

    /// A theft victim lifts the report's freeze once the case is resolved, after passing a
    /// liveness check in the app.
    pub(super) fn unfreeze_call(&mut self, line: usize) -> Option<Call> {
        let account = self.lines[line].account;
        self.touched.insert(account);
        Some(Call::plain(Request::VerifiedUnfreeze { account }))
    }
}
