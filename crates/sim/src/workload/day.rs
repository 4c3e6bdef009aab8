//! The day's course: midnight (the daily advance and due statements), planning the day
//! (applications, purchases, life events, attacks), the day's applications and their
//! decisions, the events every answer may carry, and the end-of-day audit and figures.

use credit::{AccountId, Event};
use money::Amount;

use super::{Intent, Line, Owner, Simulation, attacks};
use crate::link::SimError;
use crate::onboard::{Applicant, Decision};
use crate::population::{Habit, LifeEvent};

impl Simulation<'_, '_> {
    pub(super) fn midnight(&mut self, day: u32) -> Result<(), SimError> {
        let ms = self.time(day, 5).as_millisecond();
        self.set_clock(ms)?;
        let events = self.link.advance()?;
        self.on_events(&events);
        self.reconcile_reviews()?;
        self.settle_due_statements(day);
        Ok(())
    }

    pub(super) fn run_day(&mut self, day: u32) -> Result<(), SimError> {
        self.midnight(day)?;
        self.collections_day(day)?;
        self.plan_day(day);
        let end = self.time(day + 1, 0).as_millisecond();
        self.process_until(end)?;
        self.applicants_evening(day)?;
        self.end_of_day(day)
    }

    /// Everything that starts today: applications, purchases, life events, attacks.
    pub(super) fn plan_day(&mut self, day: u32) {
        for i in 0..self.pop.shoppers.len() {
            if self.pop.shoppers[i].apply_day == day {
                let applicant = self.shopper_applicant(i);
                self.applicants_today.push((applicant, Owner::Shopper(i)));
            }
        }
        self.plan_attacks(day);
        self.plan_mistaken_reports(day);
        self.plan_review_shifts(day);
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

    pub(super) fn life_events(&mut self, line: usize, shopper: usize, day: u32) {
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

    pub(super) fn shopper_applicant(&mut self, i: usize) -> Applicant {
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

    pub(super) fn applications(&mut self) -> Result<(), SimError> {
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
    pub(super) fn decided(&mut self, applicant: Applicant, owner: Owner, decision: Decision) {
        let fraudulent = !matches!(owner, Owner::Shopper(_));
        if fraudulent {
            self.requested.insert(applicant.account, attacks::requested(&applicant));
        }
        let (Decision::Approved { scored, .. } | Decision::Declined { scored, .. }) = &decision;
        let approved = matches!(decision, Decision::Approved { .. });
        if let Some((score, pd_ppm)) = scored {
            self.log.scored.push((applicant.account.0, *score, *pd_ppm, approved));
        }
        if approved {
            self.log.opened.insert(applicant.account.0, self.today());
        }
        let apps = &mut self.fig.applications;
        apps.total += 1;
        apps.fraudulent += u64::from(fraudulent);
        let (limit, open) = match &decision {
            Decision::Approved { limit, .. } => {
                apps.approved += 1;
                apps.fraudulent_approved += u64::from(fraudulent);
                self.fig.limits.approved_total_fen += limit.fen();
                (*limit, true)
            }
            Decision::Declined { reason, .. } => {
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
            // A sleeper repays until it strikes (`families.rs` sets the day).
            Owner::Sleeper(_) => ((8, 22), None),
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
    pub(super) fn on_events(&mut self, events: &[Event]) {
        for event in events {
            match event {
                Event::StatementClosed {
                    account,
                    due_date,
                    balance,
                    minimum,
                    ..
                } => self.on_statement(*account, *due_date, *balance, *minimum),
                Event::BucketChanged { account, to, on, .. } => {
                    self.log.buckets.push((account.0, *on, *to));
                    self.entered.entry(*to).or_default().insert(*account);
                    self.buckets.insert(*account, *to);
                }
                Event::ChargedOff { amount, .. } => {
                    self.fig.losses.charged_off_fen += amount.fen();
                    self.fig.losses.charged_off_accounts += 1;
                }
                Event::HoldExpired { .. } => self.fig.payments.expired += 1,
                Event::Repaid {
                    amount, recovery: true, ..
                } => {
                    self.fig.collections.recoveries += 1;
                    self.fig.collections.recoveries_fen += amount.fen();
                }
                _ => {}
            }
        }
    }

    pub(super) fn end_of_day(&mut self, day: u32) -> Result<(), SimError> {
        let touched: Vec<AccountId> = std::mem::take(&mut self.touched).into_iter().collect();
        self.link.audit(&touched)?;
        self.bureau_month_end()?;
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

    /// Today's row of the daily figures. The midnight after the last day (which closes it:
    /// statements, repayments due) counts on the last day's row: a row of its own was a
    /// spurious last day, almost empty, on which every daily chart fell to 0.
    pub(crate) fn daily(&mut self) -> &mut crate::figures::DayFigures {
        let day = self.day.min(self.config.days.saturating_sub(1));
        if self.fig.daily.last().is_none_or(|d| d.day != day) {
            let date = self
                .today()
                .add(-i32::try_from(self.day - day).unwrap_or(0))
                .to_string();
            self.fig.daily.push(crate::figures::DayFigures {
                day,
                date,
                ..Default::default()
            });
        }
        self.fig.daily.last_mut().expect("pushed above")
    }
}
