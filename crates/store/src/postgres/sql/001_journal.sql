-- The journal: each partition's batches, in order, without gaps (the primary key refuses a
-- batch number written twice, whoever writes it).
CREATE TABLE journal (
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (partition, seq)
);

-- Partition snapshots: the newest two of each partition are kept.
CREATE TABLE snapshots (
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (partition, seq)
);

-- Keys compare byte by byte (collation "C"), as SQLite's BINARY does: prefix ranges and the
-- order of meta_with_prefix do not depend on the database's locale.
CREATE TABLE meta (
    key TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- The audit log: records numbered 1, 2, 3 ... without gaps. Append-only.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at_us BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    outcome TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);

-- Signed checkpoints of the audit log.
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY NOT NULL,
    hash BYTEA NOT NULL,
    at_us BIGINT NOT NULL,
    signature BYTEA NOT NULL
);
