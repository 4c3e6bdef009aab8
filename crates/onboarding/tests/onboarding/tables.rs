//! The limit tables over tables of inputs: every case against a plain-Rust twin of the policy
//! the table documents (an independent oracle), and a readable snapshot of a selection
//! (`limit_tier.snap`, `limit_review.snap`; `UPDATE_SNAPSHOTS=1` rewrites them).

use std::path::Path;

use money::Amount;
use onboarding::behaviour::Behaviour;
use onboarding::limits::floored;
use onboarding::{LimitReviewTable, LimitTierTable, OfferInput, ReviewAction, TableOutcome};

use super::harness::repo;

fn tier_table() -> LimitTierTable {
    LimitTierTable::load(&repo().join("rules/limits")).unwrap()
}

fn review_table() -> LimitReviewTable {
    LimitReviewTable::load(&repo().join("rules/limits")).unwrap()
}

/// The policy of `limit_tier.json`, written again in Rust: (outcome, limit fen, tier, reason).
fn tier_oracle(i: &OfferInput) -> (TableOutcome, i64, Option<&'static str>, Option<&'static str>) {
    let (multiple, cap, tier) = match i.band.as_str() {
        "A" => (3, 5_000_000, Some("A")),
        "B" => (2, 3_000_000, Some("B")),
        "C" => (1, 1_000_000, Some("C")),
        _ => (0, 0, None),
    };
    let limit = (i.income_fen * multiple).min(cap).min(i.requested_limit_fen) / 10_000 * 10_000;
    let verdict = if i.age < 18 {
        (TableOutcome::Decline, Some("AGE_BELOW_MIN"))
    } else if i.age > 65 {
        (TableOutcome::Decline, Some("AGE_ABOVE_MAX"))
    } else if tier.is_none() {
        (TableOutcome::Decline, Some("SCORE_TOO_LOW"))
    } else if i.income_fen < 200_000 {
        (TableOutcome::Decline, Some("INCOME_TOO_LOW"))
    } else if limit < 100_000 {
        (TableOutcome::Decline, Some("LIMIT_TOO_SMALL"))
    } else if i.risk_outcome == "review" {
        (TableOutcome::Review, Some("RISK_REVIEW"))
    } else if i.band == "C" {
        (TableOutcome::Review, Some("SCORE_BORDERLINE"))
    } else {
        (TableOutcome::Approve, None)
    };
    (verdict.0, limit, if limit > 0 { tier } else { None }, verdict.1)
}

fn tier_cases() -> Vec<OfferInput> {
    let mut cases = Vec::new();
    for band in ["A", "B", "C", "D", "E"] {
        for income in [0, 199_999, 200_000, 333_333, 1_000_000, 2_000_000, 5_000_000] {
            for requested in [50_000, 2_000_000, 10_000_000] {
                for age in [17, 18, 40, 65, 66] {
                    for risk in ["allow", "review"] {
                        cases.push(OfferInput {
                            band: band.into(),
                            pd: 0.1,
                            score: 550,
                            age,
                            income_fen: income,
                            requested_limit_fen: requested,
                            risk_outcome: risk,
                            risk_reasons: Vec::new(),
                        });
                    }
                }
            }
        }
    }
    cases
}

#[test]
fn the_limit_tier_table_follows_its_policy_on_every_case() {
    let table = tier_table();
    let mut snapshot = String::from("band income_fen requested_fen age risk -> outcome limit_fen tier rate reason\n");
    for (n, case) in tier_cases().iter().enumerate() {
        let offer = table.decide(case).unwrap();
        let got = (
            offer.outcome,
            offer.limit.fen(),
            offer.tier.as_ref().map(|t| t.name.as_str()),
            offer.reason.as_deref(),
        );
        let want = tier_oracle(case);
        assert_eq!(
            (got.0, got.1, got.2, got.3),
            (want.0, want.1, want.2, want.3),
            "{case:?}"
        );
        if n % 7 == 0 {
            snapshot.push_str(&format!(
                "{} {} {} {} {} -> {:?} {} {} {} {}\n",
                case.band,
                case.income_fen,
                case.requested_limit_fen,
                case.age,
                case.risk_outcome,
                offer.outcome,
                offer.limit.fen(),
                offer.tier.as_ref().map_or("-", |t| t.name.as_str()),
                offer.tier.as_ref().map_or(0, |t| t.rate.ppm()),
                offer.reason.as_deref().unwrap_or("-"),
            ));
        }
    }
    check_snapshot("limit_tier.snap", &snapshot);
}

fn behaviour(dpd: u32, late: u32, months: i32, billed: u32, revolving: u32, utilization: i64) -> Behaviour {
    Behaviour {
        limit_fen: 1_000_000,
        exposure_fen: utilization * 10_000,
        utilization_pct: utilization,
        dpd,
        months_on_book: months,
        billed_statements_12: billed,
        late_statements_12: late,
        revolving_statements_12: revolving,
        frozen: false,
        charged_off: false,
    }
}

/// The policy of `limit_review.json` in Rust, for a 10,000-yuan line.
fn review_oracle(b: &Behaviour) -> (ReviewAction, i64, Option<&'static str>) {
    let limit = b.limit_fen;
    let down = |num: i64, den: i64| limit * num / den / 10_000 * 10_000;
    if b.charged_off {
        (ReviewAction::Keep, limit, Some("CHARGED_OFF"))
    } else if b.frozen {
        (ReviewAction::Keep, limit, Some("FROZEN"))
    } else if b.dpd > 30 {
        (ReviewAction::Lower, down(1, 2), Some("DELINQUENT_M2"))
    } else if b.dpd > 3 {
        (ReviewAction::Lower, down(3, 4), Some("DELINQUENT_M1"))
    } else if b.late_statements_12 >= 2 {
        (ReviewAction::Lower, down(3, 4), Some("REPEATED_LATE"))
    } else if b.months_on_book < 3 {
        (ReviewAction::Keep, limit, Some("TOO_EARLY"))
    } else if b.late_statements_12 == 1 {
        (ReviewAction::Keep, limit, Some("RECENT_LATE"))
    } else if b.billed_statements_12 >= 3 && b.revolving_statements_12 <= 1 && b.utilization_pct >= 50 {
        (
            ReviewAction::Raise,
            down(6, 5).min(5_000_000),
            Some("GOOD_STANDING_HIGH_USE"),
        )
    } else if b.billed_statements_12 >= 3 && b.revolving_statements_12 <= 1 && b.utilization_pct >= 20 {
        (ReviewAction::Raise, down(11, 10).min(5_000_000), Some("GOOD_STANDING"))
    } else {
        (ReviewAction::Keep, limit, None)
    }
}

#[test]
fn the_limit_review_table_follows_its_policy_on_every_case() {
    let table = review_table();
    let mut snapshot =
        String::from("dpd late months billed revolving util% -> action new_limit_fen reason | floored\n");
    let mut n = 0;
    for dpd in [0, 3, 4, 31] {
        for late in [0, 1, 2] {
            for months in [1, 3, 12] {
                for (billed, revolving) in [(2, 0), (3, 1), (6, 2)] {
                    for utilization in [10, 20, 50, 95] {
                        let b = behaviour(dpd, late, months, billed, revolving, utilization);
                        let v = table.decide(&b).unwrap();
                        let want = review_oracle(&b);
                        assert_eq!((v.action, v.new_limit.fen(), v.reason.as_deref()), want, "{b:?}");
                        let (action, limit) =
                            floored(&v, Amount::from_fen(b.limit_fen), Amount::from_fen(b.exposure_fen));
                        assert!(
                            limit.fen() >= b.exposure_fen.min(b.limit_fen),
                            "never below exposure: {b:?}"
                        );
                        n += 1;
                        if n % 5 == 0 {
                            snapshot.push_str(&format!(
                                "{dpd} {late} {months} {billed} {revolving} {utilization} -> {:?} {} {} | {:?} {}\n",
                                v.action,
                                v.new_limit.fen(),
                                v.reason.as_deref().unwrap_or("-"),
                                action,
                                limit.fen()
                            ));
                        }
                    }
                }
            }
        }
    }
    for (charged_off, frozen, reason) in [(true, false, "CHARGED_OFF"), (false, true, "FROZEN")] {
        let b = Behaviour {
            charged_off,
            frozen,
            ..behaviour(40, 3, 12, 6, 0, 90)
        };
        assert_eq!(table.decide(&b).unwrap().reason.as_deref(), Some(reason));
    }
    check_snapshot("limit_review.snap", &snapshot);
}

#[test]
fn the_exposure_floor_turns_a_cut_into_a_smaller_cut_or_a_keep() {
    use onboarding::limits::ReviewVerdict;
    let lower = |to: i64| ReviewVerdict {
        action: ReviewAction::Lower,
        new_limit: Amount::from_fen(to),
        reason: None,
    };
    // (verdict, limit, exposure) -> (action, limit)
    let table = [
        (lower(500_000), 1_000_000, 200_000, (ReviewAction::Lower, 500_000)),
        (lower(500_000), 1_000_000, 800_000, (ReviewAction::Lower, 800_000)),
        (lower(500_000), 1_000_000, 1_000_000, (ReviewAction::Keep, 1_000_000)),
        (lower(500_000), 1_000_000, 1_200_000, (ReviewAction::Keep, 1_000_000)),
    ];
    for (verdict, limit, exposure, want) in table {
        let (action, after) = floored(&verdict, Amount::from_fen(limit), Amount::from_fen(exposure));
        assert_eq!((action, after.fen()), want, "{verdict:?} {limit} {exposure}");
    }
}

fn check_snapshot(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/onboarding")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() || !path.exists() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap();
    assert_eq!(stored, text, "{name} changed: review the diff, then UPDATE_SNAPSHOTS=1");
}
