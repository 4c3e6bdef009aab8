//! The credit-bureau file: what iou tells a credit bureau about each account at a month end.
//!
//! This crate owns the file's layout (REPORTING.md documents it field by field; modelled on
//! Metro 2's base segment and the PBOC credit-reporting record) and the rules that turn one
//! credit account, as of the last day of a month, into one record: its status code, balances,
//! past due, bucket, charge-off amount, special comment and date of first delinquency
//! ([`record`]); and the file around the records: a header, the records sorted by account, and
//! a trailer with counts and sums a receiver checks the file against ([`File`]).
//!
//! It reads a [`credit::Account`] that the caller has already brought to the month end. A
//! fraud exemption has restated such an account as if the exempted transactions never
//! happened, so they are never reported as delinquent, and an account whose delinquency came
//! only from them reports current (with the special comment `FE`).
//!
//! It must never know where accounts come from (the journal, the store, the simulator's
//! driver), nor do IO, read a clock or draw randomness: the caller passes the month and the
//! report date, and writes the text wherever it goes.

mod layout;
mod month;
mod record;

pub use layout::{
    DATA_FIELDS, File, HEADER_FIELDS, LayoutError, TRAILER_FIELDS, Trailer, VERSION, WIDTH, bucket_code, parse,
};
pub use month::{Month, MonthError};
pub use record::{AccountRecord, Lender, LenderError, Status, record};
