//! TreeSHAP (Lundberg et al., path-dependent, with training counts as cover), written to do the
//! same floating-point operations in the same order as LightGBM's `Tree::TreeSHAP`, so the
//! values equal `pred_contrib` to the last bits.

use super::tree::{Child, Tree};

#[derive(Debug, Clone, Copy, Default)]
struct PathElement {
    feature: i32,
    zero_fraction: f64,
    one_fraction: f64,
    pweight: f64,
}

/// Reusable path storage for [`super::Gbdt::shap_contributions`]; grows when a deeper tree
/// needs it, so one scratch serves every row.
#[derive(Debug, Clone, Default)]
pub struct ShapScratch {
    path: Vec<PathElement>,
}

impl ShapScratch {
    /// Scratch for trees up to `max_depth` splits deep.
    pub fn new(max_depth: usize) -> Self {
        let mut scratch = ShapScratch::default();
        scratch.reserve(max_depth);
        scratch
    }

    fn reserve(&mut self, max_depth: usize) {
        let len = (max_depth + 1) * (max_depth + 2) / 2;
        if self.path.len() < len {
            self.path.resize(len, PathElement::default());
        }
    }
}

/// Adds one tree's SHAP values to `phi` (one slot per feature, then the bias slot).
pub(super) fn tree_shap(tree: &Tree, features: &[f64], scratch: &mut ShapScratch, phi: &mut [f64]) {
    if tree.splits.is_empty() {
        return;
    }
    scratch.reserve(tree.depth);
    let walk = Walk { tree, features };
    walk.recurse(
        &mut scratch.path,
        phi,
        Step {
            node: 0,
            parent_start: 0,
            depth: 0,
            zero: 1.0,
            one: 1.0,
            feature: -1,
        },
    );
}

struct Walk<'a> {
    tree: &'a Tree,
    features: &'a [f64],
}

#[derive(Clone, Copy)]
struct Step {
    node: Child,
    parent_start: usize,
    depth: usize,
    zero: f64,
    one: f64,
    feature: i32,
}

impl Walk<'_> {
    fn recurse(&self, buf: &mut [PathElement], phi: &mut [f64], step: Step) {
        let start = step.parent_start + step.depth;
        let mut depth = step.depth;
        if depth > 0 {
            buf.copy_within(step.parent_start..step.parent_start + depth, start);
        }
        let path = &mut buf[start..];
        extend(path, depth, step.zero, step.one, step.feature);
        if step.node < 0 {
            let value = self.tree.leaf_values[!step.node as usize];
            for i in 1..=depth {
                let w = unwound_sum(path, depth, i);
                let el = path[i];
                phi[el.feature as usize] += w * (el.one_fraction - el.zero_fraction) * value;
            }
            return;
        }
        let node = step.node as usize;
        let split = self.tree.splits[node];
        let hot = self.tree.next(node, self.features[split.feature as usize]);
        let cold = if hot == split.left() {
            split.right()
        } else {
            split.left()
        };
        let w = self.tree.count(step.node);
        let hot_zero = self.tree.count(hot) / w;
        let cold_zero = self.tree.count(cold) / w;
        let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
        let feature = split.feature as i32;
        if let Some(i) = path[..=depth].iter().position(|e| e.feature == feature) {
            incoming_zero = path[i].zero_fraction;
            incoming_one = path[i].one_fraction;
            unwind(path, depth, i);
            depth -= 1;
        }
        let next = |node, zero, one| Step {
            node,
            parent_start: start,
            depth: depth + 1,
            zero,
            one,
            feature,
        };
        self.recurse(buf, phi, next(hot, hot_zero * incoming_zero, incoming_one));
        self.recurse(buf, phi, next(cold, cold_zero * incoming_zero, 0.0));
    }
}

fn extend(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: i32) {
    path[depth] = PathElement {
        feature,
        zero_fraction: zero,
        one_fraction: one,
        pweight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].pweight += one * path[i].pweight * (i + 1) as f64 / d1;
        path[i].pweight = zero * path[i].pweight * (depth - i) as f64 / d1;
    }
}

fn unwind(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].pweight;
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].pweight;
            path[i].pweight = next_one_portion * d1 / ((i + 1) as f64 * one);
            next_one_portion = tmp - path[i].pweight * zero * (depth - i) as f64 / d1;
        } else {
            path[i].pweight = (path[i].pweight * d1) / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

fn unwound_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].pweight;
    let d1 = (depth + 1) as f64;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next_one_portion * d1 / ((i + 1) as f64 * one);
            total += tmp;
            next_one_portion = path[i].pweight - tmp * zero * ((depth - i) as f64 / d1);
        } else {
            total += (path[i].pweight / zero) / ((depth - i) as f64 / d1);
        }
    }
    total
}
