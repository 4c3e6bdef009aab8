-- Settlement's tables (store::settlement; READ_MODELS.md "Settlement"), as SQLite's
-- settlement_001 makes them in settlement.db: every integer is BIGINT (ids, fen, days, ppm),
-- so each value is the same 64 bits as in SQLite.
CREATE TABLE settlement_watermarks (
    partition BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL
);

-- Which merchant each authorized transaction is for.
CREATE TABLE settlement_txns (
    txn BIGINT PRIMARY KEY NOT NULL,
    merchant BIGINT NOT NULL,
    terms BIGINT NOT NULL
);

-- Captures and refunds, keyed by where they sit in the journal.
CREATE TABLE settlement_facts (
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    record BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    txn BIGINT NOT NULL,
    kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    day BIGINT NOT NULL,
    PRIMARY KEY (partition, seq, record, idx)
);
CREATE INDEX settlement_facts_by_day ON settlement_facts (day);

CREATE TABLE settlement_prices (
    scope TEXT NOT NULL,
    effective_from BIGINT NOT NULL,
    discount_ppm BIGINT NOT NULL,
    fixed_fee_fen BIGINT NOT NULL,
    PRIMARY KEY (scope, effective_from)
);

CREATE TABLE settlement_merchants (
    merchant BIGINT PRIMARY KEY NOT NULL,
    category TEXT,
    delay_days BIGINT NOT NULL,
    reserve_ppm BIGINT NOT NULL,
    reserve_days BIGINT NOT NULL,
    receivable_limit_fen BIGINT NOT NULL
);

CREATE TABLE settlement_balances (
    merchant BIGINT PRIMARY KEY NOT NULL,
    balance_fen BIGINT NOT NULL,
    receivable_fen BIGINT NOT NULL
);

CREATE TABLE settlements (
    merchant BIGINT NOT NULL,
    day BIGINT NOT NULL,
    captures BIGINT NOT NULL,
    captured_fen BIGINT NOT NULL,
    refunds BIGINT NOT NULL,
    refunded_fen BIGINT NOT NULL,
    fees_fen BIGINT NOT NULL,
    subsidies_fen BIGINT NOT NULL,
    balance_before_fen BIGINT NOT NULL,
    held_fen BIGINT NOT NULL,
    payout_fen BIGINT NOT NULL,
    balance_after_fen BIGINT NOT NULL,
    receivable_fen BIGINT NOT NULL,
    PRIMARY KEY (merchant, day)
);
CREATE INDEX settlements_by_day ON settlements (day);

-- Settlement ledger legs (debit positive); each entry's legs sum to zero.
CREATE TABLE settlement_postings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day BIGINT NOT NULL,
    merchant BIGINT NOT NULL,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    amount_fen BIGINT NOT NULL
);
CREATE INDEX settlement_postings_by_day ON settlement_postings (day, account);

CREATE TABLE settlement_payouts (
    id TEXT PRIMARY KEY NOT NULL,
    merchant BIGINT NOT NULL,
    day BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX settlement_payouts_by_status ON settlement_payouts (status, day, id);

CREATE TABLE settlement_runs (
    day BIGINT PRIMARY KEY NOT NULL
);
