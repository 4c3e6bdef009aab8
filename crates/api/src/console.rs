//! The operator console: static HTML, CSS and plain JavaScript modules (`crates/api/console/`),
//! built into the binary with `include_bytes!` and served under `/console/`, so it needs no
//! network beyond this server and no build step. The pages read and act only through the JSON
//! API with the console's session cookie (`http::auth::console`): permissions, validation and
//! the audit log stay the API's.
//!
//! Every answer under `/console` is `Cache-Control: no-store` (the router's, for every
//! response) and carries [`SECURITY_HEADERS`]: a strict Content-Security-Policy (only this
//! origin's scripts, styles and calls; no inline script; no framing), `X-Frame-Options: DENY`,
//! `Referrer-Policy: no-referrer` and `X-Content-Type-Options: nosniff`.
//!
//! It must never know an API route's rules: it serves files.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// One file of the console.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!("../console/", $path)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file the console serves (a test checks the folder holds no other).
const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("console.css", CSS),
    asset!("js/app.js", JS),
    asset!("js/api.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/login.js", JS),
    asset!("js/queues.js", JS),
    asset!("js/customer.js", JS),
    asset!("js/audit.js", JS),
    asset!("js/rules.js", JS),
    asset!("js/dashboard.js", JS),
    asset!("js/portfolio.js", JS),
];

/// The headers every console answer carries.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
         form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
];

/// The console's routes: `/console` (redirected to `/console/`), its page and its files.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(|| async { serve("index.html") }))
        .route(
            "/console/{*file}",
            get(|Path(file): Path<String>| async move { serve(&file) }),
        )
        .layer(axum::middleware::map_response(secured))
}

fn serve(path: &str) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(asset) => (StatusCode::OK, [(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response(),
        None => ApiError::new(ErrorCode::RouteNotFound, "the console has no such file").into_response(),
    }
}

async fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_folder_is_served_and_no_page_has_inline_script() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("console");
        let mut on_disk = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    on_disk.push(path.strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        on_disk.sort();
        let mut served: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
        served.sort();
        assert_eq!(on_disk, served);
        for asset in ASSETS.iter().filter(|a| a.content_type == HTML) {
            let text = std::str::from_utf8(asset.body).unwrap();
            for tag in text.split("<script").skip(1) {
                let head = &tag[..tag.find('>').unwrap()];
                assert!(head.contains("src="), "{}: inline script", asset.path);
            }
            let handler = text.match_indices(" on").any(|(at, _)| {
                let rest = &text[at + 3..];
                let name = rest.bytes().take_while(u8::is_ascii_lowercase).count();
                name > 0 && rest[name..].starts_with('=')
            });
            assert!(!handler, "{}: an inline event handler", asset.path);
            assert!(!text.contains("style="), "{}: an inline style", asset.path);
        }
    }
}
