//! What risk answers: [`Decision`] (outcome, reason codes, rule version, shadow outcome, trace,
//! and the features and scores it saw), serializable so the journal stores it with the command.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::checkpoint::Checkpoint;
use crate::features::FeatureVector;
use crate::models::ModelScores;

/// The step-up a challenge asks for, through the identity provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeKind {
    Otp,
    Liveness,
}

/// The answer, ordered by severity: `Allow < Challenge(Otp) < Challenge(Liveness) < Review <
/// Deny`. Combining answers takes the maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allow,
    Challenge(ChallengeKind),
    /// Hold for an analyst.
    Review,
    Deny,
}

impl Outcome {
    pub fn is_deny(self) -> bool {
        self == Outcome::Deny
    }
}

/// Why: an upper-case code like `VELOCITY_USER_5M`, at most 32 characters of `A-Z`, `0-9` and
/// `_`. Stored inline (no allocation), so a decision's reasons are cheap to build.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReasonCode {
    len: u8,
    bytes: [u8; ReasonCode::MAX_LEN],
}

/// Why a string is not a [`ReasonCode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonCodeError {
    #[error("reason code is empty")]
    Empty,
    #[error("reason code {0:?} is longer than 32 characters")]
    TooLong(String),
    #[error("reason code {0:?} has a character outside A-Z, 0-9 and _")]
    Character(String),
}

impl ReasonCode {
    pub const MAX_LEN: usize = 32;

    pub fn parse(text: &str) -> Result<ReasonCode, ReasonCodeError> {
        if text.is_empty() {
            return Err(ReasonCodeError::Empty);
        }
        if text.len() > Self::MAX_LEN {
            return Err(ReasonCodeError::TooLong(text.to_owned()));
        }
        let valid = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_';
        if !text.as_bytes().iter().all(valid) {
            return Err(ReasonCodeError::Character(text.to_owned()));
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Ok(ReasonCode {
            len: text.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII ever goes in (checked by `parse`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

/// Reason codes risk itself emits.
impl ReasonCode {
    /// The rules failed to evaluate or broke their output contract; the decision is review.
    pub const RULES_ERROR: ReasonCode = ReasonCode::constant("RULES_ERROR");

    /// A code known at compile time; an invalid one fails the build (const evaluation).
    pub const fn constant(text: &'static str) -> ReasonCode {
        let src = text.as_bytes();
        assert!(!src.is_empty() && src.len() <= Self::MAX_LEN, "bad reason code length");
        let mut bytes = [0u8; Self::MAX_LEN];
        let mut i = 0;
        while i < src.len() {
            let c = src[i];
            assert!(
                c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_',
                "bad reason code character"
            );
            bytes[i] = c;
            i += 1;
        }
        ReasonCode {
            len: src.len() as u8,
            bytes,
        }
    }
}

impl fmt::Debug for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_str())
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ReasonCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReasonCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ReasonCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Which graph decided: its name, the version its metadata declares, and a digest of its text
/// (so two edits that forgot to bump the version are still told apart).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RulesVersion {
    pub graph: Arc<str>,
    pub version: u32,
    /// FNV-1a 64 of the graph's JSON text, in hex.
    pub digest: Arc<str>,
}

impl fmt::Display for RulesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@v{}#{}", self.graph, self.version, self.digest)
    }
}

/// Which evaluator produced a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluator {
    /// The compiled fast path (graph fully supported by it).
    Fast,
    /// zen-engine, the reference evaluator.
    Reference,
}

/// One decision-table or expression node that ran: the rows that fired, or the values computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    pub node: Arc<str>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<u32>,
    #[serde(default, skip_serializing_if = "TraceValues::is_empty")]
    pub values: TraceValues,
}

/// The values an expression node computed, in the node's order; a JSON object when serialized.
/// (Keys are shared with the compiled graph, so building a trace allocates no key strings.)
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceValues(pub Vec<(Arc<str>, serde_json::Value)>);

impl TraceValues {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.iter().find(|(k, _)| k.as_ref() == key).map(|(_, v)| v)
    }
}

impl Serialize for TraceValues {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key.as_ref(), value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for TraceValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = TraceValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of computed values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<TraceValues, A::Error> {
                let mut values = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    values.push((Arc::from(key), value));
                }
                Ok(TraceValues(values))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// How a graph reached its answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleTrace {
    pub evaluator: Evaluator,
    pub steps: Vec<TraceStep>,
    /// Why the rules failed, when they did (the outcome is then review with `RULES_ERROR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the shadow graph would have decided; it never changes the live decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShadowOutcome {
    pub outcome: Outcome,
    pub reasons: Vec<ReasonCode>,
    pub rules_version: RulesVersion,
    pub trace: RuleTrace,
}

/// Risk's answer at one checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub checkpoint: Checkpoint,
    pub outcome: Outcome,
    pub reasons: Vec<ReasonCode>,
    pub rules_version: RulesVersion,
    pub trace: RuleTrace,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<ShadowOutcome>,
    /// The features the rules saw (what `iou backtest` replays).
    pub features: FeatureVector,
    pub models: ModelScores,
}
