-- The journal: each partition's batches, in order, without gaps.
CREATE TABLE journal (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (partition, seq)
);

-- Partition snapshots: the newest two of each partition are kept.
CREATE TABLE snapshots (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (partition, seq)
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;
