-- How far each partition's journal has been projected.
CREATE TABLE watermarks (
    partition INTEGER PRIMARY KEY NOT NULL,
    seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL
);

-- One row per customer account: its balances after the last batch that touched it.
CREATE TABLE accounts (
    account INTEGER PRIMARY KEY NOT NULL,
    partition INTEGER NOT NULL,
    billing_day INTEGER,
    opened_at_ms INTEGER,
    first_statement TEXT,
    limit_fen INTEGER NOT NULL DEFAULT 0,
    temporary_limit_fen INTEGER NOT NULL DEFAULT 0,
    available_fen INTEGER NOT NULL DEFAULT 0,
    held_fen INTEGER NOT NULL DEFAULT 0,
    principal_billed_fen INTEGER NOT NULL DEFAULT 0,
    principal_unbilled_fen INTEGER NOT NULL DEFAULT 0,
    fees_fen INTEGER NOT NULL DEFAULT 0,
    interest_fen INTEGER NOT NULL DEFAULT 0,
    penalties_fen INTEGER NOT NULL DEFAULT 0,
    billed_fen INTEGER NOT NULL DEFAULT 0,
    credit_balance_fen INTEGER NOT NULL DEFAULT 0,
    accrued_interest_fen INTEGER NOT NULL DEFAULT 0,
    accrued_penalties_fen INTEGER NOT NULL DEFAULT 0,
    minimum_unpaid_fen INTEGER NOT NULL DEFAULT 0,
    past_due_fen INTEGER NOT NULL DEFAULT 0,
    dpd INTEGER NOT NULL DEFAULT 0,
    bucket TEXT NOT NULL DEFAULT 'current',
    next_due_date TEXT,
    next_statement TEXT,
    frozen TEXT,
    charged_off_on TEXT,
    updated_seq INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX accounts_by_bucket ON accounts (bucket, dpd);
CREATE INDEX accounts_by_due_date ON accounts (next_due_date);

-- Authorization holds and what became of them.
CREATE TABLE holds (
    account INTEGER NOT NULL,
    txn INTEGER NOT NULL,
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
    seq INTEGER NOT NULL,
    PRIMARY KEY (account, txn)
) WITHOUT ROWID;
CREATE INDEX holds_by_txn ON holds (txn);
CREATE INDEX holds_by_merchant ON holds (merchant, authorized_at_ms);
CREATE INDEX holds_by_state ON holds (state, expires_on);

-- Captured purchases and their refunds.
CREATE TABLE purchases (
    account INTEGER NOT NULL,
    txn INTEGER NOT NULL,
    merchant INTEGER,
    amount_fen INTEGER NOT NULL,
    refunded_fen INTEGER NOT NULL DEFAULT 0,
    plan INTEGER,
    fraud_exempt INTEGER NOT NULL DEFAULT 0,
    captured_at_ms INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (account, txn)
) WITHOUT ROWID;
CREATE INDEX purchases_by_txn ON purchases (txn);
CREATE INDEX purchases_by_merchant ON purchases (merchant, captured_at_ms);

-- Installment plans: of a purchase, or of a statement's bill.
CREATE TABLE plans (
    account INTEGER NOT NULL,
    plan INTEGER NOT NULL,
    source TEXT NOT NULL,
    txn INTEGER,
    statement INTEGER,
    principal_fen INTEGER NOT NULL,
    status TEXT NOT NULL,
    paid_off_fen INTEGER,
    fees_waived_fen INTEGER,
    created_at_ms INTEGER NOT NULL,
    closed_at_ms INTEGER,
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (account, plan)
) WITHOUT ROWID;
CREATE INDEX plans_by_status ON plans (status);

-- Closed statements.
CREATE TABLE statements (
    account INTEGER NOT NULL,
    statement INTEGER NOT NULL,
    statement_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    balance_fen INTEGER NOT NULL,
    minimum_fen INTEGER NOT NULL,
    installed_plan INTEGER,
    closed_at_ms INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (account, statement)
) WITHOUT ROWID;
CREATE INDEX statements_by_due_date ON statements (due_date);
CREATE INDEX statements_by_date ON statements (statement_date);

-- Double-entry ledger: one row per entry, one per posting (debits positive).
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    account INTEGER NOT NULL,
    kind TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    UNIQUE (partition, seq, idx)
);
CREATE INDEX ledger_entries_by_account ON ledger_entries (account);

CREATE TABLE ledger_postings (
    entry INTEGER NOT NULL REFERENCES ledger_entries (id),
    leg INTEGER NOT NULL,
    account INTEGER NOT NULL,
    ledger_account TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    PRIMARY KEY (entry, leg)
) WITHOUT ROWID;
CREATE INDEX ledger_postings_by_account ON ledger_postings (account, ledger_account);

-- The book's balance on each ledger account: sums to zero.
CREATE VIEW ledger_balances AS
    SELECT ledger_account, SUM(amount_fen) AS balance_fen, COUNT(*) AS postings
    FROM ledger_postings
    GROUP BY ledger_account;

-- Each customer's balance on each ledger account.
CREATE VIEW account_ledger_balances AS
    SELECT account, ledger_account, SUM(amount_fen) AS balance_fen
    FROM ledger_postings
    GROUP BY account, ledger_account;

-- Repayments and early payoffs with their waterfall.
CREATE TABLE repayments (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    account INTEGER NOT NULL,
    op INTEGER NOT NULL,
    kind TEXT NOT NULL,
    plan INTEGER,
    amount_fen INTEGER NOT NULL,
    penalty_fen INTEGER NOT NULL,
    interest_fen INTEGER NOT NULL,
    fee_fen INTEGER NOT NULL,
    principal_fen INTEGER NOT NULL,
    unbilled_principal_fen INTEGER NOT NULL,
    credit_balance_fen INTEGER NOT NULL,
    fees_waived_fen INTEGER NOT NULL,
    recovery INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (partition, seq, idx)
) WITHOUT ROWID;
CREATE INDEX repayments_by_account ON repayments (account, at_ms);
CREATE INDEX repayments_by_op ON repayments (op);

-- Refunds and where each went.
CREATE TABLE refunds (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    account INTEGER NOT NULL,
    txn INTEGER NOT NULL,
    op INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    unbilled_fen INTEGER NOT NULL,
    billed_fen INTEGER NOT NULL,
    to_penalty_fen INTEGER NOT NULL,
    to_interest_fen INTEGER NOT NULL,
    to_fee_fen INTEGER NOT NULL,
    to_principal_fen INTEGER NOT NULL,
    to_unbilled_principal_fen INTEGER NOT NULL,
    credit_balance_fen INTEGER NOT NULL,
    fees_waived_fen INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (partition, seq, idx)
) WITHOUT ROWID;
CREATE INDEX refunds_by_account ON refunds (account, txn);
CREATE INDEX refunds_by_txn ON refunds (txn);

-- Delinquency bucket changes.
CREATE TABLE delinquency (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    account INTEGER NOT NULL,
    on_date TEXT NOT NULL,
    dpd INTEGER NOT NULL,
    from_bucket TEXT NOT NULL,
    to_bucket TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (partition, seq, idx)
) WITHOUT ROWID;
CREATE INDEX delinquency_by_account ON delinquency (account, on_date);
CREATE INDEX delinquency_by_date ON delinquency (on_date, to_bucket);

-- Every event, as JSON, for audit and webhooks.
CREATE TABLE events (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    account INTEGER NOT NULL,
    type TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (partition, seq, idx)
) WITHOUT ROWID;
CREATE INDEX events_by_account ON events (account, partition, seq);
