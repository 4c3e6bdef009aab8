//! The application store survives a restart; a torn last line (a crash mid-write) is dropped.

use std::io::Write;

use onboarding::{ApplicationStore, Outcome};

use super::harness::{Bench, Person, context};

#[tokio::test]
async fn records_and_lines_survive_a_reopen_and_a_torn_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("applications.jsonl");
    let b = Bench::new();
    let service = super::harness::service(ApplicationStore::open(&path).unwrap());
    let approved = service
        .apply(&b.engine, &Person::aged(300, 36).good(), context(300), b.now())
        .await
        .unwrap();
    assert_eq!(approved.outcome, Outcome::Approved);
    let mut review = Person::aged(301, 30).good();
    review.requested_limit_fen = 15_000_000;
    let reviewed = service.apply(&b.engine, &review, context(301), b.now()).await.unwrap();
    assert_eq!(reviewed.outcome, Outcome::Review);
    drop(service);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"application\":{\"id\":9")
        .unwrap();

    let store = ApplicationStore::open(&path).unwrap();
    let record = store.get(approved.application.unwrap()).unwrap();
    assert_eq!(record.decision, approved);
    assert!(store.line(approved.account.unwrap()).is_some());
    assert_eq!(store.reviews().len(), 1);
    assert_eq!(store.reviews()[0].decision, reviewed);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&Person::aged(300, 36).id), "no raw ID number at rest");
}
