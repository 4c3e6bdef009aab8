//! The class-conditional marginal distributions of `credit_data_es` (shipped as
//! `data/credit_data_es_marginals.json`, written by `scripts/marginals.py`), and sampling from
//! them.

use serde::Deserialize;
use std::collections::BTreeMap;

use super::rng::SplitMix64;

const SHIPPED: &str = include_str!("../../data/credit_data_es_marginals.json");

/// One column's distribution within one class.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Column {
    /// Category names with their shares of the class's rows.
    Categories { missing: f64, values: Vec<(String, f64)> },
    /// Numbers with few distinct values and their shares.
    Discrete { missing: f64, values: Vec<(f64, f64)> },
    /// 21 quantiles (0%, 5%, ..., 100%), interpolated between.
    Quantiles { missing: f64, quantiles: Vec<f64> },
}

/// The distributions of both classes.
#[derive(Clone, Debug, Deserialize)]
pub struct Marginals {
    pub bad_rate: f64,
    pub classes: BTreeMap<String, BTreeMap<String, Column>>,
}

impl Marginals {
    /// The shipped table.
    pub fn shipped() -> Marginals {
        serde_json::from_str(SHIPPED).unwrap_or_else(|e| panic!("the shipped marginals parse: {e}"))
    }

    fn column(&self, bad: bool, name: &str) -> &Column {
        let class = if bad { "bad" } else { "good" };
        self.classes
            .get(class)
            .and_then(|c| c.get(name))
            .unwrap_or_else(|| panic!("the marginals have column {name} for class {class}"))
    }

    /// A number of column `name` for the class (missing cells are not drawn: an application
    /// form has every field).
    pub fn number(&self, rng: &mut SplitMix64, bad: bool, name: &str) -> f64 {
        match self.column(bad, name) {
            Column::Discrete { values, .. } => pick(rng, values).copied().unwrap_or(0.0),
            Column::Quantiles { quantiles, .. } => interpolate(quantiles, rng.unit()),
            Column::Categories { .. } => 0.0,
        }
    }

    /// A category of column `name` for the class.
    pub fn category(&self, rng: &mut SplitMix64, bad: bool, name: &str) -> String {
        match self.column(bad, name) {
            Column::Categories { values, .. } => pick(rng, values).cloned().unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// A value drawn by its share (shares need not sum to 1: they are renormalized).
fn pick<'a, T>(rng: &mut SplitMix64, values: &'a [(T, f64)]) -> Option<&'a T> {
    let total: f64 = values.iter().map(|(_, p)| p).sum();
    let mut u = rng.unit() * total;
    for (value, p) in values {
        if u < *p {
            return Some(value);
        }
        u -= p;
    }
    values.last().map(|(v, _)| v)
}

fn interpolate(quantiles: &[f64], u: f64) -> f64 {
    let steps = quantiles.len().saturating_sub(1).max(1) as f64;
    let position = u * steps;
    let low = (position.floor() as usize).min(quantiles.len().saturating_sub(1));
    let high = (low + 1).min(quantiles.len().saturating_sub(1));
    let (a, b) = (quantiles[low], quantiles[high]);
    a + (b - a) * (position - low as f64)
}
