//! How a record's risk decision is journaled, by version.
//!
//! Postcard has no field names, so a [`RiskRecord`] whose `FeatureVector` grew (merchant book,
//! binding, link graph) cannot be read from bytes written before: the record's decision is
//! journaled as an enum in the place of the old `Option` — `None` (0) and `V1` (1) are exactly
//! the bytes `Option::None` and `Option::Some` wrote (postcard writes an `Option`'s tag and an
//! enum's variant index alike, one byte below 128). `V2` (2) held the whole vector; `V3` (3),
//! today's, holds the features in their journaled form ([`JournaledFeatures`]: every value the
//! rules and the fraud model read, the own-history features included, nothing else) and is
//! written as a length-prefixed blob, so a reader that does not need decisions (the projector,
//! [`skip`]) steps over it without decoding it. Old stores decode as `V1` or `V2`.
//! JSON (human-readable formats) keeps the plain `Option` shape.

use std::cell::RefCell;

use risk::features::{FeatureVectorV1, FeatureVectorV2, JournaledFeatures};
use risk::{CheckpointInput, ModelScores, Outcome, ReasonCode, RulesVersion};
use serde::de::{self, EnumAccess, VariantAccess, Visitor};
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

/// A [`RiskRecord`] as journals wrote it with the whole vector but the own-history features
/// (`V2`: they decode as their defaults).
#[derive(Deserialize)]
struct RiskRecordV2 {
    input: CheckpointInput,
    outcome: Outcome,
    reasons: Vec<ReasonCode>,
    rules: RulesVersion,
    shadow: Option<(Outcome, Vec<ReasonCode>, RulesVersion)>,
    features: FeatureVectorV2,
    models: ModelScores,
    satisfied_by_step_up: bool,
    observed: bool,
}

impl From<RiskRecordV2> for RiskRecord {
    fn from(v2: RiskRecordV2) -> RiskRecord {
        RiskRecord {
            input: v2.input,
            outcome: v2.outcome,
            reasons: v2.reasons,
            rules: v2.rules,
            shadow: v2.shadow,
            features: v2.features.into(),
            models: v2.models,
            satisfied_by_step_up: v2.satisfied_by_step_up,
            observed: v2.observed,
            fraud: None,
        }
    }
}

/// Today's record (`V3`), as written: borrowed from the [`RiskRecord`].
#[derive(Serialize)]
struct RiskRecordV3Ref<'a> {
    input: &'a CheckpointInput,
    outcome: &'a Outcome,
    reasons: &'a [ReasonCode],
    rules: &'a RulesVersion,
    shadow: &'a Option<(Outcome, Vec<ReasonCode>, RulesVersion)>,
    features: JournaledFeatures,
    models: &'a ModelScores,
    satisfied_by_step_up: bool,
    observed: bool,
}

/// Today's record (`V3`), as read.
#[derive(Deserialize)]
struct RiskRecordV3 {
    input: CheckpointInput,
    outcome: Outcome,
    reasons: Vec<ReasonCode>,
    rules: RulesVersion,
    shadow: Option<(Outcome, Vec<ReasonCode>, RulesVersion)>,
    features: JournaledFeatures,
    models: ModelScores,
    satisfied_by_step_up: bool,
    observed: bool,
}

impl From<RiskRecordV3> for RiskRecord {
    fn from(v3: RiskRecordV3) -> RiskRecord {
        RiskRecord {
            input: v3.input,
            outcome: v3.outcome,
            reasons: v3.reasons,
            rules: v3.rules,
            shadow: v3.shadow,
            features: v3.features.expand(),
            models: v3.models,
            satisfied_by_step_up: v3.satisfied_by_step_up,
            observed: v3.observed,
            fraud: None,
        }
    }
}

/// The `V3` record's postcard bytes, written as one byte string.
struct Blob<'a>(&'a [u8]);

impl Serialize for Blob<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

#[derive(Serialize)]
enum Written<'a> {
    None,
    /// Never written again: only keeps the later variants at their index.
    #[allow(dead_code)]
    V1(()),
    /// Never written again.
    #[allow(dead_code)]
    V2(()),
    V3(Blob<'a>),
}

#[derive(Deserialize)]
enum Read {
    None,
    V1(Box<RiskRecordV1>),
    V2(Box<RiskRecordV2>),
    V3(Box<V3Bytes>),
}

/// A `V3` record: its byte string decoded where it lies.
struct V3Bytes(RiskRecordV3);

impl<'de> Deserialize<'de> for V3Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<V3Bytes, D::Error> {
        struct Decode;
        impl Visitor<'_> for Decode {
            type Value = V3Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a journaled risk record")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V3Bytes, E> {
                postcard::from_bytes(v).map(V3Bytes).map_err(E::custom)
            }
        }
        deserializer.deserialize_bytes(Decode)
    }
}

thread_local! {
    /// The encoding of one `V3` record before it is written as a byte string (reused).
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `#[serde(with = "crate::risk_journal")]` on `Record::risk`.
pub(crate) fn serialize<S: Serializer>(risk: &Option<RiskRecord>, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        return risk.serialize(serializer);
    }
    let Some(record) = risk else {
        return Written::None.serialize(serializer);
    };
    let v3 = RiskRecordV3Ref {
        input: &record.input,
        outcome: &record.outcome,
        reasons: &record.reasons,
        rules: &record.rules,
        shadow: &record.shadow,
        features: JournaledFeatures::from(&record.features),
        models: &record.models,
        satisfied_by_step_up: record.satisfied_by_step_up,
        observed: record.observed,
    };
    SCRATCH.with_borrow_mut(|scratch| {
        let bytes = postcard::to_extend(&v3, std::mem::take(scratch)).map_err(serde::ser::Error::custom)?;
        let written = Written::V3(Blob(&bytes)).serialize(serializer);
        *scratch = bytes;
        scratch.clear();
        written
    })
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<RiskRecord>, D::Error> {
    if deserializer.is_human_readable() {
        return Option::<RiskRecord>::deserialize(deserializer);
    }
    Ok(match Read::deserialize(deserializer)? {
        Read::None => None,
        Read::V1(v1) => Some((*v1).into()),
        Read::V2(v2) => Some((*v2).into()),
        Read::V3(v3) => Some((*v3).0.into()),
    })
}

/// `Record::risk` read and dropped by a reader that needs no decisions (the projector): a
/// `V3` record is stepped over without decoding; older ones are decoded and dropped.
#[derive(Debug)]
pub(crate) struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Skipped, D::Error> {
        const VARIANTS: &[&str] = &["None", "V1", "V2", "V3"];
        deserializer.deserialize_enum("Read", VARIANTS, SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skipped;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a journaled risk record")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Skipped, A::Error> {
        let (version, variant) = data.variant::<u32>()?;
        match version {
            0 => variant.unit_variant()?,
            1 => drop(variant.newtype_variant::<RiskRecordV1>()?),
            2 => drop(variant.newtype_variant::<RiskRecordV2>()?),
            3 => {
                let IgnoredBytes = variant.newtype_variant::<IgnoredBytes>()?;
            }
            other => return Err(de::Error::custom(format!("unknown risk record version {other}"))),
        }
        Ok(Skipped)
    }
}

/// A byte string borrowed and ignored.
struct IgnoredBytes;

impl<'de> Deserialize<'de> for IgnoredBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IgnoredBytes, D::Error> {
        struct Ignore;
        impl Visitor<'_> for Ignore {
            type Value = IgnoredBytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<IgnoredBytes, E> {
                Ok(IgnoredBytes)
            }
        }
        deserializer.deserialize_bytes(Ignore)
    }
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

    /// What a reader that skips decisions sees of the same bytes.
    #[derive(Deserialize)]
    struct Skipping(Skipped, u8);

    fn with_history(mut record: RiskRecord) -> RiskRecord {
        record.features.history.payments_before = 4;
        record.features.history.amount_z_centi = Some(-250);
        record.features.history.spend_since_limit_request_fen = Some(99_000);
        record.features.merchant_book = Some(Default::default());
        record
    }

    /// The bytes of the build before the merchant, binding and graph features (the record as
    /// `Option<old shape>` followed by more fields) decode, with the new features at their
    /// defaults.
    #[test]
    fn version_1_records_decode() {
        let new = with_history(record());
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
        want.features = old_features.into();
        assert_eq!(decoded, Holder(Some(want), 42));
        assert_eq!(postcard::from_bytes::<Skipping>(&bytes).unwrap().1, 42);
        let none = postcard::to_stdvec(&(None::<u8>, 42u8)).unwrap();
        assert_eq!(postcard::from_bytes::<Holder>(&none).unwrap(), Holder(None, 42));
        assert_eq!(postcard::from_bytes::<Skipping>(&none).unwrap().1, 42);
        assert_eq!(
            postcard::to_stdvec(&Holder(None, 42)).unwrap(),
            none,
            "None is written as before"
        );
    }

    /// A version-2 record as the previous build wrote it: variant 2, then the record with the
    /// whole vector but the own-history features (which it skipped). Kept as the bytes that
    /// build wrote; the tuple below spells the same layout out and must agree with them.
    #[test]
    fn version_2_records_decode() {
        let new = record();
        let f = new.features;
        let v2_features = FeatureVectorV2 {
            hour_of_day: f.hour_of_day,
            user: f.user,
            device: f.device,
            ip: f.ip,
            merchant: f.merchant,
            card: f.card,
            merchant_book: f.merchant_book,
            binding: f.binding,
            graph: f.graph,
        };
        let spelled = postcard::to_stdvec(&(
            2u32,
            (
                &new.input,
                &new.outcome,
                &new.reasons,
                &new.rules,
                &new.shadow,
                v2_features,
                &new.models,
                new.satisfied_by_step_up,
                new.observed,
            ),
            42u8,
        ))
        .unwrap();
        let stored = hex(V2_BYTES);
        assert_eq!(spelled, stored, "the spelled-out layout is the stored bytes");
        let decoded: Holder = postcard::from_bytes(&stored).unwrap();
        assert_eq!(decoded, Holder(Some(new), 42));
        assert_eq!(postcard::from_bytes::<Skipping>(&stored).unwrap().1, 42);
    }

    /// `Holder(Some(record()), 42)` as the build before version 3 (commit 43f4498) encoded it,
    /// printed by that build's own test code.
    const V2_BYTES: &str = concat!(
        "020708000a000009000080a0abfef962000000000000010000056c6f67696e030830626164633064",
        "65000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000c000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000000000030000000000000001",
        "2a",
    );

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Today's records are version 3: the own-history features round-trip, every field the
    /// rules read survives, and a skipping reader steps over the record whole.
    #[test]
    fn version_3_records_round_trip_with_their_history() {
        let new = with_history(record());
        let holder = Holder(Some(new.clone()), 42);
        let bytes = postcard::to_stdvec(&holder).unwrap();
        assert_eq!(bytes[0], 3, "today's records are V3");
        let decoded: Holder = postcard::from_bytes(&bytes).unwrap();
        let mut want = new;
        want.features = JournaledFeatures::from(&want.features).expand();
        assert_eq!(decoded, Holder(Some(want.clone()), 42));
        assert_eq!(decoded.0.unwrap().features.history, want.features.history);
        assert_eq!(postcard::from_bytes::<Skipping>(&bytes).unwrap().1, 42);
        let again = postcard::to_stdvec(&Holder(Some(want), 42)).unwrap();
        assert_eq!(again, bytes, "decoding and encoding again gives the same bytes");
    }

    /// A truncated or unknown record is an error, never a panic.
    #[test]
    fn bad_bytes_are_errors() {
        let bytes = postcard::to_stdvec(&Holder(Some(record()), 42)).unwrap();
        for cut in 0..bytes.len() - 1 {
            assert!(postcard::from_bytes::<Holder>(&bytes[..cut]).is_err(), "{cut}");
            assert!(postcard::from_bytes::<Skipping>(&bytes[..cut]).is_err(), "{cut}");
        }
        let mut unknown = bytes.clone();
        unknown[0] = 4;
        assert!(postcard::from_bytes::<Holder>(&unknown).is_err());
        assert!(postcard::from_bytes::<Skipping>(&unknown).is_err());
    }
}
