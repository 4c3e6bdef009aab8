//! Labels: what analysts decided, read back from the journal as ground truth for backtests and
//! for training the fraud model (the feedback loop).
//!
//! Every analyst decision is already journaled, so the labels are a function of the journal and
//! need no store of their own:
//!
//! - a **theft case** confirmed labels each reported transaction `fraud`; rejected (the customer
//!   made them after all), `genuine`;
//! - an **interception** (an order stopped before delivery, or a payment held for review)
//!   confirmed labels its transaction `fraud`; rejected, `genuine`;
//! - a **direct exemption** (`POST /v1/fraud-exemptions`, a confirmed theft's exemption) labels
//!   each transaction `fraud`.
//!
//! A transaction decided more than once keeps the latest decision in journal order (an order
//! released from an interception and later reported stolen is fraud). A transaction's journal
//! is its account's partition, so journal order is decision order.
//!
//! Decisions no one reviewed carry no label: a held payment declined because its review timed
//! out (`Op::ExpireReview`) is not fraud, only undecided. Decisions no one reviewed carry no label, and a payment the rules denied never became a
//! transaction anyone could report: labels say nothing about what was stopped (the reject
//! inference problem), which is why a backtest reports the unlabelled share beside the rest.

use std::collections::{BTreeMap, HashMap};

use credit::{AccountId, Command, TxnId};
use serde::Serialize;
use store::Journal;

use crate::batches::scan;
use crate::cases::{CaseKind, Notice};
use crate::error::EngineError;
use crate::ids::CaseId;
use crate::record::{Op, Record};

/// An analyst's verdict on a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Fraud,
    Genuine,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Fraud => "fraud",
            Verdict::Genuine => "genuine",
        }
    }
}

/// Which decision gave a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    TheftCase,
    Interception,
    Exemption,
    /// An analyst's decision on a payment held for review (released: genuine; declined:
    /// fraud). A decline by the review timeout is journaled like an analyst's and counts the
    /// same way.
    PaymentReview,
}

/// One labelled transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub account: AccountId,
    pub txn: TxnId,
    pub verdict: Verdict,
    pub source: Source,
    /// The case whose resolution gave it (none for a direct exemption).
    pub case: Option<CaseId>,
    /// When the decision was journaled (microseconds since the epoch).
    pub decided_at_us: i64,
}

/// Every label of a journal, by account and transaction.
#[derive(Debug, Default)]
pub struct Labels {
    by_txn: BTreeMap<(AccountId, TxnId), Label>,
}

impl Labels {
    pub fn get(&self, account: AccountId, txn: TxnId) -> Option<&Label> {
        self.by_txn.get(&(account, txn))
    }

    pub fn len(&self) -> usize {
        self.by_txn.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_txn.is_empty()
    }

    /// The labels in account, then transaction order.
    pub fn iter(&self) -> impl Iterator<Item = &Label> {
        self.by_txn.values()
    }

    fn set(&mut self, label: Label) {
        self.by_txn.insert((label.account, label.txn), label);
    }
}

/// A case's transactions and kind, as its opening said, until it is resolved.
#[derive(Debug)]
struct OpenCase {
    kind: CaseKind,
    txns: Vec<TxnId>,
}

/// Reads one partition's records in order and keeps the labels they give.
#[derive(Debug, Default)]
pub struct Collector {
    cases: HashMap<CaseId, OpenCase>,
    labels: Labels,
}

impl Collector {
    /// Takes in one record (in journal order).
    pub fn record(&mut self, record: &Record) {
        if record.outcome.is_err() {
            return;
        }
        if let Op::ExpireReview { case } = &record.op {
            // Declined because no one decided in time: not a verdict on the payment.
            self.cases.remove(case);
        }
        for notice in &record.notices {
            self.notice(notice, record.at_us);
        }
        if let Op::Credit(Command::ExemptFraud { account, txns, .. }) = &record.op {
            for txn in txns {
                self.labels.set(Label {
                    account: *account,
                    txn: *txn,
                    verdict: Verdict::Fraud,
                    source: Source::Exemption,
                    case: None,
                    decided_at_us: record.at_us,
                });
            }
        }
    }

    fn notice(&mut self, notice: &Notice, at_us: i64) {
        match notice {
            Notice::CaseOpened { case, kind, txns, .. } => {
                let open = OpenCase {
                    kind: *kind,
                    txns: txns.clone(),
                };
                self.cases.insert(*case, open);
            }
            Notice::Intercepted { case, txn, .. } => {
                let open = OpenCase {
                    kind: CaseKind::Interception,
                    txns: vec![*txn],
                };
                self.cases.entry(*case).or_insert(open);
            }
            Notice::CaseResolved {
                account,
                case,
                confirmed,
            } => self.resolved(*account, *case, *confirmed, at_us),
            Notice::Delivered { .. } => {}
        }
    }

    fn resolved(&mut self, account: AccountId, case: CaseId, confirmed: bool, at_us: i64) {
        let Some(open) = self.cases.remove(&case) else {
            return;
        };
        let verdict = if confirmed { Verdict::Fraud } else { Verdict::Genuine };
        let source = match open.kind {
            CaseKind::Theft => Source::TheftCase,
            CaseKind::Interception => Source::Interception,
            CaseKind::PaymentReview => Source::PaymentReview,
        };
        for txn in open.txns {
            self.labels.set(Label {
                account,
                txn,
                verdict,
                source,
                case: Some(case),
                decided_at_us: at_us,
            });
        }
    }

    pub fn finish(self) -> Labels {
        self.labels
    }
}

/// Every label the store's journal holds.
pub fn collect(journal: &mut dyn Journal) -> Result<Labels, EngineError> {
    let partitions = crate::journal::stored_partitions(journal)?
        .ok_or_else(|| EngineError::Config("the store has no partition count".into()))?;
    let mut collector = Collector::default();
    for partition in 0..partitions {
        scan(journal, partition, 0, |_, record| {
            collector.record(record);
            Ok::<_, EngineError>(())
        })?;
    }
    Ok(collector.finish())
}

/// A labelled payment decision as training data for the fraud model: the label, and what the
/// engine knew when it decided (the checkpoint's features and model scores).
#[derive(Debug, Serialize)]
pub struct TrainingRow {
    /// None for an unlabelled decision (exported only when asked for every decision).
    #[serde(flatten)]
    pub label: Option<Label>,
    /// The decision's customer and input time (milliseconds), the key ground truth from
    /// outside the journal joins on (with the amount).
    pub user: u64,
    pub at_ms: i64,
    pub amount_fen: i64,
    /// When the payment was decided (microseconds since the epoch).
    pub decided_payment_at_us: i64,
    pub outcome: &'static str,
    pub reasons: Vec<String>,
    pub features: risk::FeatureVector,
    pub models: risk::ModelScores,
    /// Every field of the rules' table as a model reads it, by path (`input.amount`,
    /// `features.user.payments_5m`, ...): the fraud model's training columns, computed by the
    /// same code that feeds the model at the checkpoint.
    pub inputs: Inputs,
    /// The fraud model's journaled score, when one ran (live or shadow).
    pub fraud: Option<crate::fraud_model::FraudScore>,
}

/// Named model inputs, serialized as one object of path to number, text or null.
#[derive(Debug)]
pub struct Inputs(pub Vec<(&'static str, risk::rules::FieldValue)>);

impl Serialize for Inputs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (path, value) in &self.0 {
            match value {
                risk::rules::FieldValue::Number(x) => map.serialize_entry(path, x)?,
                risk::rules::FieldValue::Text(t) => map.serialize_entry(path, t)?,
                risk::rules::FieldValue::Missing => map.serialize_entry(path, &None::<f64>)?,
            }
        }
        map.end()
    }
}

/// Every labelled payment decision of the store's journal (every payment decision with
/// `all`), in partition and journal order.
pub fn training_rows(journal: &mut dyn Journal, all: bool) -> Result<Vec<TrainingRow>, EngineError> {
    let labels = collect(journal)?;
    let partitions = crate::journal::stored_partitions(journal)?.unwrap_or(0);
    let mut rows = Vec::new();
    for partition in 0..partitions {
        scan(journal, partition, 0, |_, record| {
            if let Some(row) = training_row(&labels, record, all) {
                rows.push(row);
            }
            Ok::<_, EngineError>(())
        })?;
    }
    Ok(rows)
}

fn training_row(labels: &Labels, record: &Record, all: bool) -> Option<TrainingRow> {
    let risk = record.risk.as_ref()?;
    if risk.input.checkpoint() != risk::Checkpoint::PaymentAuthorization {
        return None;
    }
    let Some(Command::Authorize {
        account, txn, amount, ..
    }) = record.op.credit_command()
    else {
        return None;
    };
    let label = labels.get(*account, *txn).cloned();
    if label.is_none() && !all {
        return None;
    }
    let ctx = risk::RuleContext {
        input: &risk.input,
        features: &risk.features,
        models: &risk.models,
        now: risk::Timestamp::from_millis(record.at_us.div_euclid(1000)),
    };
    let inputs = Inputs(risk::rules::read_all(&ctx).collect());
    Some(TrainingRow {
        label,
        user: risk.input.user.0,
        at_ms: risk.input.at.millis(),
        amount_fen: amount.fen(),
        decided_payment_at_us: record.at_us,
        outcome: crate::risk::outcome_name(risk.outcome),
        reasons: risk.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
        features: risk.features,
        models: risk.models,
        inputs,
        fraud: risk.fraud.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::InterceptAction;
    use credit::MerchantId;

    fn record(at_us: i64, op: Op, notices: Vec<Notice>) -> Record {
        Record {
            at_us,
            op,
            outcome: Ok(()),
            events: Vec::new(),
            idempotency: None,
            risk: None,
            notices,
        }
    }

    fn labels(records: &[Record]) -> Labels {
        let mut collector = Collector::default();
        records.iter().for_each(|r| collector.record(r));
        collector.finish()
    }

    const A: AccountId = AccountId(7);

    fn opened(case: u64, kind: CaseKind, txns: &[u64]) -> Notice {
        Notice::CaseOpened {
            account: A,
            case: CaseId(case),
            kind,
            txns: txns.iter().map(|t| TxnId(*t)).collect(),
        }
    }

    fn resolved(case: u64, confirmed: bool) -> Notice {
        Notice::CaseResolved {
            account: A,
            case: CaseId(case),
            confirmed,
        }
    }

    #[test]
    fn the_latest_decision_on_a_transaction_is_its_label() {
        let intercepted = Notice::Intercepted {
            account: A,
            merchant: MerchantId(3),
            txn: TxnId(1),
            case: CaseId(10),
            action: InterceptAction::HeldForReview,
            reasons: Vec::new(),
        };
        let records = [
            record(
                1,
                Op::Refused,
                vec![opened(10, CaseKind::Interception, &[1]), intercepted],
            ),
            record(2, Op::Refused, vec![resolved(10, false)]),
            record(3, Op::Refused, vec![opened(11, CaseKind::Theft, &[1, 2])]),
            record(4, Op::Refused, vec![resolved(11, true)]),
            record(5, Op::Refused, vec![opened(12, CaseKind::Theft, &[3])]),
            record(6, Op::Refused, vec![resolved(12, false)]),
            record(7, Op::Refused, vec![opened(13, CaseKind::Theft, &[4])]),
        ];
        let labels = labels(&records);
        let got = |t| labels.get(A, TxnId(t)).map(|l| (l.verdict, l.source, l.decided_at_us));
        assert_eq!(
            got(1),
            Some((Verdict::Fraud, Source::TheftCase, 4)),
            "released, then reported stolen"
        );
        assert_eq!(got(2), Some((Verdict::Fraud, Source::TheftCase, 4)));
        assert_eq!(
            got(3),
            Some((Verdict::Genuine, Source::TheftCase, 6)),
            "a rejected report"
        );
        assert_eq!(got(4), None, "a case still open labels nothing");
        assert_eq!(labels.len(), 3);
    }

    #[test]
    fn an_exemption_labels_fraud_and_a_refused_record_labels_nothing() {
        let exempt = |txns: &[u64]| {
            Op::Credit(Command::ExemptFraud {
                account: A,
                txns: txns.iter().map(|t| TxnId(*t)).collect(),
                history: Vec::new(),
            })
        };
        let mut refused = record(2, exempt(&[6]), Vec::new());
        refused.outcome = Err(crate::rejection::EngineRejection::CaseNotFound);
        let records = [record(1, exempt(&[5]), Vec::new()), refused];
        let labels = labels(&records);
        assert_eq!(
            labels.get(A, TxnId(5)).map(|l| (l.verdict, l.source)),
            Some((Verdict::Fraud, Source::Exemption))
        );
        assert_eq!(labels.get(A, TxnId(6)), None);
    }
}
