//! The rules' view of one evaluation: [`RuleContext`] (input, features, scores, time) and the one
//! table of named fields ([`fields`]) both evaluators read. zen-engine gets them as a nested
//! `Variable` (`input.amount`, `features.user.payments_5m`, `models.fraud_score`, ...); the fast
//! path reads only the fields a graph mentions, straight from the structs. Rules read only what
//! is listed here, so adding a feature means adding a line here (and to `rules/README.md`).

use std::collections::HashMap;
use std::sync::LazyLock;

use money::Amount;
use rust_decimal::Decimal;
use zen_expression::variable::{Symbol, Variable, VariableMap};

use super::value::{Ty, Val};
use crate::checkpoint::{CheckpointDetail, CheckpointInput};
use crate::features::{EntityFeatures, FeatureVector, HOUR_MS, MINUTE_MS, MerchantCounts, Window, pct};
use crate::ids::Timestamp;
use crate::models::{ModelScores, score_decimal};

/// What one evaluation knows.
#[derive(Clone, Copy, Debug)]
pub struct RuleContext<'a> {
    pub input: &'a CheckpointInput,
    pub features: &'a FeatureVector,
    pub models: &'a ModelScores,
    pub now: Timestamp,
}

/// One named field of the context.
#[derive(Clone, Copy)]
pub(crate) struct Field {
    pub path: &'static str,
    pub ty: Ty,
    pub get: fn(&RuleContext<'_>) -> Val<'static>,
}

fn num(n: impl Into<Decimal>) -> Val<'static> {
    Val::Num(n.into())
}

fn yuan(amount: Amount) -> Val<'static> {
    Val::Num(Decimal::new(amount.fen(), 2))
}

fn opt<T>(value: Option<T>, f: impl Fn(T) -> Val<'static>) -> Val<'static> {
    value.map_or(Val::Null, f)
}

fn fen_yuan(fen: i64) -> Val<'static> {
    Val::Num(Decimal::new(fen, 2))
}

/// Pushes the four window fields `<prefix><name>_5m` ... `_30d`.
macro_rules! windowed {
    ($out:ident, $ty:expr, $prefix:literal, $name:literal, |$c:ident, $w:ident| $get:expr) => {
        $out.push(Field {
            path: concat!($prefix, $name, "_5m"),
            ty: $ty,
            get: |$c| {
                let $w = Window::M5;
                $get
            },
        });
        $out.push(Field {
            path: concat!($prefix, $name, "_1h"),
            ty: $ty,
            get: |$c| {
                let $w = Window::H1;
                $get
            },
        });
        $out.push(Field {
            path: concat!($prefix, $name, "_24h"),
            ty: $ty,
            get: |$c| {
                let $w = Window::H24;
                $get
            },
        });
        $out.push(Field {
            path: concat!($prefix, $name, "_30d"),
            ty: $ty,
            get: |$c| {
                let $w = Window::D30;
                $get
            },
        });
    };
}

/// Pushes one plain field.
macro_rules! field {
    ($out:ident, $ty:expr, $path:literal, |$c:ident| $get:expr) => {
        $out.push(Field {
            path: $path,
            ty: $ty,
            get: |$c| $get,
        });
    };
}

const N: Ty = Ty::NUM;
const NN: Ty = Ty::NUM.or(Ty::NULL);
const B: Ty = Ty::BOOL;
const BN: Ty = Ty::BOOL.or(Ty::NULL);
const S: Ty = Ty::STR;
const SN: Ty = Ty::STR.or(Ty::NULL);

fn input_fields(f: &mut Vec<Field>) {
    field!(f, S, "input.checkpoint", |c| Val::Str(c.input.checkpoint().name()));
    field!(f, S, "input.channel", |c| Val::Str(c.input.channel.name()));
    field!(f, NN, "input.amount", |c| opt(c.input.amount(), yuan));
    field!(f, B, "input.has_geo", |c| Val::Bool(c.input.geo.is_some()));
    field!(f, N, "input.offline_delay_minutes", |c| num(c
        .now
        .millis_since(c.input.at)
        / MINUTE_MS));
    field!(f, B, "input.signals.device_listed", |c| Val::Bool(
        c.input.signals.device_listed
    ));
    field!(f, B, "input.signals.ip_listed", |c| Val::Bool(
        c.input.signals.ip_listed
    ));
    field!(f, B, "input.signals.card_listed", |c| Val::Bool(
        c.input.signals.card_listed
    ));
    field!(f, B, "input.signals.emulator", |c| Val::Bool(c.input.signals.emulator));
    field!(f, B, "input.signals.proxy", |c| Val::Bool(c.input.signals.proxy));
    field!(f, BN, "input.password_ok", |c| match c.input.detail {
        CheckpointDetail::Login { password_ok } => Val::Bool(password_ok),
        _ => Val::Null,
    });
    field!(f, BN, "input.has_previous_device", |c| match c.input.detail {
        CheckpointDetail::DeviceChange { previous_device } => Val::Bool(previous_device.is_some()),
        _ => Val::Null,
    });
    field!(f, NN, "input.declared_monthly_income", |c| match c.input.detail {
        CheckpointDetail::CreditApplication {
            declared_monthly_income,
            ..
        } => opt(declared_monthly_income, yuan),
        _ => Val::Null,
    });
    field!(f, NN, "input.installments", |c| match c.input.detail {
        CheckpointDetail::PaymentAuthorization { installments, .. } => num(installments),
        _ => Val::Null,
    });
    field!(f, SN, "input.profile_field", |c| match c.input.detail {
        CheckpointDetail::ProfileChange { field, .. } => Val::Str(field.name()),
        _ => Val::Null,
    });
    field!(f, NN, "input.days", |c| match c.input.detail {
        CheckpointDetail::LimitRequest { days, .. } => num(days),
        _ => Val::Null,
    });
    field!(f, BN, "input.address_changed", |c| match c.input.detail {
        CheckpointDetail::Delivery { address_changed, .. } => Val::Bool(address_changed),
        _ => Val::Null,
    });
    field!(f, NN, "input.hours_since_authorization", |c| match c.input.detail {
        CheckpointDetail::Delivery { authorized_at, .. } => {
            num(c.now.millis_since(authorized_at) / HOUR_MS)
        }
        _ => Val::Null,
    });
}

fn user_fields(f: &mut Vec<Field>) {
    field!(f, N, "features.hour_of_day", |c| num(c.features.hour_of_day));
    field!(f, B, "features.saturated", |c| Val::Bool(c.features.saturated()));
    windowed!(f, N, "features.user.", "events", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .events));
    windowed!(f, N, "features.user.", "logins", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .logins));
    windowed!(f, N, "features.user.", "failed_logins", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .failed_logins));
    windowed!(f, N, "features.user.", "device_changes", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .device_changes));
    windowed!(f, N, "features.user.", "credit_applications", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .credit_applications));
    windowed!(f, N, "features.user.", "payments", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .payments));
    windowed!(f, N, "features.user.", "payment_amount", |c, w| fen_yuan(
        c.features.user.tally.get(w).payment_amount_fen
    ));
    windowed!(f, N, "features.user.", "profile_changes", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .profile_changes));
    windowed!(f, N, "features.user.", "repayments", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .repayments));
    windowed!(f, N, "features.user.", "denials", |c, w| num(c
        .features
        .user
        .tally
        .get(w)
        .denials));
    windowed!(f, N, "features.user.", "distinct_devices", |c, w| num(c
        .features
        .user
        .distinct_devices
        .get(w)));
    windowed!(f, N, "features.user.", "distinct_ips", |c, w| num(c
        .features
        .user
        .distinct_ips
        .get(w)));
    windowed!(f, N, "features.user.", "distinct_merchants", |c, w| num(c
        .features
        .user
        .distinct_merchants
        .get(w)));
    windowed!(f, N, "features.user.", "distinct_cards", |c, w| num(c
        .features
        .user
        .distinct_cards
        .get(w)));
    field!(f, N, "features.user.account_age_days", |c| num(c
        .features
        .user
        .account_age_days));
    field!(f, N, "features.user.device_age_hours", |c| num(c
        .features
        .user
        .device_age_hours));
    field!(f, N, "features.user.usual_places", |c| num(c
        .features
        .user
        .usual_places));
    field!(f, NN, "features.user.km_from_usual", |c| opt(
        c.features.user.km_from_usual,
        num
    ));
    field!(f, NN, "features.user.km_from_last", |c| opt(
        c.features.user.km_from_last,
        num
    ));
    field!(f, NN, "features.user.kmh_from_last", |c| opt(
        c.features.user.kmh_from_last,
        num
    ));
    field!(f, NN, "features.user.payment_mean_30d", |c| opt(
        c.features.user.payment_mean_30d_fen,
        fen_yuan
    ));
    field!(f, NN, "features.user.amount_vs_mean_pct", |c| opt(
        c.features.user.amount_vs_mean_pct,
        num
    ));
}

// --- own-history features (issue 16, `features/history.rs`) and the payment's own shape

fn history_fields(f: &mut Vec<Field>) {
    field!(f, N, "features.history.payments_before", |c| num(c
        .features
        .history
        .payments_before));
    field!(f, NN, "features.history.amount_z", |c| opt(
        c.features.history.amount_z_centi,
        |z| Val::Num(Decimal::new(z, 2))
    ));
    field!(f, NN, "features.history.largest_before", |c| opt(
        c.features.history.largest_before_fen,
        fen_yuan
    ));
    field!(f, NN, "features.history.amount_vs_largest_pct", |c| opt(
        c.features.history.amount_vs_largest_pct,
        num
    ));
    field!(f, N, "features.history.days_quiet", |c| num(c
        .features
        .history
        .days_quiet));
    field!(f, N, "features.history.new_merchants_24h", |c| num(c
        .features
        .history
        .new_merchants_24h));
    field!(f, NN, "features.history.hours_since_limit_request", |c| opt(
        c.features.history.hours_since_limit_request,
        num
    ));
    field!(f, NN, "features.history.spend_since_limit_request", |c| opt(
        c.features.history.spend_since_limit_request_fen,
        fen_yuan
    ));
    // A payment of a whole number of hundreds of yuan (null for other checkpoints).
    field!(f, BN, "input.round_amount", |c| opt(c.input.payment_amount(), |a| {
        Val::Bool(a.fen() > 0 && a.fen() % 10_000 == 0)
    }));
}

fn merchant(c: &RuleContext<'_>) -> Option<EntityFeatures> {
    c.features.merchant
}

fn card(c: &RuleContext<'_>) -> Option<EntityFeatures> {
    c.features.card
}

fn entity_fields(f: &mut Vec<Field>) {
    windowed!(f, N, "features.device.", "events", |c, w| num(c
        .features
        .device
        .tally
        .get(w)
        .events));
    windowed!(f, N, "features.device.", "logins", |c, w| num(c
        .features
        .device
        .tally
        .get(w)
        .logins));
    windowed!(f, N, "features.device.", "failed_logins", |c, w| num(c
        .features
        .device
        .tally
        .get(w)
        .failed_logins));
    windowed!(f, N, "features.device.", "payments", |c, w| num(c
        .features
        .device
        .tally
        .get(w)
        .payments));
    windowed!(f, N, "features.device.", "payment_amount", |c, w| fen_yuan(
        c.features.device.tally.get(w).payment_amount_fen
    ));
    windowed!(f, N, "features.device.", "distinct_users", |c, w| num(c
        .features
        .device
        .distinct_users
        .get(w)));
    field!(f, N, "features.device.age_days", |c| num(c.features.device.age_days));
    windowed!(f, N, "features.ip.", "events", |c, w| num(c
        .features
        .ip
        .tally
        .get(w)
        .events));
    windowed!(f, N, "features.ip.", "failed_logins", |c, w| num(c
        .features
        .ip
        .tally
        .get(w)
        .failed_logins));
    windowed!(f, N, "features.ip.", "payments", |c, w| num(c
        .features
        .ip
        .tally
        .get(w)
        .payments));
    windowed!(f, N, "features.ip.", "credit_applications", |c, w| num(c
        .features
        .ip
        .tally
        .get(w)
        .credit_applications));
    windowed!(f, N, "features.ip.", "distinct_users", |c, w| num(c
        .features
        .ip
        .distinct_users
        .get(w)));
    windowed!(f, NN, "features.merchant.", "payments", |c, w| opt(merchant(c), |m| {
        num(m.tally.get(w).payments)
    }));
    windowed!(f, NN, "features.merchant.", "payment_amount", |c, w| opt(
        merchant(c),
        |m| { fen_yuan(m.tally.get(w).payment_amount_fen) }
    ));
    windowed!(f, NN, "features.merchant.", "denials", |c, w| opt(
        merchant(c),
        |m| num(m.tally.get(w).denials)
    ));
    windowed!(f, NN, "features.merchant.", "distinct_users", |c, w| opt(
        merchant(c),
        |m| num(m.distinct_users.get(w))
    ));
    windowed!(f, NN, "features.card.", "events", |c, w| opt(card(c), |k| num(k
        .tally
        .get(w)
        .events)));
    windowed!(f, NN, "features.card.", "distinct_users", |c, w| opt(card(c), |k| num(
        k.distinct_users.get(w)
    )));
    field!(f, NN, "features.card.age_days", |c| opt(card(c), |k| num(k.age_days)));
}

// ---- Merchant order facts, device binding and the link graph (issue 16 item 2). ----

/// The merchant book's counts in its 24-hour (`false`) or 30-day (`true`) window.
fn book(c: &RuleContext<'_>, d30: bool) -> Option<MerchantCounts> {
    c.features.merchant_book.map(|b| if d30 { b.d30 } else { b.h24 })
}

/// Pushes `<path>_24h` and `<path>_30d` from the merchant book's counts (null without a book).
macro_rules! book_windows {
    ($out:ident, $path:literal, |$m:ident| $get:expr) => {
        $out.push(Field {
            path: concat!($path, "_24h"),
            ty: NN,
            get: |c| book(c, false).and_then(|$m| $get).map_or(Val::Null, num),
        });
        $out.push(Field {
            path: concat!($path, "_30d"),
            ty: NN,
            get: |c| book(c, true).and_then(|$m| $get).map_or(Val::Null, num),
        });
    };
}

fn link_fields(f: &mut Vec<Field>) {
    field!(f, NN, "features.merchant.age_days", |c| opt(
        c.features.merchant_book,
        |b| num(b.age_days)
    ));
    book_windows!(f, "features.merchant.captures", |m| Some(m.captures));
    book_windows!(f, "features.merchant.theft_reports", |m| Some(m.theft_reports));
    book_windows!(f, "features.merchant.refund_rate_pct", |m| pct(m.refunds, m.captures));
    book_windows!(f, "features.merchant.void_rate_pct", |m| pct(m.voids, m.payments));
    book_windows!(f, "features.merchant.theft_rate_pct", |m| pct(
        m.theft_reports,
        m.payments
    ));
    book_windows!(f, "features.merchant.undelivered_capture_pct", |m| pct(
        m.captures_undelivered,
        m.captures
    ));
    book_windows!(f, "features.merchant.young_buyer_pct", |m| pct(
        m.young_or_new_device,
        m.payments
    ));
    book_windows!(f, "features.merchant.maxed_buyer_pct", |m| pct(m.maxed_out, m.payments));
    field!(f, B, "features.binding.device_bound", |c| Val::Bool(
        c.features.binding.device_bound
    ));
    field!(f, B, "features.binding.device_seen_at_login", |c| Val::Bool(
        c.features.binding.device_seen_at_login
    ));
    field!(f, N, "features.binding.bound_devices", |c| num(c
        .features
        .binding
        .bound_devices));
    field!(f, B, "features.binding.saturated", |c| Val::Bool(
        c.features.binding.saturated
    ));
    field!(f, N, "features.graph.component_size", |c| num(c
        .features
        .graph
        .component_size));
    field!(f, N, "features.graph.component_fraud", |c| num(c
        .features
        .graph
        .component_fraud));
    field!(f, N, "features.graph.component_age_days", |c| num(c
        .features
        .graph
        .component_age_days));
    field!(f, B, "features.graph.saturated", |c| Val::Bool(
        c.features.graph.saturated
    ));
}

fn model_fields(f: &mut Vec<Field>) {
    field!(f, NN, "models.fraud_score", |c| opt(
        score_decimal(c.models.fraud_score),
        num
    ));
    field!(f, NN, "models.credit_pd", |c| opt(
        score_decimal(c.models.credit_pd),
        num
    ));
    field!(f, NN, "models.credit_score", |c| opt(c.models.credit_score, num));
}

static FIELDS: LazyLock<Vec<Field>> = LazyLock::new(|| {
    let mut fields = Vec::with_capacity(192);
    input_fields(&mut fields);
    user_fields(&mut fields);
    history_fields(&mut fields);
    entity_fields(&mut fields);
    link_fields(&mut fields);
    model_fields(&mut fields);
    fields
});

static BY_PATH: LazyLock<HashMap<&'static str, usize>> =
    LazyLock::new(|| fields().iter().enumerate().map(|(i, f)| (f.path, i)).collect());

/// Every field, in a fixed order.
pub(crate) fn fields() -> &'static [Field] {
    &FIELDS
}

/// The index of the field at `path`, if there is one.
pub(crate) fn field_index(path: &str) -> Option<usize> {
    BY_PATH.get(path).copied()
}

/// Whether some field lies under `path` (so `path` names an object, not a value).
pub(crate) fn is_object_path(path: &str) -> bool {
    fields()
        .iter()
        .any(|f| f.path.len() > path.len() && f.path.starts_with(path) && f.path.as_bytes()[path.len()] == b'.')
}

/// The paths of every field, for documentation and tests.
pub fn field_paths() -> impl Iterator<Item = &'static str> {
    fields().iter().map(|f| f.path)
}

/// The nested object layout of the fields, built once.
enum Layout {
    Leaf(usize),
    Object(Vec<(&'static str, Layout)>),
}

static LAYOUT: LazyLock<Layout> = LazyLock::new(|| {
    let mut root = Layout::Object(Vec::new());
    for (index, field) in fields().iter().enumerate() {
        let mut node = &mut root;
        let mut parts = field.path.split('.').peekable();
        while let Some(part) = parts.next() {
            let Layout::Object(children) = node else { break };
            let position = match children.iter().position(|(k, _)| *k == part) {
                Some(p) => p,
                None => {
                    let child = if parts.peek().is_some() {
                        Layout::Object(Vec::new())
                    } else {
                        Layout::Leaf(index)
                    };
                    children.push((part, child));
                    children.len() - 1
                }
            };
            node = &mut children[position].1;
        }
    }
    root
});

/// The context as zen-engine sees it: nested objects of every field.
pub(crate) fn zen_context(ctx: &RuleContext<'_>) -> Variable {
    build(&LAYOUT, ctx)
}

fn build(layout: &Layout, ctx: &RuleContext<'_>) -> Variable {
    match layout {
        Layout::Leaf(index) => (fields()[*index].get)(ctx).to_variable(),
        Layout::Object(children) => {
            let mut map = VariableMap::with_capacity(children.len());
            for (key, child) in children {
                map.insert(Symbol::borrowed(key), build(child, ctx));
            }
            Variable::from_object(map)
        }
    }
}
