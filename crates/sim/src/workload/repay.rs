//! Statements and repayment: what each holder pays after a statement closes (by habit, life
//! events and intent), early payoffs, and each statement's outcome at its due date.

use credit::{AccountId, Command, Day, PlanId};
use engine::Outcome;
use money::Amount;

use super::{Intent, Owner, Seen, Simulation};
use crate::driver::{Answer, Call};
use crate::link::SimError;
use crate::population::Habit;

impl Simulation<'_, '_> {
    pub(super) fn on_statement(&mut self, account: AccountId, due: Day, balance: Amount, minimum: Amount) {
        let Some(&line) = self.by_account.get(&account) else {
            return;
        };
        self.fig.statements.closed += 1;
        self.daily().statements += 1;
        if !balance.is_positive() {
            self.fig.statements.nothing_due += 1;
            return;
        }
        let l = &mut self.lines[line];
        l.statement = Some(Seen { balance, minimum });
        l.paid_since = Amount::ZERO;
        self.due.push((due, line, balance, minimum));
        let offset = match l.owner {
            Owner::Shopper(s) => self.pop.shoppers[s].pay_offset_days,
            Owner::Sleeper(_) => 3,
            Owner::Farm(_) | Owner::Ring(_) => return,
        };
        let pay_on = self.day_of(due) as i64 - i64::from(offset);
        let pay_on = u32::try_from(pay_on.max(i64::from(self.day))).unwrap_or(self.day);
        let hours = self.lines[line].hours;
        let second = self.waking_second(hours);
        self.at(pay_on, second, Intent::Repay { line });
    }

    /// Statements whose due date was yesterday: paid in full, the minimum, or overdue.
    pub(super) fn settle_due_statements(&mut self, day: u32) {
        let today = Day::from_date(self.config.start).add(i32::try_from(day).unwrap_or(0));
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.due)
            .into_iter()
            .partition(|(d, ..)| *d < today);
        self.due = later;
        for (_, line, balance, minimum) in due {
            let paid = self.lines[line].paid_since;
            let s = &mut self.fig.statements;
            if paid >= balance {
                s.paid_in_full += 1;
            } else if paid >= minimum {
                s.minimum_or_more += 1;
            } else {
                s.overdue += 1;
            }
        }
    }

    /// What the holder pays now, by habit.
    pub(super) fn repay_call(&mut self, line: usize) -> Option<Call> {
        let l = &self.lines[line];
        let habit = match l.owner {
            Owner::Shopper(s) => self.pop.shoppers[s].habit,
            // A sleeper pays in full until it strikes, then never again.
            Owner::Sleeper(_) if l.stops_paying.is_none_or(|d| d > self.day) => Habit::InFull,
            _ => return None,
        };
        let seen = l.statement?;
        if l.stops_paying.is_some_and(|d| d <= self.day) && !self.rng.chance(150) {
            return None;
        }
        let left = seen.balance - l.paid_since;
        let minimum_left = seen.minimum - l.paid_since;
        let amount = match habit {
            Habit::InFull | Habit::Late | Habit::Defaulter => left,
            Habit::Minimum => minimum_left,
            Habit::Revolver => {
                let low = minimum_left.max(Amount::from_fen(100));
                if left <= low {
                    left
                } else {
                    let span = u64::try_from((left - low).fen()).unwrap_or(0);
                    low + Amount::from_fen(i64::try_from(self.rng.below(span + 1)).unwrap_or(0))
                }
            }
        };
        if !amount.is_positive() {
            return None;
        }
        let account = l.account;
        self.touched.insert(account);
        let op = self.op();
        Call::command(Command::Repay { account, op, amount }).ok()
    }

    pub(super) fn repay_answer(&mut self, line: usize, answer: Answer) {
        // Over HTTP the repayment is an offline repayment's funding op carrying the `Repay`.
        if let Outcome::Applied { op, .. } = &answer.outcome
            && let Some(Command::Repay { amount, .. }) = op.credit_command()
        {
            let amount = *amount;
            let l = &mut self.lines[line];
            l.paid_since += amount;
            l.payments_made += 1;
            self.daily().repaid_fen += amount.fen();
        }
    }

    /// A windfall: every active plan paid off early, each at the payoff amount the system
    /// quotes (which covers everything billed too).
    pub(super) fn payoff(&mut self, line: usize) -> Result<(), SimError> {
        let account = self.lines[line].account;
        let Some(Some(view)) = self.link.accounts(&[account])?.pop() else {
            return Ok(());
        };
        let waive = self.link.product().waive_future_fees_on_payoff;
        let plans: Vec<(PlanId, Amount)> = view
            .plans
            .iter()
            .filter(|p| p.is_active())
            .filter_map(|p| view.payoff_amount(p.id, waive).map(|a| (p.id, a)))
            .collect();
        // One at a time: each payoff also pays what is billed, so the next one's quote changes.
        for (i, (plan, quoted)) in plans.into_iter().enumerate() {
            let amount = if i == 0 {
                quoted
            } else {
                match self.link.accounts(&[account])?.pop().flatten() {
                    Some(a) => a.payoff_amount(plan, waive).unwrap_or(quoted),
                    None => quoted,
                }
            };
            if !amount.is_positive() {
                continue;
            }
            self.touched.insert(account);
            let op = self.op();
            let call = Call::command(Command::EarlyPayoff {
                account,
                op,
                plan,
                amount,
            })?;
            let answer = self.link.call(call)?;
            if let Outcome::Applied { events, .. } = &answer.outcome {
                self.on_events(events);
                self.lines[line].paid_since += amount;
                self.daily().repaid_fen += amount.fen();
            }
        }
        Ok(())
    }
}
