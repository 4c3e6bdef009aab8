//! Partition leases and fencing on PostgreSQL (`store::lease`): the token only grows, an
//! unexpired lease is refused to another owner, an expired one is taken, and a journal handle
//! fenced with a stale token can never append again (the paused old owner).

use std::time::Duration;

use store::conformance::postgres::fresh;
use store::{Backend, BatchRef, Claimant, Journal, StoreError};

fn claimant(owner: &str, ttl_ms: u64) -> Claimant {
    Claimant {
        owner: owner.into(),
        url: format!("http://{owner}.test"),
        ttl_ms,
    }
}

fn batch(partition: u32, seq: u64) -> BatchRef<'static> {
    BatchRef {
        partition,
        seq,
        bytes: b"batch",
    }
}

fn append(journal: &mut dyn Journal, batches: &[BatchRef<'_>]) -> Result<(), StoreError> {
    journal.append(batches)
}

/// Two owners, one partition: the second takes over only after expiry, and from then on the
/// first one's batches are refused as fenced (not as a sequence gap), whole, with nothing
/// written; its renewal and release no longer touch the lease.
#[test]
fn a_stale_owner_is_fenced_after_a_takeover() {
    let Some(db) = fresh("leases::a_stale_owner_is_fenced_after_a_takeover") else {
        return;
    };
    let (a, b) = (claimant("a", 300), claimant("b", 60_000));
    let mut leases = db.backend.leases().unwrap();
    let first = leases.acquire(0, &a).unwrap().expect("a free partition is taken");
    assert_eq!((first.owner.as_str(), first.token), ("a", 1));
    assert!(!first.expired() && first.expires_in_ms <= 300, "{first:?}");

    let mut old = db.backend.journal().unwrap();
    old.fence(0, Some(first.token));
    append(old.as_mut(), &[batch(0, 1)]).unwrap();
    assert_eq!(leases.acquire(0, &b).unwrap(), None, "an unexpired lease is not taken");

    std::thread::sleep(Duration::from_millis(400));
    let second = leases.acquire(0, &b).unwrap().expect("an expired lease is taken");
    assert_eq!((second.owner.as_str(), second.token), ("b", 2));
    let mut new = db.backend.journal().unwrap();
    new.fence(0, Some(second.token));
    append(new.as_mut(), &[batch(0, 2)]).unwrap();

    // The paused old owner wakes up: its next batch (whatever its number) is refused, with an
    // unfenced partition in the same group, and nothing of the group is written.
    for seq in [2, 3] {
        match append(old.as_mut(), &[batch(1, 1), batch(0, seq)]) {
            Err(StoreError::Fenced {
                partition: 0,
                token: 1,
                current: 2,
            }) => {}
            other => panic!("a stale token must be refused as fenced, got {other:?}"),
        }
    }
    assert_eq!(old.last_seq(1).unwrap(), 0, "nothing of a fenced group is written");
    assert_eq!(new.last_seq(0).unwrap(), 2);
    assert!(!leases.renew(0, &a, 1).unwrap(), "the old owner cannot renew");
    leases.release(0, "a", 1).unwrap();
    let now = leases.list().unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!((now[0].owner.as_str(), now[0].token, now[0].expired()), ("b", 2, false));
    assert!(leases.renew(0, &b, 2).unwrap());
    append(new.as_mut(), &[batch(0, 3), batch(1, 1)]).unwrap();
}

/// The same node acquiring again (a restart) bumps the token, fencing its own earlier
/// incarnation; a released lease is free at once, and the next owner's token is higher still.
#[test]
fn the_token_only_grows() {
    let Some(db) = fresh("leases::the_token_only_grows") else {
        return;
    };
    let (a, b) = (claimant("a", 60_000), claimant("b", 60_000));
    let mut leases = db.backend.leases().unwrap();
    assert_eq!(leases.acquire(3, &a).unwrap().unwrap().token, 1);
    let mut first = db.backend.journal().unwrap();
    first.fence(3, Some(1));
    let again = leases.acquire(3, &a).unwrap().unwrap();
    assert_eq!(again.token, 2, "a restart of the same node bumps the token");
    assert!(matches!(
        append(first.as_mut(), &[batch(3, 1)]),
        Err(StoreError::Fenced { partition: 3, .. })
    ));
    assert_eq!(leases.acquire(3, &b).unwrap(), None);
    leases.release(3, "a", 2).unwrap();
    assert!(leases.list().unwrap()[0].expired());
    let taken = leases.acquire(3, &b).unwrap().unwrap();
    assert_eq!((taken.owner.as_str(), taken.token), ("b", 3));
    // Unfencing (a handle that never held a lease) writes as before.
    first.fence(3, None);
    append(first.as_mut(), &[batch(3, 1)]).unwrap();
}

/// The embedded and memory backends are single owner: no leases, and a fence is ignored.
#[test]
fn single_owner_backends_have_no_leases() {
    let memory = store::memory::MemoryBackend::new();
    assert!(matches!(memory.leases(), Err(StoreError::Unsupported { .. })));
    let mut journal = memory.journal().unwrap();
    journal.fence(0, Some(7));
    append(journal.as_mut(), &[batch(0, 1)]).unwrap();
}
