//! The SQL of each read-model write (READ_MODELS.md describes the tables), in the dialect
//! SQLite and PostgreSQL share: `ON CONFLICT ... DO UPDATE`, `IS NOT DISTINCT FROM`,
//! `RETURNING`, and `?N` placeholders (PostgreSQL's sink rewrites them to `$N`).

pub(super) const EVENT: &str = "INSERT INTO events (partition, seq, idx, account, type, at_ms, body)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

pub(super) const ACCOUNT_OPENED: &str = "INSERT INTO accounts
    (account, partition, billing_day, opened_at_ms, first_statement, limit_fen, available_fen,
     next_statement, updated_seq, updated_at_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?5, ?7, ?4)
    ON CONFLICT (account) DO UPDATE SET billing_day = excluded.billing_day,
        opened_at_ms = excluded.opened_at_ms, first_statement = excluded.first_statement";

/// An account's balances when its bucket, days past due and next due date are unchanged: the
/// indexed columns are not assigned, so SQLite leaves `accounts_by_bucket` and
/// `accounts_by_due_date` alone (an authorization changes only balances). Changes no row when
/// they differ or the row is missing; [`ACCOUNT_ROW`] then writes everything.
pub(super) const ACCOUNT_BALANCES: &str = "UPDATE accounts SET partition = ?2, limit_fen = ?3,
        temporary_limit_fen = ?4, available_fen = ?5, held_fen = ?6, principal_billed_fen = ?7,
        principal_unbilled_fen = ?8, fees_fen = ?9, interest_fen = ?10, penalties_fen = ?11,
        billed_fen = ?12, credit_balance_fen = ?13, accrued_interest_fen = ?14,
        accrued_penalties_fen = ?15, minimum_unpaid_fen = ?16, past_due_fen = ?17,
        next_statement = ?21, frozen = ?22, charged_off_on = ?23, updated_seq = ?24,
        updated_at_ms = ?25
    WHERE account = ?1 AND dpd = ?18 AND bucket = ?19 AND next_due_date IS NOT DISTINCT FROM ?20";

pub(super) const ACCOUNT_ROW: &str = "INSERT INTO accounts
    (account, partition, limit_fen, temporary_limit_fen, available_fen, held_fen,
     principal_billed_fen, principal_unbilled_fen, fees_fen, interest_fen, penalties_fen, billed_fen,
     credit_balance_fen, accrued_interest_fen, accrued_penalties_fen, minimum_unpaid_fen, past_due_fen,
     dpd, bucket, next_due_date, next_statement, frozen, charged_off_on, updated_seq, updated_at_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22, ?23, ?24, ?25)
    ON CONFLICT (account) DO UPDATE SET partition = excluded.partition, limit_fen = excluded.limit_fen,
        temporary_limit_fen = excluded.temporary_limit_fen, available_fen = excluded.available_fen,
        held_fen = excluded.held_fen, principal_billed_fen = excluded.principal_billed_fen,
        principal_unbilled_fen = excluded.principal_unbilled_fen, fees_fen = excluded.fees_fen,
        interest_fen = excluded.interest_fen, penalties_fen = excluded.penalties_fen,
        billed_fen = excluded.billed_fen, credit_balance_fen = excluded.credit_balance_fen,
        accrued_interest_fen = excluded.accrued_interest_fen,
        accrued_penalties_fen = excluded.accrued_penalties_fen,
        minimum_unpaid_fen = excluded.minimum_unpaid_fen, past_due_fen = excluded.past_due_fen,
        dpd = excluded.dpd, bucket = excluded.bucket, next_due_date = excluded.next_due_date,
        next_statement = excluded.next_statement, frozen = excluded.frozen,
        charged_off_on = excluded.charged_off_on, updated_seq = excluded.updated_seq,
        updated_at_ms = excluded.updated_at_ms";

pub(super) const HOLD_AUTHORIZED: &str = "INSERT INTO holds
    (account, txn, merchant, amount_fen, available_after_fen, expires_on, state, authorized_at_ms,
     partition, seq)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'held', ?7, ?8, ?9)
    ON CONFLICT (txn) DO UPDATE SET merchant = excluded.merchant,
        amount_fen = excluded.amount_fen, available_after_fen = excluded.available_after_fen,
        expires_on = excluded.expires_on, state = 'held', captured_fen = NULL, released_fen = NULL,
        authorized_at_ms = excluded.authorized_at_ms, settled_at_ms = NULL,
        partition = excluded.partition, seq = excluded.seq";

pub(super) const HOLD_SETTLED: &str =
    "UPDATE holds SET state = ?3, captured_fen = ?4, released_fen = ?5, settled_at_ms = ?6
    WHERE account = ?1 AND txn = ?2";

pub(super) const PURCHASE_CAPTURED: &str = "INSERT INTO purchases
    (account, txn, merchant, amount_fen, plan, captured_at_ms, partition, seq)
    VALUES (?1, ?2, (SELECT merchant FROM holds WHERE account = ?1 AND txn = ?2), ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (txn) DO UPDATE SET merchant = excluded.merchant,
        amount_fen = excluded.amount_fen, refunded_fen = 0, plan = excluded.plan, fraud_exempt = 0,
        captured_at_ms = excluded.captured_at_ms, partition = excluded.partition, seq = excluded.seq";

pub(super) const PURCHASE_REFUNDED: &str = "UPDATE purchases SET refunded_fen = refunded_fen + ?3
    WHERE account = ?1 AND txn = ?2";

pub(super) const PURCHASE_EXEMPT: &str = "UPDATE purchases SET fraud_exempt = 1 WHERE account = ?1 AND txn = ?2";

pub(super) const REFUND: &str = "INSERT INTO refunds
    (partition, seq, idx, account, txn, op, amount_fen, unbilled_fen, billed_fen, to_penalty_fen,
     to_interest_fen, to_fee_fen, to_principal_fen, to_unbilled_principal_fen, credit_balance_fen,
     fees_waived_fen, at_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

pub(super) const PLAN_CREATED: &str = "INSERT INTO plans
    (account, plan, source, txn, statement, principal_fen, status, created_at_ms, partition, seq)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?8, ?9)
    ON CONFLICT (account, plan) DO UPDATE SET source = excluded.source, txn = excluded.txn,
        statement = excluded.statement, principal_fen = excluded.principal_fen, status = 'active',
        paid_off_fen = NULL, fees_waived_fen = NULL, created_at_ms = excluded.created_at_ms,
        closed_at_ms = NULL, partition = excluded.partition, seq = excluded.seq";

/// A purchase plan whose purchase is now refunded in full.
pub(super) const PLAN_REFUNDED: &str = "UPDATE plans SET status = 'refunded', closed_at_ms = ?3
    WHERE account = ?1 AND status = 'active' AND plan = (
        SELECT plan FROM purchases WHERE account = ?1 AND txn = ?2 AND refunded_fen >= amount_fen)";

pub(super) const PLAN_PAID_OFF: &str = "UPDATE plans SET status = 'paid_off', paid_off_fen = ?3, fees_waived_fen = ?4,
    closed_at_ms = ?5 WHERE account = ?1 AND plan = ?2";

pub(super) const REPAYMENT: &str = "INSERT INTO repayments
    (partition, seq, idx, account, op, kind, plan, amount_fen, penalty_fen, interest_fen, fee_fen,
     principal_fen, unbilled_principal_fen, credit_balance_fen, fees_waived_fen, recovery, at_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

pub(super) const STATEMENT: &str = "INSERT INTO statements
    (account, statement, statement_date, due_date, balance_fen, minimum_fen, closed_at_ms, partition, seq)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (account, statement) DO UPDATE SET statement_date = excluded.statement_date,
        due_date = excluded.due_date, balance_fen = excluded.balance_fen,
        minimum_fen = excluded.minimum_fen, installed_plan = NULL,
        closed_at_ms = excluded.closed_at_ms, partition = excluded.partition, seq = excluded.seq";

pub(super) const STATEMENT_INSTALLED: &str = "UPDATE statements SET minimum_fen = ?3, installed_plan = ?4
    WHERE account = ?1 AND statement = ?2";

pub(super) const DELINQUENCY: &str = "INSERT INTO delinquency
    (partition, seq, idx, account, on_date, dpd, from_bucket, to_bucket, at_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// Answers the new entry's id (its postings' `entry`).
pub(super) const LEDGER_ENTRY: &str = "INSERT INTO ledger_entries (partition, seq, idx, account, kind, at_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";

pub(super) const LEDGER_POSTING: &str = "INSERT INTO ledger_postings (entry, leg, account, ledger_account, amount_fen)
    VALUES (?1, ?2, ?3, ?4, ?5)";
