//! The circuit breaker driven directly on a manual clock: a script of attempts and the state
//! after each.

use std::sync::Arc;

use identity::ManualClock;
use identity::http::{BreakerState, CircuitBreaker};

#[derive(Debug, Clone, Copy)]
enum Step {
    Success,
    Failure,
    /// try_acquire must refuse.
    Refused,
    /// Acquire and drop without reporting (a cancelled call).
    Abandon,
    Advance(u64),
}

use BreakerState::{Closed, HalfOpen, Open};
use Step::{Abandon, Advance, Failure, Refused, Success};

/// Threshold 3, open for 1,000 ms: each step and the state after it.
const SCRIPT: &[(Step, BreakerState)] = &[
    (Failure, Closed),
    (Failure, Closed),
    (Success, Closed), // a success resets the count
    (Failure, Closed),
    (Failure, Closed),
    (Failure, Open), // third consecutive failure
    (Refused, Open),
    (Advance(999), Open),
    (Refused, Open),
    (Advance(1), Open),
    (Failure, Open), // the half-open probe fails: open again for a full cool-down
    (Advance(999), Open),
    (Refused, Open),
    (Advance(1), Open),
    (Abandon, Open), // a cancelled probe lets the next call probe at once
    (Success, Closed),
    (Failure, Closed),
    (Failure, Closed),
    (Failure, Open),
];

#[test]
fn follows_the_script() {
    let clock = Arc::new(ManualClock::new(10_000));
    let breaker = CircuitBreaker::new(3, 1_000, clock.clone());
    for (i, &(step, after)) in SCRIPT.iter().enumerate() {
        match step {
            Success => breaker.try_acquire().expect("permit").success(),
            Failure => breaker.try_acquire().expect("permit").failure(),
            Refused => assert!(breaker.try_acquire().is_none(), "step {i}"),
            Abandon => drop(breaker.try_acquire().expect("permit")),
            Advance(ms) => clock.advance_ms(ms),
        }
        assert_eq!(breaker.state(), after, "after step {i}: {step:?}");
    }
}

#[test]
fn half_open_admits_one_probe_and_stragglers_do_not_decide() {
    let clock = Arc::new(ManualClock::new(0));
    let breaker = CircuitBreaker::new(1, 100, clock.clone());
    let straggler = breaker.try_acquire().unwrap();
    breaker.try_acquire().unwrap().failure();
    assert_eq!(breaker.state(), Open);
    clock.advance_ms(100);
    let probe = breaker.try_acquire().expect("the probe");
    assert_eq!(breaker.state(), HalfOpen);
    assert!(breaker.try_acquire().is_none(), "only one probe at a time");
    // A success from before the circuit opened must not close it.
    straggler.success();
    assert_eq!(breaker.state(), HalfOpen);
    probe.success();
    assert_eq!(breaker.state(), Closed);
}
