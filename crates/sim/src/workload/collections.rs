//! Collections in the simulation (COLLECTIONS.md): every day, each account in collections is
//! read as of the day, its promises are judged, and the shipped strategy table decides its
//! action, which the simulated collectors carry out: a reminder (counted), a call (reached or
//! not; a reached customer may promise to pay the past due within a week, and keeps the
//! promise or not), or a hardship offer (accepted or not: an accepted one is the `HardshipPlan`
//! command, and the customer pays the cure or not). Payments after charge-off are recoveries
//! (the credit core books them to the ledger's recoveries; counted from the `Repaid` events).
//!
//! Its draws come from a stream of its own (`Rng::fork`), so the rest of the workload draws as
//! it did before collections existed.

use std::collections::BTreeMap;

use collections::{Action, Promise, PromiseStatus, Situation, Strategy};
use credit::delinquency::Bucket;
use credit::{AccountId, Command, Day, Event, PlanId};
use engine::Outcome;
use money::Amount;

use super::{Owner, Simulation};
use crate::driver::Call;
use crate::link::SimError;
use crate::rng::Rng;

/// Per mille: a call reaches the customer.
const REACHED: u64 = 600;
/// Per mille: a reached customer promises to pay the past due within a week.
const PROMISES: u64 = 500;
/// Per mille: a promise is kept (by a customer still paying; one who stopped keeps fewer).
const KEEPS: u64 = 700;
const KEEPS_STOPPED: u64 = 250;
/// Per mille: a hardship offer is accepted; the cure is then paid; the customer resumes paying.
const ACCEPTS: u64 = 500;
const CURES: u64 = 800;
const RESUMES: u64 = 700;
/// A hardship plan's term in the simulation.
const HARDSHIP_PERIODS: u32 = 6;

/// What collections keep between days.
#[derive(Debug)]
pub(crate) struct Collections {
    strategy: Strategy,
    rng: Rng,
    promises: BTreeMap<AccountId, Vec<Promise>>,
    /// Payments the customers will make: (day, account, amount).
    payments: Vec<(u32, AccountId, Amount)>,
    next_id: u64,
}

impl Collections {
    pub fn new(rng: Rng) -> Collections {
        Collections {
            strategy: Strategy::shipped(),
            rng,
            promises: BTreeMap::new(),
            payments: Vec::new(),
            next_id: 0,
        }
    }
}

impl Simulation<'_, '_> {
    /// The day's collections, after midnight: the payments promised for today, then every
    /// account in collections worked by the strategy.
    pub(super) fn collections_day(&mut self, day: u32) -> Result<(), SimError> {
        self.promised_payments(day)?;
        let ids: Vec<AccountId> = self
            .buckets
            .iter()
            .filter(|(_, b)| **b != Bucket::Current)
            .map(|(a, _)| *a)
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let today = self.today();
        let accounts = self.link.accounts(&ids)?;
        for account in accounts.into_iter().flatten() {
            let action = self.decide(&account, today);
            match action {
                Some(Action::Reminder) => self.fig.collections.reminders += 1,
                Some(Action::CallTask) => self.call_task(&account, day, today),
                Some(Action::HardshipOffer) => self.hardship_offer(&account, day)?,
                Some(Action::None) => self.fig.collections.no_action += 1,
                None => {}
            }
        }
        Ok(())
    }

    /// Judges the account's promises and asks the strategy; `None` when it is not in
    /// collections.
    fn decide(&mut self, account: &credit::Account, today: Day) -> Option<Action> {
        let promises = self.coll.promises.entry(account.id).or_default();
        for promise in promises.iter_mut() {
            if promise.judge(account, today) {
                match promise.status {
                    PromiseStatus::Kept => self.fig.collections.promises_kept += 1,
                    PromiseStatus::Broken => self.fig.collections.promises_broken += 1,
                    PromiseStatus::Open => {}
                }
            }
        }
        let situation = Situation::of(account, today, self.link.product(), promises);
        if !situation.in_collections() {
            return None;
        }
        let decision = self
            .coll
            .strategy
            .decide(&situation)
            .expect("the shipped strategy decides");
        Some(decision.action)
    }

    fn call_task(&mut self, account: &credit::Account, day: u32, today: Day) {
        let c = &mut self.coll;
        self.fig.collections.call_tasks += 1;
        if !c.rng.chance(REACHED) {
            return;
        }
        self.fig.collections.calls_reached += 1;
        if !c.rng.chance(PROMISES) {
            return;
        }
        let owed = (account.dues.total()).max(Amount::ZERO);
        let amount = account
            .delinquency
            .past_due_total()
            .max(Amount::from_fen(100))
            .min(owed);
        c.next_id += 1;
        let promises = c.promises.entry(account.id).or_default();
        let Ok(promise) = Promise::make(c.next_id, account, amount, today.add(7), today, promises, "sim".into()) else {
            return;
        };
        promises.push(promise);
        self.fig.collections.promises_made += 1;
        let stopped = self
            .by_account
            .get(&account.id)
            .is_some_and(|&l| self.lines[l].stops_paying.is_some_and(|d| d <= day));
        if c.rng.chance(if stopped { KEEPS_STOPPED } else { KEEPS }) {
            let on = day + u32::try_from(c.rng.below(7)).unwrap_or(0);
            c.payments.push((on, account.id, amount));
        }
    }

    fn hardship_offer(&mut self, account: &credit::Account, day: u32) -> Result<(), SimError> {
        self.fig.collections.hardship_offers += 1;
        if !self.coll.rng.chance(ACCEPTS) {
            return Ok(());
        }
        self.coll.next_id += 1;
        let plan = PlanId(self.coll.next_id | (1 << 62));
        let command = Command::HardshipPlan {
            account: account.id,
            plan,
            periods: HARDSHIP_PERIODS,
        };
        self.touched.insert(account.id);
        let answer = self.link.call(Call::command(command)?)?;
        let Outcome::Applied { events, .. } = &answer.outcome else {
            return Ok(());
        };
        self.on_events(events);
        let cure = events.iter().find_map(|e| match e {
            Event::HardshipPlanned { cure, .. } => Some(*cure),
            _ => None,
        });
        let Some(cure) = cure else { return Ok(()) };
        self.fig.collections.hardship_plans += 1;
        let c = &mut self.coll;
        if c.rng.chance(CURES) {
            let on = day + 1 + u32::try_from(c.rng.below(3)).unwrap_or(0);
            c.payments.push((on, account.id, cure));
        }
        if c.rng.chance(RESUMES)
            && let Some(&line) = self.by_account.get(&account.id)
            && matches!(self.lines[line].owner, Owner::Shopper(_))
        {
            self.lines[line].stops_paying = None;
        }
        Ok(())
    }

    /// Sends the payments customers promised (or the hardship cures) for `day`.
    fn promised_payments(&mut self, day: u32) -> Result<(), SimError> {
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.coll.payments)
            .into_iter()
            .partition(|(d, ..)| *d <= day);
        self.coll.payments = later;
        for (_, account, amount) in now {
            let op = self.op();
            self.touched.insert(account);
            let answer = self.link.call(Call::command(Command::Repay { account, op, amount })?)?;
            if let Outcome::Applied { events, .. } = &answer.outcome {
                self.on_events(events);
                self.fig.collections.promised_paid_fen += amount.fen();
                if let Some(&line) = self.by_account.get(&account) {
                    self.lines[line].paid_since += amount;
                }
                self.daily().repaid_fen += amount.fen();
            }
        }
        Ok(())
    }
}
