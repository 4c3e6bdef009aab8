//! SQLite's own promises: the data directory's layout, reopening keeps everything, migrations
//! are recorded and run once, a newer schema is refused, and two snapshots are kept.

use std::path::Path;

use credit::{AccountId, Day, Event};
use money::Amount;
use rusqlite::Connection;
use store::conformance::batch_bytes;
use store::sqlite::{JOURNAL_FILE, READ_FILE, SqliteBackend};
use store::{Backend, BatchRef, Projection, Snapshot, StoreError};

fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

fn migrations(path: &Path) -> Vec<(u32, String, String)> {
    raw(path)
        .prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn open_creates_the_directory_and_both_databases_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a/b/data");
    let backend = SqliteBackend::open(&data).unwrap();
    assert_eq!(backend.describe(), format!("sqlite:{}", data.display()));
    for file in [JOURNAL_FILE, READ_FILE] {
        let mode: String = raw(&data.join(file))
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal", "{file}");
    }
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let events = [Event::AccountOpened {
        account: AccountId(1),
        limit: Amount::yuan(100),
        billing_day: 3,
        first_statement: Day::ymd(2026, 1, 3),
    }];
    {
        let backend = SqliteBackend::open(dir.path()).unwrap();
        let mut journal = backend.journal().unwrap();
        for seq in 1..=3 {
            let bytes: Vec<Vec<u8>> = (0..3).map(|p| batch_bytes(p, seq, 1_000)).collect();
            let group: Vec<BatchRef<'_>> = (0..3)
                .map(|p| BatchRef {
                    partition: p,
                    seq,
                    bytes: &bytes[p as usize],
                })
                .collect();
            journal.append(&group).unwrap();
        }
        journal
            .save_snapshot(&Snapshot {
                partition: 1,
                seq: 2,
                bytes: b"state".to_vec(),
            })
            .unwrap();
        journal.set_meta("partitions", "3").unwrap();
        let mut rm = backend.read_models().unwrap();
        let projection = Projection {
            partition: 0,
            seq: 1,
            at_ms: 0,
            events: &events,
            accounts: &[],
        };
        rm.project(&projection).unwrap();
    }
    let backend = SqliteBackend::open(dir.path()).unwrap();
    let mut journal = backend.journal().unwrap();
    for p in 0..3 {
        assert_eq!(journal.last_seq(p).unwrap(), 3);
        assert_eq!(journal.read_batch(p, 2).unwrap(), Some(batch_bytes(p, 2, 1_000)));
    }
    assert_eq!(
        journal.load_snapshot(1).unwrap().map(|s| (s.seq, s.bytes)),
        Some((2, b"state".to_vec()))
    );
    assert_eq!(journal.meta("partitions").unwrap().as_deref(), Some("3"));
    // The reopened journal continues each partition where it stopped.
    let next = batch_bytes(0, 4, 10);
    let gap = journal.append(&[BatchRef {
        partition: 0,
        seq: 5,
        bytes: &next,
    }]);
    assert!(matches!(gap, Err(StoreError::SequenceGap { last: 3, .. })), "{gap:?}");
    journal
        .append(&[BatchRef {
            partition: 0,
            seq: 4,
            bytes: &next,
        }])
        .unwrap();
    let mut rm = backend.read_models().unwrap();
    assert_eq!(rm.watermark(0).unwrap(), 1);
    let (_, rows) = rm.query("SELECT account, limit_fen FROM accounts", 10).unwrap();
    assert_eq!(rows, [vec![Some("1".to_string()), Some("10000".to_string())]]);
}

#[test]
fn migrations_are_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    SqliteBackend::open(dir.path()).unwrap();
    let journal = migrations(&dir.path().join(JOURNAL_FILE));
    let read = migrations(&dir.path().join(READ_FILE));
    let names = |m: &[(u32, String, String)]| m.iter().map(|(v, n, _)| (*v, n.clone())).collect::<Vec<_>>();
    assert_eq!(
        names(&journal),
        [
            (1, "journal, snapshots and meta".to_string()),
            (2, "audit log and its checkpoints".to_string())
        ]
    );
    assert_eq!(
        names(&read),
        [
            (1, "read models".to_string()),
            (2, "notices, cases and the webhook outbox".to_string()),
            (3, "holds and purchases keyed by transaction".to_string())
        ]
    );
    // Reopening applies nothing: the same rows, with the same times.
    SqliteBackend::open(dir.path()).unwrap();
    assert_eq!(migrations(&dir.path().join(JOURNAL_FILE)), journal);
    assert_eq!(migrations(&dir.path().join(READ_FILE)), read);
    // Operators can see the read models' schema version.
    let backend = SqliteBackend::open(dir.path()).unwrap();
    let (_, rows) = backend
        .read_models()
        .unwrap()
        .query("SELECT max(version) FROM schema_migrations", 1)
        .unwrap();
    assert_eq!(rows, [vec![Some("3".to_string())]]);
}

/// Guards migration 3 (holds and purchases rekeyed by transaction): a store written by a build
/// that knew only versions 1 and 2 keeps every hold and purchase, column for column, and gets
/// the new keys and indexes.
#[test]
fn migration_3_keeps_holds_and_purchases() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(READ_FILE);
    let old = raw(&path);
    old.execute_batch(include_str!("../../src/sqlite/sql/read_001.sql"))
        .unwrap();
    old.execute_batch(include_str!("../../src/sqlite/sql/read_002.sql"))
        .unwrap();
    old.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT 'then');
         INSERT INTO schema_migrations (version, name) VALUES (1, 'read models'),
             (2, 'notices, cases and the webhook outbox');
         INSERT INTO holds VALUES (7, 513, 3, 1000, 9000, '2026-03-08', 'captured', 1000, 0, 5, 6, 1, 2);
         INSERT INTO holds VALUES (8, 769, 3, 250, 8750, '2026-03-09', 'held', NULL, NULL, 7, NULL, 1, 3);
         INSERT INTO purchases VALUES (7, 513, 3, 1000, 100, 513, 1, 6, 1, 4);",
    )
    .unwrap();
    drop(old);
    SqliteBackend::open(dir.path()).unwrap();
    let db = raw(&path);
    let rows = |sql: &str| -> Vec<String> {
        let mut statement = db.prepare(sql).unwrap();
        let n = statement.column_count();
        statement
            .query_map([], |row| {
                Ok((0..n)
                    .map(|i| match row.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(t) => format!("Text({:?})", String::from_utf8_lossy(t)),
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join(","))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let holds = "SELECT account, txn, merchant, amount_fen, available_after_fen, expires_on, state, captured_fen,
        released_fen, authorized_at_ms, settled_at_ms, partition, seq FROM holds ORDER BY txn";
    let expected_holds = [
        r#"Integer(7),Integer(513),Integer(3),Integer(1000),Integer(9000),Text("2026-03-08"),Text("captured"),Integer(1000),Integer(0),Integer(5),Integer(6),Integer(1),Integer(2)"#,
        r#"Integer(8),Integer(769),Integer(3),Integer(250),Integer(8750),Text("2026-03-09"),Text("held"),Null,Null,Integer(7),Null,Integer(1),Integer(3)"#,
    ];
    assert_eq!(rows(holds), expected_holds);
    let purchases = "SELECT account, txn, merchant, amount_fen, refunded_fen, plan, fraud_exempt, captured_at_ms,
        partition, seq FROM purchases";
    assert_eq!(
        rows(purchases),
        [
            "Integer(7),Integer(513),Integer(3),Integer(1000),Integer(100),Integer(513),Integer(1),Integer(6),Integer(1),Integer(4)"
        ]
    );
    // The transaction is the rowid now, and the account-scoped lookups have their index.
    assert_eq!(
        rows("SELECT rowid FROM holds ORDER BY rowid"),
        ["Integer(513)", "Integer(769)"]
    );
    let indexes = rows(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('holds', 'purchases') ORDER BY name",
    );
    assert_eq!(
        indexes,
        [
            r#"Text("holds_by_account")"#,
            r#"Text("holds_by_merchant")"#,
            r#"Text("holds_by_state")"#,
            r#"Text("purchases_by_account")"#,
            r#"Text("purchases_by_merchant")"#
        ]
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    SqliteBackend::open(dir.path()).unwrap();
    raw(&dir.path().join(READ_FILE))
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES (4, 'from the future')",
            [],
        )
        .unwrap();
    match SqliteBackend::open(dir.path()) {
        Err(StoreError::SchemaTooNew { database, found, known }) => {
            assert_eq!((database.as_str(), found, known), (READ_FILE, 4, 3));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn the_newest_two_snapshots_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(dir.path()).unwrap();
    let mut journal = backend.journal().unwrap();
    for (partition, seq) in [(1, 10), (1, 20), (2, 5), (1, 30), (1, 25)] {
        let snapshot = Snapshot {
            partition,
            seq,
            bytes: vec![seq as u8; 10],
        };
        journal.save_snapshot(&snapshot).unwrap();
    }
    let kept: Vec<(u32, u64)> = raw(&dir.path().join(JOURNAL_FILE))
        .prepare("SELECT partition, seq FROM snapshots ORDER BY partition, seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kept, [(1, 25), (1, 30), (2, 5)]);
    assert_eq!(journal.load_snapshot(1).unwrap().unwrap().seq, 30);
}
