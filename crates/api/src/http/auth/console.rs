//! The operator console's session cookie: how `POST /v1/operators/console/login` hands a
//! session to the browser, and when a request may use it instead of `Authorization: Bearer`.
//!
//! The cookie (`iou_session`) is `HttpOnly` (no script reads the token), `SameSite=Strict`
//! (a browser sends it only on requests its own site starts), `Path=/`, without an expiry (the
//! browser forgets it when it closes; the server's session still ends on its own), and
//! `Secure` when the request came over https (a trusted proxy's `X-Forwarded-Proto`) or the
//! server is told so (`EdgeConfig::secure_cookies`).
//!
//! A cookie alone is not a credential: a browser attaches it to whatever its site requests, so
//! a page elsewhere could make it send one (CSRF). The cookie counts only when the request also
//! carries [`HEADER`]`: 1`, which a cross-site form cannot send and a cross-site script cannot
//! add without a CORS preflight this server never grants, and only when the browser does not
//! say the request came from another site (`Sec-Fetch-Site: cross-site` or `same-site`). The
//! console's login asks the same of its request, so a page elsewhere cannot log a browser in
//! to an account of its choosing either (login CSRF). The cookie carries an operator session only (never a customer token, an API key or the bootstrap
//! token), and `Authorization`, when sent, wins.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::http::error::{ApiError, ErrorCode};

/// The cookie's name.
pub const COOKIE: &str = "iou_session";

/// The header without which the cookie is not a credential.
pub const HEADER: &str = "x-iou-console";

/// The session token of a console request: `None` when it sends no session cookie; refused
/// when it sends one without [`HEADER`]`: 1` or from another site.
pub fn session_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(token) = cookie(headers) else {
        return Ok(None);
    };
    from_the_console(headers, "the console's session cookie counts only")?;
    Ok(Some(token))
}

/// Refuses a request without [`HEADER`]`: 1` or that the browser marks as coming from another
/// site: what the console's cookie and its login need (`what` starts the refusal's message).
pub fn from_the_console(headers: &HeaderMap, what: &str) -> Result<(), ApiError> {
    let marked = headers.get(HEADER).is_some_and(|v| v.as_bytes() == b"1");
    if !marked {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            format!("{what} with the X-IOU-Console: 1 header"),
        ));
    }
    let site = headers.get("sec-fetch-site").map(HeaderValue::as_bytes);
    if matches!(site, Some(b"cross-site" | b"same-site")) {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            format!("{what} on a request from this site"),
        ));
    }
    Ok(())
}

/// The value of the session cookie, if the request sends one.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Whether the cookie must be `Secure`: the server says so, or a trusted proxy says the
/// request came over https (`from_trusted_proxy`: the TCP peer is one).
pub fn secure(always: bool, from_trusted_proxy: bool, headers: &HeaderMap) -> bool {
    always
        || (from_trusted_proxy
            && headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")))
}

/// The `Set-Cookie` value that hands the browser `token`.
pub fn set(token: &str, secure: bool) -> Result<HeaderValue, ApiError> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/{secure}"))
        .map_err(|_| ApiError::internal("a session token is not a header value"))
}

/// The `Set-Cookie` value that makes the browser forget the session (without `Secure`, which
/// a browser does not need to overwrite a cookie from the same site).
pub fn clear() -> HeaderValue {
    HeaderValue::from_static("iou_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_cookie_counts_only_with_the_header_and_not_from_another_site() {
        let cookie = ("cookie", "a=b; iou_session=iou_op_x; c=d");
        assert_eq!(session_token(&headers(&[])).unwrap(), None);
        assert_eq!(session_token(&headers(&[("cookie", "iou_sessionx=1")])).unwrap(), None);
        assert!(session_token(&headers(&[cookie])).is_err());
        assert!(session_token(&headers(&[cookie, (HEADER, "0")])).is_err());
        assert_eq!(
            session_token(&headers(&[cookie, (HEADER, "1")])).unwrap(),
            Some("iou_op_x")
        );
        assert_eq!(
            session_token(&headers(&[cookie, (HEADER, "1"), ("sec-fetch-site", "same-origin")])).unwrap(),
            Some("iou_op_x")
        );
        for site in ["cross-site", "same-site"] {
            assert!(session_token(&headers(&[cookie, (HEADER, "1"), ("sec-fetch-site", site)])).is_err());
        }
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_when_asked() {
        let plain = set("t", false).unwrap();
        assert_eq!(plain, "iou_session=t; HttpOnly; SameSite=Strict; Path=/");
        assert!(set("t", true).unwrap().to_str().unwrap().ends_with("; Secure"));
        let https = headers(&[("x-forwarded-proto", "https")]);
        assert!(secure(false, true, &https));
        assert!(!secure(false, false, &https), "only a trusted proxy is believed");
        assert!(secure(true, false, &HeaderMap::new()));
        assert!(clear().to_str().unwrap().contains("Max-Age=0"));
    }
}
