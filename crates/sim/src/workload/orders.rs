//! Orders: a genuine purchase or a fraudulent one, from authorization (with step-ups) through
//! the delivery checkpoint and the analyst's review to capture, void or refund, and how each
//! outcome counts in the figures by ground truth.

use credit::{MerchantId, PlanChoice, TxnId};
use engine::{EngineRejection, Op, Outcome, Payer, Request, RiskBlock, RiskContext, TxnAction};
use money::Amount;
use money::schedule::Method;
use risk::{ChallengeKind, Channel};

use super::{Intent, Owner, Simulation};
use crate::driver::{Answer, Call};
use crate::link::SimError;
use crate::population::{Category, place};

/// Who is really behind an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Party {
    Genuine,
    Fraud {
        attack: usize,
        /// Counted as fraud loss attempted (a wash trade that is refunded is not).
        counts: bool,
        otp: bool,
        liveness: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderState {
    New,
    Authorized,
    Captured,
    Voided,
    Stopped,
}

#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub line: usize,
    pub merchant: usize,
    pub amount: Amount,
    pub plan: Option<PlanChoice>,
    pub party: Party,
    pub context: RiskContext,
    pub txn: Option<TxnId>,
    pub state: OrderState,
    pub tried: bool,
    pub reviewed: bool,
    pub intercepted: bool,
    pub address_changed: bool,
    pub captured: Amount,
    pub refunded: Amount,
    pub authorized_ms: i64,
    /// Captured at once (offline, or a ring's colluding merchant).
    pub at_once: bool,
}

impl Order {
    pub fn new(line: usize, merchant: usize, amount: Amount, party: Party, context: RiskContext) -> Order {
        Order {
            line,
            merchant,
            amount,
            plan: None,
            party,
            context,
            txn: None,
            state: OrderState::New,
            tried: false,
            reviewed: false,
            intercepted: false,
            address_changed: false,
            captured: Amount::ZERO,
            refunded: Amount::ZERO,
            authorized_ms: 0,
            at_once: false,
        }
    }
}

/// How a fraudulent order's amount ended, for its attack's figures.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FraudEnd {
    Declined,
    Challenged,
    Intercepted,
    ByLine,
    Lost,
}

/// Whether a line's holder pays from a rooted phone, which the app's fingerprint check reports
/// (`emulator`): about one genuine customer in twenty. The rules hold such a customer's payments
/// of 500 yuan or more for review, so the payment-review desk sees genuine customers too. Drawn
/// from the line's index, not the run's random stream, so no other draw moves.
pub(crate) fn rooted(line: usize) -> bool {
    (line as u64).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54 < 51
}

impl Simulation<'_, '_> {
    /// The customer's context for a payment at `channel` (device, home or mobile address,
    /// where they are).
    pub(crate) fn genuine_context(&mut self, line: usize, channel: Channel) -> RiskContext {
        let l = &self.lines[line];
        let (city, ip) = match l.trip {
            Some((_, city)) => (city, std::net::IpAddr::from([100, 64, (line >> 8) as u8, line as u8])),
            None => (l.home, l.ip),
        };
        let device = l.device;
        RiskContext {
            device,
            ip,
            geo: Some(place(city, &mut self.rng)),
            ..RiskContext::unknown(channel)
        }
    }

    /// Picks a merchant of `category` on `channel`, near `city` when offline.
    pub(crate) fn pick_merchant(&mut self, category: Category, online: bool, city: usize) -> Option<usize> {
        let list = &self.pop.by_category[category as usize];
        let merchants = &self.pop.merchants;
        let fits = |i: &usize, near: bool| {
            let m = &merchants[*i];
            (m.channel == Channel::Online) == online && (!near || online || m.city == city)
        };
        let mut candidates: Vec<usize> = list.iter().copied().filter(|i| fits(i, true)).collect();
        if candidates.is_empty() {
            candidates = list.iter().copied().filter(|i| fits(i, false)).collect();
        }
        if candidates.is_empty() {
            candidates.clone_from(list);
        }
        if candidates.is_empty() {
            return None;
        }
        let weights: Vec<u64> = candidates.iter().map(|i| merchants[*i].popularity).collect();
        Some(candidates[self.rng.weighted(&weights)])
    }

    /// A genuine purchase: where, how much, how paid.
    pub(super) fn shop(&mut self, line: usize) -> Option<Call> {
        let l = &self.lines[line];
        if !l.open || l.frozen {
            return None;
        }
        let Owner::Shopper(s) = l.owner else { return None };
        let (income, online_pm, plan_pm) = {
            let shopper = &self.pop.shoppers[s];
            (shopper.income_yuan, shopper.online_per_mille, shopper.plan_per_mille)
        };
        let limit_yuan = u64::try_from(self.lines[line].limit.fen() / 100).unwrap_or(0);
        let city = self.lines[line].trip.map_or(self.lines[line].home, |(_, c)| c);
        let weights: Vec<u64> = Category::ALL.iter().map(|c| c.frequency()).collect();
        let category = Category::ALL[self.rng.weighted(&weights)];
        let online = self.rng.chance(online_pm);
        let merchant = self.pick_merchant(category, online, city)?;
        let (low, high) = category.ticket_yuan();
        let high = high.min((income / 2).max(low * 2)).min(limit_yuan * 6 / 10);
        if high < low {
            return None;
        }
        let amount = self.rng.amount_yuan(low, high);
        let channel = self.pop.merchants[merchant].channel;
        let mut context = self.genuine_context(line, channel);
        context.emulator = rooted(line);
        let mut order = Order::new(line, merchant, amount, Party::Genuine, context);
        if amount >= Amount::yuan(500) && self.rng.chance(plan_pm) {
            let periods = [3, 6, 12, 24][self.rng.weighted(&[40, 30, 25, 5])];
            let method = if self.rng.chance(900) {
                Method::FlatFee
            } else {
                Method::Annuity
            };
            order.plan = Some(PlanChoice {
                periods,
                method,
                rate: None,
            });
        }
        order.at_once = channel != Channel::Online;
        order.address_changed = self.rng.chance(15);
        self.orders.push(order);
        self.pay_call(self.orders.len() - 1, None)
    }

    pub(super) fn pay_call(&mut self, order: usize, step_up: Option<ChallengeKind>) -> Option<Call> {
        let o = &self.orders[order];
        if o.state != OrderState::New {
            return None;
        }
        let account = self.lines[o.line].account;
        self.touched.insert(account);
        let request = Request::Authorize {
            payer: Payer::Account(account),
            merchant: self.pop.merchants[o.merchant].id,
            amount: o.amount,
            plan: o.plan,
            reference: None,
        };
        Some(Call::from(
            request,
            RiskContext {
                step_up,
                ..o.context.clone()
            },
        ))
    }

    /// Whether whoever is behind `order` passes a step-up of `kind`.
    fn passes(&mut self, order: usize, kind: ChallengeKind) -> bool {
        match (self.orders[order].party, kind) {
            (Party::Genuine, ChallengeKind::Otp) => self.rng.chance(985),
            (Party::Genuine, ChallengeKind::Liveness) => self.rng.chance(960),
            (Party::Fraud { otp, .. }, ChallengeKind::Otp) => otp,
            (Party::Fraud { liveness, .. }, ChallengeKind::Liveness) => liveness,
        }
    }

    pub(super) fn pay_answer(&mut self, order: usize, answer: Answer) {
        let first = !self.orders[order].tried;
        self.orders[order].tried = true;
        let party = self.orders[order].party;
        let amount = self.orders[order].amount;
        if first {
            self.first_attempt(order);
            self.count_rule_hits(party, &answer);
        }
        if let Some(risk) = answer.risk.as_ref() {
            self.log.ground_truth.push(crate::figures::GroundTruth {
                user: risk.input.user.0,
                at_ms: risk.input.at.millis(),
                amount_fen: amount.fen(),
                fraud: matches!(party, Party::Fraud { .. }),
            });
        }
        match answer.outcome {
            Outcome::Applied {
                op: Op::Authorize { command, .. },
                ..
            } => {
                let reviewed = answer.risk.as_ref().is_some_and(|r| r.outcome == risk::Outcome::Review);
                let o = &mut self.orders[order];
                o.txn = command.txn();
                o.state = OrderState::Authorized;
                o.authorized_ms = self.clock_ms;
                o.reviewed = reviewed;
                self.fig.payments.approved += 1;
                self.fig.payments.reviewed += u64::from(reviewed);
                if party == Party::Genuine {
                    self.fig.payments.good_reviewed += u64::from(reviewed);
                }
                self.after_authorization(order);
            }
            Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::ChallengeRequired(kind)),
            } => {
                self.fig.payments.challenged += 1;
                if first && party == Party::Genuine {
                    self.fig.good_payments_challenged_or_declined += 1;
                    self.fig.payments.good_payments_challenged += 1;
                    self.friction_reason(&answer);
                }
                if self.passes(order, kind) {
                    self.fig.payments.challenges_passed += 1;
                    let wait = self.rng.between(30, 120) as i64;
                    self.after(
                        wait,
                        Intent::Pay {
                            order,
                            step_up: Some(kind),
                        },
                    );
                } else {
                    self.orders[order].state = OrderState::Stopped;
                    match party {
                        Party::Genuine => self.fig.payments.good_payments_abandoned += 1,
                        Party::Fraud { .. } => self.fraud_end(order, FraudEnd::Challenged, amount),
                    }
                }
            }
            Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::Denied),
            } => {
                self.fig.payments.declined_by_risk += 1;
                self.orders[order].state = OrderState::Stopped;
                match party {
                    Party::Genuine if first => {
                        self.fig.good_payments_challenged_or_declined += 1;
                        self.fig.payments.good_payments_declined += 1;
                        self.friction_reason(&answer);
                    }
                    Party::Genuine => {}
                    Party::Fraud { .. } => self.fraud_end(order, FraudEnd::Declined, amount),
                }
            }
            _ => {
                self.fig.payments.declined_by_credit += 1;
                self.orders[order].state = OrderState::Stopped;
                match party {
                    Party::Genuine => self.fig.payments.good_payments_declined_by_credit += 1,
                    Party::Fraud { .. } => self.fraud_end(order, FraudEnd::ByLine, amount),
                }
            }
        }
    }

    /// The reason codes of a payment's first answer, by who was paying (the analytics' rule
    /// hits; a mistaken orders' owner is genuine).
    fn count_rule_hits(&mut self, party: Party, answer: &Answer) {
        let Some(risk) = answer.risk.as_ref() else {
            return;
        };
        for reason in &risk.reasons {
            let (fraud, genuine) = self.log.rule_hits.entry(reason.as_str().to_owned()).or_default();
            match party {
                Party::Genuine => *genuine += 1,
                Party::Fraud { .. } => *fraud += 1,
            }
        }
    }

    fn friction_reason(&mut self, answer: &Answer) {
        let reason = answer
            .risk
            .as_ref()
            .and_then(|r| r.reasons.first().map(|c| c.as_str().to_owned()))
            .unwrap_or_else(|| "NO_REASON".into());
        *self.fig.payments.good_friction_reasons.entry(reason).or_default() += 1;
    }

    fn first_attempt(&mut self, order: usize) {
        let o = &self.orders[order];
        let (party, amount, online) = (o.party, o.amount, o.context.channel == Channel::Online);
        self.fig.payments.attempts += 1;
        if online {
            self.fig.payments.online += 1;
        } else {
            self.fig.payments.offline += 1;
        }
        self.daily().payments += 1;
        match party {
            Party::Genuine => self.fig.good_payments += 1,
            Party::Fraud { attack, counts, .. } => {
                let t = self.attack_figures(attack);
                t.attempts += 1;
                if counts {
                    t.attempted_fen += amount.fen();
                    self.daily().fraud_attempted_fen += amount.fen();
                }
            }
        }
    }

    /// Counts how a fraudulent order's amount ended.
    pub(crate) fn fraud_end(&mut self, order: usize, end: FraudEnd, amount: Amount) {
        let Party::Fraud { attack, counts, .. } = self.orders[order].party else {
            return;
        };
        if !counts {
            return;
        }
        let fen = amount.fen();
        let t = self.attack_figures(attack);
        match end {
            FraudEnd::Declined => t.stopped_declined_fen += fen,
            FraudEnd::Challenged => t.stopped_challenged_fen += fen,
            FraudEnd::Intercepted => t.stopped_intercepted_fen += fen,
            FraudEnd::ByLine => t.stopped_by_line_fen += fen,
            FraudEnd::Lost => t.lost_fen += fen,
        }
        if let FraudEnd::Lost = end {
            self.daily().fraud_lost_fen += fen;
        }
    }

    /// What the merchant does after an approval: capture at once (offline), pass the delivery
    /// checkpoint before shipping, or capture soon; a payment held for review waits for the
    /// payment-review desk.
    fn after_authorization(&mut self, order: usize) {
        let o = &self.orders[order];
        let category = self.pop.merchants[o.merchant].category;
        let fraud = matches!(o.party, Party::Fraud { .. });
        if o.reviewed {
            // Held by the engine until the payment-review desk decides (`review.rs`).
            self.hold_for_review(order);
            return;
        }
        if o.at_once {
            let wait = self.rng.between(5, 60) as i64;
            self.after(wait, Intent::Capture { order });
        } else if category.ships() {
            let hours = if fraud {
                self.rng.between(1, 3)
            } else {
                self.rng.between(2, 30)
            };
            let wait = (hours * 3600 + self.rng.below(3600)) as i64;
            self.after(wait, Intent::Deliver { order });
        } else {
            let wait = self.rng.between(60, 900) as i64;
            self.after(wait, Intent::Capture { order });
        }
        if !fraud && !self.orders[order].at_once && self.rng.chance(20) {
            // The customer cancels before it ships.
            let wait = self.rng.between(600, 7200) as i64;
            self.after(wait, Intent::Void { order });
        }
    }

    /// An analyst reviews an order the delivery checkpoint held within hours: most fraud is
    /// caught, genuine orders go.
    fn analyst(&mut self, order: usize) {
        let fraud = matches!(self.orders[order].party, Party::Fraud { .. });
        let wait = self.rng.between(1_800, 6 * 3600) as i64;
        if fraud && self.rng.chance(700) {
            self.orders[order].intercepted = true;
            self.after(wait, Intent::Void { order });
        } else {
            self.after(wait, Intent::Capture { order });
        }
    }

    pub(super) fn deliver_call(&mut self, order: usize) -> Option<Call> {
        let o = &self.orders[order];
        if o.state != OrderState::Authorized {
            return None;
        }
        let account = self.lines[o.line].account;
        self.touched.insert(account);
        // The merchant's ship request (`POST /v1/payments/{txn}/delivery`): the engine decides
        // with the order it watches, and a deny intercepts it (the hold voided, a case opened).
        let request = Request::Deliver {
            merchant: self.pop.merchants[o.merchant].id,
            txn: o.txn?,
            address_changed: o.address_changed,
        };
        Some(Call::from(request, o.context.clone()))
    }

    pub(super) fn deliver_answer(&mut self, order: usize, answer: Answer) -> Result<(), SimError> {
        let outcome = answer.risk.as_ref().map(|r| r.outcome);
        let held = outcome.is_some_and(|o| o != risk::Outcome::Allow);
        if held && self.orders[order].party == Party::Genuine {
            self.fig.payments.good_delivery_holds += 1;
        }
        match answer.outcome {
            Outcome::Rejected {
                rejection: EngineRejection::Risk(RiskBlock::Denied),
            } => {
                // Intercepted: the engine voided the hold in a follow-up (an interception case
                // stays open for the fraud team). Money never left.
                let (account, txn) = (self.lines[self.orders[order].line].account, self.orders[order].txn);
                if let Some(txn) = txn {
                    self.link.hold_stopped(account, txn)?;
                    self.desk.intercepted.insert(txn, order);
                    let o = &mut self.orders[order];
                    o.intercepted = true;
                    o.state = OrderState::Voided;
                    let amount = o.amount;
                    self.fig.payments.voided += 1;
                    self.fraud_end(order, FraudEnd::Intercepted, amount);
                }
            }
            Outcome::Rejected {
                rejection: EngineRejection::HeldForReview,
            } => self.analyst(order),
            _ if outcome == Some(risk::Outcome::Review) => self.analyst(order),
            _ => {
                let wait = self.rng.between(60, 1800) as i64;
                self.after(wait, Intent::Capture { order });
            }
        }
        Ok(())
    }

    pub(super) fn capture_call(&mut self, order: usize) -> Option<Call> {
        let o = &self.orders[order];
        if o.state != OrderState::Authorized {
            return None;
        }
        self.touched.insert(self.lines[o.line].account);
        let partial = o.party == Party::Genuine && !o.at_once && self.rng.chance(30);
        let amount = if partial {
            Amount::from_fen((o.amount.fen() * i64::try_from(self.rng.between(80, 99)).unwrap_or(90) / 100).max(1))
        } else {
            o.amount
        };
        Some(self.txn_call(order, TxnAction::Capture { amount }))
    }

    fn txn_call(&self, order: usize, action: TxnAction) -> Call {
        let o = &self.orders[order];
        let merchant: MerchantId = self.pop.merchants[o.merchant].id;
        Call::plain(Request::Txn {
            merchant,
            txn: o.txn.unwrap_or(TxnId(0)),
            action,
        })
    }

    pub(super) fn capture_answer(&mut self, order: usize, answer: Answer) {
        let captured = match &answer.outcome {
            Outcome::Applied { events, .. } => events.iter().find_map(|e| match e {
                credit::Event::Captured { amount, .. } => Some(*amount),
                _ => None,
            }),
            _ => None,
        };
        let Some(amount) = captured else {
            // Expired or refused: nothing was paid out.
            let o = &mut self.orders[order];
            o.state = OrderState::Stopped;
            let amount = o.amount;
            self.fraud_end(order, FraudEnd::Intercepted, amount);
            return;
        };
        let o = &mut self.orders[order];
        o.state = OrderState::Captured;
        o.captured = amount;
        let (party, plan, held) = (o.party, o.plan, o.amount);
        self.fig.payments.captured += 1;
        self.fig.payments.captured_fen += amount.fen();
        self.daily().captured_fen += amount.fen();
        let term = plan.map_or_else(|| "pay_later".to_owned(), |p| p.periods.to_string());
        match self.fig.installments.iter_mut().find(|t| t.term == term) {
            Some(t) => {
                t.count += 1;
                t.amount_fen += amount.fen();
            }
            None => self.fig.installments.push(crate::figures::TermMix {
                term,
                count: 1,
                amount_fen: amount.fen(),
            }),
        }
        match party {
            Party::Genuine => {
                if self.rng.chance(50) {
                    let refund = if self.rng.chance(700) {
                        amount
                    } else {
                        Amount::from_fen(
                            (amount.fen() * i64::try_from(self.rng.between(10, 90)).unwrap_or(50) / 100).max(1),
                        )
                    };
                    let days = self.rng.between(2, 20) as i64;
                    self.after(days * 86_400, Intent::Refund { order, amount: refund });
                }
            }
            Party::Fraud { .. } => {
                self.fraud_end(order, FraudEnd::Lost, amount);
                // The part of the hold the merchant released was never paid out.
                if held > amount {
                    self.fraud_end(order, FraudEnd::Intercepted, held - amount);
                }
            }
        }
    }

    pub(super) fn void_call(&mut self, order: usize) -> Option<Call> {
        if self.orders[order].state != OrderState::Authorized {
            return None;
        }
        self.touched.insert(self.lines[self.orders[order].line].account);
        Some(self.txn_call(order, TxnAction::Void))
    }

    pub(super) fn void_answer(&mut self, order: usize, answer: Answer) {
        if !matches!(answer.outcome, Outcome::Applied { .. }) {
            return;
        }
        self.orders[order].state = OrderState::Voided;
        self.fig.payments.voided += 1;
        let amount = self.orders[order].amount;
        // A fraudulent order voided for any reason (analyst, checkpoint, theft report) was
        // intercepted before money left.
        self.fraud_end(order, FraudEnd::Intercepted, amount);
    }

    pub(super) fn refund_call(&mut self, order: usize, amount: Amount) -> Option<Call> {
        let o = &self.orders[order];
        if o.state != OrderState::Captured || o.captured - o.refunded < amount || !amount.is_positive() {
            return None;
        }
        self.touched.insert(self.lines[o.line].account);
        let op = self.op();
        Some(self.txn_call(order, TxnAction::Refund { op, amount }))
    }

    pub(super) fn refund_answer(&mut self, order: usize, amount: Amount, answer: Answer) {
        if matches!(answer.outcome, Outcome::Applied { .. }) {
            self.orders[order].refunded += amount;
            self.fig.payments.refunded_fen += amount.fen();
        }
    }
}
