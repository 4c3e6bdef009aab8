//! `iou simulate --data` settles its merchants (campaign subsidies included) on the SQLite store;
//! `iou ledger trial-balance` then proves debits = credits over both ledgers with 0
//! reconciliation breaks and writes the general ledger; a fen taken out of a settled day with
//! SQL is reported as a break to the fen; `iou settle` settles later days once and refuses a day
//! that is not over.

use std::path::Path;
use std::process::{Command, Output};

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

#[test]
fn the_trial_balance_balances_and_an_injected_break_is_reported_to_the_fen() {
    let dir = tempfile::tempdir().unwrap();
    let sim = iou(
        dir.path(),
        &[
            "simulate", "--users", "120", "--days", "15", "--data", "data", "--json", "--report", "r.html",
        ],
    );
    assert!(sim.status.success(), "{}", text(&sim));
    let figures: serde_json::Value = serde_json::from_slice(&sim.stdout).unwrap();
    let s = &figures["settlement"];
    let fen = |k: &str| s[k].as_i64().unwrap();
    assert_eq!(
        fen("captured_fen") - fen("refunded_fen") - fen("merchant_fees_fen") - fen("subsidies_fen"),
        fen("paid_out_fen") + fen("payable_fen"),
        "{s}"
    );

    assert!(
        fen("subsidies_fen") > 0,
        "the simulator's campaign merchants paid subsidies: {s}"
    );

    let trial = iou(
        dir.path(),
        &[
            "ledger",
            "trial-balance",
            "--data",
            "data",
            "--date",
            "2026-01-15",
            "--gl",
            "gl.csv",
        ],
    );
    let out = text(&trial);
    assert!(trial.status.success(), "{out}");
    assert!(out.contains("debits = credits; reconciliation: 0 breaks"), "{out}");
    for account in [
        "merchant_payable",
        "merchant_fee_income",
        "campaign_subsidy_income",
        "payout_clearing",
        "principal_receivable",
    ] {
        assert!(out.contains(account), "{account}: {out}");
    }
    let gl = std::fs::read_to_string(dir.path().join("gl.csv")).unwrap();
    assert!(gl.starts_with("day,ledger,account,debit_fen,credit_fen\n"), "{gl}");
    assert!(gl.contains(",customer,merchant_payable,") && gl.contains(",settlement,merchant_fee_income,"));

    let later = iou(
        dir.path(),
        &["settle", "--data", "data", "--date", "2026-01-20", "--pay-simulated"],
    );
    assert!(later.status.success(), "{}", text(&later));
    assert!(text(&later).contains("days settled: 5"), "{}", text(&later));
    let again = iou(dir.path(), &["settle", "--data", "data", "--date", "2026-01-20"]);
    assert!(
        text(&again).contains("days settled: 0; merchant days: 0"),
        "{}",
        text(&again)
    );
    let future = iou(dir.path(), &["settle", "--data", "data", "--date", "2999-01-01"]);
    assert!(
        !future.status.success() && text(&future).contains("not over yet"),
        "{}",
        text(&future)
    );

    let db = rusqlite::Connection::open(dir.path().join("data").join("settlement.db")).unwrap();
    db.execute(
        "UPDATE settlements SET captured_fen = captured_fen - 1
         WHERE rowid = (SELECT min(rowid) FROM settlements WHERE captured_fen > 0)",
        [],
    )
    .unwrap();
    drop(db);
    let broken = iou(
        dir.path(),
        &["ledger", "trial-balance", "--data", "data", "--date", "2026-01-20"],
    );
    let out = text(&broken);
    assert!(!broken.status.success(), "{out}");
    assert!(
        out.contains("break captured:") && out.contains("(difference -0.01)"),
        "{out}"
    );
}
