//! The HTTP layer: everything that turns a network request into a typed engine request and an
//! engine reply into a response, and nothing about what the request means for credit or risk.
//!
//! - [`network`]: the accept loop, connection cap and timeouts, the client's address, the
//!   authentication-failure budget (API.md, "Limits").
//! - [`auth`]: who is calling (signed merchants, bearer tokens) and what each caller may touch.
//! - [`audited`]: the layer that records operator calls in the audit log.
//! - [`call`]: the extractor every authenticated route takes (body, authentication,
//!   idempotency key, path parameters), and the JSON response helpers.
//! - [`error`], [`input`]: the one error shape, and parsing inputs into domain types.
//! - [`idempotency`], [`once`]: idempotency keys, and the stored answers of calls that never
//!   reach the engine.
//! - [`submit`]: the one path to the engine: submit, await the durable reply, answer a refusal.
//! - [`routes`], [`router`], [`openapi`]: the handlers, the router that puts them together
//!   with the fallbacks and layers, and their OpenAPI document.

pub mod audited;
pub mod auth;
pub mod call;
pub mod error;
pub mod forward;
pub mod four_eyes;
pub mod idempotency;
pub mod input;
pub mod network;
pub mod once;
pub mod openapi;
pub mod router;
pub mod routes;
pub mod submit;
