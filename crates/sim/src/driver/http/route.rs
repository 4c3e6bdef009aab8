//! Which endpoint each engine request the workload sends goes to, as which caller, with which
//! body: [`plan`] turns a [`Call`] into the HTTP steps that make it. A payment with the
//! customer's account is two steps, as in a shop: the customer's app asks for a one-time
//! payment code (with the device context), the merchant authorizes with it.
//!
//! Identifiers: accounts keep the simulator's ids (opened with `customer_id`); merchants are
//! registered by the driver and mapped to the server's ids; a device id is sent as the text
//! `sim-device-N` (the server hashes it, so one simulated device is one device to risk).

use std::collections::HashMap;
use std::sync::Arc;

use credit::{AccountId, Command, FreezeReason, MerchantId};
use engine::{Payer, Request, RiskContext, TxnAction};
use money::schedule::Method;
use risk::{CheckpointDetail, DeviceId};
use serde_json::{Value, json};

use super::wire::{Merchant, Who};
use crate::driver::{Call, DriverError};

/// One HTTP call.
#[derive(Clone, Debug)]
pub struct Step {
    pub who: Who,
    pub post: bool,
    pub path: String,
    pub body: Value,
    pub key: String,
    pub step_up: Option<risk::ChallengeKind>,
}

/// The calls that make one request.
#[derive(Clone, Debug)]
pub enum Plan {
    /// One call whose reply is the answer; `opens` is the account an `OpenAccount` opens (its
    /// answer holds the customer's token).
    One { step: Step, opens: Option<AccountId> },
    /// A payment code (no engine reply), then the merchant's authorization with it.
    PayWithCode { code: Step, pay: Step },
    /// An operator's case work: the case with its evidence (no engine reply), then the decision.
    Review { look: Step, decide: Step },
}

/// What planning needs from the driver.
pub struct Known<'a> {
    pub tokens: &'a HashMap<AccountId, Arc<str>>,
    pub merchants: &'a HashMap<MerchantId, Merchant>,
}

/// The text a simulated device is sent as.
pub fn device_text(device: DeviceId) -> Option<String> {
    (device.0 != 0).then(|| format!("sim-device-{}", device.0))
}

/// The `risk` object of a context (its step-up goes in the simulation-mode header).
pub fn risk_body(context: &RiskContext) -> Value {
    let mut body = json!({
        "ip": context.ip.to_string(),
        "channel": context.channel.name(),
        "emulator": context.emulator,
        "proxy": context.proxy,
    });
    if let Some(device) = device_text(context.device) {
        body["device_id"] = json!(device);
    }
    if let Some(geo) = context.geo {
        body["geo"] = json!({
            "lat": f64::from(geo.lat_micro()) / 1_000_000.0,
            "lon": f64::from(geo.lon_micro()) / 1_000_000.0,
        });
    }
    if let Some(at) = context.device_time {
        body["device_time"] = json!(at.to_string());
    }
    body
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::FlatFee => "flat-fee",
        Method::Annuity => "annuity",
        Method::EqualPrincipal => "equal-principal",
    }
}

fn unsupported(what: &str) -> DriverError {
    DriverError::NotSupported(format!("the HTTP driver does not send {what} yet"))
}

impl Known<'_> {
    fn token(&self, account: AccountId) -> Result<Who, DriverError> {
        self.tokens
            .get(&account)
            .map(|t| Who::Customer(t.clone()))
            .ok_or_else(|| {
                DriverError::Http(format!(
                    "no customer token for account {account}: it was not opened here"
                ))
            })
    }

    fn merchant(&self, merchant: MerchantId) -> Result<Merchant, DriverError> {
        self.merchants
            .get(&merchant)
            .cloned()
            .ok_or_else(|| DriverError::Http(format!("merchant {merchant} was not registered")))
    }
}

/// The merchants a call acts as or names (the driver registers them before planning).
pub fn merchants_of(call: &Call) -> Option<MerchantId> {
    match &call.request {
        Request::Authorize { merchant, .. }
        | Request::Txn { merchant, .. }
        | Request::Deliver { merchant, .. }
        | Request::LinkMerchant { merchant, .. } => Some(*merchant),
        Request::Checkpoint {
            detail: CheckpointDetail::Delivery { merchant, .. },
            ..
        } => Some(MerchantId(merchant.0)),
        _ => None,
    }
}

fn checkpoint_body(detail: &CheckpointDetail, known: &Known<'_>) -> Result<Value, DriverError> {
    Ok(match detail {
        CheckpointDetail::Login { password_ok } => json!({"checkpoint": "login", "password_ok": password_ok}),
        CheckpointDetail::DeviceChange { previous_device } => {
            let mut body = json!({"checkpoint": "device_change"});
            if let Some(text) = previous_device.and_then(device_text) {
                body["previous_device_id"] = json!(text);
            }
            body
        }
        CheckpointDetail::Activation => json!({"checkpoint": "activation"}),
        CheckpointDetail::CreditApplication {
            requested_limit,
            declared_monthly_income,
        } => {
            let mut body = json!({"checkpoint": "credit_application", "requested_limit_fen": requested_limit.fen()});
            if let Some(income) = declared_monthly_income {
                body["declared_monthly_income_fen"] = json!(income.fen());
            }
            body
        }
        CheckpointDetail::Delivery {
            merchant,
            order_amount,
            address_changed,
            authorized_at,
        } => {
            let server = known.merchant(MerchantId(merchant.0))?;
            let at = jiff::Timestamp::from_millisecond(authorized_at.millis())
                .map_err(|e| DriverError::Http(format!("authorized_at: {e}")))?;
            json!({
                "checkpoint": "delivery",
                "merchant_id": server.id.to_string(),
                "order_amount_fen": order_amount.fen(),
                "address_changed": address_changed,
                "authorized_at": at.to_string(),
            })
        }
        CheckpointDetail::PaymentAuthorization { .. } => return Err(unsupported("a payment checkpoint on its own")),
        CheckpointDetail::ProfileChange { .. } => return Err(unsupported("a profile-change checkpoint")),
        CheckpointDetail::Repayment { .. } => return Err(unsupported("a repayment checkpoint on its own")),
        CheckpointDetail::LimitRequest { .. } => return Err(unsupported("a limit request on its own")),
    })
}

/// The steps of `call`; `key` gives a fresh Idempotency-Key per step.
pub fn plan(call: &Call, known: &Known<'_>, key: &mut dyn FnMut() -> String) -> Result<Plan, DriverError> {
    let context = call.context.as_ref();
    let step_up = context.and_then(|c| c.step_up);
    let one = |who: Who, path: String, body: Value, key: String| Plan::One {
        step: Step {
            who,
            post: true,
            path,
            body,
            key,
            step_up,
        },
        opens: None,
    };
    Ok(match &call.request {
        Request::Account(command) => return account_plan(command.command(), context, known, key),
        Request::SetCreditProfile { account, profile } => one(
            Who::Operator,
            format!("/v1/customers/{account}/credit-profile"),
            json!({"pd": profile.pd, "score": profile.score}),
            key(),
        ),
        Request::Checkpoint { account, detail } => {
            let mut body = checkpoint_body(detail, known)?;
            if let Some(context) = context {
                body["risk"] = risk_body(context);
            }
            one(
                Who::Operator,
                format!("/v1/customers/{account}/checkpoints"),
                body,
                key(),
            )
        }
        Request::Authorize {
            payer,
            merchant,
            amount,
            plan,
            reference,
        } => {
            let merchant = Who::Merchant(known.merchant(*merchant)?);
            let mut body = json!({"amount_fen": amount.fen()});
            if let Some(reference) = reference {
                body["reference"] = json!(reference.as_str());
            }
            if let Some(plan) = plan {
                if plan.rate.is_some() {
                    return Err(unsupported("a campaign rate"));
                }
                body["plan"] = json!({"periods": plan.periods, "method": method_name(plan.method)});
            }
            match payer {
                Payer::Account(account) => {
                    let mut code_body = json!({});
                    if let Some(context) = context {
                        code_body["risk"] = risk_body(context);
                    }
                    let code = Step {
                        who: known.token(*account)?,
                        post: true,
                        path: format!("/v1/customers/{account}/payment-codes"),
                        body: code_body,
                        key: key(),
                        step_up,
                    };
                    let pay = Step {
                        who: merchant,
                        post: true,
                        path: "/v1/payments".into(),
                        body,
                        key: key(),
                        step_up: None,
                    };
                    Plan::PayWithCode { code, pay }
                }
                Payer::Link(link) => {
                    body["link_id"] = json!(link.to_string());
                    if let Some(context) = context {
                        body["risk"] = risk_body(context);
                    }
                    one(merchant, "/v1/payments".into(), body, key())
                }
            }
        }
        Request::Txn { merchant, txn, action } => {
            let merchant = Who::Merchant(known.merchant(*merchant)?);
            let (path, body) = match action {
                TxnAction::Capture { amount } => (
                    format!("/v1/payments/{txn}/capture"),
                    json!({"amount_fen": amount.fen()}),
                ),
                TxnAction::Void => (format!("/v1/payments/{txn}/void"), json!({})),
                TxnAction::Refund { amount, .. } => (
                    format!("/v1/payments/{txn}/refunds"),
                    json!({"amount_fen": amount.fen()}),
                ),
            };
            one(merchant, path, body, key())
        }
        // The merchant asks to ship: the last-mile decision (ship, held, intercepted).
        Request::Deliver {
            merchant,
            txn,
            address_changed,
        } => one(
            Who::Merchant(known.merchant(*merchant)?),
            format!("/v1/payments/{txn}/delivery"),
            json!({"address_changed": address_changed}),
            key(),
        ),
        Request::LinkMerchant { account, merchant } => {
            let server = known.merchant(*merchant)?;
            one(
                known.token(*account)?,
                format!("/v1/customers/{account}/links"),
                json!({"merchant_id": server.id.to_string()}),
                key(),
            )
        }
        Request::ExemptFraud { account, txns } => one(
            Who::Operator,
            format!("/v1/customers/{account}/fraud-exemptions"),
            json!({"txn_ids": txns.iter().map(ToString::to_string).collect::<Vec<_>>()}),
            key(),
        ),
        // The customer's theft report from the app.
        Request::ReportTheft { account, txns } => one(
            known.token(*account)?,
            format!("/v1/customers/{account}/theft-reports"),
            json!({"txn_ids": txns.iter().map(ToString::to_string).collect::<Vec<_>>()}),
            key(),
        ),
        // The fraud team reads the case's evidence, then decides it.
        Request::ResolveCase { case, confirm } => Plan::Review {
            look: Step {
                who: Who::Operator,
                post: false,
                path: format!("/v1/cases/{case}"),
                body: Value::Null,
                key: key(),
                step_up: None,
            },
            decide: Step {
                who: Who::Operator,
                post: true,
                path: format!("/v1/cases/{case}/resolve"),
                body: json!({"confirm": confirm}),
                key: key(),
                step_up: None,
            },
        },
        // The customer lifts a theft report's freeze after a liveness check: in simulation
        // mode the step-up header stands in for the step-up token.
        Request::VerifiedUnfreeze { account } => Plan::One {
            step: Step {
                who: known.token(*account)?,
                post: true,
                path: format!("/v1/customers/{account}/unfreeze"),
                body: json!({"step_up_token": SIMULATED_STEP_UP}),
                key: key(),
                step_up: Some(risk::ChallengeKind::Liveness),
            },
            opens: None,
        },
        other => return Err(unsupported(&format!("{other:?}"))),
    })
}

/// The step-up token a simulation-mode call names when its `Iou-Sim-Step-Up` header stands in
/// for the check (the server never reads it then).
pub const SIMULATED_STEP_UP: &str = "simulated";

/// The steps of a credit command for one account.
fn account_plan(
    command: &Command,
    context: Option<&RiskContext>,
    known: &Known<'_>,
    key: &mut dyn FnMut() -> String,
) -> Result<Plan, DriverError> {
    let step_up = context.and_then(|c| c.step_up);
    let one = |who: Who, path: String, body: Value, key: String| Plan::One {
        step: Step {
            who,
            post: true,
            path,
            body,
            key,
            step_up,
        },
        opens: None,
    };
    Ok(match command {
        Command::OpenAccount {
            account,
            limit,
            billing_day,
        } => Plan::One {
            step: Step {
                who: Who::Operator,
                post: true,
                path: "/v1/customers".into(),
                body: json!({"customer_id": account.0.to_string(), "limit_fen": limit.fen(), "billing_day": billing_day}),
                key: key(),
                step_up: None,
            },
            opens: Some(*account),
        },
        Command::ChangeLimit { account, limit } => one(
            Who::Operator,
            format!("/v1/customers/{account}/limit"),
            json!({"limit_fen": limit.fen()}),
            key(),
        ),
        Command::Repay { account, amount, .. } => match context {
            // A customer's own repayment passes the repayment checkpoint with its context.
            Some(context) => one(
                known.token(*account)?,
                format!("/v1/customers/{account}/repayments"),
                json!({"amount_fen": amount.fen(), "risk": risk_body(context)}),
                key(),
            ),
            // Money the operator records as received: an offline repayment, whose unique
            // external reference is the call's own key.
            None => {
                let key = key();
                one(
                    Who::Operator,
                    format!("/v1/customers/{account}/offline-repayments"),
                    json!({"amount_fen": amount.fen(), "external_reference": key}),
                    key,
                )
            }
        },
        // The operator records the payoff as money received offline (its reference the key).
        Command::EarlyPayoff {
            account, plan, amount, ..
        } => {
            let key = key();
            one(
                Who::Operator,
                format!("/v1/customers/{account}/plans/{}/payoff", plan.0),
                json!({"amount_fen": amount.fen(), "external_reference": key}),
                key,
            )
        }
        Command::Freeze { account, reason } => {
            let reason = match reason {
                FreezeReason::Operator => "operator",
                FreezeReason::Risk => "risk",
                FreezeReason::TheftReport => "theft_report",
                FreezeReason::Customer => return Err(unsupported("a freeze by the customer")),
            };
            one(
                Who::Operator,
                format!("/v1/customers/{account}/freeze"),
                json!({"reason": reason}),
                key(),
            )
        }
        // The operator's hardship plan (the simulation's operator is the bootstrap token, which
        // four eyes lets through); the API picks the plan's id.
        Command::HardshipPlan { account, periods, .. } => one(
            Who::Operator,
            format!("/v1/customers/{account}/hardship-plans"),
            json!({"periods": periods}),
            key(),
        ),
        Command::Unfreeze { account } => one(
            Who::Operator,
            format!("/v1/customers/{account}/unfreeze"),
            json!({}),
            key(),
        ),
        other => return Err(unsupported(&format!("{other:?}"))),
    })
}
