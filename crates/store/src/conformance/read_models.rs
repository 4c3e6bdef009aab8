//! Conformance checks of the read models: watermarks, idempotent projection, `project_many`,
//! and read-only queries.

use credit::ledger::{Entry, EntryKind, LedgerAccount};
use credit::{AccountId, Day, Event};
use money::Amount;

use crate::{Backend, Projection, ReadModels, StoreError};

fn read_models(backend: &dyn Backend) -> Box<dyn ReadModels> {
    backend
        .read_models()
        .unwrap_or_else(|e| panic!("{}: cannot open a read-model handle: {e}", backend.describe()))
}

/// Two events for batch `seq` of `partition`: an account opening and a balanced entry.
fn events(partition: u32, seq: u64) -> Vec<Event> {
    let account = AccountId(u64::from(partition) * 1_000_000 + seq);
    vec![
        Event::AccountOpened {
            account,
            limit: Amount::from_fen(500_000),
            billing_day: 5,
            first_statement: Day::ymd(2026, 2, 5),
        },
        Event::Posted {
            account,
            entry: Entry::transfer(
                EntryKind::Capture,
                LedgerAccount::PrincipalReceivable,
                LedgerAccount::MerchantPayable,
                Amount::from_fen(1_234),
            ),
        },
    ]
}

/// The events of each `(partition, seq)`, owned so projections can borrow them.
fn events_of(batches: &[(u32, u64)]) -> Vec<Vec<Event>> {
    batches.iter().map(|&(p, s)| events(p, s)).collect()
}

fn projections<'a>(batches: &[(u32, u64)], events: &'a [Vec<Event>]) -> Vec<Projection<'a>> {
    batches
        .iter()
        .zip(events)
        .map(|(&(partition, seq), events)| Projection {
            partition,
            seq,
            at_ms: 1_767_225_600_000 + seq as i64 * 1_000,
            events,
            accounts: &[],
        })
        .collect()
}

fn watermark(backend: &dyn Backend, rm: &mut dyn ReadModels, partition: u32) -> u64 {
    rm.watermark(partition)
        .unwrap_or_else(|e| panic!("{}: watermark({partition}) failed: {e}", backend.describe()))
}

/// The rows of a query, or `None` when the backend runs no SQL.
fn rows(backend: &dyn Backend, rm: &mut dyn ReadModels, sql: &str) -> Option<Vec<Vec<Option<String>>>> {
    match rm.query(sql, 1_000) {
        Ok((_, rows)) => Some(rows),
        Err(StoreError::Unsupported { .. }) => None,
        Err(e) => panic!("{}: query {sql:?} failed: {e}", backend.describe()),
    }
}

/// How many events and ledger entries a partition has in the read models (`None` without SQL).
fn counts(backend: &dyn Backend, rm: &mut dyn ReadModels, partition: u32) -> Option<(String, String)> {
    let sql = format!(
        "SELECT (SELECT count(*) FROM events WHERE partition = {partition}),
                (SELECT count(*) FROM ledger_entries WHERE partition = {partition})"
    );
    let rows = rows(backend, rm, &sql)?;
    let row = &rows[0];
    Some((row[0].clone().unwrap_or_default(), row[1].clone().unwrap_or_default()))
}

fn project(backend: &dyn Backend, rm: &mut dyn ReadModels, batches: &[(u32, u64)]) {
    let events = events_of(batches);
    let projections = projections(batches, &events);
    rm.project_many(&projections)
        .unwrap_or_else(|e| panic!("{}: project_many({batches:?}) failed: {e}", backend.describe()));
}

/// Projecting a batch at or below the watermark changes nothing; one above moves it.
pub fn projection_is_idempotent(backend: &dyn Backend) {
    let name = backend.describe();
    let mut rm = read_models(backend);
    let p = 800;
    assert_eq!(
        watermark(backend, rm.as_mut(), p),
        0,
        "{name}: a fresh partition's watermark"
    );
    let events = events_of(&[(p, 1), (p, 2)]);
    let all = projections(&[(p, 1), (p, 2)], &events);
    let steps = [(0, 1), (0, 1), (1, 2), (0, 2), (1, 2)];
    for (i, expected) in steps {
        rm.project(&all[i])
            .unwrap_or_else(|e| panic!("{name}: project of batch {} failed: {e}", all[i].seq));
        assert_eq!(
            watermark(backend, rm.as_mut(), p),
            expected,
            "{name}: watermark after batch {}",
            all[i].seq
        );
    }
    if let Some(counts) = counts(backend, rm.as_mut(), p) {
        assert_eq!(
            counts,
            ("4".into(), "2".into()),
            "{name}: re-sent batches must not be written twice"
        );
    }
    let mut other = read_models(backend);
    assert_eq!(
        watermark(backend, other.as_mut(), p),
        2,
        "{name}: another handle sees the watermark"
    );
}

/// `project_many` applies many batches of several partitions at once, skipping those already
/// projected, including repeats within the call.
pub fn project_many_coalesces(backend: &dyn Backend) {
    let name = backend.describe();
    let mut rm = read_models(backend);
    let (a, b) = (900, 901);
    project(backend, rm.as_mut(), &[(a, 1), (a, 2)]);
    project(
        backend,
        rm.as_mut(),
        &[(a, 1), (a, 2), (a, 3), (b, 1), (a, 3), (b, 2), (a, 4)],
    );
    project(backend, rm.as_mut(), &[]);
    assert_eq!(
        watermark(backend, rm.as_mut(), a),
        4,
        "{name}: watermark of partition {a}"
    );
    assert_eq!(
        watermark(backend, rm.as_mut(), b),
        2,
        "{name}: watermark of partition {b}"
    );
    if let Some(counts) = counts(backend, rm.as_mut(), a) {
        assert_eq!(
            counts,
            ("8".into(), "4".into()),
            "{name}: each batch of {a} written once"
        );
    }
    // The projector's fast path: thousands of batches in one call.
    let c = 902;
    let many: Vec<(u32, u64)> = (1..=3_000).map(|s| (c, s)).collect();
    project(backend, rm.as_mut(), &many);
    assert_eq!(
        watermark(backend, rm.as_mut(), c),
        3_000,
        "{name}: watermark after 3,000 batches"
    );
    if let Some(counts) = counts(backend, rm.as_mut(), c) {
        assert_eq!(counts, ("6000".into(), "3000".into()), "{name}: rows of 3,000 batches");
    }
}

/// Operators' queries: one read statement or nothing; at most `limit` rows; values as text.
pub fn queries_are_read_only(backend: &dyn Backend) {
    let name = backend.describe();
    let mut rm = read_models(backend);
    project(backend, rm.as_mut(), &[(1000, 1)]);
    let refused = [
        "INSERT INTO watermarks (partition, seq, at_ms) VALUES (1001, 1, 0)",
        "DELETE FROM watermarks",
        "UPDATE watermarks SET seq = 0",
        "DROP TABLE events",
        "CREATE TABLE x (a INTEGER)",
        "SELECT 1; DELETE FROM watermarks",
        "SELECT 1; SELECT 2",
        "PRAGMA query_only = 0",
        "ATTACH DATABASE 'other.db' AS other",
        "BEGIN",
        "",
    ];
    for sql in refused {
        match rm.query(sql, 10) {
            Err(StoreError::NotReadOnly) => {}
            other => panic!("{name}: {sql:?} must be refused as not read-only, got {other:?}"),
        }
    }
    assert_eq!(
        watermark(backend, rm.as_mut(), 1000),
        1,
        "{name}: refused queries changed nothing"
    );
    match rm.query("SELECT 1 AS one, 'a;b' AS letter, NULL AS empty; -- done", 10) {
        Err(StoreError::Unsupported { .. }) => return,
        Ok((columns, rows)) => {
            assert_eq!(columns, ["one", "letter", "empty"], "{name}: column names");
            assert_eq!(
                rows,
                [vec![Some("1".into()), Some("a;b".into()), None]],
                "{name}: values as text"
            );
        }
        Err(e) => panic!("{name}: a plain SELECT failed: {e}"),
    }
    // Writes that start like reads are refused by the database itself.
    match rm.query("WITH x AS (SELECT 1) DELETE FROM watermarks", 10) {
        Err(StoreError::NotReadOnly) => {}
        other => panic!("{name}: a DELETE behind WITH must be refused, got {other:?}"),
    }
    let hundred = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100) SELECT x FROM n";
    for (limit, expected) in [(10, 10), (0, 0), (1_000, 100)] {
        let (columns, rows) = rm
            .query(hundred, limit)
            .unwrap_or_else(|e| panic!("{name}: a recursive query failed: {e}"));
        assert_eq!(columns, ["x"], "{name}: columns of a capped query");
        assert_eq!(rows.len(), expected, "{name}: rows capped at {limit}");
    }
    assert_eq!(
        watermark(backend, rm.as_mut(), 1000),
        1,
        "{name}: refused queries changed nothing"
    );
}
