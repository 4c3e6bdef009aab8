//! Bill installment: the latest statement, before its due date and with nothing past due, turns
//! its pay-later and carried principal into a plan whose first period is billed on the next
//! statement; the statement's minimum is recomputed over what is left.

use money::schedule::Schedule;

use crate::account::{Account, Ctx};
use crate::authorize::plan_terms;
use crate::command::PlanChoice;
use crate::dues::{DueKind, Origin};
use crate::event::Event;
use crate::ids::PlanId;
use crate::plan::{Plan, PlanSource, PlanStatus};
use crate::reject::Rejection;
use crate::statement::{self, Line, LineKind};

impl Account {
    pub(crate) fn bill_installment(
        &mut self,
        plan_id: PlanId,
        seq: u32,
        choice: &PlanChoice,
        cx: &mut Ctx<'_>,
    ) -> Result<(), Rejection> {
        if self.plan(plan_id).is_some() || self.purchase(crate::ids::TxnId(plan_id.0)).is_some() {
            return Err(Rejection::TxnExists);
        }
        let Some(statement) = self.latest_statement().filter(|s| s.seq == seq) else {
            return Err(Rejection::StatementNotLatest);
        };
        if self.is_charged_off() {
            return Err(Rejection::AccountChargedOff);
        }
        if cx.today >= statement.due_date {
            return Err(Rejection::StatementDue);
        }
        if self.delinquency.past_due_total().is_positive() {
            return Err(Rejection::PastDueOutstanding);
        }
        if statement.installed.is_some() {
            return Err(Rejection::StatementAlreadyInstalled);
        }
        let this_plan_period = |origin: &Origin, stmt: u32| stmt == seq && matches!(origin, Origin::PlanPeriod { .. });
        let convertible = |d: &crate::dues::Due| d.kind == DueKind::Principal && !this_plan_period(&d.origin, d.stmt);
        let principal = self.dues.sum(convertible);
        if principal.is_zero() {
            return Err(Rejection::NothingToInstall);
        }
        let terms = plan_terms(choice, principal, cx.product)?;
        let schedule = Schedule::build(terms).map_err(|_| Rejection::TermNotOffered)?;

        self.dues.remove(convertible);
        self.plans.push(Plan {
            id: plan_id,
            source: PlanSource::Statement { seq },
            terms,
            created_on: cx.today,
            created_at: cx.at,
            periods: schedule.periods,
            billed: 0,
            status: PlanStatus::Active,
        });
        let minimum = statement::minimum(&self.dues, seq, money::Amount::ZERO, cx.product.minimum_principal_rate);
        self.delinquency.latest_unpaid = minimum;
        let statement = self.statements.back_mut().expect("checked above");
        statement.installed = Some(plan_id);
        statement.minimum = minimum;
        self.cycle.lines.push(Line {
            on: cx.today,
            kind: LineKind::BillInstallment { plan: plan_id },
            amount: -principal,
        });
        cx.out.push(Event::BillInstalled {
            account: self.id,
            plan: plan_id,
            statement: seq,
            principal,
            minimum,
        });
        Ok(())
    }
}
