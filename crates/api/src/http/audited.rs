//! Operator calls in the audit log, in one place. [`layer`] wraps every route: it gives the
//! request an empty [`Seen`] slot, the `Call` extractor fills it when an operator calls (who,
//! and the permission the route needs: [`crate::http::auth::policy`]), and after the handler
//! answered, the layer appends one record if the call could change something (any method but
//! GET and HEAD) or was refused for lack of permission:
//!
//! - actor `operator:<name>` (`bootstrap` for the bootstrap token, `apikey-<id>` for a key);
//! - action: the permission's name (`limits.change`), `operator.logout` for a logout;
//! - target: the request's path (`/v1/customers/17/limit`), the resource it names;
//! - detail: the route's template, the status, `replayed` when a stored answer was returned;
//! - outcome: `ok` for a 2xx, `denied` for a 403, else `failed`.
//!
//! The record is durable before the response leaves (the append runs on the blocking pool).
//! If it cannot be written the call's effect stands and the failure is logged as an error.
//! Logins are recorded by their route (it knows the name tried and why it failed).

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// Who called, as the `Call` extractor saw it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub name: String,
    /// The action word: a permission's name or `operator.logout`.
    pub action: &'static str,
    /// The route's template.
    pub route: String,
    /// The request's path: the record's target.
    pub target: String,
}

/// The slot a request carries for its caller.
#[derive(Debug, Default)]
pub struct Seen(Mutex<Option<Caller>>);

impl Seen {
    pub fn fill(&self, caller: Caller) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(caller);
    }

    fn take(&self) -> Option<Caller> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

/// What to record: one audit record, as strings the `audit` crate parses.
#[derive(Debug)]
pub struct Entry<'a> {
    pub actor: Option<&'a str>,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: Vec<(&'a str, String)>,
    pub outcome: audit::Outcome,
}

/// Appends `entry` to the audit log (on the blocking pool); a failure is logged, not returned:
/// the action it describes already happened or was already refused.
pub async fn record(state: &AppState, entry: Entry<'_>) {
    let built = build(&entry);
    let (actor, action, target, detail) = match built {
        Ok(parts) => parts,
        Err(error) => {
            tracing::error!(%error, action = entry.action, "an audit record could not be built");
            return;
        }
    };
    let auditor = state.auditor().clone();
    let outcome = entry.outcome;
    let written = tokio::task::spawn_blocking(move || auditor.record(&actor, &action, &target, &detail, outcome)).await;
    match written {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::error!(%error, "an audit record was not written"),
        Err(error) => tracing::error!(%error, "the audit task failed"),
    }
}

type Parts = (audit::Actor, audit::Action, audit::Target, audit::Detail);

fn build(entry: &Entry<'_>) -> Result<Parts, audit::FieldError> {
    let actor = match entry.actor {
        Some(name) => audit::Actor::operator(name)?,
        None => audit::Actor::System,
    };
    let target = if entry.target.is_empty() {
        audit::Target::none()
    } else {
        audit::Target::new(&truncate(entry.target, audit::Target::MAX))?
    };
    let mut detail = audit::Detail::new();
    for (key, value) in &entry.detail {
        detail = detail.with(key, &truncate(value, audit::Detail::VALUE_MAX))?;
    }
    Ok((actor, audit::Action::new(entry.action)?, target, detail))
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// The outcome a status stands for.
fn outcome(status: StatusCode) -> audit::Outcome {
    if status.is_success() {
        audit::Outcome::Ok
    } else if status == StatusCode::FORBIDDEN {
        audit::Outcome::Denied
    } else {
        audit::Outcome::Failed
    }
}

/// The middleware (see the module's comment).
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // A merchant is never an operator: its calls (the authorization path) carry no slot.
    if request.headers().contains_key("x-merchant-id") {
        return next.run(request).await;
    }
    let seen = Arc::new(Seen::default());
    request.extensions_mut().insert(seen.clone());
    let reads = request.method() == Method::GET || request.method() == Method::HEAD;
    let response = next.run(request).await;
    let status = response.status();
    let Some(caller) = seen.take() else {
        return response;
    };
    if reads && status != StatusCode::FORBIDDEN {
        return response;
    }
    let mut detail = vec![("route", caller.route), ("status", status.as_u16().to_string())];
    if response.headers().contains_key("idempotent-replayed") {
        detail.push(("replayed", "true".to_owned()));
    }
    let entry = Entry {
        actor: Some(&caller.name),
        action: caller.action,
        target: &caller.target,
        detail,
        outcome: outcome(status),
    };
    record(&state, entry).await;
    response
}

/// The source address as the audit log shows it.
pub fn source(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}
