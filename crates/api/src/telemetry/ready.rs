//! Readiness: whether the server can take work now. `GET /readyz` answers 200 only when it
//! can, else 503 with the reason; `GET /healthz` stays liveness (the process answers).
//!
//! Ready means: not shutting down; the engine running (no commit failed: the store takes
//! writes; every engine thread alive, writers included); the read models caught up within
//! [`READ_MODEL_LAG_MAX`] (reads of statements, plans and cases come from them). It reads
//! atomics only: no IO, so a probe never waits on the store.

use std::time::Duration;

use crate::state::AppState;

/// How stale the read models may be while the server calls itself ready. The projector starts
/// a round at most once a second, so a server keeping up is about a second behind under load;
/// a minute behind means it is not keeping up.
pub const READ_MODEL_LAG_MAX: Duration = Duration::from_secs(60);

/// Why the server is not ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotReady {
    ShuttingDown,
    /// A commit failed: the engine stopped taking work (restart to recover from the journal).
    EngineStopped,
    /// An engine thread is not running.
    ThreadStopped(String),
    ReadModelsBehind(Duration),
}

impl NotReady {
    /// The stable reason `GET /readyz` answers.
    pub fn reason(&self) -> &'static str {
        match self {
            NotReady::ShuttingDown => "shutting_down",
            NotReady::EngineStopped => "engine_stopped",
            NotReady::ThreadStopped(_) => "engine_thread_stopped",
            NotReady::ReadModelsBehind(_) => "read_models_behind",
        }
    }

    pub fn message(&self) -> String {
        match self {
            NotReady::ShuttingDown => "the server is shutting down".to_owned(),
            NotReady::EngineStopped => {
                "the engine stopped after a failed commit or at shutdown; restart to recover from the journal"
                    .to_owned()
            }
            NotReady::ThreadStopped(name) => format!("the engine thread {name} is not running"),
            NotReady::ReadModelsBehind(behind) => format!(
                "the read models are {} s behind the journal (at most {} s while ready)",
                behind.as_secs(),
                READ_MODEL_LAG_MAX.as_secs()
            ),
        }
    }
}

/// Whether the server is ready, given the engine's gauges.
pub fn check(state: &AppState, gauges: &engine::Gauges) -> Result<(), NotReady> {
    judge(state.shutting_down(), gauges)
}

fn judge(shutting_down: bool, gauges: &engine::Gauges) -> Result<(), NotReady> {
    if shutting_down {
        return Err(NotReady::ShuttingDown);
    }
    if gauges.failed {
        return Err(NotReady::EngineStopped);
    }
    if let Some(name) = gauges.stopped_threads.first() {
        return Err(NotReady::ThreadStopped(name.clone()));
    }
    match &gauges.projection {
        Some(projection) if projection.behind > READ_MODEL_LAG_MAX => {
            Err(NotReady::ReadModelsBehind(projection.behind))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use engine::{Gauges, Projection};

    use super::{NotReady, READ_MODEL_LAG_MAX, judge};

    fn running(behind: Option<Duration>) -> Gauges {
        Gauges {
            queues: vec![0],
            committed: vec![5, 7],
            projection: behind.map(|behind| Projection {
                projected: vec![5, 6],
                behind,
            }),
            failed: false,
            stopped_threads: Vec::new(),
        }
    }

    #[test]
    fn each_reason_is_told_and_the_bound_is_inclusive() {
        assert_eq!(judge(false, &running(None)), Ok(()));
        assert_eq!(judge(false, &running(Some(READ_MODEL_LAG_MAX))), Ok(()));
        let late = READ_MODEL_LAG_MAX + Duration::from_secs(1);
        assert_eq!(
            judge(false, &running(Some(late))),
            Err(NotReady::ReadModelsBehind(late))
        );
        assert_eq!(judge(true, &running(None)), Err(NotReady::ShuttingDown));
        let failed = Gauges {
            failed: true,
            ..running(None)
        };
        assert_eq!(judge(false, &failed).map_err(|n| n.reason()), Err("engine_stopped"));
        let stopped = Gauges {
            stopped_threads: vec!["iou-writer-0".into()],
            ..running(None)
        };
        let not = judge(false, &stopped).unwrap_err();
        assert_eq!(not.reason(), "engine_thread_stopped");
        assert!(not.message().contains("iou-writer-0"), "{}", not.message());
    }
}
