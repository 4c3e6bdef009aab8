//! [`ApplicationInput`]: an application as the customer's app sends it (plain text and numbers),
//! and [`Application`]: the same application parsed into domain types, or the first field that
//! did not parse.

use identity::{BankCard, FaceImage, Mobile, PersonName, ResidentId};
use jiff::civil::Date;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::credit_file::{CreditFile, CreditFileInput, FieldError, fen};

/// What the ID card's OCR read (the provider's OCR; iou only compares its text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcrInput {
    pub name: String,
    pub id_number: String,
    /// The card's expiry (`YYYY-MM-DD`), absent for a card valid for life.
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// An application as sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    pub name: String,
    pub id_number: String,
    pub mobile: String,
    pub bank_card: String,
    /// The mobile number reserved with the bank for `bank_card`.
    pub reserved_mobile: String,
    /// The liveness capture's reference from the provider's SDK.
    pub face_reference: String,
    pub ocr: OcrInput,
    /// Fen a month (`800000` is 8,000.00 yuan).
    pub declared_monthly_income_fen: i64,
    /// Fen.
    pub requested_limit_fen: i64,
    /// The billing day the applicant chose (1..=28), if any.
    #[serde(default)]
    pub billing_day: Option<u8>,
    pub credit_file: CreditFileInput,
}

/// The ID card as read by OCR, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ocr {
    pub name: PersonName,
    pub id: ResidentId,
    pub valid_until: Option<Date>,
}

/// A parsed application. Constructed only by [`Application::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub name: PersonName,
    pub id: ResidentId,
    pub mobile: Mobile,
    pub card: BankCard,
    pub reserved_mobile: Mobile,
    pub face: FaceImage,
    pub ocr: Ocr,
    pub income: Amount,
    pub requested_limit: Amount,
    pub billing_day: Option<u8>,
    pub credit_file: CreditFile,
    /// Whole years on the application day, from the ID number.
    pub age: u16,
}

impl Application {
    /// Parses every field in order and stops at the first that fails. `today` is the business
    /// date of the application (an ID number born after it is refused).
    pub fn parse(input: &ApplicationInput, today: Date) -> Result<Application, FieldError> {
        let id = ResidentId::parse(&input.id_number, today).map_err(|e| FieldError::new("id_number", e.code()))?;
        let age = id
            .age_on(today)
            .ok_or(FieldError::new("id_number", "id_number.birth_date_future"))?;
        let requested_limit = fen(input.requested_limit_fen, "requested_limit_fen")?;
        if !requested_limit.is_positive() {
            return Err(FieldError::new("requested_limit_fen", "not_positive"));
        }
        Ok(Application {
            name: PersonName::parse(&input.name).map_err(|e| FieldError::new("name", e.code()))?,
            id,
            mobile: Mobile::parse(&input.mobile).map_err(|e| FieldError::new("mobile", e.code()))?,
            card: BankCard::parse(&input.bank_card).map_err(|e| FieldError::new("bank_card", e.code()))?,
            reserved_mobile: Mobile::parse(&input.reserved_mobile)
                .map_err(|e| FieldError::new("reserved_mobile", e.code()))?,
            face: FaceImage::reference(&input.face_reference)
                .map_err(|e| FieldError::new("face_reference", e.code()))?,
            ocr: parse_ocr(&input.ocr, today)?,
            income: fen(input.declared_monthly_income_fen, "declared_monthly_income_fen")?,
            requested_limit,
            billing_day: match input.billing_day {
                Some(day) if !(1..=28).contains(&day) => return Err(FieldError::new("billing_day", "out_of_range")),
                day => day,
            },
            credit_file: CreditFile::parse(&input.credit_file)?,
            age,
        })
    }
}

fn parse_ocr(input: &OcrInput, today: Date) -> Result<Ocr, FieldError> {
    Ok(Ocr {
        name: PersonName::parse(&input.name).map_err(|e| FieldError::new("ocr.name", e.code()))?,
        id: ResidentId::parse(&input.id_number, today).map_err(|e| FieldError::new("ocr.id_number", e.code()))?,
        valid_until: input
            .valid_until
            .as_deref()
            .map(|d| {
                d.trim()
                    .parse::<Date>()
                    .map_err(|_| FieldError::new("ocr.valid_until", "not_a_date"))
            })
            .transpose()?,
    })
}

/// An application's number, given in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApplicationId(pub u64);
