//! [`Applicants`]: the applicant stream's way in, over HTTP: applicants apply through `POST
//! /v1/applications` with no credentials (as the customer app does), and an analyst works the
//! review queue as the operator (`GET /v1/applications/{id}`, then `.../approve` or
//! `.../decline`, each with its own Idempotency-Key; `GET /v1/applications?status=review` for
//! what is left).
//!
//! Where applicants call from: the route counts applications per client address (20 an hour;
//! the risk checkpoint sends a burst of five within 24 hours from one address to review), and
//! reads `X-Forwarded-For` only from a proxy the server trusts, which a simulation-mode server
//! does not by default. So no header: against a server on a loopback address (the demo's own,
//! a local `iou serve --simulation`), each applicant's connection leaves from one of
//! [`LOOPBACK_ADDRESSES`] addresses of `127.0.0.0/8` in turn, and the route sees each applicant
//! on their own; against any other server, or where those addresses cannot be bound (macOS
//! configures only `127.0.0.1`), all come from this machine's one address (and the burst rule
//! sends more of them to review: a seed's application figures are then another run's).
//!
//! It has its own clients and runtime, so the in-process driver of the demo can use it against
//! its own server (`iou simulate --serve`) as well as [`super::Http`] against a remote one.

use std::net::{IpAddr, Ipv4Addr};

use credit::AccountId;
use reqwest::Method;
use serde_json::{Value, json};

use super::wire::{Sent, Who, Wire};
use crate::driver::{ApplicationForm, Applications, Applied, DriverError, LastEvening, Reviewed};

/// Loopback addresses the applicants' connections leave from, in turn (`127.0.0.2` on).
pub const LOOPBACK_ADDRESSES: u8 = 64;

pub struct Applicants {
    /// The analyst's client.
    wire: Wire,
    /// The applicants' clients, one per address, used in turn.
    from: Vec<Wire>,
    sent: usize,
    runtime: tokio::runtime::Runtime,
    /// Makes this run's Idempotency-Keys its own (see [`super::Http`]).
    nonce: u64,
    keys: u64,
}

impl std::fmt::Debug for Applicants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applicants")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

fn failed(path: &str, sent: &Sent) -> DriverError {
    DriverError::Http(format!("{path} answered {}: {}", sent.status, sent.text))
}

fn account(sent: &Sent, path: &str) -> Result<AccountId, DriverError> {
    sent.str("customer_id")?
        .parse()
        .map(AccountId)
        .map_err(|_| failed(path, sent))
}

impl Applicants {
    /// A client of the server at `url`, the analyst calling with the operator's `token`.
    pub fn connect(url: &str, token: &str) -> Result<Applicants, DriverError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DriverError::Unavailable(format!("starting the client runtime: {e}")))?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let from = match loopback(url) && bindable() {
            true => (0..LOOPBACK_ADDRESSES)
                .map(|i| Wire::from_address(url, "", Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i)))))
                .collect::<Result<Vec<Wire>, DriverError>>()?,
            false => vec![Wire::new(url, "")?],
        };
        Ok(Applicants {
            wire: Wire::new(url, token)?,
            from,
            sent: 0,
            runtime,
            nonce,
            keys: 0,
        })
    }

    pub(super) fn next_key(&mut self) -> String {
        self.keys += 1;
        format!("sim-app-{:x}-{}", self.nonce, self.keys)
    }

    /// One call with an Idempotency-Key, as `who`.
    pub(super) fn block_on_send(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: &str,
    ) -> Result<Sent, DriverError> {
        self.runtime
            .block_on(self.wire.send(who, method, path, body, Some(key), None, 0))
    }

    fn operator(&mut self, path: &str, body: Option<Value>) -> Result<Sent, DriverError> {
        let key = self.next_key();
        let method = if body.is_some() { Method::POST } else { Method::GET };
        self.runtime.block_on(
            self.wire
                .send(&Who::Operator, method, path, body.as_ref(), Some(&key), None, 0),
        )
    }
}

/// Whether `url`'s host is an IPv4 loopback address or `localhost`.
fn loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    host == "localhost" || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether this machine lets a socket bind the first and the last of the applicants' loopback
/// addresses.
fn bindable() -> bool {
    [2, 1 + LOOPBACK_ADDRESSES]
        .iter()
        .all(|&last| std::net::UdpSocket::bind((Ipv4Addr::new(127, 0, 0, last), 0)).is_ok())
}

/// The route's body for `form`.
fn body(form: &ApplicationForm) -> Result<Value, DriverError> {
    let applicant = serde_json::to_value(&form.applicant).map_err(|e| DriverError::Http(e.to_string()))?;
    let mut device = json!({ "device_id": form.device_id });
    if let Some(geo) = form.geo {
        device["lat_micro"] = json!(geo.lat_micro());
        device["lon_micro"] = json!(geo.lon_micro());
    }
    Ok(json!({ "applicant": applicant, "device": device }))
}

/// The route's answer as an [`Applied`].
fn applied(sent: &Sent) -> Result<Applied, DriverError> {
    const PATH: &str = "/v1/applications";
    let outcome = sent.body["outcome"].as_str().unwrap_or("");
    Ok(match (sent.status, outcome) {
        (201, "approved") => Applied::Approved {
            account: account(sent, PATH)?,
        },
        (202, "review") => Applied::Review {
            application: sent.str("application_id")?.to_owned(),
        },
        (200, "declined") => Applied::Declined {
            reasons: sent.body["reasons"]
                .as_array()
                .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
        },
        (200, "challenge_required") => Applied::Challenged,
        (429 | 503, _) => Applied::NotDecided,
        _ => return Err(failed(PATH, sent)),
    })
}

impl Applications for Applicants {
    fn apply(&mut self, forms: &[ApplicationForm]) -> Result<Vec<Applied>, DriverError> {
        let mut sending = Vec::with_capacity(forms.len());
        for form in forms {
            let wire = self.from[self.sent % self.from.len()].clone();
            self.sent += 1;
            sending.push((wire, body(form)?));
        }
        // From addresses of their own, concurrently: an answer "in review" takes at least a
        // quarter of a second (the route holds it so its timing tells nothing), and applicants
        // do not wait for each other. From one address, one after another: the route's count of
        // that address's applications then sees them in the same order on every run.
        if self.from.len() == 1 {
            let mut answers = Vec::with_capacity(sending.len());
            for (wire, body) in sending {
                let sent = self.runtime.block_on(wire.send(
                    &Who::Nobody,
                    Method::POST,
                    "/v1/applications",
                    Some(&body),
                    None,
                    None,
                    0,
                ))?;
                answers.push(applied(&sent)?);
            }
            return Ok(answers);
        }
        let sent: Vec<Result<Sent, DriverError>> = self.runtime.block_on(async move {
            let mut set = tokio::task::JoinSet::new();
            for (i, (wire, body)) in sending.into_iter().enumerate() {
                set.spawn(async move {
                    let sent = wire
                        .send(
                            &Who::Nobody,
                            Method::POST,
                            "/v1/applications",
                            Some(&body),
                            None,
                            None,
                            0,
                        )
                        .await;
                    (i, sent)
                });
            }
            let mut done: Vec<Option<Result<Sent, DriverError>>> = (0..set.len()).map(|_| None).collect();
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok((i, sent)) => done[i] = Some(sent),
                    Err(e) => return vec![Err(DriverError::Unavailable(format!("an application failed: {e}")))],
                }
            }
            done.into_iter()
                .map(|d| d.unwrap_or_else(|| Err(DriverError::Unavailable("an application got no answer".into()))))
                .collect()
        });
        sent.into_iter().map(|s| applied(&s?)).collect()
    }

    fn review(&mut self, application: &str, approve: bool, fallback_fen: i64) -> Result<Reviewed, DriverError> {
        let path = format!("/v1/applications/{application}");
        let seen = self.operator(&path, None)?;
        if !seen.ok() {
            return Err(failed(&path, &seen));
        }
        let decided = if approve {
            let body = match seen.body["limit_fen"].as_i64() {
                Some(_) => json!({}),
                None => json!({ "limit_fen": fallback_fen }),
            };
            let path = format!("{path}/approve");
            let sent = self.operator(&path, Some(body))?;
            if sent.ok() {
                return Ok(Reviewed::Approved {
                    account: account(&sent, &path)?,
                });
            }
            sent
        } else {
            let sent = self.operator(
                &format!("{path}/decline"),
                Some(json!({ "reasons": ["ANALYST_DECLINED"] })),
            )?;
            if sent.ok() {
                return Ok(Reviewed::Declined);
            }
            sent
        };
        match decided.body["error"]["code"].as_str() {
            Some(code) if (400..500).contains(&decided.status) => Ok(Reviewed::Refused { code: code.to_owned() }),
            _ => Err(failed(&path, &decided)),
        }
    }

    fn last_evening(&mut self, customers: &[AccountId]) -> Result<LastEvening, DriverError> {
        self.evening(customers)
    }

    fn in_review(&mut self) -> Result<u64, DriverError> {
        const PATH: &str = "/v1/applications?status=review";
        let sent = self.operator(PATH, None)?;
        match sent.body["applications"].as_array() {
            Some(listed) if sent.ok() => Ok(listed.len() as u64),
            _ => Err(failed(PATH, &sent)),
        }
    }
}
