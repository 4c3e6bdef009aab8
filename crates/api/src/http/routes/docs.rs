//! `GET /docs`: the OpenAPI document rendered by Redoc, from this server only. The page loads
//! the Redoc bundle vendored in `crates/api/assets/redoc` (version, licence and how to update
//! it in its README), embedded in the binary and served at [`REDOC_PATH`], and Redoc fetches
//! `/openapi.json`. A Content-Security-Policy allows this origin only ([`CSP`]).

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Where the Redoc bundle is served.
pub const REDOC_PATH: &str = "/docs/assets/redoc.standalone.js";

const REDOC: &[u8] = include_bytes!("../../../assets/redoc/redoc.standalone.js");

const PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>iou API</title>\n</head>\n<body>\n\
<noscript>The API reference needs JavaScript; the document itself is <a href=\"/openapi.json\">/openapi.json</a>, \
and API.md explains authentication and signing.</noscript>\n\
<redoc spec-url=\"/openapi.json\" disable-search=\"true\"></redoc>\n\
<script src=\"/docs/assets/redoc.standalone.js\"></script>\n</body>\n</html>\n";

/// This origin only. The two style hashes are Redoc's own inline `<style>` elements (an empty
/// one styled-components fills through the CSSOM, and perfect-scrollbar's stylesheet); the
/// assets' README says how to find them again after an update.
pub const CSP: &str = "default-src 'none'; script-src 'self'; \
style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' 'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='; \
img-src 'self'; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page.
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE,
    )
        .into_response()
}

/// The Redoc bundle.
pub async fn redoc() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        REDOC,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_loads_the_bundle_where_it_is_served() {
        assert!(super::PAGE.contains(&format!("<script src=\"{}\">", super::REDOC_PATH)));
        assert!(!super::PAGE.contains("http"), "nothing from another origin");
    }
}
