//! The outbox conformance checks against SQLite (a fresh data directory per check) and memory,
//! PostgreSQL (a fresh schema per check, when `IOU_TEST_POSTGRES_URL` is set), and what only
//! SQL shows: the `notices` table and the `cases` view.

use store::Backend;
use store::conformance::outbox;
use store::outbox::memory::MemoryOutbox;
use store::outbox::{NoticeKey, NoticeRow, Outbox};
use store::sqlite::SqliteBackend;

macro_rules! outbox_tests {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $check() {
                    let dir = tempfile::tempdir().unwrap();
                    let backend = SqliteBackend::open(dir.path()).unwrap();
                    outbox::$check("sqlite", &mut backend.open_outbox().unwrap());
                }
            )*
        }
        mod memory {
            use super::*;
            $(
                #[test]
                fn $check() {
                    outbox::$check("memory", &mut MemoryOutbox::new());
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[test]
                fn $check() {
                    let name = concat!("outbox::postgres::", stringify!($check));
                    if let Some(db) = store::conformance::postgres::fresh(name) {
                        outbox::$check("postgres", &mut db.backend.open_outbox().unwrap());
                    }
                }
            )*
        }
    };
}

outbox_tests!(
    record_is_idempotent,
    due_is_ordered_and_limited,
    delivered_is_final,
    failures_retry_later,
    old_failures_are_dead_lettered,
);

#[test]
fn run_all_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    outbox::run_all("sqlite", &mut || {
        n += 1;
        let backend = SqliteBackend::open(&dir.path().join(n.to_string())).unwrap();
        Box::new(backend.open_outbox().unwrap()) as Box<dyn Outbox>
    });
    outbox::run_all("memory", &mut || Box::new(MemoryOutbox::new()) as Box<dyn Outbox>);
    let mut schemas = Vec::new();
    if store::conformance::postgres::url("outbox::run_all_on_both (postgres)").is_some() {
        outbox::run_all("postgres", &mut || {
            let db = store::conformance::postgres::fresh("outbox::run_all").unwrap();
            let handle = Box::new(db.backend.open_outbox().unwrap()) as Box<dyn Outbox>;
            schemas.push(db);
            handle
        });
    }
}

fn row(seq: u64, kind: &str, case: u64, body: &str) -> NoticeRow {
    NoticeRow {
        key: NoticeKey {
            partition: 0,
            seq,
            record: 0,
            notice: 0,
        },
        at_ms: 1_000 * seq as i64,
        kind: kind.into(),
        account: 42,
        merchant: (kind == "order.intercepted").then_some(9),
        txn: Some(300),
        case: Some(case),
        body: body.into(),
    }
}

/// The `cases` view joins a case's opening, its interception and its resolution.
#[test]
fn the_cases_view_follows_the_notices() {
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(dir.path()).unwrap();
    cases_view(&backend);
}

/// The same view on PostgreSQL.
#[test]
fn the_cases_view_follows_the_notices_on_postgres() {
    if let Some(db) = store::conformance::postgres::fresh("outbox::the_cases_view_follows_the_notices_on_postgres") {
        cases_view(&db.backend);
    }
}

fn cases_view(backend: &dyn Backend) {
    let mut outbox = backend.outbox().unwrap();
    let opened = r#"{"kind": "interception", "txns": ["300"], "evidence": [{"reasons": ["DEVICE_ON_FRAUD_LIST"]}]}"#;
    let intercepted = r#"{"action": "voided", "reasons": ["DEVICE_ON_FRAUD_LIST"]}"#;
    let theft = r#"{"kind": "theft", "txns": ["301"], "evidence": []}"#;
    outbox
        .record(
            0,
            3,
            &[
                row(1, "case.opened", 11, opened),
                row(2, "order.intercepted", 11, intercepted),
                row(3, "case.opened", 12, theft),
            ],
            &[],
        )
        .unwrap();
    outbox
        .record(0, 4, &[row(4, "case.resolved", 12, r#"{"confirmed": true}"#)], &[])
        .unwrap();
    let mut rm = backend.read_models().unwrap();
    let (_, rows) = rm
        .query(
            "SELECT case_id, kind, status, merchant, action, reasons, resolved_at_ms FROM cases ORDER BY case_id",
            10,
        )
        .unwrap();
    let text = |r: &Vec<Option<String>>| r.iter().map(|v| v.clone().unwrap_or("-".into())).collect::<Vec<_>>();
    assert_eq!(
        rows.iter().map(text).collect::<Vec<_>>(),
        [
            [
                "11",
                "interception",
                "open",
                "9",
                "voided",
                "[\"DEVICE_ON_FRAUD_LIST\"]",
                "-"
            ],
            ["12", "theft", "confirmed", "-", "-", "-", "4000"],
        ]
    );
}
