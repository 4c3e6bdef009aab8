//! The review queue: an analyst approves (at the proposal or another limit) or declines, once.

use money::Amount;
use onboarding::{Outcome, ReviewError};

use super::harness::{Bench, Person, context};

async fn queued(b: &Bench, seed: u64) -> onboarding::Decision {
    let mut input = Person::aged(seed, 30).good();
    input.requested_limit_fen = 15_000_000;
    let d = b.apply(&input, context(seed)).await;
    assert_eq!(d.outcome, Outcome::Review, "{d:#?}");
    d
}

#[tokio::test]
async fn an_analyst_approves_and_the_line_opens_at_once() {
    let b = Bench::new();
    let d = queued(&b, 200).await;
    assert!(
        b.account(d.account.unwrap()).await.is_none(),
        "a review holds no account"
    );
    let id = d.application.unwrap();
    let record = b
        .onboarding
        .approve_review(&b.engine, id, "analyst-1", Some(Amount::yuan(15_000)), b.now())
        .await
        .unwrap();
    assert_eq!(record.status(), Outcome::Approved);
    let account = b.account(d.account.unwrap()).await.unwrap();
    assert_eq!(account.limit, Amount::yuan(15_000));
    assert_eq!(account.billing_day, d.billing_day.unwrap());
    assert_eq!(b.onboarding.tier_of(d.account.unwrap()), d.tier);
    let profile = b.profile(d.account.unwrap()).await.unwrap();
    assert_eq!(
        profile.pricing,
        d.tier.as_ref().unwrap().pricing(),
        "the proposed tier prices the line"
    );
    assert!(b.onboarding.store().reviews().is_empty());
    let again = b
        .onboarding
        .approve_review(&b.engine, id, "analyst-2", None, b.now())
        .await;
    assert!(matches!(again, Err(ReviewError::NotInReview)), "{again:?}");
    let reapply = b.apply(&Person::aged(200, 30).good(), context(201)).await;
    assert_eq!(reapply.outcome, Outcome::Duplicate);
}

#[tokio::test]
async fn an_analyst_declines_and_the_applicant_may_apply_again() {
    let b = Bench::new();
    let d = queued(&b, 210).await;
    let record = b
        .onboarding
        .decline_review(
            d.application.unwrap(),
            "analyst-1",
            vec!["INCOME_UNVERIFIED".into()],
            b.now(),
        )
        .unwrap();
    assert_eq!(record.status(), Outcome::Declined);
    assert!(b.account(d.account.unwrap()).await.is_none(), "nothing was opened");
    let again = b.apply(&Person::aged(210, 30).good(), context(211)).await;
    assert_eq!(again.outcome, Outcome::Approved, "{again:#?}");
    assert_eq!(again.account, d.account, "the line the ID number derives");
}
