//! The applicant population: deterministic, valid, its latent class agrees with the model, and
//! it runs through the flow.

use std::collections::BTreeMap;

use onboarding::Application;
use onboarding::testkit::Population;

use super::harness::{Bench, today};

#[test]
fn the_same_seed_gives_the_same_applicants_and_every_one_parses() {
    let mut a = Population::new(42, today());
    let mut b = Population::new(42, today());
    for _ in 0..300 {
        let (x, y) = (a.applicant(), b.applicant());
        assert_eq!(x.input, y.input);
        assert_eq!(x.context, y.context);
        Application::parse(&x.input, today()).unwrap_or_else(|e| panic!("{e}: {:?}", x.input));
    }
    let farm = Population::new(1, today()).device_farm(4);
    assert!(farm.iter().all(|a| a.context == farm[0].context && a.bad));
}

#[test]
fn the_model_ranks_bad_applicants_above_good_ones() {
    let bench_model = super::harness::service(onboarding::ApplicationStore::memory());
    let model = bench_model.model();
    let mut population = Population::new(7, today());
    let mut scored = Vec::new();
    let mut bands = BTreeMap::new();
    for _ in 0..2_000 {
        let applicant = population.applicant();
        let app = Application::parse(&applicant.input, today()).unwrap();
        let row = app
            .credit_file
            .row(model.schema(), app.age, app.income, app.requested_limit)
            .unwrap();
        let s = model.score(&row);
        *bands.entry(s.band.to_owned()).or_insert(0) += 1;
        scored.push((s.pd, applicant.bad));
    }
    let bad_rate = scored.iter().filter(|(_, bad)| *bad).count() as f64 / scored.len() as f64;
    // AUC: the share of (bad, good) pairs where the bad one has the higher PD.
    let (bads, goods): (Vec<_>, Vec<_>) = scored.iter().partition(|(_, bad)| *bad);
    let wins: f64 = bads
        .iter()
        .map(|(pb, _)| {
            goods
                .iter()
                .map(|(pg, _)| {
                    if pb > pg {
                        1.0
                    } else if pb == pg {
                        0.5
                    } else {
                        0.0
                    }
                })
                .sum::<f64>()
        })
        .sum();
    let auc = wins / (bads.len() * goods.len()) as f64;
    println!(
        "population of 2,000: bad rate {bad_rate:.3}, AUC of the model on the latent class {auc:.3}, bands {bands:?}"
    );
    assert!((0.24..0.32).contains(&bad_rate), "{bad_rate}");
    assert!(auc > 0.8, "the latent class agrees with the model: AUC {auc}");
}

#[tokio::test]
async fn a_population_runs_through_the_flow() {
    let b = Bench::new();
    let mut population = Population::new(11, today());
    let mut outcomes: BTreeMap<(&str, bool), u32> = BTreeMap::new();
    for _ in 0..80 {
        b.clock.advance(jiff::SignedDuration::from_mins(7));
        let applicant = population.applicant();
        let d = b.apply(&applicant.input, applicant.context).await;
        *outcomes.entry((d.outcome.code(), applicant.bad)).or_insert(0) += 1;
    }
    println!("80 applicants (outcome, latent bad) -> count: {outcomes:?}");
    let count = |code: &str, bad: bool| outcomes.get(&(code, bad)).copied().unwrap_or(0);
    let approved = count("approved", false) + count("approved", true);
    assert!(approved >= 15, "{outcomes:?}");
    assert!(
        count("approved", true) * 4 < approved,
        "approvals are mostly good applicants: {outcomes:?}"
    );
    assert_eq!(count("try_later", false) + count("try_later", true), 0);
}
