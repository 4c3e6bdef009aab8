//! Risk at the API edge: the optional `risk` object a payment or a repayment carries, parsed
//! into the engine's [`RiskContext`]; the device hash; the caller's address ([`Peer`]); and the
//! context a customer's app sent with a payment code, kept until a merchant spends the code.
//!
//! Nothing here decides: the engine's partition does, with this context.

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use credit::AccountId;
use engine::RiskContext;
use jiff::Timestamp;
use risk::{Channel, DeviceId, Geo};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::edge::codes::PaymentCode;
use crate::edge::step_up::Passed;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::idempotency::IdemKey;
use crate::state::AppState;

/// Where and how the customer acted. Every field is optional.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskBody {
    /// The app's stable device identifier (1 to 128 visible ASCII characters); only its hash
    /// reaches risk and the journal.
    pub device_id: Option<String>,
    /// The customer's IP address as the app or the merchant's checkout saw it; else the
    /// address the request came from.
    #[schema(example = "203.0.113.7")]
    pub ip: Option<String>,
    pub geo: Option<GeoBody>,
    /// `online`, `offline_qr` or `offline_nfc` (default: `offline_qr` for a payment code,
    /// `online` otherwise).
    pub channel: Option<String>,
    /// The device's own clock when the customer acted (RFC 3339); an offline payment may
    /// arrive later.
    pub device_time: Option<String>,
    /// The app's fingerprint check says emulator, rooted or hooked.
    #[serde(default)]
    pub emulator: bool,
    /// The IP is a data centre, proxy or anonymiser.
    #[serde(default)]
    pub proxy: bool,
    /// A token from `POST /v1/customers/{id}/step-up/{challenge}/verify`: satisfies a
    /// challenge of its kind (liveness also satisfies OTP). Single use, about five minutes.
    pub step_up_token: Option<String>,
}

/// A location in decimal degrees (kept as micro-degrees).
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoBody {
    #[schema(example = 31.2304)]
    pub lat: f64,
    #[schema(example = 121.4737)]
    pub lon: f64,
}

/// The device id risk sees: the first 8 bytes of SHA-256 over a fixed domain and the app's
/// identifier (the same hash the application routes use, so a device is one device at every
/// checkpoint). Never 0, which means "no device".
pub fn device_id(text: &str, field: &str) -> Result<DeviceId, ApiError> {
    if !(1..=128).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            ApiError::new(ErrorCode::InvalidField, "device_id is 1 to 128 visible characters").with_field(field),
        );
    }
    let digest = Sha256::digest([b"iou/device\0".as_slice(), text.as_bytes()].concat());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    Ok(DeviceId(u64::from_be_bytes(first).max(1)))
}

pub fn parse_ip(text: &str, field: &str) -> Result<IpAddr, ApiError> {
    text.parse()
        .map_err(|_| ApiError::new(ErrorCode::InvalidField, "not an IPv4 or IPv6 address").with_field(field))
}

fn micro(degrees: f64) -> Option<i32> {
    let scaled = (degrees * 1_000_000.0).round();
    (degrees.is_finite() && scaled.abs() <= 180_000_000.0).then_some(scaled as i32)
}

fn parse_geo(geo: GeoBody, field: &str) -> Result<Geo, ApiError> {
    let bad = |what: String| ApiError::new(ErrorCode::InvalidField, what).with_field(field);
    let lat = micro(geo.lat).ok_or_else(|| bad("lat must be -90 to 90 degrees".into()))?;
    let lon = micro(geo.lon).ok_or_else(|| bad("lon must be -180 to 180 degrees".into()))?;
    Geo::new(lat, lon).map_err(|e| bad(e.to_string()))
}

fn parse_channel(text: &str, field: &str) -> Result<Channel, ApiError> {
    [Channel::Online, Channel::OfflineQr, Channel::OfflineNfc]
        .into_iter()
        .find(|c| c.name() == text)
        .ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidField, "channel is online, offline_qr or offline_nfc").with_field(field)
        })
}

fn join(prefix: &str, name: &str) -> String {
    format!("{prefix}.{name}")
}

impl RiskBody {
    /// The context without its step-up (that is checked against the paying account later).
    /// `prefix` names the object in error fields (`risk`).
    pub fn context(&self, prefix: &str, peer: Option<IpAddr>, channel: Channel) -> Result<RiskContext, ApiError> {
        let device = match &self.device_id {
            Some(text) => device_id(text, &join(prefix, "device_id"))?,
            None => DeviceId(0),
        };
        let ip = match &self.ip {
            Some(text) => parse_ip(text, &join(prefix, "ip"))?,
            None => peer.unwrap_or(IpAddr::from([0, 0, 0, 0])),
        };
        let geo = self.geo.map(|g| parse_geo(g, &join(prefix, "geo"))).transpose()?;
        let channel = match &self.channel {
            Some(text) => parse_channel(text, &join(prefix, "channel"))?,
            None => channel,
        };
        let device_time = self
            .device_time
            .as_deref()
            .map(|t| {
                t.parse::<Timestamp>().map_err(|_| {
                    ApiError::new(ErrorCode::InvalidField, "device_time is an RFC 3339 time")
                        .with_field(join(prefix, "device_time"))
                })
            })
            .transpose()?;
        Ok(RiskContext {
            device,
            ip,
            geo,
            channel,
            device_time,
            emulator: self.emulator,
            proxy: self.proxy,
            step_up: None,
        })
    }
}

/// The context of a request for `account`: its `risk` object (or none), with the step-up
/// token, if any, spent for this call and bound to the account. In simulation mode the
/// simulator's `Iou-Sim-Step-Up` header stands in for a token (see `crate::simulation`).
pub fn context_for(
    state: &AppState,
    body: Option<&RiskBody>,
    peer: Option<IpAddr>,
    channel: Channel,
    account: AccountId,
    idem: IdemKey,
) -> Result<RiskContext, ApiError> {
    let empty = RiskBody::default();
    let body = body.unwrap_or(&empty);
    let mut context = body.context("risk", peer, channel)?;
    context.step_up = crate::simulation::step_up();
    if let Some(token) = &body.step_up_token {
        let Passed { kind, .. } = state
            .risk_edge()
            .step_ups
            .spend(token, account, idem, state.clock().now())?;
        context.step_up = Some(kind);
    }
    Ok(context)
}

/// The context of a merchant's authorization. With a payment code it is what the customer's
/// app sent when it asked for the code (the merchant's `risk` object is used only when the app
/// sent nothing); with a link it is the merchant's `risk` object (the IP defaulting to the
/// caller's). A step-up token is bound to the account: with a link it is taken only when the
/// caller looked up the link's account in the engine (`link_account`), else refused.
pub fn payment_context(
    state: &AppState,
    body: Option<&RiskBody>,
    peer: Option<IpAddr>,
    code: Option<(PaymentCode, AccountId)>,
    link_account: Option<AccountId>,
    idem: IdemKey,
) -> Result<RiskContext, ApiError> {
    if let (None, Some(account)) = (code, link_account) {
        return context_for(state, body, peer, Channel::Online, account, idem);
    }
    let Some((code, account)) = code else {
        if body.is_some_and(|b| b.step_up_token.is_some()) {
            return Err(ApiError::new(
                ErrorCode::StepUpNeedsPaymentCode,
                "a step-up token is accepted with a payment code only: ask the customer for a code",
            )
            .with_field("risk.step_up_token"));
        }
        return context_for(state, body, peer, Channel::Online, AccountId(0), idem);
    };
    let mut context = match state.risk_edge().code_contexts.get(code) {
        Some(from_app) => from_app,
        None => context_for(
            state,
            body.map(without_token).as_ref(),
            None,
            Channel::OfflineQr,
            account,
            idem,
        )?,
    };
    if let Some(token) = body.and_then(|b| b.step_up_token.as_deref()) {
        let passed = state
            .risk_edge()
            .step_ups
            .spend(token, account, idem, state.clock().now())?;
        context.step_up = Some(passed.kind);
    }
    Ok(context)
}

fn without_token(body: &RiskBody) -> RiskBody {
    RiskBody {
        step_up_token: None,
        ..body.clone()
    }
}

/// The client's address (`edge::client::client_ip`: the TCP peer, or `X-Forwarded-For` from a
/// trusted proxy), when the server recorded the peer.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub Option<IpAddr>);

impl FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Peer, Self::Rejection> {
        Ok(Peer(crate::http::network::client::of(
            parts,
            &state.network().trusted_proxies,
        )))
    }
}

/// The body of a payment-code request: what the app tells risk about the device that will
/// pay (kept with the code; a step-up token here is spent now and goes with the payment).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentCodeBody {
    pub risk: Option<RiskBody>,
}

impl PaymentCodeBody {
    /// The context to keep with the code, if the app sent one.
    pub fn context(
        &self,
        state: &AppState,
        peer: Option<IpAddr>,
        account: AccountId,
        idem: IdemKey,
    ) -> Result<Option<RiskContext>, ApiError> {
        self.risk
            .as_ref()
            .map(|risk| context_for(state, Some(risk), peer, Channel::OfflineQr, account, idem))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geo_and_channel_parse_or_name_the_field() {
        let body: RiskBody = serde_json::from_str(
            r#"{"device_id": "phone-1", "geo": {"lat": 31.2304, "lon": 121.4737}, "channel": "offline_nfc"}"#,
        )
        .unwrap();
        let ctx = body
            .context("risk", Some(IpAddr::from([127, 0, 0, 1])), Channel::Online)
            .unwrap();
        assert_eq!(ctx.geo, Some(Geo::new(31_230_400, 121_473_700).unwrap()));
        assert_eq!(ctx.channel, Channel::OfflineNfc);
        assert_eq!(ctx.ip, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(ctx.device, device_id("phone-1", "x").unwrap());
        for (json, field) in [
            (r#"{"geo": {"lat": 91, "lon": 0}}"#, "risk.geo"),
            (r#"{"geo": {"lat": 0, "lon": -180.5}}"#, "risk.geo"),
            (r#"{"channel": "phone"}"#, "risk.channel"),
            (r#"{"ip": "10.0.0.300"}"#, "risk.ip"),
            (r#"{"device_id": ""}"#, "risk.device_id"),
            (r#"{"device_time": "yesterday"}"#, "risk.device_time"),
        ] {
            let body: RiskBody = serde_json::from_str(json).unwrap();
            let error = body.context("risk", None, Channel::Online).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{json}");
        }
    }
}
