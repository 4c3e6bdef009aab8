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
//! Its source is laid out by responsibility:
//!
//! - `http/`: the HTTP layer. The network edge (`http::network`: the accept loop with a
//!   connection cap, header, body and idle timeouts and a shutdown deadline, the client's
//!   address from trusted proxies only, the authentication-failure budget; API.md's "Limits"),
//!   authentication, the `Call` extractor, errors, input parsing, idempotency and `once`, the
//!   one path to the engine (`http::submit`, risk refusals with their reason codes), the
//!   routes, the router and the OpenAPI document.
//! - `edge/`: what the API adds around the engine: one-time payment codes, merchants and their
//!   secrets, step-up through the identity provider traits with single-use tokens, the `risk`
//!   object parsed into the engine's `RiskContext`, the rules folder loaded and watched, and
//!   the payment and payout providers with their reconciler.
//! - `webhooks/`: signed webhooks sent from the outbox the engine's outbox scanner fills by
//!   tailing the journal (the API words each notice as JSON), only to public https endpoints.
//! - `simulation/`: simulation mode (below).
//! - `console`: the operator console's static pages (HTML, CSS, JavaScript modules built into
//!   the binary), served under `/console/`; they call the JSON API like any client.
//! - `telemetry/`: the metrics `GET /metrics` renders (Prometheus text, through
//!   `metrics-exporter-prometheus`: handles kept, so the request path takes no lock) and
//!   readiness (`GET /readyz`).
//! - `state`, `server`, `config`: what handlers share, and starting and stopping it all.
//!
//! The API never decides risk: the engine's partitions do. No module imports another that
//! imports it back (checked by the `iou` crate's tests).
//!
//! Personal data and secrets at rest (`keys`): a customer's identity and merchants' secrets
//! are sealed in the meta table with the `vault` crate and the key provider of `Config::keys`
//! (the server refuses to start without one, or with keys that are not the store's); every
//! response and log line shows personal data masked (`vault::mask`).
//!
//! Simulation mode (`simulation`, off unless the operator starts the server with
//! `Server::start_simulated` / `iou serve --simulation`): a hand-moved clock, the daily advance
//! on request, accounts read whole, and the engine's journaled reply on every call, so
//! `iou simulate --url` can drive the real routes days in seconds.
//!
//! `router(state)` serves any `AppState`; `Server::start(config, clock)` runs the whole thing
//! (the binary, the benchmark and the black-box tests use it); `serve(config)` runs it until a
//! signal. API.md explains the signing scheme with a worked example.

mod config;
mod console;
mod edge;
pub mod evidence_bundle;
mod http;
mod keys;
mod meta;
pub mod notifications;
mod random;
mod server;
mod sharded;
mod simulation;
mod state;
mod telemetry;
mod webhooks;

pub use config::{Config, EdgeConfig, FourEyesConfig, IpNet, StoreChoice};
pub use edge::funding::providers::FundingOptions;
pub use edge::risk::{LIVENESS_THRESHOLD, RiskOptions, RulesOptions, simulated_providers};
pub use edge::settlement::runs::campaign_subsidies;
pub use edge::step_up::Providers;
pub use http::auth::signature::sign;
pub use http::auth::{Principal, Role};
pub use http::error::{ApiError, ErrorBody, ErrorCode};
pub use http::openapi::{ApiDoc, document as openapi_json, error_codes_markdown};
pub use http::router::router;
/// The retention rule for case work, as the sweeper runs it (tests call it with a moved clock).
pub use http::routes::casework::prune_work as prune_case_work;
pub use notifications::NotificationOptions;
pub use server::{ServeError, Server, serve};
pub use state::AppState;
pub use telemetry::{METRICS, MetricDoc, metrics_markdown};
pub use webhooks::WebhookOptions;
pub use webhooks::send::signature as webhook_signature;
