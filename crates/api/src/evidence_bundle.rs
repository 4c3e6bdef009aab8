//! The police evidence bundle (`iou cases export`): for a confirmed fraud ring, one JSON
//! document and one readable HTML page made from a store, offline.
//!
//! The ring is the case asked for, with `ring`: every case linked to it through the case
//! team's links (both ways, transitively: `edge::casework`), and every account that used one of
//! their devices or IP addresses (`engine::ring`). The bundle holds the cases with their notes
//! and links, the accounts (each with why it is in), the devices, IPs and merchants, the
//! transactions, each risk decision with its reasons, features and model scores, and the
//! timeline of every journaled record about the accounts.
//!
//! Schema `iou.evidence_bundle/1`: fields are only ever added. `hash` is the SHA-256 of the
//! document serialized compactly (as this module writes it, keys sorted) without its `hash`
//! member, so a recipient recomputes it. Personal data is masked: IPv4 addresses to their /24
//! (`203.0.113.x`), IPv6 to their /48, and a customer's sealed identity is left out, unless
//! `reveal` carries the store's keys: then the identity (name, mobile, ID number, bank card)
//! and full addresses are in, and the bundle and the page say so.
//!
//! Exporting is an audited action: a record `cases.export` (actor as given, target the case,
//! whether personal data was revealed and the bundle's hash) is appended to the store's audit
//! log before the files are written.

mod html;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

use credit::AccountId;
use engine::CaseId;
use engine::ring::RingFacts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::edge::casework::{WORK_PREFIX, Work};
use crate::meta::Meta;

pub const SCHEMA: &str = "iou.evidence_bundle/1";

/// What to export.
pub struct ExportRequest {
    pub case: u64,
    /// Widen to the linked cases and the accounts sharing devices or IPs.
    pub ring: bool,
    /// The store's keys: put personal data in clear.
    pub reveal: Option<Arc<dyn vault::KeyProvider>>,
    /// Who exports (the audit record's actor: an operator name, or `system`).
    pub actor: Option<String>,
}

impl std::fmt::Debug for ExportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRequest")
            .field("case", &self.case)
            .field("ring", &self.ring)
            .field("reveal", &self.reveal.is_some())
            .field("actor", &self.actor)
            .finish()
    }
}

/// The bundle, its page and hash, and the audit record that logged it.
#[derive(Debug)]
pub struct Exported {
    pub bundle: Value,
    pub html: String,
    pub hash: String,
    pub audit_seq: u64,
    pub accounts: usize,
    pub cases: usize,
}

/// Builds the bundle of `request` from `backend`'s journal and meta table and appends the audit
/// record (blocking): what `iou cases export` runs, offline.
pub fn export(backend: &Arc<dyn store::Backend>, request: &ExportRequest) -> Result<Exported, String> {
    let mut built = build(backend, request)?;
    built.audit_seq = audit(backend, request, &built.hash)?;
    Ok(built)
}

/// Builds the bundle of `request` (blocking), without the audit record: the API's route
/// appends it through the server's one auditor (`audit_seq` is 0 here).
pub fn build(backend: &Arc<dyn store::Backend>, request: &ExportRequest) -> Result<Exported, String> {
    let meta = Meta::new(backend.journal().map_err(|e| e.to_string())?);
    let works = load_works(&meta)?;
    let cases = if request.ring {
        linked_cases(&works, request.case)
    } else {
        vec![request.case]
    };
    let mut journal = backend.journal().map_err(|e| e.to_string())?;
    let ids: Vec<CaseId> = cases.iter().map(|c| CaseId(*c)).collect();
    let facts = engine::ring::gather(journal.as_mut(), &ids, request.ring).map_err(|e| e.to_string())?;
    let vault = request
        .reveal
        .as_ref()
        .map(|keys| crate::keys::vault(Some(keys)))
        .transpose()?;
    let mut bundle = document(&facts, &works, request, vault.as_ref().map(|v| (&meta, v)))?;
    let hash = hash_of(&bundle);
    bundle["hash"] = json!({"algorithm": "sha256", "value": hash});
    let html = html::page(&bundle);
    Ok(Exported {
        html,
        hash,
        audit_seq: 0,
        accounts: facts.accounts.len(),
        cases: facts.cases.len(),
        bundle,
    })
}

/// The SHA-256 (hex) of the bundle serialized compactly without `hash`.
pub fn hash_of(bundle: &Value) -> String {
    let mut without = bundle.clone();
    if let Some(map) = without.as_object_mut() {
        map.remove("hash");
    }
    let bytes = serde_json::to_vec(&without).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn load_works(meta: &Meta) -> Result<BTreeMap<u64, Work>, String> {
    let mut works = BTreeMap::new();
    for (key, text) in meta.with_prefix_blocking(WORK_PREFIX).map_err(|e| e.to_string())? {
        let work: Work = serde_json::from_str(&text).map_err(|e| format!("{key}: {e}"))?;
        works.insert(work.case, work);
    }
    Ok(works)
}

/// The case and every case linked to it, either way, transitively; the asked one first.
fn linked_cases(works: &BTreeMap<u64, Work>, case: u64) -> Vec<u64> {
    let mut found = vec![case];
    let mut queue = VecDeque::from([case]);
    while let Some(next) = queue.pop_front() {
        let forward = works.get(&next).map(|w| w.links.clone()).unwrap_or_default();
        let backward = works.values().filter(|w| w.links.contains(&next)).map(|w| w.case);
        for other in forward.into_iter().chain(backward) {
            if !found.contains(&other) {
                found.push(other);
                queue.push_back(other);
            }
        }
    }
    found
}

/// An address as the bundle shows it: whole when revealing, else masked.
fn ip_text(ip: &IpAddr, reveal: bool) -> String {
    match (ip, reveal) {
        (_, true) => ip.to_string(),
        (IpAddr::V4(v4), false) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.x")
        }
        (IpAddr::V6(v6), false) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::x", s[0], s[1], s[2])
        }
    }
}

fn time(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

fn document(
    facts: &RingFacts,
    works: &BTreeMap<u64, Work>,
    request: &ExportRequest,
    reveal: Option<(&Meta, &vault::Vault)>,
) -> Result<Value, String> {
    let revealed = reveal.is_some();
    let ip = |ip: &IpAddr| ip_text(ip, revealed);
    let cases: Vec<Value> = facts
        .cases
        .iter()
        .map(|c| {
            let work = works.get(&c.case.0).cloned().unwrap_or_default();
            json!({
                "case_id": c.case.to_string(), "account": c.account.to_string(),
                "kind": format!("{:?}", c.kind).to_lowercase(), "txn_ids": c.txns.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "opened_at": time(c.opened_at_us), "resolved_at": c.resolved_at_us.map(time),
                "status": match c.confirmed { Some(true) => "confirmed", Some(false) => "rejected", None => "open" },
                "links": work.links.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "notes": work.notes.iter().map(|n| json!({"author": n.author, "at": time(n.at_us), "text": n.text})).collect::<Vec<_>>(),
                "attachments": work.attachments.iter().map(|a| json!({"name": a.name, "sha256": a.sha256, "bytes": a.bytes})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut accounts = Vec::new();
    for (account, why) in &facts.accounts {
        let identity = match reveal {
            Some((meta, vault)) => identity(meta, vault, *account)?,
            None => json!("sealed: masked in this bundle"),
        };
        accounts.push(json!({"account": account.to_string(), "why": why, "identity": identity}));
    }
    let devices: Vec<Value> = facts
        .devices
        .iter()
        .map(|(d, users)| json!({"device": format!("{:016x}", d.0), "accounts": ids(users)}))
        .collect();
    let ips: Vec<Value> = facts
        .ips
        .iter()
        .map(|(address, users)| json!({"ip": ip(address), "accounts": ids(users)}))
        .collect();
    let merchants: Vec<String> = facts.merchants.iter().map(ToString::to_string).collect();
    let transactions: Vec<Value> = facts
        .transactions
        .iter()
        .map(|t| {
            json!({
                "txn_id": t.txn.to_string(), "account": t.account.to_string(), "merchant_id": t.merchant.to_string(),
                "amount_fen": t.amount_fen, "authorized_at": time(t.at_us),
                "later": t.later.iter().map(|(at, what)| json!({"at": time(*at), "what": what})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let decisions: Vec<Value> = facts.decisions.iter().map(|d| json!({
        "at": time(d.at_us), "account": d.account.to_string(), "checkpoint": d.checkpoint, "outcome": d.outcome,
        "reasons": d.reasons, "rules": d.rules, "satisfied_by_step_up": d.satisfied_by_step_up,
        "device": format!("{:016x}", d.device.0), "ip": ip(&d.ip),
        "merchant_id": d.merchant.map(|m| m.to_string()), "amount_fen": d.amount_fen, "txn_id": d.txn.map(|t| t.to_string()),
        "features": d.features, "models": d.models,
    })).collect();
    let timeline: Vec<Value> = timeline(facts, works);
    Ok(json!({
        "schema": SCHEMA,
        "case_id": request.case.to_string(),
        "ring": request.ring,
        "personal_data": if revealed { "revealed" } else { "masked" },
        "summary": {"cases": cases.len(), "accounts": accounts.len(), "devices": devices.len(), "ips": ips.len(),
                    "merchants": merchants.len(), "transactions": transactions.len(), "decisions": decisions.len()},
        "cases": cases, "accounts": accounts, "devices": devices, "ips": ips, "merchants": merchants,
        "transactions": transactions, "decisions": decisions, "timeline": timeline,
    }))
}

fn ids(accounts: &BTreeSet<AccountId>) -> Vec<String> {
    accounts.iter().map(ToString::to_string).collect()
}

fn identity(meta: &Meta, vault: &vault::Vault, account: AccountId) -> Result<Value, String> {
    Ok(match crate::edge::subjects::reveal_blocking(meta, vault, account)? {
        None => Value::Null,
        Some(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::String(v)))
                .collect(),
        ),
    })
}

/// The journal's records about the accounts and the team's notes on the cases, by time.
fn timeline(facts: &RingFacts, works: &BTreeMap<u64, Work>) -> Vec<Value> {
    let mut events: Vec<(i64, Value)> = facts
        .timeline
        .iter()
        .map(|e| {
            let event = json!({"at": time(e.at_us), "account": e.account.to_string(), "what": e.op,
                "outcome": e.outcome, "notices": e.notices});
            (e.at_us, event)
        })
        .collect();
    for case in &facts.cases {
        for note in works.get(&case.case.0).map(|w| w.notes.as_slice()).unwrap_or_default() {
            let event = json!({"at": time(note.at_us), "case_id": case.case.to_string(),
                "what": "note", "outcome": "ok", "notices": [format!("{}: {}", note.author, note.text)]});
            events.push((note.at_us, event));
        }
    }
    events.sort_by_key(|(at, _)| *at);
    events.into_iter().map(|(_, e)| e).collect()
}

fn audit(backend: &Arc<dyn store::Backend>, request: &ExportRequest, hash: &str) -> Result<u64, String> {
    let clock = Arc::new(jiff::Timestamp::now);
    let auditor = audit::Auditor::open(backend.as_ref(), audit::AuditConfig::default(), None, clock)
        .map_err(|e| format!("opening the audit log: {e}"))?;
    let actor = match &request.actor {
        Some(name) => audit::Actor::operator(name).map_err(|e| e.to_string())?,
        None => audit::Actor::System,
    };
    let target = audit::Target::new(&format!("case:{}", request.case)).map_err(|e| e.to_string())?;
    let detail = audit::Detail::new()
        .with("ring", &request.ring.to_string())
        .and_then(|d| {
            d.with(
                "personal_data",
                if request.reveal.is_some() { "revealed" } else { "masked" },
            )
        })
        .and_then(|d| d.with("sha256", hash))
        .map_err(|e| e.to_string())?;
    let action = audit::Action::new("cases.export").map_err(|e| e.to_string())?;
    auditor
        .record(&actor, &action, &target, &detail, audit::Outcome::Ok)
        .map_err(|e| format!("appending the audit record: {e}"))
}
