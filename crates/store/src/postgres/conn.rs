//! [`Conn`]: one handle's connection, reopened after a break, with its prepared statements;
//! and how PostgreSQL's errors become [`StoreError`]s.

use std::collections::HashMap;

use postgres::error::SqlState;
use postgres::{Client, NoTls, Statement};

use crate::StoreError;

/// A connection that reconnects: after an error that closed it, the next [`Conn::client`]
/// opens a new one (and forgets the statements prepared on the old).
pub(crate) struct Conn {
    config: postgres::Config,
    client: Option<Client>,
    statements: HashMap<&'static str, Statement>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("connected", &self.client.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for Conn {
    /// Closing a client blocks on its runtime, which a tokio runtime's thread may not do: it
    /// is closed on a thread of its own.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            super::off_runtime::off(move || drop(client));
        }
    }
}

impl Conn {
    /// Connects now, so a handle is only returned when the server answered.
    pub(crate) fn open(config: &postgres::Config) -> Result<Conn, StoreError> {
        let mut conn = Conn {
            config: config.clone(),
            client: None,
            statements: HashMap::new(),
        };
        conn.client()?;
        Ok(conn)
    }

    /// The live client, connecting first if there is none or the last one closed.
    pub(crate) fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.statements.clear();
            self.client = None;
            let client = connect(&self.config)?;
            self.client = Some(client);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    /// `sql` prepared on this connection (once per connection).
    pub(crate) fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql)
            && self.client.as_ref().is_some_and(|c| !c.is_closed())
        {
            return Ok(statement.clone());
        }
        let statement = self.client()?.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// Connects on a thread of its own: `postgres` runs each call on a small runtime of its own
/// and panics when the calling thread is already inside a tokio runtime, and handles are
/// opened from async code (the API's webhook dispatcher opens its handles in an async
/// function).
fn connect(config: &postgres::Config) -> Result<Client, StoreError> {
    super::off_runtime::off(|| config.connect(NoTls).map_err(connect_error))
}

fn connect_error(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        // The server answered and refused (bad password, no such database): not transient.
        Some(db) if !is_unavailable_code(db.code()) => {
            StoreError::Backend(format!("postgres: cannot connect: {}", message(&e)))
        }
        _ => StoreError::Unavailable(format!("postgres: cannot connect: {}", message(&e))),
    }
}

/// The SQLSTATEs that mean the server is going away or not there yet.
fn is_unavailable_code(code: &SqlState) -> bool {
    code.code().starts_with("08")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
        ]
        .contains(code)
}

/// The error's SQLSTATE, when the server sent one.
pub(crate) fn code(e: &postgres::Error) -> Option<&SqlState> {
    e.code()
}

/// The error with the server's message (`postgres::Error`'s own text is only "db error").
pub(crate) fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        let unavailable = e.is_closed() || e.code().is_none_or(is_unavailable_code);
        if unavailable {
            StoreError::Unavailable(format!("postgres: {}", message(&e)))
        } else {
            StoreError::Backend(format!("postgres: {}", message(&e)))
        }
    }
}

/// A partition number, sequence or id as PostgreSQL's BIGINT (the same 64 bits; sequences stay
/// far below 2^63).
pub(crate) fn int(value: u64) -> i64 {
    value as i64
}

/// A BIGINT read back as the `u64` it was written from.
pub(crate) fn uint(value: i64) -> u64 {
    value as u64
}

/// A BIGINT column that holds a `u32` (partitions, record and notice indexes).
pub(crate) fn small(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Backend(format!("postgres: {value} is out of range for a u32")))
}
