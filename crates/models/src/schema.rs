//! The input side of a model: its features, how a raw cell becomes a typed [`Value`], and how a
//! header of named columns is bound to the features once so that rows can be read without
//! lookups by name.

use std::collections::HashMap;

use crate::error::{ColumnError, LoadError, ValueError};

/// What a feature holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Numeric,
    Categorical,
}

/// One input column of a model.
#[derive(Debug, Clone)]
pub struct Feature {
    name: String,
    code: String,
    categories: Option<Categories>,
}

/// The categories a categorical feature knows, in their code order.
#[derive(Debug, Clone)]
struct Categories {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Feature {
    pub fn numeric(name: impl Into<String>, code: impl Into<String>) -> Self {
        Feature {
            name: name.into(),
            code: code.into(),
            categories: None,
        }
    }

    /// A categorical feature; a category's code is its position in `categories`.
    pub fn categorical(
        name: impl Into<String>,
        code: impl Into<String>,
        categories: Vec<String>,
    ) -> Result<Self, LoadError> {
        let name = name.into();
        let mut index = HashMap::with_capacity(categories.len());
        for (i, category) in categories.iter().enumerate() {
            let code = u32::try_from(i).map_err(|_| LoadError::Feature {
                feature: name.clone(),
                reason: "too many categories".into(),
            })?;
            if index.insert(category.clone(), code).is_some() {
                return Err(LoadError::Feature {
                    feature: name,
                    reason: format!("category {category:?} listed twice"),
                });
            }
        }
        Ok(Feature {
            name,
            code: code.into(),
            categories: Some(Categories {
                names: categories,
                index,
            }),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The reason code reported when this feature counts against an applicant.
    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn kind(&self) -> Kind {
        if self.categories.is_some() {
            Kind::Categorical
        } else {
            Kind::Numeric
        }
    }

    /// The known categories in code order (empty for a numeric feature).
    pub fn categories(&self) -> &[String] {
        self.categories.as_ref().map_or(&[], |c| &c.names)
    }
}

/// A typed cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A finite number of a numeric feature.
    Number(f64),
    /// A known category, by its code.
    Category(u32),
    /// A category the model never saw in training.
    Unseen,
    /// A missing cell (one of the model's missing-value tokens).
    Missing,
}

/// A model's features in the order its rows hold them, and the tokens that mean "missing".
#[derive(Debug, Clone)]
pub struct Schema {
    features: Vec<Feature>,
    missing_values: Vec<String>,
    /// The longest missing-value token: longer cells skip the comparisons.
    missing_len_max: usize,
}

impl Schema {
    pub fn new(features: Vec<Feature>, missing_values: Vec<String>) -> Result<Self, LoadError> {
        let mut seen = HashMap::new();
        for (i, f) in features.iter().enumerate() {
            if seen.insert(f.name.as_str(), i).is_some() {
                return Err(LoadError::Feature {
                    feature: f.name.clone(),
                    reason: "listed twice".into(),
                });
            }
        }
        let missing_len_max = missing_values.iter().map(String::len).max().unwrap_or(0);
        Ok(Schema {
            features,
            missing_values,
            missing_len_max,
        })
    }

    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    pub fn missing_values(&self) -> &[String] {
        &self.missing_values
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f.name == name)
    }

    /// Reads one raw cell of feature `feature` (an index into [`Schema::features`]).
    ///
    /// Missing-value tokens match exactly. Numbers may have surrounding ASCII whitespace and must
    /// be finite. Categories match exactly; an unknown one is [`Value::Unseen`], not an error.
    pub fn parse(&self, feature: usize, cell: &str) -> Result<Value, ValueError> {
        if cell.len() <= self.missing_len_max && self.missing_values.iter().any(|m| m == cell) {
            return Ok(Value::Missing);
        }
        let f = &self.features[feature];
        match &f.categories {
            Some(c) => Ok(c.index.get(cell).map_or(Value::Unseen, |&code| Value::Category(code))),
            None => match cell.trim_ascii().parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Value::Number(x)),
                _ => Err(ValueError::BadNumber {
                    column: f.name.clone(),
                    value: cell.to_owned(),
                }),
            },
        }
    }

    /// A row with every feature missing, sized for this schema; fill it with a [`Binding`].
    pub fn empty_row(&self) -> Row {
        Row {
            values: vec![Value::Missing; self.features.len()],
        }
    }

    /// Binds a header to the features. Columns the model does not use are ignored (listed in
    /// [`Binding::ignored`]); a feature with no column is an error.
    pub fn bind<S: AsRef<str>>(&self, header: &[S]) -> Result<Binding, ColumnError> {
        let mut position: HashMap<&str, usize> = HashMap::with_capacity(header.len());
        for (i, name) in header.iter().enumerate() {
            if position.insert(name.as_ref(), i).is_some() {
                return Err(ColumnError::Duplicate(name.as_ref().to_owned()));
            }
        }
        let missing: Vec<String> = self
            .features
            .iter()
            .filter(|f| !position.contains_key(f.name.as_str()))
            .map(|f| f.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(ColumnError::Missing(missing));
        }
        let columns = self.features.iter().map(|f| position[f.name.as_str()]).collect();
        let ignored = header
            .iter()
            .map(AsRef::as_ref)
            .filter(|name| self.index_of(name).is_none())
            .map(str::to_owned)
            .collect();
        Ok(Binding { columns, ignored })
    }

    /// Builds a row from named cells (a JSON object, a form). Every feature must be named once;
    /// a name the model does not know is an error.
    pub fn row_from_pairs<'a>(&self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Row, RowError> {
        let mut row = self.empty_row();
        let mut given = vec![false; self.features.len()];
        for (name, cell) in pairs {
            let i = self
                .index_of(name)
                .ok_or_else(|| ColumnError::Unknown(name.to_owned()))?;
            if std::mem::replace(&mut given[i], true) {
                return Err(ColumnError::Duplicate(name.to_owned()).into());
            }
            row.values[i] = self.parse(i, cell)?;
        }
        let missing: Vec<String> = self
            .features
            .iter()
            .zip(&given)
            .filter(|(_, g)| !**g)
            .map(|(f, _)| f.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(ColumnError::Missing(missing).into());
        }
        Ok(row)
    }
}

impl Schema {
    /// Builds a row from a JSON object of feature name to value: a string is read like a CSV
    /// cell, a number as that number (or, for a categorical feature, its decimal text), `null`
    /// as missing. Every feature must be present; unknown names are an error.
    pub fn row_from_json(&self, object: &serde_json::Value) -> Result<Row, RowError> {
        let object = object.as_object().ok_or(RowError::NotAnObject)?;
        let mut row = self.empty_row();
        let mut missing = Vec::new();
        for (i, f) in self.features.iter().enumerate() {
            row.values[i] = match object.get(&f.name) {
                None => {
                    missing.push(f.name.clone());
                    continue;
                }
                Some(serde_json::Value::Null) => Value::Missing,
                Some(serde_json::Value::String(cell)) => self.parse(i, cell)?,
                Some(serde_json::Value::Number(n)) if f.categories.is_none() => {
                    match n.as_f64().filter(|x| x.is_finite()) {
                        Some(x) => Value::Number(x),
                        None => {
                            return Err(ValueError::BadNumber {
                                column: f.name.clone(),
                                value: n.to_string(),
                            }
                            .into());
                        }
                    }
                }
                Some(other) => self.parse(i, &other.to_string())?,
            };
        }
        if let Some(name) = object.keys().find(|k| self.index_of(k).is_none()) {
            return Err(ColumnError::Unknown(name.clone()).into());
        }
        if !missing.is_empty() {
            return Err(ColumnError::Missing(missing).into());
        }
        Ok(row)
    }
}

/// A row that could not be built from named cells.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RowError {
    #[error(transparent)]
    Column(#[from] ColumnError),
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error("a row must be a JSON object of feature name to value")]
    NotAnObject,
}

/// One typed value per feature, in the schema's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

/// A header bound to a schema: for each feature, the column that holds it.
#[derive(Debug, Clone)]
pub struct Binding {
    columns: Vec<usize>,
    ignored: Vec<String>,
}

impl Binding {
    /// Header columns the model does not use.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Reads one record into `row` (made by [`Schema::empty_row`] of the same schema), with
    /// `cell(i)` giving the record's i-th cell. Allocates nothing unless a cell is bad.
    pub fn fill<'r>(
        &self,
        schema: &Schema,
        cell: impl Fn(usize) -> Option<&'r str>,
        row: &mut Row,
    ) -> Result<(), ValueError> {
        for (i, (&column, value)) in self.columns.iter().zip(row.values.iter_mut()).enumerate() {
            let raw = cell(column).ok_or_else(|| ValueError::MissingCell {
                column: schema.features[i].name.clone(),
            })?;
            *value = schema.parse(i, raw)?;
        }
        Ok(())
    }
}
