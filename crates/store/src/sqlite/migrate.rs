//! Schema migrations: a versioned list of SQL steps, applied in order at open and recorded in
//! the database's `schema_migrations` table, so a later build can add tables and columns to a
//! store an earlier build created.
//!
//! Rules for the lists in [`super::schema`]: versions start at 1 and go up by one; a released
//! step is never edited (add a new one instead); a step is one transaction with its record, so
//! a crash mid-migration leaves the database at the previous version.

use rusqlite::{Connection, TransactionBehavior, params};

use crate::StoreError;

/// One schema step.
#[derive(Debug)]
pub(crate) struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)";

/// Applies the steps of `steps` the database lacks, each in its own transaction, and returns
/// the versions applied. Refuses a database that has a version this build does not know.
pub(crate) fn migrate(conn: &mut Connection, database: &str, steps: &[Migration]) -> Result<Vec<u32>, StoreError> {
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(
            step.version as usize,
            i + 1,
            "migration versions of {database} must count up from 1"
        );
    }
    conn.execute_batch(CREATE_TABLE)?;
    let mut applied = Vec::new();
    for step in steps {
        // Each step checks the version inside its own write transaction, so two processes
        // opening the same store at once cannot both apply it.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = current_version(&tx)?;
        let known = steps.len() as u32;
        if current > known {
            return Err(StoreError::SchemaTooNew {
                database: database.to_string(),
                found: current,
                known,
            });
        }
        if step.version <= current {
            continue;
        }
        tx.execute_batch(step.sql)
            .map_err(|e| StoreError::Backend(format!("{database} migration {} ({}): {e}", step.version, step.name)))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
            params![step.version, step.name],
        )?;
        tx.commit()?;
        applied.push(step.version);
    }
    Ok(applied)
}

fn current_version(conn: &Connection) -> Result<u32, StoreError> {
    let version: Option<u32> = conn.query_row("SELECT max(version) FROM schema_migrations", [], |row| row.get(0))?;
    Ok(version.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: Migration = Migration {
        version: 1,
        name: "create t",
        sql: "CREATE TABLE t (a INTEGER);",
    };
    const V2: Migration = Migration {
        version: 2,
        name: "add b",
        sql: "ALTER TABLE t ADD COLUMN b TEXT;",
    };

    /// A later build's list applies only the new steps (re-running V1 would fail: the table
    /// exists), and an older build refuses the newer database.
    #[test]
    fn applies_only_missing_steps_and_refuses_newer_databases() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn, "t.db", &[V1]).unwrap(), vec![1]);
        assert_eq!(migrate(&mut conn, "t.db", &[V1]).unwrap(), Vec::<u32>::new());
        assert_eq!(migrate(&mut conn, "t.db", &[V1, V2]).unwrap(), vec![2]);
        conn.execute("INSERT INTO t (a, b) VALUES (1, 'x')", []).unwrap();
        let names: Vec<String> = conn
            .prepare("SELECT name FROM schema_migrations ORDER BY version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(names, ["create t", "add b"]);
        let err = migrate(&mut conn, "t.db", &[V1]).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found: 2, known: 1, .. }),
            "{err}"
        );
    }
}
