-- Partition leases (`iou serve --cluster`): one row per partition ever owned. The token only
-- grows (every acquire bumps it); every journal append of a fenced handle reads the row FOR
-- SHARE and refuses a stale token. Expiry is the database's clock.
CREATE TABLE partition_leases (
    partition BIGINT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    url TEXT NOT NULL,
    token BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
