//! [`EngineError`]: why an engine could not start.

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("the journal or a snapshot is unreadable: {0}")]
    Corrupt(String),
    #[error("replaying the journal did not reproduce what was acknowledged: {0}")]
    ReplayDiverged(String),
    #[error("configuration: {0}")]
    Config(String),
}
