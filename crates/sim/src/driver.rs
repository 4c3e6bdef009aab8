//! [`Driver`]: how the simulator reaches iou. The workload speaks engine requests; a driver
//! delivers them, in-process ([`InProcess`]) or over HTTP to a server in simulation mode
//! ([`http::Http`]), and answers in order. Applicants who apply through the public application
//! route reach iou through a driver's [`Applications`], when it has one (over HTTP; the
//! in-process driver only when it is given a client for its own server, as the demo does).

pub mod http;
mod inprocess;

use std::net::IpAddr;

use credit::{Account, AccountId, Command, Event, Product, TxnId};
use engine::{CaseId, CaseKind, CaseStatus, NotAnAccountCommand, Outcome, Request, RiskContext, RiskRecord};
use jiff::Timestamp;
use risk::DeviceId;

pub use inprocess::InProcess;

/// One request and where it came from (what risk sees).
#[derive(Clone, Debug)]
pub struct Call {
    pub request: Request,
    pub context: Option<RiskContext>,
}

impl Call {
    pub fn plain(request: Request) -> Call {
        Call { request, context: None }
    }

    /// The call of a plain credit command (the workload's opens, limits, freezes, unfreezes,
    /// repayments and payoffs): the engine's one router from commands to requests
    /// ([`Request::from_command`]), which refuses a command that has a request of its own. All
    /// of those the workload makes are account commands (`engine::AccountCommand`'s tests), so
    /// the callers that make an optional call (`.ok()`) never drop one.
    pub fn command(command: Command) -> Result<Call, NotAnAccountCommand> {
        Request::from_command(command).map(Call::plain)
    }

    pub fn from(request: Request, context: RiskContext) -> Call {
        Call {
            request,
            context: Some(context),
        }
    }
}

/// An open case that holds one order (a payment held for review, an interception): the
/// transaction and when the case opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldPayment {
    pub case: CaseId,
    pub account: AccountId,
    pub txn: TxnId,
    pub opened_at: Timestamp,
}

/// The answer to a call: the engine's outcome and its risk decision.
#[derive(Clone, Debug)]
pub struct Answer {
    pub outcome: Outcome,
    pub risk: Option<Box<RiskRecord>>,
}

/// Why a driver could not deliver a call.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("the engine is not running: {0}")]
    Unavailable(String),
    #[error("HTTP: {0}")]
    Http(String),
    #[error("{0}")]
    NotSupported(String),
}

pub trait Driver {
    /// Moves the clock the system runs on. Every call until the next move happens at `at`.
    fn set_time(&mut self, at: Timestamp) -> Result<(), DriverError>;

    /// Delivers `calls` and returns their answers in the same order. The calls of one wave
    /// do not depend on each other's answers; the driver keeps their order wherever order
    /// can matter (the same account, or the same device, IP, merchant or card), so a run is
    /// reproducible however the system spreads work over threads.
    fn send(&mut self, calls: &[Call]) -> Result<Vec<Answer>, DriverError>;

    /// Runs the daily advance on every partition (statements, due dates, overdue accrual)
    /// and returns the events it produced.
    fn advance(&mut self) -> Result<Vec<Event>, DriverError>;

    /// The accounts as of now, in the order asked (`None` for an unknown account).
    fn accounts(&mut self, ids: &[AccountId]) -> Result<Vec<Option<Box<Account>>>, DriverError>;

    /// Every case of the system (the operators' case queue), with its kind and status.
    fn cases(&mut self) -> Result<Vec<(CaseKind, CaseStatus)>, DriverError>;

    /// The open cases of one kind (`PaymentReview`: the payments held for review still waiting
    /// for an analyst; `Interception`: orders monitoring stopped), oldest first.
    fn open_cases(&mut self, kind: CaseKind) -> Result<Vec<HeldPayment>, DriverError>;

    /// Adds devices and addresses to the known-fraud lists.
    fn list_fraud(&mut self, devices: &[DeviceId], ips: &[IpAddr]) -> Result<(), DriverError>;

    /// The product rules the system runs with.
    fn product(&self) -> &Product;

    /// Requests delivered so far (for throughput).
    fn requests(&self) -> u64;

    /// How the driver reaches the system, for the report.
    fn name(&self) -> &'static str {
        "in-process"
    }

    /// The public application route and the analysts' review queue, if this driver reaches
    /// them (`None`: the run has no applicant stream).
    fn applications(&mut self) -> Option<&mut dyn Applications> {
        None
    }
}

/// One application as the applicant's app sends it: the form and the device it comes from.
#[derive(Clone, Debug)]
pub struct ApplicationForm {
    pub applicant: onboarding::ApplicationInput,
    /// The app's install id (the server keeps only its hash).
    pub device_id: String,
    pub geo: Option<risk::Geo>,
}

/// What the application route answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// `201`: the line is open.
    Approved { account: AccountId },
    /// `202`: received, in review (the application's id, for the analyst).
    Review { application: String },
    /// `200` declined, with its reason codes.
    Declined { reasons: Vec<String> },
    /// `200` a step-up asked for (the applicant gives up here).
    Challenged,
    /// `503 try_later` or `429 rate_limited`: nothing decided.
    NotDecided,
}

/// What an analyst's decision on an application in review came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reviewed {
    /// Approved: the line is open.
    Approved {
        account: AccountId,
    },
    Declined,
    /// Refused (no longer in review, or the line could not open): the answer's error code.
    Refused {
        code: String,
    },
}

/// The application route and the review queue (`POST /v1/applications`, `GET
/// /v1/applications?status=review`, `.../approve`, `.../decline`), at the driver's clock.
pub trait Applications {
    /// Sends `forms`, all at the current time, and returns the answers in order.
    fn apply(&mut self, forms: &[ApplicationForm]) -> Result<Vec<Applied>, DriverError>;

    /// An analyst approves (at the proposed limit, or `fallback_fen` when there is none) or
    /// declines `application`, after looking at it.
    fn review(&mut self, application: &str, approve: bool, fallback_fen: i64) -> Result<Reviewed, DriverError>;

    /// The applications in review, as the operators' list shows them.
    fn in_review(&mut self) -> Result<u64, DriverError>;

    /// The run's last evening on the API's own queues, after its final audit: `customers` may
    /// ask for a temporary limit, and the fraud team proposes confirmations that wait for a
    /// second operator (`http::Applicants`; see `driver/http/evening.rs`). A client without
    /// those routes does nothing.
    fn last_evening(&mut self, customers: &[AccountId]) -> Result<LastEvening, DriverError> {
        let _ = customers;
        Ok(LastEvening::default())
    }
}

/// What the run's last evening left in the API's queues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastEvening {
    /// Temporary-limit requests waiting for a credit officer.
    pub limit_requests_pending: u64,
    /// Theft-case confirmations waiting for a second operator (four eyes).
    pub confirmations_proposed: u64,
}
