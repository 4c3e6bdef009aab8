//! The operator console's server side: its pages with their security headers, the console
//! login that hands the session to an `HttpOnly` cookie, the cookie accepted only with the
//! `X-IOU-Console` header and never from another site (CSRF), `GET /v1/operators/me`, logout
//! clearing the cookie, and `GET /v1/audit/verify`.

use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};

use crate::harness::{OperatorLogin, TestServer, totp};

/// The console login of `who`: the answer's headers and body.
async fn console_login(t: &TestServer, who: &OperatorLogin) -> (u16, HeaderMap, Value) {
    let code = totp(&who.secret, t.clock_now());
    let response = t
        .http
        .post(format!("{}/v1/operators/console/login", t.base))
        .header(CONSOLE.0, CONSOLE.1)
        .json(&json!({"name": who.name, "password": who.password, "totp": code}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// The `name=value` of the session cookie a login set.
fn cookie_of(headers: &HeaderMap) -> String {
    let set = headers.get(SET_COOKIE).expect("a Set-Cookie").to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// A request with the cookie and the given extra headers.
async fn with_cookie(
    t: &TestServer,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, HeaderMap, Value) {
    let mut request = t
        .http
        .request(method, format!("{}{path}", t.base))
        .header("cookie", cookie);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

const CONSOLE: (&str, &str) = ("x-iou-console", "1");

#[tokio::test]
async fn the_console_login_sets_an_http_only_strict_cookie_and_shows_no_token() {
    let t = TestServer::start().await;
    let analyst = t.create_operator("ana", &["analyst"]).await;
    // Another site's form cannot log a browser in: the login needs the console's header.
    let code = totp(&analyst.secret, t.clock_now());
    let body = format!(
        r#"{{"name": "ana", "password": "{}", "totp": "{code}"}}"#,
        analyst.password
    );
    let form = t
        .http
        .post(format!("{}/v1/operators/console/login", t.base))
        .header("content-type", "text/plain")
        .header("origin", "https://evil.example")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 401);
    assert!(form.headers().get(SET_COOKIE).is_none());
    let (status, headers, body) = console_login(&t, &analyst).await;
    assert_eq!(status, 200, "{body}");
    let set = headers.get(SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set.starts_with("iou_session=os_"), "{set}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.split("; ").any(|a| a == attribute), "{attribute} in {set}");
    }
    assert!(
        !set.contains("Secure"),
        "plain http on a server not told otherwise: {set}"
    );
    assert!(
        !set.contains("Max-Age") && !set.contains("Expires"),
        "a browser-session cookie: {set}"
    );
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    let token = cookie_of(&headers).split_once('=').unwrap().1.to_owned();
    assert!(
        !body.to_string().contains(&token),
        "the token is in the cookie only: {body}"
    );
    assert_eq!(body["name"], "ana");
    assert_eq!(body["roles"], json!(["analyst"]));
    assert!(
        body["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("applications.decide"))
    );

    // A wrong code is the same 401 as the API's login.
    let wrong = OperatorLogin {
        password: "not-the-password-0".into(),
        ..analyst
    };
    let (status, headers, body) = console_login(&t, &wrong).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("login_failed")));
    assert!(headers.get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_cookie_counts_only_with_the_console_header_and_never_from_another_site() {
    let t = TestServer::start().await;
    let support = t.create_operator("sam", &["support"]).await;
    let (_, headers, _) = console_login(&t, &support).await;
    let cookie = cookie_of(&headers);
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    let (status, _, me) = with_cookie(&t, get.clone(), "/v1/operators/me", &cookie, &[CONSOLE], None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!((me["name"].as_str(), &me["roles"]), (Some("sam"), &json!(["support"])));
    assert!(me["permissions"].as_array().unwrap().contains(&json!("customers.read")));
    assert!(!me["permissions"].as_array().unwrap().contains(&json!("cases.resolve")));

    // Without the header the cookie is no credential at all.
    let (status, _, body) = with_cookie(&t, get.clone(), "/v1/operators/me", &cookie, &[], None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthenticated")));
    // A cross-site form: a form-encoded POST with the cookie the browser attached, from
    // another origin, without the header (a form cannot send one).
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("idempotency-key", "csrf-1"),
    ];
    let (status, _, body) = with_cookie(
        &t,
        post.clone(),
        "/v1/customers/1/token/rotate",
        &cookie,
        &form,
        Some("x=1"),
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthenticated")));
    // A cross-site script that managed to add the header is still refused by the browser's
    // own word on where the request came from.
    for site in ["cross-site", "same-site"] {
        let headers = [CONSOLE, ("sec-fetch-site", site)];
        let (status, _, _) = with_cookie(&t, get.clone(), "/v1/operators/me", &cookie, &headers, None).await;
        assert_eq!(status, 401, "{site}");
    }
    let same_origin = [CONSOLE, ("sec-fetch-site", "same-origin")];
    let (status, _, _) = with_cookie(&t, get.clone(), "/v1/operators/me", &cookie, &same_origin, None).await;
    assert_eq!(status, 200);
    // And the server grants no CORS preflight that would let such a script add the header.
    let preflight = t
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/v1/operators/me", t.base))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-iou-console")
        .send()
        .await
        .unwrap();
    assert!(preflight.headers().get("access-control-allow-origin").is_none());
    assert!(preflight.headers().get("access-control-allow-headers").is_none());

    // A forbidden action with a good cookie is the API's 403 naming the permission.
    let key = ("idempotency-key", "resolve-1");
    let json_type = ("content-type", "application/json");
    let (status, _, body) = with_cookie(
        &t,
        post.clone(),
        "/v1/cases/1/resolve",
        &cookie,
        &[CONSOLE, key, json_type],
        Some(r#"{"confirm": true}"#),
    )
    .await;
    assert_eq!(
        (status, body["error"]["permission"].as_str()),
        (403, Some("cases.resolve"))
    );

    // The cookie carries a session only: an API key or the bootstrap token in it is refused.
    let (status, _, _) = with_cookie(
        &t,
        get.clone(),
        "/v1/operators/me",
        "iou_session=test-admin-token-0123456789",
        &[CONSOLE],
        None,
    )
    .await;
    assert_eq!(status, 401);

    // Logging out ends the session and clears the cookie.
    let logout = [CONSOLE, ("idempotency-key", "logout-1"), json_type];
    let (status, headers, body) = with_cookie(&t, post, "/v1/operators/logout", &cookie, &logout, Some("{}")).await;
    assert_eq!(status, 200, "{body}");
    let cleared = headers.get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        cleared.starts_with("iou_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (status, _, _) = with_cookie(&t, get, "/v1/operators/me", &cookie, &[CONSOLE], None).await;
    assert_eq!(status, 401, "the session is over");
}

#[tokio::test]
async fn the_cookie_is_secure_when_a_trusted_proxy_says_https_or_the_server_is_told() {
    let edge = api::EdgeConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..crate::harness::test_edge()
    };
    let t = TestServer::start_with_edge(crate::harness::engine_config(), api::RiskOptions::default(), edge).await;
    let who = t.create_operator("pat", &["support"]).await;
    let code = totp(&who.secret, t.clock_now());
    let response = t
        .http
        .post(format!("{}/v1/operators/console/login", t.base))
        .header(CONSOLE.0, CONSOLE.1)
        .header("x-forwarded-proto", "https")
        .json(&json!({"name": who.name, "password": who.password, "totp": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let set = response.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.ends_with("; Secure"), "{set}");

    let edge = api::EdgeConfig {
        secure_cookies: true,
        ..crate::harness::test_edge()
    };
    let t = TestServer::start_with_edge(crate::harness::engine_config(), api::RiskOptions::default(), edge).await;
    let who = t.create_operator("pat", &["support"]).await;
    let (_, headers, _) = console_login(&t, &who).await;
    assert!(headers.get(SET_COOKIE).unwrap().to_str().unwrap().ends_with("; Secure"));
}

#[tokio::test]
async fn the_console_pages_are_served_with_strict_headers_and_no_cache() {
    let t = TestServer::start().await;
    let page = t.http.get(format!("{}/console/", t.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(html.contains("href=\"#main\""), "a skip link");
    assert!(html.contains(r#"<script type="module" src="/console/js/app.js">"#));

    let script = t
        .http
        .get(format!("{}/console/js/app.js", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(script.headers()["x-frame-options"], "DENY");
    let missing = t
        .http
        .get(format!("{}/console/nothing.js", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/console", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/console/");
}

#[tokio::test]
async fn the_auditor_verifies_the_chain_from_the_server() {
    let t = TestServer::start().await;
    let auditor = t.operator_with("aud", &["auditor"]).await;
    let verdict = t.get(&auditor, "/v1/audit/verify").await;
    let body = verdict.ok();
    assert_eq!(body["intact"], true, "{}", verdict.text);
    // The bootstrap, the operator's creation and two logins at least.
    assert!(body["records"].as_u64().unwrap() >= 3, "{}", verdict.text);
    assert_eq!(body["broken_at"], Value::Null);
    assert_eq!(body["last_hash"].as_str().map(str::len), Some(64));
    let support = t.operator_with("sue", &["support"]).await;
    assert_eq!(t.get(&support, "/v1/audit/verify").await.status, 403);
}
