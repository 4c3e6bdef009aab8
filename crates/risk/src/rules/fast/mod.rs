//! The fast evaluator: a JDM graph compiled once into registers and typed expressions, giving
//! zen-engine's answer (tested on every default graph over hundreds of inputs) without building
//! a JSON context or walking a graph per request.
//!
//! Supported graphs are chains: one input node, then expression and decision-table nodes, one
//! after the other, then one output node (no switch, function or sub-decision nodes, no input or
//! output schema, no `inputField`, no loop mode; `passThrough` and `outputPath` are supported).
//! [`FastGraph::compile`] says why a graph is not supported; such a graph runs on zen-engine.

mod eval;
mod expr;
mod shape;
mod table;

use std::collections::HashMap;
use std::sync::Arc;

use zen_engine::model::{
    DecisionNode, DecisionNodeKind, ExpressionNodeContent, GraphContent, TransformAttributes, TransformExecutionMode,
};

use super::context::{RuleContext, fields};
use super::reference::GraphRun;
use super::value::{OutValue, Val};
use crate::decision::{TraceStep, TraceValues};
use expr::{Dollar, Env, Expr, Grammar, compile};
use shape::{Registers, Shape, Source};
use table::{Table, TableSink};

/// Why the fast path does not run a graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unsupported(pub String);

#[derive(Debug)]
struct ExprNode {
    name: Arc<str>,
    /// (key, expression, register) in order.
    items: Vec<(Arc<str>, Expr, u16)>,
}

#[derive(Debug)]
enum Step {
    Expression(ExprNode),
    Table(Table),
}

/// How to build the result from registers and lists.
#[derive(Debug)]
enum OutSpec {
    Object(Vec<(Arc<str>, OutSpec)>),
    Reg(u16),
    List(u16),
}

/// A graph compiled for the fast path.
#[derive(Debug)]
pub(crate) struct FastGraph {
    registers: usize,
    lists: usize,
    inputs: Vec<(u16, usize)>,
    steps: Vec<Step>,
    output: OutSpec,
}

impl FastGraph {
    pub fn compile(graph: &GraphContent) -> Result<FastGraph, Unsupported> {
        let chain = chain(graph)?;
        let mut regs = Registers::default();
        let mut shape = Shape::context();
        let mut steps = Vec::new();
        for (position, node) in chain.iter().enumerate() {
            let last = position + 1 == chain.len();
            let (step, next) = match &node.kind {
                DecisionNodeKind::ExpressionNode { content } => expression_node(node, content, &shape, &mut regs)?,
                DecisionNodeKind::DecisionTableNode { content } => {
                    let attrs = &content.transform_attributes;
                    check_attributes(attrs)?;
                    let mut next = output_base(attrs, &shape);
                    let sink = TableSink {
                        shape: &mut next,
                        prefix: attrs.output_path.as_deref(),
                        allow_collect: last && !attrs.pass_through && attrs.output_path.is_none(),
                    };
                    let table = Table::compile(node.name.clone(), content, &shape, &mut regs, sink)?;
                    (Step::Table(table), next)
                }
                _ => return Err(Unsupported(format!("node {:?} kind", node.name))),
            };
            steps.push(step);
            shape = next;
        }
        let output = out_spec(&shape, &mut regs)?;
        Ok(FastGraph {
            registers: regs.types.len(),
            lists: usize::from(regs.lists),
            inputs: regs.inputs,
            steps,
            output,
        })
    }

    /// Evaluates the graph. Fails (with the node's name) where zen-engine would fail.
    pub fn evaluate<'p>(&'p self, ctx: &RuleContext<'_>) -> Result<GraphRun<'p>, String> {
        let mut regs: Vec<Val<'p>> = vec![Val::Null; self.registers];
        let fields = fields();
        for &(reg, field) in &self.inputs {
            regs[usize::from(reg)] = (fields[field].get)(ctx);
        }
        let mut lists: Vec<Option<Vec<Val<'p>>>> = vec![None; self.lists];
        let mut trace = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            match step {
                Step::Expression(node) => {
                    let mut values = Vec::with_capacity(node.items.len());
                    for (key, expr, reg) in &node.items {
                        let value = expr
                            .eval(&regs)
                            .map_err(|_| format!("node {:?}: expression {key:?} failed", node.name))?;
                        regs[usize::from(*reg)] = value;
                        values.push((key.clone(), value.to_json()));
                    }
                    let values = TraceValues(values);
                    trace.push(TraceStep {
                        node: node.name.clone(),
                        rows: Vec::new(),
                        values,
                    });
                }
                Step::Table(table) => trace.push(TraceStep {
                    node: table.name.clone(),
                    rows: table.eval(&mut regs, &mut lists),
                    values: TraceValues::default(),
                }),
            }
        }
        Ok(GraphRun {
            result: build(&self.output, &regs, &lists),
            steps: trace,
        })
    }
}

/// The nodes between the input and the output node, in order; refuses any other shape.
fn chain(graph: &GraphContent) -> Result<Vec<&DecisionNode>, Unsupported> {
    let by_id: HashMap<&str, &DecisionNode> = graph.nodes.iter().map(|n| (n.id.as_ref(), n.as_ref())).collect();
    let mut next: HashMap<&str, &str> = HashMap::new();
    let mut has_incoming: HashMap<&str, ()> = HashMap::new();
    for edge in &graph.edges {
        if edge.source_handle.as_deref().is_some_and(|h| !h.is_empty()) {
            return Err(Unsupported("edges with handles (switch nodes)".to_owned()));
        }
        if next.insert(&edge.source_id, &edge.target_id).is_some() || has_incoming.insert(&edge.target_id, ()).is_some()
        {
            return Err(Unsupported("a node with two inputs or two outputs".to_owned()));
        }
    }
    let inputs: Vec<_> = graph
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, DecisionNodeKind::InputNode { .. }))
        .collect();
    let [input] = inputs.as_slice() else {
        return Err(Unsupported("not exactly one input node".to_owned()));
    };
    if let DecisionNodeKind::InputNode { content } = &input.kind
        && content.schema.is_some()
    {
        return Err(Unsupported("input schema".to_owned()));
    }
    let mut ordered = Vec::new();
    let mut current: &str = &input.id;
    loop {
        let Some(target) = next.get(current) else {
            return Err(Unsupported("the chain does not reach an output node".to_owned()));
        };
        let node = by_id
            .get(target)
            .ok_or_else(|| Unsupported(format!("edge to missing node {target:?}")))?;
        if let DecisionNodeKind::OutputNode { content } = &node.kind {
            if content.schema.is_some() {
                return Err(Unsupported("output schema".to_owned()));
            }
            break;
        }
        if ordered.len() > graph.nodes.len() {
            return Err(Unsupported("a cycle".to_owned()));
        }
        ordered.push(*node);
        current = target;
    }
    if ordered.len() + 2 != graph.nodes.len() {
        return Err(Unsupported("nodes outside the input-to-output chain".to_owned()));
    }
    Ok(ordered)
}

fn check_attributes(attrs: &TransformAttributes) -> Result<(), Unsupported> {
    if attrs.input_field.is_some() {
        return Err(Unsupported("inputField".to_owned()));
    }
    if attrs.execution_mode != TransformExecutionMode::Single {
        return Err(Unsupported("loop execution mode".to_owned()));
    }
    Ok(())
}

/// What a node's output starts from: its input when it passes it through, else nothing.
fn output_base(attrs: &TransformAttributes, input: &Shape) -> Shape {
    if attrs.pass_through {
        input.clone()
    } else {
        Shape::empty()
    }
}

fn expression_node(
    node: &DecisionNode,
    content: &ExpressionNodeContent,
    shape: &Shape,
    regs: &mut Registers,
) -> Result<(Step, Shape), Unsupported> {
    let attrs = &content.transform_attributes;
    check_attributes(attrs)?;
    let mut next = output_base(attrs, shape);
    let mut keys: HashMap<String, u16> = HashMap::new();
    let mut items = Vec::new();
    for expression in content.expressions.iter() {
        if expression.key.is_empty() || expression.value.is_empty() {
            continue;
        }
        let dollar = Dollar::Keys(keys.clone());
        let mut env = Env {
            shape,
            regs,
            dollar: &dollar,
        };
        let (expr, ty) = compile(&expression.value, Grammar::Standard, &mut env)?;
        let reg = regs.new_reg(ty)?;
        if keys.insert(expression.key.to_string(), reg).is_some() {
            return Err(Unsupported(format!("key {:?} twice", expression.key)));
        }
        let path = match attrs.output_path.as_deref() {
            Some(prefix) => format!("{prefix}.{}", expression.key),
            None => expression.key.to_string(),
        };
        next.insert(path, Source::Reg(reg))?;
        items.push((expression.key.clone(), expr, reg));
    }
    let step = Step::Expression(ExprNode {
        name: node.name.clone(),
        items,
    });
    Ok((step, next))
}

fn out_spec(shape: &Shape, regs: &mut Registers) -> Result<OutSpec, Unsupported> {
    let mut root = OutSpec::Object(Vec::new());
    for (path, source) in shape.all() {
        let leaf = match source {
            Source::Field(field) => OutSpec::Reg(regs.for_field(field)?),
            Source::Reg(reg) => OutSpec::Reg(reg),
            Source::List(list) => OutSpec::List(list),
        };
        let mut node = &mut root;
        let parts: Vec<&str> = path.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let OutSpec::Object(children) = node else {
                return Err(Unsupported(format!("output path {path:?} under a value")));
            };
            let position = match children.iter().position(|(k, _)| k.as_ref() == *part) {
                Some(p) => p,
                None => {
                    children.push((Arc::from(*part), OutSpec::Object(Vec::new())));
                    children.len() - 1
                }
            };
            if i + 1 == parts.len() {
                children[position].1 = leaf;
                break;
            }
            node = &mut children[position].1;
        }
    }
    Ok(root)
}

fn build<'p>(spec: &'p OutSpec, regs: &[Val<'p>], lists: &[Option<Vec<Val<'p>>>]) -> OutValue<'p> {
    match spec {
        OutSpec::Reg(reg) => OutValue::from_val(regs[usize::from(*reg)]),
        OutSpec::List(list) => match &lists[usize::from(*list)] {
            Some(items) => OutValue::Array(items.iter().map(|v| OutValue::from_val(*v)).collect()),
            None => OutValue::Null,
        },
        OutSpec::Object(children) => OutValue::Object(
            children
                .iter()
                .map(|(k, child)| (std::borrow::Cow::Borrowed(k.as_ref()), build(child, regs, lists)))
                .collect(),
        ),
    }
}
