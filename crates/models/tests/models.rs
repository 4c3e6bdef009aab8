//! The `models` crate's integration tests: every shipped model scored in Rust against the
//! Python libraries' own outputs on every row of its data set, reason-code snapshots, the split
//! rules on hand-made trees, and the rejections of bad files, columns and cells.

#[path = "models/errors.rs"]
mod errors;
#[path = "models/oracle.rs"]
mod oracle;
#[path = "models/reasons.rs"]
mod reasons;
#[path = "models/support.rs"]
mod support;
#[path = "models/tree_rules.rs"]
mod tree_rules;
