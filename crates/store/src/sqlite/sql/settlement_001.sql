-- Settlement's own tables (store::settlement; READ_MODELS.md "Settlement").
CREATE TABLE settlement_watermarks (
    partition INTEGER PRIMARY KEY NOT NULL,
    seq INTEGER NOT NULL
);

-- Which merchant each authorized transaction is for.
CREATE TABLE settlement_txns (
    txn INTEGER PRIMARY KEY NOT NULL,
    merchant INTEGER NOT NULL,
    terms INTEGER NOT NULL
);

-- Captures and refunds, keyed by where they sit in the journal.
CREATE TABLE settlement_facts (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    record INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    txn INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    day INTEGER NOT NULL,
    PRIMARY KEY (partition, seq, record, idx)
);
CREATE INDEX settlement_facts_by_day ON settlement_facts (day);

CREATE TABLE settlement_prices (
    scope TEXT NOT NULL,
    effective_from INTEGER NOT NULL,
    discount_ppm INTEGER NOT NULL,
    fixed_fee_fen INTEGER NOT NULL,
    PRIMARY KEY (scope, effective_from)
);

CREATE TABLE settlement_merchants (
    merchant INTEGER PRIMARY KEY NOT NULL,
    category TEXT,
    delay_days INTEGER NOT NULL,
    reserve_ppm INTEGER NOT NULL,
    reserve_days INTEGER NOT NULL,
    receivable_limit_fen INTEGER NOT NULL
);

CREATE TABLE settlement_balances (
    merchant INTEGER PRIMARY KEY NOT NULL,
    balance_fen INTEGER NOT NULL,
    receivable_fen INTEGER NOT NULL
);

CREATE TABLE settlements (
    merchant INTEGER NOT NULL,
    day INTEGER NOT NULL,
    captures INTEGER NOT NULL,
    captured_fen INTEGER NOT NULL,
    refunds INTEGER NOT NULL,
    refunded_fen INTEGER NOT NULL,
    fees_fen INTEGER NOT NULL,
    subsidies_fen INTEGER NOT NULL,
    balance_before_fen INTEGER NOT NULL,
    held_fen INTEGER NOT NULL,
    payout_fen INTEGER NOT NULL,
    balance_after_fen INTEGER NOT NULL,
    receivable_fen INTEGER NOT NULL,
    PRIMARY KEY (merchant, day)
);
CREATE INDEX settlements_by_day ON settlements (day);

-- Settlement ledger legs (debit positive); each entry's legs sum to zero.
CREATE TABLE settlement_postings (
    id INTEGER PRIMARY KEY,
    day INTEGER NOT NULL,
    merchant INTEGER NOT NULL,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    amount_fen INTEGER NOT NULL
);
CREATE INDEX settlement_postings_by_day ON settlement_postings (day, account);

CREATE TABLE settlement_payouts (
    id TEXT PRIMARY KEY NOT NULL,
    merchant INTEGER NOT NULL,
    day INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX settlement_payouts_by_status ON settlement_payouts (status, day, id);

CREATE TABLE settlement_runs (
    day INTEGER PRIMARY KEY NOT NULL
);
