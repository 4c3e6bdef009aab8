//! Operators' SQL on the read-only connection: one read statement, at most `limit` rows, every
//! value as text, and a time limit.
//!
//! Three gates keep it read-only: the shared lexical check ([`crate::sql_guard`]), SQLite's own
//! verdict on the compiled statement (`sqlite3_stmt_readonly`), and the connection itself
//! (opened read-only, with `query_only`).

use std::fmt::Write;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use crate::sql_guard::check_single_read;
use crate::{QueryRows, StoreError};

/// A query still running after this long is interrupted.
pub const QUERY_TIME_MAX: Duration = Duration::from_secs(10);

/// SQLite virtual-machine steps between two looks at the clock.
const STEPS_PER_CHECK: i32 = 10_000;

pub(crate) fn run(conn: &mut Connection, sql: &str, limit: usize) -> Result<QueryRows, StoreError> {
    check_single_read(sql)?;
    let deadline = Instant::now() + QUERY_TIME_MAX;
    conn.progress_handler(STEPS_PER_CHECK, Some(move || Instant::now() > deadline))?;
    let result = collect(conn, sql, limit);
    conn.progress_handler(0, None::<fn() -> bool>)?;
    result.map_err(|e| match e {
        StoreError::Backend(message) if Instant::now() > deadline => {
            StoreError::Backend(format!("query stopped after {QUERY_TIME_MAX:?}: {message}"))
        }
        other => other,
    })
}

fn collect(conn: &Connection, sql: &str, limit: usize) -> Result<QueryRows, StoreError> {
    let mut stmt = match conn.prepare(sql) {
        Err(rusqlite::Error::MultipleStatement) => return Err(StoreError::NotReadOnly),
        other => other?,
    };
    if !stmt.readonly() {
        return Err(StoreError::NotReadOnly);
    }
    let columns: Vec<String> = stmt.column_names().map(String::from).collect();
    let width = columns.len();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(row) = rows.next()? else { break };
        let values = (0..width)
            .map(|i| row.get_ref(i).map(text))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(values);
    }
    Ok((columns, out))
}

/// A value as an operator reads it: numbers in decimal, text as is, blobs as `x'hex'`.
fn text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => {
            let mut hex = String::with_capacity(3 + 2 * b.len());
            hex.push_str("x'");
            for byte in b {
                let _ = write!(hex, "{byte:02x}");
            }
            hex.push('\'');
            Some(hex)
        }
    }
}
