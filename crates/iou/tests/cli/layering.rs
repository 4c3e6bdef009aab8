//! The layering ARCHITECTURE.md's code map claims, checked on the resolved dependency graph
//! (`cargo metadata`, `cargo tree`) and on the API's sources, so that each crate's "must never know" stays
//! true:
//! - which of our crates each crate may use directly ([`LAYERS`]; a new crate must be added);
//! - what the sans-IO crates must never reach, even through a third-party crate ([`SANS_IO`]);
//! - what a crate must not use directly ([`NOT_DIRECTLY`]);
//! - what `crates/api/src` must not name ([`API_MUST_NOT_NAME`]), and what its routes must not
//!   name ([`ROUTES_MUST_NOT_NAME`]).
//!
//! Today's known breaches are listed in one place, [`EXCEPTIONS`], each with the issue item that
//! removes it. Anything else fails, and so does an exception that no longer happens (delete it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Each of our crates, lowest first, with the crates of ours it may use (normal dependencies;
/// dev-dependencies are free).
const LAYERS: &[(&str, &[&str])] = &[
    ("seeded", &[]),
    ("vault", &[]),
    ("money", &[]),
    ("credit", &["money"]),
    ("bureau", &["credit", "money", "seeded"]),
    ("risk", &["money", "seeded"]),
    ("models", &[]),
    ("identity", &["seeded", "vault"]),
    ("funding", &["identity", "money"]),
    ("notify", &["credit", "identity", "money"]),
    ("settlement", &["credit", "money"]),
    ("store", &["credit", "money", "seeded"]),
    ("audit", &["store"]),
    // Collections' strategy table, situations and promises: the credit core's accounts, the
    // risk crate's one zen-engine wrapper; no store, no engine (the API and the simulator hand
    // it accounts and days).
    ("collections", &["credit", "money", "risk"]),
    // The engine scores the fraud model at the payment checkpoint (`engine::fraud_model`):
    // `models` parses and evaluates the LightGBM files; the engine maps its named inputs to the
    // rules' field table and journals the score.
    (
        "engine",
        &["credit", "models", "money", "risk", "seeded", "settlement", "store"],
    ),
    ("stream", &["engine", "store"]),
    (
        "onboarding",
        &[
            "credit", "engine", "identity", "models", "money", "risk", "seeded", "vault",
        ],
    ),
    (
        "api",
        &[
            "audit",
            "collections",
            "credit",
            "engine",
            "funding",
            "identity",
            "money",
            "notify",
            "onboarding",
            "risk",
            "seeded",
            "settlement",
            "store",
            "vault",
        ],
    ),
    (
        "sim",
        &[
            "bureau",
            "collections",
            "credit",
            "engine",
            "money",
            "notify",
            "onboarding",
            "risk",
            "seeded",
            "store",
        ],
    ),
    (
        "bench",
        &[
            "api", "credit", "engine", "models", "money", "risk", "seeded", "store", "vault",
        ],
    ),
    (
        "iou",
        &[
            "api",
            "audit",
            "bench",
            "bureau",
            "credit",
            "engine",
            "funding",
            "identity",
            "models",
            "money",
            "notify",
            "risk",
            "seeded",
            "settlement",
            "sim",
            "store",
            "stream",
            "vault",
        ],
    ),
];

/// Crates that do IO, speak HTTP or SQL, run an async runtime or draw OS randomness.
const IO: &[&str] = &[
    "tokio",
    "mio",
    "rusqlite",
    "libsqlite3-sys",
    "reqwest",
    "hyper",
    "axum",
    "getrandom",
    "rand",
];

/// The crates that must reach none of [`IO`], directly or through anything they use, with what
/// else each must never reach (money knows no dates).
const SANS_IO: &[(&str, &[&str])] = &[
    ("seeded", &[]),
    ("money", &["jiff"]),
    ("credit", &[]),
    ("bureau", &[]),
    ("settlement", &[]),
    ("risk", &[]),
    ("models", &[]),
    ("collections", &[]),
];

/// Third-party crates a crate must not use directly (it may reach them through a lower crate).
const NOT_DIRECTLY: &[(&str, &[&str])] = &[
    // The engine knows no HTTP and no JSON.
    ("engine", &["axum", "hyper", "reqwest", "serde_json"]),
    // The audit log knows no HTTP and reaches storage only through the store's traits.
    ("audit", &["axum", "hyper", "reqwest", "tokio", "rusqlite"]),
    // The store knows no HTTP.
    ("store", &["axum", "hyper", "reqwest", "tokio"]),
    // Identity knows no storage.
    ("identity", &["rusqlite"]),
    // The API sees stores only through the store's traits.
    ("api", &["rusqlite", "libsqlite3-sys"]),
];

/// Words no file of `crates/api/src` may contain: SQLite types and the journal's encoding.
const API_MUST_NOT_NAME: &[&str] = &["rusqlite", "Sqlite", "BatchBody"];

/// Words no file of `crates/api/src/http/routes` may contain: journal ops and credit events.
/// A route asks the engine with a typed ask (`engine::ask`) and reads its typed reply; the
/// simulation routes and the webhooks, which render the journal, live elsewhere.
const ROUTES_MUST_NOT_NAME: &[&str] = &["Op::", "engine::Op", "Event::"];

/// Known breaches: (crate or `crates/api/src` file, what it reaches or names). Remove a line
/// when its fix lands.
const EXCEPTIONS: &[(&str, &str)] = &[
    // zen-engine 2.1.6 (the newest) depends on reqsign, reqwest, tokio and rand
    // unconditionally: its `default` feature list is empty, so no feature can turn them off.
    // The risk core never calls them (its evaluation is synchronous and sans-IO); they leave
    // only with zen-engine itself, or with an upstream release that puts its HTTP function
    // node behind a feature (issue 14 item 9).
    ("risk", "tokio"),
    ("risk", "mio"),
    ("risk", "reqwest"),
    ("risk", "hyper"),
    ("risk", "getrandom"),
    ("risk", "rand"),
    // The same zen-engine, reached by collections' strategy table through risk's wrapper
    // (the same fix removes these).
    ("collections", "tokio"),
    ("collections", "mio"),
    ("collections", "reqwest"),
    ("collections", "hyper"),
    ("collections", "getrandom"),
    ("collections", "rand"),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The host's target triple, so `cargo metadata` resolves for this platform only (and needs
/// no download of other platforms' crates).
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

/// The resolved graph: package name by id, and each package's dependencies (name, normal?).
struct Graph {
    names: BTreeMap<String, String>,
    deps: BTreeMap<String, Vec<(String, bool)>>,
}

fn graph() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host(),
        ])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let names = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect::<BTreeMap<_, _>>();
    let mut deps = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().expect("resolve nodes") {
        let edges = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let normal = d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
                (names[d["pkg"].as_str().unwrap()].clone(), normal)
            })
            .collect();
        deps.insert(names[node["id"].as_str().unwrap()].clone(), edges);
    }
    Graph { names, deps }
}

impl Graph {
    /// What `krate` uses directly (normal dependencies).
    fn direct(&self, krate: &str) -> BTreeSet<String> {
        self.deps[krate]
            .iter()
            .filter(|(_, normal)| *normal)
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// Everything `krate` reaches through normal dependencies, with the features `krate` itself
/// turns on (`cargo tree -p`; `cargo metadata` unifies features over the whole workspace, so
/// there `money` would seem to reach `rand` through zen-engine's features of rust_decimal).
fn reaches(krate: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .args(["--target", &host(), "-p", krate])
        .current_dir(workspace())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != krate)
        .map(str::to_owned)
        .collect()
}

/// Collects the breaches; fails on any not in [`EXCEPTIONS`] and on any exception not seen.
fn judge(breaches: BTreeSet<(String, String)>, kinds: &[&str]) {
    let excused: BTreeSet<(String, String)> = EXCEPTIONS
        .iter()
        .filter(|(_, what)| kinds.contains(what))
        .map(|(who, what)| ((*who).to_owned(), (*what).to_owned()))
        .collect();
    let new: Vec<_> = breaches.difference(&excused).collect();
    let stale: Vec<_> = excused.difference(&breaches).collect();
    assert!(new.is_empty(), "layering broken (who, what): {new:?}");
    assert!(stale.is_empty(), "fixed, remove from EXCEPTIONS: {stale:?}");
}

#[test]
fn each_crate_uses_only_the_crates_below_it_that_it_may() {
    let g = graph();
    let ours: BTreeSet<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    let workspace = g
        .names
        .iter()
        .filter(|(id, _)| id.starts_with("path+file://"))
        .map(|(_, name)| name.as_str())
        .collect::<BTreeSet<_>>();
    let unknown: Vec<_> = workspace.difference(&ours).collect();
    assert!(
        unknown.is_empty(),
        "crates missing from LAYERS (add each with what it may use): {unknown:?}"
    );
    for (krate, allowed) in LAYERS {
        let used: BTreeSet<String> = g
            .direct(krate)
            .into_iter()
            .filter(|d| ours.contains(d.as_str()))
            .collect();
        let extra: Vec<_> = used.iter().filter(|d| !allowed.contains(&d.as_str())).collect();
        assert!(extra.is_empty(), "{krate} must not use {extra:?}");
    }
}

#[test]
fn the_sans_io_crates_reach_no_io_even_through_others() {
    let mut breaches = BTreeSet::new();
    for (krate, also) in SANS_IO {
        let reached = reaches(krate);
        for never in IO.iter().chain(also.iter()) {
            if reached.contains(*never) {
                breaches.insert(((*krate).to_owned(), (*never).to_owned()));
            }
        }
    }
    let kinds: Vec<&str> = IO
        .iter()
        .chain(SANS_IO.iter().flat_map(|(_, also)| also.iter()))
        .copied()
        .collect();
    judge(breaches, &kinds);
}

#[test]
fn crates_do_not_use_directly_what_they_must_not_know() {
    let g = graph();
    for (krate, never) in NOT_DIRECTLY {
        let direct = g.direct(krate);
        let used: Vec<_> = never.iter().filter(|n| direct.contains(**n)).collect();
        assert!(used.is_empty(), "{krate} must not use {used:?} directly");
    }
}

/// Every `.rs` file under `dir`, as paths relative to `root`.
fn sources(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn the_api_names_no_sqlite_type_and_no_journal_encoding() {
    let root = workspace().join("crates/api/src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let mut breaches = BTreeSet::new();
    for (name, text) in files {
        for word in API_MUST_NOT_NAME {
            if text.contains(word) {
                breaches.insert((name.clone(), (*word).to_owned()));
            }
        }
    }
    judge(breaches, API_MUST_NOT_NAME);
}

#[test]
fn the_api_routes_name_no_journal_op_and_no_credit_event() {
    let root = workspace().join("crates/api/src/http/routes");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 10, "the routes are where they were: {}", root.display());
    let mut breaches = BTreeSet::new();
    for (name, text) in files {
        for word in ROUTES_MUST_NOT_NAME {
            if text.contains(word) {
                breaches.insert((format!("routes/{name}"), (*word).to_owned()));
            }
        }
    }
    judge(breaches, ROUTES_MUST_NOT_NAME);
}
