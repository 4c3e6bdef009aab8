//! Reads a LightGBM model dump (`Booster.dump_model()` as JSON) into flattened trees.
//!
//! Used fields: `objective` (binary, with its sigmoid), `num_class` (1), `average_output`,
//! `feature_names`, and per node `split_feature`, `threshold` (a number, or `"a||b||c"` for a
//! categorical split), `decision_type` (`<=` or `==`), `default_left`, `missing_type`,
//! `internal_count`, `left_child`/`right_child`, `leaf_value`, `leaf_count`. Other fields are
//! ignored. Linear trees are refused.

use serde::Deserialize;

use super::Gbdt;
use super::forest::Forest;
use super::tree::{Child, Missing, Split, Tree};
use crate::error::LoadError;

#[derive(Deserialize)]
struct Dump {
    objective: Option<String>,
    num_class: Option<u32>,
    #[serde(default)]
    average_output: bool,
    feature_names: Vec<String>,
    tree_info: Vec<TreeInfo>,
}

#[derive(Deserialize)]
struct TreeInfo {
    tree_structure: Node,
    #[serde(default)]
    is_linear: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Threshold {
    Number(f64),
    Text(String),
}

#[derive(Deserialize)]
struct Node {
    split_feature: Option<u32>,
    threshold: Option<Threshold>,
    decision_type: Option<String>,
    default_left: Option<bool>,
    missing_type: Option<String>,
    internal_count: Option<f64>,
    left_child: Option<Box<Node>>,
    right_child: Option<Box<Node>>,
    leaf_value: Option<f64>,
    leaf_count: Option<f64>,
}

pub(super) fn parse(json: &str) -> Result<Gbdt, LoadError> {
    let dump: Dump = serde_json::from_str(json).map_err(|source| LoadError::Json {
        what: "LightGBM model dump",
        source,
    })?;
    let objective = dump.objective.unwrap_or_default();
    let sigmoid = parse_objective(&objective)?;
    if dump.num_class.unwrap_or(1) != 1 {
        return Err(LoadError::Objective(format!(
            "{objective} with {} classes",
            dump.num_class.unwrap_or(0)
        )));
    }
    let n_features = dump.feature_names.len();
    let mut trees = Vec::with_capacity(dump.tree_info.len());
    for (i, info) in dump.tree_info.iter().enumerate() {
        let fail = |reason: String| LoadError::Tree { tree: i, reason };
        if info.is_linear {
            return Err(fail("linear trees are not supported".into()));
        }
        let mut tree = Tree::default();
        add(&mut tree, &info.tree_structure, n_features, 0).map_err(fail)?;
        finish(&mut tree);
        trees.push(tree);
    }
    let forest = Forest::new(&trees);
    Ok(Gbdt {
        trees,
        forest,
        feature_names: dump.feature_names,
        sigmoid,
        average_output: dump.average_output,
    })
}

/// The sigmoid coefficient of a `binary` objective string such as `"binary sigmoid:1"`.
fn parse_objective(objective: &str) -> Result<f64, LoadError> {
    let mut words = objective.split_whitespace();
    if words.next() != Some("binary") {
        return Err(LoadError::Objective(objective.to_owned()));
    }
    let sigmoid = words
        .find_map(|w| w.strip_prefix("sigmoid:"))
        .map_or(Ok(1.0), str::parse::<f64>)
        .map_err(|_| LoadError::Objective(objective.to_owned()))?;
    if sigmoid.is_finite() && sigmoid > 0.0 {
        Ok(sigmoid)
    } else {
        Err(LoadError::Objective(objective.to_owned()))
    }
}

/// Adds `node` and everything under it to `tree`; returns its child reference.
fn add(tree: &mut Tree, node: &Node, n_features: usize, depth: usize) -> Result<Child, String> {
    tree.depth = tree.depth.max(depth);
    let (Some(left), Some(right)) = (&node.left_child, &node.right_child) else {
        let value = node
            .leaf_value
            .filter(|v| v.is_finite())
            .ok_or("a leaf without a finite leaf_value")?;
        tree.leaf_values.push(value);
        tree.leaf_counts.push(node.leaf_count.unwrap_or(0.0));
        return Ok(!(tree.leaf_values.len() as i32 - 1));
    };
    let feature = node.split_feature.ok_or("a split without split_feature")?;
    if feature as usize >= n_features {
        return Err(format!("split_feature {feature} beyond the {n_features} features"));
    }
    let split = split(tree, node, feature)?;
    let index = tree.splits.len();
    tree.splits.push(split);
    tree.split_counts.push(node.internal_count.unwrap_or(0.0));
    let left = add(tree, left, n_features, depth + 1)?;
    let right = add(tree, right, n_features, depth + 1)?;
    tree.splits[index].children = [left, right];
    Ok(index as i32)
}

fn split(tree: &mut Tree, node: &Node, feature: u32) -> Result<Split, String> {
    match (node.decision_type.as_deref(), &node.threshold) {
        (Some("<=") | None, Some(Threshold::Number(threshold))) => {
            let missing = match node.missing_type.as_deref() {
                None | Some("None") => Missing::None,
                Some("Zero") => Missing::Zero,
                Some("NaN") => Missing::NaN,
                Some(other) => return Err(format!("unknown missing_type {other:?}")),
            };
            Ok(Split::numeric(
                feature,
                *threshold,
                node.default_left.unwrap_or(true),
                missing,
            ))
        }
        (Some("=="), Some(Threshold::Text(categories))) => {
            Ok(Split::categorical(feature, &categories_of(categories)?, &mut tree.bits))
        }
        (Some("=="), Some(Threshold::Number(c))) => Ok(Split::categorical(
            feature,
            &categories_of(&c.to_string())?,
            &mut tree.bits,
        )),
        (kind, _) => Err(format!("unsupported split: decision_type {kind:?} with this threshold")),
    }
}

/// The left-going categories of a categorical split's `"a||b||c"`.
fn categories_of(text: &str) -> Result<Vec<u32>, String> {
    text.split("||")
        .map(|c| match c.trim().parse::<u32>() {
            Ok(c) if c < 1 << 24 => Ok(c),
            _ => Err(format!("bad category {c:?} in a categorical split")),
        })
        .collect()
}

/// Fills the count-weighted means of the splits (children come after their parent).
fn finish(tree: &mut Tree) {
    tree.split_means = vec![0.0; tree.splits.len()];
    for i in (0..tree.splits.len()).rev() {
        let [left, right] = tree.splits[i].children;
        let (cl, cr) = (tree.count(left), tree.count(right));
        let (ml, mr) = (tree.mean(left), tree.mean(right));
        tree.split_means[i] = if cl + cr > 0.0 {
            (cl * ml + cr * mr) / (cl + cr)
        } else {
            0.5 * (ml + mr)
        };
    }
}
