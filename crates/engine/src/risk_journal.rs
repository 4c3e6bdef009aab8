//! How a record's risk decision is journaled, by version.
//!
//! Postcard has no field names, so a [`RiskRecord`] whose `FeatureVector` grew (merchant book,
//! binding, link graph) cannot be read from bytes written before: the record's decision is
//! journaled as an enum in the place of the old `Option` — `None` (0) and `V1` (1) are exactly
//! the bytes `Option::None` and `Option::Some` wrote (postcard writes an `Option`'s tag and an
//! enum's variant index alike, one byte below 128), and `V2` (2) is today's record. Old stores
//! decode as `V1` (the new features take their defaults); new records are written as `V2`.
//! JSON (human-readable formats) keeps the plain `Option` shape.

use risk::features::FeatureVectorV1;
use risk::{CheckpointInput, ModelScores, Outcome, ReasonCode, RulesVersion};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::risk::RiskRecord;

/// A [`RiskRecord`] as journals before the merchant, binding and graph features wrote it.
#[derive(Deserialize)]
struct RiskRecordV1 {
    input: CheckpointInput,
    outcome: Outcome,
    reasons: Vec<ReasonCode>,
    rules: RulesVersion,
    shadow: Option<(Outcome, Vec<ReasonCode>, RulesVersion)>,
    features: FeatureVectorV1,
    models: ModelScores,
    satisfied_by_step_up: bool,
    observed: bool,
}

impl From<RiskRecordV1> for RiskRecord {
    fn from(v1: RiskRecordV1) -> RiskRecord {
        RiskRecord {
            input: v1.input,
            outcome: v1.outcome,
            reasons: v1.reasons,
            rules: v1.rules,
            shadow: v1.shadow,
            features: v1.features.into(),
            models: v1.models,
            satisfied_by_step_up: v1.satisfied_by_step_up,
            observed: v1.observed,
            fraud: None,
        }
    }
}

#[derive(Serialize)]
enum Written<'a> {
    None,
    /// Never written again: only keeps `V2` at index 2.
    #[allow(dead_code)]
    V1(()),
    V2(&'a RiskRecord),
}

#[derive(Deserialize)]
enum Read {
    None,
    V1(Box<RiskRecordV1>),
    V2(Box<RiskRecord>),
}

/// `#[serde(with = "crate::risk_journal")]` on `Record::risk`.
pub(crate) fn serialize<S: Serializer>(risk: &Option<RiskRecord>, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        return risk.serialize(serializer);
    }
    match risk {
        None => Written::None,
        Some(record) => Written::V2(record),
    }
    .serialize(serializer)
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<RiskRecord>, D::Error> {
    if deserializer.is_human_readable() {
        return Option::<RiskRecord>::deserialize(deserializer);
    }
    Ok(match Read::deserialize(deserializer)? {
        Read::None => None,
        Read::V1(v1) => Some((*v1).into()),
        Read::V2(v2) => Some(*v2),
    })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use risk::{Channel, CheckpointDetail, DeviceId, FeatureVector, Signals, Timestamp, UserId};

    use super::*;

    fn record() -> RiskRecord {
        let mut features = FeatureVector::default();
        features.user.account_age_days = 12;
        features.graph.component_size = 3;
        RiskRecord {
            input: CheckpointInput {
                user: UserId(7),
                device: DeviceId(8),
                ip: IpAddr::from([10, 0, 0, 9]),
                geo: None,
                channel: Channel::Online,
                at: Timestamp::from_millis(1_700_000_000_000),
                signals: Signals::default(),
                detail: CheckpointDetail::Login { password_ok: true },
            },
            outcome: Outcome::Allow,
            reasons: Vec::new(),
            rules: RulesVersion {
                graph: "login".into(),
                version: 3,
                digest: "0badc0de".into(),
            },
            shadow: None,
            features,
            models: ModelScores::default(),
            satisfied_by_step_up: false,
            observed: true,
            fraud: None,
        }
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Holder(#[serde(with = "super")] Option<RiskRecord>, u8);

    /// The bytes of the previous build (the record as `Option<old shape>` followed by more
    /// fields) decode, with the new features at their defaults; today's round-trips.
    #[test]
    fn old_records_decode_and_new_ones_round_trip() {
        let new = record();
        let f = new.features;
        let old_features = FeatureVectorV1 {
            hour_of_day: f.hour_of_day,
            user: f.user,
            device: f.device,
            ip: f.ip,
            merchant: f.merchant,
            card: f.card,
        };
        let old = (
            Some((
                &new.input,
                &new.outcome,
                &new.reasons,
                &new.rules,
                &new.shadow,
                old_features,
                &new.models,
                new.satisfied_by_step_up,
                new.observed,
            )),
            42u8,
        );
        let bytes = postcard::to_stdvec(&old).unwrap();
        let decoded: Holder = postcard::from_bytes(&bytes).unwrap();
        let mut want = new.clone();
        want.features.graph = Default::default();
        assert_eq!(decoded, Holder(Some(want), 42));
        let none = postcard::to_stdvec(&(None::<u8>, 42u8)).unwrap();
        assert_eq!(postcard::from_bytes::<Holder>(&none).unwrap(), Holder(None, 42));
        assert_eq!(
            postcard::to_stdvec(&Holder(None, 42)).unwrap(),
            none,
            "None is written as before"
        );
        let holder = Holder(Some(new), 42);
        let bytes = postcard::to_stdvec(&holder).unwrap();
        assert_eq!(bytes[0], 2, "today's records are V2");
        assert_eq!(postcard::from_bytes::<Holder>(&bytes).unwrap(), holder);
    }
}
