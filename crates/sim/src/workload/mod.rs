//! [`Simulation`]: the day loop. Each simulated day the clock moves to just after midnight and
//! the daily advance runs (statements close, due dates pass, overdue interest and penalties
//! accrue, all through the normal command path); then the day's intents (purchases,
//! deliveries, captures, refunds, repayments, applications, attacks, theft reports) run in
//! time order. Intents within a few minutes of each other form a wave that goes to the engine
//! at once; their answers schedule what follows (a capture hours after an authorization, a
//! retry after a step-up). At the end of each day the touched accounts are audited, and every
//! account and the ledger's totals every few days and at the end.

mod attacks;
mod orders;
mod repay;
mod results;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use credit::{AccountId, Day, Event};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use money::Amount;
use risk::{ChallengeKind, DeviceId};

use crate::config::SimConfig;
use crate::driver::{Answer, Call};
use crate::figures::Figures;
use crate::link::{Link, SimError};
use crate::onboard::{Applicant, Decision, Onboard};
use crate::population::{Habit, LifeEvent, Population};
use crate::progress::Progress;
use crate::rng::Rng;

pub(crate) use attacks::{Attack, AttackKind};
pub(crate) use orders::Order;

/// Who holds a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    Shopper(usize),
    /// A synthetic identity of a device farm (attack index).
    Farm(usize),
    /// A member of a cash-out ring (attack index).
    Ring(usize),
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

/// Something that happens at a moment of the run.
#[derive(Clone, Debug)]
pub(crate) enum Intent {
    Shop {
        line: usize,
    },
    Pay {
        order: usize,
        step_up: Option<ChallengeKind>,
    },
    Deliver {
        order: usize,
    },
    Capture {
        order: usize,
    },
    Void {
        order: usize,
    },
    Refund {
        order: usize,
        amount: Amount,
    },
    Repay {
        line: usize,
    },
    Payoff {
        line: usize,
    },
    NewPhone {
        line: usize,
        step_up: Option<ChallengeKind>,
    },
    Unfreeze {
        line: usize,
    },
    /// The day's applications (run together at one moment).
    Applications,
    Takeover {
        attack: usize,
        stage: attacks::Stage,
    },
    ReportTheft {
        attack: usize,
    },
    BustOut {
        line: usize,
    },
    Wash {
        attack: usize,
        member: usize,
    },
    CashOut {
        attack: usize,
        member: usize,
    },
}

impl Intent {
    /// Intents that run on their own (several dependent calls, or a batch of their own).
    fn is_direct(&self) -> bool {
        matches!(
            self,
            Intent::Applications | Intent::ReportTheft { .. } | Intent::Payoff { .. } | Intent::Takeover { .. }
        )
    }
}

/// What an intent sent, waiting for its answer.
pub(crate) struct Sent {
    intent: Intent,
    /// The order `prepare` created, if it made one.
    order: Option<usize>,
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
    attack_accumulator: [u64; 3],
    /// The line each fraudulent applicant asked for.
    requested: BTreeMap<AccountId, Amount>,
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
            ..Figures::default()
        };
        let next_account = u64::from(config.users) + 1;
        Simulation {
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
            attack_accumulator: [0; 3],
            requested: BTreeMap::new(),
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
        let wall_s = started.elapsed().as_secs_f64();
        let requests = self.link.requests() - requests_before;
        Ok(self.finish(&accounts, requests, wall_s))
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

    // --- the day

    fn midnight(&mut self, day: u32) -> Result<(), SimError> {
        let ms = self.time(day, 5).as_millisecond();
        self.set_clock(ms)?;
        let events = self.link.advance()?;
        self.on_events(&events);
        self.settle_due_statements(day);
        Ok(())
    }

    fn run_day(&mut self, day: u32) -> Result<(), SimError> {
        self.midnight(day)?;
        self.plan_day(day);
        let end = self.time(day + 1, 0).as_millisecond();
        self.process_until(end)?;
        self.end_of_day(day)
    }

    /// Everything that starts today: applications, purchases, life events, attacks.
    fn plan_day(&mut self, day: u32) {
        for i in 0..self.pop.shoppers.len() {
            if self.pop.shoppers[i].apply_day == day {
                let applicant = self.shopper_applicant(i);
                self.applicants_today.push((applicant, Owner::Shopper(i)));
            }
        }
        self.plan_attacks(day);
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.later)
            .into_iter()
            .partition(|(d, ..)| *d <= day);
        self.later = later;
        self.applicants_today.extend(now.into_iter().map(|(_, a, o)| (a, o)));
        if !self.applicants_today.is_empty() {
            self.at(day, 9 * 3600, Intent::Applications);
        }
        for line in 0..self.lines.len() {
            if !self.lines[line].open {
                continue;
            }
            let Owner::Shopper(s) = self.lines[line].owner else {
                continue;
            };
            self.life_events(line, s, day);
            let per_month = self.pop.shoppers[s].purchases_per_month;
            let mut n = 0;
            while n < 3 && self.rng.below(30_000) < per_month * 1000 / if n == 0 { 1 } else { 3 } {
                n += 1;
                let hours = self.lines[line].hours;
                let second = self.waking_second(hours);
                self.at(day, second, Intent::Shop { line });
            }
        }
    }

    fn life_events(&mut self, line: usize, shopper: usize, day: u32) {
        let events: Vec<LifeEvent> = self.pop.shoppers[shopper].events.clone();
        for event in events {
            match event {
                LifeEvent::JobLoss { day: d } if d == day => {
                    let l = &mut self.lines[line];
                    l.stops_paying = Some(l.stops_paying.map_or(day, |s| s.min(day)));
                }
                LifeEvent::NewPhone { day: d } if d == day => {
                    let second = self.waking_second((9, 21));
                    self.at(day, second, Intent::NewPhone { line, step_up: None });
                }
                LifeEvent::Trip { day: d, days, city } if d == day => {
                    self.lines[line].trip = Some((day + days, city));
                }
                LifeEvent::Windfall { day: d } if d == day => {
                    let second = self.waking_second((10, 20));
                    self.at(day, second, Intent::Payoff { line });
                }
                _ => {}
            }
        }
        if let Some((until, _)) = self.lines[line].trip
            && until <= day
        {
            self.lines[line].trip = None;
        }
    }

    fn shopper_applicant(&mut self, i: usize) -> Applicant {
        let s = &self.pop.shoppers[i];
        let (account, income, quality, billing_day, device, ip, home) = (
            s.account,
            s.income_yuan,
            s.quality,
            s.billing_day,
            s.device,
            s.ip,
            s.home,
        );
        let geo = crate::population::place(home, &mut self.rng);
        Applicant {
            account,
            declared_income_yuan: income,
            quality,
            billing_day,
            context: engine::RiskContext {
                device,
                ip,
                geo: Some(geo),
                ..engine::RiskContext::unknown(risk::Channel::Online)
            },
            synthetic: false,
            answers_otp: true,
        }
    }

    /// Runs the waves of intents due before `end_ms`.
    fn process_until(&mut self, end_ms: i64) -> Result<(), SimError> {
        while let Some((&(t0, _), _)) = self.queue.first_key_value() {
            if t0 >= end_ms {
                break;
            }
            let direct = self.queue.first_key_value().is_some_and(|(_, i)| i.is_direct());
            self.set_clock(t0)?;
            if direct {
                let (_, intent) = self.queue.pop_first().expect("the first intent is there");
                self.direct(intent)?;
                continue;
            }
            let span_ms = i64::from(self.config.wave_span_s.max(1)) * 1000;
            let mut wave: Vec<Intent> = Vec::new();
            while wave.len() < self.config.wave_max {
                match self.queue.first_key_value() {
                    Some((&(t, _), intent)) if t < t0 + span_ms && t < end_ms && !intent.is_direct() => {
                        let (_, intent) = self.queue.pop_first().expect("peeked");
                        wave.push(intent);
                    }
                    _ => break,
                }
            }
            self.wave(wave)?;
        }
        Ok(())
    }

    fn wave(&mut self, wave: Vec<Intent>) -> Result<(), SimError> {
        let mut calls = Vec::with_capacity(wave.len());
        let mut sent = Vec::with_capacity(wave.len());
        for intent in wave {
            let orders_before = self.orders.len();
            if let Some(call) = self.prepare(&intent) {
                if let Some(account) = call_account(&call) {
                    self.touched.insert(account);
                }
                calls.push(call);
                let order = (self.orders.len() > orders_before).then(|| self.orders.len() - 1);
                sent.push(Sent { intent, order });
            }
        }
        let answers = self.link.send(&calls)?;
        for (sent, answer) in sent.into_iter().zip(answers) {
            if let engine::Outcome::Applied { events, .. } = &answer.outcome {
                self.on_events(events);
            }
            self.settle(sent, answer)?;
        }
        Ok(())
    }

    /// The call an intent makes now, if any.
    fn prepare(&mut self, intent: &Intent) -> Option<Call> {
        match *intent {
            Intent::Shop { line } => self.shop(line),
            Intent::Pay { order, step_up } => self.pay_call(order, step_up),
            Intent::Deliver { order } => self.deliver_call(order),
            Intent::Capture { order } => self.capture_call(order),
            Intent::Void { order } => self.void_call(order),
            Intent::Refund { order, amount } => self.refund_call(order, amount),
            Intent::Repay { line } => self.repay_call(line),
            Intent::NewPhone { line, step_up } => self.new_phone_call(line, step_up),
            Intent::Unfreeze { line } => self.unfreeze_call(line),
            Intent::BustOut { line } => self.bust_out(line),
            Intent::Wash { attack, member } => self.wash(attack, member),
            Intent::CashOut { attack, member } => self.cash_out(attack, member),
            Intent::Applications | Intent::ReportTheft { .. } | Intent::Payoff { .. } | Intent::Takeover { .. } => None,
        }
    }

    /// Reads an answer and schedules what follows.
    fn settle(&mut self, sent: Sent, answer: Answer) -> Result<(), SimError> {
        match sent.intent {
            Intent::Shop { .. } | Intent::BustOut { .. } | Intent::Wash { .. } | Intent::CashOut { .. } => {
                if let Some(order) = sent.order {
                    self.pay_answer(order, answer);
                }
            }
            Intent::Pay { order, .. } => self.pay_answer(order, answer),
            Intent::Deliver { order } => self.deliver_answer(order, answer),
            Intent::Capture { order } => self.capture_answer(order, answer),
            Intent::Void { order } => self.void_answer(order, answer),
            Intent::Refund { order, amount } => self.refund_answer(order, amount, answer),
            Intent::Repay { line } => self.repay_answer(line, answer),
            Intent::NewPhone { line, .. } => self.new_phone_answer(line, answer),
            Intent::Unfreeze { line } => {
                if matches!(answer.outcome, engine::Outcome::Applied { .. }) {
                    self.lines[line].frozen = false;
                }
            }
            Intent::Applications | Intent::ReportTheft { .. } | Intent::Payoff { .. } | Intent::Takeover { .. } => {}
        }
        Ok(())
    }

    fn direct(&mut self, intent: Intent) -> Result<(), SimError> {
        match intent {
            Intent::Applications => self.applications(),
            Intent::ReportTheft { attack } => self.report_theft(attack),
            Intent::Payoff { line } => self.payoff(line),
            Intent::Takeover { attack, stage } => self.takeover(attack, stage),
            _ => Ok(()),
        }
    }

    fn applications(&mut self) -> Result<(), SimError> {
        let batch = std::mem::take(&mut self.applicants_today);
        let applicants: Vec<Applicant> = batch.iter().map(|(a, _)| a.clone()).collect();
        for a in &applicants {
            self.touched.insert(a.account);
        }
        let decisions = self.onboard.onboard(self.link, &applicants, &mut self.rng)?;
        for ((applicant, owner), decision) in batch.into_iter().zip(decisions) {
            self.decided(applicant, owner, decision);
        }
        Ok(())
    }

    /// Records a decision and, when approved, the new line.
    fn decided(&mut self, applicant: Applicant, owner: Owner, decision: Decision) {
        let fraudulent = !matches!(owner, Owner::Shopper(_));
        if fraudulent {
            self.requested.insert(applicant.account, attacks::requested(&applicant));
        }
        let apps = &mut self.fig.applications;
        apps.total += 1;
        apps.fraudulent += u64::from(fraudulent);
        let (limit, open) = match &decision {
            Decision::Approved { limit } => {
                apps.approved += 1;
                apps.fraudulent_approved += u64::from(fraudulent);
                self.fig.limits.approved_total_fen += limit.fen();
                (*limit, true)
            }
            Decision::Declined { reason } => {
                apps.declined += 1;
                apps.genuine_declined += u64::from(!fraudulent);
                *apps.declines_by_reason.entry(reason.clone()).or_default() += 1;
                (Amount::ZERO, false)
            }
        };
        let (hours, stops_paying) = match owner {
            Owner::Shopper(s) => {
                let shopper = &self.pop.shoppers[s];
                let stops = (shopper.habit == Habit::Defaulter).then(|| self.day + 25 + self.rng.below(40) as u32);
                (shopper.hours, stops)
            }
            Owner::Farm(_) | Owner::Ring(_) => ((9, 23), Some(self.day)),
        };
        let line = Line {
            account: applicant.account,
            owner,
            limit,
            open,
            device: applicant.context.device,
            ip: applicant.context.ip,
            home: match owner {
                Owner::Shopper(s) => self.pop.shoppers[s].home,
                _ => 0,
            },
            hours,
            statement: None,
            paid_since: Amount::ZERO,
            payments_made: 0,
            stops_paying,
            frozen: false,
            trip: None,
            spend_left: Amount::ZERO,
            washes_left: 0,
        };
        let index = self.lines.len();
        self.by_account.insert(line.account, index);
        self.lines.push(line);
        self.on_decided_attack(index, owner, &decision);
    }

    /// Reacts to events of any answer: statements, buckets, expiries.
    fn on_events(&mut self, events: &[Event]) {
        for event in events {
            match event {
                Event::StatementClosed {
                    account,
                    due_date,
                    balance,
                    minimum,
                    ..
                } => self.on_statement(*account, *due_date, *balance, *minimum),
                Event::BucketChanged { account, to, .. } => {
                    self.entered.entry(*to).or_default().insert(*account);
                    self.buckets.insert(*account, *to);
                }
                Event::ChargedOff { amount, .. } => {
                    self.fig.losses.charged_off_fen += amount.fen();
                    self.fig.losses.charged_off_accounts += 1;
                }
                Event::HoldExpired { .. } => self.fig.payments.expired += 1,
                _ => {}
            }
        }
    }

    fn end_of_day(&mut self, day: u32) -> Result<(), SimError> {
        let touched: Vec<AccountId> = std::mem::take(&mut self.touched).into_iter().collect();
        self.link.audit(&touched)?;
        if (day + 1).is_multiple_of(self.config.full_audit_every_days.max(1)) {
            self.link.audit_book()?;
        }
        let receivables = self.link.auditor.principal_total().fen();
        let delinquent = self
            .buckets
            .values()
            .filter(|b| **b != credit::delinquency::Bucket::Current)
            .count() as u64;
        let date = self.today().to_string();
        let today = self.fig.daily.last_mut().filter(|d| d.day == day);
        match today {
            Some(d) => {
                d.receivables_fen = receivables;
                d.delinquent_accounts = delinquent;
            }
            None => self.fig.daily.push(crate::figures::DayFigures {
                day,
                date,
                receivables_fen: receivables,
                delinquent_accounts: delinquent,
                ..Default::default()
            }),
        }
        Ok(())
    }

    /// Today's row of the daily figures.
    pub(crate) fn daily(&mut self) -> &mut crate::figures::DayFigures {
        let day = self.day;
        if self.fig.daily.last().is_none_or(|d| d.day != day) {
            let date = self.today().to_string();
            self.fig.daily.push(crate::figures::DayFigures {
                day,
                date,
                ..Default::default()
            });
        }
        self.fig.daily.last_mut().expect("pushed above")
    }
}

/// The account a call acts on, when the call names it.
fn call_account(call: &Call) -> Option<AccountId> {
    match &call.request {
        engine::Request::Credit(command) => command.account(),
        engine::Request::Authorize {
            payer: engine::Payer::Account(account),
            ..
        } => Some(*account),
        engine::Request::Checkpoint { account, .. }
        | engine::Request::ExemptFraud { account, .. }
        | engine::Request::SetCreditProfile { account, .. }
        | engine::Request::LinkMerchant { account, .. } => Some(*account),
        _ => None,
    }
}
