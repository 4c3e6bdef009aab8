//! Parsing request input at the edge: JSON bodies into DTOs (every serde failure becomes the
//! error shape with the field at fault), and raw values into domain types (amounts, ids, plan
//! choices). Handlers only ever see parsed values.

use std::fmt;

use credit::{PlanChoice, Product};
use money::Amount;
use money::schedule::Method;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::error::Category;
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorCode};

/// Marks serde errors raised by [`FenInput`], so they get the `invalid_amount` code.
const AMOUNT_MARK: &str = "amount must be a whole number of fen";

/// Parses a JSON body. An empty body reads as `{}` (calls without fields may send nothing).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    // serde also reads a struct from an array (`[]` would be an empty body): only objects.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::new(ErrorCode::BadJson, "the body must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(classify)?;
    deserializer.end().map_err(|e| bad_json(&e))?;
    Ok(value)
}

fn bad_json(error: &serde_json::Error) -> ApiError {
    ApiError::new(ErrorCode::BadJson, format!("the body is not valid JSON: {error}"))
}

/// serde's message without its " at line 1 column 9" suffix.
fn message_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The name between the first pair of backticks in a serde message.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn classify(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.classify() != Category::Data {
        return bad_json(&inner);
    }
    let message = message_of(&inner);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = quoted(rest).unwrap_or_default();
        // The path may already end at the unknown field.
        let field = if path.ends_with(name) {
            path.clone()
        } else {
            join(&path, name)
        };
        return ApiError::new(ErrorCode::UnknownField, message).with_field(field);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = join(&path, quoted(rest).unwrap_or_default());
        return ApiError::new(ErrorCode::MissingField, message).with_field(field);
    }
    if path.is_empty() || path == "." {
        return ApiError::new(ErrorCode::BadJson, format!("the body must be a JSON object: {message}"));
    }
    if message.contains(AMOUNT_MARK) {
        return ApiError::new(ErrorCode::InvalidAmount, message).with_field(path);
    }
    ApiError::new(ErrorCode::InvalidField, message).with_field(path)
}

/// An amount of fen as sent: any JSON integer that fits i64. [`FenInput::parse`] checks the
/// product's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ToSchema)]
#[schema(value_type = i64, minimum = 1, example = 12999)]
pub struct FenInput(i64);

impl<'de> Deserialize<'de> for FenInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FenInput, D::Error> {
        struct Fen;
        impl Visitor<'_> for Fen {
            type Value = FenInput;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer number of fen")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FenInput, E> {
                Ok(FenInput(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FenInput, E> {
                i64::try_from(v)
                    .map(FenInput)
                    .map_err(|_| E::custom(format!("{AMOUNT_MARK}: {v} is too large")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FenInput, E> {
                Err(E::custom(format!("{AMOUNT_MARK}: {v} is not an integer in range")))
            }
        }
        deserializer.deserialize_any(Fen)
    }
}

impl FenInput {
    /// Whether 0 was sent (the few fields where zero means something check this first).
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The amount, if it is 1 fen to the product's largest amount.
    pub fn parse(self, product: &Product, field: &str) -> Result<Amount, ApiError> {
        if self.0 < 1 || self.0 > product.amount_max.fen() {
            let max = product.amount_max.fen();
            return Err(ApiError::new(
                ErrorCode::InvalidAmount,
                format!("{field} must be 1 to {max} fen, got {}", self.0),
            )
            .with_field(field));
        }
        Ok(Amount::from_fen(self.0))
    }
}

/// Parses an id sent as a string of digits (path parameters and body fields alike).
pub fn parse_id(text: &str, field: &str) -> Result<u64, ApiError> {
    let invalid =
        || ApiError::new(ErrorCode::InvalidId, format!("{field} must be a string of digits")).with_field(field);
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

/// A plan method as the API spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MethodDto {
    FlatFee,
    Annuity,
    EqualPrincipal,
}

impl From<MethodDto> for Method {
    fn from(m: MethodDto) -> Method {
        match m {
            MethodDto::FlatFee => Method::FlatFee,
            MethodDto::Annuity => Method::Annuity,
            MethodDto::EqualPrincipal => Method::EqualPrincipal,
        }
    }
}

impl From<Method> for MethodDto {
    fn from(m: Method) -> MethodDto {
        match m {
            Method::FlatFee => MethodDto::FlatFee,
            Method::Annuity => MethodDto::Annuity,
            Method::EqualPrincipal => MethodDto::EqualPrincipal,
        }
    }
}

/// Installments chosen with a purchase or for a bill.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// One of the offered terms (3, 6, 12 or 24 by default; a campaign's own terms with
    /// `campaign_id`).
    #[schema(example = 6)]
    pub periods: u32,
    pub method: MethodDto,
    /// A merchant's purchase only: the campaign (`GET /v1/campaigns`, `GET /v1/plan-options`
    /// with `merchant_id`) whose fee rate the plan is made at. The campaign must be the
    /// merchant's or its category's, run today, and offer the term and method. Without it the
    /// customer's line's rate applies.
    #[schema(example = "1")]
    pub campaign_id: Option<String>,
    /// Never accepted: nobody sets a plan's rate by hand (`campaign_rate_not_allowed`); a
    /// merchant names a `campaign_id`.
    pub rate: Option<String>,
}

impl PlanBody {
    /// The plan choice at the line's rate for the term (no campaign: a bill's installments).
    pub fn parse(&self, product: &Product, prefix: &str) -> Result<PlanChoice, ApiError> {
        let (choice, campaign) = self.parse_with_campaign(product, prefix)?;
        match campaign {
            None => Ok(choice),
            Some(_) => Err(ApiError::new(
                ErrorCode::CampaignNotFound,
                "campaigns are merchants' offers: a bill's installments name none",
            )
            .with_field(join(prefix, "campaign_id"))),
        }
    }

    /// The plan choice (no rate yet) and the campaign it names, if any. A term the product
    /// does not offer is refused here; a campaign's own terms are checked against it later.
    pub fn parse_with_campaign(&self, product: &Product, prefix: &str) -> Result<(PlanChoice, Option<u64>), ApiError> {
        if self.rate.is_some() {
            return Err(ApiError::new(
                ErrorCode::CampaignRateNotAllowed,
                "a plan's rate is never set by hand: name a campaign_id, or omit rate for the line's rate",
            )
            .with_field(join(prefix, "rate")));
        }
        let campaign = self
            .campaign_id
            .as_deref()
            .map(|id| parse_id(id, &join(prefix, "campaign_id")))
            .transpose()?;
        if !product.offers_term(self.periods) {
            let offered = &product.terms;
            return Err(
                ApiError::new(ErrorCode::TermNotOffered, format!("periods must be one of {offered:?}"))
                    .with_field(join(prefix, "periods")),
            );
        }
        let choice = PlanChoice {
            periods: self.periods,
            method: self.method.into(),
            rate: None,
        };
        Ok((choice, campaign))
    }
}

/// A short free text (names, references): 1 to `max` characters, no control characters.
pub fn parse_text(text: &str, field: &str, max: usize) -> Result<String, ApiError> {
    let count = text.chars().count();
    if count == 0 || count > max || text.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            format!("{field} must be 1 to {max} characters without control characters"),
        )
        .with_field(field));
    }
    Ok(text.to_owned())
}
