//! [`SwitchClock`]: the engine's clock during a simulation and after it. Manual while the
//! simulator moves it day by day, then switched to the machine's clock so the demo's server
//! keeps running in real time on the state the simulation left.

use std::sync::Mutex;

use jiff::Timestamp;

#[derive(Debug)]
pub struct SwitchClock {
    /// `Some`: the manual time; `None`: the system clock.
    manual: Mutex<Option<Timestamp>>,
}

impl SwitchClock {
    /// A clock that stands at `at` until moved or switched.
    pub fn manual(at: Timestamp) -> SwitchClock {
        SwitchClock {
            manual: Mutex::new(Some(at)),
        }
    }

    /// Moves the manual clock (ignored once switched to the system clock).
    pub fn set(&self, at: Timestamp) {
        let mut manual = self.manual.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if manual.is_some() {
            *manual = Some(at);
        }
    }

    /// From now on, the machine's clock.
    pub fn switch_to_system(&self) {
        *self.manual.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    pub fn is_manual(&self) -> bool {
        self.manual
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }
}

impl engine::Clock for SwitchClock {
    fn now(&self) -> Timestamp {
        self.manual
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or_else(Timestamp::now)
    }
}

#[cfg(test)]
mod tests {
    use engine::Clock;

    use super::*;

    #[test]
    fn manual_until_switched_then_the_system_clock() {
        let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let clock = SwitchClock::manual(start);
        assert_eq!(clock.now(), start);
        let later: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
        clock.set(later);
        assert_eq!(clock.now(), later);
        clock.switch_to_system();
        clock.set(start);
        assert!(!clock.is_manual());
        assert!(
            clock.now() > later,
            "the system clock is past 2026-02 on any machine running this"
        );
    }
}
