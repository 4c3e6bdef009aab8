//! The trees of an ensemble compiled for prediction.
//!
//! Every node of every tree sits in one array of 24-byte nodes; a leaf is a node that loops to
//! itself, so trees are walked eight at a time for a fixed number of steps: eight independent
//! chains of loads that the processor overlaps, with no branch on where a walk ends.
//!
//! Each row is first prepared once per feature: three versions of a numeric value (NaN read
//! as 0.0, as -inf, as +inf, so that LightGBM's missing-value rules become a plain `<=`) and a
//! category code (64 when missing or out of range). A step is then one load and one compare.
//! Splits that do not fit (zero-as-missing, categories from 64 up) keep LightGBM's full rule.
//! The leaves are summed in tree order, as LightGBM does.

use super::tree::{Child, FastForm, NanAs, Split, Tree, ZERO_THRESHOLD};

const LANES: usize = 8;
const CATEGORICAL: u32 = 1;
const SLOW: u32 = 2;
/// The code of a missing, negative or too large category: no mask bit matches it.
const NO_CATEGORY: u8 = 64;

#[derive(Debug, Clone, Copy)]
struct Node {
    /// The threshold's bits, the category mask, or (slow) the index of the full split.
    payload: u64,
    /// Index into the prepared values: `3 * feature + version`.
    slot: u32,
    flags: u32,
    children: [u32; 2],
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Forest {
    nodes: Vec<Node>,
    /// The leaf value of each node (0 for a split).
    values: Vec<f64>,
    /// The count-weighted mean output under each node (the leaf value for a leaf).
    means: Vec<f64>,
    roots: Vec<u32>,
    /// For each group of `LANES` trees, the depth of its deepest tree.
    group_depths: Vec<usize>,
    /// Splits evaluated by LightGBM's full rule, with their big-category bitsets.
    slow: Vec<Split>,
    bits: Vec<u32>,
}

/// A row prepared for [`Forest::sum`]; reused from row to row.
#[derive(Debug, Clone, Default)]
pub struct ForestScratch {
    numbers: Vec<f64>,
    codes: Vec<u8>,
}

impl Forest {
    pub fn new(trees: &[Tree]) -> Self {
        let mut forest = Forest::default();
        for tree in trees {
            let root = forest.add(tree, tree.root());
            forest.roots.push(root);
        }
        forest.group_depths = trees
            .chunks(LANES)
            .map(|g| g.iter().map(|t| t.depth).max().unwrap_or(0))
            .collect();
        forest
    }

    /// Copies `child` of `tree` and what lies under it; returns its node index.
    fn add(&mut self, tree: &Tree, child: Child) -> u32 {
        let index = self.nodes.len() as u32;
        if child < 0 {
            let always_left = Node {
                payload: f64::INFINITY.to_bits(),
                slot: 0,
                flags: 0,
                children: [index; 2],
            };
            self.nodes.push(always_left);
            self.values.push(tree.leaf_values[!child as usize]);
            self.means.push(tree.leaf_values[!child as usize]);
            return index;
        }
        let split = tree.splits[child as usize];
        let node = self.node(&split, tree);
        self.nodes.push(node);
        self.values.push(0.0);
        self.means.push(tree.mean(child));
        let left = self.add(tree, split.left());
        let right = self.add(tree, split.right());
        self.nodes[index as usize].children = [left, right];
        index
    }

    fn node(&mut self, split: &Split, tree: &Tree) -> Node {
        let base = 3 * split.feature;
        let (payload, slot, flags) = match split.fast_form() {
            Some(FastForm::Numeric { threshold, nan }) => {
                let version = match nan {
                    NanAs::Zero => 0,
                    NanAs::Left => 1,
                    NanAs::Right => 2,
                };
                (threshold.to_bits(), base + version, 0)
            }
            Some(FastForm::Categorical { mask }) => (mask, base, CATEGORICAL),
            None => {
                self.slow.push(split.rebased(&tree.bits, &mut self.bits));
                ((self.slow.len() - 1) as u64, base, SLOW)
            }
        };
        Node {
            payload,
            slot,
            flags,
            children: [0, 0],
        }
    }

    /// The sum of the trees' outputs for `features` (one value per feature).
    pub fn sum(&self, features: &[f64], scratch: &mut ForestScratch) -> f64 {
        prepare(features, scratch);
        let mut raw = 0.0;
        for (roots, &depth) in self.roots.chunks(LANES).zip(&self.group_depths) {
            let mut at = [0u32; LANES];
            let at = &mut at[..roots.len()];
            at.copy_from_slice(roots);
            for _ in 0..depth {
                for node in at.iter_mut() {
                    *node = self.step(*node, features, scratch);
                }
            }
            for &node in at.iter() {
                raw += self.values[node as usize];
            }
        }
        raw
    }

    /// [`Forest::sum`], also adding to `out[feature]` the change in mean output at each split
    /// on the row's paths and to `out[n_features]` the trees' mean outputs (path attribution).
    pub fn sum_with_paths(&self, features: &[f64], scratch: &mut ForestScratch, out: &mut [f64]) -> f64 {
        prepare(features, scratch);
        let bias = features.len();
        let mut raw = 0.0;
        for (roots, &depth) in self.roots.chunks(LANES).zip(&self.group_depths) {
            let mut at = [0u32; LANES];
            let at = &mut at[..roots.len()];
            at.copy_from_slice(roots);
            for &root in at.iter() {
                out[bias] += self.means[root as usize];
            }
            for _ in 0..depth {
                for node in at.iter_mut() {
                    let next = self.step(*node, features, scratch);
                    // A leaf loops to itself and adds 0.0.
                    let feature = self.nodes[*node as usize].slot as usize / 3;
                    out[feature] += self.means[next as usize] - self.means[*node as usize];
                    *node = next;
                }
            }
            for &node in at.iter() {
                raw += self.values[node as usize];
            }
        }
        raw
    }

    /// The child of `node` that the prepared row goes to.
    #[inline(always)]
    fn step(&self, node: u32, features: &[f64], scratch: &ForestScratch) -> u32 {
        let n = &self.nodes[node as usize];
        let slot = n.slot as usize;
        let numeric = scratch.numbers[slot] <= f64::from_bits(n.payload);
        let categorical = n.payload.checked_shr(u32::from(scratch.codes[slot])).unwrap_or(0) & 1 == 1;
        let mut left = if n.flags & CATEGORICAL != 0 {
            categorical
        } else {
            numeric
        };
        if n.flags & SLOW != 0 {
            left = self.slow[n.payload as usize].goes_left(features[slot / 3], &self.bits);
        }
        n.children[usize::from(!left)]
    }
}

/// Writes the three numeric versions and the category code of every feature.
fn prepare(features: &[f64], scratch: &mut ForestScratch) {
    scratch.numbers.resize(3 * features.len(), 0.0);
    scratch.codes.resize(3 * features.len(), NO_CATEGORY);
    for (i, &x) in features.iter().enumerate() {
        // LightGBM's predictor reads values within 1e-35 of zero as zero.
        let x = if x.abs() <= ZERO_THRESHOLD { 0.0 } else { x };
        let versions = if x.is_nan() {
            [0.0, f64::NEG_INFINITY, f64::INFINITY]
        } else {
            [x; 3]
        };
        scratch.numbers[3 * i..3 * i + 3].copy_from_slice(&versions);
        // C++ truncates toward zero to an int; NaN and negatives match no category.
        let code = if x > -1.0 && x < f64::from(NO_CATEGORY) {
            x as u8
        } else {
            NO_CATEGORY
        };
        scratch.codes[3 * i..3 * i + 3].fill(code);
    }
}
