//! Merchant payouts from the server: [`pay_round`] sends pending payouts through the configured
//! [`MerchantPayoutProvider`] (the funding crate's HTTP adapter: timeouts, retries on outages
//! with the payout id as idempotency key, circuit breaker) with `engine::settle::pay_out`; an
//! outage or an open breaker stops the round and leaves the rest pending, never dropped or
//! sent twice. [`apply_callback`] records the provider's signed word (pending → paid / failed,
//! paid → returned) once, refusing a replayed signature. A payout that becomes paid, by either
//! path, gets one `payout.paid` webhook ([`notify_paid`]).

use credit::MerchantId;
use credit::calendar::Day;
use engine::settle::{self, MerchantPayouts, PayoutChanged, PayoutOrder, PayoutRef, PayoutsReport, ProviderDown};
use funding::merchant::{MerchantPayoutOrder, MerchantPayoutProvider};
use serde_json::json;
use settlement::PayoutStatus;
use store::outbox::{NewDelivery, NoticeKey};

use crate::http::error::{ApiError, ErrorCode};
use crate::http::routes::settlement_terms::books;
use crate::state::AppState;

/// Payouts sent per round at most (the rest wait for the next).
const ROUND_LIMIT: usize = 10_000;

/// The outbox "partition" of settlement's notices: no engine partition has this number (they
/// are below 256), so `payout.paid` deliveries never share a key with a journal notice. A
/// payout's key is (this, merchant, day, 0): one delivery per payout, whoever enqueues it.
pub const PAYOUT_NOTICES: u32 = u32::MAX;

/// The async provider seen through the engine's synchronous trait, from a blocking thread.
struct Blocking<'a> {
    provider: &'a dyn MerchantPayoutProvider,
    runtime: tokio::runtime::Handle,
}

impl MerchantPayouts for Blocking<'_> {
    fn pay(&mut self, order: &PayoutOrder) -> Result<PayoutStatus, ProviderDown> {
        let order = MerchantPayoutOrder {
            payout_id: order.id.clone(),
            merchant: order.merchant,
            amount: order.amount,
        };
        match self.runtime.block_on(self.provider.pay(&order)) {
            Ok(answer) => Ok(match answer.status {
                funding::PayoutStatus::Pending => PayoutStatus::Pending,
                funding::PayoutStatus::Paid => PayoutStatus::Paid,
                funding::PayoutStatus::Failed(_) => PayoutStatus::Failed,
                // Paid and already back: for our books the same as failed (the money is the
                // merchant's again), without a paid step we never recorded.
                funding::PayoutStatus::Returned(_) => PayoutStatus::Failed,
            }),
            Err(funding::FundingError::Unavailable(why)) => Err(ProviderDown(why)),
            Err(error) => {
                // Refused or not understood: this payout stays pending for an operator; the
                // round goes on with the others.
                tracing::warn!(payout = %order.payout_id, code = error.code(), %error, "a merchant payout was not taken");
                Ok(PayoutStatus::Pending)
            }
        }
    }
}

/// Sends every pending payout (`None` when no merchant payout provider is configured: they
/// stay pending). Call it from the async workers; the round runs on a blocking thread under
/// the settlement lock.
pub async fn pay_round(state: &AppState) -> Result<Option<PayoutsReport>, ApiError> {
    let Some(provider) = state.funding().merchant_payouts.clone() else {
        return Ok(None);
    };
    books(state)?;
    let runner = state.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut books = books(&runner)?
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut blocking = Blocking {
            provider: provider.as_ref(),
            runtime,
        };
        let report =
            settle::pay_out(books.store.as_mut(), &mut blocking, runner.business_day(), ROUND_LIMIT).map_err(|e| {
                tracing::error!(error = %e, "merchant payouts failed");
                ApiError::unavailable("the store is unavailable")
            })?;
        drop(books);
        notify_paid(&runner, &report.became_paid)?;
        Ok(Some(report))
    })
    .await
    .map_err(|e| ApiError::internal(format!("payout task: {e}")))?
}

/// The payout's day, from its id (`m<merchant>-<yyyy-mm-dd>`).
fn day_of(id: &str) -> Option<Day> {
    let (_, date) = id.split_once('-')?;
    date.parse::<jiff::civil::Date>().ok().map(Day::from_date)
}

/// The outbox key of a payout's `payout.paid` delivery.
pub fn notice_key(payout: &PayoutRef) -> Option<NoticeKey> {
    let day = u32::try_from(day_of(&payout.id)?.days()).ok()?;
    Some(NoticeKey {
        partition: PAYOUT_NOTICES,
        seq: payout.merchant,
        record: day,
        notice: 0,
    })
}

/// Enqueues one `payout.paid` webhook per payout for merchants with a webhook (blocking). A
/// payout enqueued twice is one delivery (the outbox keeps the first of a key).
pub fn notify_paid(state: &AppState, paid: &[PayoutRef]) -> Result<(), ApiError> {
    let now = state.clock().now();
    let deliveries: Vec<NewDelivery> = paid
        .iter()
        .filter(|p| state.risk_edge().webhooks.get(MerchantId(p.merchant)).is_some())
        .filter_map(|p| {
            let key = notice_key(p)?;
            let body = json!({
                "id": key.to_string(),
                "type": "payout.paid",
                "merchant_id": p.merchant.to_string(),
                "created_at": now.to_string(),
                "data": {
                    "payout_id": p.id,
                    "amount_fen": p.amount.fen(),
                    "date": day_of(&p.id).map(|d| d.to_string()),
                },
            });
            Some(NewDelivery {
                key,
                merchant: p.merchant,
                event: "payout.paid".to_owned(),
                body: body.to_string(),
                created_ms: now.as_millisecond(),
            })
        })
        .collect();
    if deliveries.is_empty() {
        return Ok(());
    }
    let mut outbox = state.outbox().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    outbox.record(PAYOUT_NOTICES, 0, &[], &deliveries).map_err(|e| {
        tracing::error!(error = %e, "enqueuing payout webhooks failed");
        ApiError::unavailable("the store is unavailable")
    })
}

/// Days back [`requeue_paid`] looks at: a crash loses at most the webhooks of payouts paid
/// just before it, which are all this recent.
pub const REQUEUE_DAYS: i32 = 7;

/// Enqueues `payout.paid` again for every payout paid in the last [`REQUEUE_DAYS`] (blocking):
/// payouts live in settlement's tables and the outbox elsewhere, so a crash between recording a
/// payout paid and enqueuing its webhook would lose the webhook. The outbox keeps the first
/// delivery of a key, so a payout whose webhook was already enqueued gets nothing more. The
/// settlement task calls it once at start.
pub fn requeue_paid(state: &AppState) -> Result<usize, ApiError> {
    let since = state.business_day().add(-REQUEUE_DAYS).days();
    let rows = {
        let mut books = books(state)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        books.store.payouts("paid", usize::MAX).map_err(|e| {
            tracing::error!(error = %e, "reading paid payouts failed");
            ApiError::unavailable("the store is unavailable")
        })?
    };
    let recent: Vec<PayoutRef> = rows
        .into_iter()
        .filter(|row| row.day >= since)
        .map(|row| PayoutRef {
            id: row.id,
            merchant: row.merchant,
            amount: money::Amount::from_fen(row.amount_fen),
        })
        .collect();
    notify_paid(state, &recent)?;
    Ok(recent.len())
}

/// A verified callback's word about one payout.
#[derive(Debug)]
pub struct Word {
    pub payout_id: String,
    pub to: PayoutStatus,
    /// The signature it came with (replays of it are refused).
    pub signature: String,
    pub timestamp_s: i64,
}

/// The meta-table prefix of accepted callback signatures (`<prefix><hex>` = unix seconds).
const SEEN: &str = "merchant_payout_callback:";

/// Records a verified callback once (blocking): a signature seen before is `callback_replayed`;
/// an unknown payout 404; a word the payout's state does not allow 409; the same word twice
/// one effect. Returns where the payout stands.
pub fn apply_callback(state: &AppState, word: &Word) -> Result<PayoutStatus, ApiError> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "recording a payout callback failed");
        ApiError::unavailable("the store is unavailable")
    };
    let meta = state.meta();
    let mut books = books(state)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let seen = format!("{SEEN}{}", word.signature);
    if meta.get_blocking(&seen).map_err(|e| unavailable(&e))?.is_some() {
        return Err(ApiError::new(
            ErrorCode::CallbackReplayed,
            "this signed callback was already received: sign it again with a fresh timestamp",
        )
        .with_field(funding::callback::SIGNATURE_HEADER));
    }
    let changed = settle::payouts::payout_changed(books.store.as_mut(), &word.payout_id, word.to, state.business_day())
        .map_err(|e| unavailable(&e))?;
    let now = match changed.clone() {
        PayoutChanged::Unknown => None,
        PayoutChanged::Unchanged | PayoutChanged::Moved(_) => Some(word.to),
        PayoutChanged::NotAllowed { now } => Some(now),
    };
    meta.set_blocking(&seen, &word.timestamp_s.to_string())
        .map_err(|e| unavailable(&e))?;
    drop(books);
    forget_old(state, state.clock().now().as_second());
    match changed {
        PayoutChanged::Unknown => {
            Err(ApiError::new(ErrorCode::PayoutNotFound, "no merchant payout has this id").with_field("payout_id"))
        }
        PayoutChanged::NotAllowed { now } => Err(ApiError::new(
            ErrorCode::PayoutTransitionNotAllowed,
            format!("the payout is {}: it cannot become {}", now.as_str(), word.to.as_str()),
        )
        .with_field("status")),
        PayoutChanged::Moved(payout) if word.to == PayoutStatus::Paid => {
            notify_paid(state, std::slice::from_ref(&payout))?;
            Ok(word.to)
        }
        _ => Ok(now.unwrap_or(word.to)),
    }
}

/// Drops remembered signatures too old to verify again (their timestamp is out of the window).
fn forget_old(state: &AppState, now_s: i64) {
    let horizon = now_s - 2 * funding::callback::WINDOW_SECONDS;
    let Ok(seen) = state.meta().with_prefix_blocking(SEEN) else {
        return;
    };
    for (key, at) in seen {
        if at.parse::<i64>().is_ok_and(|at| at < horizon) {
            let _ = state.meta().delete_blocking(&key);
        }
    }
}
