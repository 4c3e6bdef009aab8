//! Rejections and edge cells: missing values, unseen categories, bad numbers, missing and
//! unknown columns, and model files that must not load.

use models::{Bin, ColumnError, LoadError, Model, Options, RowError, Scored, Value, ValueError};

use crate::support::{Table, data_csv, load, model_dir, read_file};

#[test]
fn cells_parse_to_typed_values_and_fall_in_the_right_bins() {
    let model = load("credit_data_es", "scorecard.json");
    let Model::Scorecard(card) = &model else {
        panic!("not a scorecard")
    };
    let schema = card.schema();
    let bad = |column: &str, value: &str| {
        Err(ValueError::BadNumber {
            column: column.into(),
            value: value.into(),
        })
    };
    let home_owner = Value::Category(
        schema.features()[1]
            .categories()
            .iter()
            .position(|c| c == "owner")
            .unwrap() as u32,
    );
    type Case<'a> = (&'a str, &'a str, Result<Value, ValueError>, Option<Bin>);
    let cases: Vec<Case> = vec![
        ("Income", "NA", Ok(Value::Missing), Some(Bin::Missing)),
        ("Income", "", Ok(Value::Missing), Some(Bin::Missing)),
        ("Income", "NaN", Ok(Value::Missing), Some(Bin::Missing)),
        ("Income", " 129.0 ", Ok(Value::Number(129.0)), None),
        ("Income", "1e2", Ok(Value::Number(100.0)), None),
        ("Income", "abc", bad("Income", "abc"), None),
        ("Income", "12,5", bad("Income", "12,5"), None),
        ("Income", "inf", bad("Income", "inf"), None),
        ("Home", "owner", Ok(home_owner), Some(Bin::Index(0))),
        ("Home", "castle", Ok(Value::Unseen), Some(Bin::Unseen)),
        ("Home", "Owner", Ok(Value::Unseen), Some(Bin::Unseen)),
        ("Home", " owner", Ok(Value::Unseen), Some(Bin::Unseen)),
        ("Home", "NA", Ok(Value::Missing), Some(Bin::Missing)),
    ];
    for (column, cell, want, want_bin) in cases {
        let j = schema.index_of(column).unwrap();
        let got = schema.parse(j, cell);
        assert_eq!(got, want, "{column} {cell:?}");
        if let (Ok(value), Some(bin)) = (got, want_bin) {
            assert_eq!(card.bin(j, value), bin, "{column} {cell:?}: bin");
        }
    }
    // Numeric bins: a value equal to a split point goes right (optbinning's convention).
    let seniority = schema.index_of("Seniority").unwrap();
    for (x, bin) in [(0.0, 0), (0.49, 0), (0.5, 1), (1.5, 2), (100.0, 8), (-5.0, 0)] {
        assert_eq!(card.bin(seniority, Value::Number(x)), Bin::Index(bin), "Seniority {x}");
    }
    // An unseen category scores the unseen points (weight of evidence 0: no points).
    assert_eq!(card.points(1, Bin::Unseen), 0.0);
}

#[test]
fn unseen_and_missing_categories_both_go_right_in_lightgbm() {
    let model = load("credit_data_es", "lightgbm.json");
    let schema = model.schema();
    let table = Table::read(&data_csv("credit_data_es"));
    let header = table.header_index();
    let score_with_home = |home: &str| {
        let record = &table.records[0];
        let pairs = schema.features().iter().map(|f| {
            let cell = if f.name() == "Home" {
                home
            } else {
                &record[header[f.name()]]
            };
            (f.name(), cell)
        });
        let row = schema.row_from_pairs(pairs).expect("row");
        model.score(&row).pd
    };
    assert_eq!(score_with_home("castle"), score_with_home("NA"));
    assert_ne!(score_with_home("owner"), score_with_home("NA"));
}

#[test]
fn columns_bind_by_name_and_report_what_is_wrong() {
    let model = load("credit_data_es", "scorecard.json");
    let schema = model.schema();
    let table = Table::read(&data_csv("credit_data_es"));
    let binding = schema.bind(&table.header).expect("binds");
    assert_eq!(
        binding.ignored(),
        ["Status", "Debt"],
        "the target and the unused Debt are ignored"
    );

    let without_income: Vec<&str> = table
        .header
        .iter()
        .map(String::as_str)
        .filter(|h| *h != "Income")
        .collect();
    assert_eq!(
        schema.bind(&without_income).unwrap_err(),
        ColumnError::Missing(vec!["Income".into()])
    );
    let mut twice: Vec<&str> = table.header.iter().map(String::as_str).collect();
    twice.push("Age");
    assert_eq!(schema.bind(&twice).unwrap_err(), ColumnError::Duplicate("Age".into()));

    // A short record: the cell for a bound column is not there.
    let mut row = schema.empty_row();
    let err = binding.fill(schema, |i| (i < 2).then_some("1"), &mut row).unwrap_err();
    assert!(matches!(err, ValueError::MissingCell { .. }), "{err}");

    let unknown = schema.row_from_pairs([("Salary", "10")]).unwrap_err();
    assert_eq!(unknown, RowError::Column(ColumnError::Unknown("Salary".into())));
    let partial = schema.row_from_pairs([("Seniority", "3")]).unwrap_err();
    assert!(
        matches!(&partial, RowError::Column(ColumnError::Missing(m)) if m.len() == 11),
        "{partial}"
    );
}

#[test]
fn json_rows_read_strings_numbers_and_nulls() {
    let model = load("credit_data_es", "scorecard.json");
    let schema = model.schema();
    let table = Table::read(&data_csv("credit_data_es"));
    let header = table.header_index();
    // Row 0 as JSON: numbers for numeric columns, strings for categorical ones.
    let mut object = serde_json::Map::new();
    for f in schema.features() {
        let cell = &table.records[0][header[f.name()]];
        let value = match f.kind() {
            models::Kind::Numeric => serde_json::json!(cell.parse::<f64>().expect("number")),
            models::Kind::Categorical => serde_json::json!(cell),
        };
        object.insert(f.name().to_owned(), value);
    }
    let from_csv = table.rows(&model).swap_remove(0);
    let mut json = serde_json::Value::Object(object);
    assert_eq!(schema.row_from_json(&json).expect("row"), from_csv);

    json["Income"] = serde_json::Value::Null;
    let row = schema.row_from_json(&json).expect("row");
    assert_eq!(row.values()[schema.index_of("Income").unwrap()], Value::Missing);
    json["Income"] = serde_json::json!("12x");
    assert!(matches!(
        schema.row_from_json(&json),
        Err(RowError::Value(ValueError::BadNumber { .. }))
    ));
    json["Income"] = serde_json::json!(100);
    json["Salary"] = serde_json::json!(1);
    assert_eq!(
        schema.row_from_json(&json),
        Err(RowError::Column(ColumnError::Unknown("Salary".into())))
    );
    assert_eq!(
        schema.row_from_json(&serde_json::json!([1, 2])),
        Err(RowError::NotAnObject)
    );
    let partial = schema.row_from_json(&serde_json::json!({"Seniority": 3})).unwrap_err();
    assert!(
        matches!(&partial, RowError::Column(ColumnError::Missing(m)) if m.len() == 11),
        "{partial}"
    );
}

#[test]
fn bad_model_files_are_refused_with_the_reason() {
    let card = read_file(&model_dir("german_credit").join("scorecard.json"));
    let dump = read_file(&model_dir("german_credit").join("lightgbm.json"));
    let spec = read_file(&model_dir("german_credit").join("features.json"));
    let scorecard_cases: Vec<(&str, String, &str)> = vec![
        ("not json", "{".into(), "not valid JSON for a scorecard"),
        (
            "wrong format",
            card.replacen("iou-scorecard/1", "iou-scorecard/9", 1),
            "unsupported scorecard format",
        ),
        (
            "splits out of order",
            card.replacen("\"splits\":[", "\"splits\":[1e9,", 1),
            "splits",
        ),
        (
            "last band with a minimum",
            card.replacen("\"min_score\":null", "\"min_score\":1.0", 1),
            "bad score bands",
        ),
        (
            "negative factor",
            card.replacen("\"factor\":", "\"factor\":-", 1),
            "bad score scaling",
        ),
        (
            "unknown kind",
            card.replacen("\"kind\":\"numeric\"", "\"kind\":\"date\"", 1),
            "unknown kind",
        ),
    ];
    for (what, json, want) in scorecard_cases {
        let err = models::Scorecard::from_json(&json).expect_err(what);
        assert!(err.to_string().contains(want), "{what}: {err}");
    }
    let gbdt_cases: Vec<(&str, String, String, &str)> = vec![
        (
            "regression objective",
            dump.replacen("binary sigmoid:1", "regression", 1),
            spec.clone(),
            "objective",
        ),
        (
            "split beyond the features",
            dump.replacen("\"split_feature\":", "\"split_feature\":9", 1),
            spec.clone(),
            "beyond",
        ),
        (
            "unknown missing type",
            dump.replacen(
                "\"decision_type\":\"<=\",\"default_left\":true,\"missing_type\":\"None\"",
                "\"decision_type\":\"<=\",\"default_left\":true,\"missing_type\":\"Sometimes\"",
                1,
            ),
            spec.clone(),
            "missing_type",
        ),
        (
            "spec in another order",
            dump.clone(),
            spec.replacen("duration_in_month", "duration", 1),
            "does not match",
        ),
        ("spec not a spec", dump.clone(), card.clone(), "feature spec"),
    ];
    for (what, dump, spec, want) in gbdt_cases {
        let err = models::GbdtModel::from_lightgbm_json(&dump, &spec).expect_err(what);
        assert!(err.to_string().contains(want), "{what}: {err}");
    }
    let missing = models::dir::load(&model_dir("no_such_model")).unwrap_err();
    assert!(matches!(missing, LoadError::Io { .. }), "{missing}");
    let not_a_model = models::dir::load(&model_dir("german_credit").join("metrics.json")).unwrap_err();
    assert!(matches!(not_a_model, LoadError::Unrecognized(_)), "{not_a_model}");
}

#[test]
fn scoring_reuses_its_buffers_and_keeps_the_reason_limit() {
    let model = load("german_credit", "scorecard.json");
    let table = Table::read(&data_csv("german_credit"));
    let (mut ws, mut out) = (model.workspace(), Scored::default());
    for k in [0, 1, 3, 5] {
        for row in table.rows(&model).iter().take(50) {
            model.score_into(
                row,
                Options {
                    reasons: k,
                    ..Options::default()
                },
                &mut ws,
                &mut out,
            );
            assert!(out.reasons.len() <= k);
            assert_eq!(out.band, model.bands().band_of(out.score));
        }
    }
    // A workspace made for another model is resized, not a panic.
    let trees = load("credit_data_es", "lightgbm.json");
    let row = &Table::read(&data_csv("credit_data_es")).rows(&trees)[0];
    let mut small = model.workspace();
    let mut out = Scored::default();
    trees.score_into(row, Options::default(), &mut small, &mut out);
    assert_eq!(out, trees.score(row));
}
