//! [`Books`]: merchant settlement's store handles the API keeps (the settlement tables and a
//! journal handle for the consumer), behind one lock so runs go one at a time. The routes are
//! `http::routes::settlement` and `settlement_terms`; the work is `engine::settle`'s.
//!
//! - [`runs`]: one run through a closed day (the operator's route and the scheduled run share
//!   it), and the server's settlement task: after the day rolls it settles the day before and
//!   sends what is pending.
//! - [`payouts`]: pending payouts sent through the configured merchant payout provider, the
//!   provider's signed word recorded, and the merchant's `payout.paid` webhook.

/// Settlement's store handles.
pub struct Books {
    pub store: Box<dyn store::SettlementStore>,
    pub journal: Box<dyn store::Journal>,
}

impl std::fmt::Debug for Books {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Books").finish_non_exhaustive()
    }
}

pub mod payouts;
pub mod runs;
