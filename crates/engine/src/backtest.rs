//! The backtest: replays every risk decision journaled in a store against a candidate rule
//! set and reports how the decisions would change (`iou backtest` prints it).
//!
//! Each journaled decision keeps the checkpoint input, the features and the model scores the
//! live rules saw, and its time; the candidate decides again on exactly those with
//! `risk::decide` (pure), so a candidate equal to the live rules reproduces every decision.
//! The report: per checkpoint, a matrix of live outcome x candidate outcome; the decisions that
//! changed; the reason codes the candidate gains and loses; and sample changed decisions.
//! Ground truth is what analysts decided ([`crate::labels`]: resolved cases and exemptions,
//! read from the same journal): payment decisions on labelled transactions are counted for the
//! live rules and the candidate ([`crate::labelled`]: fraud stopped, challenged and allowed,
//! genuine payments with friction, each rule's hits split by label). Unlabelled decisions, the
//! most, still show only what changes.

use std::collections::BTreeMap;

use risk::RuleSet;
use serde::Serialize;
use store::Journal;

use crate::error::EngineError;
use crate::journal::Position;
use crate::labelled::{Decided, Labelled};
use crate::labels::Labels;
use crate::record::Record;
use crate::risk::RiskRecord;

/// One checkpoint's decisions.
#[derive(Debug, Default, Serialize)]
pub struct CheckpointReport {
    pub decisions: u64,
    pub changed: u64,
    /// live outcome -> candidate outcome -> count.
    pub matrix: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
}

/// A decision as one rule set took it.
#[derive(Debug, Serialize)]
pub struct Side {
    pub outcome: &'static str,
    pub reasons: Vec<String>,
    pub rules: String,
}

/// A changed decision.
#[derive(Debug, Serialize)]
pub struct Sample {
    pub partition: u32,
    pub seq: u64,
    pub record: u32,
    pub at: String,
    pub checkpoint: &'static str,
    pub customer: String,
    pub live: Side,
    pub candidate: Side,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub decisions: u64,
    pub changed: u64,
    pub checkpoints: BTreeMap<&'static str, CheckpointReport>,
    /// Reason codes the candidate gives that the live rules did not (count of decisions).
    pub reasons_gained: BTreeMap<String, u64>,
    /// Reason codes the live rules gave that the candidate does not.
    pub reasons_lost: BTreeMap<String, u64>,
    pub samples: Vec<Sample>,
    pub ground_truth: &'static str,
    /// Payment decisions on transactions analysts labelled.
    pub labelled: Labelled,
    /// The replay stopped before the end of the journal (its time ran out): the counts are
    /// of the decisions it reached, partition by partition.
    pub truncated: bool,
}

const NO_GROUND_TRUTH: &str = "none: no analyst has labelled a transaction (no case resolved, no \
    exemption), so this report shows what changes, not whether the change is better";
const ANALYST_LABELS: &str = "analysts' decisions: resolved theft cases and interceptions, and \
    fraud exemptions; unlabelled decisions show only what changes";

pub use crate::risk::outcome_name;

fn codes(reasons: &[risk::ReasonCode]) -> Vec<String> {
    reasons.iter().map(|r| r.as_str().to_owned()).collect()
}

impl Report {
    /// Decides `live` again with `candidate` and counts the result.
    pub fn add(
        &mut self,
        candidate: &RuleSet,
        labels: &Labels,
        at: Position,
        record: &Record,
        live: &RiskRecord,
        samples_max: usize,
    ) {
        let at_us = record.at_us;
        let now = risk::Timestamp::from_millis(at_us.div_euclid(1000));
        // The candidate sees the journaled fraud score only if its graph reads the model: a
        // candidate that promotes the model replays what promotion would have done.
        let models = risk::ModelScores {
            fraud_score: crate::risk::fraud_score_for(candidate, &live.input, live.fraud.as_ref()),
            ..live.models
        };
        let again = risk::decide(candidate, &live.input, &live.features, &models, now);
        let decided = Decided {
            live: live.outcome,
            live_reasons: &live.reasons,
            candidate: again.outcome,
            candidate_reasons: &again.reasons,
            fraud_score: live.fraud.as_ref().map(|f| f.score),
        };
        self.labelled.add(labels, record, live.input.checkpoint(), &decided);
        let checkpoint = live.input.checkpoint().name();
        let (before, after) = (outcome_name(live.outcome), outcome_name(again.outcome));
        let changed = live.outcome != again.outcome || live.reasons != again.reasons;
        let entry = self.checkpoints.entry(checkpoint).or_default();
        entry.decisions += 1;
        *entry.matrix.entry(before).or_default().entry(after).or_default() += 1;
        self.decisions += 1;
        for code in again.reasons.iter().filter(|c| !live.reasons.contains(c)) {
            *self.reasons_gained.entry(code.as_str().to_owned()).or_default() += 1;
        }
        for code in live.reasons.iter().filter(|c| !again.reasons.contains(c)) {
            *self.reasons_lost.entry(code.as_str().to_owned()).or_default() += 1;
        }
        if !changed {
            return;
        }
        entry.changed += 1;
        self.changed += 1;
        if self.samples.len() < samples_max {
            let time = jiff::Timestamp::from_microsecond(at_us).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            self.samples.push(Sample {
                partition: at.partition,
                seq: at.seq,
                record: at.index,
                at: time.to_string(),
                checkpoint,
                customer: live.input.user.to_string(),
                live: Side {
                    outcome: before,
                    reasons: codes(&live.reasons),
                    rules: live.rules.to_string(),
                },
                candidate: Side {
                    outcome: after,
                    reasons: codes(&again.reasons),
                    rules: again.rules_version.to_string(),
                },
            });
        }
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "{} decisions replayed, {} changed (outcome or reasons)\n",
            self.decisions, self.changed
        );
        for (checkpoint, report) in &self.checkpoints {
            out.push_str(&format!(
                "\n{checkpoint}: {} decisions, {} changed\n  live \\ candidate\n",
                report.decisions, report.changed
            ));
            for (live, row) in &report.matrix {
                let cells: Vec<String> = row.iter().map(|(c, n)| format!("{c}: {n}")).collect();
                out.push_str(&format!("  {live:<20} {}\n", cells.join(", ")));
            }
        }
        let list = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                "none".to_owned()
            } else {
                m.iter()
                    .map(|(c, n)| format!("{c} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        out.push_str(&format!("\nreason codes gained: {}\n", list(&self.reasons_gained)));
        out.push_str(&format!("reason codes lost: {}\n", list(&self.reasons_lost)));
        for s in &self.samples {
            out.push_str(&format!(
                "  {} {} customer {} ({}-{}-{}): {} {:?} -> {} {:?}\n",
                s.at,
                s.checkpoint,
                s.customer,
                s.partition,
                s.seq,
                s.record,
                s.live.outcome,
                s.live.reasons,
                s.candidate.outcome,
                s.candidate.reasons
            ));
        }
        out.push_str(&self.labelled.text());
        if self.truncated {
            out.push_str("truncated: the replay stopped before the end of the journal\n");
        }
        out.push_str(&format!("ground truth: {}\n", self.ground_truth));
        out
    }
}

/// Replays every journaled decision of the store's `journal` against `candidate`.
pub fn replay(journal: &mut dyn Journal, candidate: &RuleSet, samples: usize) -> Result<Report, EngineError> {
    replay_within(journal, candidate, samples, &mut || true)
}

/// Why a bounded scan ended early.
enum Stop {
    Engine(EngineError),
    /// `keep_going` said no.
    Asked,
}

impl From<EngineError> for Stop {
    fn from(error: EngineError) -> Stop {
        Stop::Engine(error)
    }
}

/// [`replay`], asking `keep_going` before each decision: when it says no, the report so far is
/// returned with `truncated` set (the API bounds a backtest's time this way).
pub fn replay_within(
    journal: &mut dyn Journal,
    candidate: &RuleSet,
    samples: usize,
    keep_going: &mut dyn FnMut() -> bool,
) -> Result<Report, EngineError> {
    let partitions = crate::journal::stored_partitions(journal)?
        .ok_or_else(|| EngineError::Config("the store has no partition count".into()))?;
    let labels = crate::labels::collect(journal)?;
    let mut report = Report {
        ground_truth: if labels.is_empty() {
            NO_GROUND_TRUTH
        } else {
            ANALYST_LABELS
        },
        labelled: Labelled::new(&labels),
        ..Report::default()
    };
    for partition in 0..partitions {
        let scanned = crate::journal::scan(journal, partition, 0, |at, record| {
            if let Some(live) = &record.risk {
                if !keep_going() {
                    return Err(Stop::Asked);
                }
                report.add(candidate, &labels, at, record, live, samples);
            }
            Ok::<_, Stop>(())
        });
        match scanned {
            Ok(()) => {}
            Err(Stop::Asked) => {
                report.truncated = true;
                break;
            }
            Err(Stop::Engine(error)) => return Err(error),
        }
    }
    report.labelled.finish();
    Ok(report)
}
