//! [`RuleSet`]: a live graph (and optionally a shadow graph) for every checkpoint, built from
//! `(name, json)` pairs and never changed afterwards; [`RuleSetCell`]: the atomic pointer the
//! shell swaps a new set into on hot reload. A reader holds one `Arc<RuleSet>` for a whole
//! evaluation, so it never sees half of two versions.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::context::RuleContext;
use super::graph::{CompiledGraph, GraphError, Verdict};
use crate::checkpoint::Checkpoint;
use crate::decision::{Evaluator, ShadowOutcome};

/// Which evaluator a rule set uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EvaluatorChoice {
    /// The fast path for every graph it supports, zen-engine for the rest.
    #[default]
    Auto,
    /// zen-engine for every graph (to compare, or to rule the fast path out).
    ReferenceOnly,
}

/// Why a set of graph files cannot become a rule set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    #[error("{0:?} is not a checkpoint graph name (expected <checkpoint> or <checkpoint>.shadow)")]
    UnknownName(String),
    #[error("graph {0} is given twice")]
    Duplicate(String),
    #[error("no live graph for checkpoint {0}")]
    Missing(&'static str),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

#[derive(Debug)]
struct Slot {
    live: CompiledGraph,
    shadow: Option<CompiledGraph>,
}

/// A complete, immutable set of checkpoint graphs.
#[derive(Debug)]
pub struct RuleSet {
    slots: Vec<Slot>,
    choice: EvaluatorChoice,
}

/// The live verdict and, if a shadow graph exists, what it would have said.
#[derive(Clone, Debug, PartialEq)]
pub struct RulesOutcome {
    pub live: Verdict,
    pub live_version: crate::decision::RulesVersion,
    pub shadow: Option<ShadowOutcome>,
}

impl RuleSet {
    /// Builds a rule set from `(name, json)` pairs: `name` is `<checkpoint>` for the live graph
    /// and `<checkpoint>.shadow` for a shadow (a `.json` suffix is ignored). Every checkpoint
    /// needs a live graph.
    pub fn from_sources<N, J>(
        sources: impl IntoIterator<Item = (N, J)>,
        choice: EvaluatorChoice,
    ) -> Result<RuleSet, RuleSetError>
    where
        N: AsRef<str>,
        J: AsRef<str>,
    {
        let mut live: Vec<Option<CompiledGraph>> = Checkpoint::ALL.iter().map(|_| None).collect();
        let mut shadow: Vec<Option<CompiledGraph>> = Checkpoint::ALL.iter().map(|_| None).collect();
        for (name, json) in sources {
            let name = name.as_ref();
            let stem = name.strip_suffix(".json").unwrap_or(name);
            let (base, is_shadow) = match stem.strip_suffix(".shadow") {
                Some(base) => (base, true),
                None => (stem, false),
            };
            let checkpoint = Checkpoint::from_name(base).ok_or_else(|| RuleSetError::UnknownName(name.to_owned()))?;
            let slot = match is_shadow {
                true => &mut shadow[checkpoint.index()],
                false => &mut live[checkpoint.index()],
            };
            if slot.is_some() {
                return Err(RuleSetError::Duplicate(stem.to_owned()));
            }
            *slot = Some(CompiledGraph::compile(stem, base, json.as_ref())?);
        }
        let slots = Checkpoint::ALL
            .into_iter()
            .zip(live.into_iter().zip(shadow))
            .map(|(checkpoint, (live, shadow))| match live {
                Some(live) => Ok(Slot { live, shadow }),
                None => Err(RuleSetError::Missing(checkpoint.name())),
            })
            .collect::<Result<_, _>>()?;
        Ok(RuleSet { slots, choice })
    }

    /// The live graph of `checkpoint`.
    pub fn live(&self, checkpoint: Checkpoint) -> &CompiledGraph {
        &self.slots[checkpoint.index()].live
    }

    /// The shadow graph of `checkpoint`, if any.
    pub fn shadow(&self, checkpoint: Checkpoint) -> Option<&CompiledGraph> {
        self.slots[checkpoint.index()].shadow.as_ref()
    }

    pub fn choice(&self) -> EvaluatorChoice {
        self.choice
    }

    /// Evaluates the live graph of the context's checkpoint, and its shadow if there is one.
    /// The shadow's answer is returned beside the live one and changes nothing in it.
    pub fn evaluate(&self, ctx: &RuleContext<'_>) -> RulesOutcome {
        let slot = &self.slots[ctx.input.checkpoint().index()];
        let evaluator = match self.choice {
            EvaluatorChoice::Auto => None,
            EvaluatorChoice::ReferenceOnly => Some(Evaluator::Reference),
        };
        let live = slot.live.verdict(ctx, evaluator);
        let shadow = slot.shadow.as_ref().map(|graph| {
            let verdict = graph.verdict(ctx, evaluator);
            ShadowOutcome {
                outcome: verdict.outcome,
                reasons: verdict.reasons,
                rules_version: graph.version().clone(),
                trace: verdict.trace,
            }
        });
        RulesOutcome {
            live,
            live_version: slot.live.version().clone(),
            shadow,
        }
    }

    /// Every graph in the set with the evaluator it runs on, and why not the fast path when
    /// it does not (what an operator reads after a reload).
    pub fn report(&self) -> Vec<(String, Evaluator, Option<String>)> {
        self.slots
            .iter()
            .flat_map(|slot| std::iter::once(&slot.live).chain(slot.shadow.as_ref()))
            .map(|graph| {
                let evaluator = match self.choice {
                    EvaluatorChoice::Auto => graph.preferred_evaluator(),
                    EvaluatorChoice::ReferenceOnly => Evaluator::Reference,
                };
                (
                    graph.version().to_string(),
                    evaluator,
                    graph.fast_unsupported().map(str::to_owned),
                )
            })
            .collect()
    }
}

// A rule set is shared by every partition thread.
const _: fn() = || {
    fn shared_across_threads<T: Send + Sync>() {}
    shared_across_threads::<RuleSet>();
};

/// The current rule set, swapped atomically on hot reload. Readers `load` an `Arc` and use it
/// for a whole evaluation (or batch); a writer `store`s a complete new set.
#[derive(Debug)]
pub struct RuleSetCell {
    current: ArcSwap<RuleSet>,
}

impl RuleSetCell {
    pub fn new(rules: Arc<RuleSet>) -> RuleSetCell {
        RuleSetCell {
            current: ArcSwap::new(rules),
        }
    }

    pub fn load(&self) -> Arc<RuleSet> {
        self.current.load_full()
    }

    /// Replaces the set; returns the previous one.
    pub fn store(&self, rules: Arc<RuleSet>) -> Arc<RuleSet> {
        self.current.swap(rules)
    }
}
