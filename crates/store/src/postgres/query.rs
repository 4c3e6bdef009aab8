//! Operators' SQL on PostgreSQL: one read statement (the shared lexical guard), run in a
//! `READ ONLY` transaction with a `statement_timeout`, that is always rolled back (so not even a
//! `set_config` outlives it), at most `limit` rows, every value in PostgreSQL's text form.
//!
//! The statement runs behind a cursor (`DECLARE ... CURSOR FOR`, then `FETCH FORWARD limit`),
//! so no more than `limit` rows leave the server. A statement a cursor cannot hold (a write
//! behind `WITH` is a syntax error or unsupported there) is run as it is in a fresh read-only
//! transaction instead, where the server itself refuses any write.

use postgres::error::SqlState;
use postgres::{Client, SimpleQueryMessage, Transaction};

use super::QUERY_TIME_MAX;
use super::conn::code;
use crate::sql_guard::check_single_read;
use crate::{QueryRows, StoreError};

pub(crate) fn run(client: &mut Client, sql: &str, limit: usize) -> Result<QueryRows, StoreError> {
    check_single_read(sql)?;
    // A line comment at the end of `sql` must not swallow what follows it.
    let cursor = format!("DECLARE iou_operator_query NO SCROLL CURSOR FOR {sql}\n");
    let fetch = format!("FETCH FORWARD {} FROM iou_operator_query", limit.min(i64::MAX as usize));
    let attempt = {
        let mut tx = read_only(client)?;
        tx.simple_query(&cursor).and_then(|_| tx.simple_query(&fetch))
    };
    let messages = match attempt {
        Ok(messages) => messages,
        Err(e) if matches!(code(&e), Some(c) if *c == SqlState::SYNTAX_ERROR || *c == SqlState::FEATURE_NOT_SUPPORTED) =>
        {
            let mut tx = read_only(client)?;
            tx.simple_query(sql).map_err(refusal)?
        }
        Err(e) => return Err(refusal(e)),
    };
    Ok(collect(messages, limit))
}

/// A read-only transaction with the time limit (rolled back when dropped).
fn read_only(client: &mut Client) -> Result<Transaction<'_>, StoreError> {
    let mut tx = client.build_transaction().read_only(true).start()?;
    tx.batch_execute(&format!("SET LOCAL statement_timeout = {}", QUERY_TIME_MAX.as_millis()))?;
    Ok(tx)
}

/// The server's refusal to write in a read-only transaction is [`StoreError::NotReadOnly`].
fn refusal(e: postgres::Error) -> StoreError {
    match code(&e) {
        Some(c) if *c == SqlState::READ_ONLY_SQL_TRANSACTION => StoreError::NotReadOnly,
        Some(c) if *c == SqlState::QUERY_CANCELED => StoreError::Backend(format!(
            "query stopped after {QUERY_TIME_MAX:?}: {}",
            super::conn::message(&e)
        )),
        _ => e.into(),
    }
}

/// The last row set's column names and its first `limit` rows.
fn collect(messages: Vec<SimpleQueryMessage>, limit: usize) -> QueryRows {
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(description) => {
                columns = description.iter().map(|c| c.name().to_string()).collect();
                rows.clear();
            }
            SimpleQueryMessage::Row(row) if rows.len() < limit => {
                rows.push((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect());
            }
            _ => {}
        }
    }
    (columns, rows)
}
