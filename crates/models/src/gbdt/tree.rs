//! One decision tree, flattened into arrays, and the split rules exactly as LightGBM applies
//! them at prediction time (`Tree::NumericalDecision` and `Tree::CategoricalDecision`).

/// LightGBM's `kZeroThreshold`: values this close to zero are zero.
pub(crate) const ZERO_THRESHOLD: f64 = 1e-35;

/// How a numeric split treats a missing value (LightGBM's `missing_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    /// NaN is read as 0.0 and compared like any number.
    None,
    /// Zero (and NaN, read as 0.0) goes the default way.
    Zero,
    /// NaN goes the default way.
    NaN,
}

/// A child: `>= 0` is an internal node index, `< 0` is leaf `!child`.
pub(crate) type Child = i32;

const CATEGORICAL: u8 = 1;
const DEFAULT_LEFT: u8 = 2;
const ZERO_MISSING: u8 = 4;
const NAN_MISSING: u8 = 8;

/// Where a numeric split sends NaN: read as 0.0, or straight left or right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NanAs {
    Zero,
    Left,
    Right,
}

/// A split reduced to one test of a value prepared once per row (see [`Split::fast_form`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FastForm {
    /// Left when the prepared value `<= threshold`.
    Numeric { threshold: f64, nan: NanAs },
    /// Left when the category code's bit is set.
    Categorical { mask: u64 },
}

/// Categories below this are tested in `Split::small_categories`; larger ones in the tree's
/// bitset words.
const SMALL_CATEGORIES: f64 = 64.0;

/// A split, laid out so that the decision needs no unpredictable branch: both the numeric and
/// the categorical outcome are computed and the flags select one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split {
    pub feature: u32,
    /// Left child, then right child: indexed by "goes right" so no branch picks the child.
    pub children: [Child; 2],
    threshold: f64,
    /// Categories 0..64 that go left.
    small_categories: u64,
    /// Categories from 64 up that go left: the tree's `bits[start..start + len]` hold the whole
    /// bitset (empty when every left category is below 64).
    big_categories: (u32, u32),
    flags: u8,
}

impl Split {
    pub fn numeric(feature: u32, threshold: f64, default_left: bool, missing: Missing) -> Self {
        let mut flags = if default_left { DEFAULT_LEFT } else { 0 };
        flags |= match missing {
            Missing::None => 0,
            Missing::Zero => ZERO_MISSING,
            Missing::NaN => NAN_MISSING,
        };
        Split {
            feature,
            children: [0, 0],
            threshold,
            small_categories: 0,
            big_categories: (0, 0),
            flags,
        }
    }

    /// A categorical split sending `categories` left; `bits` is the tree's bitset store.
    pub fn categorical(feature: u32, categories: &[u32], bits: &mut Vec<u32>) -> Self {
        let mut small = 0u64;
        let mut words: Vec<u32> = Vec::new();
        for &c in categories {
            let c = c as usize;
            if c < 64 {
                small |= 1 << c;
            }
            if words.len() <= c / 32 {
                words.resize(c / 32 + 1, 0);
            }
            words[c / 32] |= 1 << (c % 32);
        }
        let big = if words.len() > 2 {
            let start = bits.len() as u32;
            bits.extend_from_slice(&words);
            (start, words.len() as u32)
        } else {
            (0, 0)
        };
        Split {
            feature,
            children: [0, 0],
            threshold: 0.0,
            small_categories: small,
            big_categories: big,
            flags: CATEGORICAL,
        }
    }

    /// The same split with its big-category bitset moved from `from` to the end of `to`.
    pub fn rebased(&self, from: &[u32], to: &mut Vec<u32>) -> Self {
        let (start, len) = self.big_categories;
        let mut split = *self;
        if len > 0 {
            split.big_categories.0 = to.len() as u32;
            to.extend_from_slice(&from[start as usize..(start + len) as usize]);
        }
        split
    }

    /// The split as a single comparison against a per-row prepared value, when it has one:
    /// numeric splits without zero-as-missing, categorical splits with categories below 64.
    pub fn fast_form(&self) -> Option<FastForm> {
        let flag = |f: u8| self.flags & f != 0;
        if flag(CATEGORICAL) {
            return (self.big_categories.1 == 0).then_some(FastForm::Categorical {
                mask: self.small_categories,
            });
        }
        if flag(ZERO_MISSING) {
            return None;
        }
        let nan = match (flag(NAN_MISSING), flag(DEFAULT_LEFT)) {
            (false, _) => NanAs::Zero,
            (true, true) => NanAs::Left,
            (true, false) => NanAs::Right,
        };
        Some(FastForm::Numeric {
            threshold: self.threshold,
            nan,
        })
    }

    pub fn left(&self) -> Child {
        self.children[0]
    }

    pub fn right(&self) -> Child {
        self.children[1]
    }

    /// Whether `value` goes left, as LightGBM's `NumericalDecision` / `CategoricalDecision`.
    #[inline(always)]
    pub fn goes_left(&self, value: f64, bits: &[u32]) -> bool {
        let flag = |f: u8| self.flags & f != 0;
        let nan = value.is_nan();
        // Numeric: NaN reads as 0.0 unless NaN is the missing marker.
        let x = if nan & !flag(NAN_MISSING) { 0.0 } else { value };
        let missing = (flag(ZERO_MISSING) & (x.abs() <= ZERO_THRESHOLD)) | (flag(NAN_MISSING) & nan);
        let numeric = (missing & flag(DEFAULT_LEFT)) | (!missing & (x <= self.threshold));
        // Categorical: NaN and negatives go right; C++ truncates toward zero to an int.
        let small = !nan & (value > -1.0) & (value < SMALL_CATEGORIES);
        let code = if small { value as u32 } else { 0 };
        let mut categorical = small & ((self.small_categories >> code) & 1 == 1);
        if self.big_categories.1 > 0 && value >= SMALL_CATEGORIES && value < f64::from(i32::MAX) {
            let (start, len) = self.big_categories;
            let words = &bits[start as usize..(start + len) as usize];
            let c = value as usize;
            categorical = words.get(c / 32).is_some_and(|w| (w >> (c % 32)) & 1 == 1);
        }
        if flag(CATEGORICAL) { categorical } else { numeric }
    }
}

/// A tree. A tree with a single leaf has no splits and its root is leaf 0.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    pub splits: Vec<Split>,
    /// Training rows that reached each split (LightGBM's `internal_count`).
    pub split_counts: Vec<f64>,
    /// The count-weighted mean of the leaf values under each split.
    pub split_means: Vec<f64>,
    pub leaf_values: Vec<f64>,
    pub leaf_counts: Vec<f64>,
    /// Bitsets of the categorical splits that send categories of 64 and up left.
    pub bits: Vec<u32>,
    /// The longest root-to-leaf path, in splits.
    pub depth: usize,
}

impl Tree {
    pub fn root(&self) -> Child {
        if self.splits.is_empty() { !0 } else { 0 }
    }

    /// The child of split `node` that `value` goes to.
    #[inline]
    pub fn next(&self, node: usize, value: f64) -> Child {
        let split = &self.splits[node];
        split.children[usize::from(!split.goes_left(value, &self.bits))]
    }

    /// The mean output of the tree over the training rows (LightGBM's `ExpectedValue`).
    pub fn expected_value(&self) -> f64 {
        if self.splits.is_empty() {
            return self.leaf_values[0];
        }
        let total = self.split_counts[0];
        let mut value = 0.0;
        for (v, c) in self.leaf_values.iter().zip(&self.leaf_counts) {
            value += (c / total) * v;
        }
        value
    }

    /// Rows that reached `child`.
    pub fn count(&self, child: Child) -> f64 {
        if child >= 0 {
            self.split_counts[child as usize]
        } else {
            self.leaf_counts[!child as usize]
        }
    }

    /// The count-weighted mean output below `child`.
    pub fn mean(&self, child: Child) -> f64 {
        if child >= 0 {
            self.split_means[child as usize]
        } else {
            self.leaf_values[!child as usize]
        }
    }
}
