//! Journal batches read and written in the engine's encoding: [`scan`] (a record at a time),
//! [`scan_batches`], [`read_batch`] and [`append`]. Re-exported by [`crate::journal`], the
//! one reader every consumer names.

use std::fmt;

use store::{Journal, StoreError};

use crate::error::EngineError;
use crate::record::{BatchBody, DecodeError, ProjectedBatch, Record};
use crate::view::Position;

/// Visits every record of `partition` in batches after `after`, in order, decoded. An error
/// `visit` returns stops the scan and is returned as it is; a batch that cannot be read or
/// decoded stops it with [`EngineError`] (`Store` or `Corrupt`, naming the batch).
pub fn scan<E: From<EngineError>>(
    journal: &mut dyn Journal,
    partition: u32,
    after: u64,
    mut visit: impl FnMut(Position, &Record) -> Result<(), E>,
) -> Result<(), E> {
    scan_batches(journal, partition, after, |seq, body| {
        for (index, record) in body.records.iter().enumerate() {
            let at = Position {
                partition,
                seq,
                index: index as u32,
            };
            visit(at, record)?;
        }
        Ok(())
    })
}

/// [`scan`] a batch at a time (the projector also reads the balances a batch carries).
pub(crate) fn scan_batches<E: From<EngineError>>(
    journal: &mut dyn Journal,
    partition: u32,
    after: u64,
    visit: impl FnMut(u64, BatchBody) -> Result<(), E>,
) -> Result<(), E> {
    scan_decoded(journal, partition, after, BatchBody::decode, visit)
}

/// [`scan_batches`] as the projector reads them (events and balances; decisions unread).
pub(crate) fn scan_projected<E: From<EngineError>>(
    journal: &mut dyn Journal,
    partition: u32,
    after: u64,
    visit: impl FnMut(u64, ProjectedBatch) -> Result<(), E>,
) -> Result<(), E> {
    scan_decoded(journal, partition, after, ProjectedBatch::decode, visit)
}

fn scan_decoded<B, E: From<EngineError>>(
    journal: &mut dyn Journal,
    partition: u32,
    after: u64,
    decode: fn(&[u8]) -> Result<B, DecodeError>,
    mut visit: impl FnMut(u64, B) -> Result<(), E>,
) -> Result<(), E> {
    let mut stopped: Option<E> = None;
    let scanned = journal.scan(partition, after, &mut |seq, bytes| {
        let visited = match decode(bytes) {
            Ok(body) => visit(seq, body),
            Err(error) => Err(corrupt(partition, seq, &error).into()),
        };
        visited.map_err(|error| {
            stopped = Some(error);
            StoreError::Backend("the journal scan was stopped".into())
        })
    });
    match stopped {
        Some(error) => Err(error),
        None => scanned.map_err(|e| EngineError::Store(e).into()),
    }
}

/// One batch decoded; `None` if the partition has no such batch.
pub(crate) fn read_batch(
    journal: &mut dyn Journal,
    partition: u32,
    seq: u64,
) -> Result<Option<BatchBody>, EngineError> {
    let Some(bytes) = journal.read_batch(partition, seq)? else {
        return Ok(None);
    };
    let body = BatchBody::decode(&bytes).map_err(|e| corrupt(partition, seq, &e))?;
    Ok(Some(body))
}

fn corrupt(partition: u32, seq: u64, error: &dyn fmt::Display) -> EngineError {
    EngineError::Corrupt(format!("partition {partition} batch {seq}: {error}"))
}

/// Appends `records` as the partition's next batch, encoded as the engine encodes them: a
/// journal written by hand, for tests (a record that does not replay as journaled, a record
/// an older engine wrote). Returns the batch's sequence number. Never use it on a store an
/// engine is running on.
pub fn append(journal: &mut dyn Journal, partition: u32, records: Vec<Record>) -> Result<u64, EngineError> {
    let seq = journal.last_seq(partition)? + 1;
    let body = BatchBody {
        records,
        accounts: Vec::new(),
    };
    let mut bytes = Vec::new();
    body.encode(&mut bytes);
    journal.append(&[store::BatchRef {
        partition,
        seq,
        bytes: &bytes,
    }])?;
    Ok(seq)
}
