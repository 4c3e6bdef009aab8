//! [`Simulation`]: simulation mode's state, the hand-moved clock the server runs on.

use std::sync::Arc;

use engine::ManualClock;

/// The mode's state: the manual clock the server runs on.
#[derive(Debug)]
pub struct Simulation {
    pub clock: Arc<ManualClock>,
}
