//! A fresh PostgreSQL schema per test: [`fresh`] reads `IOU_TEST_POSTGRES_URL`, creates
//! `iou_test_<pid>_<n>_<nanos>`, opens a [`PostgresBackend`] in it, and drops the schema when
//! the [`TestSchema`] is dropped. Without the variable it prints a loud `SKIPPED` line and
//! returns `None`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::postgres::PostgresBackend;

/// The environment variable naming the test database.
pub const URL_VAR: &str = "IOU_TEST_POSTGRES_URL";

/// A schema of its own for one test, dropped with it.
#[derive(Debug)]
pub struct TestSchema {
    pub url: String,
    pub schema: String,
    pub backend: PostgresBackend,
}

impl TestSchema {
    /// The URL that opens this schema (for a child process: `--store`).
    pub fn schema_url(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}options=-c%20search_path%3D{}", self.url, self.schema)
    }
}

impl TestSchema {
    /// Closes every connection the schema's handles hold, as a server restart or a network
    /// failure would (`pg_terminate_backend`), and returns how many there were.
    pub fn break_connections(&self) -> u64 {
        let mut admin = postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {URL_VAR}: {e}"));
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&format!("iou:{}", self.schema)],
            )
            .unwrap_or_else(|e| panic!("terminating the schema's connections: {e}"))
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if let Err(e) = PostgresBackend::drop_schema(&self.url, &self.schema) {
            eprintln!("could not drop the test schema {}: {e}", self.schema);
        }
    }
}

/// The test database's URL, or a loud `SKIPPED` line naming `test` and `None`.
pub fn url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            // Straight to the process's stderr: the test harness captures `eprintln!`, and
            // a skipped check must be seen.
            let line = format!(
                "SKIPPED: {test} needs PostgreSQL; set {URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/test)\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            None
        }
    }
}

/// A migrated backend in a fresh schema, or `None` (and a `SKIPPED` line) without a database.
/// Panics when the variable is set but the database cannot be used.
pub fn fresh(test: &str) -> Option<TestSchema> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let url = url(test)?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let schema = format!("iou_test_{}_{n}_{nanos}", std::process::id());
    let backend = PostgresBackend::open_in_schema(&url, &schema)
        .unwrap_or_else(|e| panic!("{test}: cannot open PostgreSQL at {URL_VAR}: {e}"));
    Some(TestSchema { url, schema, backend })
}
