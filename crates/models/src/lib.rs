//! Credit-scoring models for iou, scored from standard files.
//!
//! This crate owns scoring: reading a points [`Scorecard`] (`scorecard.json`) and a LightGBM
//! tree ensemble ([`Gbdt`], from `Booster.dump_model()` JSON, with its `features.json` spec as
//! a [`GbdtModel`]), turning raw cells into typed [`Row`]s through a model's [`Schema`], and
//! scoring a row into a probability of default, a score, a band and reason codes ([`Model`]).
//! The models are trained offline by `scripts/train/train.py`; LightGBM predictions and
//! TreeSHAP values are reproduced to the last bits.
//!
//! It must never know about accounts, money, decisions, HTTP or storage, and nothing but
//! [`dir`] does IO: every model parses from a `&str`. It never trains.

pub mod dir;
mod error;
pub mod gbdt;
mod gbdt_model;
mod model;
mod scaling;
mod schema;
mod scorecard;

pub use error::{ColumnError, LoadError, ValueError};
pub use gbdt::{ForestScratch, Gbdt, ShapScratch};
pub use gbdt_model::GbdtModel;
pub use model::{Attribution, Model, Options, Reason, Scored, Workspace};
pub use scaling::{Bands, Scaling};
pub use schema::{Binding, Feature, Kind, Row, RowError, Schema, Value};
pub use scorecard::{Bin, Scorecard};
