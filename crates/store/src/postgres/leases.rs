//! [`PostgresLeases`]: the lease table (see [`crate::lease`]) on one connection. Times are the
//! server's `now()` (the transaction's start), so every process judges expiry by one clock.

use super::conn::{Conn, int, small, uint};
use crate::StoreError;
use crate::lease::{Claimant, Lease, Leases};

/// Takes a free or expired lease, or one the claimant already holds, bumping the token.
const ACQUIRE: &str = "INSERT INTO partition_leases AS l (partition, owner, url, token, expires_at)
    VALUES ($1, $2, $3, 1, now() + $4::bigint * interval '1 millisecond')
    ON CONFLICT (partition) DO UPDATE
        SET owner = excluded.owner, url = excluded.url, token = l.token + 1, expires_at = excluded.expires_at
        WHERE l.expires_at <= now() OR l.owner = excluded.owner
    RETURNING partition, owner, url, token, (extract(epoch FROM (expires_at - now())) * 1000)::bigint";
const RENEW: &str = "UPDATE partition_leases SET expires_at = now() + $4::bigint * interval '1 millisecond', url = $3
    WHERE partition = $1 AND owner = $2 AND token = $5";
const RELEASE: &str = "UPDATE partition_leases SET expires_at = now() - interval '1 millisecond'
    WHERE partition = $1 AND owner = $2 AND token = $3";
const LIST: &str = "SELECT partition, owner, url, token, (extract(epoch FROM (expires_at - now())) * 1000)::bigint
    FROM partition_leases ORDER BY partition";

/// One connection's lease handle.
#[derive(Debug)]
pub struct PostgresLeases {
    conn: Conn,
}

impl PostgresLeases {
    pub(crate) fn new(conn: Conn) -> PostgresLeases {
        PostgresLeases { conn }
    }
}

/// The lease's life in milliseconds as a BIGINT (capped far above any sensible ttl).
fn ttl(claimant: &Claimant) -> i64 {
    int(claimant.ttl_ms.min(1 << 40))
}

fn lease(row: &postgres::Row) -> Result<Lease, StoreError> {
    Ok(Lease {
        partition: small(row.get(0))?,
        owner: row.get(1),
        url: row.get(2),
        token: uint(row.get(3)),
        expires_in_ms: row.get(4),
    })
}

impl Leases for PostgresLeases {
    fn acquire(&mut self, partition: u32, claimant: &Claimant) -> Result<Option<Lease>, StoreError> {
        let stmt = self.conn.statement(ACQUIRE)?;
        let row = self.conn.client()?.query_opt(
            &stmt,
            &[&i64::from(partition), &claimant.owner, &claimant.url, &ttl(claimant)],
        )?;
        row.as_ref().map(lease).transpose()
    }

    fn renew(&mut self, partition: u32, claimant: &Claimant, token: u64) -> Result<bool, StoreError> {
        let stmt = self.conn.statement(RENEW)?;
        let params: [&(dyn postgres::types::ToSql + Sync); 5] = [
            &i64::from(partition),
            &claimant.owner,
            &claimant.url,
            &ttl(claimant),
            &int(token),
        ];
        Ok(self.conn.client()?.execute(&stmt, &params)? == 1)
    }

    fn release(&mut self, partition: u32, owner: &str, token: u64) -> Result<(), StoreError> {
        let stmt = self.conn.statement(RELEASE)?;
        self.conn
            .client()?
            .execute(&stmt, &[&i64::from(partition), &owner, &int(token)])?;
        Ok(())
    }

    fn list(&mut self) -> Result<Vec<Lease>, StoreError> {
        let stmt = self.conn.statement(LIST)?;
        let rows = self.conn.client()?.query(&stmt, &[])?;
        rows.iter().map(lease).collect()
    }
}
