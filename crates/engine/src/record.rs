//! The journal's record format: what each batch stores, encoded with postcard.
//!
//! A batch holds, for each request the partition processed, the resolved operation, the time
//! it was applied at, its outcome, its events and its idempotency key; plus the balances of
//! every account the batch touched (the input of the accounts read model). Recovery re-applies
//! the operations and checks that each outcome is the recorded one; the projector reads the
//! events and balances.

use credit::{AccountId, BalancesView, Command, Event, MerchantId};
use serde::{Deserialize, Serialize};

use crate::cases::{CaseKind, Evidence, Notice};
use crate::idempotency::Idempotency;
use crate::ids::{CaseId, LinkId};
use crate::pricing::CreditProfile;
use crate::reference::Reference;
use crate::rejection::EngineRejection;
use crate::risk::RiskRecord;
use std::net::IpAddr;

/// A resolved operation: what replay applies again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// A credit command with every id filled in.
    Credit(Command),
    /// A customer linked their account to a merchant under `link`.
    LinkMerchant {
        account: AccountId,
        merchant: MerchantId,
        link: LinkId,
    },
    /// The customer's credit profile (from onboarding) that the risk models read.
    SetCreditProfile { account: AccountId, profile: CreditProfile },
    /// A risk checkpoint with no credit effect (login, device change, profile change ...): only
    /// the decision is recorded.
    Checkpoint {
        account: AccountId,
        detail: risk::CheckpointDetail,
    },
    /// The merchant asked to ship: the delivery decision is in the record's `risk`.
    Deliver {
        account: AccountId,
        merchant: MerchantId,
        txn: credit::TxnId,
        address_changed: bool,
    },
    /// Monitoring re-scored an open order (its decision is in the record's `risk`).
    Rescore {
        account: AccountId,
        merchant: MerchantId,
        txn: credit::TxnId,
        address_changed: bool,
    },
    /// Monitoring stopped an order: voided or refunded (`hold: false`) or held for review.
    Intercept {
        account: AccountId,
        merchant: MerchantId,
        txn: credit::TxnId,
        case: CaseId,
        action: crate::cases::InterceptAction,
        reasons: Vec<risk::ReasonCode>,
    },
    /// A device or IP was put on the known-fraud list (every partition records it).
    ListFraud {
        device: Option<risk::DeviceId>,
        ip: Option<IpAddr>,
    },
    /// A case opened by a customer's report (theft) with the evidence the journal held.
    OpenCase {
        account: AccountId,
        case: CaseId,
        kind: CaseKind,
        txns: Vec<credit::TxnId>,
        evidence: Vec<Evidence>,
    },
    /// An operator confirmed or rejected a case.
    ResolveCase { case: CaseId, confirm: bool },
    /// A request refused before it reached the core (unknown transaction or link); replay
    /// changes nothing for it.
    Refused,
    /// A credit application decided for an applicant who may hold no account: the decision is
    /// in the record's `risk`; nothing else changes (see [`crate::application`]).
    CreditApplication(Box<crate::application::CreditApplication>),
    /// An approved line opened: the account, its limit and its priced credit profile at once.
    OpenLine(Box<crate::application::LineOpening>),
    /// An operator confirmed a theft case: the exemption (a `Command::ExemptFraud` carrying the
    /// history read from the journal; `None` when every reported transaction is already exempt)
    /// and the case's closing are ONE outcome. A refused exemption refuses the whole op and the
    /// case stays open; replay applies the same command to the same state and gets the same
    /// answer. (Journals written before this op hold a `ResolveCase` followed by a separate
    /// `Credit(ExemptFraud)` record; they replay as they were written.)
    ConfirmTheft { case: CaseId, exemption: Option<Command> },
    /// A funding operation started (see [`crate::funding`]), with the credit command it applied.
    FundingStarted(Box<crate::funding::FundingStarted>),
    /// A funding operation settled, paid, failed or returned, with its credit command.
    FundingUpdated(Box<crate::funding::FundingUpdated>),
    /// An authorization (`command` is always `Command::Authorize`) with the merchant's
    /// reference. Appended last, so older journals decode; they hold authorizations as
    /// `Credit(Command::Authorize)`, which replay as they were (with no reference).
    Authorize {
        command: Command,
        reference: Option<Reference>,
    },
    /// A held payment's review that outlived the timeout, declined by policy at the daily
    /// advance: applied as a confirmed resolution, but no one decided it, so it labels nothing
    /// (`engine::labels`).
    ExpireReview { case: CaseId },
}

impl Op {
    /// The credit command this op applies to an account, if any: a plain credit op's, or the
    /// one a funding op carries (an account's history for a fraud exemption includes both).
    pub fn credit_command(&self) -> Option<&Command> {
        match self {
            Op::Credit(command) | Op::Authorize { command, .. } => Some(command),
            Op::FundingStarted(started) => started.credit.as_ref(),
            Op::FundingUpdated(updated) => updated.credit.as_ref(),
            Op::ConfirmTheft {
                exemption: Some(command),
                ..
            } => Some(command),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Microseconds since the epoch.
    pub at_us: i64,
    pub op: Op,
    pub outcome: Result<(), EngineRejection>,
    pub events: Vec<Event>,
    pub idempotency: Option<Idempotency>,
    /// The risk decision taken before the op, if the request passed a checkpoint (journaled by
    /// version: see `risk_journal`).
    #[serde(with = "crate::risk_journal")]
    pub risk: Option<RiskRecord>,
    /// What the engine itself did (interceptions, cases, deliveries).
    pub notices: Vec<Notice>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BatchBody {
    pub records: Vec<Record>,
    pub accounts: Vec<(AccountId, BalancesView)>,
}

/// Why journal bytes could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("journal batch is not readable: {0}")]
pub(crate) struct DecodeError(#[from] postcard::Error);

/// The batch's trailer: what its records' decisions carry beyond the inline encoding (today
/// the fraud model's scores, `RiskRecord::fraud`), by record index. Written after the body
/// only when there is something in it, so a batch without a model is byte-for-byte what the
/// builds before the trailer wrote, and their batches (no trailer) decode as they were.
/// Postcard reads a body and stops, so older builds read newer batches too (ignoring it).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Trailer {
    fraud: Vec<(u32, crate::fraud_model::FraudScore)>,
}

impl BatchBody {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.clear();
        let bytes = postcard::to_extend(self, std::mem::take(out)).expect("a batch always encodes");
        let trailer = Trailer {
            fraud: self
                .records
                .iter()
                .enumerate()
                .filter_map(|(i, r)| Some((i as u32, r.risk.as_ref()?.fraud.clone()?)))
                .collect(),
        };
        *out = if trailer.fraud.is_empty() {
            bytes
        } else {
            postcard::to_extend(&trailer, bytes).expect("a trailer always encodes")
        };
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<BatchBody, DecodeError> {
        let (mut body, rest): (BatchBody, _) = postcard::take_from_bytes(bytes)?;
        if rest.is_empty() {
            return Ok(body);
        }
        let trailer: Trailer = postcard::from_bytes(rest)?;
        for (index, score) in trailer.fraud {
            let risk = body
                .records
                .get_mut(index as usize)
                .and_then(|r| r.risk.as_mut())
                .ok_or(postcard::Error::DeserializeBadEncoding)?;
            risk.fraud = Some(score);
        }
        Ok(body)
    }
}

/// A batch as the projector reads it: each record's time and events, and the balances. The
/// rest of a record is decoded and dropped, except its decision, which is stepped over unread
/// (`risk_journal::Skipped`), and the trailer, which is not read at all. Mirrors [`Record`]
/// field for field (tested: `the_projector_reads_what_the_records_hold`).
#[derive(Debug, Deserialize)]
pub(crate) struct ProjectedBatch {
    pub records: Vec<ProjectedRecord>,
    pub accounts: Vec<(AccountId, BalancesView)>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read to step over them
pub(crate) struct ProjectedRecord {
    pub at_us: i64,
    op: Op,
    outcome: Result<(), EngineRejection>,
    pub events: Vec<Event>,
    idempotency: Option<Idempotency>,
    risk: crate::risk_journal::Skipped,
    notices: Vec<Notice>,
}

impl ProjectedBatch {
    pub(crate) fn decode(bytes: &[u8]) -> Result<ProjectedBatch, DecodeError> {
        let (body, _trailer) = postcard::take_from_bytes(bytes)?;
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CaseId, LinkId};

    /// A record journaled when links and cases were bare `u64`s, spelled out as postcard wrote
    /// it (an enum is its variant index, then its fields): it decodes into today's types.
    #[test]
    fn a_record_of_the_bare_u64_shape_decodes() {
        let (account, merchant) = (AccountId(5), MerchantId(6));
        // `Op::LinkMerchant` is variant 1; `Notice::CaseResolved` is variant 3.
        let old_op = (1u32, account, merchant, 0x1_0203u64);
        let old_notice = (3u32, account, 0x4_0506u64, true);
        let old = (
            1_700_000_000_000_000i64,
            old_op,
            Ok::<(), EngineRejection>(()),
            Vec::<Event>::new(),
            None::<Idempotency>,
            None::<RiskRecord>,
            vec![old_notice],
        );
        let bytes = postcard::to_stdvec(&old).unwrap();
        let record: Record = postcard::from_bytes(&bytes).unwrap();
        let expected = Record {
            at_us: 1_700_000_000_000_000,
            op: Op::LinkMerchant {
                account,
                merchant,
                link: LinkId(0x1_0203),
            },
            outcome: Ok(()),
            events: Vec::new(),
            idempotency: None,
            risk: None,
            notices: vec![Notice::CaseResolved {
                account,
                case: CaseId(0x4_0506),
                confirmed: true,
            }],
        };
        assert_eq!(record, expected);
        assert_eq!(
            postcard::to_stdvec(&expected).unwrap(),
            bytes,
            "and it encodes the same bytes"
        );
    }

    /// The fraud model's scores ride in the batch's trailer: a batch without one is the bare
    /// body as before (so older journals decode), and a batch with one decodes back whole.
    #[test]
    fn fraud_scores_ride_in_the_trailer_and_older_batches_decode() {
        let record = |risk: Option<RiskRecord>| Record {
            at_us: 1,
            op: Op::Refused,
            outcome: Ok(()),
            events: Vec::new(),
            idempotency: None,
            risk,
            notices: Vec::new(),
        };
        let input = risk::CheckpointInput {
            user: risk::UserId(1),
            device: risk::DeviceId(2),
            ip: IpAddr::from([10, 0, 0, 1]),
            geo: None,
            channel: risk::Channel::Online,
            at: risk::Timestamp::from_millis(5),
            signals: risk::Signals::default(),
            detail: risk::CheckpointDetail::Login { password_ok: true },
        };
        let decision = RiskRecord {
            input,
            outcome: risk::Outcome::Allow,
            reasons: Vec::new(),
            rules: risk::RulesVersion {
                graph: "login".into(),
                version: 1,
                digest: "0".into(),
            },
            shadow: None,
            features: risk::FeatureVector::default(),
            models: risk::ModelScores::default(),
            satisfied_by_step_up: false,
            observed: true,
            fraud: None,
        };
        let plain = BatchBody {
            records: vec![record(None), record(Some(decision.clone()))],
            accounts: Vec::new(),
        };
        let mut bytes = Vec::new();
        plain.encode(&mut bytes);
        assert_eq!(bytes, postcard::to_stdvec(&plain).unwrap(), "no scores: the bare body");
        assert_eq!(BatchBody::decode(&bytes).unwrap(), plain);

        let scored = RiskRecord {
            fraud: Some(crate::fraud_model::FraudScore {
                model: "fraud/0".into(),
                score: 0.25,
                reasons: vec![crate::fraud_model::ModelReason {
                    code: "MODEL:input.amount".into(),
                    contribution: 0.5,
                }],
            }),
            ..decision
        };
        let body = BatchBody {
            records: vec![record(None), record(Some(scored))],
            accounts: Vec::new(),
        };
        body.encode(&mut bytes);
        assert!(
            bytes.len() > postcard::to_stdvec(&body).unwrap().len(),
            "a trailer follows"
        );
        assert_eq!(BatchBody::decode(&bytes).unwrap(), body);
        let older: BatchBody = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(
            older, plain,
            "a reader that stops at the body sees the decisions without scores"
        );
    }

    /// The projector's mirror of a batch reads the same times, events and balances as the full
    /// decoding, whatever the records hold (decisions of every version, notices, a trailer).
    #[test]
    fn the_projector_reads_what_the_records_hold() {
        let account = AccountId(3);
        let txn = credit::TxnId(9);
        let day = credit::Day::ymd(2026, 12, 8);
        let event = Event::Authorized {
            account,
            txn,
            merchant: MerchantId(4),
            amount: money::Amount::from_fen(12_300),
            expires_on: day,
            available: money::Amount::from_fen(50_000),
        };
        let mut features = risk::FeatureVector::default();
        features.history.payments_before = 7;
        features.user.account_age_days = 40;
        let decision = RiskRecord {
            input: risk::CheckpointInput {
                user: risk::UserId(3),
                device: risk::DeviceId(2),
                ip: IpAddr::from([10, 0, 0, 1]),
                geo: None,
                channel: risk::Channel::Online,
                at: risk::Timestamp::from_millis(5),
                signals: risk::Signals::default(),
                detail: risk::CheckpointDetail::Login { password_ok: true },
            },
            outcome: risk::Outcome::Review,
            reasons: vec![risk::ReasonCode::parse("AMOUNT_SPIKE").unwrap()],
            rules: risk::RulesVersion {
                graph: "payment_authorization".into(),
                version: 2,
                digest: "0".into(),
            },
            shadow: None,
            features,
            models: risk::ModelScores::default(),
            satisfied_by_step_up: false,
            observed: true,
            fraud: Some(crate::fraud_model::FraudScore {
                model: "fraud/0".into(),
                score: 0.5,
                reasons: Vec::new(),
            }),
        };
        let record = |at_us, risk: Option<RiskRecord>, events: Vec<Event>| Record {
            at_us,
            op: Op::Refused,
            outcome: Ok(()),
            events,
            idempotency: None,
            risk,
            notices: vec![Notice::Delivered {
                account,
                merchant: MerchantId(4),
                txn,
            }],
        };
        let body = BatchBody {
            records: vec![
                record(1, Some(decision.clone()), vec![event.clone()]),
                record(2, None, Vec::new()),
                record(3, Some(decision), vec![event.clone(), event]),
            ],
            accounts: Vec::new(),
        };
        let mut bytes = Vec::new();
        body.encode(&mut bytes);
        let full = BatchBody::decode(&bytes).unwrap();
        let projected = ProjectedBatch::decode(&bytes).unwrap();
        assert_eq!(projected.accounts.len(), full.accounts.len());
        let times = |r: &[Record]| r.iter().map(|r| (r.at_us, r.events.clone())).collect::<Vec<_>>();
        let seen: Vec<_> = projected.records.iter().map(|r| (r.at_us, r.events.clone())).collect();
        assert_eq!(seen, times(&full.records));
        assert_eq!(
            full.records[0].risk.as_ref().unwrap().features.history.payments_before,
            7
        );
        for cut in 0..bytes.len() - 1 {
            let _ = ProjectedBatch::decode(&bytes[..cut]);
        }
    }
}
