//! Step-up: a customer proves it is them (an SMS one-time password, or a liveness check of
//! their face against the photo of their ID number) through the `identity` provider traits,
//! and gets a short-lived, single-use **step-up token** bound to their account and the kind of
//! check, which a payment (or an unfreeze) then presents.
//!
//! Challenges and tokens live in memory only (a restart forgets them: the customer steps up
//! again). Only a token's SHA-256 is kept. A token is spent by the first call that presents it;
//! the same call retried under the same idempotency key may present it again. Where the code
//! goes and whose ID photo the face is compared with are the customer's `Subject`, kept in
//! the store's meta table (`customer_identity:<account>`, set by an operator or kept by
//! onboarding for the customers it approves, with the bank card the four-element check
//! verified, which payouts pay to and debits draw on: `crate::edge::subjects`), sealed by the vault (`keys`; the AAD is
//! `customer_identity`/account, so one customer's sealed identity does not open as another's).
//! `subjects::subject` is the one function that opens it: step-up, funding, and (later) the audited
//! reveal route read a customer's personal data through it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use credit::AccountId;
use identity::{ChallengeId, LivenessChecker, OtpSender};
use jiff::{SignedDuration, Timestamp};
use risk::ChallengeKind;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::idempotency::IdemKey;
use crate::sharded::Sharded;

/// How long a started challenge may be answered.
pub const CHALLENGE_TTL_SECONDS: i64 = 300;
/// How long a step-up token may be presented.
pub const TOKEN_TTL_SECONDS: i64 = 300;
/// Wrong answers a challenge takes before it is closed.
pub const ATTEMPTS_MAX: u32 = 5;
/// Challenges and tokens held at once (a bound on memory; past it new ones answer busy).
const HELD_MAX: usize = 1 << 18;
const TOKEN_PREFIX: &str = "su_";

/// The identity providers step-up uses.
#[derive(Clone)]
pub struct Providers {
    pub otp: Arc<dyn OtpSender>,
    pub liveness: Arc<dyn LivenessChecker>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers").finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
pub struct Challenge {
    pub account: AccountId,
    pub kind: ChallengeKind,
    /// The OTP provider's challenge (the id is the provider's own for OTP).
    pub provider: Option<ChallengeId>,
    pub expires_at: Timestamp,
    pub wrong: u32,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    account: AccountId,
    kind: ChallengeKind,
    expires_at: Timestamp,
    spent_by: Option<IdemKey>,
}

/// A token's check passed: the kind the customer proved, for their account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passed {
    pub account: AccountId,
    pub kind: ChallengeKind,
}

/// Live challenges and issued tokens (the answers of step-up calls are kept by `once`).
#[derive(Debug, Default)]
pub struct StepUps {
    challenges: Sharded<String, Challenge>,
    tokens: Sharded<[u8; 32], Token>,
    held: AtomicUsize,
}

fn plus(at: Timestamp, seconds: i64) -> Timestamp {
    at.checked_add(SignedDuration::from_secs(seconds)).unwrap_or(at)
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn invalid_token() -> ApiError {
    ApiError::new(
        ErrorCode::StepUpTokenInvalid,
        "the step-up token is unknown, expired, already used, or not this customer's",
    )
    .with_field("risk.step_up_token")
}

pub fn kind_name(kind: ChallengeKind) -> &'static str {
    match kind {
        ChallengeKind::Otp => "otp",
        ChallengeKind::Liveness => "liveness",
    }
}

impl StepUps {
    fn admit(&self) -> Result<(), ApiError> {
        if self.held.load(Ordering::Relaxed) >= HELD_MAX {
            return Err(ApiError::busy());
        }
        self.held.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Opens a challenge under `id`; returns when it expires.
    pub fn open(
        &self,
        id: String,
        account: AccountId,
        kind: ChallengeKind,
        provider: Option<ChallengeId>,
        now: Timestamp,
    ) -> Result<Timestamp, ApiError> {
        self.admit()?;
        let expires_at = plus(now, CHALLENGE_TTL_SECONDS);
        let challenge = Challenge {
            account,
            kind,
            provider,
            expires_at,
            wrong: 0,
        };
        self.challenges.insert(id, challenge);
        Ok(expires_at)
    }

    /// The live challenge `id` of `account`.
    pub fn challenge(&self, id: &str, account: AccountId, now: Timestamp) -> Result<Challenge, ApiError> {
        let not_found = || {
            ApiError::new(
                ErrorCode::ChallengeNotFound,
                "no live challenge has this id: start a new one",
            )
            .with_field("challenge_id")
        };
        let found = self.challenges.get_cloned(&id.to_owned()).ok_or_else(not_found)?;
        if found.account != account || found.expires_at < now || found.wrong >= ATTEMPTS_MAX {
            return Err(not_found());
        }
        Ok(found)
    }

    /// Counts a wrong answer; returns the attempts left.
    pub fn wrong(&self, id: &str) -> u32 {
        let key = id.to_owned();
        let mut shard = self.challenges.shard(&key);
        match shard.get_mut(&key) {
            Some(c) => {
                c.wrong += 1;
                ATTEMPTS_MAX.saturating_sub(c.wrong)
            }
            None => 0,
        }
    }

    /// Closes a passed challenge and issues its token.
    pub fn pass(&self, id: &str, challenge: &Challenge, now: Timestamp) -> Result<(String, Timestamp), ApiError> {
        self.challenges.shard(&id.to_owned()).remove(id);
        let token = format!("{TOKEN_PREFIX}{}", crate::random::hex_secret()?);
        let expires_at = plus(now, TOKEN_TTL_SECONDS);
        let entry = Token {
            account: challenge.account,
            kind: challenge.kind,
            expires_at,
            spent_by: None,
        };
        self.tokens.insert(token_hash(&token), entry);
        Ok((token, expires_at))
    }

    /// Spends a token for the call `by`, which acts for `account`.
    pub fn spend(&self, token: &str, account: AccountId, by: IdemKey, now: Timestamp) -> Result<Passed, ApiError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(invalid_token());
        }
        let hash = token_hash(token);
        let mut shard = self.tokens.shard(&hash);
        let entry = shard.get_mut(&hash).ok_or_else(invalid_token)?;
        let own = bool::from(entry.account.0.to_be_bytes().ct_eq(&account.0.to_be_bytes()));
        if !own || entry.expires_at < now {
            return Err(invalid_token());
        }
        match entry.spent_by {
            None => entry.spent_by = Some(by),
            Some(spender) if spender == by => {}
            Some(_) => return Err(invalid_token()),
        }
        Ok(Passed {
            account: entry.account,
            kind: entry.kind,
        })
    }

    /// Forgets expired challenges and tokens.
    pub fn sweep(&self, now: Timestamp) {
        let mut removed = self.challenges.retain(|_, c| c.expires_at >= now);
        removed += self.tokens.retain(|_, t| t.expires_at >= now);
        self.held
            .fetch_sub(removed.min(self.held.load(Ordering::Relaxed)), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idem(key: u128) -> IdemKey {
        IdemKey {
            scope: 1,
            key,
            request: 7,
        }
    }

    #[test]
    fn a_token_is_single_use_bound_to_its_account_and_short_lived() {
        let steps = StepUps::default();
        let now: Timestamp = "2026-03-01T02:00:00Z".parse().unwrap();
        let (me, other) = (AccountId(5), AccountId(6));
        steps.open("c1".into(), me, ChallengeKind::Liveness, None, now).unwrap();
        let challenge = steps.challenge("c1", me, now).unwrap();
        assert!(
            steps.challenge("c1", other, now).is_err(),
            "another customer's challenge"
        );
        let (token, _) = steps.pass("c1", &challenge, now).unwrap();
        assert!(steps.challenge("c1", me, now).is_err(), "a passed challenge is closed");
        assert_eq!(
            steps.spend(&token, other, idem(1), now).unwrap_err().code,
            crate::http::error::ErrorCode::StepUpTokenInvalid
        );
        let passed = steps.spend(&token, me, idem(1), now).unwrap();
        assert_eq!(passed.kind, ChallengeKind::Liveness);
        assert!(steps.spend(&token, me, idem(1), now).is_ok(), "the same call retried");
        assert!(steps.spend(&token, me, idem(2), now).is_err(), "another call");
        steps.open("c2".into(), me, ChallengeKind::Otp, None, now).unwrap();
        let challenge = steps.challenge("c2", me, now).unwrap();
        let (late, _) = steps.pass("c2", &challenge, now).unwrap();
        let later = plus(now, TOKEN_TTL_SECONDS + 1);
        assert!(steps.spend(&late, me, idem(3), later).is_err(), "expired");
        steps.sweep(later);
        assert_eq!(steps.held.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn wrong_answers_close_a_challenge() {
        let steps = StepUps::default();
        let now: Timestamp = "2026-03-01T02:00:00Z".parse().unwrap();
        steps
            .open("c".into(), AccountId(1), ChallengeKind::Otp, None, now)
            .unwrap();
        let left: Vec<u32> = (0..ATTEMPTS_MAX).map(|_| steps.wrong("c")).collect();
        assert_eq!(left, [4, 3, 2, 1, 0]);
        assert!(steps.challenge("c", AccountId(1), now).is_err());
    }
}
