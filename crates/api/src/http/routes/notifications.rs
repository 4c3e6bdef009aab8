//! A customer's notifications: the preferences (which channels each kind goes through, the
//! language; theft and security messages cannot be switched off) and what was sent, with its
//! status. The customer themself, or an operator (`customers.read` to read,
//! `notifications.manage` to change preferences, e.g. for a customer on the phone).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use jiff::Timestamp;
use notify::{Channel, Delivery, Kind, Language, PreferenceError, Preferences};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::customers::customer_of;
use crate::http::submit::account;
use crate::notifications::{blocking, load_deliveries, load_prefs, prefs_key};
use crate::state::AppState;

/// Deliveries a list shows at most (newest first).
const LISTED_MAX: usize = 100;

#[derive(Debug, Serialize, ToSchema)]
pub struct PreferencesView {
    pub customer_id: String,
    /// `zh-CN` or `en`.
    #[schema(example = "zh-CN")]
    pub language: String,
    /// Each kind with the channels it goes through (`sms`, `push`, `email`). Kinds:
    /// `statement_issued`, `due_soon`, `due_today`, `payment_received`, `missed`,
    /// `bucket_changed`, `theft_case` (always every channel).
    pub channels: BTreeMap<String, Vec<String>>,
    /// Local quiet hours (`HH:MM`, the engine's zone): other messages wait until they end;
    /// theft and security messages go at once.
    pub quiet_hours: QuietHoursView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuietHoursView {
    #[schema(example = "21:00")]
    pub start: String,
    #[schema(example = "08:00")]
    pub end: String,
}

/// A change of preferences: the kinds named get exactly these channels; the others keep
/// theirs. `theft_case` cannot lose a channel (`notification_not_switchable`).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    #[schema(example = "en")]
    pub language: Option<String>,
    #[serde(default)]
    pub channels: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    /// `<customer>:<kind>:<what>[:<day>]:<channel>`: the same for every attempt.
    pub id: String,
    pub kind: String,
    pub channel: String,
    /// `pending` (waiting for quiet hours to end, or for its next retry), `sent`, `dead` (given
    /// up: the provider refused it, or every attempt failed).
    pub status: String,
    pub attempts: u32,
    pub created_at: String,
    /// When it is (or was last) due to be sent.
    pub due_at: String,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    pub subject: Option<String>,
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<NotificationView>,
}

fn time(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_string()
}

fn view_of(state: &AppState, id: AccountId, prefs: &Preferences) -> PreferencesView {
    let quiet = state.notifications().options.quiet;
    let hm = |t: jiff::civil::Time| format!("{:02}:{:02}", t.hour(), t.minute());
    PreferencesView {
        customer_id: id.to_string(),
        language: prefs.language.name().to_owned(),
        channels: Kind::ALL
            .into_iter()
            .map(|k| {
                let on = prefs.channels(k).into_iter().map(|c| c.name().to_owned()).collect();
                (k.name().to_owned(), on)
            })
            .collect(),
        quiet_hours: QuietHoursView {
            start: hm(quiet.start),
            end: hm(quiet.end),
        },
    }
}

fn invalid(field: String, message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message).with_field(field)
}

/// Applies a body to `prefs`, checking every name.
fn apply(prefs: &mut Preferences, body: &PreferencesBody) -> Result<(), ApiError> {
    if let Some(language) = &body.language {
        prefs.language =
            Language::parse(language).ok_or_else(|| invalid("language".into(), "language must be zh-CN or en"))?;
    }
    for (name, channels) in &body.channels {
        let field = format!("channels.{name}");
        let kind = Kind::parse(name).ok_or_else(|| invalid(field.clone(), "no notification kind has this name"))?;
        let mut on = BTreeSet::new();
        for channel in channels {
            let channel =
                Channel::parse(channel).ok_or_else(|| invalid(field.clone(), "channels are sms, push and email"))?;
            on.insert(channel);
        }
        prefs.set(kind, &on).map_err(|PreferenceError::NotSwitchable(kind)| {
            ApiError::new(
                ErrorCode::NotificationNotSwitchable,
                format!("{kind} messages are about security: they always go through every channel"),
            )
            .with_field(field)
        })?;
    }
    Ok(())
}

/// The customer's notification preferences (the customer, or an operator).
#[utoipa::path(operation_id = "get_notification_preferences", get, path = "/v1/customers/{customer_id}/notification-preferences", tag = "customers",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = PreferencesView), Refusals, Unavailable))]
pub async fn get_preferences(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    account(&state, id).await?;
    let meta = state.meta().clone();
    let prefs = blocking(move || load_prefs(&meta, id.0)).await?;
    Ok(respond(StatusCode::OK, &view_of(&state, id, &prefs), false))
}

/// Set which channels each kind of notification goes through, and the language (the
/// customer, or an operator with `notifications.manage`).
#[utoipa::path(operation_id = "set_notification_preferences", put, path = "/v1/customers/{customer_id}/notification-preferences", tag = "customers",
    request_body = PreferencesBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = PreferencesView), Refusals, Unavailable))]
pub async fn set_preferences(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let body: PreferencesBody = call.json()?;
    account(&state, id).await?;
    let idem = call.idem()?;
    crate::http::once::once(&state, idem, async {
        let meta = state.meta().clone();
        let mut prefs = blocking(move || load_prefs(&meta, id.0)).await?;
        apply(&mut prefs, &body)?;
        let text = serde_json::to_string(&prefs).map_err(|e| ApiError::internal(e.to_string()))?;
        state.meta().set(prefs_key(id.0), text).await?;
        crate::http::once::Answer::new(StatusCode::OK, &view_of(&state, id, &prefs))
    })
    .await
}

/// What the customer was sent (or will be), newest first, at most 100 (the customer, or an
/// operator).
#[utoipa::path(operation_id = "list_notifications", get, path = "/v1/customers/{customer_id}/notifications", tag = "customers",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = NotificationList), Refusals, Unavailable))]
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    account(&state, id).await?;
    let meta = state.meta().clone();
    let deliveries = blocking(move || load_deliveries(&meta, id.0)).await?;
    let notifications = deliveries.iter().rev().take(LISTED_MAX).map(view).collect();
    Ok(respond(StatusCode::OK, &NotificationList { notifications }, false))
}

fn view(d: &Delivery) -> NotificationView {
    NotificationView {
        id: d.id(),
        kind: d.kind.name().to_owned(),
        channel: d.channel.name().to_owned(),
        status: d.status.name().to_owned(),
        attempts: d.attempts,
        created_at: time(d.created_ms),
        due_at: time(d.due_ms),
        sent_at: d.sent_ms.map(time),
        last_error: d.last_error.clone(),
        subject: d.subject.clone(),
        body: d.body.clone(),
    }
}
