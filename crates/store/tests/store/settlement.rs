//! The settlement store's conformance checks against SQLite (a fresh data directory per check),
//! memory, and PostgreSQL (a fresh schema per check, when `IOU_TEST_POSTGRES_URL` is set; a
//! loud `SKIPPED` line without it), through `Backend::settlement` as the server opens it.

use store::Backend;
use store::conformance::settlement;
use store::settlement::SettlementStore;
use store::settlement::memory::MemorySettlement;
use store::sqlite::SqliteBackend;

macro_rules! settlement_tests {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $check() {
                    let dir = tempfile::tempdir().unwrap();
                    let backend = SqliteBackend::open(dir.path()).unwrap();
                    settlement::$check("sqlite", &mut backend.open_settlement().unwrap());
                }
            )*
        }
        mod memory {
            use super::*;
            $(
                #[test]
                fn $check() {
                    settlement::$check("memory", &mut MemorySettlement::new());
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[test]
                fn $check() {
                    let name = concat!("settlement::postgres::", stringify!($check));
                    if let Some(db) = store::conformance::postgres::fresh(name) {
                        settlement::$check("postgres", &mut *db.backend.settlement().unwrap());
                    }
                }
            )*
        }
    };
}

settlement_tests!(
    facts_are_idempotent_and_joined,
    a_day_settles_once,
    settle_many_skips_the_settled,
    payouts_move_by_compare_and_set,
    prices_and_merchants,
);

#[test]
fn run_all_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    settlement::run_all("sqlite", &mut || {
        n += 1;
        let backend = SqliteBackend::open(&dir.path().join(n.to_string())).unwrap();
        Box::new(backend.open_settlement().unwrap()) as Box<dyn SettlementStore>
    });
    settlement::run_all("memory", &mut || {
        Box::new(MemorySettlement::new()) as Box<dyn SettlementStore>
    });
    let mut schemas = Vec::new();
    if store::conformance::postgres::url("settlement::run_all_on_both (postgres)").is_some() {
        settlement::run_all("postgres", &mut || {
            let db = store::conformance::postgres::fresh("settlement::run_all").unwrap();
            let handle = db.backend.settlement().unwrap();
            schemas.push(db);
            handle
        });
    }
}
