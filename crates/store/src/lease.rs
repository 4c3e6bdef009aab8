//! Partition leases with fencing tokens: which process owns (writes) each partition when
//! several share one store (`iou serve --cluster`).
//!
//! A [`Lease`] names the partition's owner, the URL other processes forward its requests to,
//! a **token** that only grows (every [`Leases::acquire`] bumps it, whoever acquires), and when
//! the lease expires. Expiry is the database's clock, never a process's: processes on machines
//! whose clocks disagree still agree on who holds what. An owner renews before expiry; a lease
//! left to expire (its owner died or paused) may be acquired by anyone, bumping the token.
//!
//! Fencing: an owner tells its journal handle the token it holds ([`crate::Journal::fence`]),
//! and every append of that partition checks, in the append's own transaction, that the token
//! is still the partition's current one (reading the lease row `FOR SHARE`, so an acquire
//! cannot slip between the check and the commit). A stale token is refused whole with
//! [`crate::StoreError::Fenced`]: a paused old owner can never commit after a new one took
//! over, and since nothing of the refused group was durable, nothing of it was acknowledged.
//!
//! Only a shared store (PostgreSQL) has leases; the embedded and memory backends are single
//! owner by construction (one process opens them) and answer [`crate::StoreError::Unsupported`].

use crate::StoreError;

/// One partition's lease as the store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub partition: u32,
    /// The owning process's node id (`--node-id`).
    pub owner: String,
    /// Where the owner takes requests (`--advertise`), e.g. `http://10.0.0.7:8080`.
    pub url: String,
    /// The fencing token: grows by one at every acquire, never reused.
    pub token: u64,
    /// Milliseconds until expiry by the database's clock (negative: expired that long ago).
    pub expires_in_ms: i64,
}

impl Lease {
    pub fn expired(&self) -> bool {
        self.expires_in_ms <= 0
    }
}

/// Who asks for a lease: its node id and advertised URL, and how long a lease lasts unrenewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimant {
    pub owner: String,
    pub url: String,
    pub ttl_ms: u64,
}

/// The lease table. Each method is one transaction.
pub trait Leases: Send {
    /// Takes `partition` when it has no lease, its lease expired, or `claimant` already holds
    /// it (a restarted node), bumping the token; `None` when another owner holds it unexpired.
    fn acquire(&mut self, partition: u32, claimant: &Claimant) -> Result<Option<Lease>, StoreError>;

    /// Extends a lease `claimant` holds under `token` by its ttl; `false` when the lease is no
    /// longer that (another owner acquired it): the caller must stop writing the partition.
    fn renew(&mut self, partition: u32, claimant: &Claimant, token: u64) -> Result<bool, StoreError>;

    /// Lets the lease expire now (a clean shutdown), keeping the token so the next owner's is
    /// higher. A lease no longer held under `token` is left alone.
    fn release(&mut self, partition: u32, owner: &str, token: u64) -> Result<(), StoreError>;

    /// Every lease, by partition.
    fn list(&mut self) -> Result<Vec<Lease>, StoreError>;
}
