//! The iou population simulator.
//!
//! This crate owns a seeded model of a whole population (shoppers with latent income, credit
//! quality and habits; online and offline merchants; life events; account takeovers, device
//! farms, cash-out rings, and five families the rules were never tuned on (bust-outs, aged
//! rings, rogue merchants, OTP-passing takeovers, device-id rotation), and the victims who report
//! theft; the fraud evaluation over a fixed tune/held-out seed split ([`eval`]); and a stream of applicants of its own
//! who apply through the public application route when the driver reaches it, with analysts
//! working the review queue; a payment-review desk working the payments risk held), the
//! workload that drives it through
//! the real system day by day on a clock it moves, the [`auditor`] that keeps its own model of
//! what every account owes and stops the run on any disagreement, the [`figures`] a run
//! produces, and the [`report`] (a text summary and a self-contained HTML page with inline SVG
//! charts), and merchant settlement over the run's journal ([`settlement`]). [`clock::SwitchClock`] lets a demo hand the engine to real time afterwards.
//!
//! It reaches the system only through a [`driver::Driver`]: in-process over `engine`, or over
//! HTTP to a server in simulation mode ([`driver::http::Http`]). It must never reach into the engine's partitions or the credit core's state
//! to decide what happens: it sends requests as a client would and reads answers and account
//! views; the credit core's invariant checks are the only core code it runs itself. It draws
//! randomness only from its seeded [`rng::Rng`], never from the clock or the OS, so a seed
//! replays exactly.

pub mod analytics;
pub mod auditor;
pub mod clock;
pub mod config;
pub mod driver;
pub mod eval;
pub mod figures;
pub mod link;
pub mod notifications;
pub mod onboard;
pub mod population;
pub mod progress;
pub mod report;
pub mod rng;
pub mod run;
pub mod settlement;
mod workload;

pub use clock::SwitchClock;
pub use config::{AttackRates, SimConfig};
pub use figures::Figures;
pub use link::{Link, SimError};
pub use run::{RunError, engine_config, load_rules, run, run_in_memory, run_with, start_time};
pub use workload::Simulation;
