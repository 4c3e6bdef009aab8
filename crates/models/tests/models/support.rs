//! Shared test fixtures: paths to the shipped models and data sets, CSV reading, and the
//! Python oracle files written by `scripts/train/train.py`.

use std::collections::HashMap;
use std::path::PathBuf;

use models::{Model, Row};

/// The data sets the shipped models were trained on: (name, target column).
pub const DATA_SETS: [(&str, &str); 2] = [("german_credit", "creditability"), ("credit_data_es", "Status")];

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn model_dir(data: &str) -> PathBuf {
    repo_root().join("models").join(data)
}

pub fn data_csv(data: &str) -> PathBuf {
    repo_root().join("../shared/data").join(format!("{data}.csv"))
}

pub fn load(data: &str, file: &str) -> Model {
    let path = model_dir(data).join(file);
    models::dir::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn read_file(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A CSV as a header and records of owned cells.
pub struct Table {
    pub header: Vec<String>,
    pub records: Vec<csv::StringRecord>,
}

impl Table {
    pub fn read(path: &PathBuf) -> Table {
        let mut reader = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("{}: {e} (the data sets live in ../shared/data)", path.display()));
        let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
        let records = reader.records().collect::<Result<_, _>>().expect("records");
        Table { header, records }
    }

    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// Cell `name` of record `row`.
    pub fn get(&self, row: usize, name: &str) -> &str {
        &self.records[row][self.column(name)]
    }

    /// Cell `name` of record `row` as a float.
    pub fn float(&self, row: usize, name: &str) -> f64 {
        let cell = self.get(row, name);
        cell.parse()
            .unwrap_or_else(|_| panic!("row {row} {name}: {cell:?} is not a number"))
    }

    /// Every record read as a row of `model`.
    pub fn rows(&self, model: &Model) -> Vec<Row> {
        let schema = model.schema();
        let binding = schema.bind(&self.header).expect("the data has the model's columns");
        let mut row = schema.empty_row();
        self.records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                binding
                    .fill(schema, |c| r.get(c), &mut row)
                    .unwrap_or_else(|e| panic!("row {i}: {e}"));
                row.clone()
            })
            .collect()
    }

    pub fn header_index(&self) -> HashMap<&str, usize> {
        self.header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect()
    }
}
