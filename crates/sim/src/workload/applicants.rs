//! The applicant stream: people who apply through the public application route (`POST
//! /v1/applications`), beside the workload's shoppers (who onboard through engine requests and
//! whose account ids the simulator chooses). Their forms are valid identities with credit files
//! drawn like the scoring data (`onboarding::testkit::Population`, good and bad applicants from
//! each class's marginals, the bad ones at [`BAD_PER_MILLE`]), so the route approves some,
//! sends some to review and declines the rest (measured over 40 days, seed 7: 31% approved,
//! 27% to review, 42% declined, nearly all for `CREDIT_PD_HIGH`, a probability of default of
//! 0.25 or more); an analyst works each review a day or two later (approving the good applicants and declining
//! the bad ones, wrong one time in ten), and the reviews of the run's last days are left open:
//! the queue an operator finds (`GET /v1/applications?status=review`).
//!
//! The stream changes no other figure of a seed. It draws from its own random stream (the
//! workload's is not touched), its applicants use devices and addresses of their own (no
//! shopper's), their lines are outside the auditor's model and the workload's (they never buy),
//! and it runs after the day's last intent, in the evening: the analysts' pass at 21:00 (or
//! after the day's last call, the clock never goes back) and the applications between 22:00 and
//! 23:30, so the clock it moves never moves under a shopper's call. About four apply an evening;
//! where they call from is the driver's (see `driver::http::Applicants`: against a loopback
//! server each from an address of their own, so the route's per-address limits decide nobody;
//! against another server all from one address, and the route's burst rule, five applications
//! from one address within 24 hours, sends more of them to review).
//!
//! A share of the applicants ([`ASKS_BIG_PER_MILLE`]) ask for more than a year of their declared
//! income, which the credit-application rules send to review (`INCOME_MULTIPLE`) unless they
//! decline it; with the scorecard's reviews (`CREDIT_PD_ELEVATED`) about a quarter of the
//! applications go to review.
//!
//! It runs only when the driver reaches the route (over HTTP, or the demo's in-process driver
//! given a client of its own server); otherwise its figures stay zero.

use onboarding::testkit::Population;

use super::Simulation;
use crate::driver::{ApplicationForm, Applied, Reviewed};
use crate::link::SimError;
use crate::rng::Rng;

/// Shoppers who ask for a temporary limit on the run's last evening, at most.
const LIMIT_REQUESTS: usize = 4;

/// Weights of 0, 1, ... 8 applicants in an evening (about four).
const PER_DAY_WEIGHTS: [u64; 9] = [1, 2, 4, 6, 7, 6, 4, 2, 1];

/// Applicants of the bad class (who would default). The scoring data has 28%; fewer of them
/// reach the app's application form.
const BAD_PER_MILLE: u64 = 150;
/// Applicants who ask for 13 to 16 months of their declared income.
const ASKS_BIG_PER_MILLE: u64 = 100;
/// The analysts' evening pass over the reviews due.
const REVIEW_AT_S: i64 = 21 * 3600;
/// Applications come between this second of the day and 90 minutes later.
const APPLY_FROM_S: i64 = 22 * 3600;
/// How often the analyst decides against the applicant's latent class.
const ANALYST_WRONG_PER_MILLE: u64 = 100;
/// Days between a review and the analyst's decision: uniform in this range.
const REVIEW_AFTER_DAYS: (u64, u64) = (1, 2);
/// The limit an analyst grants when the application carries no proposal (no score).
const FALLBACK_LIMIT_FEN: i64 = 300_000;

/// An application in review, waiting for its analyst.
#[derive(Clone, Debug)]
struct Waiting {
    application: String,
    /// The applicant's latent class (ground truth the analyst approximates).
    bad: bool,
    decide_on: u32,
}

/// The stream's state: its people, its own randomness, the reviews waiting.
#[derive(Debug)]
pub(crate) struct Applicants {
    people: Population,
    rng: Rng,
    waiting: Vec<Waiting>,
}

impl Applicants {
    /// The stream of a run whose root randomness is `root`, starting on `start`.
    pub(crate) fn new(root: &Rng, start: jiff::civil::Date) -> Applicants {
        let mut rng = root.fork(3);
        let people = Population::new(rng.next_u64(), start);
        Applicants {
            people,
            rng,
            waiting: Vec::new(),
        }
    }
}

impl Simulation<'_, '_> {
    /// The evening of `day`: the analysts' pass, then the day's applicants.
    pub(super) fn applicants_evening(&mut self, day: u32) -> Result<(), SimError> {
        if !self.link.can_apply() {
            return Ok(());
        }
        self.work_reviews(day)?;
        self.new_applicants(day)
    }

    fn work_reviews(&mut self, day: u32) -> Result<(), SimError> {
        let (due, waiting): (Vec<Waiting>, Vec<Waiting>) = std::mem::take(&mut self.applicants.waiting)
            .into_iter()
            .partition(|w| w.decide_on <= day);
        self.applicants.waiting = waiting;
        if due.is_empty() {
            return Ok(());
        }
        self.set_clock(self.time(day, REVIEW_AT_S).as_millisecond())?;
        for w in due {
            let wrong = self.applicants.rng.chance(ANALYST_WRONG_PER_MILLE);
            let approve = w.bad == wrong;
            let q = match self.link.review(&w.application, approve, FALLBACK_LIMIT_FEN)? {
                Reviewed::Approved { .. } => &mut self.fig.queues.applications.review_approved,
                Reviewed::Declined => &mut self.fig.queues.applications.review_declined,
                Reviewed::Refused { .. } => &mut self.fig.queues.applications.review_refused,
            };
            *q += 1;
        }
        Ok(())
    }

    fn new_applicants(&mut self, day: u32) -> Result<(), SimError> {
        let stream = &mut self.applicants;
        let n = stream.rng.weighted(&PER_DAY_WEIGHTS);
        if n == 0 {
            return Ok(());
        }
        let second = APPLY_FROM_S + stream.rng.below(90 * 60) as i64;
        let mut forms = Vec::with_capacity(n);
        let mut classes = Vec::with_capacity(n);
        for _ in 0..n {
            let bad = stream.rng.chance(BAD_PER_MILLE);
            let mut person = stream.people.applicant_of(bad);
            let income = person.input.declared_monthly_income_fen;
            if stream.rng.chance(ASKS_BIG_PER_MILLE) && income > 0 {
                let months = stream.rng.between(13, 16) as i64;
                person.input.requested_limit_fen = income.saturating_mul(months);
            }
            forms.push(ApplicationForm {
                device_id: format!("sim-applicant-{:016x}", person.context.device.0),
                geo: person.context.geo,
                applicant: person.input,
            });
            classes.push(person.bad);
        }
        self.set_clock(self.time(day, second).as_millisecond())?;
        let answers = self.link.apply(&forms)?;
        for (answer, bad) in answers.into_iter().zip(classes) {
            let q = &mut self.fig.queues.applications;
            q.applied += 1;
            match answer {
                Applied::Approved { .. } => q.approved += 1,
                Applied::Review { application } => {
                    q.review += 1;
                    let (low, high) = REVIEW_AFTER_DAYS;
                    let decide_on = day + self.applicants.rng.between(low, high) as u32;
                    self.applicants.waiting.push(Waiting {
                        application,
                        bad,
                        decide_on,
                    });
                }
                Applied::Declined { reasons } => {
                    q.declined += 1;
                    let first = reasons.into_iter().next().unwrap_or_default();
                    *q.declines_by_reason.entry(first).or_default() += 1;
                }
                Applied::Challenged => q.challenged += 1,
                Applied::NotDecided => q.not_decided += 1,
            }
        }
        Ok(())
    }

    /// What the review queue holds at the end, as the system lists it.
    /// The run's last evening on the API's own queues, after the final audit: a few shoppers
    /// ask for a temporary limit from behind a proxy (a credit officer's queue), the fraud team
    /// proposes confirmations that wait for a second operator (`driver/http/evening.rs`).
    pub(super) fn last_evening(&mut self) -> Result<(), SimError> {
        if !self.link.can_apply() {
            return Ok(());
        }
        let open: Vec<credit::AccountId> = self
            .lines
            .iter()
            .filter(|l| l.open && !l.frozen && matches!(l.owner, super::Owner::Shopper(_)))
            .map(|l| l.account)
            .collect();
        let mut customers = Vec::new();
        for _ in 0..open.len().min(LIMIT_REQUESTS) {
            customers.push(open[self.rng.index(open.len())]);
        }
        customers.sort();
        customers.dedup();
        let evening = self.link.last_evening(&customers)?;
        self.fig.queues.limit_requests_pending = evening.limit_requests_pending;
        self.fig.queues.confirmations_proposed = evening.confirmations_proposed;
        Ok(())
    }

    pub(super) fn count_open_reviews(&mut self) -> Result<(), SimError> {
        if self.link.can_apply() {
            self.fig.queues.applications.left_in_review = self.link.in_review()?;
        }
        Ok(())
    }
}
