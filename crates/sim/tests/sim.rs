//! The simulator's integration tests: reproducibility, the auditor (clean on a real run, and
//! able to fail), the report and the JSON figures, merchant settlement's identity, and what a small run exercises.

#[path = "sim/applicants.rs"]
mod applicants;
#[path = "sim/auditor.rs"]
mod auditor;
#[path = "sim/common.rs"]
mod common;
#[path = "sim/determinism.rs"]
mod determinism;
#[path = "sim/families.rs"]
mod families;
#[path = "sim/notifications.rs"]
mod notifications;
#[path = "sim/report.rs"]
mod report;
#[path = "sim/settlement.rs"]
mod settlement;
#[path = "sim/workload.rs"]
mod workload;
