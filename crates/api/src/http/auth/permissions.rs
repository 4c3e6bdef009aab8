//! What operators may do: every operator action of the API as a [`Permission`], the seven
//! [`Role`]s, and the one table that says which role holds which permission
//! ([`Permission::roles`]). [`Grants`] is a set of permissions: what a session's roles add up
//! to, or an API key's scopes.
//!
//! Which route needs which permission is [`crate::http::auth::policy`]'s table.

use std::fmt;

/// An operator action, by the stable name routes declare (`x-permission` in the OpenAPI
/// document), 403 answers name and the audit log records as the action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Read a customer's line, statements, plans, repayments, cash-outs (masked).
    CustomersRead,
    /// Rotate a customer's token (a lost or expired one).
    CustomersRotateToken,
    /// Open a credit line directly (without an application).
    LinesOpen,
    /// Verify and keep a customer's identity and bank card.
    IdentityVerify,
    /// Run a risk checkpoint for a customer (the app backend).
    RiskCheckpoint,
    /// Read the rule sets in force.
    RulesRead,
    /// Add to the fraud lists.
    FraudLists,
    /// Exempt transactions as fraud (directly, or by confirming a theft case).
    FraudExempt,
    /// Read cases and their evidence.
    CasesRead,
    /// Resolve a case (confirming a theft also needs `fraud.exempt`); claim one, write notes,
    /// link cases, attach files.
    CasesResolve,
    /// Assign a case to an operator (with a reason) and set a queue's members, capacity and SLA.
    CasesAssign,
    /// Open a theft case for a customer who reported it outside iou (by phone, at a branch).
    CasesOpen,
    /// Freeze an account.
    AccountsFreeze,
    /// Lift an account's freeze.
    AccountsUnfreeze,
    /// Set a permanent limit.
    LimitsChange,
    /// Grant a temporary limit.
    LimitsTemporary,
    /// Run the periodic limit review.
    LimitsReview,
    /// Set a customer's credit profile (scores).
    CreditProfile,
    /// Read credit applications and the review queue.
    ApplicationsRead,
    /// Approve or decline an application in review.
    ApplicationsDecide,
    /// Start a debit of the customer's card (a repayment or a payoff) for them.
    RepaymentsDebit,
    /// Record money received outside the system (an offline repayment or payoff).
    RecordOfflineRepayment,
    /// Turn a statement into installments for the customer.
    StatementsInstall,
    /// Pay a customer's credit balance out to their card.
    PayoutsCreate,
    /// Register merchants and manage their webhook endpoints.
    MerchantsManage,
    /// Create, list and end installment campaigns (merchants' and categories' fee rates).
    CampaignsManage,
    /// Run merchant settlement for closed business days.
    SettlementRun,
    /// Set merchant pricing rules and merchants' settlement terms.
    SettlementManage,
    /// Move simulation mode's clock, run the daily advance, read account records.
    SystemSimulation,
    /// Create the first admin operator (only the bootstrap token holds it).
    OperatorsBootstrap,
    /// List operators.
    OperatorsRead,
    /// Create an operator.
    OperatorsCreate,
    /// Disable an operator (their sessions stop at once).
    OperatorsDisable,
    /// Set an operator's roles.
    OperatorsSetRoles,
    /// Create an API key with scopes.
    ApiKeysCreate,
    /// Revoke an API key.
    ApiKeysRevoke,
    /// Read the audit log.
    AuditRead,
    /// See the emergency controls in force.
    EmergencyRead,
    /// Pause and resume offline (payment code) payments, and one merchant's payments.
    EmergencyPause,
    /// Freeze a list of accounts at once.
    EmergencyFreeze,
    /// Raise and lower every account's risk tier (payments above an amount step up).
    EmergencyRiskTier,
    /// Roll the rule set back to the previous version.
    EmergencyRulesRollback,
    /// Deploy a rule set (always with a second operator's approval).
    RulesDeploy,
    /// Backtest a candidate rule set on the journaled decisions and the analysts' labels.
    RulesBacktest,
    /// See a customer's personal data in full (audited; more than one customer at once needs a
    /// second operator's approval).
    PiiReveal,
    /// Read the proposals waiting for (or given) a second operator's approval.
    ApprovalsRead,
    /// Approve or reject a proposal (the approver must also hold what the proposal needs).
    ApprovalsDecide,
    /// Change a customer's notification preferences for them (channels per kind, language).
    NotificationsManage,
    /// Read the collections queue and an account's collections file (situation, next action,
    /// promises, call tasks).
    CollectionsRead,
    /// Record promises to pay and call tasks with their outcome.
    CollectionsWork,
    /// Re-age a delinquent balance into a hardship plan (always with a second operator's
    /// approval).
    CollectionsHardship,
    /// Set a merchant's risk tier (what it must do: the delivery checkpoint, the customer's
    /// step-up on link payments); lowering it needs a second operator's approval.
    MerchantsRiskTier,
    /// Export a case's (or its fraud ring's) police evidence bundle, personal data masked
    /// (audited as `cases.export`, like `iou cases export`).
    CasesExport,
}

/// An operator's job. An operator holds a set of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads customers (masked), rotates a lost customer token.
    Support,
    /// Reviews applications and cases.
    Analyst,
    /// Theft cases, fraud exemptions, fraud lists, freezes.
    Fraud,
    /// Limits, temporary limits, credit profiles, money in and out for a customer.
    CreditOfficer,
    /// Rule sets.
    RulesAdmin,
    /// Reads the audit log, nothing else.
    Auditor,
    /// Manages operators, API keys and merchants.
    Admin,
    /// Runs the case teams: assigns cases with a reason, sets queues' members, capacity and SLA.
    Supervisor,
    /// Works delinquent accounts: the collections queue, promises to pay, calls, hardship plans.
    Collector,
}

use Permission as P;
use Role as R;

impl Permission {
    pub const ALL: [Permission; 53] = [
        P::CustomersRead,
        P::CustomersRotateToken,
        P::LinesOpen,
        P::IdentityVerify,
        P::RiskCheckpoint,
        P::RulesRead,
        P::FraudLists,
        P::FraudExempt,
        P::CasesRead,
        P::CasesResolve,
        P::CasesAssign,
        P::CasesOpen,
        P::AccountsFreeze,
        P::AccountsUnfreeze,
        P::LimitsChange,
        P::LimitsTemporary,
        P::LimitsReview,
        P::CreditProfile,
        P::ApplicationsRead,
        P::ApplicationsDecide,
        P::RepaymentsDebit,
        P::RecordOfflineRepayment,
        P::StatementsInstall,
        P::PayoutsCreate,
        P::MerchantsManage,
        P::CampaignsManage,
        P::SettlementRun,
        P::SettlementManage,
        P::SystemSimulation,
        P::OperatorsBootstrap,
        P::OperatorsRead,
        P::OperatorsCreate,
        P::OperatorsDisable,
        P::OperatorsSetRoles,
        P::ApiKeysCreate,
        P::ApiKeysRevoke,
        P::AuditRead,
        P::EmergencyRead,
        P::EmergencyPause,
        P::EmergencyFreeze,
        P::EmergencyRiskTier,
        P::EmergencyRulesRollback,
        P::RulesDeploy,
        P::RulesBacktest,
        P::PiiReveal,
        P::ApprovalsRead,
        P::ApprovalsDecide,
        P::NotificationsManage,
        P::CollectionsRead,
        P::CollectionsWork,
        P::CollectionsHardship,
        P::MerchantsRiskTier,
        P::CasesExport,
    ];

    /// The roles that hold this permission: the one table of who may do what.
    pub fn roles(self) -> &'static [Role] {
        match self {
            P::CustomersRead => &[R::Support, R::Analyst, R::Fraud, R::CreditOfficer, R::Collector],
            P::CustomersRotateToken => &[R::Support],
            P::LinesOpen => &[R::CreditOfficer],
            P::IdentityVerify => &[R::Analyst],
            P::RiskCheckpoint => &[R::Fraud],
            P::RulesRead => &[R::Analyst, R::Fraud, R::RulesAdmin],
            P::FraudLists | P::FraudExempt => &[R::Fraud],
            P::CasesRead => &[R::Analyst, R::Fraud, R::Supervisor],
            P::CasesResolve => &[R::Analyst, R::Fraud],
            P::CasesAssign => &[R::Supervisor],
            P::CasesOpen => &[R::Fraud],
            P::AccountsFreeze | P::AccountsUnfreeze => &[R::Fraud],
            P::LimitsChange | P::LimitsTemporary | P::LimitsReview | P::CreditProfile => &[R::CreditOfficer],
            P::ApplicationsRead | P::ApplicationsDecide => &[R::Analyst],
            P::RepaymentsDebit | P::RecordOfflineRepayment | P::StatementsInstall | P::PayoutsCreate => {
                &[R::CreditOfficer]
            }
            P::MerchantsManage | P::SystemSimulation => &[R::Admin],
            P::CampaignsManage => &[R::CreditOfficer, R::Admin],
            P::SettlementRun | P::SettlementManage => &[R::CreditOfficer, R::Admin],
            P::OperatorsBootstrap => &[],
            P::OperatorsRead
            | P::OperatorsCreate
            | P::OperatorsDisable
            | P::OperatorsSetRoles
            | P::ApiKeysCreate
            | P::ApiKeysRevoke => &[R::Admin],
            P::AuditRead => &[R::Auditor],
            P::EmergencyRead => &[
                R::Support,
                R::Analyst,
                R::Fraud,
                R::CreditOfficer,
                R::RulesAdmin,
                R::Admin,
            ],
            P::EmergencyPause | P::EmergencyFreeze | P::EmergencyRiskTier => &[R::Fraud, R::Admin],
            P::EmergencyRulesRollback | P::RulesDeploy => &[R::RulesAdmin],
            P::RulesBacktest => &[R::Analyst, R::Fraud, R::RulesAdmin],
            P::PiiReveal => &[R::Analyst, R::Fraud],
            P::ApprovalsRead | P::ApprovalsDecide => {
                &[R::Analyst, R::Fraud, R::CreditOfficer, R::RulesAdmin, R::Collector]
            }
            P::CollectionsRead => &[R::CreditOfficer, R::Supervisor, R::Collector],
            P::CollectionsWork => &[R::Collector],
            P::CollectionsHardship => &[R::CreditOfficer, R::Collector],
            P::MerchantsRiskTier => &[R::Fraud, R::Admin],
            P::NotificationsManage => &[R::Support],
            P::CasesExport => &[R::Fraud],
        }
    }

    /// The stable name (`customers.read`).
    pub fn name(self) -> &'static str {
        match self {
            P::CustomersRead => "customers.read",
            P::CustomersRotateToken => "customers.rotate_token",
            P::LinesOpen => "lines.open",
            P::IdentityVerify => "identity.verify",
            P::RiskCheckpoint => "risk.checkpoint",
            P::RulesRead => "rules.read",
            P::FraudLists => "fraud.lists",
            P::FraudExempt => "fraud.exempt",
            P::CasesRead => "cases.read",
            P::CasesResolve => "cases.resolve",
            P::CasesAssign => "cases.assign",
            P::CasesOpen => "cases.open",
            P::AccountsFreeze => "accounts.freeze",
            P::AccountsUnfreeze => "accounts.unfreeze",
            P::LimitsChange => "limits.change",
            P::LimitsTemporary => "limits.temporary",
            P::LimitsReview => "limits.review",
            P::CreditProfile => "credit.profile",
            P::ApplicationsRead => "applications.read",
            P::ApplicationsDecide => "applications.decide",
            P::RepaymentsDebit => "repayments.debit",
            P::RecordOfflineRepayment => "repayments.record_offline",
            P::StatementsInstall => "statements.install",
            P::PayoutsCreate => "payouts.create",
            P::MerchantsManage => "merchants.manage",
            P::CampaignsManage => "campaigns.manage",
            P::SettlementRun => "settlement.run",
            P::SettlementManage => "settlement.manage",
            P::SystemSimulation => "system.simulation",
            P::OperatorsBootstrap => "operators.bootstrap",
            P::OperatorsRead => "operators.read",
            P::OperatorsCreate => "operators.create",
            P::OperatorsDisable => "operators.disable",
            P::OperatorsSetRoles => "operators.set_roles",
            P::ApiKeysCreate => "api_keys.create",
            P::ApiKeysRevoke => "api_keys.revoke",
            P::AuditRead => "audit.read",
            P::EmergencyRead => "emergency.read",
            P::EmergencyPause => "emergency.pause",
            P::EmergencyFreeze => "emergency.freeze",
            P::EmergencyRiskTier => "emergency.risk_tier",
            P::EmergencyRulesRollback => "emergency.rules_rollback",
            P::RulesDeploy => "rules.deploy",
            P::RulesBacktest => "rules.backtest",
            P::PiiReveal => "pii.reveal",
            P::ApprovalsRead => "approvals.read",
            P::ApprovalsDecide => "approvals.decide",
            P::NotificationsManage => "notifications.manage",
            P::CollectionsRead => "collections.read",
            P::CollectionsWork => "collections.work",
            P::CollectionsHardship => "collections.hardship",
            P::MerchantsRiskTier => "merchants.risk_tier",
            P::CasesExport => "cases.export",
        }
    }

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == name)
    }

    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Role {
    pub const ALL: [Role; 9] = [
        R::Support,
        R::Analyst,
        R::Fraud,
        R::CreditOfficer,
        R::RulesAdmin,
        R::Auditor,
        R::Admin,
        R::Supervisor,
        R::Collector,
    ];

    /// Whether this role may do `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        permission.roles().contains(&self)
    }

    pub fn name(self) -> &'static str {
        match self {
            R::Support => "support",
            R::Analyst => "analyst",
            R::Fraud => "fraud",
            R::CreditOfficer => "credit_officer",
            R::RulesAdmin => "rules_admin",
            R::Auditor => "auditor",
            R::Admin => "admin",
            R::Supervisor => "supervisor",
            R::Collector => "collector",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of permissions (a bit each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grants(u64);

impl Grants {
    /// Every permission: the bootstrap token's until the first operator exists.
    pub fn all() -> Grants {
        Grants::of(Permission::ALL)
    }

    pub fn of(permissions: impl IntoIterator<Item = Permission>) -> Grants {
        Grants(permissions.into_iter().fold(0, |bits, p| bits | p.bit()))
    }

    /// What `roles` hold together.
    pub fn of_roles(roles: impl IntoIterator<Item = Role>) -> Grants {
        let roles: Vec<Role> = roles.into_iter().collect();
        Grants::of(
            Permission::ALL
                .into_iter()
                .filter(|p| roles.iter().any(|r| r.allows(*p))),
        )
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut names: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.name()), Some(p));
            assert_eq!(p as usize, Permission::ALL.iter().position(|q| *q == p).unwrap());
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.name()), Some(r));
        }
    }

    #[test]
    fn the_auditor_reads_the_audit_log_and_nothing_else() {
        let auditor = Grants::of_roles([Role::Auditor]);
        assert_eq!(auditor.iter().collect::<Vec<_>>(), vec![Permission::AuditRead]);
        assert!(!Grants::of_roles(Role::ALL.into_iter().filter(|r| *r != Role::Auditor)).contains(P::AuditRead));
    }

    #[test]
    fn no_role_bootstraps_and_every_other_permission_has_a_role() {
        let every_role = Grants::of_roles(Role::ALL);
        for p in Permission::ALL {
            assert_eq!(every_role.contains(p), p != P::OperatorsBootstrap, "{p}");
        }
        assert!(Grants::all().contains(P::OperatorsBootstrap));
    }
}
