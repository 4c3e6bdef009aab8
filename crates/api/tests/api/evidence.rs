//! The police evidence bundle over HTTP (`GET /v1/cases/{case_id}/evidence-bundle`): a fraud
//! investigator gets the bundle the CLI writes, masked, its hash recomputing, as JSON or as the
//! page; every export is in the audit log as `cases.export`; the roles without `cases.export`
//! (support, an analyst who reads cases, the customer) are refused and the refusal is audited;
//! there is no reveal over HTTP; an unknown case and bad parameters are refused with the field.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{Auth, TestServer};

/// A theft case: Alice reports a purchase she did not make. Returns the case id.
async fn theft_case(t: &TestServer) -> String {
    let thief = t.register_merchant("Thief").await;
    let alice = t.open_customer(1_000_000, 5).await;
    let paid = t.pay(&thief, &alice, json!({"amount_fen": 30_000})).await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let report = format!("/v1/customers/{}/theft-reports", alice.id);
    let txn = paid.str("txn_id");
    let reported = t.post(&alice.auth(), &report, json!({"txn_ids": [txn]})).await;
    assert_eq!(reported.status, 201, "{}", reported.text);
    reported.str("case_id")
}

/// The SHA-256 of the bundle serialized compactly (keys sorted) without its `hash` member.
fn recomputed(bundle: &Value) -> String {
    let mut without = bundle.clone();
    without.as_object_mut().unwrap().remove("hash");
    let digest = Sha256::digest(serde_json::to_vec(&without).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

async fn exports(t: &TestServer, auditor: &Auth) -> Vec<Value> {
    let page = t.get(auditor, "/v1/audit?limit=500").await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.ok()["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "cases.export")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_fraud_investigator_exports_a_masked_audited_bundle_and_others_are_refused() {
    let t = TestServer::start().await;
    let case = theft_case(&t).await;
    let fran = t.operator_with("fran", &["fraud"]).await;
    let auditor = t.operator_with("audrey", &["auditor"]).await;
    let path = format!("/v1/cases/{case}/evidence-bundle");

    let json = t.get(&fran, &path).await;
    assert_eq!(json.status, 200, "{}", json.text);
    let bundle = json.ok().clone();
    assert_eq!(bundle["schema"], "iou.evidence_bundle/1");
    assert_eq!(bundle["case_id"].as_str(), Some(case.as_str()), "{}", json.text);
    assert_eq!(bundle["hash"]["value"].as_str().unwrap(), recomputed(&bundle));
    assert_eq!(bundle["personal_data"], "masked");

    let page = t.get(&fran, &format!("{path}?format=html&ring=true")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.starts_with("<!DOCTYPE html>"), "{}", page.text);
    assert!(!page.text.contains("<script"), "{}", page.text);

    // Both exports are audited as the CLI's are, with the hash of what was handed out.
    let records = exports(&t, &auditor).await;
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["actor"], "operator:fran");
    assert_eq!(records[0]["target"], format!("case:{case}"));
    assert_eq!(records[0]["outcome"], "ok");
    let detail = records[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("masked") && detail.contains(bundle["hash"]["value"].as_str().unwrap()),
        "{detail}"
    );
    assert!(
        records[1]["detail"].as_str().unwrap().contains("true"),
        "the ring export: {records:?}"
    );

    // Reading cases is not exporting them; nor is support's or the customer's.
    let analyst = t.operator_with("ann", &["analyst"]).await;
    let support = t.operator_with("sam", &["support"]).await;
    for who in [&analyst, &support] {
        let refused = t.get(who, &path).await;
        assert_eq!(refused.status, 403, "{}", refused.text);
    }
    let denied = t.get(&auditor, "/v1/audit?limit=500").await;
    let denied = denied.ok()["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "cases.export" && r["outcome"] == "denied")
        .count();
    assert_eq!(denied, 2, "refusals are audited");
    assert_eq!(exports(&t, &auditor).await.len(), 4);

    // No reveal over HTTP; bad parameters and an unknown case name the field.
    let reveal = t.get(&fran, &format!("{path}?reveal=true")).await;
    assert_eq!(reveal.status, 400, "{}", reveal.text);
    let format = t.get(&fran, &format!("{path}?format=pdf")).await;
    assert_eq!(
        (format.status, format.field()),
        (400, Some("format")),
        "{}",
        format.text
    );
    let unknown = t.get(&fran, "/v1/cases/999999/evidence-bundle").await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "case_not_found"),
        "{}",
        unknown.text
    );
    assert_eq!(
        exports(&t, &auditor).await.len(),
        4,
        "nothing exported, nothing recorded"
    );
}
