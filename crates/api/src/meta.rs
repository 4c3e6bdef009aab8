//! [`Meta`]: the store's meta table as the API uses it (merchants, token hashes, the admin
//! token's hash), through its own journal connection. Reads and writes block, so async callers
//! go through [`Meta::get`] and [`Meta::set`], which run them on tokio's blocking pool.

use std::sync::{Arc, Mutex};

use store::Journal;

use crate::http::error::ApiError;

pub struct Meta {
    journal: Mutex<Box<dyn Journal>>,
}

impl std::fmt::Debug for Meta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meta").finish_non_exhaustive()
    }
}

impl Meta {
    pub fn new(journal: Box<dyn Journal>) -> Meta {
        Meta {
            journal: Mutex::new(journal),
        }
    }

    pub fn get_blocking(&self, key: &str) -> Result<Option<String>, store::StoreError> {
        self.journal.lock().unwrap_or_else(|p| p.into_inner()).meta(key)
    }

    pub fn set_blocking(&self, key: &str, value: &str) -> Result<(), store::StoreError> {
        self.journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_meta(key, value)
    }

    pub fn delete_blocking(&self, key: &str) -> Result<(), store::StoreError> {
        self.journal.lock().unwrap_or_else(|p| p.into_inner()).delete_meta(key)
    }

    /// Every entry whose key starts with `prefix` (blocking).
    pub fn with_prefix_blocking(&self, prefix: &str) -> Result<Vec<(String, String)>, store::StoreError> {
        self.journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .meta_with_prefix(prefix)
    }

    pub async fn get(self: &Arc<Meta>, key: String) -> Result<Option<String>, ApiError> {
        let meta = self.clone();
        let result = tokio::task::spawn_blocking(move || meta.get_blocking(&key)).await;
        flatten(result)
    }

    pub async fn delete(self: &Arc<Meta>, key: String) -> Result<(), ApiError> {
        let meta = self.clone();
        let result = tokio::task::spawn_blocking(move || meta.delete_blocking(&key)).await;
        flatten(result)
    }

    pub async fn with_prefix(self: &Arc<Meta>, prefix: String) -> Result<Vec<(String, String)>, ApiError> {
        let meta = self.clone();
        let result = tokio::task::spawn_blocking(move || meta.with_prefix_blocking(&prefix)).await;
        flatten(result)
    }

    pub async fn set(self: &Arc<Meta>, key: String, value: String) -> Result<(), ApiError> {
        let meta = self.clone();
        let result = tokio::task::spawn_blocking(move || meta.set_blocking(&key, &value)).await;
        flatten(result)
    }
}

fn flatten<T>(result: Result<Result<T, store::StoreError>, tokio::task::JoinError>) -> Result<T, ApiError> {
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => {
            tracing::error!(%error, "meta store failed");
            Err(ApiError::unavailable("the store is unavailable"))
        }
        Err(error) => Err(ApiError::internal(format!("meta task failed: {error}"))),
    }
}
