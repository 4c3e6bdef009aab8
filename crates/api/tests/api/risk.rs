//! Risk at the edge, black-box: declines with reason codes, a challenge satisfied by a step-up
//! token, and the rules hot-reloaded from their folder (a broken edit leaves the old set).

use serde_json::{Value, json};

use crate::harness::operator;
use crate::risk_support::{RiskServer, SPOOF_FACE, reasons};

#[tokio::test]
async fn declines_carry_the_rules_reason_codes() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Shop").await;
    let customer = s.customer(10_000_000).await;
    // Offline QR payments are capped at 2,000 yuan by the shipped rules.
    let over = s.pay_from(&merchant, &customer, "phone-1", 250_000).await;
    assert_eq!(over.status, 402, "{}", over.text);
    assert_eq!(over.body["error"]["code"], "risk_declined");
    assert_eq!(
        reasons(&over)[0],
        "OFFLINE_OVER_LIMIT",
        "the deny rule first, softer ones after"
    );
    // A listed device is declined whatever the amount.
    let listed =
        s.t.post(&operator(), "/v1/risk/lists", json!({"device_id": "phone-stolen"}))
            .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["partitions"], 2);
    let denied = s.pay_from(&merchant, &customer, "phone-stolen", 1_000).await;
    assert_eq!(denied.status, 402, "{}", denied.text);
    assert_eq!(reasons(&denied), ["DEVICE_ON_FRAUD_LIST"]);
    // The same device's id under another spelling is another device; a normal payment passes.
    let fine = s.pay_from(&merchant, &customer, "phone-1", 1_000).await;
    assert_eq!(fine.status, 201, "{}", fine.text);
    // Nothing was held for the declined ones.
    let balances =
        s.t.get(&customer.auth(), &format!("/v1/customers/{}", customer.id))
            .await;
    assert_eq!(balances.fen("held_fen"), 1_000);
}

#[tokio::test]
async fn a_challenge_is_satisfied_by_a_step_up_token() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Shop").await;
    let customer = s.customer(10_000_000).await;
    // A new device paying 2,000 yuan: liveness.
    let code = s.code_with(&customer, json!({"device_id": "new-phone"})).await;
    let body = json!({"payment_code": code, "amount_fen": 200_000});
    let challenged = s.t.post(&merchant.auth(), "/v1/payments", body).await;
    assert_eq!(challenged.status, 403, "{}", challenged.text);
    assert_eq!(challenged.body["error"]["code"], "challenge_required");
    assert_eq!(challenged.body["error"]["challenge"], "liveness");
    assert!(reasons(&challenged).contains(&"NEW_DEVICE_HIGH_AMOUNT".to_owned()));

    // A failed face is refused; an OTP token is not enough for liveness.
    let base = format!("/v1/customers/{}/step-up", customer.id);
    let started = s.t.post(&customer.auth(), &base, json!({"kind": "liveness"})).await;
    let challenge = started.str("challenge_id");
    let spoof =
        s.t.post(
            &customer.auth(),
            &format!("{base}/{challenge}/verify"),
            json!({"face": SPOOF_FACE}),
        )
        .await;
    assert_eq!((spoof.status, spoof.code()), (422, "step_up_failed"), "{}", spoof.text);
    let otp = s.step_up(&customer, "otp").await;
    let with_otp = json!({"payment_code": code, "amount_fen": 200_000, "risk": {"step_up_token": otp}});
    let still = s.t.post(&merchant.auth(), "/v1/payments", with_otp).await;
    assert_eq!(still.status, 403, "OTP does not satisfy liveness: {}", still.text);

    // The code stayed live; with a liveness token, under a new key, the payment goes through.
    let token = s.step_up(&customer, "liveness").await;
    let paid = json!({"payment_code": code, "amount_fen": 200_000, "risk": {"step_up_token": token}});
    let approved = s.t.post(&merchant.auth(), "/v1/payments", paid.clone()).await;
    assert_eq!(approved.status, 201, "{}", approved.text);
    // Single use: another customer's call, or another payment, cannot reuse it.
    let code2 = s.code_with(&customer, json!({"device_id": "new-phone"})).await;
    let reuse = json!({"payment_code": code2, "amount_fen": 1_000, "risk": {"step_up_token": token}});
    let reused = s.t.post(&merchant.auth(), "/v1/payments", reuse).await;
    assert_eq!(
        (reused.status, reused.code()),
        (422, "step_up_token_invalid"),
        "{}",
        reused.text
    );
    assert_eq!(reused.field(), Some("risk.step_up_token"));
}

fn versions(answer: &crate::harness::Answer) -> Vec<String> {
    answer.ok()["graphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["version"].as_str().unwrap().to_owned())
        .collect()
}

/// The watcher's report: (reloads, reload failures, the last reload error).
fn reloads(answer: &crate::harness::Answer) -> (u64, u64, Option<String>) {
    let body = answer.ok();
    (
        body["reloads"].as_u64().unwrap(),
        body["reload_failures"].as_u64().unwrap(),
        body["last_reload_error"].as_str().map(str::to_owned),
    )
}

fn payment_version(answer: &crate::harness::Answer) -> String {
    versions(answer)
        .into_iter()
        .find(|v| v.starts_with("payment_authorization@"))
        .unwrap()
}

/// Writes a rules file in one step (a rename), as an editor's save would.
fn write(dir: &std::path::Path, name: &str, text: &str) {
    let temp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, dir.join(name)).unwrap();
}

#[tokio::test]
async fn rules_reload_from_their_folder_and_a_broken_edit_keeps_the_running_set() {
    let s = RiskServer::start().await;
    let merchant = s.t.register_merchant("Shop").await;
    let customer = s.customer(10_000_000).await;
    let before = s.t.get(&operator(), "/v1/risk/rules").await;
    assert_eq!(before.body["enabled"], true, "{}", before.text);
    // One live graph per checkpoint, and the shipped shadow graph of payments.
    let live = versions(&before)
        .into_iter()
        .filter(|v| !v.contains(".shadow@"))
        .count();
    assert_eq!(live, risk::Checkpoint::ALL.len(), "one live graph per checkpoint");
    assert_eq!(reloads(&before), (0, 0, None), "nothing reloaded yet");
    // The shipped graph's version, whatever it is today: the edit below bumps it by one.
    let shipped: u64 = payment_version(&before)
        .strip_prefix("payment_authorization@v")
        .and_then(|rest| rest.split('#').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a versioned payment graph: {}", before.text));
    let bumped = format!("payment_authorization@v{}#", shipped + 1);
    assert!(
        before.body["graphs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["evaluator"] == "fast")
    );
    let customer_sees = s.t.get(&customer.auth(), "/v1/risk/rules").await;
    assert_eq!(customer_sees.status, 403);

    // Lower the offline cap to 1,000 yuan and bump the version.
    let path = s.rules.path().join("payment_authorization.json");
    let mut graph: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    graph["metadata"]["version"] = json!(shipped + 1);
    for node in graph["nodes"].as_array_mut().unwrap() {
        for rule in node["content"]["rules"].as_array_mut().into_iter().flatten() {
            if rule["_id"] == "r05" {
                rule["c06"] = json!("> 1000");
            }
        }
    }
    write(s.rules.path(), "payment_authorization.json", &graph.to_string());
    let reloaded = crate::risk_support::eventually("the reload", || async {
        let now = s.t.get(&operator(), "/v1/risk/rules").await;
        payment_version(&now).starts_with(&bumped).then_some(now)
    })
    .await;
    assert_eq!(reloads(&reloaded), (1, 0, None), "one save, one reload");
    let declined = s.pay_from(&merchant, &customer, "phone-1", 150_000).await;
    assert_eq!(declined.status, 402, "the new cap applies: {}", declined.text);
    assert_eq!(reasons(&declined), ["OFFLINE_OVER_LIMIT"]);

    // A broken edit is refused whole: the bumped set keeps running.
    write(s.rules.path(), "payment_authorization.json", "{\"nodes\": [");
    write(s.rules.path(), "delivery.json", "not json at all");
    let after = crate::risk_support::eventually("the refused reload", || async {
        let now = s.t.get(&operator(), "/v1/risk/rules").await;
        (reloads(&now).1 >= 1).then_some(now)
    })
    .await;
    let (reloaded_count, _, error) = reloads(&after);
    assert_eq!(reloaded_count, 1, "the broken set was not swapped in");
    assert!(error.is_some_and(|e| e.contains("rules in")), "{}", after.text);
    assert_eq!(versions(&after), versions(&reloaded));
    let still = s.pay_from(&merchant, &customer, "phone-1", 150_000).await;
    assert_eq!(reasons(&still), ["OFFLINE_OVER_LIMIT"]);
    let small = s.pay_from(&merchant, &customer, "phone-1", 50_000).await;
    assert_eq!(small.status, 201, "{}", small.text);
}
