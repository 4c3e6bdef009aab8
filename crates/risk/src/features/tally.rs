//! [`Tally`]: what one event adds to a key's counters, and what a window sums to.

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, CheckpointInput};

/// Counts per checkpoint, failed logins, denials and the payment amount, summed over events.
/// Counts are attempts: a denied payment is still a payment attempt (velocity must see it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub events: u32,
    pub logins: u32,
    pub failed_logins: u32,
    pub device_changes: u32,
    pub activations: u32,
    pub credit_applications: u32,
    pub payments: u32,
    pub profile_changes: u32,
    pub repayments: u32,
    pub deliveries: u32,
    /// Events whose decision was deny.
    pub denials: u32,
    /// The sum of payment-authorization amounts, in fen.
    pub payment_amount_fen: i64,
}

impl Tally {
    /// What this event adds, before its decision is known (so without the denial).
    pub fn of_event(input: &CheckpointInput) -> Tally {
        let mut tally = Tally {
            events: 1,
            ..Tally::default()
        };
        let slot = match input.checkpoint() {
            Checkpoint::Login => &mut tally.logins,
            Checkpoint::DeviceChange => &mut tally.device_changes,
            Checkpoint::Activation => &mut tally.activations,
            Checkpoint::CreditApplication => &mut tally.credit_applications,
            Checkpoint::PaymentAuthorization => &mut tally.payments,
            Checkpoint::ProfileChange => &mut tally.profile_changes,
            Checkpoint::Repayment => &mut tally.repayments,
            Checkpoint::Delivery => &mut tally.deliveries,
            // No window of its own (the tallies are journaled with every decision, so a new
            // one would change their encoding): a limit request counts as an event.
            Checkpoint::LimitRequest => &mut tally.events,
        };
        *slot = 1;
        tally.failed_logins = u32::from(input.is_failed_login());
        tally.payment_amount_fen = input.payment_amount().map_or(0, |a| a.fen().max(0));
        tally
    }

    /// The same event after its decision: a deny adds one denial.
    pub fn with_denial(mut self, denied: bool) -> Tally {
        self.denials = u32::from(denied);
        self
    }

    pub fn add(&mut self, other: &Tally) {
        self.zip(other, u32::saturating_add, i64::saturating_add);
    }

    pub fn sub(&mut self, other: &Tally) {
        self.zip(other, u32::saturating_sub, i64::saturating_sub);
    }

    pub fn plus(mut self, other: &Tally) -> Tally {
        self.add(other);
        self
    }

    fn zip(&mut self, o: &Tally, count: fn(u32, u32) -> u32, amount: fn(i64, i64) -> i64) {
        self.events = count(self.events, o.events);
        self.logins = count(self.logins, o.logins);
        self.failed_logins = count(self.failed_logins, o.failed_logins);
        self.device_changes = count(self.device_changes, o.device_changes);
        self.activations = count(self.activations, o.activations);
        self.credit_applications = count(self.credit_applications, o.credit_applications);
        self.payments = count(self.payments, o.payments);
        self.profile_changes = count(self.profile_changes, o.profile_changes);
        self.repayments = count(self.repayments, o.repayments);
        self.deliveries = count(self.deliveries, o.deliveries);
        self.denials = count(self.denials, o.denials);
        self.payment_amount_fen = amount(self.payment_amount_fen, o.payment_amount_fen);
    }
}
