//! The router: every route, the error-shaped fallbacks, the layer that turns a panic into a
//! 500 with the error shape (it must never happen: a test sends garbage to every route), and
//! `Cache-Control: no-store` and `Pragma: no-cache` on every response (tokens, secrets and account data must not be
//! kept by a browser or a proxy cache; one rule for all is simpler than knowing which hold one),
//! the layer that records operator calls in the audit log (`http::audited`), and the one that
//! counts every request for `/metrics` (`telemetry::http`, outermost, so its latency covers
//! the others), and inside it the cluster's forwarding (`http::forward`: a call for a
//! partition another process owns is answered by that process). The operator console's pages (`crate::console`) are merged in here too.

use std::any::Any;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::http::error::ApiError;
use crate::http::routes::{
    api_keys, applications, approvals, audit, campaigns, checkpoints, collections, customers, docs, emergency,
    exemptions, notifications, operator, operators, payments, payout_callbacks, payouts, plan_options, plans,
    provider_callbacks, repayments, reveal, risk, session, statement_document, statements, system, theft, tokens,
};
use crate::state::AppState;

/// The API's routes over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/metrics", get(system::metrics))
        .route("/openapi.json", get(crate::http::openapi::serve))
        .route("/v1/system/clock", post(crate::simulation::routes::clock))
        .route("/v1/system/advance", post(crate::simulation::routes::advance))
        .route(
            "/v1/system/accounts/{customer_id}",
            get(crate::simulation::routes::account_record),
        )
        .route("/docs", get(docs::page))
        .route(docs::REDOC_PATH, get(docs::redoc))
        .route("/v1/merchants", post(operator::register_merchant))
        .route("/v1/customers", post(customers::open))
        .route("/v1/customers/{customer_id}", get(customers::get))
        .route(
            "/v1/customers/{customer_id}/payment-codes",
            post(customers::payment_code),
        )
        .route("/v1/customers/{customer_id}/links", post(customers::link))
        .route("/v1/customers/{customer_id}/checkpoints", post(checkpoints::checkpoint))
        .route("/v1/customers/{customer_id}/fraud-exemptions", post(exemptions::exempt))
        .route(
            "/v1/customers/{customer_id}/credit-profile",
            post(checkpoints::credit_profile),
        )
        .route("/v1/customers/{customer_id}/limit", post(operator::limit))
        .route(
            "/v1/customers/{customer_id}/temporary-limit",
            post(operator::temporary_limit),
        )
        .route("/v1/customers/{customer_id}/freeze", post(theft::freeze))
        .route("/v1/customers/{customer_id}/unfreeze", post(theft::unfreeze))
        .route("/v1/customers/{customer_id}/token/rotate", post(tokens::rotate))
        .route("/v1/customers/{customer_id}/token/refresh", post(tokens::refresh))
        .route("/v1/customers/{customer_id}/statements", get(statements::list))
        .route(
            "/v1/customers/{customer_id}/notification-preferences",
            get(notifications::get_preferences).put(notifications::set_preferences),
        )
        .route("/v1/customers/{customer_id}/notifications", get(notifications::list))
        .route("/v1/customers/{customer_id}/statements/{seq}", get(statements::one))
        .route(
            "/v1/customers/{customer_id}/statements/{seq}/document",
            get(statement_document::document),
        )
        .route(
            "/v1/customers/{customer_id}/statements/{seq}/installments",
            post(statements::install),
        )
        .route("/v1/customers/{customer_id}/plans", get(plans::list))
        .route(
            "/v1/customers/{customer_id}/transactions",
            get(crate::http::routes::customer360::transactions),
        )
        .route("/v1/portfolio", get(crate::http::routes::portfolio::portfolio))
        .route("/v1/customers/{customer_id}/collections", get(collections::file))
        .route("/v1/customers/{customer_id}/promises", post(collections::promise))
        .route("/v1/customers/{customer_id}/call-tasks", post(collections::call_task))
        .route(
            "/v1/customers/{customer_id}/hardship-plans",
            post(collections::hardship),
        )
        .route("/v1/collections", get(collections::queue))
        .route("/v1/customers/{customer_id}/plans/{plan_id}", get(plans::one))
        .route(
            "/v1/customers/{customer_id}/plans/{plan_id}/payoff-quote",
            get(plans::quote),
        )
        .route(
            "/v1/customers/{customer_id}/plans/{plan_id}/payoff",
            post(plans::payoff),
        )
        .route("/v1/customers/{customer_id}/repayments", post(repayments::repay))
        .route(
            "/v1/customers/{customer_id}/repayments/{repayment_id}",
            get(repayments::get_repayment),
        )
        .route(
            "/v1/customers/{customer_id}/offline-repayments",
            post(repayments::offline_repay),
        )
        .route("/v1/customers/{customer_id}/cash-outs", post(payouts::cash_out))
        .route(
            "/v1/customers/{customer_id}/cash-outs/{cash_out_id}",
            get(payouts::get_cash_out),
        )
        .route("/v1/providers/payments/callback", post(provider_callbacks::payments))
        .route("/v1/providers/payouts/callback", post(provider_callbacks::payouts))
        .route(
            funding::merchant::MERCHANT_PAYOUT_CALLBACK_PATH,
            post(payout_callbacks::merchant_payouts),
        )
        .route("/v1/plan-options", get(plan_options::plan_options))
        .route("/v1/payments", post(payments::authorize))
        .route("/v1/payments/{txn_id}", get(payments::get))
        .route("/v1/payments/{txn_id}/capture", post(payments::capture))
        .route("/v1/payments/{txn_id}/void", post(payments::void))
        .route("/v1/payments/{txn_id}/refunds", post(payments::refund))
        .route("/v1/operators/bootstrap", post(operators::bootstrap))
        .route("/v1/operators/login", post(operators::login))
        .route("/v1/operators/logout", post(operators::logout))
        .route("/v1/operators", get(operators::list).post(operators::create))
        .route("/v1/operators/{operator_id}/disable", post(operators::disable))
        .route("/v1/operators/{operator_id}/roles", post(operators::set_roles))
        .route("/v1/api-keys", post(api_keys::create))
        .route("/v1/api-keys/{key_id}/revoke", post(api_keys::revoke))
        .route("/v1/audit", get(audit::read))
        .route("/v1/approvals", get(approvals::list))
        .route("/v1/approvals/{approval_id}", get(approvals::one))
        .route("/v1/approvals/{approval_id}/approve", post(approvals::approve))
        .route("/v1/approvals/{approval_id}/reject", post(approvals::reject))
        .route("/v1/reveals", post(reveal::bulk))
        .route("/v1/customers/{customer_id}/identity/reveal", post(reveal::one))
        .route("/v1/emergency", get(emergency::read))
        .route("/v1/emergency/offline-pause", post(emergency::offline_pause))
        .route(
            "/v1/emergency/merchants/{merchant_id}/pause",
            post(emergency::merchant_pause),
        )
        .route("/v1/emergency/freezes", post(emergency::freezes))
        .route("/v1/emergency/risk-tier", post(emergency::risk_tier))
        .route("/v1/emergency/rules-rollback", post(emergency::rules_rollback))
        // The operator console (issue 20): its pages, and the API routes it added.
        .route("/v1/operators/console/login", post(session::console_login))
        .route("/v1/operators/me", get(session::me))
        .route("/v1/audit/verify", get(audit::verify))
        .merge(crate::console::routes())
        .merge(applications::routes(&state))
        .merge(risk::routes())
        .merge(campaigns::routes())
        .merge(crate::http::routes::settlement::routes())
        .fallback(system::not_found)
        .method_not_allowed_fallback(system::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::audited::layer,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // For HTTP/1.0 caches, which know no Cache-Control.
        .layer(SetResponseHeaderLayer::overriding(
            header::PRAGMA,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::forward::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::simulation::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::telemetry::http::layer,
        ))
        .with_state(state)
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    ApiError::internal(format!("handler panicked: {what}")).into_response()
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_panic_becomes_a_500_with_the_error_shape() {
        let response = super::panic_response(Box::new("boom"));
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": crate::http::error::ErrorCode::Internal.as_str(), "message": "internal error", "field": null}})
        );
    }
}
