//! Which operator may call which route: [`ROUTES`], one line per route an operator may call,
//! with the [`Permission`] it needs. The `Call` extractor checks it for every operator
//! (session, API key or the bootstrap token) before the handler runs, so a handler's
//! `principal.operator()` only asks whether the caller is an operator at all; a route not in
//! the table refuses every operator (deny by default). The OpenAPI document shows each line as
//! the operation's `x-permission` (and the bearer scope), and the role matrix test walks the
//! document to check every route against [`Permission::roles`].

use crate::http::auth::permissions::Permission;

/// What an operator needs to call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in operator (logging out, asking who it is).
    AnyOperator,
    Needs(Permission),
}

use Access::{AnyOperator, Needs};
use Permission as P;

const C: &str = "/v1/customers/{customer_id}";

/// `(method, path template as routed, access)`. Paths under a customer are written after
/// [`C`] in [`access`]'s lookup; the rest in full.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("POST", "/v1/system/clock", Needs(P::SystemSimulation)),
    ("POST", "/v1/system/advance", Needs(P::SystemSimulation)),
    ("GET", "/v1/system/accounts/{customer_id}", Needs(P::SystemSimulation)),
    ("POST", "/v1/merchants", Needs(P::MerchantsManage)),
    ("POST", "/v1/merchants/{merchant_id}/webhook", Needs(P::MerchantsManage)),
    ("GET", "/v1/merchants/{merchant_id}/webhook", Needs(P::MerchantsManage)),
    (
        "POST",
        "/v1/merchants/{merchant_id}/risk-tier",
        Needs(P::MerchantsRiskTier),
    ),
    (
        "GET",
        "/v1/merchants/{merchant_id}/risk-tier",
        Needs(P::MerchantsRiskTier),
    ),
    ("POST", "/v1/campaigns", Needs(P::CampaignsManage)),
    ("GET", "/v1/campaigns", Needs(P::CampaignsManage)),
    ("POST", "/v1/campaigns/{campaign_id}/end", Needs(P::CampaignsManage)),
    ("POST", "/v1/settlement/runs", Needs(P::SettlementRun)),
    ("POST", "/v1/settlement/prices", Needs(P::SettlementManage)),
    ("GET", "/v1/settlement/prices", Needs(P::SettlementManage)),
    (
        "POST",
        "/v1/merchants/{merchant_id}/settlement-terms",
        Needs(P::SettlementManage),
    ),
    ("POST", "/v1/customers", Needs(P::LinesOpen)),
    ("GET", "", Needs(P::CustomersRead)),
    ("POST", "/checkpoints", Needs(P::RiskCheckpoint)),
    ("POST", "/fraud-exemptions", Needs(P::FraudExempt)),
    ("POST", "/credit-profile", Needs(P::CreditProfile)),
    ("POST", "/limit", Needs(P::LimitsChange)),
    ("POST", "/temporary-limit", Needs(P::LimitsTemporary)),
    ("POST", "/freeze", Needs(P::AccountsFreeze)),
    ("POST", "/unfreeze", Needs(P::AccountsUnfreeze)),
    ("POST", "/token/rotate", Needs(P::CustomersRotateToken)),
    ("GET", "/statements", Needs(P::CustomersRead)),
    ("GET", "/notification-preferences", Needs(P::CustomersRead)),
    ("PUT", "/notification-preferences", Needs(P::NotificationsManage)),
    ("GET", "/notifications", Needs(P::CustomersRead)),
    ("GET", "/statements/{seq}", Needs(P::CustomersRead)),
    ("GET", "/statements/{seq}/document", Needs(P::CustomersRead)),
    ("POST", "/statements/{seq}/installments", Needs(P::StatementsInstall)),
    ("GET", "/plans", Needs(P::CustomersRead)),
    ("GET", "/plans/{plan_id}", Needs(P::CustomersRead)),
    ("GET", "/plans/{plan_id}/payoff-quote", Needs(P::CustomersRead)),
    ("POST", "/plans/{plan_id}/payoff", Needs(P::RepaymentsDebit)),
    ("POST", "/repayments", Needs(P::RepaymentsDebit)),
    ("GET", "/repayments/{repayment_id}", Needs(P::CustomersRead)),
    ("POST", "/offline-repayments", Needs(P::RecordOfflineRepayment)),
    ("POST", "/cash-outs", Needs(P::PayoutsCreate)),
    ("GET", "/cash-outs/{cash_out_id}", Needs(P::CustomersRead)),
    ("POST", "/identity", Needs(P::IdentityVerify)),
    ("GET", "/cases", Needs(P::CasesRead)),
    // Customer 360 and the dashboards (issue 20).
    ("GET", "/transactions", Needs(P::CustomersRead)),
    ("GET", "/devices", Needs(P::CasesRead)),
    ("GET", "/v1/portfolio", Needs(P::CustomersRead)),
    ("GET", "/collections", Needs(P::CollectionsRead)),
    ("POST", "/promises", Needs(P::CollectionsWork)),
    ("POST", "/call-tasks", Needs(P::CollectionsWork)),
    ("POST", "/hardship-plans", Needs(P::CollectionsHardship)),
    ("GET", "/v1/collections", Needs(P::CollectionsRead)),
    ("GET", "/v1/risk/rules", Needs(P::RulesRead)),
    ("POST", "/v1/risk/lists", Needs(P::FraudLists)),
    ("GET", "/v1/cases", Needs(P::CasesRead)),
    ("GET", "/v1/temporary-limit-requests", Needs(P::LimitsTemporary)),
    (
        "POST",
        "/v1/temporary-limit-requests/{request_id}/decide",
        Needs(P::LimitsTemporary),
    ),
    (
        "POST",
        "/v1/temporary-limit-requests/{request_id}/claim",
        Needs(P::LimitsTemporary),
    ),
    ("GET", "/v1/cases/{case_id}", Needs(P::CasesRead)),
    ("POST", "/v1/cases/{case_id}/resolve", Needs(P::CasesResolve)),
    ("POST", "/v1/cases", Needs(P::CasesOpen)),
    ("POST", "/v1/cases/{case_id}/claim", Needs(P::CasesResolve)),
    ("POST", "/v1/cases/{case_id}/assign", Needs(P::CasesAssign)),
    ("POST", "/v1/cases/{case_id}/notes", Needs(P::CasesResolve)),
    ("POST", "/v1/cases/{case_id}/links", Needs(P::CasesResolve)),
    ("POST", "/v1/cases/{case_id}/attachments", Needs(P::CasesResolve)),
    ("GET", "/v1/cases/{case_id}/attachments/{n}", Needs(P::CasesRead)),
    ("GET", "/v1/cases/{case_id}/evidence-bundle", Needs(P::CasesExport)),
    ("GET", "/v1/case-queues", Needs(P::CasesRead)),
    ("POST", "/v1/case-queues/{queue}", Needs(P::CasesAssign)),
    ("GET", "/v1/applications", Needs(P::ApplicationsRead)),
    ("GET", "/v1/applications/{application_id}", Needs(P::ApplicationsRead)),
    (
        "POST",
        "/v1/applications/{application_id}/approve",
        Needs(P::ApplicationsDecide),
    ),
    (
        "POST",
        "/v1/applications/{application_id}/decline",
        Needs(P::ApplicationsDecide),
    ),
    ("POST", "/v1/limit-reviews", Needs(P::LimitsReview)),
    ("POST", "/v1/operators/bootstrap", Needs(P::OperatorsBootstrap)),
    ("POST", "/v1/operators/logout", AnyOperator),
    ("GET", "/v1/operators", Needs(P::OperatorsRead)),
    ("POST", "/v1/operators", Needs(P::OperatorsCreate)),
    (
        "POST",
        "/v1/operators/{operator_id}/disable",
        Needs(P::OperatorsDisable),
    ),
    ("POST", "/v1/operators/{operator_id}/roles", Needs(P::OperatorsSetRoles)),
    ("POST", "/v1/api-keys", Needs(P::ApiKeysCreate)),
    ("POST", "/v1/api-keys/{key_id}/revoke", Needs(P::ApiKeysRevoke)),
    ("GET", "/v1/audit", Needs(P::AuditRead)),
    ("GET", "/v1/emergency", Needs(P::EmergencyRead)),
    ("POST", "/v1/emergency/offline-pause", Needs(P::EmergencyPause)),
    (
        "POST",
        "/v1/emergency/merchants/{merchant_id}/pause",
        Needs(P::EmergencyPause),
    ),
    ("POST", "/v1/emergency/freezes", Needs(P::EmergencyFreeze)),
    ("POST", "/v1/emergency/risk-tier", Needs(P::EmergencyRiskTier)),
    ("POST", "/v1/emergency/rules-rollback", Needs(P::EmergencyRulesRollback)),
    ("POST", "/v1/risk/rules", Needs(P::RulesDeploy)),
    ("POST", "/v1/risk/backtests", Needs(P::RulesBacktest)),
    ("POST", "/identity/reveal", Needs(P::PiiReveal)),
    ("POST", "/v1/reveals", Needs(P::PiiReveal)),
    ("GET", "/v1/approvals", Needs(P::ApprovalsRead)),
    ("GET", "/v1/approvals/{approval_id}", Needs(P::ApprovalsRead)),
    ("POST", "/v1/approvals/{approval_id}/approve", Needs(P::ApprovalsDecide)),
    ("POST", "/v1/approvals/{approval_id}/reject", Needs(P::ApprovalsDecide)),
    // The operator console (issue 20).
    ("GET", "/v1/operators/me", AnyOperator),
    ("GET", "/v1/audit/verify", Needs(P::AuditRead)),
];

/// The audit log's action word for a route [`AnyOperator`] may call.
pub fn any_operator_action(route: &str) -> &'static str {
    match route {
        "/v1/operators/me" => "operator.me",
        _ => "operator.logout",
    }
}

/// The full path of a table line (a customer's sub-route is written after [`C`]).
pub fn full_path(path: &str) -> String {
    if path.starts_with("/v1/") {
        path.to_owned()
    } else {
        format!("{C}{path}")
    }
}

/// What an operator needs to call `method` on the routed path template `path` (`None`: no
/// operator may).
pub fn access(method: &str, path: &str) -> Option<Access> {
    let sub = path.strip_prefix(C);
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && (*p == path || (!p.starts_with("/v1/") && sub == Some(*p))))
        .map(|(_, _, access)| *access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_full_and_customer_paths() {
        assert_eq!(access("GET", C), Some(Needs(P::CustomersRead)));
        assert_eq!(access("POST", &format!("{C}/limit")), Some(Needs(P::LimitsChange)));
        assert_eq!(access("GET", "/v1/cases"), Some(Needs(P::CasesRead)));
        assert_eq!(access("POST", "/v1/payments"), None);
        assert_eq!(access("GET", "/limit"), None);
        assert_eq!(access("POST", "/v1/operators/logout"), Some(AnyOperator));
    }

    #[test]
    fn each_route_is_listed_once() {
        let mut seen: Vec<(&str, String)> = ROUTES.iter().map(|(m, p, _)| (*m, full_path(p))).collect();
        seen.sort();
        let before = seen.len();
        seen.dedup();
        assert_eq!(seen.len(), before);
    }
}
