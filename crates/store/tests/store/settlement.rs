//! The settlement store's conformance checks against SQLite (a fresh data directory per check)
//! and memory.

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
}
