//! [`Books`]: merchant settlement's store handles the API keeps (the settlement tables and a
//! journal handle for the consumer), behind one lock so runs go one at a time. The routes are
//! `http::routes::settlement` and `settlement_terms`; the work is `engine::settle`'s.

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
