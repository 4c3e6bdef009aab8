//! The default rules of this repository, built into the binary: the risk graphs of `rules/`
//! and the limit tables of `rules/limits/`, so `iou serve`, `iou simulate` and `iou bench`
//! decide with the same rules from any directory. A folder given on the command line replaces
//! them (`rules_dir`); a unit test below keeps this list equal to the files of `rules/`.

use risk::{EvaluatorChoice, RuleSet, RuleSetError};

/// `rules/*.json`: each risk graph by file name, in name order.
pub const GRAPHS: [(&str, &str); 10] = [
    ("activation.json", include_str!("../../../rules/activation.json")),
    (
        "credit_application.json",
        include_str!("../../../rules/credit_application.json"),
    ),
    ("delivery.json", include_str!("../../../rules/delivery.json")),
    ("device_change.json", include_str!("../../../rules/device_change.json")),
    ("limit_request.json", include_str!("../../../rules/limit_request.json")),
    ("login.json", include_str!("../../../rules/login.json")),
    (
        "payment_authorization.json",
        include_str!("../../../rules/payment_authorization.json"),
    ),
    (
        "payment_authorization.shadow.json",
        include_str!("../../../rules/payment_authorization.shadow.json"),
    ),
    (
        "profile_change.json",
        include_str!("../../../rules/profile_change.json"),
    ),
    ("repayment.json", include_str!("../../../rules/repayment.json")),
];

/// `rules/limits/limit_tier.json`: the limit and price tier of an approved application.
pub const LIMIT_TIER: &str = include_str!("../../../rules/limits/limit_tier.json");
/// `rules/limits/limit_review.json`: the periodic limit review.
pub const LIMIT_REVIEW: &str = include_str!("../../../rules/limits/limit_review.json");

/// `rules/limits/*.json` by file name, in name order.
pub const LIMITS: [(&str, &str); 2] = [("limit_review.json", LIMIT_REVIEW), ("limit_tier.json", LIMIT_TIER)];

/// The shipped risk graphs as a rule set.
pub fn rule_set(choice: EvaluatorChoice) -> Result<RuleSet, RuleSetError> {
    RuleSet::from_sources(GRAPHS, choice)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The `*.json` files of `dir` by name, in name order, with their text.
    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .map(|path| {
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        found.sort();
        found
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect()
    }

    #[test]
    fn the_embedded_rules_are_the_files_of_the_rules_folder() {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        assert_eq!(owned(&super::GRAPHS), files(&rules), "rules/*.json and GRAPHS differ");
        assert_eq!(
            owned(&super::LIMITS),
            files(&rules.join("limits")),
            "rules/limits/*.json and LIMITS differ"
        );
    }

    #[test]
    fn the_embedded_graphs_make_a_rule_set() {
        super::rule_set(risk::EvaluatorChoice::Auto).unwrap();
    }
}
