//! The applicant stream with a stand-in for the application route (the real route is tested
//! over HTTP in `crates/iou/tests/cli/simulate_http.rs`): its forms are valid applications, it
//! sends some to review, analysts decide them a day or a few later and the last days' are left,
//! and it moves no other figure of the seed.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;

use credit::AccountId;
use sim::driver::{ApplicationForm, Applications, Applied, DriverError, InProcess, Reviewed};

use super::common::{shared, small};

/// What the stand-in saw.
#[derive(Debug, Default)]
struct Seen {
    forms: Vec<ApplicationForm>,
    in_review: BTreeSet<String>,
    reviewed: u64,
}

/// Approves, sends to review and declines in turn; approves or declines reviews as asked.
struct Route(Rc<RefCell<Seen>>);

impl Applications for Route {
    fn apply(&mut self, forms: &[ApplicationForm]) -> Result<Vec<Applied>, DriverError> {
        let mut seen = self.0.borrow_mut();
        let mut answers = Vec::new();
        for form in forms {
            seen.forms.push(form.clone());
            let n = seen.forms.len() as u64;
            answers.push(match n % 3 {
                0 => Applied::Approved {
                    account: AccountId((1 << 62) + n),
                },
                1 => {
                    seen.in_review.insert(n.to_string());
                    Applied::Review {
                        application: n.to_string(),
                    }
                }
                _ => Applied::Declined {
                    reasons: vec!["CREDIT_PD_HIGH".into()],
                },
            });
        }
        Ok(answers)
    }

    fn review(&mut self, application: &str, approve: bool, _fallback_fen: i64) -> Result<Reviewed, DriverError> {
        let mut seen = self.0.borrow_mut();
        assert!(seen.in_review.remove(application), "{application} reviewed twice");
        seen.reviewed += 1;
        Ok(match approve {
            true => Reviewed::Approved {
                account: AccountId((1 << 61) + seen.reviewed),
            },
            false => Reviewed::Declined,
        })
    }

    fn in_review(&mut self) -> Result<u64, DriverError> {
        Ok(self.0.borrow().in_review.len() as u64)
    }
}

#[test]
fn applicants_apply_with_valid_forms_leave_reviews_open_and_move_no_other_figure() {
    let config = small(11);
    let clock = Arc::new(sim::SwitchClock::manual(sim::start_time(&config)));
    let engine = engine::Engine::start(
        sim::engine_config(config.partitions, None, false).unwrap(),
        Arc::new(store::memory::MemoryBackend::new()),
        clock.clone(),
    )
    .unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let mut driver = InProcess::new(&engine, clock).with_applications(Box::new(Route(seen.clone())));
    let figures = sim::run_with(&config, &mut driver, &mut sim::progress::Silent).unwrap();
    drop(driver);
    engine.shutdown();

    let seen = seen.borrow();
    let apps = &figures.queues.applications;
    // About four an evening, at most eight.
    assert!(apps.applied > 2 * 75 && apps.applied <= 8 * 75, "{apps:?}");
    assert_eq!(apps.applied, seen.forms.len() as u64);
    for form in &seen.forms {
        let parsed = onboarding::Application::parse(&form.applicant, config.start);
        assert!(parsed.is_ok(), "{:?}: {:?}", form.applicant, parsed.err());
    }
    let ids: BTreeSet<&str> = seen.forms.iter().map(|f| f.applicant.id_number.as_str()).collect();
    assert_eq!(ids.len(), seen.forms.len(), "every applicant is someone else");
    assert_eq!(apps.review, apps.applied.div_ceil(3), "{apps:?}");
    assert!(apps.review_approved > 0 && apps.review_declined > 0, "{apps:?}");
    assert!(apps.left_in_review > 0, "{apps:?}");
    assert_eq!(apps.left_in_review, apps.review - seen.reviewed, "{apps:?}");

    let mut others = figures.deterministic();
    others.queues.applications = Default::default();
    // `run_with` does not settle merchants (`run_in_memory` does, after the run).
    others.settlement = shared().settlement.clone();
    others.notifications = shared().notifications.clone();
    assert_eq!(others, shared().deterministic(), "the stream moved another figure");
}
