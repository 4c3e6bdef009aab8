//! [`Link`]: the driver with the auditor on the line. Every call goes out through it and
//! every answer is checked before the workload sees it; each call is one numbered step.

use credit::{Account, AccountId, Event, Product};

use crate::auditor::{Auditor, Mismatch};
use crate::driver::{Answer, ApplicationForm, Applications, Applied, Call, Driver, DriverError, Reviewed};

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The workload made a credit command that has a request of its own.
    #[error(transparent)]
    Request(#[from] engine::NotAnAccountCommand),
    /// Carries the mismatch in its message (not as a `source`, which a chain would print a
    /// second time).
    #[error("the auditor disagrees with the system at {0}")]
    Mismatch(Mismatch),
    /// The month's credit-bureau file could not be written or did not read back.
    #[error("the credit-bureau file of {0}")]
    Bureau(String),
    /// A mismatch with where it happened: replay it with the same seed.
    #[error("the auditor stopped the run: seed {seed}, {day}, step {}: {} (replay with --seed {seed})", .mismatch.step, .mismatch.what)]
    Audit { seed: u64, day: String, mismatch: Mismatch },
    /// Merchant settlement failed or a settlement tie broke (the message says which).
    #[error("settlement: {0}")]
    Settlement(String),
    /// The notifications' pass over the journal failed.
    #[error("notifications: {0}")]
    Notifications(String),
}

impl From<Mismatch> for SimError {
    fn from(mismatch: Mismatch) -> SimError {
        SimError::Mismatch(mismatch)
    }
}

pub struct Link<'d> {
    driver: &'d mut dyn Driver,
    pub auditor: Auditor,
    /// Calls made so far: the step a mismatch is reported at.
    pub step: u64,
}

impl std::fmt::Debug for Link<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").field("step", &self.step).finish_non_exhaustive()
    }
}

impl<'d> Link<'d> {
    pub fn new(driver: &'d mut dyn Driver) -> Link<'d> {
        let auditor = Auditor::new(driver.product().clone());
        Link {
            driver,
            auditor,
            step: 0,
        }
    }

    pub fn product(&self) -> &Product {
        self.driver.product()
    }

    pub fn requests(&self) -> u64 {
        self.driver.requests()
    }

    pub fn set_time(&mut self, at: jiff::Timestamp) -> Result<(), SimError> {
        Ok(self.driver.set_time(at)?)
    }

    /// Sends one wave and audits every answer.
    pub fn send(&mut self, calls: &[Call]) -> Result<Vec<Answer>, SimError> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let answers = self.driver.send(calls)?;
        for (call, answer) in calls.iter().zip(&answers) {
            self.step += 1;
            self.auditor.observe(self.step, call, answer)?;
        }
        self.rebase_restated()?;
        Ok(answers)
    }

    /// One call on its own.
    pub fn call(&mut self, call: Call) -> Result<Answer, SimError> {
        let mut answers = self.send(std::slice::from_ref(&call))?;
        answers
            .pop()
            .ok_or_else(|| SimError::Driver(DriverError::Unavailable("no answer".into())))
    }

    pub fn advance(&mut self) -> Result<Vec<Event>, SimError> {
        let events = self.driver.advance()?;
        self.step += 1;
        self.auditor.observe_events(self.step, &events)?;
        Ok(events)
    }

    pub fn accounts(&mut self, ids: &[AccountId]) -> Result<Vec<Option<Box<Account>>>, SimError> {
        Ok(self.driver.accounts(ids)?)
    }

    /// Every case of the system, with its kind and status.
    pub fn cases(&mut self) -> Result<Vec<(engine::CaseKind, engine::CaseStatus)>, SimError> {
        Ok(self.driver.cases()?)
    }

    /// The open cases of `kind`, oldest first.
    pub fn open_cases(&mut self, kind: engine::CaseKind) -> Result<Vec<crate::driver::HeldPayment>, SimError> {
        Ok(self.driver.open_cases(kind)?)
    }

    /// The engine voided `txn`'s hold in a follow-up of its own that no answer carries (an
    /// analyst declined the held payment, or its review timed out): the auditor's model
    /// releases it; the day's audit then checks the account agrees.
    pub fn hold_stopped(&mut self, account: AccountId, txn: credit::TxnId) -> Result<(), SimError> {
        self.step += 1;
        Ok(self.auditor.hold_stopped(self.step, account, txn)?)
    }

    /// The run's last evening on the API's own queues (see [`Applications::last_evening`]);
    /// nothing without an application route.
    pub fn last_evening(&mut self, customers: &[AccountId]) -> Result<crate::driver::LastEvening, SimError> {
        match self.driver.applications() {
            Some(applications) => Ok(applications.last_evening(customers)?),
            None => Ok(crate::driver::LastEvening::default()),
        }
    }

    /// Whether the driver reaches the application route (the applicant stream runs only then).
    pub fn can_apply(&mut self) -> bool {
        self.driver.applications().is_some()
    }

    fn applications(&mut self) -> Result<&mut dyn Applications, SimError> {
        self.driver
            .applications()
            .ok_or_else(|| SimError::Driver(DriverError::NotSupported("no application route".into())))
    }

    /// Applications through the route; the lines they open are outside the auditor's model.
    pub fn apply(&mut self, forms: &[ApplicationForm]) -> Result<Vec<Applied>, SimError> {
        let answers = self.applications()?.apply(forms)?;
        for answer in &answers {
            if let Applied::Approved { account } = answer {
                self.auditor.outside(*account);
            }
        }
        Ok(answers)
    }

    /// An analyst's decision on an application in review (see [`Applications::review`]).
    pub fn review(&mut self, application: &str, approve: bool, fallback_fen: i64) -> Result<Reviewed, SimError> {
        let reviewed = self.applications()?.review(application, approve, fallback_fen)?;
        if let Reviewed::Approved { account } = reviewed {
            self.auditor.outside(account);
        }
        Ok(reviewed)
    }

    /// The applications in review, as the operators' list shows them.
    pub fn in_review(&mut self) -> Result<u64, SimError> {
        Ok(self.applications()?.in_review()?)
    }

    pub fn list_fraud(&mut self, devices: &[risk::DeviceId], ips: &[std::net::IpAddr]) -> Result<(), SimError> {
        Ok(self.driver.list_fraud(devices, ips)?)
    }

    /// Checks `ids` against the model and invariants.
    pub fn audit(&mut self, ids: &[AccountId]) -> Result<(), SimError> {
        let accounts = self.accounts(ids)?;
        for account in accounts.iter().flatten() {
            self.auditor.check_account(self.step, account)?;
        }
        Ok(())
    }

    /// Checks every account and the ledger totals; returns the accounts for the figures.
    pub fn audit_book(&mut self) -> Result<Vec<Box<Account>>, SimError> {
        let ids = self.auditor.accounts();
        let accounts: Vec<Box<Account>> = self.accounts(&ids)?.into_iter().flatten().collect();
        self.auditor.check_book(self.step, &accounts)?;
        Ok(accounts)
    }

    fn rebase_restated(&mut self) -> Result<(), SimError> {
        let restated = self.auditor.restated();
        if restated.is_empty() {
            return Ok(());
        }
        for account in self.accounts(&restated)?.into_iter().flatten() {
            credit::invariants::check_account(&account).map_err(|v| Mismatch {
                step: self.step,
                what: format!("invariant broken after a restatement: {v}"),
            })?;
            self.auditor.rebase(&account);
        }
        Ok(())
    }
}
