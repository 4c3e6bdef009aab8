//! [`SqliteReadModels`]: projection into `read.db`, and operators' read-only queries.

use std::path::{Path, PathBuf};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{CachedStatement, Connection, OptionalExtension, ToSql, TransactionBehavior, params};

use super::connection::{self, Role};
use super::query;
use crate::writer::{SET_WATERMARK, Sink, Stmt, Value, WATERMARK, Writer};
use crate::{Projection, QueryRows, ReadModels, StoreError};

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

fn read_watermark(conn: &Connection, partition: u32) -> Result<u64, StoreError> {
    let seq: Option<u64> = conn
        .prepare_cached(WATERMARK)?
        .query_row([partition], |row| row.get(0))
        .optional()?;
    Ok(seq.unwrap_or(0))
}

impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

/// The writer's statements on one transaction's connection, each prepared at its first use.
struct SqliteSink<'c> {
    conn: &'c Connection,
    statements: Vec<Option<CachedStatement<'c>>>,
}

impl<'c> SqliteSink<'c> {
    fn new(conn: &'c Connection) -> SqliteSink<'c> {
        SqliteSink {
            conn,
            statements: (0..Stmt::ALL.len()).map(|_| None).collect(),
        }
    }

    fn statement(&mut self, stmt: Stmt) -> Result<&mut CachedStatement<'c>, StoreError> {
        let slot = &mut self.statements[stmt.index()];
        match slot {
            Some(prepared) => Ok(prepared),
            None => Ok(slot.insert(self.conn.prepare_cached(stmt.sql())?)),
        }
    }
}

impl Sink for SqliteSink<'_> {
    fn exec(&mut self, stmt: Stmt, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let changed = self.statement(stmt)?.execute(rusqlite::params_from_iter(params))?;
        Ok(changed as u64)
    }

    fn insert_id(&mut self, stmt: Stmt, params: &[Value<'_>]) -> Result<i64, StoreError> {
        let statement = self.statement(stmt)?;
        Ok(statement.query_row(rusqlite::params_from_iter(params), |row| row.get(0))?)
    }

    fn watermark(&mut self, partition: u32) -> Result<u64, StoreError> {
        read_watermark(self.conn, partition)
    }

    fn set_watermark(&mut self, partition: u32, seq: u64, at_ms: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(SET_WATERMARK)?
            .execute(params![partition, seq, at_ms])?;
        Ok(())
    }
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
        Writer::new(SqliteSink::new(&tx)).project_many(projections)?;
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
