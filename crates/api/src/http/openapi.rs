//! The OpenAPI document: every route's `#[utoipa::path]` gathered into [`ApiDoc`], the security
//! schemes, and the pretty JSON that `GET /openapi.json` serves and the repository's
//! `openapi.json` holds (a test keeps the two equal); and API.md's table of error codes,
//! [`error_codes_markdown`], generated the same way.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::error::{ErrorBody, ErrorCode};
use crate::http::routes::applications::{self, operator as applications_operator};
use crate::http::routes::{
    api_keys, audit, cases, checkpoints, collections, customers, emergency, exemptions, identity, monitoring,
    notifications, operator, operators, payments, payout_callbacks, payouts, plan_options, plans, provider_callbacks,
    repayments, risk, session, statement_document, statements, step_up, system, theft, tokens,
};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "iou API", description = include_str!("openapi.md")),
    paths(
        system::healthz,
        system::readyz,
        system::metrics,
        serve,
        crate::simulation::routes::clock,
        crate::simulation::routes::advance,
        crate::simulation::routes::account_record,
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
        notifications::get_preferences,
        notifications::set_preferences,
        notifications::list,
        statement_document::document,
        statements::install,
        collections::queue,
        collections::file,
        collections::promise,
        collections::call_task,
        collections::hardship,
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
        payout_callbacks::merchant_payouts,
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
        cases::cases,
        cases::case,
        cases::resolve,
        crate::http::routes::evidence::export,
        step_up::start,
        step_up::verify,
        identity::identity,
        theft::theft_report,
        theft::own_cases,
        crate::http::routes::customer360::transactions,
        crate::http::routes::customer360::devices,
        crate::http::routes::portfolio::portfolio,
        tokens::rotate,
        tokens::refresh,
        applications::apply,
        applications::list,
        applications::one,
        applications_operator::approve,
        applications_operator::decline,
        applications_operator::limit_review,
        applications_operator::temporary_limit_request,
        applications::limit_requests::list,
        applications::limit_requests::decide,
        applications::limit_requests::claim,
        operators::bootstrap,
        operators::login,
        operators::logout,
        operators::list,
        operators::create,
        operators::disable,
        operators::set_roles,
        api_keys::create,
        api_keys::revoke,
        audit::read,
        emergency::read,
        emergency::offline_pause,
        emergency::merchant_pause,
        emergency::freezes,
        emergency::risk_tier,
        emergency::rules_rollback,
        crate::http::routes::approvals::list,
        crate::http::routes::approvals::one,
        crate::http::routes::approvals::approve,
        crate::http::routes::approvals::reject,
        crate::http::routes::reveal::one,
        crate::http::routes::reveal::bulk,
        crate::http::routes::rule_deploys::deploy,
        crate::http::routes::backtests::backtest,
        crate::http::routes::casework::queues,
        crate::http::routes::casework::set_queue,
        crate::http::routes::casework::claim,
        crate::http::routes::casework::assign,
        crate::http::routes::case_notes::note,
        crate::http::routes::case_notes::link,
        crate::http::routes::case_notes::attach,
        crate::http::routes::case_notes::attachment,
        crate::http::routes::case_notes::open,
        session::console_login,
        session::me,
        audit::verify,
        crate::http::routes::campaigns::create,
        crate::http::routes::campaigns::list,
        crate::http::routes::campaigns::end,
        crate::http::routes::settlement::run,
        crate::http::routes::settlement::read,
        crate::http::routes::settlement_terms::add_price,
        crate::http::routes::settlement_terms::list_prices,
        crate::http::routes::settlement_terms::set_terms,
        crate::http::routes::merchant_tiers::set,
        crate::http::routes::merchant_tiers::get,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security, &IdempotencyKeys, &Permissions),
    tags(
        (name = "payments", description = "Merchants: authorize, capture, void, refund."),
        (name = "customers", description = "Credit lines, balances, payment codes, merchant links."),
        (name = "statements", description = "Statements and bill installments."),
        (name = "collections", description = "Collections: the queue by bucket with the strategy's next action, promises to pay, call tasks, hardship plans."),
        (name = "plans", description = "Installment options and plans, early payoff."),
        (name = "repayments", description = "Repayments (debits of the verified bank card, offline records) and credit balance cash-outs (payouts)."),
        (name = "providers", description = "Signed callbacks of the payment and payout providers."),
        (name = "operator", description = "Merchant registration, installment campaigns and credit line management."),
        (name = "risk", description = "Rules, fraud lists, cases, step-up, theft reports."),
        (name = "applications", description = "Credit applications, the review queue, limit reviews and temporary limits."),
        (name = "system", description = "Liveness, readiness, metrics, this document, and simulation mode's clock, daily advance and account records."),
        (name = "operators", description = "Operators: the one-time bootstrap, login and logout, operator and API key management, the audit log."),
        (name = "emergency", description = "Emergency controls: pauses, bulk freezes, a raised risk tier, rule rollback."),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A customer's token, an operator's session token (`POST /v1/operators/login`) or API key, \
                 or the bootstrap token (until the first operator exists). An operator's route names the \
                 permission it needs in `x-permission`.",
            ))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let signature = ApiKeyValue::with_description(
            "X-Signature",
            "hex(HMAC-SHA256(secret, \"iou-v2\" \\n METHOD \\n PATH_AND_QUERY \\n TIMESTAMP \\n IDEMPOTENCY_KEY \\n \
             hex(SHA256(body)))), sent with X-Merchant-Id and X-Timestamp (unix seconds, within 300 s); \
             IDEMPOTENCY_KEY is the Idempotency-Key header as sent (empty without one). A signature is \
             usable once: see API.md.",
        );
        components.add_security_scheme("merchant_signature", SecurityScheme::ApiKey(ApiKey::Header(signature)));
    }
}

/// One definition of the `Idempotency-Key` header (`#/components/parameters/IdempotencyKey`):
/// 1 to 255 visible ASCII characters. Routes declare `("Idempotency-Key" = String, Header)`;
/// this replaces each with a reference to the shared definition.
struct IdempotencyKeys;

const IDEMPOTENCY_KEY_REF: &str = "#/components/parameters/IdempotencyKey";

impl Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{Ref, RefOr, Required};
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(255))
            .pattern(Some(r"^[\x21-\x7E]{1,255}$"))
            .build();
        let parameter = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(
                "1 to 255 visible ASCII characters, scoped to the caller and kept 24 hours. The same key \
                 and request replay the stored answer (Idempotent-Replayed: true); the same key with \
                 another request, on any route, is a 409 idempotency_key_reused.",
            ))
            .schema(Some(schema))
            .build();
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .parameters
            .insert("IdempotencyKey".to_owned(), RefOr::T(parameter));
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
                .into_iter()
                .flatten()
            {
                for parameter in operation.parameters.iter_mut().flatten() {
                    let is_key = matches!(parameter, RefOr::T(p) if p.name == "Idempotency-Key"
                        && p.parameter_in == ParameterIn::Header);
                    if is_key {
                        *parameter = RefOr::Ref(Ref::new(IDEMPOTENCY_KEY_REF));
                    }
                }
            }
        }
    }
}

/// Each operation an operator may call gets `x-permission`: the permission it needs (or
/// `any operator` for a logout), from `auth::policy`'s table. The role matrix test reads them
/// from here.
struct Permissions;

impl Modify for Permissions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use crate::http::auth::policy::{Access, ROUTES, full_path};
        use utoipa::openapi::extensions::ExtensionsBuilder;
        for (method, path, access) in ROUTES {
            let Some(item) = openapi.paths.paths.get_mut(&full_path(path)) else {
                continue;
            };
            let operation = match *method {
                "GET" => item.get.as_mut(),
                "POST" => item.post.as_mut(),
                "PUT" => item.put.as_mut(),
                _ => None,
            };
            let Some(operation) = operation else { continue };
            let name = match access {
                Access::Needs(permission) => permission.name(),
                Access::AnyOperator => "any operator",
            };
            let extension = ExtensionsBuilder::new().add("x-permission", name).build();
            operation
                .extensions
                .get_or_insert_with(Default::default)
                .merge(extension);
        }
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

/// API.md's "Error codes" table: every code with its status (and the decline status a
/// merchant's authorization answers it with, where that differs) and its meaning.
pub fn error_codes_markdown() -> String {
    let mut table = String::from("| code | status | meaning |\n| --- | --- | --- |\n");
    for &code in ErrorCode::ALL {
        let own = code.status().as_u16();
        let declined = crate::http::submit::status(code, crate::http::submit::Audience::Authorize).as_u16();
        let status = if declined == own {
            own.to_string()
        } else {
            format!("{own}; {declined} on a merchant's authorization")
        };
        table.push_str(&format!("| `{}` | {status} | {} |\n", code.as_str(), code.meaning()));
    }
    table
}

/// This API's OpenAPI document.
#[utoipa::path(operation_id = "openapi", get, path = "/openapi.json", tag = "system",
    responses((status = 200, description = "the OpenAPI document", content_type = "application/json")))]
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
