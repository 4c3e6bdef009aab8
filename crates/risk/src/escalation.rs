//! Step-up escalation, the one documented step after the rules: a challenge the rules answered
//! with an OTP becomes a liveness check when **takeover signals** are present. Once an
//! attacker holds the customer's SIM or reads their SMS, an OTP proves nothing; their face
//! they do not have.
//!
//! Takeover signals ([`takeover_signals`]), from the input and the features only (pure):
//! - `TAKEOVER_NEW_DEVICE`: the device was first seen on this account less than
//!   [`NEW_DEVICE_HOURS`] ago, and the account is older than the device by a day or more (a new
//!   account's first device is not a takeover);
//! - `TAKEOVER_DEVICE_CHANGE`: an earlier device change (the `device_change` checkpoint)
//!   within 30 days;
//! - `TAKEOVER_GEO_JUMP`: impossible travel since the user's last located event (the rules'
//!   own `geo_jump`: over 800 km/h and over 100 km);
//! - `TAKEOVER_PROFILE_CHANGE`: an earlier phone or bank-card change (the `profile_change`
//!   checkpoint) within 30 days.
//!
//! There is no SIM-swap signal in [`crate::Signals`] yet (no carrier feed); when one arrives
//! it belongs here. The step runs after either evaluator (fast or zen-engine), on the live and
//! the shadow answer alike, so the evaluators still agree; it only ever raises
//! `Challenge(Otp)` to `Challenge(Liveness)`, never touches another outcome, and adds
//! `STEP_UP_ESCALATED` and the signals' codes to the reasons.

use crate::checkpoint::CheckpointInput;
use crate::decision::{ChallengeKind, Outcome, ReasonCode};
use crate::features::{FeatureVector, Tally};

/// A device younger than this (hours on this account) is new.
pub const NEW_DEVICE_HOURS: u32 = 72;
/// Impossible travel: faster than this since the last located event ...
pub const GEO_JUMP_KMH: u32 = 800;
/// ... and farther than this.
pub const GEO_JUMP_KM: u32 = 100;

pub const STEP_UP_ESCALATED: ReasonCode = ReasonCode::constant("STEP_UP_ESCALATED");
pub const TAKEOVER_NEW_DEVICE: ReasonCode = ReasonCode::constant("TAKEOVER_NEW_DEVICE");
pub const TAKEOVER_DEVICE_CHANGE: ReasonCode = ReasonCode::constant("TAKEOVER_DEVICE_CHANGE");
pub const TAKEOVER_GEO_JUMP: ReasonCode = ReasonCode::constant("TAKEOVER_GEO_JUMP");
pub const TAKEOVER_PROFILE_CHANGE: ReasonCode = ReasonCode::constant("TAKEOVER_PROFILE_CHANGE");

/// The takeover signals present, as reason codes (empty: none). The user's windows count the
/// event being decided too, so a change counts only if it came before this one (a profile
/// change's own OTP is not escalated by itself).
pub fn takeover_signals(input: &CheckpointInput, features: &FeatureVector) -> Vec<ReasonCode> {
    let user = &features.user;
    let current = Tally::of_event(input);
    let device_changes = user.tally.d30.device_changes.saturating_sub(current.device_changes);
    let profile_changes = user.tally.d30.profile_changes.saturating_sub(current.profile_changes);
    let account_hours = user.account_age_days.saturating_mul(24);
    let new_device =
        user.device_age_hours < NEW_DEVICE_HOURS && account_hours >= user.device_age_hours.saturating_add(24);
    let geo_jump = user.kmh_from_last.unwrap_or(0) > GEO_JUMP_KMH && user.km_from_last.unwrap_or(0) > GEO_JUMP_KM;
    [
        (new_device, TAKEOVER_NEW_DEVICE),
        (device_changes > 0, TAKEOVER_DEVICE_CHANGE),
        (geo_jump, TAKEOVER_GEO_JUMP),
        (profile_changes > 0, TAKEOVER_PROFILE_CHANGE),
    ]
    .into_iter()
    .filter_map(|(present, code)| present.then_some(code))
    .collect()
}

/// The outcome after escalation: `Challenge(Otp)` with takeover signals becomes
/// `Challenge(Liveness)`, and `reasons` gains `STEP_UP_ESCALATED` and the signals. Any other
/// outcome is returned unchanged, with the reasons untouched.
pub fn escalate(
    outcome: Outcome,
    reasons: &mut Vec<ReasonCode>,
    input: &CheckpointInput,
    features: &FeatureVector,
) -> Outcome {
    if outcome != Outcome::Challenge(ChallengeKind::Otp) {
        return outcome;
    }
    let signals = takeover_signals(input, features);
    if signals.is_empty() {
        return outcome;
    }
    reasons.push(STEP_UP_ESCALATED);
    reasons.extend(signals);
    Outcome::Challenge(ChallengeKind::Liveness)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{CheckpointDetail, Signals};
    use crate::ids::{Channel, DeviceId, MerchantId, Timestamp, UserId};

    fn input() -> CheckpointInput {
        CheckpointInput {
            user: UserId(1),
            device: DeviceId(2),
            ip: std::net::IpAddr::from([10, 0, 0, 1]),
            geo: None,
            channel: Channel::Online,
            at: Timestamp::from_millis(1_700_000_000_000),
            signals: Signals::default(),
            detail: CheckpointDetail::PaymentAuthorization {
                merchant: MerchantId(3),
                amount: money::Amount::from_fen(100_000),
                installments: 1,
            },
        }
    }

    /// An established customer on their usual device, nothing changed.
    fn quiet() -> FeatureVector {
        let mut features = FeatureVector::default();
        features.user.account_age_days = 400;
        features.user.device_age_hours = 5_000;
        features
    }

    const OTP: Outcome = Outcome::Challenge(ChallengeKind::Otp);
    const LIVENESS: Outcome = Outcome::Challenge(ChallengeKind::Liveness);

    #[test]
    fn each_signal_alone_escalates_and_none_leaves_otp() {
        type Tweak = fn(&mut FeatureVector);
        let table: [(&str, Tweak, Option<ReasonCode>); 9] = [
            ("nothing", |_| {}, None),
            ("new device", |f| f.user.device_age_hours = 2, Some(TAKEOVER_NEW_DEVICE)),
            (
                "device at the edge",
                |f| f.user.device_age_hours = 71,
                Some(TAKEOVER_NEW_DEVICE),
            ),
            ("device three days old", |f| f.user.device_age_hours = 72, None),
            (
                "a new account's first device",
                |f| {
                    f.user.account_age_days = 0;
                    f.user.device_age_hours = 0;
                },
                None,
            ),
            (
                "device change",
                |f| f.user.tally.d30.device_changes = 1,
                Some(TAKEOVER_DEVICE_CHANGE),
            ),
            (
                "geo jump",
                |f| {
                    f.user.kmh_from_last = Some(900);
                    f.user.km_from_last = Some(1_200);
                },
                Some(TAKEOVER_GEO_JUMP),
            ),
            (
                "fast but near",
                |f| {
                    f.user.kmh_from_last = Some(900);
                    f.user.km_from_last = Some(100);
                },
                None,
            ),
            (
                "profile change",
                |f| f.user.tally.d30.profile_changes = 1,
                Some(TAKEOVER_PROFILE_CHANGE),
            ),
        ];
        for (name, tweak, signal) in table {
            let mut features = quiet();
            tweak(&mut features);
            let mut reasons = vec![ReasonCode::constant("AMOUNT_SPIKE")];
            let outcome = escalate(OTP, &mut reasons, &input(), &features);
            match signal {
                None => {
                    assert_eq!(outcome, OTP, "{name}");
                    assert_eq!(reasons.len(), 1, "{name}");
                }
                Some(code) => {
                    assert_eq!(outcome, LIVENESS, "{name}");
                    assert_eq!(reasons[1..], [STEP_UP_ESCALATED, code], "{name}");
                }
            }
        }
    }

    #[test]
    fn a_change_being_decided_is_not_its_own_signal() {
        let mut change = input();
        change.detail = CheckpointDetail::ProfileChange {
            field: crate::checkpoint::ProfileField::Phone,
            card: None,
        };
        let mut features = quiet();
        features.user.tally.d30.profile_changes = 1;
        assert!(takeover_signals(&change, &features).is_empty());
        features.user.tally.d30.profile_changes = 2;
        assert_eq!(takeover_signals(&change, &features), [TAKEOVER_PROFILE_CHANGE]);
    }

    #[test]
    fn only_an_otp_challenge_moves() {
        let mut features = quiet();
        features.user.tally.d30.profile_changes = 2;
        features.user.device_age_hours = 1;
        for outcome in [Outcome::Allow, LIVENESS, Outcome::Review, Outcome::Deny] {
            let mut reasons = Vec::new();
            assert_eq!(escalate(outcome, &mut reasons, &input(), &features), outcome);
            assert!(reasons.is_empty());
        }
        let mut reasons = Vec::new();
        assert_eq!(escalate(OTP, &mut reasons, &input(), &features), LIVENESS);
        assert_eq!(
            reasons,
            [STEP_UP_ESCALATED, TAKEOVER_NEW_DEVICE, TAKEOVER_PROFILE_CHANGE]
        );
    }
}
