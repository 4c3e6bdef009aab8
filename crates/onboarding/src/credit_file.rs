//! [`CreditFile`]: what the applicant tells us (or the credit bureau tells us) about their
//! finances, parsed; and how it becomes a row of the product's scoring model.
//!
//! # The model and its columns
//!
//! The product scores applications with the `credit_data_es` scorecard (`models/credit_data_es`):
//! its columns are the ones a consumer-credit application form naturally asks for (job tenure,
//! housing, marital status, employment type, expenses, income, assets, debt, the amount asked
//! for and what it is for), while `german_credit`'s are bank-relationship columns (checking
//! account status, savings account, other debtors) this product cannot know at application
//! time. It is also the larger data set (4,454 rows) and the better model (AUC 0.837 against
//! 0.789). Reason codes for a decline come from the scorecard's points.
//!
//! | model column | from | unit |
//! | --- | --- | --- |
//! | `Seniority` | [`CreditFile::employment_years`] | years with the current employer |
//! | `Home` | [`Housing`] | `owner`, `rent`, `parents`, `priv`, `other` |
//! | `Time` | [`CreditFile::planned_term_months`] | the installment term the applicant expects to use |
//! | `Age` | the ID number's birth date on the application day | years |
//! | `Marital` | [`Marital`] | `married`, `widow`, `single`, `divorced`, `separated` |
//! | `Records` | [`CreditFile::adverse_records`] | `yes` when the credit report shows arrears |
//! | `Job` | [`Employment`] | `fixed`, `freelance`, `partime`, `others` |
//! | `Expenses`, `Income`, `Assets`, `Debt` | monthly expenses and income, assets, debt | [`MODEL_UNIT_FEN`] |
//! | `Amount` | the requested limit | [`MODEL_UNIT_FEN`] |
//! | `Price` | [`CreditFile::purchase_price`], else the requested limit | [`MODEL_UNIT_FEN`] |
//!
//! The data set's money columns are in an unnamed unit whose medians are a monthly income of
//! 125, expenses of 51, a loan of 1,000 and a price of 1,400. One model unit is taken as 50 yuan
//! (a median monthly income of 6,250 yuan, expenses of 2,550 yuan): a calibration of the product,
//! stated here once and used for every money column so their ratios keep their meaning.

use models::{Row, RowError, Schema};
use money::Amount;
use serde::{Deserialize, Serialize};

/// Fen per model money unit (50 yuan).
pub const MODEL_UNIT_FEN: i64 = 5_000;
/// Most years of tenure and months of term accepted.
pub const YEARS_MAX: u8 = 60;
pub const TERM_MONTHS_MAX: u8 = 72;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Housing {
    Owner,
    Rent,
    /// Living with parents.
    Parents,
    /// Private arrangement (employer housing, living with others).
    Private,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Marital {
    Married,
    Widowed,
    Single,
    Divorced,
    Separated,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Employment {
    /// A permanent contract.
    Fixed,
    Freelance,
    PartTime,
    Other,
}

/// The credit file as the applicant sent it: plain values, checked by [`CreditFile::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditFileInput {
    pub employment_years: u32,
    pub housing: Housing,
    pub marital_status: Marital,
    pub adverse_records: bool,
    pub employment: Employment,
    /// Fen a month (`250000` is 2,500.00 yuan).
    pub monthly_expenses_fen: i64,
    pub assets_fen: i64,
    pub debt_fen: i64,
    pub planned_term_months: u32,
    /// Fen: what the applicant means to buy first, if they said.
    #[serde(default)]
    pub purchase_price_fen: Option<i64>,
}

/// A parsed credit file: every amount a non-negative [`Amount`], tenure and term in range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditFile {
    pub employment_years: u8,
    pub housing: Housing,
    pub marital_status: Marital,
    pub adverse_records: bool,
    pub employment: Employment,
    pub monthly_expenses: Amount,
    pub assets: Amount,
    pub debt: Amount,
    pub planned_term_months: u8,
    pub purchase_price: Option<Amount>,
}

/// A credit-file field that did not parse: the field's path and a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}")]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str) -> FieldError {
        FieldError { field, code }
    }
}

/// An amount in fen that must not be negative nor above [`Amount::MAX_INPUT`].
pub(crate) fn fen(value: i64, field: &'static str) -> Result<Amount, FieldError> {
    let amount = Amount::from_fen(value);
    if amount.is_negative() {
        Err(FieldError::new(field, "negative"))
    } else if amount > Amount::MAX_INPUT {
        Err(FieldError::new(field, "too_large"))
    } else {
        Ok(amount)
    }
}

impl CreditFile {
    pub fn parse(input: &CreditFileInput) -> Result<CreditFile, FieldError> {
        let small = |n: u32, max: u8, field| {
            u8::try_from(n)
                .ok()
                .filter(|n| *n <= max)
                .ok_or(FieldError::new(field, "out_of_range"))
        };
        let term = small(
            input.planned_term_months,
            TERM_MONTHS_MAX,
            "credit_file.planned_term_months",
        )?;
        if term == 0 {
            return Err(FieldError::new("credit_file.planned_term_months", "out_of_range"));
        }
        Ok(CreditFile {
            employment_years: small(input.employment_years, YEARS_MAX, "credit_file.employment_years")?,
            housing: input.housing,
            marital_status: input.marital_status,
            adverse_records: input.adverse_records,
            employment: input.employment,
            monthly_expenses: fen(input.monthly_expenses_fen, "credit_file.monthly_expenses_fen")?,
            assets: fen(input.assets_fen, "credit_file.assets_fen")?,
            debt: fen(input.debt_fen, "credit_file.debt_fen")?,
            planned_term_months: term,
            purchase_price: input
                .purchase_price_fen
                .map(|p| fen(p, "credit_file.purchase_price_fen"))
                .transpose()?,
        })
    }

    /// The cell of model column `column` (one of the table in the module docs), or `None` for
    /// a column this file cannot fill.
    pub fn cell(&self, column: &str, age: u16, income: Amount, requested: Amount) -> Option<String> {
        let units = |a: Amount| format!("{}", a.fen() as f64 / MODEL_UNIT_FEN as f64);
        Some(match column {
            "Seniority" => self.employment_years.to_string(),
            "Home" => match self.housing {
                Housing::Owner => "owner",
                Housing::Rent => "rent",
                Housing::Parents => "parents",
                Housing::Private => "priv",
                Housing::Other => "other",
            }
            .to_owned(),
            "Time" => self.planned_term_months.to_string(),
            "Age" => age.to_string(),
            "Marital" => match self.marital_status {
                Marital::Married => "married",
                Marital::Widowed => "widow",
                Marital::Single => "single",
                Marital::Divorced => "divorced",
                Marital::Separated => "separated",
            }
            .to_owned(),
            "Records" => if self.adverse_records { "yes" } else { "no" }.to_owned(),
            "Job" => match self.employment {
                Employment::Fixed => "fixed",
                Employment::Freelance => "freelance",
                Employment::PartTime => "partime",
                Employment::Other => "others",
            }
            .to_owned(),
            "Expenses" => units(self.monthly_expenses),
            "Income" => units(income),
            "Assets" => units(self.assets),
            "Debt" => units(self.debt),
            "Amount" => units(requested),
            "Price" => units(self.purchase_price.unwrap_or(requested)),
            _ => return None,
        })
    }

    /// The model row for this file. Fails only if the model has a column the table above does
    /// not know (a model that is not a `credit_data_es` model).
    pub fn row(&self, schema: &Schema, age: u16, income: Amount, requested: Amount) -> Result<Row, RowError> {
        let mut cells = Vec::with_capacity(schema.features().len());
        for feature in schema.features() {
            let cell = self
                .cell(feature.name(), age, income, requested)
                .ok_or_else(|| models::ColumnError::Unknown(feature.name().to_owned()))?;
            cells.push((feature.name(), cell));
        }
        schema.row_from_pairs(cells.iter().map(|(n, c)| (*n, c.as_str())))
    }
}
