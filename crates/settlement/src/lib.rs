//! The settlement core of iou: what the lender owes each merchant, what it keeps, and when it
//! pays. Sans-IO and deterministic, like `credit`.
//!
//! It owns merchant pricing ([`pricing`]: a discount rate in ppm and a fixed fee per capture,
//! versioned by effective day, by merchant, category or default), the fee and campaign-subsidy
//! rounding rules ([`pricing::Pricing::fee`], [`pricing::subsidy`]), the daily settlement of one
//! merchant ([`day::settle_day`]: captured − refunds − fees − subsidies, delayed days and the
//! rolling reserve held back, a negative balance carried and past a limit reclassified as a
//! receivable), the payout state machine ([`payout`]) and the merchant-side chart of accounts
//! with its balanced entries ([`ledger`]).
//!
//! It must never do IO, read a clock, or know SQL, HTTP, the journal or how facts are gathered:
//! the engine's settlement consumer and run feed it facts and store what it returns. The
//! customer side of the books is `credit::ledger`; the merchant side here never adds accounts
//! to it (its accounts are in partition snapshots), and the trial balance is the union of both.

pub mod day;
pub mod ledger;
pub mod payout;
pub mod pricing;
pub mod reconcile;

pub use day::{Activity, Carried, DaySettlement, RecentDay, Terms, settle_day};
pub use ledger::{Entry, EntryKind, Posting, SettlementAccount};
pub use payout::{PayoutRejection, PayoutStatus};
pub use pricing::{PriceList, PriceRule, Pricing, Scope};
