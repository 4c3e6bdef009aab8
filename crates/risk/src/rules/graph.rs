//! [`CompiledGraph`]: one JDM graph, parsed and compiled once for both evaluators, with its
//! version; and [`Verdict`], what evaluating it means for a decision.

use std::sync::Arc;

use serde::Deserialize;
use zen_engine::model::DecisionContent;

use super::context::RuleContext;
use super::fast::FastGraph;
use super::output::parse_output;
use super::reference::{GraphRun, ReferenceGraph};
use crate::decision::{Evaluator, Outcome, ReasonCode, RuleTrace, RulesVersion};

/// Why a graph file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("graph {name}: not valid JSON: {error}")]
    Json { name: String, error: String },
    #[error("graph {name}: needs \"metadata\": {{\"version\": <positive integer>}}: {error}")]
    Metadata { name: String, error: String },
    #[error("graph {name}: metadata names checkpoint {found:?}, the file is for {expected:?}")]
    WrongCheckpoint {
        name: String,
        expected: String,
        found: String,
    },
    #[error("graph {name}: zen-engine rejects it: {error}")]
    Invalid { name: String, error: String },
}

/// Why one evaluation did not produce a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the fast path does not support this graph: {0}")]
    Unsupported(String),
    #[error("evaluation failed: {0}")]
    Failed(String),
}

#[derive(Deserialize)]
struct Header {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    version: std::num::NonZeroU32,
    #[serde(default)]
    checkpoint: Option<String>,
    /// Whether this graph reads the fraud model's score: `"live"` does; absent or `"shadow"`,
    /// the engine still scores and journals the model but the graph sees `models.fraud_score`
    /// null. Promoting the model is a rule-set change (four-eyes, audited) that sets `"live"`.
    #[serde(default)]
    fraud_model: ModelUse,
}

/// How a graph uses a model's score (`metadata.fraud_model`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelUse {
    /// Scored and journaled beside the decision; the graph does not see it.
    #[default]
    Shadow,
    /// The graph reads the score.
    Live,
}

/// A graph ready to evaluate: zen-engine's compiled decision, and the fast path's compiled form
/// when the graph is within what the fast path supports.
#[derive(Debug)]
pub struct CompiledGraph {
    version: RulesVersion,
    fraud_model: ModelUse,
    reference: ReferenceGraph,
    fast: Result<FastGraph, String>,
}

/// What a graph decided, ready for a [`crate::Decision`].
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reasons: Vec<ReasonCode>,
    pub trace: RuleTrace,
}

impl CompiledGraph {
    /// Parses and compiles `json`, the graph for checkpoint (or shadow) `name`, whose base
    /// checkpoint name is `checkpoint`.
    pub fn compile(name: &str, checkpoint: &str, json: &str) -> Result<CompiledGraph, GraphError> {
        let header: Header = serde_json::from_str(json).map_err(|e| GraphError::Metadata {
            name: name.to_owned(),
            error: e.to_string(),
        })?;
        if let Some(found) = header.metadata.checkpoint.filter(|c| c != checkpoint) {
            return Err(GraphError::WrongCheckpoint {
                name: name.to_owned(),
                expected: checkpoint.to_owned(),
                found,
            });
        }
        let content: DecisionContent = serde_json::from_str(json).map_err(|e| GraphError::Json {
            name: name.to_owned(),
            error: e.to_string(),
        })?;
        let content = Arc::new(content);
        let fast = match content.as_graph() {
            Some(graph) => FastGraph::compile(graph).map_err(|u| u.0),
            None => Err("not a graph".to_owned()),
        };
        let reference = ReferenceGraph::new(content).map_err(|error| GraphError::Invalid {
            name: name.to_owned(),
            error,
        })?;
        Ok(CompiledGraph {
            version: RulesVersion {
                graph: Arc::from(name),
                version: header.metadata.version.get(),
                digest: Arc::from(format!("{:016x}", fnv1a64(json.as_bytes()))),
            },
            fraud_model: header.metadata.fraud_model,
            reference,
            fast,
        })
    }

    pub fn version(&self) -> &RulesVersion {
        &self.version
    }

    /// Whether the graph reads the fraud model's score (`metadata.fraud_model`).
    pub fn fraud_model(&self) -> ModelUse {
        self.fraud_model
    }

    /// The evaluator [`CompiledGraph::verdict`] uses when allowed to choose.
    pub fn preferred_evaluator(&self) -> Evaluator {
        match self.fast {
            Ok(_) => Evaluator::Fast,
            Err(_) => Evaluator::Reference,
        }
    }

    /// Why the fast path does not run this graph, if it does not.
    pub fn fast_unsupported(&self) -> Option<&str> {
        self.fast.as_ref().err().map(String::as_str)
    }

    /// Runs one evaluator and returns its raw result and trace steps.
    pub fn run(&self, ctx: &RuleContext<'_>, evaluator: Evaluator) -> Result<GraphRun<'_>, RunError> {
        match evaluator {
            Evaluator::Reference => self.reference.evaluate(ctx, true).map_err(RunError::Failed),
            Evaluator::Fast => match &self.fast {
                Ok(fast) => fast.evaluate(ctx).map_err(RunError::Failed),
                Err(why) => Err(RunError::Unsupported(why.clone())),
            },
        }
    }

    /// zen-engine without its trace (its fastest mode), for benchmarks and tests.
    pub fn run_reference_untraced(&self, ctx: &RuleContext<'_>) -> Result<GraphRun<'_>, RunError> {
        self.reference.evaluate(ctx, false).map_err(RunError::Failed)
    }

    /// Evaluates with `evaluator` (or the fast path when it supports the graph and
    /// `evaluator` is `None`) and applies the output contract. A failure or a broken contract
    /// gives review with `RULES_ERROR` and the cause in the trace.
    pub fn verdict(&self, ctx: &RuleContext<'_>, evaluator: Option<Evaluator>) -> Verdict {
        let evaluator = evaluator.unwrap_or(self.preferred_evaluator());
        let failed = |error: String, steps| Verdict {
            outcome: Outcome::Review,
            reasons: vec![ReasonCode::RULES_ERROR],
            trace: RuleTrace {
                evaluator,
                steps,
                error: Some(error),
            },
        };
        let run = match self.run(ctx, evaluator) {
            Ok(run) => run,
            Err(e) => return failed(e.to_string(), Vec::new()),
        };
        match parse_output(&run.result) {
            Ok(output) => Verdict {
                outcome: output.outcome,
                reasons: output.reasons,
                trace: RuleTrace {
                    evaluator,
                    steps: run.steps,
                    error: None,
                },
            },
            Err(e) => failed(format!("output contract: {e}"), run.steps),
        }
    }
}

/// FNV-1a, 64 bits: a stable digest of a graph's text (not a security measure).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped login graph with `metadata` in place of its own.
    fn graph(metadata: &str) -> String {
        let mut graph: serde_json::Value = serde_json::from_str(include_str!("../../../../rules/login.json")).unwrap();
        graph["metadata"] = serde_json::from_str(metadata).unwrap();
        graph.to_string()
    }

    #[test]
    fn a_graph_reads_the_fraud_model_only_when_its_metadata_says_live() {
        let use_of =
            |metadata: &str| CompiledGraph::compile("login", "login", &graph(metadata)).map(|g| g.fraud_model());
        assert_eq!(use_of(r#"{"version": 1}"#).unwrap(), ModelUse::Shadow, "absent: shadow");
        assert_eq!(
            use_of(r#"{"version": 1, "fraud_model": "shadow"}"#).unwrap(),
            ModelUse::Shadow
        );
        assert_eq!(
            use_of(r#"{"version": 1, "fraud_model": "live"}"#).unwrap(),
            ModelUse::Live
        );
        assert!(matches!(
            use_of(r#"{"version": 1, "fraud_model": "on"}"#),
            Err(GraphError::Metadata { .. })
        ));
    }
}
