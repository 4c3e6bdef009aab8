//! One webhook delivery: the signature and the POST.

use std::time::Duration;

use hmac::Mac;

use crate::http::auth::signature::{HmacSha256, keyed};

/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &[u8], t: i64, body: &str) -> String {
    signature_with(keyed(secret), t, body)
}

/// [`signature`] with the MAC already keyed with the merchant's secret (the dispatcher keeps
/// the keyed MAC, not the secret).
pub fn signature_with(mut mac: HmacSha256, t: i64, body: &str) -> String {
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What a merchant's endpoint is sent.
#[derive(Debug)]
pub struct Post<'a> {
    pub url: &'a str,
    pub event: &'a str,
    pub delivery: &'a str,
    pub signature: &'a str,
    pub body: &'a str,
}

/// Posts once; `Err` says why it did not count as delivered (not 2xx, an error, a timeout).
pub async fn post(client: &reqwest::Client, post: Post<'_>, timeout: Duration) -> Result<(), String> {
    let request = client
        .post(post.url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .header("x-iou-event", post.event)
        .header("x-iou-delivery", post.delivery)
        .header("x-iou-signature", post.signature)
        .body(post.body.to_owned());
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("HTTP {}", response.status().as_u16())),
        Err(error) if error.is_timeout() => Err(format!("timed out after {} ms", timeout.as_millis())),
        Err(error) => Err(format!("request failed: {error}")),
    }
}

#[cfg(test)]
mod tests {
    /// The worked example of API.md (computed there with openssl), and an independent HMAC.
    #[test]
    fn signature_matches_the_documented_example() {
        use hmac::{Hmac, Mac};
        let secret = b"9f2c7a1e4b8d6f3a0c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a";
        let body = r#"{"created_at":"2026-03-01T02:00:00Z","data":{"action":"voided","case_id":"513","reasons":["DEVICE_ON_FRAUD_LIST"],"refunded_fen":null,"txn_id":"257"},"id":"1-7-2-1","merchant_id":"1","type":"order.intercepted"}"#;
        let signed = super::signature(secret, 1_772_330_400, body);
        assert_eq!(
            signed,
            "t=1772330400,v1=01ce8b31d0e8dff0bebcd9ad8813280e8a9b3313c2f66be9e1f9a3b469f9967f"
        );
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(format!("1772330400.{body}").as_bytes());
        assert!(signed.ends_with(&hex::encode(mac.finalize().into_bytes())));
    }
}
