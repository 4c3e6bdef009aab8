-- The read models and the outbox, as SQLite's read_001..read_003 leave them (READ_MODELS.md
-- describes every table): integers are BIGINT, so every id and amount is the same 64 bits as
-- in SQLite; holds and purchases are keyed by their transaction id.

-- How far each partition's journal has been projected.
CREATE TABLE watermarks (
    partition BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL
);

-- One row per customer account: its balances after the last batch that touched it.
CREATE TABLE accounts (
    account BIGINT PRIMARY KEY NOT NULL,
    partition BIGINT NOT NULL,
    billing_day BIGINT,
    opened_at_ms BIGINT,
    first_statement TEXT,
    limit_fen BIGINT NOT NULL DEFAULT 0,
    temporary_limit_fen BIGINT NOT NULL DEFAULT 0,
    available_fen BIGINT NOT NULL DEFAULT 0,
    held_fen BIGINT NOT NULL DEFAULT 0,
    principal_billed_fen BIGINT NOT NULL DEFAULT 0,
    principal_unbilled_fen BIGINT NOT NULL DEFAULT 0,
    fees_fen BIGINT NOT NULL DEFAULT 0,
    interest_fen BIGINT NOT NULL DEFAULT 0,
    penalties_fen BIGINT NOT NULL DEFAULT 0,
    billed_fen BIGINT NOT NULL DEFAULT 0,
    credit_balance_fen BIGINT NOT NULL DEFAULT 0,
    accrued_interest_fen BIGINT NOT NULL DEFAULT 0,
    accrued_penalties_fen BIGINT NOT NULL DEFAULT 0,
    minimum_unpaid_fen BIGINT NOT NULL DEFAULT 0,
    past_due_fen BIGINT NOT NULL DEFAULT 0,
    dpd BIGINT NOT NULL DEFAULT 0,
    bucket TEXT NOT NULL DEFAULT 'current',
    next_due_date TEXT,
    next_statement TEXT,
    frozen TEXT,
    charged_off_on TEXT,
    updated_seq BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX accounts_by_bucket ON accounts (bucket, dpd);
CREATE INDEX accounts_by_due_date ON accounts (next_due_date);

-- Authorization holds and what became of them.
CREATE TABLE holds (
    txn BIGINT PRIMARY KEY NOT NULL,
    account BIGINT NOT NULL,
    merchant BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    available_after_fen BIGINT NOT NULL,
    expires_on TEXT NOT NULL,
    state TEXT NOT NULL,
    captured_fen BIGINT,
    released_fen BIGINT,
    authorized_at_ms BIGINT NOT NULL,
    settled_at_ms BIGINT,
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
CREATE UNIQUE INDEX holds_by_account ON holds (account, txn);
CREATE INDEX holds_by_merchant ON holds (merchant, authorized_at_ms);
CREATE INDEX holds_by_state ON holds (state, expires_on);

-- Captured purchases and their refunds.
CREATE TABLE purchases (
    txn BIGINT PRIMARY KEY NOT NULL,
    account BIGINT NOT NULL,
    merchant BIGINT,
    amount_fen BIGINT NOT NULL,
    refunded_fen BIGINT NOT NULL DEFAULT 0,
    plan BIGINT,
    fraud_exempt BIGINT NOT NULL DEFAULT 0,
    captured_at_ms BIGINT NOT NULL,
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
CREATE UNIQUE INDEX purchases_by_account ON purchases (account, txn);
CREATE INDEX purchases_by_merchant ON purchases (merchant, captured_at_ms);

-- Installment plans: of a purchase, or of a statement's bill.
CREATE TABLE plans (
    account BIGINT NOT NULL,
    plan BIGINT NOT NULL,
    source TEXT NOT NULL,
    txn BIGINT,
    statement BIGINT,
    principal_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    paid_off_fen BIGINT,
    fees_waived_fen BIGINT,
    created_at_ms BIGINT NOT NULL,
    closed_at_ms BIGINT,
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (account, plan)
);
CREATE INDEX plans_by_status ON plans (status);

-- Closed statements.
CREATE TABLE statements (
    account BIGINT NOT NULL,
    statement BIGINT NOT NULL,
    statement_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    balance_fen BIGINT NOT NULL,
    minimum_fen BIGINT NOT NULL,
    installed_plan BIGINT,
    closed_at_ms BIGINT NOT NULL,
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (account, statement)
);
CREATE INDEX statements_by_due_date ON statements (due_date);
CREATE INDEX statements_by_date ON statements (statement_date);

-- Double-entry ledger: one row per entry, one per posting (debits positive).
CREATE TABLE ledger_entries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    account BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    UNIQUE (partition, seq, idx)
);
CREATE INDEX ledger_entries_by_account ON ledger_entries (account);

CREATE TABLE ledger_postings (
    entry BIGINT NOT NULL REFERENCES ledger_entries (id),
    leg BIGINT NOT NULL,
    account BIGINT NOT NULL,
    ledger_account TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    PRIMARY KEY (entry, leg)
);
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
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    account BIGINT NOT NULL,
    op BIGINT NOT NULL,
    kind TEXT NOT NULL,
    plan BIGINT,
    amount_fen BIGINT NOT NULL,
    penalty_fen BIGINT NOT NULL,
    interest_fen BIGINT NOT NULL,
    fee_fen BIGINT NOT NULL,
    principal_fen BIGINT NOT NULL,
    unbilled_principal_fen BIGINT NOT NULL,
    credit_balance_fen BIGINT NOT NULL,
    fees_waived_fen BIGINT NOT NULL,
    recovery BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (partition, seq, idx)
);
CREATE INDEX repayments_by_account ON repayments (account, at_ms);
CREATE INDEX repayments_by_op ON repayments (op);

-- Refunds and where each went.
CREATE TABLE refunds (
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    account BIGINT NOT NULL,
    txn BIGINT NOT NULL,
    op BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    unbilled_fen BIGINT NOT NULL,
    billed_fen BIGINT NOT NULL,
    to_penalty_fen BIGINT NOT NULL,
    to_interest_fen BIGINT NOT NULL,
    to_fee_fen BIGINT NOT NULL,
    to_principal_fen BIGINT NOT NULL,
    to_unbilled_principal_fen BIGINT NOT NULL,
    credit_balance_fen BIGINT NOT NULL,
    fees_waived_fen BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (partition, seq, idx)
);
CREATE INDEX refunds_by_account ON refunds (account, txn);
CREATE INDEX refunds_by_txn ON refunds (txn);

-- Delinquency bucket changes.
CREATE TABLE delinquency (
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    account BIGINT NOT NULL,
    on_date TEXT NOT NULL,
    dpd BIGINT NOT NULL,
    from_bucket TEXT NOT NULL,
    to_bucket TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (partition, seq, idx)
);
CREATE INDEX delinquency_by_account ON delinquency (account, on_date);
CREATE INDEX delinquency_by_date ON delinquency (on_date, to_bucket);

-- Every event, as JSON, for audit and webhooks.
CREATE TABLE events (
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    account BIGINT NOT NULL,
    type TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (partition, seq, idx)
);
CREATE INDEX events_by_account ON events (account, partition, seq);

-- The engine's notices (what it did beyond the credit events: interceptions, deliveries,
-- cases), one row per notice, keyed by where it sits in the journal.
CREATE TABLE notices (
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    record BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    type TEXT NOT NULL,
    account BIGINT NOT NULL,
    merchant BIGINT,
    txn BIGINT,
    case_id BIGINT,
    body TEXT NOT NULL,
    PRIMARY KEY (partition, seq, record, idx)
);
CREATE INDEX notices_by_case ON notices (case_id, type);
CREATE INDEX notices_by_account ON notices (account, at_ms);

-- Cases as their notices tell them: opened, resolved, and the interception that opened one.
CREATE VIEW cases AS
SELECT o.case_id AS case_id,
       o.account AS account,
       (o.body::jsonb ->> 'kind') AS kind,
       CASE
           WHEN r.case_id IS NULL THEN 'open'
           WHEN (r.body::jsonb -> 'confirmed') = 'true'::jsonb THEN 'confirmed'
           ELSE 'rejected'
       END AS status,
       (o.body::jsonb -> 'txns')::text AS txns,
       o.at_ms AS opened_at_ms,
       r.at_ms AS resolved_at_ms,
       i.merchant AS merchant,
       (i.body::jsonb ->> 'action') AS action,
       (i.body::jsonb -> 'reasons')::text AS reasons,
       (o.body::jsonb -> 'evidence')::text AS evidence
FROM notices o
LEFT JOIN notices r ON r.type = 'case.resolved' AND r.case_id = o.case_id
LEFT JOIN notices i ON i.type = 'order.intercepted' AND i.case_id = o.case_id
WHERE o.type = 'case.opened';

-- Webhook deliveries to merchants, one per merchant-facing notice.
CREATE TABLE outbox (
    partition BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    record BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    merchant BIGINT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    next_attempt_at_ms BIGINT NOT NULL,
    last_error TEXT,
    delivered_at_ms BIGINT,
    PRIMARY KEY (partition, seq, record, idx)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at_ms);

-- How far the outbox scanner has read each partition's journal.
CREATE TABLE outbox_watermarks (
    partition BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL
);
