//! `iou plan` end to end: schedules printed by the binary compared with the numpy-financial
//! oracle (`crates/money/tests/data/schedules.json`), the JSON and table forms, and one clear
//! stderr line with a non-zero exit and nothing on stdout for every bad argument list.

use std::process::{Command, Output};

use serde_json::Value;

const ORACLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../money/tests/data/schedules.json"
));
/// Every this-many-th oracle case goes through the binary (about 40 of the 300-odd).
const CASE_STRIDE: usize = 8;
/// The largest accepted gap between the printed APR and numpy-financial's float.
const APR_TOLERANCE: f64 = 1e-6;

fn iou_plan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iou"))
        .arg("plan")
        .args(args)
        .output()
        .expect("iou runs")
}

fn oracle_cases() -> Vec<Value> {
    let file: Value = serde_json::from_str(ORACLE).expect("schedules.json is valid JSON");
    file["cases"].as_array().expect("schedules.json has cases").clone()
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("oracle case without {key}: {case}"))
}

/// The flags that ask `iou plan` for an oracle case's schedule.
fn case_args(case: &Value) -> Vec<String> {
    vec![
        "--method".into(),
        text(case, "method").into(),
        "--principal".into(),
        text(case, "principal").into(),
        "--periods".into(),
        case["periods_count"].to_string(),
        format!("--{}", text(case, "rate_flag")),
        text(case, "rate").into(),
    ]
}

fn run_case(case: &Value, extra: &[&str]) -> String {
    let args = case_args(case);
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend_from_slice(extra);
    let out = iou_plan(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "iou plan {all:?} failed: {stderr}"
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

fn selected_cases() -> Vec<Value> {
    oracle_cases().into_iter().step_by(CASE_STRIDE).collect()
}

#[test]
fn json_matches_the_oracle_through_the_binary() {
    let cases = selected_cases();
    assert!(cases.len() >= 30, "only {} oracle cases selected", cases.len());
    for method in ["flat-fee", "annuity", "equal-principal"] {
        for flag in ["fee-rate", "annual-rate"] {
            let covered = cases.iter().any(|c| c["method"] == method && c["rate_flag"] == flag);
            assert!(covered, "no selected case for {method} with --{flag}");
        }
    }
    for case in &cases {
        let stdout = run_case(case, &["--json"]);
        assert_eq!(stdout.lines().count(), 1, "one JSON line expected: {stdout}");
        let got: Value = serde_json::from_str(&stdout).expect("stdout is one JSON object");
        let name = case_args(case).join(" ");
        for key in ["method", "principal_fen", "periods", "total_cost_fen"] {
            assert_eq!(got[key], case[key], "{name}: {key}");
        }
        let apr: f64 = got["apr"]
            .as_str()
            .expect("apr is a string")
            .parse()
            .expect("apr is a number");
        let want = case["apr"].as_f64().expect("oracle apr");
        assert!((apr - want).abs() <= APR_TOLERANCE, "{name}: apr {apr}, oracle {want}");
    }
    eprintln!("checked {} oracle schedules through iou plan --json", cases.len());
}

#[test]
fn baitiao_example_prints_the_documented_object() {
    let out = iou_plan(&[
        "--method",
        "flat-fee",
        "--principal",
        "10000.00",
        "--periods",
        "12",
        "--fee-rate",
        "0.6%",
        "--json",
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let start = r#"{"method": "flat-fee", "principal_fen": 1000000, "periods": [{"n": 1, "principal_fen": 83333, "fee_fen": 6000, "interest_fen": 0, "payment_fen": 89333}, "#;
    let end = r#"{"n": 12, "principal_fen": 83337, "fee_fen": 6000, "interest_fen": 0, "payment_fen": 89337}], "total_cost_fen": 72000, "apr": "0.130342"}"#;
    assert!(stdout.starts_with(start), "{stdout}");
    assert!(stdout.ends_with(&format!("{end}\n")), "{stdout}");
}

#[test]
fn rate_as_fraction_or_percentage_gives_the_same_plan() {
    let plan = |rate_flag: &str, rate: &str| {
        let out = iou_plan(&[
            "--method",
            "annuity",
            "--principal",
            "1234.56",
            "--periods",
            "9",
            rate_flag,
            rate,
            "--json",
        ]);
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(plan("--fee-rate", "0.6%"), plan("--fee-rate", "0.006"));
    assert_eq!(plan("--annual-rate", "12%"), plan("--fee-rate", "1%"));
    assert_eq!(plan("--annual-rate", "0.18"), plan("--fee-rate", "1.5%"));
}

/// The table's cells for one row: the label and the four amounts as printed.
fn table_row(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn yuan(fen: &Value) -> String {
    let fen = fen.as_i64().expect("fen");
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[test]
fn table_matches_the_oracle() {
    let cases = oracle_cases();
    for case in cases.iter().skip(3).step_by(37) {
        let stdout = run_case(case, &[]);
        let lines: Vec<&str> = stdout.lines().collect();
        let periods = case["periods"].as_array().expect("periods");
        let name = case_args(case).join(" ");
        assert_eq!(
            lines.len(),
            periods.len() + 4,
            "{name}: header, column names, rows, total, APR\n{stdout}"
        );
        let header = lines[0];
        assert!(
            header.contains(text(case, "method")) && header.contains(text(case, "principal")),
            "{header}"
        );
        let per = if case["rate_flag"] == "fee-rate" {
            "per period"
        } else {
            "a year"
        };
        assert!(header.contains(per), "{name}: {header}");
        for (line, period) in lines[2..].iter().zip(periods) {
            let want = [
                &period["n"].to_string(),
                &yuan(&period["principal_fen"]),
                &yuan(&period["fee_fen"]),
                &yuan(&period["interest_fen"]),
                &yuan(&period["payment_fen"]),
            ];
            assert_eq!(table_row(line), want, "{name}");
        }
        let total = table_row(lines[periods.len() + 2]);
        assert_eq!(total[0], "total", "{name}");
        assert_eq!(total[1], yuan(&case["principal_fen"]), "{name}");
        let last = lines[periods.len() + 3];
        assert!(
            last.contains(&format!("total cost {} yuan", yuan(&case["total_cost_fen"]))),
            "{name}: {last}"
        );
        let percent: f64 = last
            .split_whitespace()
            .find_map(|word| word.strip_suffix('%'))
            .expect("an APR percentage")
            .parse()
            .expect("a number");
        let want = case["apr"].as_f64().expect("oracle apr") * 100.0;
        assert!(
            (percent - want).abs() <= APR_TOLERANCE * 100.0,
            "{name}: {last}, oracle {want}%"
        );
    }
}

#[test]
fn table_shows_the_baitiao_apr_as_a_percentage() {
    let out = iou_plan(&[
        "--method",
        "flat-fee",
        "--principal",
        "10000.00",
        "--periods",
        "12",
        "--fee-rate",
        "0.6%",
    ]);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.starts_with("flat-fee plan: 10000.00 yuan over 12 periods at 0.6% per period\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" total         10000.00           720.00             0.00         10720.00\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("total cost 720.00 yuan, APR 13.0342% (IRR method)\n"),
        "{stdout}"
    );
}

#[test]
fn bad_arguments_exit_non_zero_with_one_line_naming_the_problem() {
    const GOOD: [&str; 8] = [
        "--method",
        "flat-fee",
        "--principal",
        "100.00",
        "--periods",
        "12",
        "--fee-rate",
        "0.6%",
    ];
    // (what is wrong, the arguments, a word the stderr line must hold)
    let with = |flag: &str, value: &str| -> Vec<String> {
        let mut args: Vec<String> = GOOD.iter().map(|s| s.to_string()).collect();
        let at = args.iter().position(|a| a == flag).expect("flag in GOOD");
        args[at + 1] = value.to_owned();
        args
    };
    let without = |flag: &str| -> Vec<String> {
        let at = GOOD.iter().position(|a| *a == flag).expect("flag in GOOD");
        GOOD.iter()
            .enumerate()
            .filter(|(i, _)| *i != at && *i != at + 1)
            .map(|(_, s)| s.to_string())
            .collect()
    };
    let plus = |extra: &[&str]| -> Vec<String> { GOOD.iter().chain(extra).map(|s| s.to_string()).collect() };
    let table: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "negative principal",
            with("--principal", "-5.00"),
            "--principal: principal must be positive",
        ),
        (
            "zero principal",
            with("--principal", "0"),
            "--principal: principal must be positive",
        ),
        (
            "zero principal with decimals",
            with("--principal", "0.00"),
            "must be positive",
        ),
        (
            "non-numeric principal",
            with("--principal", "abc"),
            "--principal: amount \"abc\"",
        ),
        ("principal with a comma", with("--principal", "1,000"), "--principal"),
        (
            "principal in scientific notation",
            with("--principal", "1e3"),
            "--principal",
        ),
        (
            "three decimals",
            with("--principal", "1.234"),
            "more than two decimal places",
        ),
        (
            "principal too large",
            with("--principal", "10000000000.01"),
            "larger than the largest",
        ),
        (
            "empty principal",
            with("--principal", ""),
            "--principal: amount is empty",
        ),
        (
            "zero periods",
            with("--periods", "0"),
            "--periods: periods must be between 1 and 24, got 0",
        ),
        (
            "25 periods",
            with("--periods", "25"),
            "--periods: periods must be between 1 and 24, got 25",
        ),
        ("negative periods", with("--periods", "-3"), "--periods: \"-3\""),
        ("fractional periods", with("--periods", "1.5"), "--periods"),
        ("non-numeric periods", with("--periods", "twelve"), "--periods"),
        ("periods with a plus", with("--periods", "+12"), "--periods"),
        ("huge periods", with("--periods", "99999999999"), "--periods"),
        (
            "non-numeric rate",
            with("--fee-rate", "abc"),
            "--fee-rate: rate \"abc\"",
        ),
        ("negative rate", with("--fee-rate", "-1%"), "--fee-rate"),
        ("rate too fine", with("--fee-rate", "0.00001%"), "finer than"),
        ("rate too large", with("--fee-rate", "1000.0001%"), "above the largest"),
        (
            "a bare 12 is ambiguous, not 1200%",
            [without("--fee-rate"), vec!["--annual-rate".into(), "12".into()]].concat(),
            "--annual-rate: rate \"12\" is ambiguous",
        ),
        ("rate missing", without("--fee-rate"), "missing rate"),
        ("both rates", plus(&["--annual-rate", "12%"]), "not both"),
        (
            "unknown method",
            with("--method", "bullet"),
            "--method: unknown method \"bullet\"",
        ),
        ("method in capitals", with("--method", "FLAT-FEE"), "--method"),
        ("method missing", without("--method"), "missing --method"),
        ("principal missing", without("--principal"), "missing --principal"),
        ("periods missing", without("--periods"), "missing --periods"),
        ("no arguments", vec![], "missing --method"),
        ("unknown flag", plus(&["--verbose"]), "unexpected argument '--verbose'"),
        (
            "repeated flag",
            plus(&["--periods", "6"]),
            "'--periods <N>' cannot be used multiple times",
        ),
        (
            "flag without its value",
            plus(&["--annual-rate"]),
            "a value is required for '--annual-rate",
        ),
        ("stray word", plus(&["please"]), "unexpected argument 'please'"),
    ];
    for (what, args, needle) in &table {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = iou_plan(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: {args:?} succeeded");
        assert!(
            out.stdout.is_empty(),
            "{what}: stdout {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(stderr.lines().count(), 1, "{what}: stderr is not one line: {stderr:?}");
        assert!(
            stderr.ends_with('\n') && stderr.starts_with("error: "),
            "{what}: {stderr:?}"
        );
        assert!(stderr.contains(needle), "{what}: {stderr:?} does not hold {needle:?}");
    }
    eprintln!("checked {} bad argument lists", table.len());
}

#[test]
fn help_goes_to_stdout_and_succeeds() {
    let out = iou_plan(&["--help"]);
    assert!(out.status.success() && out.stderr.is_empty());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    for flag in [
        "--method",
        "--principal",
        "--periods",
        "--fee-rate",
        "--annual-rate",
        "--json",
    ] {
        assert!(stdout.contains(flag), "help lacks {flag}: {stdout}");
    }
}
