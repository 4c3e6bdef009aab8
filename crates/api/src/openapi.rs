//! The OpenAPI document: every route's `#[utoipa::path]` gathered into [`ApiDoc`], the security
//! schemes, and the pretty JSON that `GET /openapi.json` serves and the repository's
//! `openapi.json` holds (a test keeps the two equal).

use std::sync::OnceLock;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;
use crate::routes::applications::{self, operator as applications_operator};
use crate::routes::{
    checkpoints, customers, exemptions, monitoring, operator, payments, payouts, plan_options, plans,
    provider_callbacks, repayments, risk, simulation, statements, step_up, system,
};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "iou API", description = include_str!("openapi.md")),
    paths(
        system::healthz,
        system::openapi,
        simulation::clock,
        simulation::advance,
        simulation::account_record,
        operator::register_merchant,
        customers::open,
        customers::get,
        customers::payment_code,
        customers::link,
        checkpoints::checkpoint,
        checkpoints::credit_profile,
        exemptions::exempt,
        operator::limit,
        operator::temporary_limit,
        operator::freeze,
        operator::unfreeze,
        statements::list,
        statements::one,
        statements::install,
        plans::list,
        plans::one,
        plans::quote,
        plans::payoff,
        repayments::repay,
        repayments::get_repayment,
        repayments::offline_repay,
        payouts::cash_out,
        payouts::get_cash_out,
        provider_callbacks::payments,
        provider_callbacks::payouts,
        plan_options::plan_options,
        payments::authorize,
        payments::get,
        payments::capture,
        payments::void,
        payments::refund,
        monitoring::delivery,
        monitoring::address_change,
        monitoring::set_webhook,
        monitoring::get_webhook,
        risk::rules,
        risk::list_fraud,
        risk::cases,
        risk::case,
        risk::resolve,
        step_up::start,
        step_up::verify,
        step_up::identity,
        step_up::theft_report,
        step_up::own_cases,
        applications::apply,
        applications::list,
        applications::one,
        applications_operator::approve,
        applications_operator::decline,
        applications_operator::limit_review,
        applications_operator::temporary_limit_request,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "payments", description = "Merchants: authorize, capture, void, refund."),
        (name = "customers", description = "Credit lines, balances, payment codes, merchant links."),
        (name = "statements", description = "Statements and bill installments."),
        (name = "plans", description = "Installment options and plans, early payoff."),
        (name = "repayments", description = "Repayments (debits of the verified bank card, offline records) and credit balance cash-outs (payouts)."),
        (name = "providers", description = "Signed callbacks of the payment and payout providers."),
        (name = "operator", description = "Merchant registration and credit line management."),
        (name = "risk", description = "Rules, fraud lists, cases, step-up, theft reports."),
        (name = "applications", description = "Credit applications, the review queue, limit reviews and temporary limits."),
        (name = "system", description = "Health, this document, and simulation mode's clock, daily advance and account records."),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("A customer's token or the operator's admin token."))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let signature = ApiKeyValue::with_description(
            "X-Signature",
            "hex(HMAC-SHA256(secret, METHOD \\n PATH_AND_QUERY \\n TIMESTAMP \\n hex(SHA256(body)))), \
             sent with X-Merchant-Id and X-Timestamp (unix seconds, within 300 s).",
        );
        components.add_security_scheme("merchant_signature", SecurityScheme::ApiKey(ApiKey::Header(signature)));
    }
}

/// The document as pretty JSON with a final newline, built once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut text = ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    })
}
