//! Rules as data: one GoRules JDM decision graph per checkpoint (plus optional shadows),
//! evaluated by zen-engine (the reference) or by the compiled fast path that gives the same
//! answers. The graph contract (context fields in, `{outcome, reasons, challenge}` out) is
//! documented in `rules/README.md` at the top of the repository.

mod context;
mod fast;
mod graph;
mod named;
mod output;
mod reference;
mod set;
mod value;
pub mod zen;

pub use context::{RuleContext, field_paths};
pub use graph::{CompiledGraph, GraphError, ModelUse, RunError, Verdict};
pub use named::{FieldValue, NamedField, read_all};
pub use output::OutputError;
pub use reference::GraphRun;
pub use set::{EvaluatorChoice, RuleSet, RuleSetCell, RuleSetError, RulesOutcome};
pub use value::OutValue;
