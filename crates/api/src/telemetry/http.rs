//! HTTP metrics: [`layer`] wraps every route and counts each request by method, route template
//! (axum's `MatchedPath`; `unmatched` for the fallbacks) and status, and records its latency.
//!
//! The handles are kept per route in a map read without a lock (`ArcSwap`; a route seen for
//! the first time is added under a mutex, once) and per method and status in `OnceLock`s, so a
//! request costs a hash of its route template, an atomic add and a histogram sample: no lock,
//! no allocation. A status outside [`STATUSES`] (none the API answers today) is still counted,
//! through the recorder's registry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram, Key, Label, Recorder};
use metrics_exporter_prometheus::PrometheusRecorder;

use super::{HTTP_REQUESTS, HTTP_SECONDS, METADATA};
use crate::state::AppState;

/// The methods counted by name; any other is `other`.
const METHODS: [&str; 8] = ["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "other"];

/// The statuses with a kept handle: every status the API answers (a test checks the error
/// codes' statuses are here).
pub const STATUSES: [(u16, &str); 23] = [
    (200, "200"),
    (201, "201"),
    (202, "202"),
    (204, "204"),
    (400, "400"),
    (401, "401"),
    (402, "402"),
    (403, "403"),
    (404, "404"),
    (405, "405"),
    (408, "408"),
    (409, "409"),
    (410, "410"),
    (411, "411"),
    (413, "413"),
    (415, "415"),
    (421, "421"),
    (422, "422"),
    (429, "429"),
    (500, "500"),
    (502, "502"),
    (503, "503"),
    (504, "504"),
];

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::HEAD => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

#[derive(Default)]
struct MethodSlots {
    seconds: OnceLock<Histogram>,
    statuses: [OnceLock<Counter>; STATUSES.len()],
}

struct RouteSlots {
    route: Arc<str>,
    methods: [MethodSlots; METHODS.len()],
}

impl RouteSlots {
    fn labels(&self, method: usize) -> Vec<Label> {
        vec![
            Label::from_static_parts("method", METHODS[method]),
            Label::new("route", self.route.to_string()),
        ]
    }

    fn observe(&self, recorder: &PrometheusRecorder, method: usize, status: StatusCode, took: Duration) {
        let slots = &self.methods[method];
        let seconds = slots.seconds.get_or_init(|| {
            recorder.register_histogram(&Key::from_parts(HTTP_SECONDS, self.labels(method)), &METADATA)
        });
        seconds.record(took.as_secs_f64());
        let code = status.as_u16();
        let counter = match STATUSES.iter().position(|(s, _)| *s == code) {
            Some(at) => slots.statuses[at].get_or_init(|| {
                let mut labels = self.labels(method);
                labels.push(Label::from_static_parts("status", STATUSES[at].1));
                recorder.register_counter(&Key::from_parts(HTTP_REQUESTS, labels), &METADATA)
            }),
            None => {
                let mut labels = self.labels(method);
                labels.push(Label::new("status", code.to_string()));
                &recorder.register_counter(&Key::from_parts(HTTP_REQUESTS, labels), &METADATA)
            }
        };
        counter.increment(1);
    }
}

/// The per-route handles.
#[derive(Default)]
pub struct HttpMetrics {
    routes: ArcSwap<HashMap<Arc<str>, Arc<RouteSlots>>>,
    adding: Mutex<()>,
}

impl HttpMetrics {
    fn route(&self, route: &str) -> Arc<RouteSlots> {
        if let Some(slots) = self.routes.load().get(route) {
            return slots.clone();
        }
        let _adding = self.adding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = self.routes.load_full();
        if let Some(slots) = current.get(route) {
            return slots.clone();
        }
        let slots = Arc::new(RouteSlots {
            route: Arc::from(route),
            methods: Default::default(),
        });
        let mut grown = HashMap::clone(&current);
        grown.insert(slots.route.clone(), slots.clone());
        self.routes.store(Arc::new(grown));
        slots
    }
}

/// The middleware (see the module's comment).
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let began = Instant::now();
    let method = method_index(request.method());
    let telemetry = state.telemetry();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str);
    let slots = telemetry.http().route(route);
    let response = next.run(request).await;
    slots.observe(telemetry.recorder(), method, response.status(), began.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::STATUSES;
    use crate::http::error::ErrorCode;
    use crate::http::submit::{Audience, status};

    #[test]
    fn every_status_the_error_codes_answer_has_a_kept_handle() {
        for &code in ErrorCode::ALL {
            for audience in [Audience::Authorize, Audience::Merchant, Audience::Account] {
                let answered = status(code, audience).as_u16();
                assert!(
                    STATUSES.iter().any(|(s, _)| *s == answered),
                    "{code} answers {answered}, which has no kept handle"
                );
            }
        }
        for (code, label) in STATUSES {
            assert_eq!(code.to_string(), label);
        }
    }
}
