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

/// What one rule (reason code), or the model at one threshold, did on labelled payments: the
/// fraud it caught and missed (count and fen) and the genuine customers it affected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Caught {
    /// Fraud payments it fired on (a rule) or scored at or above the threshold (the model).
    pub fraud_stopped: Count,
    /// Fraud payments it let pass.
    pub fraud_missed: Count,
    /// Genuine payments it fired on.
    pub genuine_affected: u64,
    /// Of the genuine payments, per mille.
    pub genuine_affected_permille: i64,
}

impl Caught {
    fn add(&mut self, verdict: Verdict, hit: bool, fen: i64) {
        match (verdict, hit) {
            (Verdict::Fraud, true) => self.fraud_stopped.add(fen),
            (Verdict::Fraud, false) => self.fraud_missed.add(fen),
            (Verdict::Genuine, true) => self.genuine_affected += 1,
            (Verdict::Genuine, false) => {}
        }
    }

    /// Fills what a rule's hits alone cannot say: the fraud it missed, the genuine share.
    fn finish(&mut self, tally: &Tally) {
        self.fraud_missed = Count {
            payments: tally.fraud.payments.saturating_sub(self.fraud_stopped.payments),
            fen: tally.fraud.fen.saturating_sub(self.fraud_stopped.fen),
        };
        self.genuine_affected_permille = permille(self.genuine_affected as i64, tally.genuine.payments as i64);
    }
}

/// The fraud model's thresholds in the shipped payment graph: 0.7 challenges
/// (`MODEL_FRAUD_ELEVATED`), 0.9 denies (`MODEL_FRAUD_HIGH`).
pub const MODEL_THRESHOLDS: [(&str, f64); 2] = [("0.7", 0.7), ("0.9", 0.9)];

/// The fraud model on labelled payments, whether it ran live or in shadow.
#[derive(Debug, Default, Serialize)]
pub struct ModelLabelled {
    /// Labelled payments the model scored (journaled before a model ran: not scored).
    pub scored: u64,
    /// Per threshold (`"0.7"`, `"0.9"`): what a score at or above it caught.
    pub thresholds: BTreeMap<&'static str, Caught>,
    /// Fraud and genuine payments among those scored.
    pub tally: Tally,
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
    /// Per live reason code: fraud stopped and missed (count and fen), genuine affected.
    pub live_rule_outcomes: BTreeMap<String, Caught>,
    /// Per candidate reason code, the same.
    pub candidate_rule_outcomes: BTreeMap<String, Caught>,
    /// The fraud model at its thresholds (the journaled scores; the same for both rule sets).
    pub model: ModelLabelled,
}

/// Counts the reason codes of one payment decision: every code that fired on a payment gets a
/// row (so the fraud it missed shows even when it caught none); labelled ones count.
fn count_caught(rules: &mut BTreeMap<String, Caught>, reasons: &[ReasonCode], verdict: Option<Verdict>, fen: i64) {
    for code in reasons {
        let caught = rules.entry(code.as_str().to_owned()).or_default();
        if let Some(verdict) = verdict {
            caught.add(verdict, true, fen);
        }
    }
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
    /// The fraud model's journaled score, live or shadow.
    pub fraud_score: Option<f64>,
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
        count_caught(
            &mut self.live_rule_outcomes,
            decided.live_reasons,
            verdict,
            amount.fen(),
        );
        count_caught(
            &mut self.candidate_rule_outcomes,
            decided.candidate_reasons,
            verdict,
            amount.fen(),
        );
        let Some(verdict) = verdict else {
            self.unlabelled_payments += 1;
            return;
        };
        let fen = amount.fen();
        self.live.add(verdict, decided.live, fen);
        self.candidate.add(verdict, decided.candidate, fen);
        if let Some(score) = decided.fraud_score {
            self.model.scored += 1;
            self.model.tally.add(verdict, Outcome::Allow, fen);
            for (name, threshold) in MODEL_THRESHOLDS {
                let caught = self.model.thresholds.entry(name).or_default();
                caught.add(verdict, score >= threshold, fen);
            }
        }
    }

    /// Completes the per-rule and model figures once every decision is counted.
    pub fn finish(&mut self) {
        for caught in self.live_rule_outcomes.values_mut() {
            caught.finish(&self.live);
        }
        for caught in self.candidate_rule_outcomes.values_mut() {
            caught.finish(&self.candidate);
        }
        let tally = self.model.tally.clone();
        for caught in self.model.thresholds.values_mut() {
            caught.finish(&tally);
        }
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
        for (name, rules) in [
            ("live", &self.live_rule_outcomes),
            ("candidate", &self.candidate_rule_outcomes),
        ] {
            if rules.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "  {name} rules on labelled payments: fraud stopped (fen) / fraud missed (fen) / genuine affected (‰)\n"
            ));
            for (code, c) in rules {
                out.push_str(&caught_line(code, c));
            }
        }
        if self.model.scored > 0 {
            out.push_str(&format!(
                "  fraud model on {} scored labelled payments ({} fraud, {} genuine): stopped / missed / genuine affected\n",
                self.model.scored, self.model.tally.fraud.payments, self.model.tally.genuine.payments
            ));
            for (threshold, c) in &self.model.thresholds {
                out.push_str(&caught_line(&format!("score >= {threshold}"), c));
            }
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

fn caught_line(name: &str, c: &Caught) -> String {
    format!(
        "    {name:<28} {} ({} fen) / {} ({} fen) / {} ({}‰)\n",
        c.fraud_stopped.payments,
        c.fraud_stopped.fen,
        c.fraud_missed.payments,
        c.fraud_missed.fen,
        c.genuine_affected,
        c.genuine_affected_permille
    )
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

    #[test]
    fn a_rule_row_says_what_it_stopped_missed_and_whom_it_affected() {
        let code = |c: &str| ReasonCode::parse(c).unwrap();
        let (rule, other) = ([code("R1")], [code("R2")]);
        let mut caught = BTreeMap::new();
        let mut tally = Tally::default();
        for (reasons, verdict, fen) in [
            (&rule[..], Some(Verdict::Fraud), 300),
            (&other[..], Some(Verdict::Fraud), 200),
            (&rule[..], Some(Verdict::Genuine), 50),
            (&other[..], Some(Verdict::Genuine), 60),
            (&[][..], Some(Verdict::Genuine), 70),
            (&rule[..], None, 999),
        ] {
            count_caught(&mut caught, reasons, verdict, fen);
            if let Some(v) = verdict {
                tally.add(v, Outcome::Allow, fen);
            }
        }
        let mut r1 = caught["R1"];
        r1.finish(&tally);
        assert_eq!(r1.fraud_stopped, Count { payments: 1, fen: 300 });
        assert_eq!(r1.fraud_missed, Count { payments: 1, fen: 200 }, "the fraud R2 caught");
        assert_eq!((r1.genuine_affected, r1.genuine_affected_permille), (1, 333));
    }
}
