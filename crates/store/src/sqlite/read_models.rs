//! [`SqliteReadModels`]: projection into `read.db`, and operators' read-only queries.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::connection::{self, Role};
use super::project::Writer;
use super::query;
use credit::AccountId;

use crate::{AccountRow, Projection, QueryRows, ReadModels, StoreError};

/// One writer connection to `read.db`, and a read-only one opened at the first query.
#[derive(Debug)]
pub struct SqliteReadModels {
    conn: Connection,
    path: PathBuf,
    reader: Option<Connection>,
}

impl SqliteReadModels {
    pub(crate) fn open(path: &Path) -> Result<SqliteReadModels, StoreError> {
        Ok(SqliteReadModels {
            conn: connection::open_writer(path, Role::ReadModels)?,
            path: path.to_path_buf(),
            reader: None,
        })
    }
}

const WATERMARK: &str = "SELECT seq FROM watermarks WHERE partition = ?1";
const SET_WATERMARK: &str = "INSERT INTO watermarks (partition, seq, at_ms) VALUES (?1, ?2, ?3)
    ON CONFLICT (partition) DO UPDATE SET seq = excluded.seq, at_ms = excluded.at_ms";

fn read_watermark(conn: &Connection, partition: u32) -> Result<u64, StoreError> {
    let seq: Option<u64> = conn
        .prepare_cached(WATERMARK)?
        .query_row([partition], |row| row.get(0))
        .optional()?;
    Ok(seq.unwrap_or(0))
}

/// A partition's watermark within one transaction: as read, and as this transaction moved it.
struct Mark {
    seq: u64,
    at_ms: i64,
    moved: bool,
}

impl ReadModels for SqliteReadModels {
    fn project(&mut self, projection: &Projection<'_>) -> Result<(), StoreError> {
        self.project_many(std::slice::from_ref(projection))
    }

    fn project_many(&mut self, projections: &[Projection<'_>]) -> Result<(), StoreError> {
        if projections.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut marks: HashMap<u32, Mark> = HashMap::new();
        // Each account's newest balances over the whole call: the rows of earlier batches
        // would be overwritten in this same transaction, so they are not written at all.
        let mut newest: HashMap<AccountId, (&Projection<'_>, &AccountRow)> = HashMap::new();
        {
            let mut writer = Writer::new(&tx)?;
            for projection in projections {
                let mark = match marks.entry(projection.partition) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => e.insert(Mark {
                        seq: read_watermark(&tx, projection.partition)?,
                        at_ms: 0,
                        moved: false,
                    }),
                };
                if projection.seq <= mark.seq {
                    continue;
                }
                writer.events(projection)?;
                for row in projection.accounts {
                    newest.insert(row.account, (projection, row));
                }
                *mark = Mark {
                    seq: projection.seq,
                    at_ms: projection.at_ms,
                    moved: true,
                };
            }
            for (projection, row) in newest.values() {
                writer.account_row(projection, row)?;
            }
        }
        {
            let mut set = tx.prepare_cached(SET_WATERMARK)?;
            for (partition, mark) in marks.iter().filter(|(_, m)| m.moved) {
                set.execute(params![partition, mark.seq, mark.at_ms])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn watermark(&mut self, partition: u32) -> Result<u64, StoreError> {
        read_watermark(&self.conn, partition)
    }

    fn query(&mut self, sql: &str, limit: usize) -> Result<QueryRows, StoreError> {
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => self.reader.insert(connection::open_reader(&self.path)?),
        };
        query::run(reader, sql, limit)
    }
}
