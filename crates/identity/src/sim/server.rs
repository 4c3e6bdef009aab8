//! [`SimulatedProviders`]: all four simulators behind one function that answers
//! [`crate::protocol`] requests, so a test or demo HTTP server (or the adapters' tests) can put
//! the simulator on the wire. It does no IO itself.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{OtpPolicy, SimulatedBankCard, SimulatedLiveness, SimulatedNameId, SimulatedOtp};
use crate::base64;
use crate::clock::Clock;
use crate::protocol::{
    BANK_CARD_PATH, BankCardRequest, BankCardResponse, BankCardResult, ErrorBody, ErrorDetail, LIVENESS_PATH,
    LivenessRequest, LivenessResponse, NAME_ID_PATH, NameIdRequest, NameIdResponse, NameIdResult, OTP_SEND_PATH,
    OTP_VERIFY_PATH, OtpSendRequest, OtpSendResponse, OtpVerifyRequest, OtpVerifyResponse, OtpVerifyResult,
};
use crate::provider::{
    CardCheck, ChallengeId, FaceImage, FourElements, LivenessScore, NameIdMatch, OtpCheck, OtpCode, ProviderError,
};
use crate::{BankCard, Mobile, PersonName, ResidentId};

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimResponse {
    pub status: u16,
    pub body: String,
}

/// The four simulators with one seed.
#[derive(Debug)]
pub struct SimulatedProviders {
    pub name_id: SimulatedNameId,
    pub bank_card: SimulatedBankCard,
    pub otp: SimulatedOtp,
    /// Its threshold is irrelevant on the wire: the protocol returns the score only.
    pub liveness: SimulatedLiveness,
}

/// A request the simulator refuses: status, code, message.
type Refusal = (u16, String, String);

impl SimulatedProviders {
    pub fn new(seed: u64, otp_policy: OtpPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            name_id: SimulatedNameId::new(seed),
            bank_card: SimulatedBankCard::new(seed),
            otp: SimulatedOtp::new(seed, otp_policy, clock),
            liveness: SimulatedLiveness::new(seed, LivenessScore::MAX),
        }
    }

    /// Answers `POST {path}` with `body` as the protocol says.
    pub fn answer(&self, path: &str, body: &[u8]) -> SimResponse {
        let result = match path {
            NAME_ID_PATH => self.name_id(body),
            BANK_CARD_PATH => self.bank_card(body),
            OTP_SEND_PATH => self.otp_send(body),
            OTP_VERIFY_PATH => self.otp_verify(body),
            LIVENESS_PATH => self.liveness(body),
            _ => Err((404, "not_found".to_owned(), format!("no endpoint {path}"))),
        };
        match result {
            Ok(body) => SimResponse { status: 200, body },
            Err((status, code, message)) => SimResponse {
                status,
                body: to_json(&ErrorBody {
                    error: ErrorDetail { code, message },
                }),
            },
        }
    }

    fn name_id(&self, body: &[u8]) -> Result<String, Refusal> {
        let request: NameIdRequest = from_json(body)?;
        let name = PersonName::parse(&request.name).map_err(|e| bad(e.code(), &e))?;
        let id = ResidentId::parse_format(&request.id_number).map_err(|e| bad(e.code(), &e))?;
        let result = match self.name_id.answer(&name, &id).map_err(refusal)? {
            NameIdMatch::Match => NameIdResult::Match,
            NameIdMatch::Mismatch => NameIdResult::Mismatch,
            NameIdMatch::NoRecord => NameIdResult::NoRecord,
        };
        Ok(to_json(&NameIdResponse { result }))
    }

    fn bank_card(&self, body: &[u8]) -> Result<String, Refusal> {
        let request: BankCardRequest = from_json(body)?;
        let elements = FourElements {
            card: BankCard::parse(&request.card_number).map_err(|e| bad(e.code(), &e))?,
            name: PersonName::parse(&request.name).map_err(|e| bad(e.code(), &e))?,
            id: ResidentId::parse_format(&request.id_number).map_err(|e| bad(e.code(), &e))?,
            mobile: Mobile::parse(&request.mobile).map_err(|e| bad(e.code(), &e))?,
        };
        let (result, element) = match self.bank_card.answer(&elements).map_err(refusal)? {
            CardCheck::Verified => (BankCardResult::Verified, None),
            CardCheck::Mismatch(element) => (BankCardResult::Mismatch, element.map(|e| e.as_str().to_owned())),
            CardCheck::CardNotSupported => (BankCardResult::CardNotSupported, None),
        };
        Ok(to_json(&BankCardResponse { result, element }))
    }

    fn otp_send(&self, body: &[u8]) -> Result<String, Refusal> {
        let request: OtpSendRequest = from_json(body)?;
        let mobile = Mobile::parse(&request.mobile).map_err(|e| bad(e.code(), &e))?;
        let challenge = self.otp.send(&mobile).map_err(refusal)?;
        Ok(to_json(&OtpSendResponse {
            challenge_id: challenge.as_str().to_owned(),
        }))
    }

    fn otp_verify(&self, body: &[u8]) -> Result<String, Refusal> {
        let request: OtpVerifyRequest = from_json(body)?;
        let challenge = ChallengeId::parse(&request.challenge_id).map_err(|e| bad(e.code(), &e))?;
        let code = OtpCode::parse(&request.code).map_err(|e| bad(e.code(), &e))?;
        let result = match self.otp.verify(&challenge, &code) {
            OtpCheck::Ok => OtpVerifyResult::Ok,
            OtpCheck::Wrong => OtpVerifyResult::Wrong,
            OtpCheck::Expired => OtpVerifyResult::Expired,
            OtpCheck::TooManyAttempts => OtpVerifyResult::TooManyAttempts,
        };
        Ok(to_json(&OtpVerifyResponse { result }))
    }

    fn liveness(&self, body: &[u8]) -> Result<String, Refusal> {
        let request: LivenessRequest = from_json(body)?;
        let id = ResidentId::parse_format(&request.id_number).map_err(|e| bad(e.code(), &e))?;
        let face = match (request.face_reference, request.face_image_base64) {
            (Some(reference), None) => FaceImage::reference(&reference),
            (None, Some(encoded)) => {
                let bytes =
                    base64::decode(&encoded).ok_or_else(|| bad("face.base64", &"face_image_base64 is not base64"))?;
                FaceImage::bytes(bytes)
            }
            _ => {
                return Err(bad("face.missing", &"exactly one of face_reference, face_image_base64"));
            }
        }
        .map_err(|e| bad(e.code(), &e))?;
        let score = self.liveness.score(&face, &id).map_err(refusal)?;
        Ok(to_json(&LivenessResponse {
            score_permille: score.permille(),
        }))
    }
}

fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| bad("request.json", &e))
}

fn to_json<T: Serialize>(value: &T) -> String {
    // The protocol types are plain structs of strings and numbers: serializing cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn bad(code: &str, message: &dyn std::fmt::Display) -> Refusal {
    (400, code.to_owned(), message.to_string())
}

/// How a simulator's error goes on the wire.
fn refusal(error: ProviderError) -> Refusal {
    match error {
        ProviderError::Rejected { status, code } => (status, code, format!("refused with HTTP {status}")),
        ProviderError::Unavailable(outage) => (503, "provider.unavailable".to_owned(), outage.to_string()),
        ProviderError::BadResponse(message) => (500, "provider.internal".to_owned(), message),
    }
}
