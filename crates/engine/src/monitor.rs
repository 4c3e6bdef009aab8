//! Monitoring after authorization, interception before delivery, and cases.
//!
//! Every authorized order with a known device is watched until it is delivered. New evidence
//! re-scores open orders with the `delivery` graph: the device or IP put on a fraud list, a
//! burst on the same device (a payment denied for velocity or a device farm), a changed
//! delivery address, and the merchant's request to ship. A `deny` intercepts the order (the
//! hold is voided, or the capture refunded) and opens a case; a `review` holds the shipment and
//! opens a case for an operator. A payment authorization decided `review` is held the same
//! way from the start: a `PaymentReview` case opens beside the authorization, capture is
//! refused until an analyst releases it, a decline voids the hold, and a case still open after
//! the review timeout is declined by the first daily advance after it (policy: decline, so
//! credit nobody vouched for goes back to the customer and the merchant never ships it).
//!
//! Decisions are taken live only. Each consequence is its own journaled op with the decision
//! that caused it, so replay repeats what happened without deciding again; and every change to
//! an account's credit (a void, a refund, a freeze) is a plain credit command op, so an
//! account's command history is complete for a fraud restatement.

use credit::{AccountId, Command, Event, FreezeReason, HoldState, MerchantId, OpId, TxnId};
use jiff::Timestamp;
use risk::CheckpointDetail;

use crate::cases::{Case, CaseKind, CaseStatus, Evidence, InterceptAction, Notice, WATCH_DAYS, Watch};
use crate::evidence::evidence_of;
use crate::ids::CaseId;
use crate::partition::Partition;
use crate::record::{Op, Record};
use crate::rejection::EngineRejection;
use crate::risk::{RiskContext, RiskRecord};
use crate::route::make_id;

/// Reasons of a payment denial that make the device's other open orders suspect.
const BURST_REASONS: [&str; 4] = ["DEVICE_FARM", "VELOCITY_USER_5M", "DEVICE_ON_FRAUD_LIST", "IP_FARM"];

impl Partition {
    /// Starts watching an order that was just authorized (live and in replay).
    pub(crate) fn watch(&mut self, command: &Command, risk: Option<&RiskRecord>, at: Timestamp) {
        let (
            Command::Authorize {
                account,
                txn,
                merchant,
                amount,
                ..
            },
            Some(risk),
        ) = (command, risk)
        else {
            return;
        };
        let input = &risk.input;
        let watch = Watch {
            txn: *txn,
            account: *account,
            merchant: *merchant,
            amount: *amount,
            device: input.device,
            ip: input.ip,
            geo: input.geo,
            channel: input.channel,
            authorized_at: at,
            held_by: None,
        };
        self.watches.insert(*txn, watch);
    }

    /// Forgets orders watched longer than the watch period.
    pub(crate) fn expire_watches(&mut self, now: Timestamp) {
        let horizon = now.as_millisecond() - WATCH_DAYS * 86_400_000;
        self.watches
            .retain(|_, w| w.authorized_at.as_millisecond() >= horizon || w.held_by.is_some());
    }

    /// The delivery decision on a watched order (what a merchant's request to ship, an address
    /// change or new evidence triggers). `None` when the engine runs without risk.
    pub(crate) fn rescore(&mut self, txn: TxnId, address_changed: bool, at: Timestamp) -> Option<RiskRecord> {
        let watch = self.watches.get(&txn)?.clone();
        let detail = CheckpointDetail::Delivery {
            merchant: risk::MerchantId(watch.merchant.0),
            order_amount: watch.amount,
            address_changed,
            authorized_at: crate::risk::risk_time(watch.authorized_at),
        };
        let context = RiskContext {
            device: watch.device,
            ip: watch.ip,
            geo: watch.geo,
            ..RiskContext::unknown(watch.channel)
        };
        let profile = self.profile(watch.account);
        let risk = self.risk.as_mut()?;
        let input = risk.input(watch.account, &context, detail, at);
        Some(risk.decide_quietly(input, profile, at))
    }

    /// The consequences of a record, decided now: interceptions after a refused delivery or new
    /// evidence, and the exemption of a confirmed theft. Each becomes its own journaled op.
    pub(crate) fn follow_ups(&mut self, record: &Record, at: Timestamp) -> Vec<(Op, Option<RiskRecord>)> {
        let mut out = Vec::new();
        match &record.op {
            Op::Deliver { txn, .. } | Op::Rescore { txn, .. } => {
                let stop = record.risk.as_ref().filter(|r| r.outcome != risk::Outcome::Allow);
                if let Some(risk) = stop.filter(|_| self.watches.get(txn).is_some_and(|w| w.held_by.is_none())) {
                    out.extend(self.intercept_ops(*txn, risk));
                }
            }
            Op::OpenCase {
                account,
                kind: CaseKind::Theft,
                txns,
                ..
            } => {
                let acct = self.book.account(*account);
                if acct.is_some_and(|a| a.frozen != Some(FreezeReason::TheftReport)) {
                    out.push((
                        Op::Credit(Command::Freeze {
                            account: *account,
                            reason: FreezeReason::TheftReport,
                        }),
                        None,
                    ));
                }
                for txn in txns {
                    if acct
                        .and_then(|a| a.hold(*txn))
                        .is_some_and(|h| h.state == HoldState::Open)
                    {
                        out.push((
                            Op::Credit(Command::Void {
                                account: *account,
                                txn: *txn,
                            }),
                            None,
                        ));
                    }
                }
            }
            Op::ResolveCase { case, confirm: true } => {
                if let Some(c) = self.cases.get(case).filter(|c| c.kind.holds_order()) {
                    let (account, txns, id) = (c.account, c.txns.clone(), c.id);
                    for txn in txns {
                        if let Some((command, _)) = self.stop_command(account, txn, id) {
                            out.push((Op::Credit(command), None));
                        }
                    }
                }
            }
            Op::ListFraud { device, ip } => {
                let suspects: Vec<TxnId> = self
                    .watches
                    .values()
                    .filter(|w| w.held_by.is_none() && (Some(w.device) == *device || Some(w.ip) == *ip))
                    .map(|w| w.txn)
                    .collect();
                out.extend(self.rescore_all(suspects, at));
            }
            Op::Credit(Command::Advance) => out.extend(self.review_timeouts(at)),
            Op::Credit(Command::Authorize { .. })
            | Op::Authorize {
                command: Command::Authorize { .. },
                ..
            } => {
                if let (Ok(()), Some(risk)) = (&record.outcome, &record.risk) {
                    out.extend(self.hold_for_review(record.op.credit_command(), risk, at));
                }
                let burst = record
                    .risk
                    .as_ref()
                    .filter(|r| !r.proceeds() && r.reasons.iter().any(|c| BURST_REASONS.contains(&c.as_str())));
                if let Some(risk) = burst {
                    let device = risk.input.device;
                    let suspects: Vec<TxnId> = self
                        .watches
                        .values()
                        .filter(|w| w.device == device && w.held_by.is_none())
                        .map(|w| w.txn)
                        .collect();
                    out.extend(self.rescore_all(suspects, at));
                }
            }
            _ => {}
        }
        out
    }

    /// The case that holds a payment its authorization decided `review` (see [`holds_payment`]):
    /// the payment is authorized, the hold on the customer's credit stays, and no capture goes
    /// through until an analyst releases it.
    fn hold_for_review(
        &mut self,
        command: Option<&Command>,
        risk: &RiskRecord,
        at: Timestamp,
    ) -> Option<(Op, Option<RiskRecord>)> {
        let Some(&Command::Authorize { account, txn, .. }) = command else {
            return None;
        };
        if !self.hold_reviewed || !holds_payment(risk) || !self.watches.contains_key(&txn) {
            return None;
        }
        let case = self.new_case_id();
        let open = Op::OpenCase {
            account,
            case,
            kind: CaseKind::PaymentReview,
            txns: vec![txn],
            evidence: vec![evidence_of(txn, risk, at)],
        };
        // The decision stays on the authorization's record: journaled once, observed once.
        Some((open, None))
    }

    /// The held payments whose review outlived the timeout, declined by policy at the daily
    /// advance: each case closes as confirmed and its open hold is voided (credit restored).
    fn review_timeouts(&mut self, at: Timestamp) -> Vec<(Op, Option<RiskRecord>)> {
        let Some(due) = at.checked_sub(self.review_timeout).ok() else {
            return Vec::new();
        };
        let expired: Vec<(CaseId, AccountId, Vec<TxnId>)> = self
            .cases
            .values()
            .filter(|c| c.kind == CaseKind::PaymentReview && c.status == CaseStatus::Open && c.opened_at <= due)
            .map(|c| (c.id, c.account, c.txns.clone()))
            .collect();
        let mut out = Vec::new();
        for (case, account, txns) in expired {
            out.push((Op::ExpireReview { case }, None));
            for txn in txns {
                if let Some((command, _)) = self.stop_command(account, txn, case) {
                    out.push((Op::Credit(command), None));
                }
            }
        }
        out
    }

    fn rescore_all(&mut self, suspects: Vec<TxnId>, at: Timestamp) -> Vec<(Op, Option<RiskRecord>)> {
        let mut out = Vec::new();
        for txn in suspects {
            if let Some(risk) = self
                .rescore(txn, false, at)
                .filter(|r| r.outcome != risk::Outcome::Allow)
            {
                out.extend(self.intercept_ops(txn, &risk));
            }
        }
        out
    }

    /// The ops of an interception: the interception itself and, unless the order is only held
    /// for review, the credit command that stops it.
    fn intercept_ops(&mut self, txn: TxnId, risk: &RiskRecord) -> Vec<(Op, Option<RiskRecord>)> {
        let watch = &self.watches[&txn];
        let (account, merchant) = (watch.account, watch.merchant);
        let case = self.new_case_id();
        // Deny stops the order now; review (or a challenge nobody can answer at delivery)
        // holds it for an operator.
        let stop = if risk.outcome == risk::Outcome::Deny {
            self.stop_command(account, txn, case)
        } else {
            None
        };
        let action = match &stop {
            Some((_, action)) => *action,
            None if risk.outcome == risk::Outcome::Deny => InterceptAction::Voided,
            None => InterceptAction::HeldForReview,
        };
        let intercept = Op::Intercept {
            account,
            merchant,
            txn,
            case,
            action,
            reasons: risk.reasons.clone(),
        };
        let mut ops = vec![(intercept, Some(risk.clone()))];
        ops.extend(stop.map(|(command, _)| (Op::Credit(command), None)));
        ops
    }

    /// The command that stops an order: void its open hold, or refund what was captured.
    fn stop_command(&self, account: AccountId, txn: TxnId, case: CaseId) -> Option<(Command, InterceptAction)> {
        let acct = self.book.account(account)?;
        if acct.hold(txn).is_some_and(|h| h.state == HoldState::Open) {
            return Some((Command::Void { account, txn }, InterceptAction::Voided));
        }
        let refundable = acct.purchase(txn).map(|p| p.refundable()).unwrap_or_default();
        refundable.is_positive().then(|| {
            let refund = Command::Refund {
                account,
                txn,
                op: OpId(case.0),
                amount: refundable,
            };
            (refund, InterceptAction::Refunded { amount: refundable })
        })
    }

    /// Applies the monitoring and case ops (called from `apply_op`).
    pub(crate) fn apply_monitor_op(
        &mut self,
        op: &Op,
        at: Timestamp,
        risk: Option<&RiskRecord>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), EngineRejection> {
        match op {
            Op::Deliver {
                account, merchant, txn, ..
            } => {
                if risk.is_none_or(RiskRecord::proceeds) {
                    if self.watches.get(txn).is_some_and(|w| w.held_by.is_some()) {
                        return Err(EngineRejection::HeldForReview);
                    }
                    self.watches.remove(txn);
                    notices.push(Notice::Delivered {
                        account: *account,
                        merchant: *merchant,
                        txn: *txn,
                    });
                }
                Ok(())
            }
            Op::Rescore { .. } => Ok(()),
            Op::Intercept {
                account,
                merchant,
                txn,
                case,
                action,
                reasons,
            } => {
                self.note_case(*case);
                let evidence = risk.map(|r| evidence_of(*txn, r, at)).into_iter().collect();
                if *action == InterceptAction::HeldForReview {
                    if let Some(w) = self.watches.get_mut(txn) {
                        w.held_by = Some(*case);
                    }
                } else {
                    self.watches.remove(txn);
                }
                self.open_case(
                    *case,
                    *account,
                    CaseKind::Interception,
                    vec![*txn],
                    evidence,
                    at,
                    notices,
                );
                notices.push(Notice::Intercepted {
                    account: *account,
                    merchant: *merchant,
                    txn: *txn,
                    case: *case,
                    action: *action,
                    reasons: reasons.clone(),
                });
                Ok(())
            }
            Op::ListFraud { device, ip } => {
                if let Some(risk) = &self.risk {
                    risk.shared().lists.rcu(|lists| {
                        let mut lists = (**lists).clone();
                        lists.devices.extend(*device);
                        lists.ips.extend(*ip);
                        lists
                    });
                }
                Ok(())
            }
            Op::OpenCase {
                account,
                case,
                kind,
                txns,
                evidence,
            } => {
                self.note_case(*case);
                for txn in txns {
                    match self.watches.get_mut(txn) {
                        Some(w) if *kind == CaseKind::PaymentReview => w.held_by = Some(*case),
                        _ => {
                            self.watches.remove(txn);
                        }
                    }
                }
                self.open_case(*case, *account, *kind, txns.clone(), evidence.clone(), at, notices);
                Ok(())
            }
            Op::ResolveCase { case, confirm } => self.resolve_case(*case, *confirm, at, notices),
            Op::ExpireReview { case } => self.resolve_case(*case, true, at, notices),
            _ => Ok(()),
        }
    }

    /// Applies a theft confirmation: the exemption first (a refusal changes nothing and leaves
    /// the case open), then the case closes as confirmed.
    pub(crate) fn confirm_theft_case(
        &mut self,
        case: CaseId,
        exemption: Option<&Command>,
        at: Timestamp,
        events: &mut Vec<Event>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), EngineRejection> {
        let known = self.cases.get(&case).ok_or(EngineRejection::CaseNotFound)?;
        if known.status != CaseStatus::Open {
            return Err(EngineRejection::CaseClosed);
        }
        if let Some(command) = exemption {
            self.book
                .apply(at, command, events)
                .map_err(EngineRejection::ExemptionFailed)?;
        }
        self.resolve_case(case, true, at, notices)
    }

    #[allow(clippy::too_many_arguments)]
    fn open_case(
        &mut self,
        id: CaseId,
        account: AccountId,
        kind: CaseKind,
        txns: Vec<TxnId>,
        evidence: Vec<Evidence>,
        at: Timestamp,
        notices: &mut Vec<Notice>,
    ) {
        notices.push(Notice::CaseOpened {
            account,
            case: id,
            kind,
            txns: txns.clone(),
        });
        let case = Case {
            id,
            account,
            kind,
            txns,
            status: CaseStatus::Open,
            opened_at: at,
            resolved_at: None,
            evidence,
        };
        self.cases.insert(id, case);
    }

    fn resolve_case(
        &mut self,
        id: CaseId,
        confirm: bool,
        at: Timestamp,
        notices: &mut Vec<Notice>,
    ) -> Result<(), EngineRejection> {
        let case = self.cases.get(&id).ok_or(EngineRejection::CaseNotFound)?;
        if case.status != CaseStatus::Open {
            return Err(EngineRejection::CaseClosed);
        }
        let (account, kind, txns) = (case.account, case.kind, case.txns.clone());
        if kind.holds_order() {
            for txn in &txns {
                // A confirmed hold is stopped by the credit follow-up; a rejected one may ship.
                let held = self.watches.get(txn).is_some_and(|w| w.held_by == Some(id));
                if held && confirm {
                    self.watches.remove(txn);
                } else if held && let Some(w) = self.watches.get_mut(txn) {
                    w.held_by = None;
                }
            }
        }
        let case = self.cases.get_mut(&id).expect("checked above");
        case.status = if confirm {
            CaseStatus::Confirmed
        } else {
            CaseStatus::Rejected
        };
        case.resolved_at = Some(at);
        notices.push(Notice::CaseResolved {
            account,
            case: id,
            confirmed: confirm,
        });
        Ok(())
    }

    fn note_case(&mut self, case: CaseId) {
        self.case_counter = self.case_counter.max(case.counter());
    }

    pub fn case(&self, id: CaseId) -> Option<&Case> {
        self.cases.get(&id)
    }

    pub fn cases_of(&self, account: AccountId) -> impl Iterator<Item = &Case> {
        self.cases.values().filter(move |c| c.account == account)
    }

    /// Whether a theft case of the account is still open (its freeze may not be lifted).
    pub fn theft_case_open(&self, account: AccountId) -> bool {
        self.cases
            .values()
            .any(|c| c.account == account && c.kind == CaseKind::Theft && c.status == CaseStatus::Open)
    }

    pub(crate) fn new_case_id(&mut self) -> CaseId {
        self.case_counter += 1;
        CaseId(make_id(self.case_counter, self.id))
    }

    /// The watched order of a merchant, if it is theirs.
    pub(crate) fn watch_of(&self, merchant: MerchantId, txn: TxnId) -> Option<&Watch> {
        self.watches.get(&txn).filter(|w| w.merchant == merchant)
    }
}

/// Whether an authorization's decision holds the payment for review: `review` (a challenge
/// the step-up satisfied proceeds as the rules would have allowed it).
pub fn holds_payment(risk: &RiskRecord) -> bool {
    risk.outcome == risk::Outcome::Review
}

#[cfg(test)]
mod tests {
    //! A theft confirmation is one outcome with its exemption.

    use credit::{Command, MerchantId, Product, Recorded, Rejection};
    use jiff::Timestamp;
    use money::Amount;

    use super::*;

    #[test]
    fn a_refused_exemption_leaves_the_theft_case_open_and_the_account_unchanged() {
        let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
        let mut p = Partition::new(0, Product::default(), zone, None);
        let at: Timestamp = "2026-03-01T10:00:00+08:00".parse().unwrap();
        let (account, txn, case) = (AccountId(1), TxnId(256), CaseId(256));
        let commands = [
            Command::OpenAccount {
                account,
                limit: Amount::from_fen(1_000_000),
                billing_day: 5,
            },
            Command::Authorize {
                account,
                txn,
                merchant: MerchantId(2),
                amount: Amount::from_fen(150_000),
                plan: None,
            },
        ];
        let (mut events, mut notices) = (Vec::new(), Vec::new());
        for command in &commands {
            p.apply_op(&Op::Credit(command.clone()), at, None, &mut events, &mut notices)
                .unwrap();
        }
        let report = Op::OpenCase {
            account,
            case,
            kind: CaseKind::Theft,
            txns: vec![txn],
            evidence: Vec::new(),
        };
        p.apply_op(&report, at, None, &mut events, &mut notices).unwrap();
        let before = p.book.account(account).cloned();

        // A history that does not hold the transaction: the core refuses the exemption.
        notices.clear();
        let exemption = |history| Command::ExemptFraud {
            account,
            txns: vec![txn],
            history,
        };
        let refused = Op::ConfirmTheft {
            case,
            exemption: Some(exemption(Vec::new())),
        };
        assert_eq!(
            p.apply_op(&refused, at, None, &mut events, &mut notices),
            Err(EngineRejection::ExemptionFailed(Rejection::TxnNotFound))
        );
        assert_eq!(p.case(case).map(|c| c.status), Some(CaseStatus::Open));
        assert!(notices.is_empty(), "no case.resolved notice: {notices:?}");
        assert_eq!(p.book.account(account).cloned(), before);

        let history = commands.map(|command| Recorded { at, command }).to_vec();
        let confirmed = Op::ConfirmTheft {
            case,
            exemption: Some(exemption(history)),
        };
        p.apply_op(&confirmed, at, None, &mut events, &mut notices).unwrap();
        assert_eq!(p.case(case).map(|c| c.status), Some(CaseStatus::Confirmed));
        assert_eq!(p.book.account(account).map(|a| a.exempt.clone()), Some(vec![txn]));
    }
}
