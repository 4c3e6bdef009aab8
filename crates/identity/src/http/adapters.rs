//! The four HTTP adapters: each turns its trait's call into one [`crate::protocol`] request
//! through its own [`HttpProvider`] (and so its own circuit breaker).

use std::sync::Arc;

use super::breaker::CircuitBreaker;
use super::client::HttpProvider;
use super::config::{ConfigError, ProviderConfig};
use crate::base64;
use crate::clock::Clock;
use crate::protocol::{
    BANK_CARD_PATH, BankCardRequest, BankCardResponse, BankCardResult, LIVENESS_PATH, LivenessRequest,
    LivenessResponse, NAME_ID_PATH, NameIdRequest, NameIdResponse, NameIdResult, OTP_SEND_PATH, OTP_VERIFY_PATH,
    OtpSendRequest, OtpSendResponse, OtpVerifyRequest, OtpVerifyResponse, OtpVerifyResult,
};
use crate::provider::{
    BankCardVerifier, BoxFuture, CardCheck, CardElement, ChallengeId, FaceImage, FourElements, Liveness,
    LivenessChecker, LivenessScore, NameIdMatch, NameIdVerifier, OtpCheck, OtpCode, OtpSender, ProviderError,
};
use crate::{Mobile, PersonName, ResidentId};

macro_rules! http_adapter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            provider: HttpProvider,
        }

        impl $name {
            pub fn new(config: &ProviderConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
                Ok(Self { provider: HttpProvider::new(config, clock)? })
            }

            /// This adapter's circuit breaker (for health checks and metrics).
            pub fn breaker(&self) -> &CircuitBreaker {
                self.provider.breaker()
            }
        }
    };
}

http_adapter!(
    /// [`NameIdVerifier`] over `POST /v1/name-id/verify`.
    HttpNameIdVerifier
);
http_adapter!(
    /// [`BankCardVerifier`] over `POST /v1/bank-card/verify`.
    HttpBankCardVerifier
);
http_adapter!(
    /// [`OtpSender`] over `POST /v1/otp/send` and `POST /v1/otp/verify`.
    HttpOtpSender
);

/// [`LivenessChecker`] over `POST /v1/liveness/check`; the provider scores, this judges the
/// score against its threshold.
#[derive(Debug)]
pub struct HttpLivenessChecker {
    provider: HttpProvider,
    threshold: LivenessScore,
}

impl HttpLivenessChecker {
    pub fn new(config: &ProviderConfig, threshold: LivenessScore, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Ok(Self {
            provider: HttpProvider::new(config, clock)?,
            threshold,
        })
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        self.provider.breaker()
    }
}

impl NameIdVerifier for HttpNameIdVerifier {
    fn verify_name_id<'a>(
        &'a self,
        name: &'a PersonName,
        id: &'a ResidentId,
    ) -> BoxFuture<'a, Result<NameIdMatch, ProviderError>> {
        Box::pin(async move {
            let request = NameIdRequest {
                name: name.as_str().to_owned(),
                id_number: id.as_str().to_owned(),
            };
            let response: NameIdResponse = self.provider.post(NAME_ID_PATH, &request).await?;
            Ok(match response.result {
                NameIdResult::Match => NameIdMatch::Match,
                NameIdResult::Mismatch => NameIdMatch::Mismatch,
                NameIdResult::NoRecord => NameIdMatch::NoRecord,
            })
        })
    }
}

impl BankCardVerifier for HttpBankCardVerifier {
    fn verify_card<'a>(&'a self, elements: &'a FourElements) -> BoxFuture<'a, Result<CardCheck, ProviderError>> {
        Box::pin(async move {
            let request = BankCardRequest {
                card_number: elements.card.as_str().to_owned(),
                name: elements.name.as_str().to_owned(),
                id_number: elements.id.as_str().to_owned(),
                mobile: elements.mobile.as_str().to_owned(),
            };
            let response: BankCardResponse = self.provider.post(BANK_CARD_PATH, &request).await?;
            card_check(response)
        })
    }
}

fn card_check(response: BankCardResponse) -> Result<CardCheck, ProviderError> {
    Ok(match response.result {
        BankCardResult::Verified => CardCheck::Verified,
        BankCardResult::CardNotSupported => CardCheck::CardNotSupported,
        BankCardResult::Mismatch => match response.element.as_deref() {
            None => CardCheck::Mismatch(None),
            Some(text) => CardCheck::Mismatch(Some(
                CardElement::from_protocol(text)
                    .ok_or_else(|| ProviderError::BadResponse("unknown mismatched element".to_owned()))?,
            )),
        },
    })
}

impl OtpSender for HttpOtpSender {
    fn send_otp<'a>(&'a self, mobile: &'a Mobile) -> BoxFuture<'a, Result<ChallengeId, ProviderError>> {
        Box::pin(async move {
            let request = OtpSendRequest {
                mobile: mobile.as_str().to_owned(),
            };
            let response: OtpSendResponse = self.provider.post(OTP_SEND_PATH, &request).await?;
            ChallengeId::parse(&response.challenge_id)
                .map_err(|_| ProviderError::BadResponse("malformed challenge_id".to_owned()))
        })
    }

    fn verify_otp<'a>(
        &'a self,
        challenge: &'a ChallengeId,
        code: &'a OtpCode,
    ) -> BoxFuture<'a, Result<OtpCheck, ProviderError>> {
        Box::pin(async move {
            let request = OtpVerifyRequest {
                challenge_id: challenge.as_str().to_owned(),
                code: code.as_str().to_owned(),
            };
            let response: OtpVerifyResponse = self.provider.post(OTP_VERIFY_PATH, &request).await?;
            Ok(match response.result {
                OtpVerifyResult::Ok => OtpCheck::Ok,
                OtpVerifyResult::Wrong => OtpCheck::Wrong,
                OtpVerifyResult::Expired => OtpCheck::Expired,
                OtpVerifyResult::TooManyAttempts => OtpCheck::TooManyAttempts,
            })
        })
    }
}

impl LivenessChecker for HttpLivenessChecker {
    fn check_liveness<'a>(
        &'a self,
        face: &'a FaceImage,
        id: &'a ResidentId,
    ) -> BoxFuture<'a, Result<Liveness, ProviderError>> {
        Box::pin(async move {
            let (face_reference, face_image_base64) = match face {
                FaceImage::Reference(r) => (Some(r.clone()), None),
                FaceImage::Bytes(b) => (None, Some(base64::encode(b))),
            };
            let request = LivenessRequest {
                id_number: id.as_str().to_owned(),
                face_reference,
                face_image_base64,
            };
            let response: LivenessResponse = self.provider.post(LIVENESS_PATH, &request).await?;
            let score = LivenessScore::from_permille(response.score_permille)
                .ok_or_else(|| ProviderError::BadResponse("score_permille above 1000".to_owned()))?;
            Ok(Liveness::judge(score, self.threshold))
        })
    }
}
