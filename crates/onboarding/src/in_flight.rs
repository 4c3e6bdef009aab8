//! [`InFlight`]: the account ids with an application running in this process, so that two
//! applications of one ID number at once open at most one line.

use std::collections::HashSet;
use std::sync::Mutex;

use credit::AccountId;

/// Account ids with an application running in this process.
#[derive(Debug, Default)]
pub(crate) struct InFlight(Mutex<HashSet<AccountId>>);

/// Removes its account from the in-flight set when dropped.
pub(crate) struct Claim<'a> {
    set: &'a InFlight,
    account: AccountId,
}

impl InFlight {
    pub(crate) fn claim(&self, account: AccountId) -> Option<Claim<'_>> {
        let mut set = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Lazily: an eager `then_some(Claim { .. })` builds a claim even when the account is
        // taken, and dropping it (lock still held here) deadlocked, and would have released the
        // other application's claim (guarded by
        // `two_applications_of_one_id_number_at_once_open_exactly_one_line`).
        set.insert(account).then(|| Claim { set: self, account })
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut set = self.set.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        set.remove(&self.account);
    }
}
