//! Every conformance check against every backend: SQLite in a fresh temporary directory per
//! test, memory, and PostgreSQL in a fresh schema per test (when `IOU_TEST_POSTGRES_URL` is
//! set; a loud SKIPPED line otherwise).

use store::conformance;
use store::memory::MemoryBackend;
use store::sqlite::SqliteBackend;

/// One test per check and backend, so a failure names both.
macro_rules! conformance_tests {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $check() {
                    let dir = tempfile::tempdir().unwrap();
                    let backend = SqliteBackend::open(dir.path()).unwrap();
                    conformance::$check(&backend);
                }
            )*
        }
        mod memory {
            use super::*;
            $(
                #[test]
                fn $check() {
                    conformance::$check(&MemoryBackend::new());
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[test]
                fn $check() {
                    let name = concat!("conformance::postgres::", stringify!($check));
                    if let Some(db) = conformance::postgres::fresh(name) {
                        conformance::$check(&db.backend);
                    }
                }
            )*
        }
    };
}

conformance_tests!(
    append_and_scan,
    sequence_gaps_are_refused,
    handles_share_the_journal,
    last_seq_and_read_batch,
    snapshots_keep_the_newest,
    meta_round_trips,
    large_blobs,
    many_small_batches,
    projection_is_idempotent,
    project_many_coalesces,
    queries_are_read_only,
    audit_append_and_scan,
    audit_sequence_gaps_are_refused,
    audit_handles_share_the_log,
    audit_checkpoints_in_order,
    audit_many_records_in_pages,
    run_all,
);
