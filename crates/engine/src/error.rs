//! [`EngineError`]: why an engine could not start.

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("the journal or a snapshot is unreadable: {0}")]
    Corrupt(String),
    /// A record replayed differently from what the journal says: the engine does not start
    /// (it would serve a state other than the one it acknowledged). The message names the
    /// record and the way out.
    #[error("replaying the journal did not reproduce what was acknowledged: {0}")]
    ReplayDiverged(Box<crate::view::Divergence>),
    #[error("configuration: {0}")]
    Config(String),
}
