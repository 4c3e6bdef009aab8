//! The migration lists of the two databases. Append new steps; never edit a released one.

use super::migrate::Migration;

/// `journal.db`: the journal, snapshots, meta and the audit log.
pub(crate) const JOURNAL: &[Migration] = &[
    Migration {
        version: 1,
        name: "journal, snapshots and meta",
        sql: include_str!("sql/journal_001.sql"),
    },
    Migration {
        version: 2,
        name: "audit log and its checkpoints",
        sql: include_str!("sql/journal_002.sql"),
    },
];

/// `read.db`: the read models (READ_MODELS.md describes them).
pub(crate) const READ: &[Migration] = &[
    Migration {
        version: 1,
        name: "read models",
        sql: include_str!("sql/read_001.sql"),
    },
    Migration {
        version: 2,
        name: "notices, cases and the webhook outbox",
        sql: include_str!("sql/read_002.sql"),
    },
    Migration {
        version: 3,
        name: "holds and purchases keyed by transaction",
        sql: include_str!("sql/read_003.sql"),
    },
];

/// `settlement.db`: settlement's own tables (`store::settlement`).
pub(crate) const SETTLEMENT: &[Migration] = &[Migration {
    version: 1,
    name: "merchant facts, pricing, settlements, payouts and the settlement ledger",
    sql: include_str!("sql/settlement_001.sql"),
}];
