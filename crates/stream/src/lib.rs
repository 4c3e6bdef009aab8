//! The event stream for the rest of the bank: every journaled fact published to NATS JetStream,
//! one message per journal record, exactly once by journal position, in a versioned JSON schema
//! (EVENTS.md). A data warehouse, a notification service or a ledger feed follows the subjects
//! without touching iou's store.
//!
//! - [`schema`]: what a message says (`iou.event.v1`), built from a decoded record.
//! - [`reader`]: a bounded chunk of a partition's journal after a position (blocking store IO).
//! - [`publisher`]: the JetStream side: where each partition's subject stands, and publishing
//!   chunks with a bounded window of acknowledgements in flight.
//!
//! **Exactly once.** The position a partition's subject has reached is read back from the
//! stream itself (its last message's `Iou-Position` header), so there is no second watermark to
//! fall out of step with what was published; each message also carries `Nats-Msg-Id` = its
//! position, so a publish whose acknowledgement was lost and is sent again inside the stream's
//! duplicate window is dropped by the server. One publisher per partition at a time (the
//! partition's owner) is assumed.
//!
//! This crate owns publishing; it must never know HTTP, credit rules, or how records are
//! encoded (the engine decodes them), and nothing on the authorization path waits for it.

pub mod publisher;
pub mod reader;
pub mod schema;

pub use publisher::{Publisher, Report, StreamConfig};
pub use schema::SCHEMA;

/// Why publishing stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("cannot reach NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("JetStream refused {what}: {reason}")]
    JetStream { what: &'static str, reason: String },
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("record at {position} cannot be written as JSON: {reason}")]
    Encode { position: String, reason: String },
    #[error("the stream's last message on {subject} has no readable Iou-Position header")]
    Position { subject: String },
    #[error("the journal reader stopped: {0}")]
    Reader(String),
}
