//! `iou cases export` end to end on a store the simulator wrote: a case's ring
//! bundle holds the case, its account and transactions, every decision of the ring with
//! reasons, features and scores, and exactly the accounts a naive reading of the journal says
//! share a device or IP with the case's account; the hash recomputes; the page is
//! self-contained and says personal data is masked (or revealed); the export is in the audit
//! log; an unknown case and `--reveal` without keys are refused.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Output};

use credit::AccountId;
use serde_json::Value;

fn iou(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iou"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A case of the store, a resolved one if any (the analysts' labels), and its account.
fn a_case(data: &Path) -> (u64, AccountId, &'static str) {
    let backend = store::sqlite::SqliteBackend::open(data).unwrap();
    let mut journal = backend.open_journal().unwrap();
    let labels = engine::labels::collect(&mut journal).unwrap();
    if let Some(label) = labels.iter().find(|l| l.case.is_some()) {
        let status = match label.verdict {
            engine::labels::Verdict::Fraud => "confirmed",
            engine::labels::Verdict::Genuine => "rejected",
        };
        return (label.case.unwrap().0, label.account, status);
    }
    let partitions = engine::journal::stored_partitions(&mut journal).unwrap().unwrap();
    let mut found = None;
    for partition in 0..partitions {
        engine::journal::scan(&mut journal, partition, 0, |_, record| {
            for notice in &record.notices {
                if let engine::Notice::CaseOpened { case, account, .. } = notice {
                    found = found.or(Some((case.0, *account, "open")));
                }
            }
            Ok::<_, engine::EngineError>(())
        })
        .unwrap();
    }
    found.expect("the simulator opens cases")
}

/// The naive twin of the ring's widening: every account seen with a device or IP the case's
/// account was seen with, read straight from the journal's decisions.
fn naive_ring(data: &Path, account: AccountId) -> BTreeSet<String> {
    let backend = store::sqlite::SqliteBackend::open(data).unwrap();
    let mut journal = backend.open_journal().unwrap();
    let partitions = engine::journal::stored_partitions(&mut journal).unwrap().unwrap();
    let mut seen: BTreeMap<u64, (BTreeSet<u64>, BTreeSet<IpAddr>)> = BTreeMap::new();
    for partition in 0..partitions {
        engine::journal::scan(&mut journal, partition, 0, |_, record| {
            if let Some(risk) = &record.risk {
                let keys = seen.entry(risk.input.user.0).or_default();
                if risk.input.device.0 != 0 {
                    keys.0.insert(risk.input.device.0);
                }
                if !risk.input.ip.is_unspecified() {
                    keys.1.insert(risk.input.ip);
                }
            }
            Ok::<_, engine::EngineError>(())
        })
        .unwrap();
    }
    let (devices, ips) = seen.get(&account.0).cloned().unwrap_or_default();
    seen.iter()
        .filter(|(a, (d, i))| **a == account.0 || !d.is_disjoint(&devices) || !i.is_disjoint(&ips))
        .map(|(a, _)| a.to_string())
        .collect()
}

fn strings(value: &Value, key: &str) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_ring_bundle_from_a_simulated_store_holds_the_ring_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let sim = iou(
        dir.path(),
        &[
            "simulate",
            "--users",
            "120",
            "--days",
            "15",
            "--data",
            "data",
            "--json",
            "--theft-reports",
            "3000",
        ],
    );
    assert!(sim.status.success(), "{}", text(&sim));
    let data = dir.path().join("data");
    let (case, account, status) = a_case(&data);
    let case_text = case.to_string();

    let run = iou(
        dir.path(),
        &[
            "cases",
            "export",
            "--data",
            "data",
            "--case",
            &case_text,
            "--ring",
            "--out",
            "out",
            "--operator",
            "ann",
        ],
    );
    let said = text(&run);
    assert!(run.status.success(), "{said}");
    assert!(
        said.contains("personal data masked") && said.contains("cases.export"),
        "{said}"
    );
    let bundle: Value = serde_json::from_slice(&std::fs::read(dir.path().join("out/bundle.json")).unwrap()).unwrap();
    assert_eq!(bundle["schema"], "iou.evidence_bundle/1");
    assert_eq!(
        (bundle["case_id"].as_str(), bundle["ring"].as_bool()),
        (Some(case_text.as_str()), Some(true))
    );
    assert_eq!(bundle["personal_data"], "masked");

    // The hash is the compact document's without it.
    let mut without = bundle.clone();
    let hash = without.as_object_mut().unwrap().remove("hash").unwrap();
    let digest = sha256_hex(&serde_json::to_vec(&without).unwrap());
    assert_eq!(hash["value"], digest);
    assert!(said.contains(&digest), "{said}");

    // The case, its account and its stolen transactions.
    let cases = bundle["cases"].as_array().unwrap();
    assert_eq!(cases[0]["case_id"], case_text);
    assert_eq!(cases[0]["status"], status);
    assert_eq!(cases[0]["account"], account.to_string());
    let txns = strings(&bundle["transactions"], "txn_id");
    for txn in cases[0]["txn_ids"].as_array().unwrap() {
        assert!(txns.contains(txn.as_str().unwrap()), "{txn} in {txns:?}");
    }
    // Exactly the accounts the naive twin finds.
    assert_eq!(strings(&bundle["accounts"], "account"), naive_ring(&data, account));
    // Decisions with reasons, features and scores; every one about a ring account.
    let ring = strings(&bundle["accounts"], "account");
    let decisions = bundle["decisions"].as_array().unwrap();
    assert!(!decisions.is_empty());
    for d in decisions {
        assert!(ring.contains(d["account"].as_str().unwrap()), "{d}");
        assert!(
            d["features"]["user"].is_object() && d["models"].is_object() && d["reasons"].is_array(),
            "{d}"
        );
        let ip = d["ip"].as_str().unwrap();
        assert!(ip.ends_with(".x") || ip.ends_with("::x"), "masked: {ip}");
    }
    assert!(!bundle["timeline"].as_array().unwrap().is_empty());
    assert_eq!(bundle["summary"]["accounts"], ring.len());

    // The page: self-contained, masked, the case and the hash on it.
    let page = std::fs::read_to_string(dir.path().join("out/bundle.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("Personal data masked"));
    assert!(page.contains(&format!("case {case_text}")) && page.contains(&digest));
    for fetch in ["http://", "https://", "<script", "src=", "href="] {
        assert!(!page.contains(fetch), "the page fetches nothing: {fetch}");
    }

    // The export is in the store's audit log, and the chain still verifies.
    let exported = iou(dir.path(), &["audit", "export", "--data", "data"]);
    let log = text(&exported);
    assert!(exported.status.success(), "{log}");
    assert!(
        log.contains("cases.export") && log.contains("operator:ann") && log.contains(&digest),
        "{log}"
    );
    let verified = iou(dir.path(), &["audit", "verify", "--data", "data"]);
    assert!(verified.status.success(), "{}", text(&verified));

    // Only the case (no --ring): its own account alone.
    let alone = iou(
        dir.path(),
        &[
            "cases", "export", "--data", "data", "--case", &case_text, "--out", "one",
        ],
    );
    assert!(alone.status.success(), "{}", text(&alone));
    let one: Value = serde_json::from_slice(&std::fs::read(dir.path().join("one/bundle.json")).unwrap()).unwrap();
    assert_eq!(
        strings(&one["accounts"], "account"),
        BTreeSet::from([account.to_string()])
    );

    // With the keys: revealed, and the page says so.
    let keys = iou(dir.path(), &["keys", "init", "--out", "k.keys"]);
    assert!(keys.status.success(), "{}", text(&keys));
    let revealed = iou(
        dir.path(),
        &[
            "cases",
            "export",
            "--data",
            "data",
            "--case",
            &case_text,
            "--out",
            "rev",
            "--reveal",
            "--key-file",
            "k.keys",
        ],
    );
    assert!(revealed.status.success(), "{}", text(&revealed));
    let page = std::fs::read_to_string(dir.path().join("rev/bundle.html")).unwrap();
    assert!(page.contains("PERSONAL DATA REVEALED"));
    let rev: Value = serde_json::from_slice(&std::fs::read(dir.path().join("rev/bundle.json")).unwrap()).unwrap();
    assert_eq!(rev["personal_data"], "revealed");

    // Refusals: an unknown case, --reveal without the keys.
    let unknown = iou(
        dir.path(),
        &["cases", "export", "--data", "data", "--case", "999999999", "--out", "x"],
    );
    assert!(
        !unknown.status.success() && text(&unknown).contains("no case 999999999"),
        "{}",
        text(&unknown)
    );
    let no_keys = iou(
        dir.path(),
        &[
            "cases", "export", "--data", "data", "--case", &case_text, "--out", "x", "--reveal",
        ],
    );
    assert!(!no_keys.status.success(), "{}", text(&no_keys));
    assert!(!dir.path().join("x").exists(), "nothing written on a refusal");
}

/// The digest; what it is taken over (the compact document without `hash`) is the test's own.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
