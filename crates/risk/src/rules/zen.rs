//! The one synchronous wrapper around zen-engine, used by the rule graphs here and by
//! onboarding's limit tables: compile a graph once ([`compile`]), evaluate it on the calling
//! thread ([`evaluate`]).
//!
//! zen-engine's API is async, the partition thread is not; the graphs iou runs (no function or
//! HTTP nodes) never wait on anything, so [`block_on`] polls the future once with a no-op waker
//! (no runtime, no allocation) and only if it were ever pending parks the thread until woken.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use zen_engine::model::DecisionContent;
use zen_engine::{Decision, DecisionEngine, DecisionGraphResponse, EvaluationOptions};
use zen_expression::variable::Variable;

/// How deep a graph may call other graphs.
const MAX_DEPTH: u8 = 5;

/// Parses, validates and compiles (opcode cache and table indexes) a graph, once.
pub fn compile(content: Arc<DecisionContent>) -> Result<Decision, String> {
    let mut decision = DecisionEngine::default()
        .create_decision(content)
        .map_err(|e| e.to_string())?;
    decision.validate().map_err(|e| e.to_string())?;
    decision.compile();
    Ok(decision)
}

/// Evaluates `decision` on `input` on this thread; `trace` asks zen-engine for its trace.
pub fn evaluate(decision: &Decision, input: Variable, trace: bool) -> Result<DecisionGraphResponse, String> {
    let options = EvaluationOptions {
        trace,
        max_depth: MAX_DEPTH,
    };
    block_on(decision.evaluate_with_opts(input, options)).map_err(|e| e.to_string())
}

/// Runs a future to completion on this thread. See the module comment.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        return output;
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A future that is pending once and wakes itself from another thread.
    struct WakeLater(bool);

    impl Future for WakeLater {
        type Output = u32;
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.0 {
                return Poll::Ready(7);
            }
            self.0 = true;
            let waker = cx.waker().clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(5));
                waker.wake();
            });
            Poll::Pending
        }
    }

    #[test]
    fn block_on_completes_ready_and_pending_futures() {
        assert_eq!(block_on(async { 3 }), 3);
        assert_eq!(block_on(WakeLater(false)), 7);
    }
}
