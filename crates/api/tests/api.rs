//! The API's black-box tests: each starts the real server on 127.0.0.1:0 with a fresh data
//! directory and a clock the test moves, and talks to it over HTTP with reqwest. One module per
//! concern under `tests/api/`.

#[path = "api/applications.rs"]
mod applications;
#[path = "api/archive.rs"]
mod archive;
#[path = "api/attackers.rs"]
mod attackers;
#[path = "api/auth.rs"]
mod auth;
#[path = "api/backtests.rs"]
mod backtests;
#[path = "api/busy.rs"]
mod busy;
#[path = "api/campaigns.rs"]
mod campaigns;
#[path = "api/casework.rs"]
mod casework;
#[path = "api/collections.rs"]
mod collections;
#[path = "api/concurrency.rs"]
mod concurrency;
#[path = "api/console.rs"]
mod console;
#[path = "api/customer360.rs"]
mod customer360;
#[path = "api/edge.rs"]
mod edge;
#[path = "api/edge_policy.rs"]
mod edge_policy;
#[path = "api/emergency.rs"]
mod emergency;
#[path = "api/evidence.rs"]
mod evidence;
#[path = "api/figures.rs"]
mod figures;
#[path = "api/four_eyes.rs"]
mod four_eyes;
#[path = "api/funding.rs"]
mod funding;
#[path = "api/harness.rs"]
mod harness;
#[path = "api/held_payments.rs"]
mod held_payments;
#[path = "api/idempotency.rs"]
mod idempotency;
#[path = "api/interception.rs"]
mod interception;
#[path = "api/isolation.rs"]
mod isolation;
#[path = "api/journey.rs"]
mod journey;
#[path = "api/limit_requests.rs"]
mod limit_requests;
#[path = "api/merchant_payouts.rs"]
mod merchant_payouts;
#[path = "api/merchant_tiers.rs"]
mod merchant_tiers;
#[path = "api/metrics.rs"]
mod metrics;
#[path = "api/notifications.rs"]
mod notifications;
#[path = "api/once.rs"]
mod once;
#[path = "api/openapi.rs"]
mod openapi;
#[path = "api/operators.rs"]
mod operators;
#[path = "api/payment_codes.rs"]
mod payment_codes;
#[path = "api/privacy.rs"]
mod privacy;
#[path = "api/risk.rs"]
mod risk;
#[path = "api/risk_support.rs"]
mod risk_support;
#[path = "api/root_checker.rs"]
mod root_checker;
#[path = "api/settlement.rs"]
mod settlement;
#[path = "api/simulation.rs"]
mod simulation;
#[path = "api/start.rs"]
mod start;
#[path = "api/statements.rs"]
mod statements;
#[path = "api/theft.rs"]
mod theft;
#[path = "api/validation.rs"]
mod validation;
