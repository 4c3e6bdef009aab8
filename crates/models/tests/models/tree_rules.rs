//! LightGBM's split rules on hand-made one-split trees: numeric `<=` with each missing type
//! and default direction, and categorical bitsets, as `Tree::NumericalDecision` and
//! `Tree::CategoricalDecision` apply them (left leaf = 1.0, right leaf = 2.0).

use models::Gbdt;

fn one_split(decision: &str, threshold: &str, default_left: bool, missing: &str, sigmoid: &str) -> Gbdt {
    let json = format!(
        r#"{{"objective":"binary sigmoid:{sigmoid}","num_class":1,"feature_names":["x"],"tree_info":[
        {{"tree_index":0,"tree_structure":{{"split_feature":0,"threshold":{threshold},"decision_type":"{decision}",
        "default_left":{default_left},"missing_type":"{missing}","internal_count":10,
        "left_child":{{"leaf_value":1.0,"leaf_count":4}},"right_child":{{"leaf_value":2.0,"leaf_count":6}}}}}},
        {{"tree_index":1,"tree_structure":{{"leaf_value":0.25}}}}]}}"#
    );
    Gbdt::from_lightgbm_json(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

#[test]
fn numeric_splits_follow_lightgbm_missing_rules() {
    let nan = f64::NAN;
    // (threshold, default_left, missing_type, value, goes left)
    let cases = [
        ("1.5", true, "None", 1.5, true),
        ("1.5", true, "None", 1.6, false),
        ("1.5", false, "None", nan, true), // NaN reads as 0.0, and 0.0 <= 1.5
        ("-1", true, "None", nan, false),  // 0.0 > -1, default_left plays no part
        ("5", false, "Zero", 0.0, false),  // zero is missing: default right
        ("5", false, "Zero", 1e-36, false),
        ("5", false, "Zero", nan, false), // NaN -> 0.0 -> missing
        ("5", true, "Zero", 0.0, true),
        ("5", false, "Zero", 3.0, true),
        ("5", false, "NaN", nan, false),
        ("5", false, "NaN", 0.0, true),
        ("5", false, "NaN", 6.0, false),
        ("-5", true, "NaN", nan, true),
        ("-5", true, "NaN", 0.0, false),
    ];
    for (threshold, default_left, missing, value, left) in cases {
        let gbdt = one_split("<=", threshold, default_left, missing, "1");
        let want = if left { 1.25 } else { 2.25 };
        assert_eq!(
            gbdt.predict_raw(&[value]),
            want,
            "x={value} <= {threshold}, {missing}, default_left {default_left}"
        );
    }
}

#[test]
fn categorical_splits_send_listed_categories_left() {
    let gbdt = one_split("==", "\"1||3||40||70\"", false, "None", "1");
    let cases = [
        (1.0, true),
        (3.0, true),
        (40.0, true),
        (70.0, true), // past the first 64 categories: the bitset words
        (70.9, true),
        (71.0, false),
        (64.0, false),
        (1.7, true), // truncated to 1, as C++ does
        (2.0, false),
        (0.0, false),
        (-0.5, false), // truncated to 0
        (-3.0, false),
        (33.0, false),
        (1e12, false),
        (f64::NAN, false),
    ];
    for (value, left) in cases {
        let want = if left { 1.25 } else { 2.25 };
        assert_eq!(gbdt.predict_raw(&[value]), want, "category {value}");
    }
}

#[test]
fn the_sigmoid_coefficient_scales_the_log_odds() {
    let gbdt = one_split("<=", "0", true, "None", "2");
    let raw = gbdt.predict_raw(&[-1.0]);
    assert_eq!(raw, 1.25);
    assert_eq!(gbdt.probability(raw), 1.0 / (1.0 + (-2.5f64).exp()));
    assert_eq!(gbdt.n_trees(), 2);
}
