//! The plain service the baselines measure: each authorization is its own SQLite transaction
//! (WAL, `synchronous=FULL`: durable at commit, like the engine's journal), written the obvious
//! way. One transaction leaves the durable, queryable facts the engine's authorization leaves in
//! its journal and read models:
//!
//! - the hold, in a `holds` table with the read model's three indexes (by account, by
//!   merchant and time, by state and expiry);
//! - the line's new balances (`held`, `available`) on its `lines` row;
//! - an `events` row with the event as JSON and its by-account index (the audit trail);
//! - when the call carries an idempotency key (the HTTP service), the key with a hash of the
//!   request and the stored response, so a retry is answered from it and a different request
//!   with the same key is refused.
//!
//! A link id (online merchants) is resolved through a `links` table. Amounts are integer fen.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::BenchError;

/// Every line's limit: large enough that nothing declines for lack of credit.
pub const LIMIT_FEN: i64 = 1_000_000_000;

/// Days a hold may be captured.
const HOLD_DAYS: i64 = 7;

const SCHEMA: &str = "
CREATE TABLE lines (
    id INTEGER PRIMARY KEY,
    credit_limit INTEGER NOT NULL,
    held INTEGER NOT NULL,
    available INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    line INTEGER NOT NULL,
    merchant INTEGER NOT NULL
);
CREATE TABLE holds (
    txn INTEGER PRIMARY KEY,
    line INTEGER NOT NULL,
    merchant INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    available_after_fen INTEGER NOT NULL,
    expires_on TEXT NOT NULL,
    state TEXT NOT NULL,
    authorized_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX holds_by_line ON holds (line, txn);
CREATE INDEX holds_by_merchant ON holds (merchant, authorized_at_ms);
CREATE INDEX holds_by_state ON holds (state, expires_on);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    line INTEGER NOT NULL,
    type TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX events_by_line ON events (line, id);
CREATE TABLE idempotency (
    merchant INTEGER NOT NULL,
    key TEXT NOT NULL,
    request_sha256 BLOB NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (merchant, key)
) WITHOUT ROWID;
";

/// Opens a connection to the plain service's database, as each of its workers does.
pub fn connect(path: &Path) -> Result<Connection, BenchError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(Duration::from_secs(30))?;
    Ok(conn)
}

/// Creates the database at `path` with `lines` open lines (ids `0..lines`); with `merchant`,
/// also link `i` (id `i`) from line `i` to that merchant.
pub fn create(path: &Path, lines: u64, merchant: Option<i64>) -> Result<(), BenchError> {
    let mut conn = connect(path)?;
    conn.execute_batch(SCHEMA)?;
    let tx = conn.transaction()?;
    {
        let mut line = tx.prepare_cached("INSERT INTO lines VALUES (?1, ?2, 0, ?2, 0)")?;
        let mut link = tx.prepare_cached("INSERT INTO links VALUES (?1, ?1, ?2)")?;
        for id in 0..lines as i64 {
            line.execute(params![id, LIMIT_FEN])?;
            if let Some(merchant) = merchant {
                link.execute(params![id, merchant])?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// Who pays: a line directly (the in-process callers), or a customer's link to the merchant.
#[derive(Clone, Copy, Debug)]
pub enum Payer {
    Line(i64),
    Link(i64),
}

/// One authorization request.
#[derive(Clone, Copy, Debug)]
pub struct Authorization<'a> {
    pub payer: Payer,
    pub merchant: i64,
    pub amount_fen: i64,
    pub at_ms: i64,
    /// The caller's idempotency key and the SHA-256 of its request.
    pub idempotency: Option<(&'a str, &'a [u8; 32])>,
}

/// What the service answers: an HTTP status and the JSON body it stores and sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Authorizes in one transaction, committed (durably) before it returns.
pub fn authorize(conn: &mut Connection, auth: &Authorization<'_>) -> Result<Answer, BenchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some((key, hash)) = auth.idempotency {
        let stored: Option<(Vec<u8>, u16, String)> = tx
            .prepare_cached(
                "SELECT request_sha256, status, response FROM idempotency WHERE merchant = ?1 AND key = ?2",
            )?
            .query_row(params![auth.merchant, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((stored_hash, status, body)) = stored {
            return Ok(if stored_hash == hash.as_slice() {
                Answer { status, body }
            } else {
                refusal(422, "idempotency_key_reused")
            });
        }
    }
    let answer = hold(&tx, auth)?;
    if let Some((key, hash)) = auth.idempotency {
        tx.prepare_cached("INSERT INTO idempotency VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
            .execute(params![
                auth.merchant,
                key,
                hash.as_slice(),
                answer.status,
                answer.body,
                auth.at_ms
            ])?;
    }
    tx.commit()?;
    Ok(answer)
}

/// The authorization's own writes: the hold, the line, the event.
fn hold(tx: &rusqlite::Transaction<'_>, auth: &Authorization<'_>) -> Result<Answer, BenchError> {
    let line = match auth.payer {
        Payer::Line(line) => line,
        Payer::Link(link) => {
            let line: Option<i64> = tx
                .prepare_cached("SELECT line FROM links WHERE id = ?1 AND merchant = ?2")?
                .query_row(params![link, auth.merchant], |r| r.get(0))
                .optional()?;
            match line {
                Some(line) => line,
                None => return Ok(refusal(404, "unknown_link")),
            }
        }
    };
    let available: i64 = tx
        .prepare_cached("SELECT available FROM lines WHERE id = ?1")?
        .query_row([line], |r| r.get(0))?;
    if available < auth.amount_fen {
        return Ok(refusal(402, "insufficient_credit"));
    }
    let after = available - auth.amount_fen;
    let expires_on = expiry(auth.at_ms)?;
    tx.prepare_cached(
        "INSERT INTO holds (line, merchant, amount_fen, available_after_fen, expires_on, state, authorized_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6)",
    )?
    .execute(params![
        line,
        auth.merchant,
        auth.amount_fen,
        after,
        expires_on,
        auth.at_ms
    ])?;
    let txn = tx.last_insert_rowid();
    tx.prepare_cached("UPDATE lines SET held = held + ?2, available = ?3, updated_at_ms = ?4 WHERE id = ?1")?
        .execute(params![line, auth.amount_fen, after, auth.at_ms])?;
    let event = format!(
        r#"{{"type":"hold_placed","account":{line},"txn":{txn},"merchant":{},"amount_fen":{},"expires_on":"{expires_on}"}}"#,
        auth.merchant, auth.amount_fen
    );
    tx.prepare_cached("INSERT INTO events (line, type, at_ms, body) VALUES (?1, 'hold_placed', ?2, ?3)")?
        .execute(params![line, auth.at_ms, event])?;
    let body = format!(
        r#"{{"txn_id":"{txn}","status":"approved","amount_fen":{},"expires_on":"{expires_on}","plan":null,"reference":null,"created_at_ms":{}}}"#,
        auth.amount_fen, auth.at_ms
    );
    Ok(Answer { status: 201, body })
}

fn refusal(status: u16, code: &str) -> Answer {
    Answer {
        status,
        body: format!(r#"{{"code":"{code}"}}"#),
    }
}

/// The last day a hold made at `at_ms` may be captured (UTC dates: the baseline needs no zone).
fn expiry(at_ms: i64) -> Result<String, BenchError> {
    let at = jiff::Timestamp::from_millisecond(at_ms).map_err(|e| BenchError::Other(e.to_string()))?;
    let day = at
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(HOLD_DAYS))
        .map_err(|e| BenchError::Other(e.to_string()))?;
    Ok(day.to_string())
}

#[cfg(test)]
mod tests {
    //! The plain service must do the authorization a real service would, or the baseline flatters
    //! iou: these guard that it writes every fact, answers retries from the stored response,
    //! refuses a reused key, and declines what it must.

    use super::*;

    const KEY_HASH: [u8; 32] = [7; 32];

    fn store() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain.db");
        create(&path, 3, Some(9)).unwrap();
        let conn = connect(&path).unwrap();
        (dir, conn)
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    fn by_link<'a>(link: i64, amount_fen: i64, key: &'a str, hash: &'a [u8; 32]) -> Authorization<'a> {
        Authorization {
            payer: Payer::Link(link),
            merchant: 9,
            amount_fen,
            at_ms: 1_767_225_600_000,
            idempotency: Some((key, hash)),
        }
    }

    #[test]
    fn an_approval_writes_the_hold_the_line_the_event_and_the_key() {
        let (_dir, mut conn) = store();
        let answer = authorize(&mut conn, &by_link(2, 12_999, "k-1", &KEY_HASH)).unwrap();
        assert_eq!(answer.status, 201);
        assert!(answer.body.contains(r#""expires_on":"2026-01-08""#), "{}", answer.body);
        let (held, available): (i64, i64) = conn
            .query_row("SELECT held, available FROM lines WHERE id = 2", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((held, available), (12_999, LIMIT_FEN - 12_999));
        let hold: (i64, i64, String) = conn
            .query_row("SELECT line, available_after_fen, state FROM holds", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(hold, (2, LIMIT_FEN - 12_999, "active".to_owned()));
        assert_eq!(count(&conn, "events"), 1);
        let stored: String = conn
            .query_row("SELECT response FROM idempotency WHERE key = 'k-1'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, answer.body);
    }

    #[test]
    fn a_retry_gets_the_stored_answer_and_a_reused_key_is_refused() {
        let (_dir, mut conn) = store();
        let first = authorize(&mut conn, &by_link(1, 500, "k-1", &KEY_HASH)).unwrap();
        let retry = authorize(&mut conn, &by_link(1, 500, "k-1", &KEY_HASH)).unwrap();
        assert_eq!(retry, first);
        let other = authorize(&mut conn, &by_link(1, 600, "k-1", &[8; 32])).unwrap();
        assert_eq!(other.status, 422);
        assert_eq!((count(&conn, "holds"), count(&conn, "events")), (1, 1));
    }

    #[test]
    fn it_declines_beyond_the_available_credit_and_refuses_an_unknown_link() {
        let (_dir, mut conn) = store();
        let declined = authorize(&mut conn, &by_link(0, LIMIT_FEN + 1, "k-1", &KEY_HASH)).unwrap();
        assert_eq!(declined.status, 402);
        let unknown = authorize(&mut conn, &by_link(3, 100, "k-2", &KEY_HASH)).unwrap();
        assert_eq!(unknown.status, 404);
        let line = Authorization {
            payer: Payer::Line(0),
            idempotency: None,
            ..by_link(0, LIMIT_FEN, "", &KEY_HASH)
        };
        assert_eq!(authorize(&mut conn, &line).unwrap().status, 201);
        assert_eq!(count(&conn, "holds"), 1);
        assert_eq!(count(&conn, "idempotency"), 2, "refusals are stored for their retries");
    }
}
