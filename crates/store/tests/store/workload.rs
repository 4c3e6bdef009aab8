//! Realistic event streams made by driving a real `credit::Book`: scripted batches for the
//! read-model tests and a seeded random mix for the benchmark (which includes this file).

#![allow(dead_code)]

use std::collections::BTreeSet;

use credit::{AccountId, Book, Command, Event, MerchantId, OpId, PlanChoice, Product, TxnId};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use money::Amount;
use money::schedule::Method;
use store::{AccountRow, Projection};

/// One journal batch's read-model input, owned.
#[derive(Debug)]
pub struct Batch {
    pub seq: u64,
    pub at_ms: i64,
    pub events: Vec<Event>,
    pub accounts: Vec<AccountRow>,
}

impl Batch {
    pub fn projection(&self, partition: u32) -> Projection<'_> {
        Projection {
            partition,
            seq: self.seq,
            at_ms: self.at_ms,
            events: &self.events,
            accounts: &self.accounts,
        }
    }
}

/// SplitMix64, so a seed always gives the same stream.
#[derive(Debug)]
pub struct Rng(seeded::SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seeded::SplitMix64::new(seed))
    }

    pub fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A partition's book and clock, turning commands into batches.
#[derive(Debug)]
pub struct Workload {
    pub book: Book,
    pub partition: u32,
    now: Timestamp,
    seq: u64,
    rng: Rng,
    next_id: u64,
    accounts: Vec<AccountId>,
    holds: Vec<(AccountId, TxnId, Amount)>,
    purchases: Vec<(AccountId, TxnId, Amount)>,
}

pub fn shanghai() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(8))
}

impl Workload {
    /// A book starting at 2026-01-01 09:00 Shanghai time. Ids the random mix makes start at
    /// `partition * 10^9` so partitions never share one.
    pub fn new(partition: u32, seed: u64) -> Workload {
        Workload {
            book: Book::new(Product::default(), shanghai()),
            partition,
            now: "2026-01-01T09:00:00+08:00".parse().expect("a valid timestamp"),
            seq: 0,
            rng: Rng::new(seed),
            next_id: u64::from(partition) * 1_000_000_000 + 1,
            accounts: Vec::new(),
            holds: Vec::new(),
            purchases: Vec::new(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub fn wait(&mut self, duration: SignedDuration) {
        self.now = self.now.checked_add(duration).expect("time in range");
    }

    /// Applies the commands as the next batch; panics if the core rejects one.
    pub fn batch(&mut self, commands: &[Command]) -> Batch {
        let mut events = Vec::new();
        for command in commands {
            if let Err(rejection) = self.book.apply(self.now, command, &mut events) {
                panic!("{command:?} was rejected: {rejection:?}");
            }
        }
        self.finish(events)
    }

    /// The batch's balances rows: every account an event of it names.
    fn finish(&mut self, events: Vec<Event>) -> Batch {
        self.seq += 1;
        let touched: BTreeSet<AccountId> = events.iter().map(Event::account).collect();
        let accounts = touched
            .into_iter()
            .map(|id| AccountRow {
                account: id,
                balances: self
                    .book
                    .account(id)
                    .expect("an event names an account")
                    .balances(self.book.product()),
            })
            .collect();
        Batch {
            seq: self.seq,
            at_ms: self.now.as_millisecond(),
            events,
            accounts,
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A batch of `size` random commands a busy partition sees: openings, authorizations
    /// (some with plans), captures, voids, refunds and repayments, about five minutes apart, with
    /// the day's `Advance` when the date changes. Rejected commands are skipped.
    pub fn random_batch(&mut self, size: usize) -> Batch {
        let mut events = Vec::new();
        for _ in 0..size {
            let day = self.book.day_of(self.now);
            let pause = SignedDuration::from_secs(60 + self.rng.below(540) as i64);
            self.wait(pause);
            if self.book.day_of(self.now) != day {
                let _ = self.book.apply(self.now, &Command::Advance, &mut events);
            }
            let command = self.random_command();
            if self.book.apply(self.now, &command, &mut events).is_ok() {
                self.remember(&command);
            }
        }
        self.finish(events)
    }

    fn random_account(&mut self) -> AccountId {
        self.accounts[self.rng.below(self.accounts.len() as u64) as usize]
    }

    fn random_command(&mut self) -> Command {
        let roll = self.rng.below(100);
        if self.accounts.len() < 50 || roll < 3 {
            let account = AccountId(self.id());
            return Command::OpenAccount {
                account,
                limit: Amount::yuan(5_000 + self.rng.below(45_000) as i64),
                billing_day: 1 + self.rng.below(28) as u8,
            };
        }
        if roll < 40 || self.holds.is_empty() {
            let plan = (self.rng.below(100) < 15).then(|| PlanChoice {
                periods: [3, 6, 12][self.rng.below(3) as usize],
                method: Method::FlatFee,
                rate: None,
            });
            return Command::Authorize {
                account: self.random_account(),
                txn: TxnId(self.id()),
                merchant: MerchantId(1 + self.rng.below(300)),
                amount: Amount::from_fen(1_000 + self.rng.below(200_000) as i64),
                plan,
            };
        }
        if roll < 70 {
            let (account, txn, amount) = self.holds.swap_remove(self.rng.below(self.holds.len() as u64) as usize);
            return Command::Capture { account, txn, amount };
        }
        if roll < 75 {
            let (account, txn, _) = self.holds.swap_remove(self.rng.below(self.holds.len() as u64) as usize);
            return Command::Void { account, txn };
        }
        if roll < 80 && !self.purchases.is_empty() {
            let (account, txn, amount) = self.purchases[self.rng.below(self.purchases.len() as u64) as usize];
            return Command::Refund {
                account,
                txn,
                op: OpId(self.id()),
                amount: Amount::from_fen((amount.fen() / 4).max(1)),
            };
        }
        Command::Repay {
            account: self.random_account(),
            op: OpId(self.id()),
            amount: Amount::from_fen(5_000 + self.rng.below(300_000) as i64),
        }
    }

    fn remember(&mut self, command: &Command) {
        match command {
            Command::OpenAccount { account, .. } => self.accounts.push(*account),
            Command::Authorize {
                account, txn, amount, ..
            } => self.holds.push((*account, *txn, *amount)),
            Command::Capture { account, txn, amount } => {
                self.purchases.push((*account, *txn, *amount));
                if self.purchases.len() > 10_000 {
                    self.purchases.swap_remove(0);
                }
            }
            _ => {}
        }
    }
}
