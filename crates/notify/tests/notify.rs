//! The notify crate's tests: the pure derivation (each kind, dedup, reminders by the calendar),
//! planning deliveries (preferences, quiet-hours deferral, urgent bypass), retries and
//! dead-letters, the simulator, and the HTTP adapter against a local test server.

#[path = "notify/delivery.rs"]
mod delivery;
#[path = "notify/derive.rs"]
mod derive;
#[path = "notify/http_adapter.rs"]
mod http_adapter;
// Shared with the identity crate's adapter tests (only the scripted replies are used here).
#[allow(dead_code)]
#[path = "../../identity/tests/identity/test_server.rs"]
mod test_server;
