//! The credit core's integration tests: scenario files with hand-computed expectations
//! (including rejection precedence), and a seeded model-based simulation with invariant checks,
//! determinism, journal replay and snapshot round trips.

mod credit {
    pub mod advance_slices;
    pub mod scenario;
    pub mod simulation;
}
