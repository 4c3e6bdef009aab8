//! Exact money for iou.
//!
//! This crate owns the arithmetic every other crate builds on:
//! - [`Amount`]: a signed count of minor units (fen) with checked arithmetic and the yuan string
//!   form (`"1234.56"`);
//! - [`Rate`]: an exact rate in integer parts per million (`0.05%` is 500 ppm);
//! - the rounding rules (half-up to the fen, or down for a plan's principal split);
//! - repayment [`schedule`]s for the three plan methods and their APR by the IRR method.
//!
//! It must never know about accounts, dates, storage or HTTP, and it never uses floating point:
//! money is integers, rates are integers, and the only division that needs more (the annuity
//! payment and the IRR) is done in 96-bit decimal arithmetic.

mod amount;
pub mod irr;
mod rate;
pub mod schedule;

pub use amount::{Amount, AmountError};
pub use rate::{Rate, RateError};
