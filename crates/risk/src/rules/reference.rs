//! The reference evaluator: a graph compiled once by zen-engine and evaluated with its own
//! engine. zen-engine's API is async, the partition thread is not; the graphs risk runs never
//! wait on anything, so [`block_on`] polls the future once with a no-op waker (no runtime, no
//! allocation) and only if it were ever pending parks the thread until woken.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use rust_decimal::prelude::ToPrimitive;
use zen_engine::model::{DecisionContent, DecisionNodeKind};
use zen_engine::{DecisionEngine, EvaluationOptions};
use zen_expression::variable::Variable;

use super::context::{RuleContext, zen_context};
use super::value::OutValue;
use crate::decision::{TraceStep, TraceValues};

#[derive(Clone, Debug, PartialEq, Eq)]
enum StepKind {
    Table,
    /// An expression node, with its keys in order (the trace lists values in this order).
    Expression(Vec<Arc<str>>),
}

/// A graph ready for zen-engine: parsed, validated and compiled (opcode cache and table
/// indexes built) once, when the rule set is built.
#[derive(Debug)]
pub(crate) struct ReferenceGraph {
    decision: zen_engine::Decision,
    /// Node id to (name, kind) for the nodes whose work the trace shows.
    traced: HashMap<Arc<str>, (Arc<str>, StepKind)>,
}

/// What one evaluation produced.
#[derive(Debug)]
pub struct GraphRun<'a> {
    pub result: OutValue<'a>,
    pub steps: Vec<TraceStep>,
}

impl ReferenceGraph {
    pub fn new(content: Arc<DecisionContent>) -> Result<ReferenceGraph, String> {
        let traced = match content.as_graph() {
            Some(graph) => graph
                .nodes
                .iter()
                .filter_map(|node| {
                    let kind = match &node.kind {
                        DecisionNodeKind::DecisionTableNode { .. } => StepKind::Table,
                        DecisionNodeKind::ExpressionNode { content } => StepKind::Expression(
                            content
                                .expressions
                                .iter()
                                .filter(|e| !e.key.is_empty() && !e.value.is_empty())
                                .map(|e| e.key.clone())
                                .collect(),
                        ),
                        _ => return None,
                    };
                    Some((node.id.clone(), (node.name.clone(), kind)))
                })
                .collect(),
            None => return Err("the file is a policy, not a decision graph".to_owned()),
        };
        let mut decision = DecisionEngine::default()
            .create_decision(content)
            .map_err(|e| e.to_string())?;
        decision.validate().map_err(|e| e.to_string())?;
        decision.compile();
        Ok(ReferenceGraph { decision, traced })
    }

    /// Evaluates the graph; `trace` asks zen-engine for its trace (rows fired, values).
    pub fn evaluate(&self, ctx: &RuleContext<'_>, trace: bool) -> Result<GraphRun<'static>, String> {
        let options = EvaluationOptions { trace, max_depth: 5 };
        let response =
            block_on(self.decision.evaluate_with_opts(zen_context(ctx), options)).map_err(|e| e.to_string())?;
        let result = OutValue::from_variable(&response.result);
        let steps = match response.trace.as_ref().and_then(|t| t.as_graph()) {
            Some(nodes) => {
                let mut ordered: Vec<_> = nodes.values().collect();
                ordered.sort_by_key(|t| t.order);
                ordered
                    .into_iter()
                    .filter_map(|t| self.step(&t.id, t.trace_data.as_ref()))
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(GraphRun { result, steps })
    }

    fn step(&self, id: &str, data: Option<&Variable>) -> Option<TraceStep> {
        let (name, kind) = self.traced.get(id)?;
        let mut step = TraceStep {
            node: name.clone(),
            rows: Vec::new(),
            values: TraceValues::default(),
        };
        match (kind, data) {
            (StepKind::Table, Some(Variable::Array(rows))) => {
                step.rows = rows.borrow().iter().filter_map(row_index).collect();
            }
            (StepKind::Table, Some(row @ Variable::Object(_))) => {
                step.rows = row_index(row).into_iter().collect();
            }
            (StepKind::Expression(keys), Some(Variable::Object(items))) => {
                let items = items.borrow();
                for key in keys {
                    let Some(item) = items.get_str(key) else {
                        continue;
                    };
                    let value = item.dot("result").unwrap_or(Variable::Null);
                    let value = OutValue::from_variable(&value).to_json();
                    step.values.0.push((key.clone(), value));
                }
            }
            _ => {}
        }
        Some(step)
    }
}

fn row_index(row: &Variable) -> Option<u32> {
    row.dot("index")?.as_number()?.to_u32()
}

/// Runs a future to completion on this thread. See the module comment.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
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
