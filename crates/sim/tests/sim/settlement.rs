//! Merchant settlement over simulated runs: the identity captured − refunded − merchant fees −
//! campaign subsidies = paid out + payable holds to the fen on every seed tested, every day's
//! settlement ledger balanced (its subsidy income equal to the subsidies: the run checks it
//! daily), campaign merchants paid subsidies within what their plans can cost, and the
//! journal's captures are the ones the workload counted.

use super::common::{run, shared};

fn check(figures: &sim::Figures) {
    let s = figures.settlement.as_ref().expect("an in-memory run settles");
    assert_eq!(
        s.captured_fen - s.refunded_fen - s.merchant_fees_fen - s.subsidies_fen,
        s.paid_out_fen + s.payable_fen,
        "{s:?}"
    );
    assert_eq!(s.days_settled, figures.days);
    assert_eq!(s.days_balanced, figures.days, "every day balanced");
    assert!(
        s.captured_fen > 0 && s.merchant_fees_fen > 0 && s.paid_out_fen > 0,
        "{s:?}"
    );
    assert!(
        (3_000..=8_000).contains(&s.fee_yield_ppm),
        "between the negotiated and default rates plus the fixed fee: {s:?}"
    );
    // Every fifth merchant's plans are a campaign: never more than the longest plan (24
    // periods) at the campaign's rate on everything captured.
    let most = i128::from(s.captured_fen) * i128::from(sim::settlement::CAMPAIGN_PPM) * 24 / 1_000_000;
    assert!(i128::from(s.subsidies_fen) <= most, "{s:?}");
}

#[test]
fn the_settlement_identity_holds_on_every_seed_tested() {
    let figures = shared();
    check(figures);
    let s = figures.settlement.as_ref().unwrap();
    assert_eq!(
        s.captured_fen, figures.payments.captured_fen,
        "the journal's captures are the workload's"
    );
    assert!(s.payouts_failed > 0, "some payouts failed and were paid later: {s:?}");
    assert!(s.payable_fen > 0, "delayed and reserved money is still owed: {s:?}");
    assert!(s.subsidies_fen > 0, "campaign merchants' plans paid subsidies: {s:?}");
    for seed in [3, 4] {
        check(&run(&sim::SimConfig::new(seed, 150, 20, 30)));
    }
}
