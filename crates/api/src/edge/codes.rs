//! One-time payment codes: 18 random digits a customer's app shows as a QR code, valid for
//! [`CODE_TTL_SECONDS`], spent by the first merchant authorization that presents them.
//!
//! Codes live only in memory, in sharded maps: a restart forgets them and the customer's app
//! refreshes its code. A spent code is remembered with the idempotency key and request that
//! spent it until [`SPENT_KEPT_SECONDS`] later, so the merchant's retry of the same call
//! reaches the same account (and the engine answers it with the stored reply), while anyone
//! else presenting it is told it was used. Issuing is idempotent the same way: the key's
//! first code is returned again until it is forgotten with the code.
//!
//! **A code is used up only by an authorization that applied.** [`PaymentCodes::spend`] holds
//! the code for one call and returns a [`SpentCode`] guard; the guard gives the code back when
//! it is dropped, unless [`SpentCode::keep`] was called because the engine applied the
//! authorization. Every failure therefore returns the code, whatever it was: invalid risk
//! input, the key reused for another request, a busy engine, a step-up challenge, and a
//! decline the engine recorded (insufficient credit, a frozen account, a risk deny). The code
//! is live again for [`CODE_TTL_SECONDS`] from the call: the customer may pay with it again
//! (another amount, after a step-up), and the merchant's retry of the same call under the
//! same key spends it again and gets the engine's stored answer (the same decline, given
//! back again). A code comes back at most [`RETURNS_MAX`] times; the next failure forgets it
//! (`payment_code_not_found`: the app shows a fresh one), so a merchant holding a code cannot
//! probe the customer's available credit amount by amount. Once an authorization applied, the code is spent for good: another key is told
//! `payment_code_used`, and the same key and request get the stored approval. While a call
//! holds the code, its retries under the same key share it: the code comes back only when
//! none of them applied. [`SpentCode::settle`] runs the authorization in a task of its own, so
//! a caller that goes away mid-call (a closed connection drops the handler) cannot give back
//! a code the engine is about to spend: the guard waits for the engine's answer.

use std::collections::hash_map::Entry;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use credit::AccountId;
use engine::RiskContext;
use jiff::Timestamp;

use crate::edge::merchants::key_reused;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::idempotency::IdemKey;
use crate::sharded::Sharded;

pub const CODE_TTL_SECONDS: i64 = 60;
pub const SPENT_KEPT_SECONDS: i64 = 600;
/// How many times a code comes back after failed calls before it is forgotten: enough for a
/// step-up and a retry or two, too few for a merchant holding it to find the customer's
/// available credit by trying amount after amount.
pub const RETURNS_MAX: u8 = 5;
/// Codes are 18 digits.
const CODE_SPACE: u64 = 1_000_000_000_000_000_000;
/// The most live codes the server keeps (about 100 bytes each).
const LIVE_MAX: usize = 1 << 20;

/// A payment code's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PaymentCode(u64);

impl PaymentCode {
    /// Parses exactly 18 digits.
    pub fn parse(text: &str) -> Option<PaymentCode> {
        if text.len() != 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok().map(PaymentCode)
    }
}

impl std::fmt::Display for PaymentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:018}", self.0)
    }
}

#[derive(Clone, Copy, Debug)]
enum State {
    Live {
        account: AccountId,
        expires_at: Timestamp,
        /// Times it came back after a failed call.
        returned: u8,
    },
    Spent {
        account: AccountId,
        by: IdemKey,
        forget_at: Timestamp,
        returned: u8,
        /// Calls under `by` holding the code now (a call and its retries).
        holders: u32,
        /// Whether one of them applied: the code is used up.
        kept: bool,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct Issued {
    pub code: PaymentCode,
    pub expires_at: Timestamp,
    request: u128,
    forget_at: Timestamp,
}

#[derive(Debug, Default)]
pub struct PaymentCodes {
    codes: Sharded<PaymentCode, State>,
    issued: Sharded<(u64, u128), Issued>,
    /// Codes held (live or spent), kept beside the map so issuing never locks every shard.
    held: AtomicUsize,
}

fn plus(at: Timestamp, seconds: i64) -> Timestamp {
    at.checked_add(jiff::SignedDuration::from_secs(seconds)).unwrap_or(at)
}

impl PaymentCodes {
    /// A new code for `account` (or, for a retried call, the code it got the first time).
    /// Returns whether it is a replay.
    pub fn issue(&self, account: AccountId, idem: IdemKey, now: Timestamp) -> Result<(Issued, bool), ApiError> {
        let mut issued = self.issued.shard(&(idem.scope, idem.key));
        if let Some(earlier) = issued.get(&(idem.scope, idem.key)) {
            return if earlier.request == idem.request {
                Ok((*earlier, true))
            } else {
                Err(key_reused())
            };
        }
        if self.held.load(Ordering::Relaxed) >= LIVE_MAX {
            return Err(ApiError::busy());
        }
        let expires_at = plus(now, CODE_TTL_SECONDS);
        let code = loop {
            let code = PaymentCode(crate::random::below(CODE_SPACE)?);
            if let Entry::Vacant(slot) = self.codes.shard(&code).entry(code) {
                slot.insert(State::Live {
                    account,
                    expires_at,
                    returned: 0,
                });
                self.held.fetch_add(1, Ordering::Relaxed);
                break code;
            }
        };
        let entry = Issued {
            code,
            expires_at,
            request: idem.request,
            forget_at: plus(expires_at, SPENT_KEPT_SECONDS),
        };
        issued.insert((idem.scope, idem.key), entry);
        Ok((entry, false))
    }

    /// Holds a code for a merchant's call, atomically: a guard that knows the account it pays
    /// from and gives the code back unless the call applied (see the module doc).
    pub fn spend(self: &Arc<Self>, code: PaymentCode, by: IdemKey, now: Timestamp) -> Result<SpentCode, ApiError> {
        let not_found = || {
            ApiError::new(
                ErrorCode::PaymentCodeNotFound,
                "the payment code is unknown or expired: ask for a fresh one",
            )
            .with_field("payment_code")
        };
        let mut shard = self.codes.shard(&code);
        let state = shard.get_mut(&code).ok_or_else(not_found)?;
        let account = match *state {
            State::Live { expires_at, .. } if now > expires_at => {
                shard.remove(&code);
                self.held.fetch_sub(1, Ordering::Relaxed);
                return Err(not_found());
            }
            State::Live { account, returned, .. } => {
                *state = State::Spent {
                    account,
                    by,
                    forget_at: plus(now, SPENT_KEPT_SECONDS),
                    returned,
                    holders: 1,
                    kept: false,
                };
                account
            }
            State::Spent {
                account,
                by: spender,
                ref mut holders,
                ..
            } if (spender.scope, spender.key) == (by.scope, by.key) => {
                if spender.request != by.request {
                    return Err(key_reused());
                }
                *holders += 1;
                account
            }
            State::Spent { .. } => {
                return Err(
                    ApiError::new(ErrorCode::PaymentCodeUsed, "the payment code was already used")
                        .with_field("payment_code"),
                );
            }
        };
        Ok(SpentCode {
            codes: Arc::clone(self),
            code,
            account,
            by,
            at: now,
            done: false,
        })
    }

    /// A call that held `code` under `by` ended: `applied` keeps the code used up; otherwise it
    /// is live again once no call under the key holds it and none applied, unless it came
    /// back [`RETURNS_MAX`] times already (then it is forgotten).
    fn release(&self, code: PaymentCode, by: IdemKey, at: Timestamp, applied: bool) {
        let mut shard = self.codes.shard(&code);
        let Some(State::Spent {
            account,
            by: spender,
            holders,
            kept,
            returned,
            ..
        }) = shard.get_mut(&code)
        else {
            return;
        };
        if *spender != by {
            return;
        }
        *holders = holders.saturating_sub(1);
        *kept |= applied;
        if *holders > 0 || *kept {
            return;
        }
        if *returned >= RETURNS_MAX {
            shard.remove(&code);
            self.held.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let live = State::Live {
            account: *account,
            expires_at: plus(at, CODE_TTL_SECONDS),
            returned: *returned + 1,
        };
        shard.insert(code, live);
    }

    /// Forgets expired codes and old issue records.
    pub fn sweep(&self, now: Timestamp) {
        let removed = self.codes.retain(|_, state| match state {
            State::Live { expires_at, .. } => *expires_at >= now,
            State::Spent { forget_at, .. } => *forget_at >= now,
        });
        self.held.fetch_sub(removed, Ordering::Relaxed);
        self.issued.retain(|_, issued| issued.forget_at >= now);
    }
}

/// A payment code held by one authorization call: given back when dropped, unless
/// [`SpentCode::keep`] was called because the authorization applied.
#[must_use = "dropping the guard gives the code back"]
#[derive(Debug)]
pub struct SpentCode {
    codes: Arc<PaymentCodes>,
    code: PaymentCode,
    account: AccountId,
    by: IdemKey,
    /// When the call presented it.
    at: Timestamp,
    /// Released already (kept).
    done: bool,
}

impl SpentCode {
    pub fn code(&self) -> PaymentCode {
        self.code
    }

    /// The account the code pays from.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The authorization applied: the code is used up.
    pub fn keep(mut self) {
        self.codes.release(self.code, self.by, self.at, true);
        self.done = true;
    }

    /// Runs the authorization `call` to its end in a task of its own and keeps the code if it
    /// succeeded; any failure gives it back. The task holds the guard, so a caller that stops
    /// waiting (its connection closed) leaves the code with the call until the engine answers.
    pub async fn settle<T, F>(self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        let task = tokio::spawn(async move {
            let result = call.await;
            if result.is_ok() {
                self.keep();
            }
            result
        });
        task.await
            .map_err(|e| ApiError::internal(format!("an authorization task failed: {e}")))?
    }
}

impl Drop for SpentCode {
    fn drop(&mut self) {
        if !self.done {
            self.codes.release(self.code, self.by, self.at, false);
        }
    }
}

/// What the customer's app said when it asked for a payment code, kept with the code.
#[derive(Debug, Default)]
pub struct CodeContexts {
    by_code: Sharded<PaymentCode, (RiskContext, Timestamp)>,
}

impl CodeContexts {
    pub fn remember(&self, code: PaymentCode, context: RiskContext, forget_at: Timestamp) {
        self.by_code.insert(code, (context, forget_at));
    }

    pub fn get(&self, code: PaymentCode) -> Option<RiskContext> {
        self.by_code.get_cloned(&code).map(|(c, _)| c)
    }

    pub fn sweep(&self, now: Timestamp) {
        self.by_code.retain(|_, (_, forget_at)| *forget_at >= now);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use credit::AccountId;
    use jiff::Timestamp;

    use super::{PaymentCode, PaymentCodes};
    use crate::http::error::{ApiError, ErrorCode};
    use crate::http::idempotency::IdemKey;

    fn key(key: u128) -> IdemKey {
        IdemKey {
            scope: 1,
            key,
            request: 7,
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_772_330_400).unwrap()
    }

    fn issued(codes: &PaymentCodes) -> PaymentCode {
        codes.issue(AccountId(42), key(0), now()).unwrap().0.code
    }

    fn refused(codes: &Arc<PaymentCodes>, code: PaymentCode, by: IdemKey) -> Option<ErrorCode> {
        codes.spend(code, by, now()).err().map(|e| e.code)
    }

    #[test]
    fn a_failed_call_gives_the_code_back_and_an_applied_one_uses_it_up() {
        let codes = Arc::new(PaymentCodes::default());
        let code = issued(&codes);
        let held = codes.spend(code, key(1), now()).unwrap();
        assert_eq!(held.account(), AccountId(42));
        assert_eq!(refused(&codes, code, key(2)), Some(ErrorCode::PaymentCodeUsed), "held");
        let other_request = IdemKey { request: 8, ..key(1) };
        assert_eq!(
            refused(&codes, code, other_request),
            Some(ErrorCode::IdempotencyKeyReused)
        );
        drop(held);

        codes.spend(code, key(2), now()).unwrap().keep();
        assert_eq!(refused(&codes, code, key(1)), Some(ErrorCode::PaymentCodeUsed));
        let retry = codes.spend(code, key(2), now()).unwrap();
        drop(retry);
        assert_eq!(
            refused(&codes, code, key(3)),
            Some(ErrorCode::PaymentCodeUsed),
            "a failed retry of an applied call gives nothing back"
        );
    }

    #[test]
    fn a_code_held_by_a_call_and_its_retry_comes_back_only_if_neither_applied() {
        for first_applies in [false, true] {
            let codes = Arc::new(PaymentCodes::default());
            let code = issued(&codes);
            let first = codes.spend(code, key(1), now()).unwrap();
            let retry = codes.spend(code, key(1), now()).unwrap();
            if first_applies {
                first.keep();
                drop(retry);
            } else {
                drop(first);
                assert_eq!(
                    refused(&codes, code, key(2)),
                    Some(ErrorCode::PaymentCodeUsed),
                    "still held"
                );
                retry.keep();
            }
            assert_eq!(refused(&codes, code, key(2)), Some(ErrorCode::PaymentCodeUsed));
        }
        let codes = Arc::new(PaymentCodes::default());
        let code = issued(&codes);
        let (first, retry) = (
            codes.spend(code, key(1), now()).unwrap(),
            codes.spend(code, key(1), now()).unwrap(),
        );
        drop((first, retry));
        assert_eq!(refused(&codes, code, key(2)), None, "neither applied");
    }

    #[test]
    fn a_code_comes_back_a_bounded_number_of_times() {
        let codes = Arc::new(PaymentCodes::default());
        let code = issued(&codes);
        for attempt in 0..=super::RETURNS_MAX {
            drop(codes.spend(code, key(u128::from(attempt) + 1), now()).unwrap());
        }
        assert_eq!(refused(&codes, code, key(99)), Some(ErrorCode::PaymentCodeNotFound));
        assert_eq!(codes.held.load(std::sync::atomic::Ordering::Relaxed), 0, "forgotten");
    }

    #[tokio::test]
    async fn a_caller_that_goes_away_leaves_the_code_with_the_call_until_it_ends() {
        for applies in [false, true] {
            let codes = Arc::new(PaymentCodes::default());
            let code = issued(&codes);
            let held = codes.spend(code, key(1), now()).unwrap();
            let (answer, engine) = tokio::sync::oneshot::channel::<Result<(), ApiError>>();
            let waiting = tokio::spawn(held.settle(async move { engine.await.unwrap_or(Ok(())) }));
            tokio::task::yield_now().await;
            waiting.abort();
            assert!(waiting.await.unwrap_err().is_cancelled());
            assert_eq!(
                refused(&codes, code, key(2)),
                Some(ErrorCode::PaymentCodeUsed),
                "the engine has not answered: the code is still the call's"
            );
            let outcome = if applies { Ok(()) } else { Err(ApiError::busy()) };
            answer.send(outcome).unwrap();
            let mut given_back = false;
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                if refused(&codes, code, key(3)).is_none() {
                    given_back = true;
                    break;
                }
            }
            assert_eq!(given_back, !applies, "applied: {applies}");
        }
    }
}
