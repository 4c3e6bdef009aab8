//! The handlers, one module per resource; [`crate::http::router`] puts them together.

pub mod api_keys;
pub mod applications;
pub mod audit;
pub mod cases;
pub mod checkpoints;
pub mod customers;
pub mod docs;
pub mod emergency;
pub mod exemptions;
pub mod identity;
pub mod monitoring;
pub mod operator;
pub mod operators;
pub mod payments;
pub mod payouts;
pub mod plan_options;
pub mod plans;
pub mod provider_callbacks;
pub mod repayments;
pub mod risk;
pub mod statements;
pub mod step_up;
pub mod system;
pub mod theft;
pub mod tokens;
