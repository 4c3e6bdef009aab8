//! The audit crate's tests: the chain's encoding against hashes computed outside Rust, the
//! auditor's chaining, checkpoints and concurrency, verification of every kind of tampering,
//! and the export.

mod audit {
    mod chain;
    mod common;
    mod export;
    mod tamper;
}
