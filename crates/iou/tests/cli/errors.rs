//! Error lines name each cause once: a library error's message never repeats its source
//! (the binary prints the chain with `{:#}`, which adds each source itself).

use std::process::Command;

/// Runs `iou args` expecting a failure; returns its stderr.
fn failing(args: &[&str]) -> String {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(args)
        .current_dir(data.path())
        .env("RUST_LOG", "off")
        .env_remove("IOU_ADMIN_TOKEN")
        .output()
        .expect("iou runs");
    assert!(!output.status.success(), "iou {args:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_each_cause_once(stderr: &str, path: &str) {
    assert!(stderr.contains(path), "{stderr}");
    assert_eq!(stderr.matches("No such file or directory").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

#[test]
fn a_missing_rules_folder_is_named_once_with_its_cause_once() {
    let stderr = failing(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data",
        "data",
        "--rules",
        "/nonexistent-dir",
    ]);
    assert_each_cause_once(&stderr, "/nonexistent-dir");
}

#[test]
fn a_missing_model_file_is_named_once_with_its_cause_once() {
    let stderr = failing(&["score", "--model", "/nonexistent", "--input", "/nonexistent.csv"]);
    assert_each_cause_once(&stderr, "/nonexistent");
}

#[test]
fn no_risk_and_a_rules_folder_do_not_go_together() {
    let stderr = failing(&["serve", "--no-risk", "--rules", "rules"]);
    assert!(stderr.contains("--no-risk") && stderr.contains("--rules"), "{stderr}");
}
