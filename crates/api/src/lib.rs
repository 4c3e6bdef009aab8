//! The iou HTTP API.
//!
//! This crate owns the server edge of DESIGN.md section 1: authentication (merchants sign
//! requests with HMAC, customers and operators send bearer tokens), validation (every input is
//! parsed into domain types at the edge, every failure answered with one error shape),
//! idempotency keys, one-time payment codes, the routes and their OpenAPI document. It hands the
//! engine typed, validated requests and renders its durable replies.
//!
//! It must never decide a credit rule (that is `credit`), touch the journal's records or
//! partitions (that is `engine`), or write SQL (that is `store`; the API only uses the store's
//! meta table for merchants, token hashes and the idempotency records of calls that never reach
//! the engine, `once`), or know which store backs it: the binary chooses one (`StoreChoice` in
//! `Config`) and the API sees it only through `store::Backend`. It is the only layer that draws randomness
//! (secrets, tokens, payment codes); the time it reads is the engine's injected clock.
//!
//! Risk at the edge is here too: the `risk` object of payments and repayments parsed into the
//! engine's `RiskContext` (`risk_input`), risk refusals with their reason codes (`risk_call`),
//! step-up through the identity provider traits with single-use tokens (`step_up`), the
//! monitoring, case and theft routes, the rules folder loaded and watched (`risk_edge`), and
//! signed webhooks sent from the outbox the engine's outbox scanner fills by tailing the
//! journal (the API words each notice as JSON, `webhooks`),
//! only to public https endpoints (`webhooks::target`).
//!
//! Personal data and secrets at rest (`keys`): a customer's identity and merchants' secrets
//! are sealed in the meta table with the `vault` crate and the key provider of `Config::keys`
//! (the server refuses to start without one, or with keys that are not the store's); every
//! response and log line shows personal data masked (`vault::mask`).
//!
//! The HTTP edge (`edge`): the accept loop with a connection cap, header, body and idle
//! timeouts and a shutdown deadline; the client's address (trusted proxies only); the
//! authentication-failure budget per source. API.md's "Limits" section is its contract.
//! The API never decides risk: the engine's partitions do.
//!
//! Simulation mode (`simulation`, off unless the operator starts the server with
//! `Server::start_simulated` / `iou serve --simulation`): a hand-moved clock, the daily advance
//! on request, accounts read whole, and the engine's journaled reply on every call, so
//! `iou simulate --url` can drive the real routes days in seconds.
//!
//! `router(state)` serves any `AppState`; `Server::start(config, clock)` runs the whole thing
//! (the binary, the benchmark and the black-box tests use it); `serve(config)` runs it until a
//! signal. API.md explains the signing scheme with a worked example.

mod auth;
mod call;
mod codes;
mod config;
mod edge;
mod error;
mod funding_edge;
mod idempotency;
mod input;
mod keys;
mod merchants;
mod meta;
mod once;
mod openapi;
mod random;
mod risk_call;
mod risk_edge;
mod risk_input;
mod routes;
mod rules_watch;
mod server;
mod sharded;
mod simulation;
mod state;
mod step_up;
mod submit;
mod webhooks;

pub use auth::signature::sign;
pub use auth::{Principal, Role};
pub use config::{Config, EdgeConfig, IpNet, StoreChoice};
pub use error::{ApiError, ErrorBody};
pub use funding_edge::FundingOptions;
pub use openapi::{ApiDoc, document as openapi_json};
pub use risk_edge::{LIVENESS_THRESHOLD, RiskOptions, RulesOptions, simulated_providers};
pub use routes::router;
pub use server::{ServeError, Server, serve};
pub use state::AppState;
pub use step_up::Providers;
pub use webhooks::WebhookOptions;
pub use webhooks::send::signature as webhook_signature;
