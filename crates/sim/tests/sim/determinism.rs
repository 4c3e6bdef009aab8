//! Same seed, same figures: the run is reproducible even though the engine spreads the work
//! over partition threads; another seed gives another run.

use super::common::{run, shared, small};

#[test]
fn the_same_seed_gives_the_same_figures_and_another_seed_does_not() {
    let first = shared().deterministic();
    let second = run(&small(11)).deterministic();
    let a = serde_json::to_string_pretty(&first).unwrap();
    let b = serde_json::to_string_pretty(&second).unwrap();
    if a != b {
        let diff: Vec<(&str, &str)> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).take(10).collect();
        panic!("two runs of seed 11 differ: {diff:#?}");
    }
    let other = run(&small(12)).deterministic();
    assert_ne!(first, other, "seeds 11 and 12 gave the same figures");
    assert_ne!(first.payments, other.payments);
}
