//! The application routes' request and response bodies.

use std::net::IpAddr;

use engine::RiskContext;
use onboarding::{ApplicationInput, ApplicationRecord, Decision};
use risk::{Channel, DeviceId, Geo};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// `POST /v1/applications`: the application and where it comes from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    pub applicant: ApplicationInput,
    pub device: DeviceBody,
}

/// The app's device context.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    /// The app's stable device identifier (1 to 128 visible ASCII characters); only its hash
    /// is kept.
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
                ApiError::bad_request("invalid_field", "device_id is 1 to 128 visible characters")
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
                    ApiError::bad_request("invalid_field", e.to_string()).with_field("device.lat_micro")
                })?)
            }
            _ => {
                return Err(
                    ApiError::bad_request("invalid_field", "send both lat_micro and lon_micro, or neither")
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

/// The request path of a field the onboarding crate names (`credit_file.assets` is under
/// `applicant`).
pub fn field_path(field: &str) -> String {
    format!("applicant.{field}")
}

#[derive(Debug, Serialize)]
pub struct TierDto {
    pub name: String,
    /// Installment fee per period, parts per million of the principal.
    pub rate_ppm: u32,
}

/// What the applicant is told.
#[derive(Debug, Serialize)]
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

fn tier(t: &onboarding::PriceTier) -> TierDto {
    TierDto {
        name: t.name.clone(),
        rate_ppm: t.rate.ppm(),
    }
}

#[derive(Debug, Serialize)]
pub struct ScoreDto {
    pub pd: f64,
    pub score: f64,
    pub band: String,
}

#[derive(Debug, Serialize)]
pub struct ResolutionDto {
    pub outcome: &'static str,
    pub by: String,
    pub at: String,
    pub limit_fen: Option<i64>,
    pub reasons: Vec<String>,
}

/// What an operator (or the customer) sees of a recorded application. PII only masked.
#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
pub struct ListResponse {
    pub applications: Vec<RecordResponse>,
}
