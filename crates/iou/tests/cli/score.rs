//! `iou score` end to end: the shipped models scored over their data sets through the binary,
//! each row's pd equal to the Python oracle (`models/<data>/expected.csv`), the text and JSON
//! line formats, and one clear error line with a non-zero exit for bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn iou_score(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iou"))
        .arg("score")
        .args(args)
        .current_dir(root())
        .output()
        .expect("iou runs")
}

fn stdout_lines(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "iou score failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Column `name` of the Python oracle for `data`, one value per row.
fn expected(data: &str, name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(root().join("models").join(data).join("expected.csv")).expect("expected.csv");
    let mut lines = text.lines();
    let column = lines
        .next()
        .expect("header")
        .split(',')
        .position(|h| h == name)
        .expect("column");
    lines
        .map(|l| l.split(',').nth(column).expect("cell").parse().expect("number"))
        .collect()
}

#[test]
fn json_lines_carry_the_python_probabilities_for_every_row() {
    let cases = [
        ("german_credit", "models/german_credit", "sc_pd"),
        ("german_credit", "models/german_credit/lightgbm.json", "lgb_pd"),
        ("credit_data_es", "models/credit_data_es/scorecard.json", "sc_pd"),
        ("credit_data_es", "models/credit_data_es/lightgbm.json", "lgb_pd"),
    ];
    for (data, model, column) in cases {
        let input = format!("../shared/data/{data}.csv");
        let lines = stdout_lines(&iou_score(&["--model", model, "--input", &input, "--json"]));
        let want = expected(data, column);
        assert_eq!(lines.len(), want.len(), "{model}: one line per row");
        for (i, (line, want)) in lines.iter().zip(&want).enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
            let pd = v["pd"].as_f64().expect("pd");
            assert!((pd - want).abs() <= 1e-12, "{model} row {}: pd {pd} want {want}", i + 1);
            assert!(
                v["score"].is_number() && v["band"].is_string(),
                "{model} row {}: {line}",
                i + 1
            );
            let reasons = v["reasons"].as_array().expect("reasons");
            assert!(
                reasons.len() <= 3
                    && reasons
                        .iter()
                        .all(|r| r["code"].is_string() && r["points"].as_f64() > Some(0.0))
            );
        }
    }
}

#[test]
fn text_lines_show_pd_score_band_and_reasons() {
    let out = iou_score(&[
        "--model",
        "models/credit_data_es",
        "--input",
        "../shared/data/credit_data_es.csv",
    ]);
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 4454);
    assert_eq!(
        lines[0],
        "row 1: pd 0.192643 score 528 band C reasons: R03 Time (-33.2), R10 Assets (-25.9), R01 Seniority (-17.6)"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("scorecard") && stderr.contains("ignoring Status, Debt"),
        "{stderr}"
    );
}

#[test]
fn bad_input_gives_one_error_line_and_a_failing_exit() {
    let dir = std::env::temp_dir().join(format!("iou-score-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    };
    let german = std::fs::read_to_string(root().join("../shared/data/german_credit.csv")).expect("data");
    let no_age = german.replace("age_in_years", "age");
    let bad_number = german.replacen(",6,critical", ",six,critical", 1);
    let cases = [
        (
            "models/german_credit",
            write("no_age.csv", &no_age),
            "missing column(s) the model needs: age_in_years",
        ),
        (
            "models/german_credit",
            write("bad.csv", &bad_number),
            "row 1: column \"duration_in_month\": \"six\" is not a finite number",
        ),
        (
            "models/nowhere",
            "../shared/data/german_credit.csv".to_owned(),
            "model models/nowhere",
        ),
        (
            "models/german_credit/metrics.json",
            "../shared/data/german_credit.csv".to_owned(),
            "neither a scorecard",
        ),
        ("models/german_credit", write("empty.csv", "a,b\n"), "missing column"),
    ];
    for (model, input, want) in cases {
        let out = iou_score(&["--model", model, "--input", &input]);
        assert!(!out.status.success(), "{model} {input}: should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(errors[0].contains(want), "{model} {input}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
