//! [`PostgresReadModels`]: projection into the read-model tables through the shared
//! [`Writer`] (the same statements and values as SQLite, placeholders rewritten to `$n`), and
//! operators' read-only queries ([`super::query`]).

use std::sync::OnceLock;

use postgres::{Statement, Transaction};

use super::conn::{Conn, int, uint};
use super::query;
use crate::writer::{SET_WATERMARK, Sink, Stmt, Value, WATERMARK, Writer};
use crate::{Projection, QueryRows, ReadModels, StoreError};

/// One connection for projection and queries.
#[derive(Debug)]
pub struct PostgresReadModels {
    conn: Conn,
}

impl PostgresReadModels {
    pub(crate) fn new(conn: Conn) -> PostgresReadModels {
        PostgresReadModels { conn }
    }
}

/// `?N` placeholders as PostgreSQL's `$N` (the shared SQL has no other `?`).
pub(crate) fn dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// The writer's statements in PostgreSQL's form, in [`Stmt::index`] order, then the two
/// watermark statements.
fn statements_sql() -> &'static [String] {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    SQL.get_or_init(|| {
        let mut all: Vec<String> = Stmt::ALL.iter().map(|s| dollar(s.sql())).collect();
        all.push(dollar(WATERMARK));
        all.push(dollar(SET_WATERMARK));
        all
    })
}

/// The writer's statements on one open transaction.
struct PgSink<'a, 't> {
    tx: &'a mut Transaction<'t>,
    /// Prepared [`statements_sql`], the same order.
    statements: &'a [Statement],
}

impl PgSink<'_, '_> {
    fn params<'v>(params: &'v [Value<'v>]) -> Vec<&'v (dyn postgres::types::ToSql + Sync)> {
        params
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect()
    }
}

impl Sink for PgSink<'_, '_> {
    fn exec(&mut self, stmt: Stmt, params: &[Value<'_>]) -> Result<u64, StoreError> {
        Ok(self.tx.execute(&self.statements[stmt.index()], &Self::params(params))?)
    }

    fn insert_id(&mut self, stmt: Stmt, params: &[Value<'_>]) -> Result<i64, StoreError> {
        let row = self
            .tx
            .query_one(&self.statements[stmt.index()], &Self::params(params))?;
        Ok(row.get(0))
    }

    fn watermark(&mut self, partition: u32) -> Result<u64, StoreError> {
        let stmt = &self.statements[Stmt::ALL.len()];
        let row = self.tx.query_opt(stmt, &[&i64::from(partition)])?;
        Ok(row.map_or(0, |r| uint(r.get(0))))
    }

    fn set_watermark(&mut self, partition: u32, seq: u64, at_ms: i64) -> Result<(), StoreError> {
        let stmt = &self.statements[Stmt::ALL.len() + 1];
        self.tx.execute(stmt, &[&i64::from(partition), &int(seq), &at_ms])?;
        Ok(())
    }
}

impl ReadModels for PostgresReadModels {
    fn project(&mut self, projection: &Projection<'_>) -> Result<(), StoreError> {
        self.project_many(std::slice::from_ref(projection))
    }

    fn project_many(&mut self, projections: &[Projection<'_>]) -> Result<(), StoreError> {
        if projections.is_empty() {
            return Ok(());
        }
        let statements = statements_sql()
            .iter()
            .map(|sql| self.conn.statement(sql))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.conn.client()?.transaction()?;
        let sink = PgSink {
            tx: &mut tx,
            statements: &statements,
        };
        Writer::new(sink).project_many(projections)?;
        tx.commit()?;
        Ok(())
    }

    fn watermark(&mut self, partition: u32) -> Result<u64, StoreError> {
        let stmt = self.conn.statement(&statements_sql()[Stmt::ALL.len()])?;
        let row = self.conn.client()?.query_opt(&stmt, &[&i64::from(partition)])?;
        Ok(row.map_or(0, |r| uint(r.get(0))))
    }

    fn query(&mut self, sql: &str, limit: usize) -> Result<QueryRows, StoreError> {
        query::run(self.conn.client()?, sql, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::dollar;

    #[test]
    fn placeholders_become_dollars() {
        assert_eq!(
            dollar("VALUES (?1, ?12, 'a?') WHERE x IS ?3"),
            "VALUES ($1, $12, 'a?') WHERE x IS $3"
        );
    }
}
