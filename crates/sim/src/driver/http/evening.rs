//! The run's last evening on the API's own queues ([`Applications::last_evening`] for
//! [`Applicants`]): work that exists only at the API edge, so an engine-level workload never
//! makes it.
//!
//! - **Temporary-limit requests.** A few customers ask for a temporary limit in the app from
//!   behind a proxy or VPN (`POST /v1/customers/{id}/temporary-limit-requests` with
//!   `risk.proxy`); the `limit_request` checkpoint sends such a request to a credit officer
//!   (`202 pending_review`), where it waits for the morning. Each customer's token is one the
//!   operator issues (`POST .../token/rotate`), as support does for a customer who lost theirs.
//! - **Four-eyes approvals.** The fraud team's desk (an API key with the fraud team's scopes:
//!   four eyes needs a named maker, and the operator token is the bootstrap's, which it exempts)
//!   proposes confirming the oldest open theft cases; each confirmation exempts transactions, so
//!   it waits for a second operator (`202`, `GET /v1/approvals`).
//!
//! It runs after the run's final audit: nothing it does is the workload's to account for.

use std::sync::Arc;

use credit::AccountId;
use reqwest::Method;
use serde_json::{Value, json};

use super::applications::Applicants;
use super::wire::{Sent, Who};
use crate::driver::{DriverError, LastEvening};

/// Theft cases the fraud desk proposes to confirm, at most.
const PROPOSALS: usize = 2;

impl Applicants {
    fn call(&mut self, who: &Who, method: Method, path: &str, body: Option<Value>) -> Result<Sent, DriverError> {
        let key = self.next_key();
        self.block_on_send(who, method, path, body.as_ref(), &key)
    }

    /// The customers' requests (see the module comment): how many wait for an officer.
    fn limit_requests(&mut self, customers: &[AccountId]) -> Result<u64, DriverError> {
        let mut pending = 0;
        for (i, customer) in customers.iter().enumerate() {
            let path = format!("/v1/customers/{customer}/token/rotate");
            let rotated = self.call(&Who::Operator, Method::POST, &path, Some(json!({})))?;
            let Some(token) = rotated.body["token"].as_str().filter(|_| rotated.ok()) else {
                continue;
            };
            let who = Who::Customer(Arc::from(token));
            let body = json!({
                "amount_fen": 200_000 + 100_000 * (i as i64 % 4),
                "days": 30,
                "risk": { "device_id": format!("sim-evening-{customer}"), "proxy": true },
            });
            let path = format!("/v1/customers/{customer}/temporary-limit-requests");
            let asked = self.call(&who, Method::POST, &path, Some(body))?;
            pending += u64::from(asked.status == 202);
        }
        Ok(pending)
    }

    /// The fraud desk's proposals (see the module comment): how many wait for a second operator.
    fn proposals(&mut self) -> Result<u64, DriverError> {
        const CASES: &str = "/v1/cases?queue=theft&status=open";
        let listed = self.call(&Who::Operator, Method::GET, CASES, None)?;
        let mut open: Vec<(String, String)> = listed.body["cases"]
            .as_array()
            .map(|cases| {
                cases
                    .iter()
                    .filter_map(|c| Some((c["opened_at"].as_str()?.to_owned(), c["case_id"].as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        if open.is_empty() {
            return Ok(0);
        }
        open.sort();
        let scopes = ["cases.read", "cases.resolve", "fraud.exempt"];
        let body = json!({ "name": "fraud-desk", "scopes": scopes, "expires_in_days": 30 });
        let made = self.call(&Who::Operator, Method::POST, "/v1/api-keys", Some(body))?;
        let Some(key) = made.body["api_key"].as_str().filter(|_| made.ok()) else {
            return Err(DriverError::Http(format!(
                "/v1/api-keys answered {}: {}",
                made.status, made.text
            )));
        };
        let desk = Who::Customer(Arc::from(key));
        let mut proposed = 0;
        for (_, case) in open.iter().take(PROPOSALS) {
            let path = format!("/v1/cases/{case}/resolve");
            let sent = self.call(&desk, Method::POST, &path, Some(json!({ "confirm": true })))?;
            proposed += u64::from(sent.status == 202);
        }
        Ok(proposed)
    }

    pub(super) fn evening(&mut self, customers: &[AccountId]) -> Result<LastEvening, DriverError> {
        Ok(LastEvening {
            limit_requests_pending: self.limit_requests(customers)?,
            confirmations_proposed: self.proposals()?,
        })
    }
}
