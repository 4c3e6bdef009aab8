-- Holds and purchases keyed by their transaction id, which is unique on its own.
--
-- Read_001 keyed them by (account, txn) in WITHOUT ROWID tables, which put every new row at a
-- random place in a table of millions: each authorization dirtied a different table page, and
-- the projection wrote most of the table to the WAL every round. A transaction id grows with
-- its partition's counter, so keyed by it new rows are appended at the table's end; the
-- per-account lookups go through a narrow unique index (account, txn) instead, which also
-- serves the account-scoped updates (WHERE account = ? AND txn = ?).

CREATE TABLE holds_by_txn_key (
    txn INTEGER PRIMARY KEY NOT NULL,
    account INTEGER NOT NULL,
    merchant INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    available_after_fen INTEGER NOT NULL,
    expires_on TEXT NOT NULL,
    state TEXT NOT NULL,
    captured_fen INTEGER,
    released_fen INTEGER,
    authorized_at_ms INTEGER NOT NULL,
    settled_at_ms INTEGER,
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
INSERT INTO holds_by_txn_key (txn, account, merchant, amount_fen, available_after_fen, expires_on,
    state, captured_fen, released_fen, authorized_at_ms, settled_at_ms, partition, seq)
SELECT txn, account, merchant, amount_fen, available_after_fen, expires_on, state, captured_fen,
    released_fen, authorized_at_ms, settled_at_ms, partition, seq
FROM holds;
DROP TABLE holds;
ALTER TABLE holds_by_txn_key RENAME TO holds;
CREATE UNIQUE INDEX holds_by_account ON holds (account, txn);
CREATE INDEX holds_by_merchant ON holds (merchant, authorized_at_ms);
CREATE INDEX holds_by_state ON holds (state, expires_on);

CREATE TABLE purchases_by_txn_key (
    txn INTEGER PRIMARY KEY NOT NULL,
    account INTEGER NOT NULL,
    merchant INTEGER,
    amount_fen INTEGER NOT NULL,
    refunded_fen INTEGER NOT NULL DEFAULT 0,
    plan INTEGER,
    fraud_exempt INTEGER NOT NULL DEFAULT 0,
    captured_at_ms INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
INSERT INTO purchases_by_txn_key (txn, account, merchant, amount_fen, refunded_fen, plan,
    fraud_exempt, captured_at_ms, partition, seq)
SELECT txn, account, merchant, amount_fen, refunded_fen, plan, fraud_exempt, captured_at_ms,
    partition, seq
FROM purchases;
DROP TABLE purchases;
ALTER TABLE purchases_by_txn_key RENAME TO purchases;
CREATE UNIQUE INDEX purchases_by_account ON purchases (account, txn);
CREATE INDEX purchases_by_merchant ON purchases (merchant, captured_at_ms);
