//! The PostgreSQL backend (feature `postgres`): the journal, snapshots, meta, audit log, read
//! models, outbox and settlement's tables in one database (one schema: the connection's `search_path`).
//!
//! - **Connections.** Every handle ([`Backend::journal`], ...) owns one connection, opened
//!   when the handle is and kept for its life (the engine's handles live as long as it does,
//!   so there is nothing a pool would save). A handle whose connection broke (the server
//!   restarted, the network failed) opens a new one at its next call; the call that met the
//!   break fails with [`StoreError::Unavailable`].
//! - **Migrations.** [`PostgresBackend::open`] applies the versioned steps of
//!   `postgres/sql/` the schema lacks, each in its own transaction with its row in
//!   `schema_migrations`, under a session advisory lock keyed by the schema's name, so
//!   servers starting at once apply each step exactly once.
//! - **Group commit.** [`Journal::append`] writes a whole commit group in one transaction:
//!   one `INSERT ... SELECT FROM unnest(...)` of every batch, after checking each partition's
//!   last sequence (cached per handle, re-read from the table whenever the cache disagrees);
//!   the primary key `(partition, seq)` refuses a batch another writer already wrote. The
//!   group is durable when `COMMIT` returns: with PostgreSQL's default `synchronous_commit =
//!   on` the server has flushed its WAL (and with synchronous replication configured, the
//!   standby has it too). Turning `synchronous_commit` off or `fsync` off breaks "nothing
//!   acknowledged is lost".
//! - **Threads.** The `postgres` client blocks on a runtime of its own, which tokio forbids on
//!   a thread that drives a runtime; the handles [`Backend`] gives out run each call (and the
//!   closing of their connection) on a scoped thread (`off_runtime.rs`), so the API may call
//!   them from async code as it does SQLite's. The concrete handles (`open_journal`, ...)
//!   call directly and must not be used on a runtime's thread.
//! - **Leases and fencing.** `partition_leases` (migration 4) holds each partition's owner and
//!   fencing token for `iou serve --cluster` ([`crate::lease`]); a journal handle told a
//!   partition's token ([`Journal::fence`]) checks it `FOR SHARE` in every append's transaction.
//! - **Operator queries** pass the shared lexical guard, then run in a `READ ONLY`
//!   transaction with a `statement_timeout` of [`QUERY_TIME_MAX`], through a cursor so at
//!   most `limit` rows cross the network, with every value as PostgreSQL's text; the
//!   transaction is always rolled back. The connection's role should still have no more than
//!   the rights the store needs.

mod audit;
mod conn;
mod journal;
mod leases;
mod migrate;
mod off_runtime;
mod outbox;
mod query;
mod read_models;
mod settlement;
mod value;

use std::time::Duration;

use crate::{Backend, Journal, ReadModels, StoreError};

pub use audit::PostgresAuditLog;
pub use journal::PostgresJournal;
pub use leases::PostgresLeases;
pub use outbox::PostgresOutbox;
pub use read_models::PostgresReadModels;
pub use settlement::PostgresSettlement;

use conn::Conn;
use off_runtime::OffRuntime;

/// An operator query still running after this long is cancelled by the server.
pub const QUERY_TIME_MAX: Duration = crate::sqlite::QUERY_TIME_MAX;

/// How long opening a connection may take before it counts as a failure.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A store in a PostgreSQL database. Cheap to share: it holds the connection settings, and
/// each handle it opens has its own connection.
#[derive(Clone)]
pub struct PostgresBackend {
    config: postgres::Config,
    name: String,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The settings may hold a password: only the redacted name is shown.
        f.debug_struct("PostgresBackend").field("name", &self.name).finish()
    }
}

impl PostgresBackend {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, with any
    /// of libpq's URL parameters, e.g. `?options=-c%20search_path%3Diou`), creates or
    /// migrates the schema, and returns the backend. A server that cannot be reached is
    /// [`StoreError::Unavailable`]; the caller decides whether to retry.
    pub fn open(url: &str) -> Result<PostgresBackend, StoreError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
        PostgresBackend::with_config(config, None)
    }

    /// [`PostgresBackend::open`] in schema `schema` (created if absent; its name must be a
    /// plain identifier): every connection's `search_path`. Tests give each run its own.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<PostgresBackend, StoreError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
        PostgresBackend::with_config(config, Some(schema))
    }

    fn with_config(mut config: postgres::Config, schema: Option<&str>) -> Result<PostgresBackend, StoreError> {
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("iou");
        }
        if let Some(schema) = schema {
            check_identifier(schema)?;
            config.application_name(&format!("iou:{schema}"));
            let mut conn = Conn::open(&config)?;
            conn.client()?
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
            config.options(&format!("-c search_path={schema}"));
        }
        let name = describe(&config, schema);
        let backend = PostgresBackend { config, name };
        let mut conn = backend.connect()?;
        migrate::migrate(&mut conn, migrate::STEPS)?;
        Ok(backend)
    }

    /// Drops schema `schema` and everything in it (the tests' clean-up).
    pub fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
        check_identifier(schema)?;
        let config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
        Conn::open(&config)?
            .client()?
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        Ok(())
    }

    fn connect(&self) -> Result<Conn, StoreError> {
        Conn::open(&self.config)
    }

    pub fn open_journal(&self) -> Result<PostgresJournal, StoreError> {
        Ok(PostgresJournal::new(self.connect()?))
    }

    pub fn open_read_models(&self) -> Result<PostgresReadModels, StoreError> {
        Ok(PostgresReadModels::new(self.connect()?))
    }

    pub fn open_outbox(&self) -> Result<PostgresOutbox, StoreError> {
        Ok(PostgresOutbox::new(self.connect()?))
    }

    pub fn open_audit(&self) -> Result<PostgresAuditLog, StoreError> {
        Ok(PostgresAuditLog::new(self.connect()?))
    }

    pub fn open_leases(&self) -> Result<PostgresLeases, StoreError> {
        Ok(PostgresLeases::new(self.connect()?))
    }

    pub fn open_settlement(&self) -> Result<PostgresSettlement, StoreError> {
        Ok(PostgresSettlement::new(self.connect()?))
    }
}

/// The first pause of [`open_with_retry`]; each next one doubles, up to [`RETRY_DELAY_MAX`].
pub const RETRY_DELAY_FIRST: Duration = Duration::from_millis(250);
/// The longest pause between two attempts of [`open_with_retry`].
pub const RETRY_DELAY_MAX: Duration = Duration::from_secs(4);

/// [`PostgresBackend::open`], retried while the server is [`StoreError::Unavailable`] (with
/// pauses of 250 ms, doubling up to 4 s) until `wait` has passed; `on_retry(attempt, pause,
/// error)` is told of each failed attempt that will be retried. Any other error, or the last
/// unavailable one, is returned at once. Blocks the calling thread.
pub fn open_with_retry(
    url: &str,
    wait: Duration,
    on_retry: &mut dyn FnMut(u32, Duration, &StoreError),
) -> Result<PostgresBackend, StoreError> {
    let deadline = std::time::Instant::now() + wait;
    let mut delay = RETRY_DELAY_FIRST;
    let mut attempt = 1;
    loop {
        match PostgresBackend::open(url) {
            Err(error @ StoreError::Unavailable(_)) => {
                let now = std::time::Instant::now();
                if now + delay > deadline {
                    return Err(StoreError::Unavailable(format!(
                        "gave up after {attempt} attempts in {wait:?}: {error}"
                    )));
                }
                on_retry(attempt, delay, &error);
                std::thread::sleep(delay);
                delay = (delay * 2).min(RETRY_DELAY_MAX);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// How `url` is shown in logs: `postgres://user@host:port/db`, never the password.
pub fn describe_url(url: &str) -> Result<String, StoreError> {
    let config: postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
    Ok(describe(&config, None))
}

/// A schema name we put into SQL text: ASCII letters, digits and `_`, not starting with a digit.
fn check_identifier(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Backend(format!("{name:?} is not a plain schema name")))
    }
}

/// `postgres://user@host:port/db` (no password), and the schema when one is set.
fn describe(config: &postgres::Config, schema: Option<&str>) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or("");
    match schema {
        Some(schema) => format!("postgres://{user}@{host}:{port}/{db} (schema {schema})"),
        None => format!("postgres://{user}@{host}:{port}/{db}"),
    }
}

impl Backend for PostgresBackend {
    fn journal(&self) -> Result<Box<dyn Journal>, StoreError> {
        Ok(Box::new(OffRuntime(self.open_journal()?)))
    }

    fn read_models(&self) -> Result<Box<dyn ReadModels>, StoreError> {
        Ok(Box::new(OffRuntime(self.open_read_models()?)))
    }

    fn outbox(&self) -> Result<Box<dyn crate::Outbox>, StoreError> {
        Ok(Box::new(OffRuntime(self.open_outbox()?)))
    }

    fn audit(&self) -> Result<Box<dyn crate::AuditLog>, StoreError> {
        Ok(Box::new(OffRuntime(self.open_audit()?)))
    }

    fn settlement(&self) -> Result<Box<dyn crate::SettlementStore>, StoreError> {
        Ok(Box::new(OffRuntime(self.open_settlement()?)))
    }

    fn leases(&self) -> Result<Box<dyn crate::Leases>, StoreError> {
        Ok(Box::new(OffRuntime(self.open_leases()?)))
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["iou", "iou_test_12ab", "_x"] {
            assert!(check_identifier(good).is_ok(), "{good}");
        }
        for bad in ["", "1x", "a-b", "a;drop", "a b", "Ä", &"x".repeat(64)] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_description_hides_the_password() {
        let config: postgres::Config = "postgres://iou:secret@db.example:6543/ledger".parse().unwrap();
        let name = describe(&config, None);
        assert_eq!(name, "postgres://iou@db.example:6543/ledger");
        assert!(!format!("{:?}", PostgresBackend { config, name }).contains("secret"));
    }
}
