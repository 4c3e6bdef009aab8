//! Integration tests of the risk crate: features against a naive twin, the fast evaluator
//! against zen-engine, snapshots of every checkpoint's default graph, shadows, hot swaps and
//! the decision types. Snapshots live in `tests/snapshots/`; `UPDATE_SNAPSHOTS=1` rewrites them.

#[path = "risk/common.rs"]
mod common;
#[path = "risk/decision.rs"]
mod decision;
#[path = "risk/equivalence.rs"]
mod equivalence;
#[path = "risk/features.rs"]
mod features;
#[path = "risk/naive.rs"]
mod naive;
#[path = "risk/naive_links.rs"]
mod naive_links;
#[path = "risk/rules.rs"]
mod rules;
#[path = "risk/snapshots.rs"]
mod snapshots;
