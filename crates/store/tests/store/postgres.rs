//! What only the PostgreSQL backend promises beyond the conformance suite: migrations that are
//! idempotent and safe to run from several processes at once, a connection that is reopened
//! after a break, and a clear [`StoreError::Unavailable`] when the server is not there.

use std::time::{Duration, Instant};

use store::conformance::postgres::{fresh, url};
use store::postgres::PostgresBackend;
use store::{Backend, BatchRef, StoreError};

/// Eight servers starting at once on one schema apply each step once.
#[test]
fn concurrent_opens_migrate_once() {
    let Some(db) = fresh("postgres::concurrent_opens_migrate_once") else {
        return;
    };
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (url, schema) = (db.url.clone(), db.schema.clone());
            std::thread::spawn(move || PostgresBackend::open_in_schema(&url, &schema).map(|_| ()))
        })
        .collect();
    for thread in threads {
        thread.join().unwrap().unwrap();
    }
    let mut rm = db.backend.read_models().unwrap();
    let (_, rows) = rm
        .query("SELECT version, name FROM schema_migrations ORDER BY version", 10)
        .unwrap();
    let versions: Vec<_> = rows.iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(versions, ["1", "2", "3", "4"]);
}

/// A handle whose connection the server closed fails that call as unavailable, then
/// reconnects; nothing it acknowledged is lost.
#[test]
fn a_broken_connection_is_reopened() {
    let Some(db) = fresh("postgres::a_broken_connection_is_reopened") else {
        return;
    };
    let mut journal = db.backend.journal().unwrap();
    journal
        .append(&[BatchRef {
            partition: 0,
            seq: 1,
            bytes: b"one",
        }])
        .unwrap();
    let killed = db.break_connections();
    assert!(killed >= 1, "the handle's connection should have been found");
    let two = [BatchRef {
        partition: 0,
        seq: 2,
        bytes: b"two",
    }];
    match journal.append(&two) {
        Err(StoreError::Unavailable(_)) => journal.append(&two).unwrap(),
        Ok(()) => {}
        Err(other) => panic!("a closed connection should be unavailable, got {other}"),
    }
    assert_eq!(journal.last_seq(0).unwrap(), 2);
    assert_eq!(journal.read_batch(0, 1).unwrap().as_deref(), Some(&b"one"[..]));
}

/// Nothing listens on port 1: opening fails fast, as unavailable, and names the server.
#[test]
fn an_unreachable_server_is_unavailable() {
    let started = Instant::now();
    match PostgresBackend::open("postgres://iou:secret@127.0.0.1:1/iou") {
        Err(StoreError::Unavailable(message)) => {
            assert!(message.contains("cannot connect"), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    // A wrong password or database is not "unavailable": retrying would not help.
    if let Some(url) = url("postgres::an_unreachable_server_is_unavailable (bad database)") {
        let bad = format!("{}_no_such_database", url.trim_end_matches('/'));
        assert!(matches!(PostgresBackend::open(&bad), Err(StoreError::Backend(_))));
    }
}
