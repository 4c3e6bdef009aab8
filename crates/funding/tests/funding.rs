//! The funding crate's tests: the simulators' fixture outcomes and idempotency, and the HTTP
//! adapters against a local test server (the identity crate's, reused as it is).

#[path = "funding/http_adapters.rs"]
mod http_adapters;
#[path = "funding/merchant_payouts.rs"]
mod merchant_payouts;
#[path = "funding/simulator.rs"]
mod simulator;
// Shared with the identity crate's adapter tests (only the scripted replies are used here).
#[allow(dead_code)]
#[path = "../../identity/tests/identity/test_server.rs"]
mod test_server;
