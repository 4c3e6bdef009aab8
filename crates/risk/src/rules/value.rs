//! Values the rules compute with: [`Val`] (a scalar, cheap to copy), [`Ty`] (what a value may
//! be, for the fast path's compile-time checks) and [`OutValue`] (a graph's JSON-like result,
//! compared exactly between the two evaluators).

use std::borrow::Cow;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use zen_expression::variable::Variable;

/// A scalar as JDM expressions see it. Numbers are decimals, as in zen-engine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Num(Decimal),
    Str(&'a str),
}

impl Val<'_> {
    pub fn to_variable(self) -> Variable {
        match self {
            Val::Null => Variable::Null,
            Val::Bool(b) => Variable::Bool(b),
            Val::Num(n) => Variable::Number(n),
            Val::Str(s) => Variable::String(s.into()),
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        match self {
            Val::Null => serde_json::Value::Null,
            Val::Bool(b) => serde_json::Value::Bool(b),
            Val::Num(n) => decimal_json(n),
            Val::Str(s) => serde_json::Value::String(s.to_owned()),
        }
    }
}

/// A decimal as a JSON number, the way zen-engine converts one (via its normalized text).
pub(crate) fn decimal_json(n: Decimal) -> serde_json::Value {
    if n.fract().is_zero()
        && let Some(i) = n.to_i64()
    {
        return serde_json::Value::from(i);
    }
    serde_json::Number::from_str(&n.normalize().to_string())
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// The set of kinds a value may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ty(u8);

impl Ty {
    pub const NULL: Ty = Ty(1);
    pub const BOOL: Ty = Ty(2);
    pub const NUM: Ty = Ty(4);
    pub const STR: Ty = Ty(8);

    pub const fn or(self, other: Ty) -> Ty {
        Ty(self.0 | other.0)
    }

    pub const fn without(self, other: Ty) -> Ty {
        Ty(self.0 & !other.0)
    }

    pub const fn may_be(self, other: Ty) -> bool {
        self.0 & other.0 != 0
    }
}

/// A graph's result as a JSON-like tree.
#[derive(Clone, Debug, PartialEq)]
pub enum OutValue<'a> {
    Null,
    Bool(bool),
    Num(Decimal),
    Str(Cow<'a, str>),
    Array(Vec<OutValue<'a>>),
    Object(Vec<(Cow<'a, str>, OutValue<'a>)>),
}

impl<'a> OutValue<'a> {
    pub(crate) fn from_val(val: Val<'a>) -> OutValue<'a> {
        match val {
            Val::Null => OutValue::Null,
            Val::Bool(b) => OutValue::Bool(b),
            Val::Num(n) => OutValue::Num(n),
            Val::Str(s) => OutValue::Str(Cow::Borrowed(s)),
        }
    }

    /// The value under `key` of an object.
    pub fn get(&self, key: &str) -> Option<&OutValue<'a>> {
        match self {
            OutValue::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The same value with null and empty-object members removed and object keys sorted. JDM
    /// expressions cannot tell a null member from a missing one (both read as null), and
    /// zen-engine's merges drop some nulls and keep others, so results are compared this way.
    pub fn normalized(self) -> OutValue<'a> {
        match self {
            OutValue::Array(items) => OutValue::Array(items.into_iter().map(OutValue::normalized).collect()),
            OutValue::Object(entries) => {
                let mut kept: Vec<_> = entries
                    .into_iter()
                    .map(|(k, v)| (k, v.normalized()))
                    .filter(|(_, v)| !v.is_nothing())
                    .collect();
                kept.sort_by(|a, b| a.0.cmp(&b.0));
                OutValue::Object(kept)
            }
            scalar => scalar,
        }
    }

    fn is_nothing(&self) -> bool {
        match self {
            OutValue::Null => true,
            OutValue::Object(entries) => entries.is_empty(),
            _ => false,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            OutValue::Null => serde_json::Value::Null,
            OutValue::Bool(b) => serde_json::Value::Bool(*b),
            OutValue::Num(n) => decimal_json(*n),
            OutValue::Str(s) => serde_json::Value::String(s.to_string()),
            OutValue::Array(items) => items.iter().map(OutValue::to_json).collect(),
            OutValue::Object(entries) => {
                serde_json::Value::Object(entries.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect())
            }
        }
    }
}

impl OutValue<'static> {
    /// Converts a zen-engine result.
    pub(crate) fn from_variable(var: &Variable) -> OutValue<'static> {
        match var {
            Variable::Null => OutValue::Null,
            Variable::Bool(b) => OutValue::Bool(*b),
            Variable::Number(n) => OutValue::Num(*n),
            Variable::String(s) => OutValue::Str(Cow::Owned(s.to_string())),
            Variable::Array(items) => OutValue::Array(items.borrow().iter().map(OutValue::from_variable).collect()),
            Variable::Object(entries) => OutValue::Object(
                entries
                    .borrow()
                    .iter()
                    .map(|(k, v)| (Cow::Owned(k.to_string()), OutValue::from_variable(v)))
                    .collect(),
            ),
            Variable::Dynamic(d) => OutValue::Str(Cow::Owned(d.to_string())),
        }
    }
}
