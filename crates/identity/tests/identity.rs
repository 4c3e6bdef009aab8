//! The identity crate's integration tests: table tests for every parse rule, the simulator's
//! documented outcomes, the generators, the circuit breaker, and the HTTP adapters against a
//! local test server on 127.0.0.1.

mod identity {
    mod bank_card;
    mod breaker;
    mod http_adapters;
    mod mobile;
    mod person_name;
    mod resident_id;
    mod simulator;
    mod test_server;
    mod testkit;
}
