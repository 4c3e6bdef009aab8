//! The rules' field table read by name from outside the rules: a model (the fraud model) names
//! its inputs by the same dotted paths the graphs use (`features.user.payments_5m`,
//! `input.amount`, `input.channel`), so a feature added to the table is a model input too, with
//! no code beyond its line in [`super::context`].
//!
//! Values are what a model consumes: a number (a decimal as the nearest `f64`, a boolean as 0 or
//! 1), a text (a category), or missing (null).

use super::context::{RuleContext, field_index, fields};
use super::value::Val;

/// One field of the rules' context, found by its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedField {
    index: usize,
}

/// A field's value as a model reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue {
    Number(f64),
    Text(&'static str),
    Missing,
}

impl NamedField {
    /// The field at `path`, if the table has one.
    pub fn find(path: &str) -> Option<NamedField> {
        field_index(path).map(|index| NamedField { index })
    }

    pub fn path(self) -> &'static str {
        fields()[self.index].path
    }

    /// The field's value in `ctx`.
    pub fn read(self, ctx: &RuleContext<'_>) -> FieldValue {
        match (fields()[self.index].get)(ctx) {
            Val::Null => FieldValue::Missing,
            Val::Bool(b) => FieldValue::Number(if b { 1.0 } else { 0.0 }),
            Val::Num(d) => FieldValue::Number(decimal_f64(d)),
            Val::Str(s) => FieldValue::Text(s),
        }
    }
}

/// The nearest `f64` to `d` (exact for the table's integers and fen amounts: the mantissa is
/// far below 2^53 and one correctly rounded division by a power of ten gives the nearest double).
fn decimal_f64(d: rust_decimal::Decimal) -> f64 {
    d.mantissa() as f64 / 10f64.powi(d.scale() as i32)
}

/// Every field's path and value in `ctx`, in the table's order (what `iou labels export` writes
/// for training).
pub fn read_all<'c>(ctx: &'c RuleContext<'c>) -> impl Iterator<Item = (&'static str, FieldValue)> + 'c {
    fields()
        .iter()
        .enumerate()
        .map(move |(index, f)| (f.path, NamedField { index }.read(ctx)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn decimals_become_the_nearest_double() {
        for (m, s, want) in [
            (12_345i64, 2u32, 123.45),
            (7, 0, 7.0),
            (-5, 1, -0.5),
            (9_999, 4, 0.9999),
        ] {
            assert_eq!(decimal_f64(Decimal::new(m, s)), want);
            assert_eq!(
                decimal_f64(Decimal::new(m, s)),
                Decimal::new(m, s).to_string().parse::<f64>().unwrap()
            );
        }
    }

    #[test]
    fn paths_are_found_and_unknown_ones_are_not() {
        let f = NamedField::find("features.user.payments_5m").unwrap();
        assert_eq!(f.path(), "features.user.payments_5m");
        assert_eq!(NamedField::find("features.user.no_such_thing"), None);
        assert_eq!(NamedField::find("features.user"), None, "an object is not a field");
    }
}
