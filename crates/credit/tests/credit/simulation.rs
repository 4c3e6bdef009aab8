//! A seeded model-based simulation of the credit core (TigerBeetle's VOPR, in small).
//!
//! A workload generator drives thousands of accounts through months of purchases, captures,
//! voids, refunds, plans, repayments of every habit, early payoffs, bill installments, limit
//! changes, freezes and fraud exemptions. An auditor checks every reply against what it
//! knew before the command, checks the touched account's invariants after every step and the
//! whole book's after every simulated day, and keeps its own tallies of the money that
//! entered and left (cash, merchant payables) to prove none appears or vanishes.
//!
//! `IOU_SIM_COMMANDS` sets the number of commands (default 1,000,000), `IOU_SIM_SEED` the seed
//! (default: a fixed one; `random` draws one from the time). Any failure prints the seed and
//! the step, and the same seed replays it exactly.

use std::collections::HashMap;

use credit::ledger::LedgerAccount;
use credit::{
    AccountId, Book, BookState, Command, Event, MerchantId, OpId, PlanChoice, PlanId, Product, Recorded, Rejection,
    TxnId,
};
use jiff::{SignedDuration, Timestamp};
use money::Amount;
use money::schedule::{Method, PeriodRate};

use super::scenario::shanghai;

/// SplitMix64: a small, well-distributed generator whose output never changes across
/// platforms or library versions.
pub struct Rng(seeded::SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seeded::SplitMix64::new(seed))
    }

    pub fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// An amount between `low` and `high` fen, log-uniform so small purchases dominate.
    pub fn amount(&mut self, low: i64, high: i64) -> Amount {
        if high <= low {
            return Amount::from_fen(low.max(1));
        }
        let magnitude = self.below(u64::from((high / low.max(1)).ilog2() + 1));
        let top = (low.max(1) << magnitude).min(high);
        let bottom = (top / 2).max(low);
        Amount::from_fen(bottom + i64::try_from(self.below(u64::try_from(top - bottom + 1).unwrap())).unwrap())
    }
}

/// How a simulated customer repays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Habit {
    InFull,
    Minimum,
    Partial,
    Late,
    Defaulter,
}

#[derive(Debug)]
struct Customer {
    id: AccountId,
    habit: Habit,
    holds: Vec<TxnId>,
    purchases: Vec<TxnId>,
}

/// Figures the run reports.
#[derive(Debug, Default)]
pub struct Stats {
    pub commands: u64,
    pub rejected: u64,
    pub by_command: HashMap<&'static str, (u64, u64)>,
    pub statements: u64,
    pub charge_offs: u64,
    pub exemptions: u64,
}

pub struct Sim {
    seed: u64,
    rng: Rng,
    pub book: Book,
    now: Timestamp,
    customers: Vec<Customer>,
    history: HashMap<AccountId, Vec<Recorded>>,
    /// Every applied command, for the replay check (kept only when asked).
    journal: Option<Vec<Recorded>>,
    next_txn: u64,
    next_op: u64,
    step: u64,
    /// The auditor's own tallies of money in and out.
    cash_in: Amount,
    cash_out: Amount,
    captured: Amount,
    refunded: Amount,
    events: Vec<Event>,
    pub stats: Stats,
}

impl Sim {
    pub fn new(seed: u64, accounts: u64, keep_journal: bool) -> Sim {
        let start: Timestamp = "2026-01-01T09:00:00+08:00".parse().unwrap();
        let mut sim = Sim {
            seed,
            rng: Rng::new(seed),
            book: Book::new(Product::default(), shanghai()),
            now: start,
            customers: Vec::new(),
            history: HashMap::new(),
            journal: keep_journal.then(Vec::new),
            next_txn: 1,
            next_op: 1,
            step: 0,
            cash_in: Amount::ZERO,
            cash_out: Amount::ZERO,
            captured: Amount::ZERO,
            refunded: Amount::ZERO,
            events: Vec::new(),
            stats: Stats::default(),
        };
        for n in 1..=accounts {
            let habit = match sim.rng.below(100) {
                0..=44 => Habit::InFull,
                45..=69 => Habit::Minimum,
                70..=84 => Habit::Partial,
                85..=94 => Habit::Late,
                _ => Habit::Defaulter,
            };
            let id = AccountId(n);
            let limit = Amount::from_fen(i64::try_from(sim.rng.below(50) + 1).unwrap() * 100_000);
            let billing_day = u8::try_from(sim.rng.below(28) + 1).unwrap();
            sim.apply(Command::OpenAccount {
                account: id,
                limit,
                billing_day,
            })
            .expect("a fresh account opens");
            sim.customers.push(Customer {
                id,
                habit,
                holds: Vec::new(),
                purchases: Vec::new(),
            });
        }
        sim
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "simulation failed: {what}\n  seed {} step {} at {} (replay with IOU_SIM_SEED={})",
            self.seed, self.step, self.now, self.seed
        );
    }

    /// Applies a command, records it, and checks the touched account.
    fn apply(&mut self, command: Command) -> Result<(), Rejection> {
        self.step += 1;
        self.events.clear();
        let result = self.book.apply(self.now, &command, &mut self.events);
        let name = command.name();
        let entry = self.stats.by_command.entry(name).or_default();
        entry.0 += 1;
        self.stats.commands += 1;
        if result.is_err() {
            entry.1 += 1;
            self.stats.rejected += 1;
        }
        for event in &self.events {
            match event {
                Event::Posted { entry, .. } if !entry.is_balanced() => self.fail("unbalanced entry"),
                Event::StatementClosed { .. } => self.stats.statements += 1,
                Event::ChargedOff { .. } => self.stats.charge_offs += 1,
                _ => {}
            }
        }
        if std::env::var_os("IOU_SIM_DEBUG").is_some() {
            let cash = self.book.totals().get(LedgerAccount::Cash);
            eprintln!(
                "step {} {name} {result:?} cash {cash} gap {}",
                self.step,
                cash - (self.cash_in - self.cash_out)
            );
            if std::env::var("IOU_SIM_DEBUG").as_deref() == Ok(self.step.to_string().as_str()) {
                eprintln!("{command:?}\n{:#?}", self.events);
            }
        }
        if result.is_ok() {
            let recorded = Recorded { at: self.now, command };
            if let Some(account) = recorded.command.account() {
                self.history.entry(account).or_default().push(recorded.clone());
            }
            if let Some(journal) = &mut self.journal {
                journal.push(recorded);
            }
        }
        result
    }

    fn check_account(&self, id: AccountId) {
        let account = self.book.account(id).unwrap();
        if let Err(violation) = credit::invariants::check_account(account) {
            self.fail(&violation.to_string());
        }
    }

    /// The whole book, and the auditor's tallies against the ledger.
    fn check_book(&self) {
        if let Err(violation) = credit::invariants::check_book(&self.book) {
            self.fail(&violation.to_string());
        }
        let totals = self.book.totals();
        let cash = totals.get(LedgerAccount::Cash);
        if cash != self.cash_in - self.cash_out {
            self.fail(&format!(
                "cash {cash} but the auditor counted {} in, {} out",
                self.cash_in, self.cash_out
            ));
        }
        let merchants = -totals.get(LedgerAccount::MerchantPayable);
        if merchants != self.captured - self.refunded {
            self.fail(&format!(
                "merchant payable {merchants} but captured {} - refunded {}",
                self.captured, self.refunded
            ));
        }
    }

    /// Applies about `commands` commands over `days` simulated days.
    pub fn run(&mut self, commands: u64, days: u64) {
        let per_day = (commands / days).max(1);
        let target = self.stats.commands + commands;
        let mut day_ends_at = self.stats.commands + per_day;
        while self.stats.commands < target {
            if self.stats.commands >= day_ends_at {
                day_ends_at = self.stats.commands + per_day;
                self.next_day();
            }
            self.now = self
                .now
                .checked_add(SignedDuration::from_secs(
                    i64::try_from(self.rng.below(40) + 1).unwrap(),
                ))
                .unwrap();
            let index = usize::try_from(self.rng.below(self.customers.len() as u64)).unwrap();
            self.act(index);
            let id = self.customers[index].id;
            self.check_account(id);
        }
        self.next_day();
    }

    /// Moves to 09:00 the next day and runs the scheduler's advance.
    fn next_day(&mut self) {
        let day = self.book.day_of(self.now);
        let next = day
            .next()
            .to_date()
            .at(9, 0, 0, 0)
            .to_zoned(shanghai())
            .unwrap()
            .timestamp();
        self.now = next;
        if self.apply(Command::Advance).is_err() {
            self.fail("advance refused");
        }
        self.check_book();
    }

    fn act(&mut self, index: usize) {
        match self.rng.below(1000) {
            0..=339 => self.authorize(index),
            340..=529 => self.capture(index),
            530..=569 => self.void(index),
            570..=609 => self.refund(index),
            610..=899 => self.repay(index),
            900..=929 => self.payoff(index),
            930..=959 => self.bill_installment(index),
            960..=974 => self.cash_out(index),
            975..=989 => self.change_limits(index),
            990..=997 => self.freeze_or_unfreeze(index),
            _ => self.exempt(index),
        }
    }

    /// The account as of now (what the customer's app would show).
    fn account(&self, index: usize) -> std::borrow::Cow<'_, credit::Account> {
        self.book.account_at(self.customers[index].id, self.now).unwrap()
    }

    fn authorize(&mut self, index: usize) {
        let id = self.customers[index].id;
        if self.account(index).frozen.is_some() && self.rng.chance(30) {
            self.apply(Command::Unfreeze { account: id })
                .expect("a frozen account unfreezes");
        }
        let (available, frozen, charged_off) = {
            let account = self.book.account_at(id, self.now).unwrap();
            (
                account.available_on(account.day),
                account.frozen.is_some(),
                account.is_charged_off(),
            )
        };
        let amount = if self.rng.chance(5) {
            available + Amount::from_fen(1)
        } else {
            self.rng.amount(1, available.fen().clamp(1, 500_000))
        };
        let plan = self.rng.chance(25).then(|| {
            let periods = [3, 6, 12, 24][usize::try_from(self.rng.below(4)).unwrap()];
            let method = Method::ALL[usize::try_from(self.rng.below(3)).unwrap()];
            let rate = self.rng.chance(20).then(|| PeriodRate::per_period(money::Rate::ZERO));
            PlanChoice { periods, method, rate }
        });
        let txn = TxnId(self.next_txn);
        self.next_txn += 1;
        let merchant = MerchantId(self.rng.below(200) + 1);
        let result = self.apply(Command::Authorize {
            account: id,
            txn,
            merchant,
            amount,
            plan,
        });
        // Audit: approved exactly when the amount fits what was available.
        match result {
            Ok(()) if amount > available => self.fail("authorized more than available"),
            Ok(()) => {
                self.customers[index].holds.push(txn);
                // Most merchants capture soon after authorizing (at shipping).
                if self.rng.chance(75) {
                    self.capture_hold(index, self.customers[index].holds.len() - 1);
                }
            }
            Err(Rejection::InsufficientAvailableCredit { .. }) if amount <= available => {
                self.fail("refused an authorization that fit")
            }
            Err(Rejection::InsufficientAvailableCredit { .. } | Rejection::TooManyHolds) => {}
            Err(Rejection::AccountFrozen) if frozen => {}
            Err(Rejection::AccountChargedOff) if charged_off => {}
            Err(Rejection::AmountNotPositive) if amount.is_zero() => {}
            Err(other) => self.fail(&format!("authorize refused: {other:?}")),
        }
    }

    fn pick(&mut self, list_len: usize) -> Option<usize> {
        (list_len > 0).then(|| usize::try_from(self.rng.below(list_len as u64)).unwrap())
    }

    fn capture(&mut self, index: usize) {
        let Some(i) = self.pick(self.customers[index].holds.len()) else {
            return;
        };
        self.capture_hold(index, i);
    }

    fn capture_hold(&mut self, index: usize, i: usize) {
        let txn = self.customers[index].holds.swap_remove(i);
        let id = self.customers[index].id;
        let Some(held) = self.account(index).hold(txn).map(|h| h.amount) else {
            return;
        };
        let amount = if self.rng.chance(80) {
            held
        } else {
            self.rng.amount(1, held.fen())
        };
        match self.apply(Command::Capture {
            account: id,
            txn,
            amount,
        }) {
            Ok(()) => {
                self.captured += amount;
                self.customers[index].purchases.push(txn);
            }
            Err(
                Rejection::HoldExpired | Rejection::HoldAlreadyVoided | Rejection::TxnExempt | Rejection::TxnNotFound,
            ) => {}
            Err(other) => self.fail(&format!("capture refused: {other:?}")),
        }
    }

    fn void(&mut self, index: usize) {
        let Some(i) = self.pick(self.customers[index].holds.len()) else {
            return;
        };
        let txn = self.customers[index].holds.swap_remove(i);
        let id = self.customers[index].id;
        match self.apply(Command::Void { account: id, txn }) {
            Ok(())
            | Err(
                Rejection::HoldExpired | Rejection::HoldAlreadyVoided | Rejection::TxnExempt | Rejection::TxnNotFound,
            ) => {}
            Err(other) => self.fail(&format!("void refused: {other:?}")),
        }
    }

    fn refund(&mut self, index: usize) {
        let Some(i) = self.pick(self.customers[index].purchases.len()) else {
            return;
        };
        let txn = self.customers[index].purchases[i];
        let id = self.customers[index].id;
        let Some(refundable) = self.account(index).purchase(txn).map(|p| p.refundable()) else {
            return;
        };
        if refundable.is_zero() {
            return;
        }
        let amount = match self.rng.below(10) {
            0..=3 => refundable,
            4 => refundable + Amount::from_fen(1),
            _ => self.rng.amount(1, refundable.fen()),
        };
        let op = self.op();
        match self.apply(Command::Refund {
            account: id,
            txn,
            op,
            amount,
        }) {
            Ok(()) if amount > refundable => self.fail("refunded more than the purchase"),
            Ok(()) => self.refunded += amount,
            Err(Rejection::RefundExceedsPurchase { .. }) if amount > refundable => {}
            Err(other) => self.fail(&format!("refund refused: {other:?}")),
        }
    }

    fn op(&mut self) -> OpId {
        self.next_op += 1;
        OpId(self.next_op)
    }

    fn repay(&mut self, index: usize) {
        let id = self.customers[index].id;
        let product = self.book.product().clone();
        let balances = self.account(index).balances(&product);
        let pays = match self.customers[index].habit {
            Habit::InFull => Some(balances.billed),
            Habit::Minimum => Some(balances.minimum_unpaid),
            Habit::Partial => Some(self.rng.amount(1, balances.billed.fen().max(1))),
            Habit::Late => self.rng.chance(30).then_some(balances.billed),
            Habit::Defaulter => self.rng.chance(3).then_some(balances.minimum_unpaid),
        };
        let Some(mut amount) = pays else { return };
        if self.rng.chance(3) {
            amount += self.rng.amount(1, 10_000); // an overpayment
        }
        if !amount.is_positive() {
            return;
        }
        let op = self.op();
        match self.apply(Command::Repay {
            account: id,
            op,
            amount,
        }) {
            Ok(()) => self.cash_in += amount,
            Err(other) => self.fail(&format!("repay refused: {other:?}")),
        }
        if let Some(Event::Repaid { allocation, .. }) = self.events.iter().find(|e| matches!(e, Event::Repaid { .. }))
            && allocation.total() != amount
        {
            self.fail("repayment allocation does not add up to the payment");
        }
    }

    fn payoff(&mut self, index: usize) {
        let product = self.book.product().clone();
        let account = self.account(index);
        let active: Vec<PlanId> = account.plans.iter().filter(|p| p.is_active()).map(|p| p.id).collect();
        let Some(i) = self.pick(active.len()) else { return };
        let plan = active[i];
        let payoff = self
            .account(index)
            .payoff_amount(plan, product.waive_future_fees_on_payoff)
            .unwrap();
        let short = self.rng.chance(10);
        let amount = if short {
            payoff - Amount::from_fen(1)
        } else {
            payoff + self.rng.amount(1, 100).max(Amount::ZERO)
        };
        if !amount.is_positive() {
            return;
        }
        let id = self.customers[index].id;
        let op = self.op();
        match self.apply(Command::EarlyPayoff {
            account: id,
            op,
            plan,
            amount,
        }) {
            Ok(()) if short => self.fail("payoff accepted below the payoff amount"),
            Ok(()) => self.cash_in += amount,
            Err(Rejection::PaymentBelowPayoff { .. } | Rejection::AccountChargedOff) => {}
            Err(other) => self.fail(&format!("payoff refused: {other:?}")),
        }
    }

    fn bill_installment(&mut self, index: usize) {
        let Some(seq) = self.account(index).latest_statement().map(|s| s.seq) else {
            return;
        };
        let id = self.customers[index].id;
        let plan = PlanId(self.next_txn);
        self.next_txn += 1;
        let periods = [3, 6, 12, 24][usize::try_from(self.rng.below(4)).unwrap()];
        let choice = PlanChoice {
            periods,
            method: Method::FlatFee,
            rate: None,
        };
        match self.apply(Command::BillInstallment {
            account: id,
            plan,
            statement: seq,
            choice,
        }) {
            Ok(())
            | Err(
                Rejection::StatementDue
                | Rejection::PastDueOutstanding
                | Rejection::StatementAlreadyInstalled
                | Rejection::NothingToInstall
                | Rejection::AccountChargedOff,
            ) => {}
            Err(other) => self.fail(&format!("bill installment refused: {other:?}")),
        }
    }

    fn cash_out(&mut self, index: usize) {
        let credit = self.account(index).credit_balance;
        if credit.is_zero() {
            return;
        }
        let id = self.customers[index].id;
        let op = self.op();
        match self.apply(Command::CashOutCredit {
            account: id,
            op,
            amount: credit,
        }) {
            Ok(()) => self.cash_out += credit,
            Err(other) => self.fail(&format!("cash out refused: {other:?}")),
        }
    }

    fn change_limits(&mut self, index: usize) {
        let id = self.customers[index].id;
        let today = self.book.day_of(self.now);
        let command = if self.rng.chance(50) {
            let limit = Amount::from_fen(i64::try_from(self.rng.below(60)).unwrap() * 100_000);
            Command::ChangeLimit { account: id, limit }
        } else {
            let amount = Amount::from_fen(i64::try_from(self.rng.below(20) + 1).unwrap() * 50_000);
            let expires_on = today.add(i32::try_from(self.rng.below(60)).unwrap());
            Command::SetTemporaryLimit {
                account: id,
                amount,
                expires_on,
            }
        };
        match self.apply(command) {
            Ok(())
            | Err(Rejection::LimitBelowExposure { .. } | Rejection::AccountChargedOff | Rejection::AmountNotPositive) =>
                {}
            Err(other) => self.fail(&format!("limit change refused: {other:?}")),
        }
    }

    fn freeze_or_unfreeze(&mut self, index: usize) {
        let id = self.customers[index].id;
        let command = if self.account(index).frozen.is_some() {
            Command::Unfreeze { account: id }
        } else {
            Command::Freeze {
                account: id,
                reason: credit::FreezeReason::Risk,
            }
        };
        if let Err(other) = self.apply(command) {
            self.fail(&format!("freeze refused: {other:?}"));
        }
    }

    fn exempt(&mut self, index: usize) {
        let Some(i) = self.pick(self.customers[index].purchases.len()) else {
            return;
        };
        let txn = self.customers[index].purchases.swap_remove(i);
        let id = self.customers[index].id;
        if self.account(index).exempt.contains(&txn) {
            return;
        }
        let merchants_before = self.book.totals().get(LedgerAccount::MerchantPayable);
        let history = self.history.get(&id).cloned().unwrap_or_default();
        match self.apply(Command::ExemptFraud {
            account: id,
            txns: vec![txn],
            history,
        }) {
            Ok(()) => {
                self.stats.exemptions += 1;
                if self.book.totals().get(LedgerAccount::MerchantPayable) != merchants_before {
                    self.fail("an exemption changed what merchants are owed");
                }
            }
            Err(other) => self.fail(&format!("exemption refused: {other:?}")),
        }
    }

    /// The journal, for replay.
    pub fn journal(&self) -> &[Recorded] {
        self.journal.as_deref().unwrap_or(&[])
    }
}

fn seed_from_env() -> u64 {
    match std::env::var("IOU_SIM_SEED").as_deref() {
        Ok("random") => Timestamp::now().as_nanosecond() as u64,
        Ok(text) => text.parse().expect("IOU_SIM_SEED must be a number or `random`"),
        Err(_) => 0x10_u64 << 32 | 2026,
    }
}

#[test]
fn a_million_commands_hold_every_invariant() {
    let commands: u64 = std::env::var("IOU_SIM_COMMANDS").map_or(1_000_000, |v| v.parse().unwrap());
    let seed = seed_from_env();
    let started = std::time::Instant::now();
    let mut sim = Sim::new(seed, 4_000, false);
    sim.run(commands, 420);
    let elapsed = started.elapsed();
    let s = &sim.stats;
    eprintln!(
        "simulation seed {seed}: {} commands ({} refused), {} statements, {} charge-offs, {} exemptions in {:.1?} ({:.0} commands/s)",
        s.commands,
        s.rejected,
        s.statements,
        s.charge_offs,
        s.exemptions,
        elapsed,
        s.commands as f64 / elapsed.as_secs_f64()
    );
    let mut names: Vec<_> = s.by_command.iter().collect();
    names.sort();
    for (name, (n, refused)) in names {
        eprintln!("  {name:18} {n:>9} ({refused} refused)");
    }
    // The workload must exercise what it claims to.
    assert!(
        s.statements > 10_000 && s.charge_offs > 10 && s.exemptions > 10,
        "{s:?}"
    );
    for name in [
        "authorize",
        "capture",
        "void",
        "refund",
        "repay",
        "early_payoff",
        "bill_installment",
        "cash_out_credit",
    ] {
        let (n, refused) = s.by_command.get(name).copied().unwrap_or_default();
        assert!(n > refused && n - refused > 20, "{name}: {n} tried, {refused} refused");
    }
}

#[test]
fn same_seed_same_book_and_replay_reproduces_it() {
    let mut first = Sim::new(7, 200, true);
    first.run(40_000, 200);
    let mut second = Sim::new(7, 200, false);
    second.run(40_000, 200);
    assert_eq!(
        first.book.snapshot(),
        second.book.snapshot(),
        "same seed, different books"
    );

    // The journal alone rebuilds the book (what the engine does at start-up).
    let mut replayed = Book::new(Product::default(), shanghai());
    let mut sink = Vec::new();
    for recorded in first.journal() {
        replayed
            .apply(recorded.at, &recorded.command, &mut sink)
            .expect("a journaled command applies again");
    }
    let last = first.book.last_at().unwrap();
    replayed.apply(last, &Command::Advance, &mut sink).unwrap();
    assert_eq!(replayed.snapshot(), first.book.snapshot(), "journal replay differs");
}

#[test]
fn snapshot_round_trip_continues_identically() {
    let mut sim = Sim::new(11, 150, false);
    sim.run(15_000, 100);
    let json = serde_json::to_string(&sim.book.snapshot()).unwrap();
    let state: BookState = serde_json::from_str(&json).unwrap();
    let restored = Book::restore(Product::default(), shanghai(), state);
    assert_eq!(restored.snapshot(), sim.book.snapshot());
    // Continue both with the same command and compare.
    let mut original = sim.book.clone();
    let mut copy = restored;
    let at = original
        .last_at()
        .unwrap()
        .checked_add(SignedDuration::from_hours(24 * 40))
        .unwrap();
    original.apply(at, &Command::Advance, &mut Vec::new()).unwrap();
    copy.apply(at, &Command::Advance, &mut Vec::new()).unwrap();
    assert_eq!(original.snapshot(), copy.snapshot());
}
