//! What an audit record says: who ([`Actor`]), did what ([`Action`]), to what ([`Target`]), with
//! which details ([`Detail`]), and how it ended ([`Outcome`]); each a type that parses, so a
//! record can hold only well-formed text. And [`AuditRecord`]: a record as read back, with its
//! hashes ([`Hash`]).

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Serialize, Serializer};

/// Why a field was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {max} bytes")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} has a character outside {allowed}")]
    BadCharacter { field: &'static str, allowed: &'static str },
    #[error("detail has more than {max} entries")]
    TooManyEntries { max: usize },
}

/// Checks `text` is 1..=`max` bytes of characters `ok` accepts.
fn check(
    field: &'static str,
    text: &str,
    max: usize,
    allowed: &'static str,
    ok: fn(char) -> bool,
) -> Result<(), FieldError> {
    if text.is_empty() {
        return Err(FieldError::Empty { field });
    }
    if text.len() > max {
        return Err(FieldError::TooLong { field, max });
    }
    if !text.chars().all(ok) {
        return Err(FieldError::BadCharacter { field, allowed });
    }
    Ok(())
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')
}

fn word_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
}

fn printable(c: char) -> bool {
    !c.is_control()
}

/// Who acted. Its text is `system`, `operator:<name>` or `customer:<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The platform itself (a scheduled job, the start-up).
    System,
    /// An operator, by login name or id: ASCII letters, digits and `. _ - @`, up to 64.
    Operator(String),
    /// A customer, by account id.
    Customer(u64),
}

impl Actor {
    pub const NAME_MAX: usize = 64;

    pub fn operator(name: &str) -> Result<Actor, FieldError> {
        check(
            "operator",
            name,
            Actor::NAME_MAX,
            "ASCII letters, digits and . _ - @",
            name_char,
        )?;
        Ok(Actor::Operator(name.to_owned()))
    }

    /// The text the record keeps and hashes.
    pub fn text(&self) -> String {
        match self {
            Actor::System => "system".to_owned(),
            Actor::Operator(name) => format!("operator:{name}"),
            Actor::Customer(id) => format!("customer:{id}"),
        }
    }
}

/// What was done: a stable machine word such as `operator.login`, `pii.reveal`,
/// `rules.deploy` (lowercase ASCII letters, digits and `. _ -`, up to 64).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action(String);

impl Action {
    pub const MAX: usize = 64;

    pub fn new(word: &str) -> Result<Action, FieldError> {
        check(
            "action",
            word,
            Action::MAX,
            "lowercase ASCII letters, digits and . _ -",
            word_char,
        )?;
        Ok(Action(word.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What was acted on, as `kind:id` (`account:123`, `rules:checkout`), or nothing. Up to 128
/// bytes, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target(String);

impl Target {
    pub const MAX: usize = 128;

    pub fn new(text: &str) -> Result<Target, FieldError> {
        check("target", text, Target::MAX, "printable characters", printable)?;
        Ok(Target(text.to_owned()))
    }

    /// An account: `account:<id>`.
    pub fn account(id: u64) -> Target {
        Target(format!("account:{id}"))
    }

    /// No target (the text is empty).
    pub fn none() -> Target {
        Target(String::new())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Small key/value details, kept as a JSON object with sorted keys and string values. Never
/// raw personal data: callers pass masked values (`139****1234`). Keys are lowercase ASCII
/// letters, digits and `_` (up to 32); values up to 256 bytes without control characters; at
/// most 16 entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detail(BTreeMap<String, String>);

impl Detail {
    pub const ENTRIES_MAX: usize = 16;
    pub const KEY_MAX: usize = 32;
    pub const VALUE_MAX: usize = 256;

    pub fn new() -> Detail {
        Detail::default()
    }

    /// Adds (or replaces) one entry.
    pub fn with(mut self, key: &str, value: &str) -> Result<Detail, FieldError> {
        check(
            "detail key",
            key,
            Detail::KEY_MAX,
            "lowercase ASCII letters, digits and _",
            |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_',
        )?;
        if value.len() > Detail::VALUE_MAX {
            return Err(FieldError::TooLong {
                field: "detail value",
                max: Detail::VALUE_MAX,
            });
        }
        if !value.chars().all(printable) {
            return Err(FieldError::BadCharacter {
                field: "detail value",
                allowed: "printable characters",
            });
        }
        if !self.0.contains_key(key) && self.0.len() == Detail::ENTRIES_MAX {
            return Err(FieldError::TooManyEntries {
                max: Detail::ENTRIES_MAX,
            });
        }
        self.0.insert(key.to_owned(), value.to_owned());
        Ok(self)
    }

    /// The text the record keeps and hashes: compact JSON, keys in byte order (`{}` when empty).
    pub fn text(&self) -> String {
        // A map of strings always serializes; the fallback is never taken.
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// How the action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused for lack of permission (or a failed login).
    Denied,
    /// Tried and failed.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        [Outcome::Ok, Outcome::Denied, Outcome::Failed]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// A SHA-256 digest: a record's hash, or the previous record's. Shown as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev_hash` of record 1: 32 zero bytes.
    pub const GENESIS: Hash = Hash([0; 32]);

    /// A digest from stored bytes, if they are 32 long.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        bytes.try_into().ok().map(Hash)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// A record as read back from the log: the text the hash covers, and both hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub seq: u64,
    /// When it was recorded, at whole microseconds (the hash covers `at.as_microsecond()`).
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// A JSON object of strings, as text (the hash covers these exact bytes).
    pub detail: String,
    pub outcome: Outcome,
    pub prev_hash: Hash,
    pub hash: Hash,
}
