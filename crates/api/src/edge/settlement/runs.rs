//! One settlement run through a closed business day ([`run_blocking`]: consume the journal,
//! copy merchants' categories, settle every day after the last run, campaign subsidies from
//! the meta table), shared by the operator's `POST /v1/settlement/runs` and the server's
//! settlement task ([`task`]): after the business day rolls, the task runs through the day
//! before on the same path, then sends pending payouts. Each merchant day is written once, so
//! a second trigger for a day already settled (the operator after the task, a restart, the
//! next tick) is a no-op.

use std::time::Duration;

use credit::calendar::Day;
use engine::settle::{self, Fault, RunReport, Subsidies};

use super::Books;
use crate::http::error::ApiError;
use crate::http::routes::settlement_terms::{books, sync_categories};
use crate::state::AppState;

/// The merchant's share of a campaign plan's fee, from the payment's `campaign_txn:<txn>`.
struct CampaignSubsidies(std::sync::Arc<crate::meta::Meta>);

impl Subsidies for CampaignSubsidies {
    fn merchant_rate(&self, txn: credit::TxnId) -> Option<money::Rate> {
        crate::edge::campaigns::merchant_rate_blocking(&self.0, txn)
    }
}

/// The campaign subsidies a store's meta table records (`campaign_txn:<txn>`, written by the
/// payment route), for a run outside the server (`iou settle`): the same the operator's run
/// reads.
pub fn campaign_subsidies(journal: Box<dyn store::Journal>) -> impl Subsidies {
    CampaignSubsidies(std::sync::Arc::new(crate::meta::Meta::new(journal)))
}

fn unavailable(what: &'static str) -> impl Fn(&dyn std::fmt::Display) -> ApiError {
    move |e| {
        tracing::error!(error = %e, "{what} failed");
        ApiError::unavailable("the store is unavailable")
    }
}

/// Settles every day after the last run through `through` (blocking: call it off the async
/// workers). Returns the facts read and the run's report.
pub(crate) fn run_blocking(state: &AppState, through: Day) -> Result<(usize, RunReport), ApiError> {
    let zone = state.engine().config().zone.clone();
    let partitions = state.engine().partitions();
    let mut books = books(state)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    sync_categories(state, &mut books).map_err(|e| unavailable("settlement merchants")(&e))?;
    let Books { store, journal } = &mut *books;
    let facts = settle::consume_once(journal.as_mut(), store.as_mut(), &zone, partitions)
        .map_err(|e| unavailable("settlement consumer")(&e))?;
    let subsidies = CampaignSubsidies(state.meta().clone());
    let report = settle::run_through(store.as_mut(), through, &subsidies, Fault::default())
        .map_err(|e| unavailable("settlement run")(&e))?;
    Ok((facts, report))
}

/// One tick of the settlement task: the day before today is settled once the day has rolled
/// (remembered in `last`, so a tick within the same day only sends payouts), then pending
/// payouts are sent.
pub async fn tick(state: &AppState, last: &mut Option<Day>) -> Result<(), ApiError> {
    let yesterday = state.business_day().add(-1);
    if *last != Some(yesterday) {
        let runner = state.clone();
        let (facts, report) = tokio::task::spawn_blocking(move || run_blocking(&runner, yesterday))
            .await
            .map_err(|e| ApiError::internal(format!("settlement task: {e}")))??;
        tracing::info!(
            through = %yesterday.to_date(),
            facts,
            days = report.days.len(),
            merchant_days = report.settled,
            "scheduled settlement run"
        );
        *last = Some(yesterday);
    }
    if let Some(report) = super::payouts::pay_round(state).await? {
        tracing::info!(paid = %report.paid, failed = %report.failed, queued = report.queued, "merchant payouts sent");
    }
    Ok(())
}

/// The server's settlement task: a tick at start (a day that rolled while the server was
/// down), then one every `every`.
pub async fn task(state: AppState, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    let runner = state.clone();
    match tokio::task::spawn_blocking(move || super::payouts::requeue_paid(&runner)).await {
        Ok(Ok(count)) => tracing::info!(count, "payout.paid webhooks of recent payouts re-enqueued"),
        Ok(Err(error)) => tracing::warn!(error = %error.message, "re-enqueuing payout webhooks failed"),
        Err(error) => tracing::warn!(%error, "re-enqueuing payout webhooks failed"),
    }
    loop {
        interval.tick().await;
        if !state.engine().leading().load(std::sync::atomic::Ordering::Acquire) {
            continue;
        }
        if let Err(error) = tick(&state, &mut last).await {
            tracing::warn!(error = %error.message, "the settlement task skipped a tick");
        }
    }
}
