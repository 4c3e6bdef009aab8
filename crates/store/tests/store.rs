//! The store's integration tests: the conformance suite against every backend, SQLite's and
//! PostgreSQL's own promises (reopening, migrations, crash durability, reconnecting), and the
//! read models of a realistic event stream.

mod store {
    mod conformance;
    mod crash;
    mod leases;
    mod memory;
    mod outbox;
    mod postgres;
    mod read_models;
    mod settlement;
    mod sqlite;
    pub mod workload;
}
