//! Working cases as a team, black-box: queues with members, capacity and an SLA; claiming,
//! a supervisor's assignment with a reason, automatic assignment by capacity; notes, links,
//! attachments served only as downloads; a theft case opened by an operator for a customer who
//! called; "my cases"; and who may do none of it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Auth, TestServer};
use crate::risk_support::{RiskServer, eventually};

async fn id_of(t: &TestServer, who: &Auth) -> u64 {
    t.get(who, "/v1/operators/me").await.ok()["operator_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn work(case: &Value) -> &Value {
    &case["work"]
}

#[tokio::test]
async fn a_team_claims_assigns_annotates_and_links_cases() {
    let s = RiskServer::start().await;
    let t = &s.t;
    let merchant = t.register_merchant("Shop").await;
    let customer = s.customer(10_000_000).await;
    let a = s.pay_from(&merchant, &customer, "my-phone", 30_000).await.str("txn_id");
    let b = s.pay_from(&merchant, &customer, "my-phone", 40_000).await.str("txn_id");
    let reports = format!("/v1/customers/{}/theft-reports", customer.id);
    let case1 = t
        .post(&customer.auth(), &reports, json!({"txn_ids": [a]}))
        .await
        .str("case_id");
    let (fay, finn, sue, sam) = (
        t.operator_with("fay", &["fraud"]).await,
        t.operator_with("finn", &["fraud"]).await,
        t.operator_with("sue", &["supervisor"]).await,
        t.operator_with("sam", &["support"]).await,
    );
    let (fay_id, finn_id, sam_id) = (id_of(t, &fay).await, id_of(t, &finn).await, id_of(t, &sam).await);

    let waiting = t.get(&fay, "/v1/cases?queue=theft&unassigned=true").await;
    let listed = &waiting.ok()["cases"][0];
    assert_eq!(
        (listed["case_id"].as_str(), work(listed)["queue"].as_str()),
        (Some(&*case1), Some("theft"))
    );
    assert!(work(listed)["assignee_id"].is_null());
    assert_eq!(t.get(&sam, "/v1/cases").await.status, 403, "support reads no cases");

    // Claiming: the first one holds it, a second is refused, the holder may claim again.
    let claim = format!("/v1/cases/{case1}/claim");
    let claimed = t.post(&fay, &claim, json!({})).await;
    assert_eq!(work(claimed.ok())["assignee_id"], fay_id, "{}", claimed.text);
    assert_eq!(work(claimed.ok())["assigned_by"], "claim");
    let taken = t.post(&finn, &claim, json!({})).await;
    assert_eq!((taken.status, taken.code()), (409, "case_assigned"), "{}", taken.text);
    assert_eq!(t.post(&fay, &claim, json!({})).await.status, 200);
    assert_eq!(
        t.post(&sue, &claim, json!({})).await.status,
        403,
        "a supervisor assigns, not claims"
    );

    // A supervisor reassigns with a reason, to someone who may resolve cases.
    let assign = format!("/v1/cases/{case1}/assign");
    let no_reason = t
        .post(&sue, &assign, json!({"operator_id": finn_id, "reason": ""}))
        .await;
    assert_eq!(
        (no_reason.status, no_reason.field()),
        (400, Some("reason")),
        "{}",
        no_reason.text
    );
    let to_support = t
        .post(&sue, &assign, json!({"operator_id": sam_id, "reason": "cover"}))
        .await;
    assert_eq!(
        (to_support.status, to_support.field()),
        (400, Some("operator_id")),
        "{}",
        to_support.text
    );
    assert_eq!(
        t.post(&fay, &assign, json!({"operator_id": finn_id, "reason": "mine"}))
            .await
            .status,
        403
    );
    let moved = t
        .post(
            &sue,
            &assign,
            json!({"operator_id": finn_id, "reason": "fay is on leave"}),
        )
        .await;
    let w = work(moved.ok());
    assert_eq!(
        (w["assignee"].as_str(), w["assigned_by"].as_str()),
        (Some("finn"), Some("sue")),
        "{}",
        moved.text
    );
    assert_eq!(w["reason"], "fay is on leave");
    let mine = t.get(&finn, "/v1/cases?mine=true").await;
    assert_eq!(mine.ok()["cases"].as_array().unwrap().len(), 1);
    assert_eq!(t.get(&fay, "/v1/cases?mine=true").await.ok()["cases"], json!([]));

    // Notes and attachments; a download is bytes, never a page.
    let notes = format!("/v1/cases/{case1}/notes");
    let noted = t
        .post(
            &finn,
            &notes,
            json!({"text": "customer confirms the phone was lost on the 3rd"}),
        )
        .await;
    assert_eq!(noted.status, 201, "{}", noted.text);
    assert_eq!(work(noted.ok())["notes"][0]["author"], "finn");
    assert_eq!(t.post(&finn, &notes, json!({"text": "  "})).await.field(), Some("text"));
    let files = format!("/v1/cases/{case1}/attachments");
    let content = "<script>alert(1)</script> police report 2026-118";
    let body = json!({"name": "report.html", "media_type": "text/html", "content_base64": data_encoding::BASE64.encode(content.as_bytes())});
    let attached = t.post(&finn, &files, body).await;
    assert_eq!(attached.status, 201, "{}", attached.text);
    let file = &work(attached.ok())["attachments"][0];
    assert_eq!(
        (file["n"].as_u64(), file["bytes"].as_u64()),
        (Some(1), Some(content.len() as u64))
    );
    let Auth::Bearer(token) = &finn else { unreachable!() };
    let download = t
        .http
        .get(format!("{}/v1/cases/{case1}/attachments/1", t.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let header = |name: &str| download.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/octet-stream");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-disposition").starts_with("attachment;"));
    assert_eq!(download.text().await.unwrap(), content);
    let big = json!({"name": "big.bin", "media_type": "application/octet-stream",
        "content_base64": data_encoding::BASE64.encode(&vec![7u8; 47 * 1024])});
    assert_eq!(t.post(&finn, &files, big).await.field(), Some("content_base64"));
    let pathy = json!({"name": "../x", "media_type": "text/plain", "content_base64": "eA=="});
    assert_eq!(t.post(&finn, &files, pathy).await.field(), Some("name"));
    assert_eq!(t.get(&finn, &format!("{files}/9")).await.code(), "attachment_not_found");

    // The customer calls about the second purchase: fraud opens the case for them.
    let by_phone = json!({"customer_id": customer.id, "txn_ids": [b], "note": "called the hotline at 10:02"});
    assert_eq!(t.post(&finn, "/v1/cases", by_phone.clone()).await.status, 201);
    let cases = t.get(&fay, "/v1/cases?queue=theft").await;
    let case2 = cases.ok()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["txn_ids"] == json!([b]))
        .unwrap()["case_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = t.get(&fay, &format!("/v1/cases/{case2}")).await;
    assert_eq!(work(second.ok())["notes"][0]["text"], "called the hotline at 10:02");
    assert_eq!(t.post(&sam, "/v1/cases", by_phone).await.status, 403);

    // One ring, two cases: a link shows on both.
    let link = t
        .post(&finn, &format!("/v1/cases/{case1}/links"), json!({"case_id": case2}))
        .await;
    assert_eq!(
        work(link.ok())["linked_case_ids"],
        json!([case2.clone()]),
        "{}",
        link.text
    );
    let other = t.get(&finn, &format!("/v1/cases/{case2}")).await;
    assert_eq!(work(other.ok())["linked_case_ids"], json!([case1.clone()]));
    let to_self = t
        .post(&finn, &format!("/v1/cases/{case1}/links"), json!({"case_id": case1}))
        .await;
    assert_eq!(to_self.field(), Some("case_id"));

    // A queue with members: the unassigned case goes to fay by capacity, automatically.
    let queue = json!({"members": [fay_id], "capacity": 5, "sla_minutes": 60});
    assert_eq!(t.post(&fay, "/v1/case-queues/theft", queue.clone()).await.status, 403);
    let set = t.post(&sue, "/v1/case-queues/theft", queue).await;
    assert_eq!(set.ok()["members"], json!([fay_id]), "{}", set.text);
    let bad = json!({"members": [sam_id], "capacity": 5, "sla_minutes": 60});
    assert_eq!(
        t.post(&sue, "/v1/case-queues/theft", bad).await.field(),
        Some("members")
    );
    let unknown = json!({"members": [], "capacity": 5, "sla_minutes": 60});
    assert_eq!(
        t.post(&sue, "/v1/case-queues/nope", unknown).await.field(),
        Some("queue")
    );
    let auto = eventually("the sweeper assigns the waiting case", || async {
        let case = t.get(&sue, &format!("/v1/cases/{case2}")).await;
        let assigned = work(case.ok())["assigned_by"].as_str().map(str::to_owned);
        assigned.filter(|by| by == "auto").map(|_| case.body.clone())
    })
    .await;
    assert_eq!(work(&auto)["assignee_id"], fay_id);

    // The SLA: an hour later both open cases are late.
    assert_eq!(work(&auto)["sla_breached"], false);
    s.advance(Duration::from_secs(2 * 3600));
    let late = t.get(&sue, &format!("/v1/cases/{case2}")).await;
    assert_eq!(work(late.ok())["sla_breached"], true);
    let queues = t.get(&sue, "/v1/case-queues").await;
    let theft = queues.ok()["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "theft")
        .unwrap()
        .clone();
    assert_eq!(
        (
            theft["open"].as_u64(),
            theft["unassigned"].as_u64(),
            theft["breached"].as_u64()
        ),
        (Some(2), Some(0), Some(2))
    );

    // The customer sees their cases without the team's work.
    let own = t
        .get(&customer.auth(), &format!("/v1/customers/{}/cases", customer.id))
        .await;
    assert!(own.ok()["cases"][0].get("work").is_none(), "{}", own.text);
}

/// The retention rule: the team's work on a resolved case goes a year after the resolution
/// (the sweeper's `prune_case_work`), not before, and never while the case is open; the case
/// itself stays, and the deletion is audited.
#[tokio::test]
async fn a_resolved_cases_work_is_pruned_a_year_after_its_resolution() {
    let s = RiskServer::start().await;
    let t = &s.t;
    let merchant = t.register_merchant("Shop").await;
    let customer = s.customer(10_000_000).await;
    let a = s.pay_from(&merchant, &customer, "my-phone", 30_000).await.str("txn_id");
    let b = s.pay_from(&merchant, &customer, "my-phone", 40_000).await.str("txn_id");
    let reports = format!("/v1/customers/{}/theft-reports", customer.id);
    let resolved = t
        .post(&customer.auth(), &reports, json!({"txn_ids": [a]}))
        .await
        .str("case_id");
    let open = t
        .post(&customer.auth(), &reports, json!({"txn_ids": [b]}))
        .await
        .str("case_id");
    let finn = t.operator_with("finn", &["fraud"]).await;
    for case in [&resolved, &open] {
        let noted = t
            .post(
                &finn,
                &format!("/v1/cases/{case}/notes"),
                json!({"text": "called back"}),
            )
            .await;
        noted.ok();
    }
    let rejected = t
        .post(
            &finn,
            &format!("/v1/cases/{resolved}/resolve"),
            json!({"confirm": false}),
        )
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    let state = t.server.as_ref().unwrap().state();
    let reader = &finn;
    let notes =
        |case: String| async move { work(t.get(reader, &format!("/v1/cases/{case}")).await.ok())["notes"].clone() };

    t.clock.advance(jiff::SignedDuration::from_hours(24 * 365));
    assert_eq!(api::prune_case_work(state).await.unwrap(), 0, "a year to the day: kept");
    t.clock.advance(jiff::SignedDuration::from_hours(1));
    assert_eq!(api::prune_case_work(state).await.unwrap(), 1);
    assert_eq!(
        notes(resolved.clone()).await,
        json!([]),
        "the resolved case's work is gone"
    );
    assert_eq!(
        notes(open.clone()).await[0]["text"],
        "called back",
        "an open case's work stays"
    );
    let case = t.get(&finn, &format!("/v1/cases/{resolved}")).await;
    assert_eq!(case.ok()["status"], "rejected", "the case itself stays");
    let audit = t.get(&crate::harness::operator(), "/v1/audit?limit=500").await;
    assert!(audit.text.contains("cases.work_pruned"), "{}", audit.text);
    assert_eq!(api::prune_case_work(state).await.unwrap(), 0, "once");
}
