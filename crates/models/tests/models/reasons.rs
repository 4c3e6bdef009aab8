//! Reason-code snapshots: the first rows of each data set under each shipped model, with band,
//! score and the top three reasons, compared with `tests/models/reasons.snap`. Rewrite the
//! snapshot after retraining with `UPDATE_SNAPSHOTS=1 cargo test -p models`.

use std::fmt::Write;

use models::{Attribution, Options, Scored};

use crate::support::{DATA_SETS, Table, data_csv, load, model_dir, read_file};

const ROWS: usize = 6;

#[test]
fn reason_codes_of_the_first_rows_match_the_snapshot() {
    let mut text = String::new();
    for (data, _) in DATA_SETS {
        let table = Table::read(&data_csv(data));
        for (file, attribution) in [
            ("scorecard.json", Attribution::Path),
            ("lightgbm.json", Attribution::Path),
            ("lightgbm.json", Attribution::Shap),
        ] {
            let model = load(data, file);
            let (mut ws, mut out) = (model.workspace(), Scored::default());
            let options = Options {
                reasons: 3,
                attribution,
            };
            for (i, row) in table.rows(&model).iter().take(ROWS).enumerate() {
                model.score_into(row, options, &mut ws, &mut out);
                let reasons: Vec<String> = out
                    .reasons
                    .iter()
                    .map(|r| format!("{} {} {:.2}", r.code, r.feature, r.points))
                    .collect();
                let method = if model.kind() == "scorecard" {
                    "points".to_owned()
                } else {
                    format!("{attribution:?}")
                };
                writeln!(
                    text,
                    "{data} {} {method} row {i}: band {} score {:.2} pd {:.4} | {}",
                    model.kind(),
                    out.band,
                    out.score,
                    out.pd,
                    reasons.join("; ")
                )
                .expect("write to string");
            }
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/reasons.snap");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).expect("write snapshot");
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        text, want,
        "reason snapshot changed; rerun with UPDATE_SNAPSHOTS=1 if intended"
    );
}

#[test]
fn scorecard_reasons_are_the_points_given_up_against_each_features_best_bin() {
    // Recomputed from scorecard.json read as plain JSON and from optbinning's bins in
    // expected.csv: lost = best points of the feature - points of the row's bin.
    for (data, _) in DATA_SETS {
        let model = load(data, "scorecard.json");
        let card: serde_json::Value =
            serde_json::from_str(&read_file(&model_dir(data).join("scorecard.json"))).expect("json");
        let expected = Table::read(&model_dir(data).join("expected.csv"));
        let table = Table::read(&data_csv(data));
        let (mut ws, mut out) = (model.workspace(), Scored::default());
        for (i, row) in table.rows(&model).iter().enumerate().take(200) {
            let mut lost: Vec<(f64, &str)> = Vec::new();
            for f in card["features"].as_array().expect("features") {
                let points = |v: &serde_json::Value| v["points"].as_f64().expect("points");
                let bins = f["bins"].as_array().expect("bins");
                let mut best = bins.iter().map(points).fold(f64::NEG_INFINITY, f64::max);
                if f["missing"]["count"].as_u64() > Some(0) {
                    best = best.max(points(&f["missing"]));
                }
                let name = f["name"].as_str().expect("name");
                let actual = match expected.get(i, &format!("bin:{name}")) {
                    "M" => points(&f["missing"]),
                    "U" => points(&f["unseen"]),
                    b => points(&bins[b.parse::<usize>().expect("bin index")]),
                };
                if best - actual > 0.0 {
                    lost.push((best - actual, f["code"].as_str().expect("code")));
                }
            }
            lost.sort_by(|a, b| b.0.total_cmp(&a.0));
            lost.truncate(3);
            model.score_into(row, Options::default(), &mut ws, &mut out);
            let got: Vec<(f64, &str)> = out.reasons.iter().map(|r| (r.points, r.code)).collect();
            assert_eq!(got, lost, "{data} row {i}");
        }
    }
}
