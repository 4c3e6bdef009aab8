//! [`Simulation`]: the day loop. Each simulated day the clock moves to just after midnight and
//! the daily advance runs (statements close, due dates pass, overdue interest and penalties
//! accrue, all through the normal command path); then the day's intents (purchases,
//! deliveries, captures, refunds, repayments, applications, attacks, theft reports) run in
//! time order. Intents within a few minutes of each other form a wave that goes to the engine
//! at once; their answers schedule what follows (a capture hours after an authorization, a
//! retry after a step-up). At the end of each day the touched accounts are audited, and every
//! account and the ledger's totals every few days and at the end.
//!
//! Here: the simulation's state ([`Simulation`], the lines it opened) and the clock. The day's
//! course is in `day.rs`, intents and how they reach the engine in `dispatch.rs`, and each kind
//! of actor's calls in `orders.rs` (shoppers and merchants), `repay.rs`, `attacks.rs`, and
//! theft reports with the fraud team's case work in `cases.rs`, payments held for review and
//! the desk that works them in `review.rs`, applicants through the public
//! application route (a stream of their own, in the evening) in `applicants.rs`; the figures are
//! summed up in `results.rs`.

mod applicants;
mod attacks;
mod bureau;
mod cases;
mod collections;
mod day;
mod devices;
mod dispatch;
mod families;
mod orders;
mod repay;
mod results;
mod review;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use credit::{AccountId, Day};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use money::Amount;
use risk::DeviceId;

use crate::config::SimConfig;
use crate::figures::Figures;
use crate::link::{Link, SimError};
use crate::onboard::{Applicant, Onboard};
use crate::population::Population;
use crate::progress::Progress;
use crate::rng::Rng;

pub(crate) use attacks::{Attack, AttackKind};
pub(crate) use dispatch::Intent;
pub(crate) use orders::Order;

/// Who holds a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    Shopper(usize),
    /// A synthetic identity of a device farm (attack index).
    Farm(usize),
    /// A member of a cash-out ring (attack index).
    Ring(usize),
    /// A patient attacker's line (bust-out, aged ring): behaves, then strikes (`families.rs`).
    Sleeper(usize),
}

/// The latest statement with something to pay, as the holder saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seen {
    pub balance: Amount,
    pub minimum: Amount,
}

/// A credit line the simulation opened, and what its holder knows and does.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub account: AccountId,
    pub owner: Owner,
    pub limit: Amount,
    pub open: bool,
    pub device: DeviceId,
    pub ip: IpAddr,
    pub home: usize,
    pub hours: (u64, u64),
    pub statement: Option<Seen>,
    pub paid_since: Amount,
    pub payments_made: u32,
    /// Stops repaying from this day (defaulters, job loss, fraudsters).
    pub stops_paying: Option<u32>,
    pub frozen: bool,
    /// Away in another city until this day.
    pub trip: Option<(u32, usize)>,
    /// What a fraudulent holder still means to spend (bust-out, cash-out).
    pub spend_left: Amount,
    /// Wash trades a ring member still means to make.
    pub washes_left: u32,
}

pub struct Simulation<'l, 'd> {
    config: SimConfig,
    link: &'l mut Link<'d>,
    onboard: Box<dyn Onboard + 'l>,
    pop: Population,
    rng: Rng,
    zone: TimeZone,
    lines: Vec<Line>,
    by_account: BTreeMap<AccountId, usize>,
    orders: Vec<Order>,
    attacks: Vec<Attack>,
    queue: BTreeMap<(i64, u64), Intent>,
    seq: u64,
    /// The last time the clock was set to (it never goes back).
    clock_ms: i64,
    day: u32,
    applicants_today: Vec<(Applicant, Owner)>,
    /// Applications of later days (device farms and rings spread theirs).
    later: Vec<(u32, Applicant, Owner)>,
    next_account: u64,
    next_op: u64,
    touched: BTreeSet<AccountId>,
    fig: Figures,
    /// Statements waiting for their due date: (due, line, balance, minimum).
    due: Vec<(Day, usize, Amount, Amount)>,
    /// Accounts that ever reached each bucket.
    entered: BTreeMap<credit::delinquency::Bucket, BTreeSet<AccountId>>,
    buckets: BTreeMap<AccountId, credit::delinquency::Bucket>,
    attack_accumulator: [u64; 8],
    report_accumulator: u64,
    /// Theft reports, by the index their case work is scheduled with.
    reports: Vec<cases::Report>,
    /// The line each fraudulent applicant asked for.
    requested: BTreeMap<AccountId, Amount>,
    /// Applicants through the application route.
    applicants: applicants::Applicants,
    /// What the portfolio analytics are computed from.
    log: crate::analytics::Log,
    coll: collections::Collections,
    /// The payment-review desk's waiting list.
    desk: review::Desk,
}

impl std::fmt::Debug for Simulation<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("day", &self.day)
            .finish_non_exhaustive()
    }
}

impl<'l, 'd> Simulation<'l, 'd> {
    pub fn new(config: SimConfig, link: &'l mut Link<'d>, onboard: Box<dyn Onboard + 'l>) -> Simulation<'l, 'd> {
        let root = Rng::new(config.seed);
        let pop = Population::generate(&config, &mut root.fork(1));
        let fig = Figures {
            fraud: AttackKind::ALL
                .iter()
                .map(|k| crate::figures::AttackFigures {
                    kind: k.name().to_owned(),
                    ..Default::default()
                })
                .collect(),
            seed: config.seed,
            users: config.users,
            merchants: config.merchants,
            days: config.days,
            start: config.start.to_string(),
            wave_seconds: config.wave_span_s,
            theft_reports: config.mistaken_theft_reports,
            partitions: config.partitions,
            ..Figures::default()
        };
        let next_account = u64::from(config.users) + 1;
        let applicants = applicants::Applicants::new(&root, config.start);
        Simulation {
            applicants,
            rng: root.fork(2),
            config,
            link,
            onboard,
            pop,
            zone: TimeZone::fixed(jiff::tz::offset(8)),
            lines: Vec::new(),
            by_account: BTreeMap::new(),
            orders: Vec::new(),
            attacks: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
            clock_ms: i64::MIN,
            day: 0,
            applicants_today: Vec::new(),
            later: Vec::new(),
            next_account,
            next_op: 0,
            touched: BTreeSet::new(),
            fig,
            due: Vec::new(),
            entered: BTreeMap::new(),
            buckets: BTreeMap::new(),
            attack_accumulator: [0; 8],
            report_accumulator: 0,
            reports: Vec::new(),
            requested: BTreeMap::new(),
            log: crate::analytics::Log::default(),
            coll: collections::Collections::new(root.fork(7)),
            desk: review::Desk::default(),
        }
    }

    /// Runs every day, then the final audit; returns the figures.
    pub fn run(self, progress: &mut dyn Progress) -> Result<Figures, SimError> {
        let seed = self.config.seed;
        let start = Day::from_date(self.config.start);
        let day = std::cell::Cell::new(0u32);
        self.run_days(progress, &day).map_err(|error| match error {
            SimError::Mismatch(mismatch) => SimError::Audit {
                seed,
                day: format!(
                    "day {} ({})",
                    day.get(),
                    start.add(i32::try_from(day.get()).unwrap_or(0))
                ),
                mismatch,
            },
            other => other,
        })
    }

    fn run_days(mut self, progress: &mut dyn Progress, current: &std::cell::Cell<u32>) -> Result<Figures, SimError> {
        let started = std::time::Instant::now();
        let requests_before = self.link.requests();
        for day in 0..self.config.days {
            self.day = day;
            current.set(day);
            self.run_day(day)?;
            progress.day(day + 1, self.config.days, self.link.requests() - requests_before);
        }
        // One more midnight closes the last day.
        self.day = self.config.days;
        self.midnight(self.config.days)?;
        let accounts = self.link.audit_book()?;
        self.last_evening()?;
        self.count_open_cases()?;
        self.count_open_held()?;
        self.count_open_reviews()?;
        let wall_s = started.elapsed().as_secs_f64();
        let requests = self.link.requests() - requests_before;
        Ok(self.finish(&accounts, requests, wall_s))
    }

    /// What the case queue holds at the end, as the system lists it.
    fn count_open_cases(&mut self) -> Result<(), SimError> {
        for (kind, status) in self.link.cases()? {
            match (kind, status) {
                (engine::CaseKind::Theft, engine::CaseStatus::Open) => self.fig.queues.open_theft_cases += 1,
                (engine::CaseKind::Interception, engine::CaseStatus::Open) => {
                    self.fig.queues.open_interception_cases += 1;
                }
                _ => {}
            }
        }
        Ok(())
    }

    // --- time

    /// The timestamp `seconds` into simulated day `day`.
    fn time(&self, day: u32, seconds: i64) -> Timestamp {
        let midnight = self
            .config
            .start
            .to_zoned(self.zone.clone())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        midnight
            .checked_add(SignedDuration::from_secs(i64::from(day) * 86_400 + seconds))
            .unwrap_or(midnight)
    }

    pub(crate) fn today(&self) -> Day {
        Day::from_date(self.config.start).add(i32::try_from(self.day).unwrap_or(0))
    }

    fn day_of(&self, day: Day) -> u32 {
        u32::try_from(day.since(Day::from_date(self.config.start))).unwrap_or(0)
    }

    /// Schedules `intent` at `at` (milliseconds since the epoch).
    pub(crate) fn at_ms(&mut self, at_ms: i64, intent: Intent) {
        self.seq += 1;
        self.queue.insert((at_ms, self.seq), intent);
    }

    /// Schedules `intent` `seconds` into day `day`.
    pub(crate) fn at(&mut self, day: u32, seconds: i64, intent: Intent) {
        let ms = self.time(day, seconds).as_millisecond();
        self.at_ms(ms, intent);
    }

    /// Schedules `intent` `seconds` after the current clock.
    pub(crate) fn after(&mut self, seconds: i64, intent: Intent) {
        let ms = self.clock_ms.max(self.time(self.day, 0).as_millisecond()) + seconds * 1000;
        self.at_ms(ms, intent);
    }

    /// A moment within a holder's waking hours, in seconds into the day.
    pub(crate) fn waking_second(&mut self, hours: (u64, u64)) -> i64 {
        let (start, end) = hours;
        let second = self.rng.between(start * 3600, end * 3600 - 1);
        i64::try_from(second.min(86_399)).unwrap_or(43_200)
    }

    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.clock_ms).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn set_clock(&mut self, ms: i64) -> Result<(), SimError> {
        self.clock_ms = self.clock_ms.max(ms);
        let now = self.now();
        self.link.set_time(now)
    }

    pub(crate) fn op(&mut self) -> credit::OpId {
        self.next_op += 1;
        credit::OpId(self.next_op)
    }
}
