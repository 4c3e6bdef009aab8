//! The iou crate's one integration-test binary: runs the built `iou` command end to end, one
//! submodule per subcommand under `tests/cli/` (a crate root's `mod x;` would look for
//! `tests/x.rs`, hence the paths), and `layering` and `module_loops`: the workspace's dependency rules
//! between crates and between the modules of one crate.

#[path = "cli/audit.rs"]
mod audit;
#[path = "cli/backtest.rs"]
mod backtest;
#[path = "cli/backtest_model.rs"]
mod backtest_model;
#[path = "cli/bench.rs"]
mod bench;
#[path = "cli/bureau_file.rs"]
mod bureau_file;
#[path = "cli/cases.rs"]
mod cases;
#[path = "cli/child.rs"]
mod child;
#[path = "cli/cluster.rs"]
mod cluster;
#[path = "cli/crash.rs"]
mod crash;
#[path = "cli/demo.rs"]
mod demo;
#[path = "cli/errors.rs"]
mod errors;
#[path = "cli/events.rs"]
mod events;
#[path = "cli/journal.rs"]
mod journal;
#[path = "cli/keys.rs"]
mod keys;
#[path = "cli/layering.rs"]
mod layering;
#[path = "cli/module_loops.rs"]
mod module_loops;
#[path = "cli/plan.rs"]
mod plan;
#[path = "cli/score.rs"]
mod score;
#[path = "cli/serve.rs"]
mod serve;
#[path = "cli/settle.rs"]
mod settle;
#[path = "cli/simulate_http.rs"]
mod simulate_http;
#[path = "cli/theft.rs"]
mod theft;
