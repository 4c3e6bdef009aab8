//! The daily advance in slices (`Command::AdvanceSlice`) leaves the book exactly as one
//! `Command::Advance` does, with the same events in the same order, whatever the slice sizes,
//! including empty, overlapping and out-of-range slices, and commands decided between slices.

use credit::{AccountId, Command, Event};
use jiff::{SignedDuration, Timestamp};

use super::simulation::Sim;

fn later(at: Timestamp, hours: i64) -> Timestamp {
    at.checked_add(SignedDuration::from_hours(hours)).unwrap()
}

#[test]
fn slices_of_any_size_equal_one_advance() {
    let mut sim = Sim::new(21, 300, false);
    sim.run(30_000, 60);
    for (days, slice) in [(1, 1), (12, 7), (40, 64), (95, 299), (33, 300), (31, 1_000)] {
        let at = later(sim.book.last_at().unwrap(), 24 * days);
        let (mut whole, mut sliced) = (sim.book.clone(), sim.book.clone());
        let (mut expected, mut got) = (Vec::<Event>::new(), Vec::<Event>::new());
        whole.apply(at, &Command::Advance, &mut expected).unwrap();
        let mut from = 0u32;
        while (from as usize) < sim.book.accounts().len() {
            sliced
                .apply(at, &Command::AdvanceSlice { from, len: slice }, &mut got)
                .unwrap();
            from += slice;
        }
        // Past the end, and empty: nothing happens.
        sliced
            .apply(at, &Command::AdvanceSlice { from, len: 5 }, &mut got)
            .unwrap();
        sliced
            .apply(at, &Command::AdvanceSlice { from: 0, len: 0 }, &mut got)
            .unwrap();
        sliced
            .apply(
                at,
                &Command::AdvanceSlice {
                    from: u32::MAX,
                    len: u32::MAX,
                },
                &mut got,
            )
            .unwrap();
        // A second pass over accounts already brought to the day adds nothing.
        let before = got.len();
        sliced
            .apply(at, &Command::AdvanceSlice { from: 0, len: 40 }, &mut got)
            .unwrap();
        sliced.apply(at, &Command::Advance, &mut got).unwrap();
        assert_eq!(got.len(), before, "accounts advanced twice on day +{days}");
        assert!(!expected.is_empty(), "day +{days} produced nothing to compare");
        assert_eq!(got, expected, "events differ with slices of {slice}");
        assert_eq!(
            sliced.snapshot(),
            whole.snapshot(),
            "books differ with slices of {slice}"
        );
        sim.book = whole;
    }
}

#[test]
fn a_command_between_slices_sees_its_account_at_the_day() {
    let mut sim = Sim::new(5, 100, false);
    sim.run(10_000, 30);
    let at = later(sim.book.last_at().unwrap(), 24 * 45);
    let (mut whole, mut sliced) = (sim.book.clone(), sim.book.clone());
    whole.apply(at, &Command::Advance, &mut Vec::new()).unwrap();
    // The last account is decided on between the slices, before its own slice comes.
    let last = sim.book.accounts().last().unwrap().id;
    let freeze = |account: AccountId| Command::Freeze {
        account,
        reason: credit::FreezeReason::Operator,
    };
    let mut events = Vec::new();
    sliced
        .apply(at, &Command::AdvanceSlice { from: 0, len: 50 }, &mut events)
        .unwrap();
    let between = sliced.apply(at, &freeze(last), &mut events);
    sliced
        .apply(at, &Command::AdvanceSlice { from: 50, len: 50 }, &mut events)
        .unwrap();
    assert_eq!(between, whole.apply(at, &freeze(last), &mut Vec::new()));
    assert_eq!(sliced.snapshot(), whole.snapshot());
}
