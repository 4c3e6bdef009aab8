-- The audit log: records numbered 1, 2, 3 ... without gaps, each holding the hash of the one
-- before (the `audit` crate computes both hashes; the store only keeps them). Append-only:
-- no code path updates or deletes a row.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY NOT NULL,
    at_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    outcome TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);

-- Signed checkpoints of the audit log: record `seq` had hash `hash`, signed at `at_us`.
CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY NOT NULL,
    hash BLOB NOT NULL,
    at_us INTEGER NOT NULL,
    signature BLOB NOT NULL
);
