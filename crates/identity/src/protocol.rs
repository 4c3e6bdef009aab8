//! The provider protocol: the JSON over HTTP that the HTTP adapters speak and the simulator
//! answers ([`crate::sim::SimulatedProviders::answer`]).
//!
//! Every call is `POST {endpoint}{path}` with a JSON body and these headers:
//! - `Content-Type: application/json`;
//! - `Authorization: Bearer {api_key}` when the adapter is configured with a key;
//! - `Idempotency-Key: {32 hex digits}`, the same on every retry of one call, so a provider can
//!   answer a retried OTP send without sending a second SMS.
//!
//! | path | request | `200` response |
//! | --- | --- | --- |
//! | `/v1/name-id/verify` | `{"name", "id_number"}` | `{"result": "match" \| "mismatch" \| "no_record"}` |
//! | `/v1/bank-card/verify` | `{"card_number", "name", "id_number", "mobile"}` | `{"result": "verified" \| "mismatch" \| "card_not_supported", "element": "card" \| "name" \| "id_number" \| "mobile" \| null}` |
//! | `/v1/otp/send` | `{"mobile"}` | `{"challenge_id"}` |
//! | `/v1/otp/verify` | `{"challenge_id", "code"}` | `{"result": "ok" \| "wrong" \| "expired" \| "too_many_attempts"}` |
//! | `/v1/liveness/check` | `{"id_number", "face_reference"}` or `{"id_number", "face_image_base64"}` | `{"score_permille": 0..=1000}` |
//!
//! All values are strings except `score_permille`. `id_number` is the 18-character number with
//! an uppercase `X`; `mobile` is the 11 national digits; `card_number` is digits only;
//! `face_image_base64` is standard base64 with padding. `element` in a card mismatch is optional
//! (absent or `null` when the provider does not say). The liveness response carries a score
//! only: the pass threshold is the caller's configuration, not the provider's.
//!
//! Errors: a `4xx` answer carries `{"error": {"code": "...", "message": "..."}}` and becomes
//! [`crate::ProviderError::Rejected`] with that code (or `http_{status}` if the body is not that
//! shape), except `429`, which is an outage ([`crate::Outage::RateLimited`]). A `5xx` answer,
//! whatever its body, is an outage and is retried. A `200` whose body does not match the table
//! is [`crate::ProviderError::BadResponse`]. Redirects are not followed.

use serde::{Deserialize, Serialize};

pub(crate) const NAME_ID_PATH: &str = "/v1/name-id/verify";
pub(crate) const BANK_CARD_PATH: &str = "/v1/bank-card/verify";
pub(crate) const OTP_SEND_PATH: &str = "/v1/otp/send";
pub(crate) const OTP_VERIFY_PATH: &str = "/v1/otp/verify";
pub(crate) const LIVENESS_PATH: &str = "/v1/liveness/check";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameIdRequest {
    pub name: String,
    pub id_number: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NameIdResult {
    Match,
    Mismatch,
    NoRecord,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct NameIdResponse {
    pub result: NameIdResult,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BankCardRequest {
    pub card_number: String,
    pub name: String,
    pub id_number: String,
    pub mobile: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BankCardResult {
    Verified,
    Mismatch,
    CardNotSupported,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct BankCardResponse {
    pub result: BankCardResult,
    #[serde(default)]
    pub element: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtpSendRequest {
    pub mobile: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OtpSendResponse {
    pub challenge_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtpVerifyRequest {
    pub challenge_id: String,
    pub code: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OtpVerifyResult {
    Ok,
    Wrong,
    Expired,
    TooManyAttempts,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OtpVerifyResponse {
    pub result: OtpVerifyResult,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LivenessRequest {
    pub id_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_image_base64: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LivenessResponse {
    pub score_permille: u16,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ErrorDetail {
    pub code: String,
    #[serde(default)]
    pub message: String,
}
