//! Stable reason codes for the scorecard's features: a decline names the credit-file fields that
//! cost the applicant the most points, in words that survive a retrained model (the model's own
//! codes, `R01`..., are per model file).

/// Reason codes by model column (see [`crate::credit_file`]), prefixed `SCORE_`.
const BY_COLUMN: [(&str, &str); 13] = [
    ("Seniority", "SCORE_EMPLOYMENT_YEARS"),
    ("Home", "SCORE_HOUSING"),
    ("Time", "SCORE_TERM"),
    ("Age", "SCORE_AGE"),
    ("Marital", "SCORE_MARITAL_STATUS"),
    ("Records", "SCORE_ADVERSE_RECORDS"),
    ("Job", "SCORE_EMPLOYMENT_TYPE"),
    ("Expenses", "SCORE_EXPENSES"),
    ("Income", "SCORE_INCOME"),
    ("Assets", "SCORE_ASSETS"),
    ("Debt", "SCORE_DEBT"),
    ("Amount", "SCORE_REQUESTED_AMOUNT"),
    ("Price", "SCORE_PURCHASE_PRICE"),
];

/// The reason code of a model column; an unknown column keeps the model's own code.
pub fn score_reason(column: &str, model_code: &str) -> String {
    BY_COLUMN
        .iter()
        .find(|(c, _)| *c == column)
        .map_or_else(|| format!("SCORE_{model_code}"), |(_, code)| (*code).to_owned())
}

/// Every scorecard reason code this crate can give.
pub fn score_reason_codes() -> impl Iterator<Item = &'static str> {
    BY_COLUMN.iter().map(|(_, code)| *code)
}
