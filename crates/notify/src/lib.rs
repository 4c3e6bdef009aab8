//! Customer notifications (issue 17 Build 2).
//!
//! This crate owns:
//! - what a customer is told and when, as a pure, deterministic function ([`derive`]): from
//!   committed journal facts ([`Fact`]: a statement closed, a repayment, a delinquency bucket
//!   change, a theft case opened or resolved) and from the day (payment due in 3 days, due
//!   today, from the account's unpaid statement and the calendar) to [`Intent`]s, each with a
//!   stable dedup key (`<account>:<kind>:<what>[:<day>]`) so it is sent once;
//! - the kinds and channels ([`Kind`], [`Channel`]) and which kinds are urgent (theft and
//!   security: never deferred, never switched off);
//! - per-customer preferences ([`Preferences`]), quiet hours ([`QuietHours`]: non-urgent
//!   messages wait for the end of quiet hours, never dropped);
//! - templates per kind, channel and language, kept as data (`templates/messages.txt`, built
//!   into the crate), amounts formatted from integer fen ([`template`]);
//! - one message's delivery record and its retries ([`delivery`]: backoff, dead-letter after
//!   N attempts, kept visible);
//! - the channel boundary ([`NotificationChannel`]) with an HTTP adapter ([`http`], over the
//!   identity crate's provider client: per-attempt timeout, bounded retries, circuit breaker,
//!   bearer key, the message's dedup key as `Idempotency-Key`) and a deterministic simulator
//!   ([`sim`]) that records what it was sent.
//!
//! It must never know the journal's records (the caller turns records into [`Fact`]s; the
//! credit core's events it reads through [`facts`]), storage
//! (the caller keeps the state this crate hands it), clocks (every time is passed in), routes,
//! or a customer's full personal data: messages carry amounts, dates and ids, never an ID number
//! or a card number.

pub mod channel;
pub mod delivery;
pub mod derive;
pub mod facts;
pub mod http;
mod kind;
mod prefs;
mod quiet;
pub mod sim;
pub mod template;

pub use channel::{Message, NotificationChannel, Receipt, SendError};
pub use delivery::{Delivery, RetryPolicy, Status};
pub use derive::{Fact, Intent, TheftStage, Tracker};
pub use identity::BoxFuture;
pub use kind::{Channel, Kind, Language};
pub use prefs::{PreferenceError, Preferences};
pub use quiet::QuietHours;
