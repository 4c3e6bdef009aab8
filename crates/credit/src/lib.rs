//! The credit core of iou: sans-IO and deterministic.
//!
//! This crate owns credit accounts and lines (limits, temporary limits, freezes),
//! authorization holds, purchases, installment plans, statements, minimum repayments,
//! revolving interest, the repayment waterfall, early payoff, penalties, delinquency buckets,
//! charge-off, hardship plans (re-aging), fraud exemption and the double-entry ledger that records every money movement.
//! Its one entry point is [`Book::apply`]: a command and the time it happens at in, events
//! (or a [`Rejection`]) out.
//!
//! It must never do IO, read a clock, draw randomness, or know about SQL, HTTP, threads or
//! serialization formats beyond serde derives: time, ids and everything else arrive as
//! arguments, which is what lets the engine journal and replay it and the simulator run years
//! in seconds. The rules it implements, with their numbers, are DESIGN.md section 3; the
//! choices made where the design is silent are written where they are implemented.

mod account;
mod authorize;
mod book;
pub mod calendar;
mod close;
mod command;
pub mod config;
mod costs;
mod days;
pub mod delinquency;
pub mod dues;
mod event;
pub mod figures;
mod fraud;
pub mod hardship;
mod hold;
mod ids;
mod install;
pub mod invariants;
pub mod ledger;
pub mod legacy;
mod limits;
mod plan;
pub mod portfolio;
mod purchase;
mod query;
mod refund;
mod reject;
mod repay;
pub mod statement;
pub mod totals;
mod validate;

pub use account::{Account, Cycle, TemporaryLimit};
pub use book::{Book, BookState};
pub use calendar::Day;
pub use command::{Command, FreezeReason, PlanChoice, Recorded};
pub use config::Product;
pub use event::{Allocation, Event, RefundSplit};
pub use figures::{Costs, CostsByYear, Losses, PeriodStatus, SchedulePeriod, StatementFigures, YearCosts};
pub use hold::{Hold, HoldState};
pub use ids::{AccountId, MerchantId, OpId, PlanId, TxnId};
pub use plan::{Plan, PlanSource, PlanStatus};
pub use purchase::Purchase;
pub use query::{BalancesView, PlanPeriodView, PlanView, ReportingStatus};
pub use reject::Rejection;
pub use totals::{Totals, Waived};
