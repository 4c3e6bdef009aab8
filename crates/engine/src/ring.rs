//! A fraud ring's facts, read from the journal for the police evidence bundle (`iou cases
//! export`, `api::evidence_bundle`): the cases asked for, their accounts, and (widened) every
//! account that used one of their devices or IP addresses; each account's risk decisions with
//! reasons, features and model scores; their transactions; and a timeline of every journaled
//! record about them.
//!
//! Two scans of every partition: the first learns the cases and who used which device and IP;
//! the second keeps what concerns the ring. Typed facts only: the bundle's JSON and HTML, the
//! case notes and links, and personal data are the API's.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use credit::{AccountId, Command, MerchantId, TxnId};
use risk::{CheckpointDetail, DeviceId, FeatureVector, Geo, ModelScores};
use serde::Serialize;
use store::Journal;

use crate::batches::scan;
use crate::cases::{CaseKind, Notice};
use crate::error::EngineError;
use crate::ids::CaseId;
use crate::record::{Op, Record};
use crate::view::{op_name, record_account};

/// A case as the journal tells it.
#[derive(Clone, Debug, Serialize)]
pub struct CaseFact {
    pub case: CaseId,
    pub account: AccountId,
    pub kind: CaseKind,
    pub txns: Vec<TxnId>,
    pub opened_at_us: i64,
    pub resolved_at_us: Option<i64>,
    /// `Some(true)`: confirmed (fraud); `Some(false)`: rejected; `None`: open.
    pub confirmed: Option<bool>,
}

/// One risk decision about a ring account.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionFact {
    pub at_us: i64,
    pub account: AccountId,
    pub checkpoint: &'static str,
    pub outcome: &'static str,
    pub reasons: Vec<String>,
    pub rules: String,
    pub satisfied_by_step_up: bool,
    pub device: DeviceId,
    pub ip: IpAddr,
    pub geo: Option<Geo>,
    pub merchant: Option<MerchantId>,
    pub amount_fen: Option<i64>,
    pub txn: Option<TxnId>,
    pub features: FeatureVector,
    pub models: ModelScores,
}

/// A payment authorized for a ring account, and what happened to it later.
#[derive(Clone, Debug, Serialize)]
pub struct TxnFact {
    pub txn: TxnId,
    pub account: AccountId,
    pub merchant: MerchantId,
    pub amount_fen: i64,
    pub at_us: i64,
    /// `(at_us, what)`: `capture`, `void`, `refund`, `exempt_fraud` ...
    pub later: Vec<(i64, &'static str)>,
}

/// One journaled record about a ring account.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEvent {
    pub at_us: i64,
    pub account: AccountId,
    pub op: &'static str,
    /// `ok`, or the rejection.
    pub outcome: String,
    /// The engine's own notices with it (`case_opened 12`, `intercepted 4099` ...).
    pub notices: Vec<String>,
}

/// Everything the journal says about a ring.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RingFacts {
    pub cases: Vec<CaseFact>,
    /// Each account with why it is in the ring (`case 3`, `device 00ab... also used by 17`).
    pub accounts: BTreeMap<AccountId, Vec<String>>,
    pub devices: BTreeMap<DeviceId, BTreeSet<AccountId>>,
    pub ips: BTreeMap<IpAddr, BTreeSet<AccountId>>,
    pub merchants: BTreeSet<MerchantId>,
    pub transactions: Vec<TxnFact>,
    pub decisions: Vec<DecisionFact>,
    pub timeline: Vec<TimelineEvent>,
}

/// Who used which device and address (first scan).
#[derive(Default)]
struct Seen {
    cases: BTreeMap<CaseId, CaseFact>,
    keys: BTreeMap<AccountId, (BTreeSet<DeviceId>, BTreeSet<IpAddr>)>,
}

fn for_every_record(journal: &mut dyn Journal, mut visit: impl FnMut(&Record)) -> Result<(), EngineError> {
    let partitions = crate::journal::stored_partitions(journal)?
        .ok_or_else(|| EngineError::Config("the store has no partition count".into()))?;
    for partition in 0..partitions {
        scan(journal, partition, 0, |_, record| {
            visit(record);
            Ok::<_, EngineError>(())
        })?;
    }
    Ok(())
}

impl Seen {
    fn record(&mut self, record: &Record) {
        for notice in &record.notices {
            self.notice(notice, record.at_us);
        }
        if let Some(risk) = &record.risk {
            let keys = self.keys.entry(AccountId(risk.input.user.0)).or_default();
            if risk.input.device.0 != 0 {
                keys.0.insert(risk.input.device);
            }
            if !risk.input.ip.is_unspecified() {
                keys.1.insert(risk.input.ip);
            }
        }
    }

    fn notice(&mut self, notice: &Notice, at_us: i64) {
        let (case, account, kind, txns) = match notice {
            Notice::CaseOpened {
                account,
                case,
                kind,
                txns,
            } => (*case, *account, *kind, txns.clone()),
            Notice::Intercepted { account, case, txn, .. } => (*case, *account, CaseKind::Interception, vec![*txn]),
            Notice::CaseResolved { case, confirmed, .. } => {
                if let Some(fact) = self.cases.get_mut(case) {
                    fact.resolved_at_us = Some(at_us);
                    fact.confirmed = Some(*confirmed);
                }
                return;
            }
            Notice::Delivered { .. } => return,
        };
        self.cases.entry(case).or_insert(CaseFact {
            case,
            account,
            kind,
            txns,
            opened_at_us: at_us,
            resolved_at_us: None,
            confirmed: None,
        });
    }
}

/// The facts of the ring made of `cases` (the first is the one asked for; an unknown one is
/// an error naming it), widened to the accounts sharing a device or IP with them when `widen`.
pub fn gather(journal: &mut dyn Journal, cases: &[CaseId], widen: bool) -> Result<RingFacts, EngineError> {
    let mut seen = Seen::default();
    for_every_record(journal, |record| seen.record(record))?;
    let mut facts = RingFacts::default();
    for case in cases {
        let fact = seen
            .cases
            .get(case)
            .ok_or_else(|| EngineError::Config(format!("no case {case} in the journal")))?;
        facts
            .accounts
            .entry(fact.account)
            .or_default()
            .push(format!("case {case}"));
        facts.cases.push(fact.clone());
    }
    widen_ring(&seen, &mut facts, widen);
    for_every_record(journal, |record| keep(&mut facts, record))?;
    facts.timeline.sort_by_key(|e| e.at_us);
    facts.decisions.sort_by_key(|d| d.at_us);
    facts.transactions.sort_by_key(|t| t.at_us);
    Ok(facts)
}

/// The devices and IPs of the cases' accounts, with every account that used them (the ring's
/// accounts when `widen`, else only the cases' own).
fn widen_ring(seen: &Seen, facts: &mut RingFacts, widen: bool) {
    let core: Vec<AccountId> = facts.accounts.keys().copied().collect();
    for account in &core {
        let Some((devices, ips)) = seen.keys.get(account) else {
            continue;
        };
        for device in devices {
            facts.devices.entry(*device).or_default().insert(*account);
        }
        for ip in ips {
            facts.ips.entry(*ip).or_default().insert(*account);
        }
    }
    if !widen {
        return;
    }
    let (core_devices, core_ips): (BTreeSet<DeviceId>, BTreeSet<IpAddr>) = (
        facts.devices.keys().copied().collect(),
        facts.ips.keys().copied().collect(),
    );
    for (account, (devices, ips)) in &seen.keys {
        for device in devices.intersection(&core_devices) {
            facts.devices.entry(*device).or_default().insert(*account);
            if !core.contains(account) {
                let why = format!("device {:016x} also used by a case account", device.0);
                facts.accounts.entry(*account).or_default().push(why);
            }
        }
        for ip in ips.intersection(&core_ips) {
            facts.ips.entry(*ip).or_default().insert(*account);
            if !core.contains(account) {
                let why = format!("IP {ip} also used by a case account");
                facts.accounts.entry(*account).or_default().push(why);
            }
        }
    }
}

/// Keeps what a record says about the ring (second scan).
fn keep(facts: &mut RingFacts, record: &Record) {
    let account = record_account(record).or_else(|| record.risk.as_ref().map(|r| AccountId(r.input.user.0)));
    let Some(account) = account.filter(|a| facts.accounts.contains_key(a)) else {
        return;
    };
    let txn = match &record.op {
        Op::Credit(command) | Op::Authorize { command, .. } => command.txn(),
        _ => None,
    };
    if let Some(risk) = &record.risk {
        let (merchant, amount_fen) = match &risk.input.detail {
            CheckpointDetail::PaymentAuthorization { merchant, amount, .. } => {
                (Some(MerchantId(merchant.0)), Some(amount.fen()))
            }
            _ => (None, None),
        };
        facts.decisions.push(DecisionFact {
            at_us: record.at_us,
            account,
            checkpoint: risk.input.checkpoint().name(),
            outcome: crate::risk::outcome_name(risk.outcome),
            reasons: risk.reasons.iter().map(ToString::to_string).collect(),
            rules: risk.rules.to_string(),
            satisfied_by_step_up: risk.satisfied_by_step_up,
            device: risk.input.device,
            ip: risk.input.ip,
            geo: risk.input.geo,
            merchant,
            amount_fen,
            txn,
            features: risk.features,
            models: risk.models,
        });
    }
    match (&record.op, record.outcome.is_ok()) {
        (
            Op::Authorize {
                command: Command::Authorize {
                    txn, merchant, amount, ..
                },
                ..
            },
            true,
        ) => {
            facts.merchants.insert(*merchant);
            facts.transactions.push(TxnFact {
                txn: *txn,
                account,
                merchant: *merchant,
                amount_fen: amount.fen(),
                at_us: record.at_us,
                later: Vec::new(),
            });
        }
        (Op::Credit(command), true) => {
            let txns: Vec<TxnId> = match command {
                Command::ExemptFraud { txns, .. } => txns.clone(),
                other => other.txn().into_iter().collect(),
            };
            for fact in facts.transactions.iter_mut().filter(|t| txns.contains(&t.txn)) {
                fact.later.push((record.at_us, command.name()));
            }
        }
        _ => {}
    }
    facts.timeline.push(TimelineEvent {
        at_us: record.at_us,
        account,
        op: op_name(&record.op),
        outcome: match &record.outcome {
            Ok(()) => "ok".to_owned(),
            Err(rejection) => format!("{rejection:?}"),
        },
        notices: record.notices.iter().map(notice_text).collect(),
    });
}

fn notice_text(notice: &Notice) -> String {
    match notice {
        Notice::Intercepted { txn, case, .. } => format!("intercepted {txn} (case {case})"),
        Notice::Delivered { txn, .. } => format!("delivered {txn}"),
        Notice::CaseOpened { case, kind, .. } => format!("case {case} opened ({kind:?})"),
        Notice::CaseResolved { case, confirmed, .. } => {
            format!("case {case} {}", if *confirmed { "confirmed" } else { "rejected" })
        }
    }
}
