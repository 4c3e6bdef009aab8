//! The reference evaluator: a graph compiled once by zen-engine and evaluated with its own
//! engine, synchronously, through [`super::zen`].

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::prelude::ToPrimitive;
use zen_engine::model::{DecisionContent, DecisionNodeKind};
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
        let decision = super::zen::compile(content)?;
        Ok(ReferenceGraph { decision, traced })
    }

    /// Evaluates the graph; `trace` asks zen-engine for its trace (rows fired, values).
    pub fn evaluate(&self, ctx: &RuleContext<'_>, trace: bool) -> Result<GraphRun<'static>, String> {
        let response = super::zen::evaluate(&self.decision, zen_context(ctx), trace)?;
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
