//! [`ErrorCode`]: every stable code an error answer can carry, with its wire text, its HTTP
//! status and what it means, in one table (`error_codes!` below). Nothing else in the API
//! writes a code's text or picks a status for it: `ApiError::new(code, message)` takes the
//! status from here.
//!
//! One exception is decided elsewhere, in one place: a merchant's authorization answers the
//! refusals about the customer's line as declines, 402 (`http::submit::status`). API.md's
//! "Error codes" table is generated from this one (a test fails when they drift).

use axum::http::StatusCode;
use serde::{Serialize, Serializer};
use utoipa::openapi::schema::{SchemaType, Type};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema};

/// Writes the enum, its list and its three lookups from one table: `Variant = "wire_text",
/// STATUS, "meaning";`.
macro_rules! error_codes {
    ($($variant:ident = $text:literal, $status:ident, $meaning:literal;)*) => {
        /// A stable machine code of an error answer (API.md, "Error codes").
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $meaning] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as clients see it, e.g. `"invalid_amount"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }

            /// The HTTP status it is answered with.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)*
                }
            }

            /// What it means, in one line.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    // --- The request itself.
    BadJson = "bad_json", BAD_REQUEST, "the body is not a JSON object, or not valid JSON";
    UnknownField = "unknown_field", BAD_REQUEST, "the body has a field the route does not take";
    MissingField = "missing_field", BAD_REQUEST, "a required field is missing";
    InvalidField = "invalid_field", BAD_REQUEST, "a field's value is not valid";
    InvalidAmount = "invalid_amount", BAD_REQUEST, "an amount is not a whole number of fen in the accepted range";
    InvalidId = "invalid_id", BAD_REQUEST, "an id is not a string of digits";
    InvalidQuery = "invalid_query", BAD_REQUEST, "the query string is not valid";
    InvalidPayer = "invalid_payer", BAD_REQUEST, "a payment names neither or both of payment_code and link_id";
    BodyTooLarge = "body_too_large", PAYLOAD_TOO_LARGE, "the body is larger than the limit";
    BodyTimeout = "body_timeout", REQUEST_TIMEOUT, "the body did not arrive in time";
    RouteNotFound = "route_not_found", NOT_FOUND, "no route has this path";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "the route does not take this method";
    IdempotencyKeyMissing = "idempotency_key_missing", BAD_REQUEST, "the call needs an Idempotency-Key header";
    IdempotencyKeyInvalid = "idempotency_key_invalid", BAD_REQUEST, "the Idempotency-Key is not 1 to 255 visible ASCII characters";
    IdempotencyKeyReused = "idempotency_key_reused", CONFLICT, "the Idempotency-Key was used with another request";
    IdempotencyKeyInUse = "idempotency_key_in_use", CONFLICT, "a request under this Idempotency-Key is still running: retry shortly";

    // --- Who is calling.
    Unauthenticated = "unauthenticated", UNAUTHORIZED, "the call carries no credentials";
    BadToken = "bad_token", UNAUTHORIZED, "the bearer token is not valid";
    TokenExpired = "token_expired", UNAUTHORIZED, "the customer token expired";
    UnknownMerchant = "unknown_merchant", UNAUTHORIZED, "no merchant has this X-Merchant-Id";
    StaleTimestamp = "stale_timestamp", UNAUTHORIZED, "X-Timestamp is not within 300 s of the server's clock";
    BadSignature = "bad_signature", UNAUTHORIZED, "X-Signature does not sign this request";
    SignatureReplayed = "signature_replayed", UNAUTHORIZED, "a signed read was sent again with the same signature";
    TooManyAuthFailures = "too_many_auth_failures", TOO_MANY_REQUESTS, "too many failed authentications from this address";
    Forbidden = "forbidden", FORBIDDEN, "this caller may not use this route or resource";
    // --- Operators: logins, sessions, API keys, operator accounts.
    LoginFailed = "login_failed", UNAUTHORIZED, "the name, password or one-time code is wrong, or the operator is locked or disabled";
    SessionExpired = "session_expired", UNAUTHORIZED, "the operator's session has expired: log in again";
    OperatorDisabled = "operator_disabled", UNAUTHORIZED, "the operator account is disabled";
    ApiKeyRevoked = "api_key_revoked", UNAUTHORIZED, "the API key was revoked";
    ApiKeyExpired = "api_key_expired", UNAUTHORIZED, "the API key has expired";
    BootstrapTokenRetired = "bootstrap_token_retired", UNAUTHORIZED, "the bootstrap token only sets up the first operator, and one exists";
    NotASession = "not_a_session", BAD_REQUEST, "logout takes an operator session, not an API key or the bootstrap token";
    AlreadyBootstrapped = "already_bootstrapped", CONFLICT, "an operator exists: the bootstrap path is closed";
    OperatorExists = "operator_exists", CONFLICT, "an operator has this name";
    OperatorNotFound = "operator_not_found", NOT_FOUND, "no operator has this id";
    LastAdmin = "last_admin", CONFLICT, "the change would leave no enabled admin";
    ApiKeyNotFound = "api_key_not_found", NOT_FOUND, "no API key has this id";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "too many applications from this address";
    // --- Four eyes (maker-checker).
    ApprovalNotFound = "approval_not_found", NOT_FOUND, "no proposal has this id";
    ApprovalDecided = "approval_decided", CONFLICT, "the proposal was already decided (or expired): see its status";
    FourEyesSameOperator = "four_eyes_same_operator", FORBIDDEN, "the operator who proposed a change may not approve it: a second operator must";
    FourEyesNeedsPerson = "four_eyes_needs_person", FORBIDDEN, "a proposal is approved by an operator signed in as a person, not an API key or the bootstrap token";
    ApprovalNotUsable = "approval_not_usable", CONFLICT, "the approval does not cover this request: not approved, another operator's, another request, used or too old";
    RulesNotDeployable = "rules_not_deployable", CONFLICT, "the server runs the rules built into the binary (no rules folder): rule sets cannot be deployed";
    RulesInvalid = "rules_invalid", UNPROCESSABLE_ENTITY, "the rule set does not build: see the message";
    BacktestRunning = "backtest_running", TOO_MANY_REQUESTS, "a backtest is running on this server: try again when it has finished";
    PortfolioRunning = "portfolio_running", TOO_MANY_REQUESTS, "a portfolio report is being computed on this server: try again when it has finished";
    PriceRuleExists = "price_rule_exists", CONFLICT, "a pricing rule of this scope already takes effect that day: rules are superseded by a later day, never edited";

    // --- Things named that do not exist (for this caller).
    AccountNotFound = "account_not_found", NOT_FOUND, "no customer has this id";
    MerchantNotFound = "merchant_not_found", NOT_FOUND, "no merchant has this id";
    CampaignNotFound = "campaign_not_found", NOT_FOUND, "no campaign has this id (a merchant sees only its own and its category's)";
    TxnNotFound = "txn_not_found", NOT_FOUND, "no such transaction (or another merchant's)";
    PlanNotFound = "plan_not_found", NOT_FOUND, "no such installment plan";
    StatementNotFound = "statement_not_found", NOT_FOUND, "no such statement";
    LinkNotFound = "link_not_found", NOT_FOUND, "no such link to this merchant";
    SettlementNotFound = "settlement_not_found", NOT_FOUND, "that business day is not settled for this merchant (or it had nothing that day)";
    CaseNotFound = "case_not_found", NOT_FOUND, "no case has this id";
    AttachmentNotFound = "attachment_not_found", NOT_FOUND, "the case has no attachment with this number";
    FundingNotFound = "funding_not_found", NOT_FOUND, "no funding operation has this id";
    PayoutNotFound = "payout_not_found", NOT_FOUND, "no merchant payout has this id";
    RepaymentNotFound = "repayment_not_found", NOT_FOUND, "no such repayment on this account";
    CashOutNotFound = "cash_out_not_found", NOT_FOUND, "no such cash-out on this account";
    ApplicationNotFound = "application_not_found", NOT_FOUND, "no such application";
    ChallengeNotFound = "challenge_not_found", NOT_FOUND, "no live step-up challenge has this id";
    PaymentCodeNotFound = "payment_code_not_found", NOT_FOUND, "the payment code is unknown or expired";
    CallbacksNotConfigured = "callbacks_not_configured", NOT_FOUND, "provider callbacks need a configured secret";
    SimulationModeOff = "simulation_mode_off", NOT_FOUND, "the route exists only on a server in simulation mode";

    // --- Payments and payment codes.
    PaymentCodeUsed = "payment_code_used", CONFLICT, "the payment code was spent by an authorization";
    InsufficientAvailableCredit = "insufficient_available_credit", PAYMENT_REQUIRED, "declined: the customer's available credit is insufficient";
    RiskDeclined = "risk_declined", FORBIDDEN, "risk control denied the call (`reasons` says why)";
    ChallengeRequired = "challenge_required", FORBIDDEN, "the customer must pass a step-up first (`challenge`, `reasons`)";
    OrderIntercepted = "order_intercepted", PAYMENT_REQUIRED, "risk control intercepted the order: do not ship it";
    HeldForReview = "held_for_review", CONFLICT, "the order (or payment) is held for review by an open case";
    DeliveryCheckRequired = "delivery_check_required", CONFLICT, "the merchant's risk tier requires the delivery checkpoint's `ship` before the capture";
    CampaignRateNotAllowed = "campaign_rate_not_allowed", UNPROCESSABLE_ENTITY, "a plan names no rate of its own: name a campaign_id (the campaign's rate) or none (the line's rate)";
    CampaignNotActive = "campaign_not_active", UNPROCESSABLE_ENTITY, "the campaign has not started, is past its last day, or was ended";
    CampaignTermNotOffered = "campaign_term_not_offered", UNPROCESSABLE_ENTITY, "the campaign does not offer this term or method";
    UnknownPriceTier = "unknown_price_tier", UNPROCESSABLE_ENTITY, "the limit table defines no price tier of this name";
    OfflinePaused = "offline_paused", PAYMENT_REQUIRED, "declined: payment code (QR/NFC) payments are paused by an emergency control";
    MerchantPaused = "merchant_paused", PAYMENT_REQUIRED, "declined: this merchant's payments are paused by an emergency control";
    TermNotOffered = "term_not_offered", UNPROCESSABLE_ENTITY, "this installment term is not offered";

    // --- The credit core's refusals: the input.
    ClockWentBackwards = "clock_went_backwards", SERVICE_UNAVAILABLE, "the server's clock went backwards: retry later";
    AmountNotPositive = "amount_not_positive", UNPROCESSABLE_ENTITY, "the amount must be positive";
    AmountTooLarge = "amount_too_large", UNPROCESSABLE_ENTITY, "the amount is larger than the largest accepted";
    BillingDayOutOfRange = "billing_day_out_of_range", UNPROCESSABLE_ENTITY, "the billing day must be 1 to 28";
    ExpiryInPast = "expiry_in_past", UNPROCESSABLE_ENTITY, "the expiry date is already past";
    NoTransactions = "no_transactions", UNPROCESSABLE_ENTITY, "no transactions were named";
    // --- The credit core's refusals: existence and state.
    AccountExists = "account_exists", CONFLICT, "an account with this id exists";
    TxnExists = "txn_exists", CONFLICT, "a transaction with this id exists on the account";
    StatementNotLatest = "statement_not_latest", CONFLICT, "the statement is not the latest one";
    AccountChargedOff = "account_charged_off", CONFLICT, "the account is charged off";
    AccountFrozen = "account_frozen", CONFLICT, "the account is frozen";
    AccountNotFrozen = "account_not_frozen", CONFLICT, "the account is not frozen";
    TxnExempt = "txn_exempt", CONFLICT, "the transaction is exempt as unauthorized use";
    HoldAlreadyCaptured = "hold_already_captured", CONFLICT, "the hold was already captured";
    HoldAlreadyVoided = "hold_already_voided", CONFLICT, "the hold was already voided";
    HoldExpired = "hold_expired", CONFLICT, "the hold has expired";
    NotCaptured = "not_captured", CONFLICT, "the transaction was not captured";
    TooManyHolds = "too_many_holds", CONFLICT, "the account has too many open holds";
    PlanNotActive = "plan_not_active", CONFLICT, "the plan is not active";
    StatementDue = "statement_due", CONFLICT, "the statement's due date has come";
    PastDueOutstanding = "past_due_outstanding", CONFLICT, "the account has a past-due amount";
    StatementAlreadyInstalled = "statement_already_installed", CONFLICT, "the statement was already converted to installments";
    NothingToInstall = "nothing_to_install", CONFLICT, "the statement has no principal to convert";
    HistoryMismatch = "history_mismatch", CONFLICT, "the history does not reproduce the account";
    NotDelinquent = "not_delinquent", CONFLICT, "the account has nothing past due";
    HardshipTooRecent = "hardship_too_recent", CONFLICT, "a hardship plan was made on the account in the last 365 days";
    PromiseOpen = "promise_open", CONFLICT, "the account already has an open promise to pay";
    // --- The credit core's refusals: amounts against balances.
    AmountExceedsHold = "amount_exceeds_hold", UNPROCESSABLE_ENTITY, "the amount exceeds the hold";
    RefundExceedsPurchase = "refund_exceeds_purchase", UNPROCESSABLE_ENTITY, "the refund exceeds what is left of the purchase";
    LimitBelowExposure = "limit_below_exposure", UNPROCESSABLE_ENTITY, "the limit is below what is owed and held";
    PaymentBelowPayoff = "payment_below_payoff", UNPROCESSABLE_ENTITY, "the payment is below the payoff amount";
    AmountExceedsCreditBalance = "amount_exceeds_credit_balance", UNPROCESSABLE_ENTITY, "the amount exceeds the credit balance";

    // --- Cases, theft reports and funding.
    CaseClosed = "case_closed", CONFLICT, "the case is already resolved";
    CaseAssigned = "case_assigned", CONFLICT, "another operator holds this case: a supervisor reassigns it";
    CaseOpen = "case_open", CONFLICT, "a theft case of the account is still open";
    VerificationRequired = "verification_required", CONFLICT, "re-verification is required to unfreeze";
    ExemptionFailed = "exemption_failed", CONFLICT, "the credit core refused the exemption: the case stays open";
    OperatorFreeze = "operator_freeze", FORBIDDEN, "only an operator lifts this freeze";
    LivenessRequired = "liveness_required", FORBIDDEN, "unfreezing needs a liveness step-up token";
    NotificationNotSwitchable = "notification_not_switchable", UNPROCESSABLE_ENTITY, "theft and security messages always go through every channel";
    FundingFinal = "funding_final", CONFLICT, "the funding operation is already final";
    PayoutTransitionNotAllowed = "payout_transition_not_allowed", CONFLICT, "the merchant payout's state does not allow this change (paid cannot fail, only a paid payout is returned)";
    CallbackReplayed = "callback_replayed", CONFLICT, "this signed callback was already received: a retry is signed again with a fresh timestamp";
    WrongRequest = "wrong_request", CONFLICT, "the stored answer of a request an older server refused as sent the wrong way; final";
    ExternalReferenceUsed = "external_reference_used", CONFLICT, "this external reference was already recorded";
    BankCardNotOnFile = "bank_card_not_on_file", CONFLICT, "no verified bank card is on file for the customer";
    BankCardNotSupported = "bank_card_not_supported", UNPROCESSABLE_ENTITY, "the bank card cannot be checked or used";
    BankCardNotVerified = "bank_card_not_verified", UNPROCESSABLE_ENTITY, "the card, name, ID number and reserved mobile do not belong together";

    // --- Step-up.
    IdentityNotOnFile = "identity_not_on_file", CONFLICT, "no verified mobile and ID number are on file: step-up is not possible";
    StepUpRequired = "step_up_required", BAD_REQUEST, "the call needs a step-up token";
    StepUpFailed = "step_up_failed", UNPROCESSABLE_ENTITY, "the step-up check did not pass";
    StepUpRefused = "step_up_refused", UNPROCESSABLE_ENTITY, "the identity provider refused the step-up";
    StepUpTokenInvalid = "step_up_token_invalid", UNPROCESSABLE_ENTITY, "the step-up token is unknown, expired, used, or another customer's";
    StepUpNeedsPaymentCode = "step_up_needs_payment_code", UNPROCESSABLE_ENTITY, "no longer answered (a link payment now checks the token against the link's customer); kept so the code stays stable";

    // --- Applications, reviews and temporary limits.
    ApplicationNotInReview = "application_not_in_review", CONFLICT, "the application is not in review";
    LimitRequestNotFound = "limit_request_not_found", NOT_FOUND, "no temporary-limit request has this id";
    LimitRequestDecided = "limit_request_decided", CONFLICT, "the temporary-limit request is already decided";
    LimitRequestPending = "limit_request_pending", CONFLICT, "the customer has a temporary-limit request waiting for a credit officer: one at a time";
    NoProposal = "no_proposal", UNPROCESSABLE_ENTITY, "the application has no proposed limit: give one";
    AccountIdCollision = "account_id_collision", CONFLICT, "two ID numbers share this account id: the line cannot be opened";
    TierInvalid = "tier_invalid", UNPROCESSABLE_ENTITY, "the application's price tier is not one the engine takes";
    DaysOutOfRange = "days_out_of_range", BAD_REQUEST, "a temporary limit lasts 1 to 90 days";
    AmountOutOfRange = "amount_out_of_range", UNPROCESSABLE_ENTITY, "a temporary amount is not positive, or above what the policy allows";
    NoLine = "no_line", UNPROCESSABLE_ENTITY, "the account has no credit line";
    AccountNotCurrent = "account_not_current", UNPROCESSABLE_ENTITY, "the account has something past due";

    // --- Emergency controls.
    NoPreviousRules = "no_previous_rules", CONFLICT, "no previous rule set to roll back to (the rules are built in, or the folder was not edited yet)";

    // --- Webhooks.
    InsecureWebhookUrl = "insecure_webhook_url", BAD_REQUEST, "a webhook URL must be https";
    ForbiddenWebhookAddress = "forbidden_webhook_address", BAD_REQUEST, "the webhook host is or resolves to a non-public address";
    UnresolvableWebhookHost = "unresolvable_webhook_host", BAD_REQUEST, "the webhook host does not resolve";

    // --- Simulation mode.
    ClockBackwards = "clock_backwards", CONFLICT, "the simulated clock never goes backwards";

    // --- Retry later, or the server's own failure.
    PartitionElsewhere = "partition_elsewhere", MISDIRECTED_REQUEST, "another process of the cluster owns this customer (a forwarded call is not forwarded again): retry";
    Busy = "busy", SERVICE_UNAVAILABLE, "the server is busy: retry after Retry-After";
    Unavailable = "unavailable", SERVICE_UNAVAILABLE, "the engine or a provider is not available: retry later";
    TryLater = "try_later", SERVICE_UNAVAILABLE, "an identity check could not be completed: retry later";
    StorageFailed = "storage_failed", SERVICE_UNAVAILABLE, "the journal could not be written: nothing was recorded";
    ReplyUnavailable = "reply_unavailable", SERVICE_UNAVAILABLE, "the stored answer of this key could not be read back";
    Internal = "internal", INTERNAL_SERVER_ERROR, "a failure of the server itself (logged)";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        let texts = ErrorCode::ALL.iter().map(|c| c.as_str());
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some(
                "A stable machine code: API.md, \"Error codes\", says what each means.",
            ))
            .enum_values(Some(texts))
            .examples([ErrorCode::InvalidAmount.as_str()])
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::ErrorCode;

    #[test]
    fn every_code_is_unique_snake_case_with_an_error_status_and_a_meaning() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} is listed twice");
            let snake = text
                .split('_')
                .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
            assert!(
                snake && text.as_bytes()[0].is_ascii_lowercase(),
                "{text} is not snake_case"
            );
            let status = code.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{text} answers {status}"
            );
            assert!(
                !code.meaning().is_empty() && !code.meaning().contains('|'),
                "{text}'s meaning"
            );
        }
    }

    #[test]
    fn codes_serialize_as_their_text() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
            assert_eq!(code.to_string(), code.as_str());
        }
    }
}
