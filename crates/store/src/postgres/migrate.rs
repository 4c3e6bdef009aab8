//! Schema migrations on PostgreSQL: the same rules as SQLite's (`sqlite/migrate.rs`: versions
//! count up from 1, a released step is never edited, each step is one transaction with its
//! `schema_migrations` row), plus a session advisory lock keyed by the schema's name, held
//! while the steps run, so servers starting at once never race (`CREATE TABLE` is not safe to
//! run concurrently even with `IF NOT EXISTS`).

use super::conn::Conn;
use crate::StoreError;

/// One schema step.
#[derive(Debug)]
pub(crate) struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The steps, in order. Append new ones; never edit a released one.
pub(crate) const STEPS: &[Migration] = &[
    Migration {
        version: 1,
        name: "journal, snapshots, meta and the audit log",
        sql: include_str!("sql/001_journal.sql"),
    },
    Migration {
        version: 2,
        name: "read models, notices, cases and the webhook outbox",
        sql: include_str!("sql/002_read.sql"),
    },
    Migration {
        version: 3,
        name: "settlement's tables",
        sql: include_str!("sql/003_settlement.sql"),
    },
    Migration {
        version: 4,
        name: "partition leases",
        sql: include_str!("sql/004_leases.sql"),
    },
];

/// The first key of the advisory lock (the second is the schema name's hash): "iou migrate".
const LOCK_CLASS: i32 = 0x1001_0001;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// Applies the steps the schema lacks and returns their versions. Refuses a schema with a
/// version this build does not know.
pub(crate) fn migrate(conn: &mut Conn, steps: &[Migration]) -> Result<Vec<u32>, StoreError> {
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(step.version as usize, i + 1, "migration versions must count up from 1");
    }
    let client = conn.client()?;
    client.execute(
        "SELECT pg_advisory_lock($1, hashtext(current_schema()))",
        &[&LOCK_CLASS],
    )?;
    let result = apply(client, steps);
    let unlocked = client.execute(
        "SELECT pg_advisory_unlock($1, hashtext(current_schema()))",
        &[&LOCK_CLASS],
    );
    let applied = result?;
    unlocked?;
    Ok(applied)
}

fn apply(client: &mut postgres::Client, steps: &[Migration]) -> Result<Vec<u32>, StoreError> {
    client.batch_execute(CREATE_TABLE)?;
    let known = steps.len() as u32;
    let mut applied = Vec::new();
    for step in steps {
        let mut tx = client.transaction()?;
        let current: Option<i64> = tx.query_one("SELECT max(version) FROM schema_migrations", &[])?.get(0);
        let current = current.unwrap_or(0);
        if current > i64::from(known) {
            return Err(StoreError::SchemaTooNew {
                database: "postgres".into(),
                found: u32::try_from(current).unwrap_or(u32::MAX),
                known,
            });
        }
        if i64::from(step.version) <= current {
            continue;
        }
        tx.batch_execute(step.sql).map_err(|e| {
            StoreError::Backend(format!(
                "postgres migration {} ({}): {}",
                step.version,
                step.name,
                super::conn::message(&e)
            ))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&i64::from(step.version), &step.name],
        )?;
        tx.commit()?;
        applied.push(step.version);
    }
    Ok(applied)
}
