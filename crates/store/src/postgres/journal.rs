//! [`PostgresJournal`]: the journal, snapshots and meta on one connection.

use std::collections::HashMap;

use postgres::error::SqlState;

use super::conn::{Conn, code, int, uint};
use crate::sqlite::SNAPSHOTS_KEPT;
use crate::{BatchRef, BatchVisitor, Journal, Snapshot, StoreError};

/// Every batch of a group in one statement: three arrays, one row per batch.
const INSERT_GROUP: &str = "INSERT INTO journal (partition, seq, bytes)
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])";
const LAST_SEQS: &str = "SELECT partition, max(seq) FROM journal WHERE partition = ANY($1) GROUP BY partition";
const LAST_SEQ: &str = "SELECT max(seq) FROM journal WHERE partition = $1";
/// The current tokens of a group's fenced partitions, locked against an acquire until commit.
const TOKENS: &str = "SELECT partition, token FROM partition_leases WHERE partition = ANY($1) FOR SHARE";

/// One connection's journal handle.
///
/// It caches each partition's last sequence, so an append usually reads nothing. The cache can
/// only be behind the table (rows are never deleted), and a stale entry is harmless: a group
/// that fails the check against the cache is checked again against the table, and a batch
/// another writer already wrote breaks the primary key, which is then reported as the gap the
/// table shows.
#[derive(Debug)]
pub struct PostgresJournal {
    conn: Conn,
    last: HashMap<u32, u64>,
    /// The lease token this handle writes each fenced partition under ([`Journal::fence`]).
    fences: HashMap<u32, u64>,
}

impl PostgresJournal {
    pub(crate) fn new(conn: Conn) -> PostgresJournal {
        PostgresJournal {
            conn,
            last: HashMap::new(),
            fences: HashMap::new(),
        }
    }

    fn append_group(&mut self, batches: &[BatchRef<'_>]) -> Result<(), StoreError> {
        let insert = self.conn.statement(INSERT_GROUP)?;
        let load = self.conn.statement(LAST_SEQS)?;
        // An unfenced group (a single-process engine) prepares and reads nothing more.
        let fenced = batches.iter().any(|b| self.fences.contains_key(&b.partition));
        let tokens = if fenced {
            Some(self.conn.statement(TOKENS)?)
        } else {
            None
        };
        let mut tx = self.conn.client()?.transaction()?;
        if let Some(tokens) = &tokens {
            check_fences(&mut tx, tokens, &self.fences, batches)?;
        }
        let next = match check(&self.last, batches) {
            Ok(next) => next,
            Err(_) => {
                let mut partitions: Vec<i64> = batches.iter().map(|b| i64::from(b.partition)).collect();
                partitions.sort_unstable();
                partitions.dedup();
                for &p in &partitions {
                    self.last.insert(p as u32, 0);
                }
                for row in tx.query(&load, &[&partitions])? {
                    self.last.insert(row.get::<_, i64>(0) as u32, uint(row.get(1)));
                }
                check(&self.last, batches)?
            }
        };
        let partitions: Vec<i64> = batches.iter().map(|b| i64::from(b.partition)).collect();
        let seqs: Vec<i64> = batches.iter().map(|b| int(b.seq)).collect();
        let bytes: Vec<&[u8]> = batches.iter().map(|b| b.bytes).collect();
        match tx.execute(&insert, &[&partitions, &seqs, &bytes]) {
            Ok(_) => {}
            Err(e) if code(&e) == Some(&SqlState::UNIQUE_VIOLATION) => {
                drop(tx);
                self.last.clear();
                return Err(self.gap_in(batches));
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit()?;
        self.last.extend(next);
        Ok(())
    }

    /// Up to `limit` batches of `partition` after `after`, in order (a page of a scan).
    pub(crate) fn scan_page(
        &mut self,
        partition: u32,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let stmt = self
            .conn
            .statement("SELECT seq, bytes FROM journal WHERE partition = $1 AND seq > $2 ORDER BY seq LIMIT $3")?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .conn
            .client()?
            .query(&stmt, &[&i64::from(partition), &int(after), &limit])?;
        Ok(rows.iter().map(|r| (uint(r.get(0)), r.get(1))).collect())
    }

    /// The gap the table shows for a group a concurrent writer got ahead of.
    fn gap_in(&mut self, batches: &[BatchRef<'_>]) -> StoreError {
        for batch in batches {
            match self.last_seq(batch.partition) {
                Ok(last) if last.checked_add(1) != Some(batch.seq) => {
                    return StoreError::SequenceGap {
                        partition: batch.partition,
                        seq: batch.seq,
                        last,
                    };
                }
                Ok(_) => {}
                Err(e) => return e,
            }
        }
        StoreError::Backend("postgres: a journal batch was written twice".into())
    }
}

/// Refuses the group when a fenced partition's lease token is no longer the one this handle
/// holds (another owner acquired it). The lease rows stay locked `FOR SHARE` until the group
/// commits, so no acquire can bump a token between this check and the commit.
fn check_fences(
    tx: &mut postgres::Transaction<'_>,
    tokens: &postgres::Statement,
    fences: &HashMap<u32, u64>,
    batches: &[BatchRef<'_>],
) -> Result<(), StoreError> {
    let mut fenced: Vec<i64> = batches
        .iter()
        .filter(|b| fences.contains_key(&b.partition))
        .map(|b| i64::from(b.partition))
        .collect();
    if fenced.is_empty() {
        return Ok(());
    }
    fenced.sort_unstable();
    fenced.dedup();
    let current: HashMap<u32, u64> = tx
        .query(tokens, &[&fenced])?
        .iter()
        .map(|r| (r.get::<_, i64>(0) as u32, uint(r.get(1))))
        .collect();
    for p in fenced {
        let partition = p as u32;
        let token = fences[&partition];
        let now = current.get(&partition).copied().unwrap_or(0);
        if now != token {
            return Err(StoreError::Fenced {
                partition,
                token,
                current: now,
            });
        }
    }
    Ok(())
}

/// Checks that each batch follows its partition's last (as `last` has it, 0 when absent, and
/// as the group's earlier batches advance it); returns each partition's new last.
fn check(last: &HashMap<u32, u64>, batches: &[BatchRef<'_>]) -> Result<Vec<(u32, u64)>, StoreError> {
    let mut next: Vec<(u32, u64)> = Vec::with_capacity(batches.len());
    for batch in batches {
        let before = match next.iter().find(|(p, _)| *p == batch.partition) {
            Some(&(_, seq)) => seq,
            None => last.get(&batch.partition).copied().unwrap_or(0),
        };
        if before.checked_add(1) != Some(batch.seq) {
            return Err(StoreError::SequenceGap {
                partition: batch.partition,
                seq: batch.seq,
                last: before,
            });
        }
        match next.iter_mut().find(|(p, _)| *p == batch.partition) {
            Some(entry) => entry.1 = batch.seq,
            None => next.push((batch.partition, batch.seq)),
        }
    }
    Ok(next)
}

impl Journal for PostgresJournal {
    fn append(&mut self, batches: &[BatchRef<'_>]) -> Result<(), StoreError> {
        if batches.is_empty() {
            return Ok(());
        }
        let result = self.append_group(batches);
        if let Err(e) = &result
            && !matches!(e, StoreError::SequenceGap { .. } | StoreError::Fenced { .. })
        {
            // A failed commit may or may not have reached the server: trust only the table.
            self.last.clear();
        }
        result
    }

    fn fence(&mut self, partition: u32, token: Option<u64>) {
        match token {
            Some(token) => self.fences.insert(partition, token),
            None => self.fences.remove(&partition),
        };
    }

    fn last_seq(&mut self, partition: u32) -> Result<u64, StoreError> {
        let stmt = self.conn.statement(LAST_SEQ)?;
        let seq: Option<i64> = self.conn.client()?.query_one(&stmt, &[&i64::from(partition)])?.get(0);
        Ok(seq.map_or(0, uint))
    }

    fn scan(&mut self, partition: u32, after: u64, visit: &mut BatchVisitor<'_>) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let stmt = self
            .conn
            .statement("SELECT seq, bytes FROM journal WHERE partition = $1 AND seq > $2 ORDER BY seq")?;
        let params: [&(dyn postgres::types::ToSql + Sync); 2] = [&i64::from(partition), &int(after)];
        let mut rows = self.conn.client()?.query_raw(&stmt, params)?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0);
            let bytes: &[u8] = row.get(1);
            visit(uint(seq), bytes)?;
        }
        Ok(())
    }

    fn read_batch(&mut self, partition: u32, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let stmt = self
            .conn
            .statement("SELECT bytes FROM journal WHERE partition = $1 AND seq = $2")?;
        let row = self
            .conn
            .client()?
            .query_opt(&stmt, &[&i64::from(partition), &int(seq)])?;
        Ok(row.map(|r| r.get(0)))
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let partition = i64::from(snapshot.partition);
        let mut tx = self.conn.client()?.transaction()?;
        tx.execute(
            "INSERT INTO snapshots (partition, seq, bytes) VALUES ($1, $2, $3)
             ON CONFLICT (partition, seq) DO UPDATE SET bytes = excluded.bytes",
            &[&partition, &int(snapshot.seq), &snapshot.bytes],
        )?;
        tx.execute(
            "DELETE FROM snapshots WHERE partition = $1 AND seq < (
                SELECT seq FROM snapshots WHERE partition = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)",
            &[&partition, &i64::from(SNAPSHOTS_KEPT - 1)],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn load_snapshot(&mut self, partition: u32) -> Result<Option<Snapshot>, StoreError> {
        let stmt = self
            .conn
            .statement("SELECT seq, bytes FROM snapshots WHERE partition = $1 ORDER BY seq DESC LIMIT 1")?;
        let row = self.conn.client()?.query_opt(&stmt, &[&i64::from(partition)])?;
        Ok(row.map(|r| Snapshot {
            partition,
            seq: uint(r.get(0)),
            bytes: r.get(1),
        }))
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let stmt = self.conn.statement("SELECT value FROM meta WHERE key = $1")?;
        Ok(self.conn.client()?.query_opt(&stmt, &[&key])?.map(|r| r.get(0)))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let stmt = self.conn.statement(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        self.conn.client()?.execute(&stmt, &[&key, &value])?;
        Ok(())
    }

    fn delete_meta(&mut self, key: &str) -> Result<(), StoreError> {
        let stmt = self.conn.statement("DELETE FROM meta WHERE key = $1")?;
        self.conn.client()?.execute(&stmt, &[&key])?;
        Ok(())
    }

    fn meta_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        // Keys are collated "C" (byte order): the prefix's range is [prefix, prefix +
        // U+10FFFF), filtered again here to be exact.
        let stmt = self
            .conn
            .statement("SELECT key, value FROM meta WHERE key >= $1 AND key < $2 ORDER BY key")?;
        let upper = format!("{prefix}\u{10FFFF}");
        let rows = self.conn.client()?.query(&stmt, &[&prefix, &upper])?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
            .filter(|(key, _)| key.starts_with(prefix))
            .collect())
    }
}
