//! Collections' work records in the meta table (the pattern of `edge::casework`): promises to
//! pay (`collections:promise:<account>:<id>`) and call tasks with their outcome
//! (`collections:call:<account>:<id>`), JSON each. The rules they follow (a promise's limits,
//! kept or broken) are the `collections` crate's; this module keeps and finds them, and judges
//! open promises on the day it is asked (`judge`), writing back any that settled.
//!
//! Ids come from the call's idempotency key, so a retried call finds its record instead of
//! making a second. Changes are made one at a time in one process (a tokio mutex), like the
//! four-eyes proposals.

use std::sync::Arc;

use collections::{Promise, PromiseStatus};
use credit::{Account, AccountId, Day};
use serde::{Deserialize, Serialize};

use crate::http::error::ApiError;
use crate::meta::Meta;

/// How a collector's call went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Spoke with the customer.
    Reached,
    /// Spoke with the customer, who promised to pay (record the promise too).
    PromiseMade,
    /// Spoke with the customer, who refused to pay.
    Refused,
    NoAnswer,
    WrongNumber,
}

/// A call task as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTask {
    pub id: u64,
    pub account: u64,
    pub on: Day,
    pub outcome: CallOutcome,
    /// What the strategy said that day (`call_task`, usually), and why.
    pub action: String,
    pub reason: String,
    pub by: String,
}

/// One process makes collections' changes one at a time.
static CHANGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn lock() -> tokio::sync::MutexGuard<'static, ()> {
    CHANGES.lock().await
}

fn promise_key(account: u64, id: u64) -> String {
    format!("collections:promise:{account:020}:{id:016x}")
}

fn call_key(account: u64, id: u64) -> String {
    format!("collections:call:{account:020}:{id:016x}")
}

fn parse<T: for<'de> Deserialize<'de>>(key: &str, value: &str) -> Result<T, ApiError> {
    serde_json::from_str(value).map_err(|e| ApiError::internal(format!("meta {key}: {e}")))
}

/// The promises of `account`, or of every account.
pub async fn promises(meta: &Arc<Meta>, account: Option<AccountId>) -> Result<Vec<Promise>, ApiError> {
    let prefix = match account {
        Some(a) => format!("collections:promise:{:020}:", a.0),
        None => "collections:promise:".to_owned(),
    };
    let rows = meta.with_prefix(prefix).await?;
    rows.iter().map(|(k, v)| parse(k, v)).collect()
}

pub async fn promise(meta: &Arc<Meta>, account: AccountId, id: u64) -> Result<Option<Promise>, ApiError> {
    match meta.get(promise_key(account.0, id)).await? {
        Some(value) => parse(&promise_key(account.0, id), &value).map(Some),
        None => Ok(None),
    }
}

pub async fn save_promise(meta: &Arc<Meta>, promise: &Promise) -> Result<(), ApiError> {
    let value = serde_json::to_string(promise).map_err(|e| ApiError::internal(e.to_string()))?;
    meta.set(promise_key(promise.account, promise.id), value).await
}

/// Judges `account`'s open promises on `today`, writing back those that settled; returns them
/// all as they stand.
pub async fn judge(meta: &Arc<Meta>, account: &Account, today: Day) -> Result<Vec<Promise>, ApiError> {
    let mut all = promises(meta, Some(account.id)).await?;
    for promise in all.iter_mut().filter(|p| p.status == PromiseStatus::Open) {
        if promise.judge(account, today) {
            save_promise(meta, promise).await?;
        }
    }
    Ok(all)
}

/// The call tasks of `account`, oldest first by day.
pub async fn calls(meta: &Arc<Meta>, account: AccountId) -> Result<Vec<CallTask>, ApiError> {
    let rows = meta.with_prefix(format!("collections:call:{:020}:", account.0)).await?;
    let mut calls: Vec<CallTask> = rows.iter().map(|(k, v)| parse(k, v)).collect::<Result<_, _>>()?;
    calls.sort_by_key(|c| (c.on, c.id));
    Ok(calls)
}

pub async fn call(meta: &Arc<Meta>, account: AccountId, id: u64) -> Result<Option<CallTask>, ApiError> {
    match meta.get(call_key(account.0, id)).await? {
        Some(value) => parse(&call_key(account.0, id), &value).map(Some),
        None => Ok(None),
    }
}

pub async fn save_call(meta: &Arc<Meta>, call: &CallTask) -> Result<(), ApiError> {
    let value = serde_json::to_string(call).map_err(|e| ApiError::internal(e.to_string()))?;
    meta.set(call_key(call.account, call.id), value).await
}
