//! A bounded chunk of one partition's journal after a position, as messages ready to publish.
//! Blocking: it reads the store on the caller's thread (the publisher runs it on the blocking
//! pool).

use bytes::Bytes;
use engine::EngineError;
use engine::journal::{Position, scan};
use store::Journal;

use crate::StreamError;
use crate::schema::{event, position_id, subject};

/// One message: where its record sits, its subject, and its JSON.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub at: Position,
    pub subject: String,
    pub payload: Bytes,
}

/// What one read gave: the messages in journal order, and whether the partition has more.
#[derive(Debug, Default)]
pub struct Chunk {
    pub messages: Vec<Outgoing>,
    pub more: bool,
}

/// The scan stops at a batch boundary once the chunk is full.
enum Stop {
    Full,
    Failed(StreamError),
}

impl From<EngineError> for Stop {
    fn from(e: EngineError) -> Stop {
        Stop::Failed(e.into())
    }
}

/// The records of `partition` after `after` (every record when `None`), at most about `max`
/// (a batch is never split, so a chunk may exceed `max` by one batch less one record).
pub fn read_chunk(
    journal: &mut dyn Journal,
    prefix: &str,
    partition: u32,
    after: Option<Position>,
    max: usize,
) -> Result<Chunk, StreamError> {
    let subject = subject(prefix, partition);
    // The batch holding `after` is read again: a crash may have published only part of it.
    let from_seq = after.map_or(0, |p| p.seq.saturating_sub(1));
    let mut chunk = Chunk::default();
    let scanned = scan(journal, partition, from_seq, |at, record| {
        if at.index == 0 && chunk.messages.len() >= max {
            return Err(Stop::Full);
        }
        if after.is_some_and(|done| at <= done) {
            return Ok(());
        }
        let json = event(at, record).map_err(Stop::Failed)?;
        chunk.messages.push(Outgoing {
            at,
            subject: subject.clone(),
            payload: Bytes::from(json.to_string()),
        });
        Ok(())
    });
    match scanned {
        Ok(()) => Ok(chunk),
        Err(Stop::Full) => {
            chunk.more = true;
            Ok(chunk)
        }
        Err(Stop::Failed(e)) => Err(e),
    }
}

/// The id a message is published with (`Nats-Msg-Id`, `Iou-Position`).
pub fn message_id(message: &Outgoing) -> String {
    position_id(message.at)
}
