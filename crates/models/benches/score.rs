//! Scoring speed of the shipped models on their training data, in nanoseconds per row (fastest of 7 samples):
//! reading a row from its CSV cells; scoring without reasons (over all rows, and one row
//! repeated, which keeps the caches and branch predictors warm); scoring with the top 3 reasons
//! by path attribution and by TreeSHAP.
//!
//! The fraud model (`models/fraud`) first, on its 500 held-out rows.
//!
//! Run: `cargo bench -p models --bench score` (needs ../shared/data beside the checkout).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use models::{Attribution, Model, Options, Row, Scored};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // The fraud model on its held-out rows (`models/fraud/expected.csv`: the inputs by name).
    let (header, records) = read_csv(&root.join("models/fraud/expected.csv"));
    let model = models::dir::load(&root.join("models/fraud")).expect("the fraud model loads");
    bench_model("fraud", &model, &header, &records);
    for (data, _) in [("german_credit", "creditability"), ("credit_data_es", "Status")] {
        let csv_path = root.join("../shared/data").join(format!("{data}.csv"));
        let (header, records) = read_csv(&csv_path);
        for file in ["scorecard.json", "lightgbm.json"] {
            let model = models::dir::load(&root.join("models").join(data).join(file)).expect("model loads");
            bench_model(data, &model, &header, &records);
        }
    }
}

fn bench_model(data: &str, model: &Model, header: &[String], records: &[csv::StringRecord]) {
    let schema = model.schema();
    let binding = schema.bind(header).expect("columns bind");
    let mut row = schema.empty_row();
    let rows: Vec<Row> = records
        .iter()
        .map(|r| {
            binding.fill(schema, |i| r.get(i), &mut row).expect("row reads");
            row.clone()
        })
        .collect();
    let mut ws = model.workspace();
    let mut out = Scored::default();
    let name = format!("{data}/{}", model.kind());

    let read = time(records.len(), || {
        for r in records {
            binding.fill(schema, |i| r.get(i), &mut row).expect("row reads");
            black_box(&row);
        }
    });
    let (mut ws2, mut out2) = (model.workspace(), Scored::default());
    let same = time(rows.len(), || {
        for _ in &rows {
            model.score_into(
                black_box(&rows[7]),
                Options {
                    reasons: 0,
                    ..Options::default()
                },
                &mut ws2,
                &mut out2,
            );
            black_box(&out);
        }
    });
    let mut score_with = |options: Options| {
        time(rows.len(), || {
            for r in &rows {
                model.score_into(black_box(r), options, &mut ws, &mut out);
                black_box(&out);
            }
        })
    };
    let plain = score_with(Options {
        reasons: 0,
        ..Options::default()
    });

    let path = score_with(Options::default());
    let shap = score_with(Options {
        reasons: 3,
        attribution: Attribution::Shap,
    });
    println!(
        "{name:<26} read {read:>5.0} ns/row | score {plain:>5.0} (one row repeated {same:>5.0}) | +3 reasons: path {path:>5.0}, SHAP {shap:>6.0}"
    );
}

/// Runs `pass` (one pass over `rows` rows) in 7 samples of about 50 ms each and returns the
/// fastest sample's ns per row: the machine is shared, and the minimum is the least disturbed.
fn time(rows: usize, mut pass: impl FnMut()) -> f64 {
    pass();
    let sample = Duration::from_millis(50);
    let mut best = f64::INFINITY;
    for _ in 0..7 {
        let started = Instant::now();
        let mut passes = 0u32;
        while started.elapsed() < sample {
            pass();
            passes += 1;
        }
        best = best.min(started.elapsed().as_nanos() as f64 / (f64::from(passes) * rows as f64));
    }
    best
}

fn read_csv(path: &PathBuf) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let records = reader.records().collect::<Result<_, _>>().expect("records");
    (header, records)
}
