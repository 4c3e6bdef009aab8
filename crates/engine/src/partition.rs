//! [`Partition`]: one partition's state and the deterministic steps that change it.
//!
//! A partition is a credit [`Book`] plus what the engine keeps beside it: the transactions and
//! merchant links it assigned (so a merchant acting on a transaction id reaches the right
//! account, and only its own), and the idempotency index. [`Partition::resolve`] turns a request
//! into an [`Op`] (assigning ids); [`Partition::apply_op`] applies an op. Both are deterministic;
//! recovery replays ops through `apply_op` exactly as they were applied live.

use credit::{
    AccountId, Book, BookState, Command, Event, FreezeReason, MerchantId, Product, Recorded, Rejection, TxnId,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::cases::{Case, Notice, Watch};
use crate::idempotency::{IdempotencyIndex, Seen};
use crate::ids::{CaseId, LinkId};
use crate::pricing::CreditProfile;
use crate::record::{Op, Record};
use crate::reference::Reference;
use crate::rejection::{EngineRejection, RiskBlock};
use crate::request::Request;
use crate::risk::{PartitionRisk, RiskContext, RiskRecord, RiskShared};
use crate::route::make_id;
use std::sync::Arc;

pub struct Partition {
    pub id: u32,
    pub book: Book,
    /// The sequence number of the last batch this partition sealed.
    pub seq: u64,
    pub(crate) txn_counter: u64,
    link_counter: u64,
    pub(crate) txns: FxHashMap<TxnId, (AccountId, MerchantId)>,
    pub(crate) links: FxHashMap<LinkId, (AccountId, MerchantId)>,
    /// The merchants' references of their authorizations, by transaction.
    pub(crate) references: FxHashMap<TxnId, Reference>,
    pub idempotency: IdempotencyIndex,
    last_at: Timestamp,
    profiles: FxHashMap<AccountId, CreditProfile>,
    /// Risk decisions, when the engine runs with rules.
    pub risk: Option<PartitionRisk>,
    /// Authorized orders watched until delivery.
    pub(crate) watches: FxHashMap<TxnId, Watch>,
    pub(crate) cases: std::collections::BTreeMap<CaseId, Case>,
    pub(crate) case_counter: u64,
    /// Funding operations (debits, offline repayments, payouts) by id.
    pub(crate) fundings: std::collections::BTreeMap<u64, crate::funding::Funding>,
    pub(crate) funding_counter: u64,
    /// How long a held payment waits before the daily advance declines it (configuration, not
    /// state: the decline is journaled, so replay never reads it).
    pub(crate) review_timeout: jiff::SignedDuration,
    /// Whether `review` holds a payment (configuration, see `EngineConfig`).
    pub(crate) hold_reviewed: bool,
}

/// Everything a partition needs to restart without its journal before `seq`. The book's type
/// is a parameter only for reading snapshots before format 4, whose accounts had no totals
/// (`credit::legacy::BookStateV1`, see `snapshotter`); everything else uses the default.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartitionSnapshot<B = BookState> {
    pub seq: u64,
    pub book: B,
    pub txn_counter: u64,
    pub link_counter: u64,
    pub txns: Vec<(TxnId, AccountId, MerchantId)>,
    pub links: Vec<(LinkId, AccountId, MerchantId)>,
    pub idempotency: Vec<(u64, u128, Seen)>,
    pub profiles: Vec<(AccountId, CreditProfile)>,
    pub watches: Vec<Watch>,
    pub cases: Vec<Case>,
    pub case_counter: u64,
    /// Encoded after the fields above (snapshot format 2, see `snapshotter`), so a format-1
    /// snapshot, which ends before it, still decodes.
    #[serde(skip)]
    pub funding: crate::funding::FundingSnapshot,
    /// Encoded after the funding state (snapshot format 3), so an older snapshot still decodes
    /// (with none: no older engine journaled a reference).
    #[serde(skip)]
    pub references: Vec<(TxnId, Reference)>,
}

impl PartitionSnapshot<credit::legacy::BookStateV1> {
    /// A snapshot before format 4 as the current shape: its accounts with the totals they can
    /// have (see `credit::legacy`).
    pub(crate) fn upgrade(self) -> PartitionSnapshot {
        PartitionSnapshot {
            seq: self.seq,
            book: self.book.into(),
            txn_counter: self.txn_counter,
            link_counter: self.link_counter,
            txns: self.txns,
            links: self.links,
            idempotency: self.idempotency,
            profiles: self.profiles,
            watches: self.watches,
            cases: self.cases,
            case_counter: self.case_counter,
            funding: self.funding,
            references: self.references,
        }
    }
}

impl std::fmt::Debug for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partition")
            .field("id", &self.id)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Partition {
    /// Why a merchant's order has no watch: monitoring intercepted it earlier (denied again,
    /// so a merchant that missed the webhook still learns not to ship it), or it is not this
    /// merchant's open order.
    fn unwatched(&self, merchant: MerchantId, txn: TxnId) -> EngineRejection {
        let theirs = self.txns.get(&txn).is_some_and(|(_, m)| *m == merchant);
        let intercepted = theirs
            && self
                .cases
                .values()
                .any(|c| c.kind == crate::cases::CaseKind::Interception && c.txns.contains(&txn));
        if intercepted {
            EngineRejection::Risk(RiskBlock::Denied)
        } else {
            EngineRejection::TxnNotFound
        }
    }

    pub fn new(id: u32, product: Product, zone: TimeZone, risk: Option<Arc<RiskShared>>) -> Partition {
        Partition {
            id,
            book: Book::new(product, zone),
            seq: 0,
            txn_counter: 0,
            link_counter: 0,
            txns: FxHashMap::default(),
            links: FxHashMap::default(),
            references: FxHashMap::default(),
            idempotency: IdempotencyIndex::default(),
            last_at: Timestamp::UNIX_EPOCH,
            profiles: FxHashMap::default(),
            risk: risk.map(PartitionRisk::new),
            watches: FxHashMap::default(),
            cases: std::collections::BTreeMap::new(),
            case_counter: 0,
            fundings: std::collections::BTreeMap::new(),
            funding_counter: 0,
            review_timeout: crate::cases::REVIEW_TIMEOUT,
            hold_reviewed: true,
        }
    }

    pub fn restore(
        id: u32,
        product: Product,
        zone: TimeZone,
        risk: Option<Arc<RiskShared>>,
        snapshot: PartitionSnapshot,
    ) -> Partition {
        let book = Book::restore(product, zone, snapshot.book);
        Partition {
            id,
            last_at: book.last_at().unwrap_or(Timestamp::UNIX_EPOCH),
            book,
            seq: snapshot.seq,
            txn_counter: snapshot.txn_counter,
            link_counter: snapshot.link_counter,
            txns: snapshot.txns.into_iter().map(|(t, a, m)| (t, (a, m))).collect(),
            links: snapshot.links.into_iter().map(|(l, a, m)| (l, (a, m))).collect(),
            references: snapshot.references.into_iter().collect(),
            idempotency: IdempotencyIndex::from_entries(snapshot.idempotency),
            profiles: snapshot.profiles.into_iter().collect(),
            risk: risk.map(PartitionRisk::new),
            watches: snapshot.watches.into_iter().map(|w| (w.txn, w)).collect(),
            cases: snapshot.cases.into_iter().map(|c| (c.id, c)).collect(),
            case_counter: snapshot.case_counter,
            fundings: snapshot.funding.fundings.into_iter().map(|f| (f.id, f)).collect(),
            funding_counter: snapshot.funding.counter,
            review_timeout: crate::cases::REVIEW_TIMEOUT,
            hold_reviewed: true,
        }
    }

    pub fn snapshot(&self) -> PartitionSnapshot {
        PartitionSnapshot {
            seq: self.seq,
            book: self.book.snapshot(),
            txn_counter: self.txn_counter,
            link_counter: self.link_counter,
            txns: self.txns.iter().map(|(t, (a, m))| (*t, *a, *m)).collect(),
            links: self.links.iter().map(|(l, (a, m))| (*l, *a, *m)).collect(),
            idempotency: self.idempotency.entries(),
            profiles: self.profiles.iter().map(|(a, p)| (*a, *p)).collect(),
            watches: self.watches.values().cloned().collect(),
            cases: self.cases.values().cloned().collect(),
            case_counter: self.case_counter,
            funding: crate::funding::FundingSnapshot {
                counter: self.funding_counter,
                fundings: self.fundings.values().cloned().collect(),
            },
            references: self.references.iter().map(|(t, r)| (*t, r.clone())).collect(),
        }
    }

    /// A timestamp for the next command: the clock's at the journal's precision (whole
    /// microseconds, what replay will apply it at), but never before the last one (the core
    /// refuses time going backwards, and a clock step back must not stop the partition).
    pub fn next_at(&mut self, now: Timestamp) -> Timestamp {
        let now = crate::clock::journal_time(now);
        let at = if now > self.last_at { now } else { self.last_at };
        self.last_at = at;
        at
    }

    /// The time of the request being resolved or applied (the latest the partition has seen).
    pub(crate) fn now(&self) -> Timestamp {
        self.last_at
    }

    /// Turns a request into the op to apply, assigning ids. `journal` reads an account's
    /// journaled records (a fraud exemption's history and a theft report's evidence need it).
    pub fn resolve(
        &mut self,
        request: &Request,
        journal: &mut dyn FnMut(AccountId) -> Vec<(Timestamp, Record)>,
    ) -> Result<Op, EngineRejection> {
        match request {
            Request::Account(command)
                if matches!(command.command(), Command::Unfreeze { .. })
                    && self
                        .book
                        .account(command.account())
                        .is_some_and(|a| a.frozen == Some(FreezeReason::TheftReport)) =>
            {
                Err(EngineRejection::VerificationRequired)
            }
            Request::Account(command) => Ok(Op::Credit(crate::pricing::priced_command(
                command.command().clone(),
                |a| self.profile(a),
            ))),
            Request::Advance => Ok(Op::Credit(Command::Advance)),
            Request::Authorize {
                payer,
                merchant,
                amount,
                plan,
                reference,
            } => self.resolve_authorize(*payer, *merchant, *amount, *plan, reference.clone()),
            Request::Txn { merchant, txn, action } => self.resolve_txn(*merchant, *txn, *action),
            Request::LinkMerchant { account, merchant } => {
                self.link_counter += 1;
                let link = LinkId(make_id(self.link_counter, self.id));
                Ok(Op::LinkMerchant {
                    account: *account,
                    merchant: *merchant,
                    link,
                })
            }
            Request::SetCreditProfile { account, profile } => Ok(Op::SetCreditProfile {
                account: *account,
                profile: *profile,
            }),
            Request::Checkpoint { account, detail } => {
                if self.book.account(*account).is_none() {
                    return Err(Rejection::AccountNotFound.into());
                }
                Ok(Op::Checkpoint {
                    account: *account,
                    detail: detail.clone(),
                })
            }
            Request::ExemptFraud { account, txns } => {
                if self.book.account(*account).is_none() {
                    return Err(Rejection::AccountNotFound.into());
                }
                let history = history_of(&journal(*account));
                Ok(Op::Credit(Command::ExemptFraud {
                    account: *account,
                    txns: txns.clone(),
                    history,
                }))
            }
            Request::Deliver {
                merchant,
                txn,
                address_changed,
            } => {
                let watch = self
                    .watch_of(*merchant, *txn)
                    .ok_or_else(|| self.unwatched(*merchant, *txn))?;
                Ok(Op::Deliver {
                    account: watch.account,
                    merchant: *merchant,
                    txn: *txn,
                    address_changed: *address_changed,
                })
            }
            Request::AddressChanged { merchant, txn } => {
                let watch = self
                    .watch_of(*merchant, *txn)
                    .ok_or_else(|| self.unwatched(*merchant, *txn))?;
                Ok(Op::Rescore {
                    account: watch.account,
                    merchant: *merchant,
                    txn: *txn,
                    address_changed: true,
                })
            }
            Request::ListFraud { device, ip } => Ok(Op::ListFraud {
                device: *device,
                ip: *ip,
            }),
            Request::ReportTheft { account, txns } => {
                if self.book.account(*account).is_none() {
                    return Err(Rejection::AccountNotFound.into());
                }
                if txns.is_empty() || txns.iter().any(|t| self.txns.get(t).is_none_or(|(a, _)| a != account)) {
                    return Err(EngineRejection::TxnNotFound);
                }
                let evidence = crate::evidence::evidence_from(&journal(*account), txns);
                let case = self.new_case_id();
                let kind = crate::cases::CaseKind::Theft;
                Ok(Op::OpenCase {
                    account: *account,
                    case,
                    kind,
                    txns: txns.clone(),
                    evidence,
                })
            }
            Request::ResolveCase { case, confirm } => {
                let known = self.cases.get(case).ok_or(EngineRejection::CaseNotFound)?;
                if known.status != crate::cases::CaseStatus::Open {
                    return Err(EngineRejection::CaseClosed);
                }
                if *confirm && known.kind == crate::cases::CaseKind::Theft {
                    let (account, txns) = (known.account, known.txns.clone());
                    return Ok(self.confirm_theft(*case, account, txns, journal));
                }
                Ok(Op::ResolveCase {
                    case: *case,
                    confirm: *confirm,
                })
            }
            Request::VerifiedUnfreeze { account } => {
                if self.theft_case_open(*account) {
                    return Err(EngineRejection::CaseOpen);
                }
                Ok(Op::Credit(Command::Unfreeze { account: *account }))
            }
            Request::FreezeUnlessFrozen { account, reason } => {
                // Only a customer's own freeze is weaker than another: nothing else is replaced.
                let kept = |held: FreezeReason| held != FreezeReason::Customer || *reason == FreezeReason::Customer;
                if self.book.account(*account).and_then(|a| a.frozen).is_some_and(kept) {
                    return Err(Rejection::AccountFrozen.into());
                }
                Ok(Op::Credit(Command::Freeze {
                    account: *account,
                    reason: *reason,
                }))
            }
            Request::CreditApplication(application) => {
                if self.book.account(application.applicant).is_some() {
                    return Err(Rejection::AccountExists.into());
                }
                Ok(Op::CreditApplication(Box::new(application.clone())))
            }
            Request::OpenLine(line) => Ok(Op::OpenLine(Box::new(line.bounded()))),
            Request::StartFunding(start) => self.resolve_start_funding(start, now_us_of(self.last_at)),
            Request::UpdateFunding(update) => self.resolve_update_funding(update),
        }
    }

    /// The op of a theft confirmation: the case closes with the exemption of its transactions
    /// not yet exempt, restated from the account's journaled history.
    fn confirm_theft(
        &self,
        case: CaseId,
        account: AccountId,
        txns: Vec<TxnId>,
        journal: &mut dyn FnMut(AccountId) -> Vec<(Timestamp, Record)>,
    ) -> Op {
        let already = self
            .book
            .account(account)
            .map(|a| a.exempt.as_slice())
            .unwrap_or_default();
        let txns: Vec<TxnId> = txns.into_iter().filter(|t| !already.contains(t)).collect();
        let exemption = (!txns.is_empty()).then(|| Command::ExemptFraud {
            account,
            txns,
            history: history_of(&journal(account)),
        });
        Op::ConfirmTheft { case, exemption }
    }

    /// Applies an op at `at` with the decision journaled for it, appending its events and
    /// notices. The same op at the same time on the same state always gives the same outcome:
    /// this is what replay relies on.
    pub fn apply_op(
        &mut self,
        op: &Op,
        at: Timestamp,
        risk: Option<&RiskRecord>,
        events: &mut Vec<Event>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), EngineRejection> {
        if at > self.last_at {
            self.last_at = at;
        }
        match op {
            Op::Credit(command) => self.apply_credit(command, None, at, risk, events),
            Op::Authorize { command, reference } => self.apply_credit(command, reference.as_ref(), at, risk, events),
            Op::LinkMerchant {
                account,
                merchant,
                link,
            } => {
                self.note_ids(op);
                if self.book.account(*account).is_none() {
                    return Err(Rejection::AccountNotFound.into());
                }
                self.links.insert(*link, (*account, *merchant));
                Ok(())
            }
            Op::SetCreditProfile { account, profile } => {
                if self.book.account(*account).is_none() {
                    return Err(Rejection::AccountNotFound.into());
                }
                self.profiles.insert(*account, *profile);
                Ok(())
            }
            Op::Checkpoint { .. } | Op::CreditApplication(_) | Op::Refused => Ok(()),
            Op::OpenLine(line) => {
                self.book.apply(at, &line.command(), events)?;
                self.profiles.insert(line.account, line.profile());
                Ok(())
            }
            Op::Deliver { .. }
            | Op::Rescore { .. }
            | Op::Intercept { .. }
            | Op::ListFraud { .. }
            | Op::OpenCase { .. }
            | Op::ResolveCase { .. }
            | Op::ExpireReview { .. } => self.apply_monitor_op(op, at, risk, notices),
            Op::ConfirmTheft { case, exemption } => {
                self.confirm_theft_case(*case, exemption.as_ref(), at, events, notices)
            }
            Op::FundingStarted(started) => self.apply_funding_started(started, at, events),
            Op::FundingUpdated(updated) => self.apply_funding_updated(updated, at, events),
        }
    }

    /// Replays a journaled refusal without deciding it again: the partition's clock moves and
    /// the account is brought to the record's day, as the refused command did (see recovery).
    pub(crate) fn replay_refusal(&mut self, account: AccountId, at: Timestamp, events: &mut Vec<Event>) {
        if at > self.last_at {
            self.last_at = at;
        }
        let _ = self.book.advance_account(at, account, events);
    }

    /// The credit profile set at onboarding.
    pub(crate) fn profile(&self, account: AccountId) -> Option<CreditProfile> {
        self.profiles.get(&account).copied()
    }

    /// Keeps the id counters ahead of every id an op carries (also for ops risk stopped, which
    /// are journaled but not applied).
    pub fn note_ids(&mut self, op: &Op) {
        match op {
            Op::Credit(Command::Authorize { txn, .. })
            | Op::Authorize {
                command: Command::Authorize { txn, .. },
                ..
            } => self.txn_counter = self.txn_counter.max(txn.0 >> 8),
            Op::LinkMerchant { link, .. } => self.link_counter = self.link_counter.max(link.counter()),
            Op::FundingStarted(started) => self.funding_counter = self.funding_counter.max(started.funding.id >> 8),
            _ => {}
        }
    }

    /// The risk decision an op needs, if it passes a checkpoint and the engine runs with rules.
    /// A repayment is assessed only when the caller said where it came from.
    pub fn assess(&mut self, op: &Op, context: Option<&RiskContext>, at: Timestamp) -> Option<RiskRecord> {
        let risk = self.risk.as_mut()?;
        let unknown = RiskContext::unknown(risk::Channel::Online);
        let (account, detail) = match op {
            Op::Credit(Command::Authorize {
                account,
                merchant,
                amount,
                plan,
                ..
            })
            | Op::Authorize {
                command:
                    Command::Authorize {
                        account,
                        merchant,
                        amount,
                        plan,
                        ..
                    },
                ..
            } => {
                let installments = plan.map_or(1, |p| u8::try_from(p.periods).unwrap_or(u8::MAX));
                let detail = risk::CheckpointDetail::PaymentAuthorization {
                    merchant: risk::MerchantId(merchant.0),
                    amount: *amount,
                    installments,
                };
                (*account, detail)
            }
            Op::Credit(Command::Repay { account, amount, .. }) if context.is_some() => (
                *account,
                risk::CheckpointDetail::Repayment {
                    amount: *amount,
                    card: risk::CardToken(0),
                },
            ),
            Op::Checkpoint { account, detail } => (*account, detail.clone()),
            Op::FundingStarted(started)
                if started.funding.kind == crate::funding::FundingKind::Debit && context.is_some() =>
            {
                let detail = risk::CheckpointDetail::Repayment {
                    amount: started.funding.amount,
                    card: risk::CardToken(0),
                };
                (started.funding.account, detail)
            }
            Op::CreditApplication(application) => {
                // The applicant may hold no account: the profile comes with the request.
                let context = context.unwrap_or(&unknown);
                let input = risk.input(application.applicant, context, application.detail(), at);
                return Some(risk.decide(input, Some(application.profile()), context.step_up, at));
            }
            Op::Deliver {
                txn, address_changed, ..
            }
            | Op::Rescore {
                txn, address_changed, ..
            } => {
                let (txn, address_changed) = (*txn, *address_changed);
                return self.rescore(txn, address_changed, at);
            }
            _ => return None,
        };
        let context = context.unwrap_or(&unknown);
        let input = risk.input(account, context, detail, at);
        let profile = self.profiles.get(&account).copied();
        Some(risk.decide(input, profile, context.step_up, at))
    }

    /// The accounts in collections as of `at`, each brought to that day: days past due, or
    /// charged off with something owed. Only accounts with an unmet minimum (or a charge-off)
    /// are brought forward; the daily advance keeps the rest at most a day behind.
    pub fn delinquent(&self, at: Timestamp) -> Vec<credit::Account> {
        let today = self.book.day_of(at);
        self.book
            .accounts()
            .filter(|a| {
                !a.delinquency.past_due.is_empty() || a.delinquency.latest_unpaid.is_positive() || a.is_charged_off()
            })
            .filter_map(|a| self.book.account_at(a.id, at))
            .filter(|a| a.delinquency.dpd(today) > 0 || (a.is_charged_off() && !a.dues.is_empty()))
            .map(std::borrow::Cow::into_owned)
            .collect()
    }
}

/// An account's accepted credit commands from its journaled records: a fraud exemption's
/// history. A line opened through onboarding (`OpenLine`) was opened by its `OpenAccount`.
pub(crate) fn history_of(records: &[(Timestamp, Record)]) -> Vec<Recorded> {
    records
        .iter()
        .filter_map(|(at, record)| {
            let command = match (&record.op, &record.outcome) {
                (Op::OpenLine(line), Ok(())) => line.command(),
                (op, Ok(())) => match op.credit_command() {
                    Some(command) if command.account().is_some() => command.clone(),
                    _ => return None,
                },
                _ => return None,
            };
            Some(Recorded { at: *at, command })
        })
        .collect()
}

/// A timestamp in microseconds.
fn now_us_of(at: Timestamp) -> i64 {
    at.as_microsecond()
}
