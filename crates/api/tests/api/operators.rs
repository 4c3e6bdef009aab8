//! Operators as people: the role matrix walked from the OpenAPI document, login (right, wrong
//! password, wrong code, locked), expired sessions, API key scopes, the bootstrap token's one
//! use, and the audit records all of it leaves (a chain `audit::verify` accepts).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::{ADMIN, Auth, OperatorLogin, ROLES, TestServer, operator, totp};

/// Who holds each permission: the product's role table as written in API.md ("Operators,
/// roles and permissions"), kept here apart from the code's table as the test's oracle.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "customers.read",
        &["support", "analyst", "fraud", "credit_officer", "collector"],
    ),
    ("customers.rotate_token", &["support"]),
    ("lines.open", &["credit_officer"]),
    ("identity.verify", &["analyst"]),
    ("risk.checkpoint", &["fraud"]),
    ("rules.read", &["analyst", "fraud", "rules_admin"]),
    ("fraud.lists", &["fraud"]),
    ("fraud.exempt", &["fraud"]),
    ("cases.read", &["analyst", "fraud", "supervisor"]),
    ("cases.resolve", &["analyst", "fraud"]),
    ("cases.assign", &["supervisor"]),
    ("cases.open", &["fraud"]),
    ("cases.export", &["fraud"]),
    ("accounts.freeze", &["fraud"]),
    ("accounts.unfreeze", &["fraud"]),
    ("limits.change", &["credit_officer"]),
    ("limits.temporary", &["credit_officer"]),
    ("limits.review", &["credit_officer"]),
    ("credit.profile", &["credit_officer"]),
    ("applications.read", &["analyst"]),
    ("applications.decide", &["analyst"]),
    ("repayments.debit", &["credit_officer"]),
    ("repayments.record_offline", &["credit_officer"]),
    ("statements.install", &["credit_officer"]),
    ("payouts.create", &["credit_officer"]),
    ("merchants.manage", &["admin"]),
    ("campaigns.manage", &["credit_officer", "admin"]),
    ("settlement.run", &["credit_officer", "admin"]),
    ("settlement.manage", &["credit_officer", "admin"]),
    ("system.simulation", &["admin"]),
    ("operators.bootstrap", &[]),
    ("operators.read", &["admin"]),
    ("operators.create", &["admin"]),
    ("operators.disable", &["admin"]),
    ("operators.set_roles", &["admin"]),
    ("api_keys.create", &["admin"]),
    ("api_keys.revoke", &["admin"]),
    ("audit.read", &["auditor"]),
    (
        "emergency.read",
        &["support", "analyst", "fraud", "credit_officer", "rules_admin", "admin"],
    ),
    ("emergency.pause", &["fraud", "admin"]),
    ("emergency.freeze", &["fraud", "admin"]),
    ("emergency.risk_tier", &["fraud", "admin"]),
    ("emergency.rules_rollback", &["rules_admin"]),
    ("rules.deploy", &["rules_admin"]),
    ("rules.backtest", &["analyst", "fraud", "rules_admin"]),
    ("pii.reveal", &["analyst", "fraud"]),
    (
        "approvals.read",
        &["analyst", "fraud", "credit_officer", "rules_admin", "collector"],
    ),
    (
        "approvals.decide",
        &["analyst", "fraud", "credit_officer", "rules_admin", "collector"],
    ),
    ("notifications.manage", &["support"]),
    ("collections.read", &["credit_officer", "supervisor", "collector"]),
    ("collections.work", &["collector"]),
    ("collections.hardship", &["credit_officer", "collector"]),
    ("merchants.risk_tier", &["fraud", "admin"]),
];

/// One operation of the document.
struct Operation {
    method: String,
    path: String,
    permission: Option<String>,
    bearer: bool,
}

fn operations() -> Vec<Operation> {
    let doc: Value = serde_json::from_str(api::openapi_json()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let bearer = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                permission: op["x-permission"].as_str().map(str::to_owned),
                bearer,
            });
        }
    }
    out
}

/// The path with every parameter 999999 (no such thing: a call changes nothing that exists).
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => inside = true,
            '}' => {
                inside = false;
                out.push_str("999999");
            }
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

async fn call(t: &TestServer, auth: &Auth, op: &Operation) -> crate::harness::Answer {
    let path = concrete(&op.path);
    if op.method == "GET" {
        t.get(auth, &path).await
    } else if op.method == "PUT" {
        let key = t.key();
        t.send(auth, "PUT", &path, b"{}", Some(&key), &[]).await
    } else {
        t.post(auth, &path, json!({})).await
    }
}

#[tokio::test]
async fn every_operator_route_is_checked_against_the_role_table() {
    let expected: BTreeMap<&str, &[&str]> = EXPECTED.iter().copied().collect();
    let ops = operations();
    let declared: std::collections::BTreeSet<&str> = ops.iter().filter_map(|o| o.permission.as_deref()).collect();
    for name in &declared {
        assert!(
            *name == "any operator" || expected.contains_key(name),
            "{name} is not in the table"
        );
    }
    for name in expected.keys() {
        assert!(declared.contains(name), "no route declares {name}");
    }

    let t = TestServer::start().await;
    let mut operators = Vec::new();
    for role in ROLES {
        operators.push((role, t.operator_with(&format!("only-{role}"), &[role]).await));
    }
    let mut checked = 0;
    // Logging out ends the session: last.
    let (logouts, ops): (Vec<_>, Vec<_>) = ops.into_iter().partition(|o| o.path == "/v1/operators/logout");
    for op in ops.iter().chain(&logouts) {
        let Some(permission) = &op.permission else {
            if op.bearer || op.path.starts_with("/v1/payments") {
                // Customer or merchant routes: no operator gets in, not even one with every role.
                let answer = call(&t, &operator(), op).await;
                assert_eq!(answer.status, 403, "{} {}: {}", op.method, op.path, answer.text);
            }
            continue;
        };
        for (role, auth) in &operators {
            let holds = permission == "any operator" || expected[permission.as_str()].contains(role);
            let answer = call(&t, auth, op).await;
            if holds {
                assert_ne!(answer.status, 403, "{role} {} {}: {}", op.method, op.path, answer.text);
            } else {
                assert_eq!(answer.status, 403, "{role} {} {}: {}", op.method, op.path, answer.text);
                assert_eq!(answer.code(), "forbidden");
                assert_eq!(answer.body["error"]["permission"], json!(permission), "{}", answer.text);
                assert!(
                    answer.text.contains(&format!("needs permission {permission}")),
                    "{}",
                    answer.text
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 7 * 45, "{checked} calls checked");
}

async fn failed_login(t: &TestServer, who: &OperatorLogin, password: &str, code: &str) -> u16 {
    let body = json!({"name": who.name, "password": password, "totp": code});
    let answer = t
        .send(
            &Auth::None,
            "POST",
            "/v1/operators/login",
            &serde_json::to_vec(&body).unwrap(),
            None,
            &[],
        )
        .await;
    if answer.status == 401 {
        assert_eq!(answer.code(), "login_failed");
    }
    answer.status
}

#[tokio::test]
async fn a_login_needs_the_password_and_a_fresh_code_and_five_failures_lock_the_operator() {
    let t = TestServer::start().await;
    let alice = t.create_operator("alice", &["support"]).await;
    let now = t.clock_now();
    let right_code = totp(&alice.secret, now);
    let wrong_code = format!("{:06}", (right_code.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(failed_login(&t, &alice, "not-her-password", &right_code).await, 401);
    assert_eq!(failed_login(&t, &alice, &alice.password, &wrong_code).await, 401);
    let nobody = OperatorLogin {
        name: "nobody".into(),
        ..alice.clone()
    };
    assert_eq!(failed_login(&t, &nobody, &alice.password, &right_code).await, 401);

    let ok = t.login(&alice).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["roles"], json!(["support"]));
    let session = Auth::Bearer(ok.str("token"));
    let customer = t.open_customer(100_000, 5).await;
    assert_eq!(
        t.get(&session, &format!("/v1/customers/{}", customer.id)).await.status,
        200
    );
    // The code just used does not work twice.
    assert_eq!(failed_login(&t, &alice, &alice.password, &right_code).await, 401);

    // A login resets the count: one failure just now, four more make five in a row: locked.
    t.clock.set(now + jiff::SignedDuration::from_secs(60));
    for _ in 0..4 {
        assert_eq!(failed_login(&t, &alice, "not-her-password", "000000").await, 401);
    }
    let locked = t.login(&alice).await;
    assert_eq!(
        locked.status, 401,
        "the right password and code are refused while locked"
    );
    t.clock.set(now + jiff::SignedDuration::from_mins(17));
    assert_eq!(t.login(&alice).await.status, 200, "the lock ends after 15 minutes");

    // Disabled: her sessions stop at once.
    let disabled = t
        .post(&operator(), &format!("/v1/operators/{}/disable", alice.id), json!({}))
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    let refused = t.get(&session, &format!("/v1/customers/{}", customer.id)).await;
    assert_eq!((refused.status, refused.code()), (401, "operator_disabled"));
}

#[tokio::test]
async fn an_expired_session_is_401_session_expired_and_a_logout_ends_one() {
    let t = TestServer::start_with_edge(
        crate::harness::engine_config(),
        api::RiskOptions::default(),
        api::EdgeConfig {
            operator_session_hours: 8,
            ..crate::harness::test_edge()
        },
    )
    .await;
    let auditor = t.operator_with("ann", &["auditor"]).await;
    let bob = t.create_operator("bob", &["auditor"]).await;
    assert_eq!(t.get(&auditor, "/v1/audit").await.status, 200);
    t.clock.set(t.clock_now() + jiff::SignedDuration::from_hours(8));
    let expired = t.get(&auditor, "/v1/audit").await;
    assert_eq!(
        (expired.status, expired.code()),
        (401, "session_expired"),
        "{}",
        expired.text
    );

    let bob = Auth::Bearer(t.login(&bob).await.str("token"));
    let out = t.post(&bob, "/v1/operators/logout", json!({})).await;
    assert_eq!(out.status, 200, "{}", out.text);
    let after = t.get(&bob, "/v1/audit").await;
    assert_eq!((after.status, after.code()), (401, "bad_token"));
}

#[tokio::test]
async fn an_api_key_does_what_its_scopes_allow_until_revoked() {
    let t = TestServer::start().await;
    let body = json!({"name": "app-backend", "scopes": ["customers.read"], "expires_in_days": 30});
    let made = t.post(&operator(), "/v1/api-keys", body).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let key = Auth::Bearer(made.str("api_key"));
    let customer = t.open_customer(100_000, 5).await;
    let read = format!("/v1/customers/{}", customer.id);
    assert_eq!(t.get(&key, &read).await.status, 200);
    let limit = t
        .post(
            &key,
            &format!("/v1/customers/{}/limit", customer.id),
            json!({"limit_fen": 1}),
        )
        .await;
    assert_eq!(
        (limit.status, limit.body["error"]["permission"].as_str()),
        (403, Some("limits.change"))
    );

    let bad = t
        .post(
            &operator(),
            "/v1/api-keys",
            json!({"name": "x", "scopes": ["operators.bootstrap"], "expires_in_days": 1}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);

    let id = made.str("key_id");
    let revoked = t
        .post(&operator(), &format!("/v1/api-keys/{id}/revoke"), json!({}))
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let refused = t.get(&key, &read).await;
    assert_eq!((refused.status, refused.code()), (401, "api_key_revoked"));

    let short = t
        .post(
            &operator(),
            "/v1/api-keys",
            json!({"name": "short", "scopes": ["customers.read"], "expires_in_days": 1}),
        )
        .await;
    let short = Auth::Bearer(short.str("api_key"));
    t.clock.set(t.clock_now() + jiff::SignedDuration::from_hours(25));
    let expired = t.get(&short, &read).await;
    assert_eq!((expired.status, expired.code()), (401, "api_key_expired"));
}

#[tokio::test]
async fn the_bootstrap_token_works_until_the_first_operator_exists_and_only_makes_an_admin() {
    let t = TestServer::start().await;
    let admin_token = Auth::Bearer(ADMIN.into());
    let no_admin = json!({"name": "first", "password": "first-password-0", "roles": ["support"]});
    let refused = t.post(&admin_token, "/v1/operators/bootstrap", no_admin).await;
    assert_eq!((refused.status, refused.field()), (400, Some("roles")));
    // Until then it is the whole operator, as it was.
    assert_eq!(
        t.post(&admin_token, "/v1/merchants", json!({"name": "Early"}))
            .await
            .status,
        201
    );

    t.root_token().await;
    let again = t
        .post(
            &admin_token,
            "/v1/operators/bootstrap",
            json!({"name": "second", "password": "second-password-0"}),
        )
        .await;
    assert_eq!((again.status, again.code()), (401, "bootstrap_token_retired"));
    let merchant = t.post(&admin_token, "/v1/merchants", json!({"name": "Late"})).await;
    assert_eq!((merchant.status, merchant.code()), (401, "bootstrap_token_retired"));
    // An admin cannot bootstrap either: no role holds operators.bootstrap.
    let by_admin = t
        .post(
            &operator(),
            "/v1/operators/bootstrap",
            json!({"name": "third", "password": "third-password-00"}),
        )
        .await;
    assert_eq!(by_admin.status, 403);
    // The token stays retired after a restart.
    let mut t = t;
    t.restart().await;
    let after = t.post(&admin_token, "/v1/merchants", json!({"name": "Later"})).await;
    assert_eq!(after.status, 401);
}

#[tokio::test]
async fn logins_and_operator_actions_are_in_the_audit_log_for_the_auditor_only() {
    let t = TestServer::start().await;
    let carol = t.create_operator("carol", &["credit_officer"]).await;
    let wrong = failed_login(&t, &carol, "wrong-password-0", "123456").await;
    assert_eq!(wrong, 401);
    let session = t.login(&carol).await;
    let carol_auth = Auth::Bearer(session.str("token"));
    let customer = t.open_customer(100_000, 5).await;
    let limit = format!("/v1/customers/{}/limit", customer.id);
    assert_eq!(
        t.post(&carol_auth, &limit, json!({"limit_fen": 80_000})).await.status,
        200
    );
    let denied = t.post(&carol_auth, "/v1/risk/lists", json!({"device_id": "d"})).await;
    assert_eq!(denied.status, 403);

    assert_eq!(t.get(&carol_auth, "/v1/audit").await.status, 403);
    let auditor = t.operator_with("dave", &["auditor"]).await;
    let page = t.get(&auditor, "/v1/audit?after=0&limit=1000").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let records = page.body["records"].as_array().unwrap();
    let find = |actor: &str, action: &str, outcome: &str| {
        records
            .iter()
            .find(|r| r["actor"] == actor && r["action"] == action && r["outcome"] == outcome)
            .unwrap_or_else(|| panic!("no {actor} {action} {outcome} in {}", page.text))
    };
    let failed = find("operator:carol", "operator.login", "denied");
    assert!(
        failed["detail"]
            .as_str()
            .unwrap()
            .contains("\"reason\":\"wrong_password\"")
    );
    assert!(failed["detail"].as_str().unwrap().contains("\"source\":\"127.0.0.1\""));
    assert!(!page.text.contains("wrong-password-0") && !page.text.contains(&carol.password));
    find("operator:carol", "operator.login", "ok");
    let changed = find("operator:carol", "limits.change", "ok");
    assert_eq!(changed["target"], json!(limit));
    find("operator:carol", "fraud.lists", "denied");
    find("operator:root", "operators.create", "ok");
    find("operator:bootstrap", "operators.bootstrap", "ok");
    // Reads are not recorded.
    assert!(records.iter().all(|r| r["action"] != "customers.read"));

    // The chain the server wrote checks out (what `iou audit verify` runs).
    let mut t = t;
    t.server.take().unwrap().stop().await.unwrap();
    let backend = store::sqlite::SqliteBackend::open(t.dir.path()).unwrap();
    let verified = audit::verify(store::Backend::audit(&backend).unwrap().as_mut(), None).unwrap();
    assert_eq!(
        verified.records,
        records.len() as u64,
        "a read that succeeds is not recorded"
    );
}
