//! The backtest's labelled outcomes: payment decisions whose transaction an analyst labelled
//! ([`crate::labels`]), counted and summed per outcome for the live rules and the candidate,
//! and each reason code's hits split into fraud, genuine and unlabelled.
//!
//! Outcomes are grouped as a lender reads them: **stopped** (deny, or review: the money waits
//! for an analyst), **challenged** (a step-up: it stops an attacker without the customer's
//! phone or face, and costs a genuine customer friction), **allowed**. For genuine payments,
//! anything but allow is **friction**.

use std::collections::BTreeMap;

use credit::Command;
use risk::{Checkpoint, Outcome, ReasonCode};
use serde::Serialize;

use crate::labels::{Labels, Verdict};
use crate::record::Record;

/// Payments and their amount in fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    pub payments: u64,
    pub fen: i64,
}

impl Count {
    fn add(&mut self, fen: i64) {
        self.payments += 1;
        self.fen = self.fen.saturating_add(fen);
    }
}

/// One rule set's labelled outcomes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub fraud: Count,
    pub fraud_stopped: Count,
    pub fraud_challenged: Count,
    pub fraud_allowed: Count,
    pub genuine: Count,
    /// Genuine payments challenged, held for review or denied.
    pub genuine_friction: Count,
}

impl Tally {
    fn add(&mut self, verdict: Verdict, outcome: Outcome, fen: i64) {
        match verdict {
            Verdict::Fraud => {
                self.fraud.add(fen);
                match outcome {
                    Outcome::Deny | Outcome::Review => self.fraud_stopped.add(fen),
                    Outcome::Challenge(_) => self.fraud_challenged.add(fen),
                    Outcome::Allow => self.fraud_allowed.add(fen),
                }
            }
            Verdict::Genuine => {
                self.genuine.add(fen);
                if outcome != Outcome::Allow {
                    self.genuine_friction.add(fen);
                }
            }
        }
    }

    /// Per mille of fraud amount stopped (0 when there is none).
    pub fn fraud_stopped_permille(&self) -> i64 {
        permille(self.fraud_stopped.fen, self.fraud.fen)
    }

    /// Per mille of genuine payments with friction (0 when there is none).
    pub fn genuine_friction_permille(&self) -> i64 {
        permille(self.genuine_friction.payments as i64, self.genuine.payments as i64)
    }
}

fn permille(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    ((part as i128 * 1000) / whole as i128) as i64
}

/// How often a reason code fired on labelled and unlabelled payments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Hits {
    pub fraud: u64,
    pub genuine: u64,
    pub unlabelled: u64,
}

/// The labelled side of a backtest.
#[derive(Debug, Default, Serialize)]
pub struct Labelled {
    /// Labels the journal holds (any checkpoint).
    pub labels: u64,
    /// Payment decisions with no label (nobody reviewed them, or they were denied before any
    /// transaction could be reported).
    pub unlabelled_payments: u64,
    pub live: Tally,
    pub candidate: Tally,
    /// The candidate's reason codes on payments, split by label.
    pub candidate_rules: BTreeMap<String, Hits>,
    /// The live rules' reason codes on payments, split by label.
    pub live_rules: BTreeMap<String, Hits>,
}

fn count_hits(rules: &mut BTreeMap<String, Hits>, reasons: &[ReasonCode], verdict: Option<Verdict>) {
    for code in reasons {
        let hits = rules.entry(code.as_str().to_owned()).or_default();
        match verdict {
            Some(Verdict::Fraud) => hits.fraud += 1,
            Some(Verdict::Genuine) => hits.genuine += 1,
            None => hits.unlabelled += 1,
        }
    }
}

/// The payment a decision was about: what it would have authorized.
#[derive(Debug)]
pub struct Decided<'a> {
    pub live: Outcome,
    pub live_reasons: &'a [ReasonCode],
    pub candidate: Outcome,
    pub candidate_reasons: &'a [ReasonCode],
}

impl Labelled {
    pub fn new(labels: &Labels) -> Labelled {
        Labelled {
            labels: labels.len() as u64,
            ..Labelled::default()
        }
    }

    /// Counts one decision if it was a payment's.
    pub fn add(&mut self, labels: &Labels, record: &Record, checkpoint: Checkpoint, decided: &Decided<'_>) {
        if checkpoint != Checkpoint::PaymentAuthorization {
            return;
        }
        let Some(Command::Authorize {
            account, txn, amount, ..
        }) = record.op.credit_command()
        else {
            return;
        };
        let verdict = labels.get(*account, *txn).map(|l| l.verdict);
        count_hits(&mut self.candidate_rules, decided.candidate_reasons, verdict);
        count_hits(&mut self.live_rules, decided.live_reasons, verdict);
        let Some(verdict) = verdict else {
            self.unlabelled_payments += 1;
            return;
        };
        self.live.add(verdict, decided.live, amount.fen());
        self.candidate.add(verdict, decided.candidate, amount.fen());
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "\nlabelled payments (analysts' decisions: {} labels; {} payments unlabelled)\n",
            self.labels, self.unlabelled_payments
        );
        for (name, t) in [("live", &self.live), ("candidate", &self.candidate)] {
            out.push_str(&format!(
                "  {name:<9} fraud {} ({} fen): stopped {} ({} fen, {}‰ of the amount), challenged {}, allowed {} ({} fen); \
                 genuine {}: friction {} ({}‰)\n",
                t.fraud.payments,
                t.fraud.fen,
                t.fraud_stopped.payments,
                t.fraud_stopped.fen,
                t.fraud_stopped_permille(),
                t.fraud_challenged.payments,
                t.fraud_allowed.payments,
                t.fraud_allowed.fen,
                t.genuine.payments,
                t.genuine_friction.payments,
                t.genuine_friction_permille(),
            ));
        }
        if !self.candidate_rules.is_empty() {
            out.push_str("  candidate reason codes on payments (fraud / genuine / unlabelled):\n");
            for (code, h) in &self.candidate_rules {
                out.push_str(&format!(
                    "    {code:<28} {} / {} / {}\n",
                    h.fraud, h.genuine, h.unlabelled
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_groups_outcomes_as_a_lender_reads_them() {
        let mut t = Tally::default();
        t.add(Verdict::Fraud, Outcome::Deny, 300);
        t.add(Verdict::Fraud, Outcome::Review, 200);
        t.add(Verdict::Fraud, Outcome::Challenge(risk::ChallengeKind::Otp), 100);
        t.add(Verdict::Fraud, Outcome::Allow, 400);
        t.add(Verdict::Genuine, Outcome::Allow, 50);
        t.add(Verdict::Genuine, Outcome::Challenge(risk::ChallengeKind::Liveness), 60);
        t.add(Verdict::Genuine, Outcome::Allow, 70);
        assert_eq!(t.fraud, Count { payments: 4, fen: 1000 });
        assert_eq!(t.fraud_stopped, Count { payments: 2, fen: 500 });
        assert_eq!(t.fraud_challenged, Count { payments: 1, fen: 100 });
        assert_eq!(t.fraud_allowed, Count { payments: 1, fen: 400 });
        assert_eq!(t.fraud_stopped_permille(), 500);
        assert_eq!(t.genuine_friction, Count { payments: 1, fen: 60 });
        assert_eq!(t.genuine_friction_permille(), 333, "1 of 3, rounded down");
        assert_eq!(
            Tally::default().fraud_stopped_permille(),
            0,
            "no fraud: 0, not a division by zero"
        );
    }
}
