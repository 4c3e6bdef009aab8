//! The attack families of issue 16 in one run of the fraud evaluation's configuration: each
//! family happens, every fraudulent amount is accounted for by ground truth (stopped plus lost
//! never exceeds attempted), the table sums the run, and the run is reproducible.

use sim::eval::{eval_config, table};

use super::common::run;

#[test]
fn every_family_happens_and_its_loss_adds_up() {
    let config = eval_config(7, 400, 130);
    let f = run(&config);
    for kind in [
        "account_takeover",
        "bust_out",
        "aged_cash_out_ring",
        "rogue_merchant",
        "takeover_otp_passed",
        "device_rotation",
    ] {
        let a = f.fraud.iter().find(|a| a.kind == kind).unwrap();
        assert!(a.attacks > 0 && a.attempted_fen > 0, "{kind} never happened: {a:?}");
        assert!(a.stopped_fen() + a.lost_fen <= a.attempted_fen, "{kind}: {a:?}");
        assert!(a.stopped_fen() >= 0 && a.lost_fen >= 0, "{kind}: {a:?}");
    }
    let t = table(std::slice::from_ref(&f));
    assert_eq!(
        t.overall.attempted_fen,
        f.fraud.iter().map(|a| a.attempted_fen).sum::<i64>()
    );
    assert_eq!(t.good_payments, f.good_payments);
    assert_eq!(t.good_delivery_holds, f.payments.good_delivery_holds);
    let again = run(&config);
    assert_eq!(
        f.deterministic(),
        again.deterministic(),
        "the evaluation run is not reproducible"
    );
}
