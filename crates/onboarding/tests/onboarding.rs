//! The onboarding crate's integration tests: the application flow end to end through an
//! in-process engine (memory store, shipped risk rules, manual clock) and the identity
//! simulators; the limit tables over tables of inputs; limits over time; the store; the
//! population generator.

#[path = "onboarding/harness.rs"]
mod harness;

#[path = "onboarding/blind_index.rs"]
mod blind_index;
#[path = "onboarding/flow.rs"]
mod flow;
#[path = "onboarding/limits.rs"]
mod limits;
#[path = "onboarding/population.rs"]
mod population;
#[path = "onboarding/review.rs"]
mod review;
#[path = "onboarding/store.rs"]
mod store;
#[path = "onboarding/tables.rs"]
mod tables;
