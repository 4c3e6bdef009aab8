//! The application routes' request and response bodies.

use std::net::IpAddr;

use engine::RiskContext;
use onboarding::{ApplicationInput, ApplicationRecord, CreditFileInput, Decision, OcrInput};
use risk::{Channel, DeviceId, Geo};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorCode};

/// `POST /v1/applications`: the application and where it comes from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    pub applicant: ApplicantBody,
    pub device: DeviceBody,
}

/// The applicant as the app collected them. Every value is checked (ID number check digit and
/// birth date, mobile, card number) and the identity providers verify name and ID, the card
/// against its reserved mobile, and the face; a field that does not parse answers 400 with its
/// path (`applicant.id_number`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantBody {
    #[schema(example = "张伟")]
    pub name: String,
    /// The 18-character resident ID number (a final `x` may be lower case).
    #[schema(example = "110105199003151001")]
    pub id_number: String,
    #[schema(example = "13812345678")]
    pub mobile: String,
    #[schema(example = "6222020000000015")]
    pub bank_card: String,
    /// The mobile number reserved with the bank for `bank_card`.
    #[schema(example = "13812345678")]
    pub reserved_mobile: String,
    /// The liveness capture's reference from the provider's SDK.
    pub face_reference: String,
    pub ocr: OcrBody,
    /// Fen a month (0 or more).
    #[schema(example = 1_000_000)]
    pub declared_monthly_income_fen: i64,
    /// Fen (more than 0).
    #[schema(example = 2_000_000)]
    pub requested_limit_fen: i64,
    /// The day of the month statements close (1 to 28); by default the day before approval.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 28)]
    pub billing_day: Option<u8>,
    pub credit_file: CreditFileBody,
}

/// What the ID card's OCR read (the provider's OCR; iou compares its text with the form).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OcrBody {
    pub name: String,
    pub id_number: String,
    /// The card's expiry (`YYYY-MM-DD`), absent for a card valid for life.
    #[serde(default)]
    #[schema(example = "2031-01-01")]
    pub valid_until: Option<String>,
}

/// What the applicant tells about their finances (the scoring model's inputs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditFileBody {
    /// Years with the current employer (0 to 60).
    pub employment_years: u32,
    pub housing: HousingBody,
    pub marital_status: MaritalBody,
    /// The credit report shows arrears.
    pub adverse_records: bool,
    pub employment: EmploymentBody,
    /// Fen a month (0 or more).
    #[schema(example = 200_000)]
    pub monthly_expenses_fen: i64,
    /// Fen (0 or more).
    #[schema(example = 30_000_000)]
    pub assets_fen: i64,
    /// Fen (0 or more).
    #[schema(example = 0)]
    pub debt_fen: i64,
    /// The installment term the applicant expects to use, in months (1 to 72).
    #[schema(example = 12)]
    pub planned_term_months: u32,
    /// Fen: what the applicant means to buy first, if they said.
    #[serde(default)]
    #[schema(example = 6_000_000)]
    pub purchase_price_fen: Option<i64>,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HousingBody {
    Owner,
    Rent,
    /// Living with parents.
    Parents,
    /// Employer housing, living with others.
    Private,
    Other,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaritalBody {
    Married,
    Widowed,
    Single,
    Divorced,
    Separated,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentBody {
    /// A permanent contract.
    Fixed,
    Freelance,
    PartTime,
    Other,
}

impl From<HousingBody> for onboarding::Housing {
    fn from(h: HousingBody) -> onboarding::Housing {
        use onboarding::Housing as H;
        match h {
            HousingBody::Owner => H::Owner,
            HousingBody::Rent => H::Rent,
            HousingBody::Parents => H::Parents,
            HousingBody::Private => H::Private,
            HousingBody::Other => H::Other,
        }
    }
}

impl From<MaritalBody> for onboarding::Marital {
    fn from(m: MaritalBody) -> onboarding::Marital {
        use onboarding::Marital as M;
        match m {
            MaritalBody::Married => M::Married,
            MaritalBody::Widowed => M::Widowed,
            MaritalBody::Single => M::Single,
            MaritalBody::Divorced => M::Divorced,
            MaritalBody::Separated => M::Separated,
        }
    }
}

impl From<EmploymentBody> for onboarding::Employment {
    fn from(e: EmploymentBody) -> onboarding::Employment {
        use onboarding::Employment as E;
        match e {
            EmploymentBody::Fixed => E::Fixed,
            EmploymentBody::Freelance => E::Freelance,
            EmploymentBody::PartTime => E::PartTime,
            EmploymentBody::Other => E::Other,
        }
    }
}

impl From<ApplicantBody> for ApplicationInput {
    fn from(a: ApplicantBody) -> ApplicationInput {
        let f = a.credit_file;
        ApplicationInput {
            name: a.name,
            id_number: a.id_number,
            mobile: a.mobile,
            bank_card: a.bank_card,
            reserved_mobile: a.reserved_mobile,
            face_reference: a.face_reference,
            ocr: OcrInput {
                name: a.ocr.name,
                id_number: a.ocr.id_number,
                valid_until: a.ocr.valid_until,
            },
            declared_monthly_income_fen: a.declared_monthly_income_fen,
            requested_limit_fen: a.requested_limit_fen,
            billing_day: a.billing_day,
            credit_file: CreditFileInput {
                employment_years: f.employment_years,
                housing: f.housing.into(),
                marital_status: f.marital_status.into(),
                adverse_records: f.adverse_records,
                employment: f.employment.into(),
                monthly_expenses_fen: f.monthly_expenses_fen,
                assets_fen: f.assets_fen,
                debt_fen: f.debt_fen,
                planned_term_months: f.planned_term_months,
                purchase_price_fen: f.purchase_price_fen,
            },
        }
    }
}

/// The app's device context.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    /// The app's stable device identifier (1 to 128 visible ASCII characters); only its hash
    /// is kept.
    #[schema(example = "3f2a9c1e-app-install-id")]
    pub device_id: String,
    /// Where the device is, in micro-degrees, if the customer shares it.
    #[serde(default)]
    pub lat_micro: Option<i32>,
    #[serde(default)]
    pub lon_micro: Option<i32>,
    /// The app's fingerprint check says emulator, rooted or hooked.
    #[serde(default)]
    pub emulator: bool,
}

impl DeviceBody {
    /// The risk context of this device calling from `ip`.
    pub fn context(&self, ip: IpAddr) -> Result<RiskContext, ApiError> {
        let id = self.device_id.as_str();
        if !(1..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                ApiError::new(ErrorCode::InvalidField, "device_id is 1 to 128 visible characters")
                    .with_field("device.device_id"),
            );
        }
        let digest = Sha256::digest([b"iou/device\0".as_slice(), id.as_bytes()].concat());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let geo = match (self.lat_micro, self.lon_micro) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                Some(Geo::new(lat, lon).map_err(|e| {
                    ApiError::new(ErrorCode::InvalidField, e.to_string()).with_field("device.lat_micro")
                })?)
            }
            _ => {
                return Err(
                    ApiError::new(ErrorCode::InvalidField, "send both lat_micro and lon_micro, or neither")
                        .with_field("device.lon_micro"),
                );
            }
        };
        Ok(RiskContext {
            device: DeviceId(u64::from_be_bytes(first).max(1)),
            ip,
            geo,
            emulator: self.emulator,
            ..RiskContext::unknown(Channel::Online)
        })
    }
}

/// The request path of a field the onboarding crate names (`credit_file.assets_fen` is under
/// `applicant`).
pub fn field_path(field: &str) -> String {
    format!("applicant.{field}")
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierDto {
    pub name: String,
    /// Installment fee per period, parts per million of the principal.
    pub rate_ppm: u32,
}

/// What the applicant is told. A review (and a duplicate, answered as one) carries no reasons.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub application_id: String,
    /// `approved`, `review`, `declined` or `challenge_required`.
    pub outcome: &'static str,
    pub reasons: Vec<String>,
    /// With `challenge_required`: `otp` or `liveness`.
    pub challenge: Option<&'static str>,
    pub customer_id: Option<String>,
    /// The customer's bearer token, on approval only (shown once).
    pub token: Option<String>,
    pub limit_fen: Option<i64>,
    pub tier: Option<TierDto>,
    pub billing_day: Option<u8>,
}

fn challenge_name(kind: risk::ChallengeKind) -> &'static str {
    match kind {
        risk::ChallengeKind::Otp => "otp",
        risk::ChallengeKind::Liveness => "liveness",
    }
}

impl DecisionResponse {
    pub fn of(d: &Decision, token: Option<String>) -> DecisionResponse {
        let approved = d.outcome == onboarding::Outcome::Approved;
        DecisionResponse {
            application_id: d.application.map(|a| a.0.to_string()).unwrap_or_default(),
            outcome: d.outcome.code(),
            reasons: d.reasons.clone(),
            challenge: d.challenge.map(challenge_name),
            customer_id: approved.then(|| d.account.map(|a| a.to_string())).flatten(),
            token,
            limit_fen: approved.then(|| d.limit.map(|l| l.fen())).flatten(),
            tier: approved.then(|| d.tier.as_ref().map(tier)).flatten(),
            billing_day: approved.then_some(d.billing_day).flatten(),
        }
    }
}

impl DecisionResponse {
    /// "Received, in review": the same for a review and a duplicate, with no reasons (they are
    /// the operator's: `GET /v1/applications/{id}`).
    pub fn received(d: &Decision) -> DecisionResponse {
        DecisionResponse {
            application_id: d.application.map(|a| a.0.to_string()).unwrap_or_default(),
            outcome: onboarding::Outcome::Review.code(),
            reasons: Vec::new(),
            challenge: None,
            customer_id: None,
            token: None,
            limit_fen: None,
            tier: None,
            billing_day: None,
        }
    }
}

fn tier(t: &onboarding::PriceTier) -> TierDto {
    TierDto {
        name: t.name.clone(),
        rate_ppm: t.rate.ppm(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreDto {
    pub pd: f64,
    pub score: f64,
    pub band: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolutionDto {
    pub outcome: &'static str,
    pub by: String,
    pub at: String,
    pub limit_fen: Option<i64>,
    pub reasons: Vec<String>,
}

/// What an operator (or the customer) sees of a recorded application. PII only masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordResponse {
    pub application_id: String,
    /// Where it stands now: the analyst's answer once there is one.
    pub status: &'static str,
    /// What the flow decided.
    pub outcome: &'static str,
    pub customer_id: String,
    pub name: String,
    pub id_number: String,
    pub applied_at: String,
    pub reasons: Vec<String>,
    /// The limit granted, or proposed to the analyst.
    pub limit_fen: Option<i64>,
    pub tier: Option<TierDto>,
    pub score: Option<ScoreDto>,
    pub rules: Vec<String>,
    pub resolution: Option<ResolutionDto>,
}

impl RecordResponse {
    pub fn of(r: &ApplicationRecord) -> RecordResponse {
        let d = &r.decision;
        RecordResponse {
            application_id: r.id.0.to_string(),
            status: r.status().code(),
            outcome: d.outcome.code(),
            customer_id: r.account.to_string(),
            name: r.name_masked.clone(),
            id_number: r.id_masked.clone(),
            applied_at: r.at.to_string(),
            reasons: d.reasons.clone(),
            limit_fen: d.limit.map(|l| l.fen()),
            tier: d.tier.as_ref().map(tier),
            score: d.score.as_ref().map(|s| ScoreDto {
                pd: s.pd,
                score: s.score,
                band: s.band.clone(),
            }),
            rules: d.rules.clone(),
            resolution: r.resolution.as_ref().map(|res| ResolutionDto {
                outcome: res.outcome.code(),
                by: res.by.clone(),
                at: res.at.to_string(),
                limit_fen: res.limit.map(|l| l.fen()),
                reasons: res.reasons.clone(),
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse {
    pub applications: Vec<RecordResponse>,
}
