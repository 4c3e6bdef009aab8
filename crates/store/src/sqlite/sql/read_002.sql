-- The engine's notices (what it did beyond the credit events: interceptions, deliveries,
-- cases), one row per notice, keyed by where it sits in the journal.
CREATE TABLE notices (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    record INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    type TEXT NOT NULL,
    account INTEGER NOT NULL,
    merchant INTEGER,
    txn INTEGER,
    case_id INTEGER,
    body TEXT NOT NULL,
    PRIMARY KEY (partition, seq, record, idx)
);
CREATE INDEX notices_by_case ON notices (case_id, type);
CREATE INDEX notices_by_account ON notices (account, at_ms);

-- Cases as their notices tell them: opened, resolved, and the interception that opened one.
CREATE VIEW cases AS
SELECT o.case_id AS case_id,
       o.account AS account,
       json_extract(o.body, '$.kind') AS kind,
       CASE
           WHEN r.case_id IS NULL THEN 'open'
           WHEN json_extract(r.body, '$.confirmed') THEN 'confirmed'
           ELSE 'rejected'
       END AS status,
       json_extract(o.body, '$.txns') AS txns,
       o.at_ms AS opened_at_ms,
       r.at_ms AS resolved_at_ms,
       i.merchant AS merchant,
       json_extract(i.body, '$.action') AS action,
       json_extract(i.body, '$.reasons') AS reasons,
       json_extract(o.body, '$.evidence') AS evidence
FROM notices o
LEFT JOIN notices r ON r.type = 'case.resolved' AND r.case_id = o.case_id
LEFT JOIN notices i ON i.type = 'order.intercepted' AND i.case_id = o.case_id
WHERE o.type = 'case.opened';

-- Webhook deliveries to merchants, one per merchant-facing notice.
CREATE TABLE outbox (
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    record INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    merchant INTEGER NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    next_attempt_at_ms INTEGER NOT NULL,
    last_error TEXT,
    delivered_at_ms INTEGER,
    PRIMARY KEY (partition, seq, record, idx)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at_ms);

-- How far the outbox scanner has read each partition's journal.
CREATE TABLE outbox_watermarks (
    partition INTEGER PRIMARY KEY NOT NULL,
    seq INTEGER NOT NULL
);
