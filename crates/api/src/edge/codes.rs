//! One-time payment codes: 18 random digits a customer's app shows as a QR code, valid for
//! [`CODE_TTL_SECONDS`], spent by the first merchant authorization that presents them.
//!
//! Codes live only in memory, in sharded maps: a restart forgets them and the customer's app
//! refreshes its code. A spent code is remembered with the idempotency key and request that
//! spent it until [`SPENT_KEPT_SECONDS`] later, so the merchant's retry of the same call
//! reaches the same account (and the engine answers it with the stored reply), while anyone
//! else presenting it is told it was used. Issuing is idempotent the same way: the key's
//! first code is returned again until it is forgotten with the code.

use std::collections::hash_map::Entry;
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
    },
    Spent {
        account: AccountId,
        by: IdemKey,
        forget_at: Timestamp,
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
                slot.insert(State::Live { account, expires_at });
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

    /// Spends a code for a merchant's call, atomically: the account it pays from.
    pub fn spend(&self, code: PaymentCode, by: IdemKey, now: Timestamp) -> Result<AccountId, ApiError> {
        let not_found = || {
            ApiError::new(
                ErrorCode::PaymentCodeNotFound,
                "the payment code is unknown or expired: ask for a fresh one",
            )
            .with_field("payment_code")
        };
        let mut shard = self.codes.shard(&code);
        let state = shard.get(&code).copied().ok_or_else(not_found)?;
        match state {
            State::Live { expires_at, .. } if now > expires_at => {
                shard.remove(&code);
                self.held.fetch_sub(1, Ordering::Relaxed);
                Err(not_found())
            }
            State::Live { account, .. } => {
                let forget_at = plus(now, SPENT_KEPT_SECONDS);
                shard.insert(code, State::Spent { account, by, forget_at });
                Ok(account)
            }
            State::Spent {
                account, by: spender, ..
            } if (spender.scope, spender.key) == (by.scope, by.key) => {
                if spender.request == by.request {
                    Ok(account)
                } else {
                    Err(key_reused())
                }
            }
            State::Spent { .. } => Err(
                ApiError::new(ErrorCode::PaymentCodeUsed, "the payment code was already used")
                    .with_field("payment_code"),
            ),
        }
    }

    /// Gives a code back after the call that spent it was refused as a reuse of its idempotency
    /// key for another request (nothing was authorized with it).
    pub fn unspend(&self, code: PaymentCode, by: IdemKey, now: Timestamp) {
        let mut shard = self.codes.shard(&code);
        if let Some(State::Spent {
            account, by: spender, ..
        }) = shard.get(&code).copied()
            && spender == by
        {
            shard.insert(
                code,
                State::Live {
                    account,
                    expires_at: plus(now, CODE_TTL_SECONDS),
                },
            );
        }
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
