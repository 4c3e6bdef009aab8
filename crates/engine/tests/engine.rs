//! The engine's integration tests, one module per concern under `tests/engine/`: requests
//! through partitions and group commit (`flows`), recovery from the journal and snapshots,
//! idempotency across restarts and storage failure (`durability`), back-pressure and
//! concurrent authorizations on one line (`concurrency`), risk decisions (`with_risk`),
//! monitoring and theft (`monitoring`), payments held for review (`held_payments`), credit applications and line openings (`applications`),
//! funding (`funding`), merchant settlement (`settlement`), the commit observer and gauges (`observe`), live state equal to
//! replayed state under random command sequences on a clock with nanoseconds (`replay`), the
//! daily advance of a large partition in slices (`statement_day`), risk features restored from
//! a feature snapshot equal to a full rebuild (`feature_snapshots`).

#[path = "engine/applications.rs"]
mod applications;
#[path = "engine/concurrency.rs"]
mod concurrency;
#[path = "engine/durability.rs"]
mod durability;
#[path = "engine/feature_snapshots.rs"]
mod feature_snapshots;
#[path = "engine/flows.rs"]
mod flows;
#[path = "engine/fraud_model.rs"]
mod fraud_model;
#[path = "engine/funding.rs"]
mod funding;
#[path = "engine/harness.rs"]
mod harness;
#[path = "engine/held_payments.rs"]
mod held_payments;
#[path = "engine/monitoring.rs"]
mod monitoring;
#[path = "engine/observe.rs"]
mod observe;
#[path = "engine/replay.rs"]
mod replay;
#[path = "engine/risk_links.rs"]
mod risk_links;
#[path = "engine/settlement.rs"]
mod settlement;
#[path = "engine/statement_day.rs"]
mod statement_day;
#[path = "engine/with_risk.rs"]
mod with_risk;
#[path = "engine/risk_support.rs"]
pub mod with_risk_support;

use harness::{Harness, applied, config, start_at};
