//! [`Http`]: the driver of `iou simulate --url`, a running iou server in simulation mode
//! (`iou serve --simulation`) driven over its public API.
//!
//! Each engine request the workload sends goes to its endpoint as the caller who would send it
//! ([`route`]): the operator opens lines (keeping the simulator's account ids), sets credit
//! profiles and limits, runs the app backend's risk checkpoints (login, device change,
//! activation, credit application, delivery), records repayments and payoffs, freezes and
//! unfreezes, applies fraud exemptions, and works theft cases (`GET /v1/cases/{id}` for the
//! evidence, then `POST /v1/cases/{id}/resolve`); the customer's app asks for payment codes
//! with the device context, links merchants, reports theft (`POST .../theft-reports`) and lifts
//! the report's freeze after a liveness check (`POST .../unfreeze`); merchants (registered on
//! first use) sign authorizations, captures, voids and refunds with HMAC. Every call has its own
//! Idempotency-Key. The clock moves by `POST /v1/system/clock`, the daily advance runs by
//! `POST /v1/system/advance`, accounts are read whole from `GET /v1/system/accounts/{id}`, and
//! fraud lists are filled through `POST /v1/risk/lists`.
//!
//! The answer is the engine's reply as the server journaled it, which a simulation-mode server
//! sends in the `Iou-Sim-Reply` header: the auditor needs every credit event (ledger postings,
//! allocations, the available credit after an authorization), more than the public answer
//! shows. A step-up the workload says its customer passed goes in `Iou-Sim-Step-Up` (the
//! simulator decides whether its synthetic person passes, as in-process).
//!
//! A wave's calls run concurrently on one thread (at most [`PARALLEL`] in flight), cut into
//! groups the way the in-process driver orders them: a call waits for the group before it when
//! it touches an account, device, IP, merchant or card already in the group, so every account's
//! calls arrive in order and shared risk features see the same sequence as in-process. A seed
//! therefore gives the in-process figures (tested in `crates/iou/tests/cli/simulate_http.rs`).
//!
//! Applicants apply through `POST /v1/applications` and an analyst works the review queue
//! through [`Applicants`] (the driver's [`Driver::applications`]).
//!
//! Not sent (the driver answers `NotSupported`, which stops the run; the workload sends none of
//! them today): profile-change, payment and repayment checkpoints on their own, a freeze by the
//! customer, campaign rates, and the engine requests the API keeps to its own flows
//! (deliveries and address changes by merchants, applications).

mod applications;
mod evening;
mod route;
mod wire;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use credit::{Account, AccountId, Event, MerchantId, Product, TxnId};
use engine::{CaseKind, CaseStatus, Op, Outcome, Payer, Request};
use jiff::Timestamp;
use reqwest::Method;
use risk::DeviceId;
use serde_json::json;
use tokio::sync::Semaphore;

pub use self::applications::Applicants;
use self::route::{Known, Plan, Step};
use self::wire::{Merchant, Sent, Who, Wire};
use super::{Answer, Applications, Call, Driver, DriverError, HeldPayment};

/// The most calls in flight at once.
pub const PARALLEL: usize = 32;

pub struct Http {
    wire: Wire,
    runtime: tokio::runtime::Runtime,
    product: Product,
    now: Timestamp,
    requests: u64,
    keys: u64,
    /// Makes this run's Idempotency-Keys its own (keys are scoped by caller and kept 24 h). It
    /// comes from the machine's clock, which changes no answer: the keys only name calls.
    nonce: u64,
    tokens: HashMap<AccountId, Arc<str>>,
    /// When each customer's token was issued or last refreshed (customer tokens expire: the
    /// driver refreshes them as the customer's app would, see [`Http::refresh_tokens`]).
    refreshed: HashMap<AccountId, Timestamp>,
    merchants: HashMap<MerchantId, Merchant>,
    /// Whose transactions and links these are (from the answers), to keep accounts in order.
    txn_owners: HashMap<TxnId, AccountId>,
    link_owners: HashMap<engine::LinkId, AccountId>,
    applicants: Applicants,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("requests", &self.requests)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// What a call's future gives back: its answer and, for an opening, the customer's token.
type Done = Result<(usize, Answer, Option<(AccountId, Arc<str>)>), DriverError>;

fn unexpected(step: &Step, sent: &Sent) -> DriverError {
    DriverError::Http(format!(
        "POST {} answered {} without an engine reply: {}",
        step.path, sent.status, sent.text
    ))
}

async fn run_step(wire: &Wire, step: &Step, now_s: i64) -> Result<Sent, DriverError> {
    let method = if step.post { Method::POST } else { Method::GET };
    wire.send(
        &step.who,
        method,
        &step.path,
        step.post.then_some(&step.body),
        Some(&step.key),
        step.step_up,
        now_s,
    )
    .await
}

async fn run_plan(wire: Wire, index: usize, plan: Plan, now_s: i64, gate: Arc<Semaphore>) -> Done {
    let _permit = gate
        .acquire_owned()
        .await
        .map_err(|_| DriverError::Unavailable("the driver stopped".into()))?;
    match plan {
        Plan::One { step, opens } => {
            let sent = run_step(&wire, &step, now_s).await?;
            let answer = sent.reply.clone().ok_or_else(|| unexpected(&step, &sent))?;
            let token = match (opens, &answer.outcome) {
                (Some(account), Outcome::Applied { .. }) => Some((account, Arc::from(sent.str("token")?))),
                _ => None,
            };
            Ok((index, answer, token))
        }
        Plan::PayWithCode { code, mut pay } => {
            let issued = run_step(&wire, &code, now_s).await?;
            if !issued.ok() {
                return Err(DriverError::Http(format!(
                    "POST {} answered {}: {}",
                    code.path, issued.status, issued.text
                )));
            }
            pay.body["payment_code"] = json!(issued.str("payment_code")?);
            let sent = run_step(&wire, &pay, now_s).await?;
            let answer = sent.reply.clone().ok_or_else(|| unexpected(&pay, &sent))?;
            Ok((index, answer, None))
        }
        Plan::Review { look, decide } => {
            let seen = run_step(&wire, &look, now_s).await?;
            if !seen.ok() {
                return Err(DriverError::Http(format!(
                    "GET {} answered {}: {}",
                    look.path, seen.status, seen.text
                )));
            }
            let sent = run_step(&wire, &decide, now_s).await?;
            let answer = sent.reply.clone().ok_or_else(|| unexpected(&decide, &sent))?;
            Ok((index, answer, None))
        }
    }
}

impl Http {
    /// Connects to the server at `url` (in simulation mode) as the operator with `token`. The
    /// server must run `product` (the default product, as `iou serve` does).
    pub fn connect(url: &str, token: &str, product: Product) -> Result<Http, DriverError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DriverError::Unavailable(format!("starting the client runtime: {e}")))?;
        let wire = Wire::new(url, token)?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let health = runtime.block_on(wire.send(&Who::Operator, Method::GET, "/healthz", None, None, None, 0))?;
        if !health.ok() {
            return Err(DriverError::Unavailable(format!(
                "{url}/healthz answered {}: {}",
                health.status, health.text
            )));
        }
        Ok(Http {
            applicants: Applicants::connect(url, token)?,
            wire,
            runtime,
            product,
            now: Timestamp::UNIX_EPOCH,
            requests: 0,
            keys: 0,
            nonce,
            tokens: HashMap::new(),
            refreshed: HashMap::new(),
            merchants: HashMap::new(),
            txn_owners: HashMap::new(),
            link_owners: HashMap::new(),
        })
    }

    fn key(nonce: u64, keys: &mut u64) -> String {
        *keys += 1;
        format!("sim-{nonce:x}-{keys}")
    }

    /// One operator call that must succeed.
    fn operator(&mut self, path: &str, body: Option<serde_json::Value>) -> Result<Sent, DriverError> {
        let key = Http::key(self.nonce, &mut self.keys);
        let method = if body.is_some() { Method::POST } else { Method::GET };
        let sent = self.runtime.block_on(self.wire.send(
            &Who::Operator,
            method,
            path,
            body.as_ref(),
            Some(&key),
            None,
            self.now.as_second(),
        ))?;
        if !sent.ok() {
            return Err(DriverError::Http(format!(
                "{path} answered {}: {}",
                sent.status, sent.text
            )));
        }
        Ok(sent)
    }

    /// Refreshes every customer token last refreshed more than [`REFRESH_AFTER_DAYS`] before
    /// `at`, at the current time, before the clock moves there (the app's refresh; not counted
    /// as a simulated request).
    fn refresh_tokens(&mut self, at: Timestamp) -> Result<(), DriverError> {
        let due = at
            .checked_sub(jiff::SignedDuration::from_hours(24 * REFRESH_AFTER_DAYS))
            .unwrap_or(at);
        let stale: Vec<AccountId> = self
            .refreshed
            .iter()
            .filter(|(_, last)| **last < due)
            .map(|(account, _)| *account)
            .collect();
        for account in stale {
            let Some(token) = self.tokens.get(&account).cloned() else {
                continue;
            };
            let key = Http::key(self.nonce, &mut self.keys);
            let path = format!("/v1/customers/{account}/token/refresh");
            let sent = self.runtime.block_on(self.wire.send(
                &Who::Customer(token),
                Method::POST,
                &path,
                Some(&json!({})),
                Some(&key),
                None,
                self.now.as_second(),
            ))?;
            if !sent.ok() {
                return Err(DriverError::Http(format!(
                    "{path} answered {}: {}",
                    sent.status, sent.text
                )));
            }
            self.refreshed.insert(account, self.now);
        }
        Ok(())
    }

    /// Registers the merchants of `calls` the server does not know yet.
    fn register(&mut self, calls: &[Call]) -> Result<(), DriverError> {
        for call in calls {
            let Some(merchant) = route::merchants_of(call) else {
                continue;
            };
            if self.merchants.contains_key(&merchant) {
                continue;
            }
            let sent = self.operator(
                "/v1/merchants",
                Some(json!({"name": format!("sim merchant {}", merchant.0)})),
            )?;
            let id = sent
                .str("merchant_id")?
                .parse()
                .map_err(|_| DriverError::Http(format!("a merchant id that is not a number: {}", sent.text)))?;
            let secret = Arc::from(sent.str("secret")?);
            self.merchants.insert(merchant, Merchant { id, secret });
        }
        Ok(())
    }

    /// The account a call acts on, if the driver can tell.
    fn account_of(&self, call: &Call) -> Option<AccountId> {
        match &call.request {
            Request::Account(command) => Some(command.account()),
            Request::Authorize {
                payer: Payer::Account(account),
                ..
            } => Some(*account),
            Request::Authorize {
                payer: Payer::Link(link),
                ..
            } => self.link_owners.get(link).copied(),
            Request::Txn { txn, .. } => self.txn_owners.get(txn).copied(),
            Request::Checkpoint { account, .. }
            | Request::ExemptFraud { account, .. }
            | Request::ReportTheft { account, .. }
            | Request::VerifiedUnfreeze { account }
            | Request::SetCreditProfile { account, .. }
            | Request::LinkMerchant { account, .. } => Some(*account),
            _ => None,
        }
    }

    /// Learns whose transactions and links an answer made.
    fn learn(&mut self, answer: &Answer) {
        let Outcome::Applied { op, events } = &answer.outcome else {
            return;
        };
        if let Op::LinkMerchant { account, link, .. } = op {
            self.link_owners.insert(*link, *account);
        }
        for event in events {
            if let Event::Authorized { account, txn, .. } = event {
                self.txn_owners.insert(*txn, *account);
            }
        }
    }

    /// Runs one group of calls (no two share an account or a shared risk key) concurrently.
    fn run_group(
        &mut self,
        calls: &[Call],
        group: &[usize],
        answers: &mut [Option<Answer>],
    ) -> Result<(), DriverError> {
        if group.is_empty() {
            return Ok(());
        }
        let mut plans = Vec::with_capacity(group.len());
        {
            let known = Known {
                tokens: &self.tokens,
                merchants: &self.merchants,
            };
            let (nonce, keys) = (self.nonce, &mut self.keys);
            let mut key = || Http::key(nonce, keys);
            for &i in group {
                plans.push((i, route::plan(&calls[i], &known, &mut key)?));
            }
        }
        let now_s = self.now.as_second();
        let gate = Arc::new(Semaphore::new(PARALLEL));
        let wire = self.wire.clone();
        let done: Vec<Done> = self.runtime.block_on(async move {
            let mut set = tokio::task::JoinSet::new();
            for (i, plan) in plans {
                set.spawn(run_plan(wire.clone(), i, plan, now_s, gate.clone()));
            }
            let mut done = Vec::new();
            while let Some(joined) = set.join_next().await {
                done.push(joined.unwrap_or_else(|e| Err(DriverError::Unavailable(format!("a call failed: {e}")))));
            }
            done
        });
        for result in done {
            let (i, answer, token) = result?;
            if let Some((account, token)) = token {
                self.tokens.insert(account, token);
                self.refreshed.insert(account, self.now);
            }
            self.learn(&answer);
            answers[i] = Some(answer);
        }
        Ok(())
    }
}

/// How old a customer token may get before the driver refreshes it (tokens live 30 days by
/// default; the clock moves at most a day at a time).
const REFRESH_AFTER_DAYS: i64 = 20;

impl Driver for Http {
    fn set_time(&mut self, at: Timestamp) -> Result<(), DriverError> {
        self.refresh_tokens(at)?;
        self.operator("/v1/system/clock", Some(json!({"at": at.to_string()})))?;
        self.now = at;
        Ok(())
    }

    fn send(&mut self, calls: &[Call]) -> Result<Vec<Answer>, DriverError> {
        self.register(calls)?;
        let mut answers: Vec<Option<Answer>> = vec![None; calls.len()];
        let mut group: Vec<usize> = Vec::new();
        let mut taken: HashSet<(u8, u128)> = HashSet::new();
        let mut keys = Vec::new();
        for (i, call) in calls.iter().enumerate() {
            super::inprocess::shared_keys(call, &mut keys);
            let account = self.account_of(call);
            match account {
                Some(account) => keys.push((0, u128::from(account.0))),
                // Whose it is is unknown: it goes alone, after everything before it.
                None => keys.push((255, 0)),
            }
            if keys.iter().any(|k| taken.contains(k)) || (account.is_none() && !group.is_empty()) {
                self.run_group(calls, &group, &mut answers)?;
                group.clear();
                taken.clear();
            }
            taken.extend(keys.iter().copied());
            group.push(i);
            self.requests += 1;
        }
        self.run_group(calls, &group, &mut answers)?;
        answers
            .into_iter()
            .map(|a| a.ok_or_else(|| DriverError::Unavailable("a call got no answer".into())))
            .collect()
    }

    fn advance(&mut self) -> Result<Vec<Event>, DriverError> {
        let sent = self.operator("/v1/system/advance", Some(json!({})))?;
        self.requests += sent.body["partitions"].as_u64().unwrap_or(0);
        let bytes =
            hex::decode(sent.str("journal")?).map_err(|e| DriverError::Http(format!("advance journal: {e}")))?;
        postcard::from_bytes(&bytes).map_err(|e| DriverError::Http(format!("advance journal: {e}")))
    }

    fn accounts(&mut self, ids: &[AccountId]) -> Result<Vec<Option<Box<Account>>>, DriverError> {
        let wire = self.wire.clone();
        let now_s = self.now.as_second();
        let ids = ids.to_vec();
        let gate = Arc::new(Semaphore::new(PARALLEL));
        self.runtime.block_on(async move {
            let mut set = tokio::task::JoinSet::new();
            for (i, id) in ids.iter().copied().enumerate() {
                let (wire, gate) = (wire.clone(), gate.clone());
                set.spawn(async move {
                    let _permit = gate
                        .acquire_owned()
                        .await
                        .map_err(|_| DriverError::Unavailable("the driver stopped".into()))?;
                    let path = format!("/v1/system/accounts/{id}");
                    let sent = wire
                        .send(&Who::Operator, Method::GET, &path, None, None, None, now_s)
                        .await?;
                    if sent.status == 404 && sent.body["error"]["code"] == "account_not_found" {
                        return Ok((i, None));
                    }
                    if !sent.ok() {
                        return Err(DriverError::Http(format!(
                            "{path} answered {}: {}",
                            sent.status, sent.text
                        )));
                    }
                    let bytes =
                        hex::decode(sent.str("journal")?).map_err(|e| DriverError::Http(format!("{path}: {e}")))?;
                    let account: Account =
                        postcard::from_bytes(&bytes).map_err(|e| DriverError::Http(format!("{path}: {e}")))?;
                    Ok::<_, DriverError>((i, Some(Box::new(account))))
                });
            }
            let mut found: Vec<Option<Box<Account>>> = (0..ids.len()).map(|_| None).collect();
            while let Some(joined) = set.join_next().await {
                let (i, account) = joined.map_err(|e| DriverError::Unavailable(format!("a read failed: {e}")))??;
                found[i] = account;
            }
            Ok(found)
        })
    }

    fn cases(&mut self) -> Result<Vec<(CaseKind, CaseStatus)>, DriverError> {
        let sent = self.operator("/v1/cases", None)?;
        let listed = sent.body["cases"]
            .as_array()
            .ok_or_else(|| DriverError::Http(format!("/v1/cases answered {}", sent.text)))?;
        listed
            .iter()
            .map(|case| {
                let kind = match case["kind"].as_str() {
                    Some("theft") => CaseKind::Theft,
                    Some("interception") => CaseKind::Interception,
                    Some("payment_review") => CaseKind::PaymentReview,
                    other => return Err(DriverError::Http(format!("a case of kind {other:?}"))),
                };
                let status = match case["status"].as_str() {
                    Some("open") => CaseStatus::Open,
                    Some("confirmed") => CaseStatus::Confirmed,
                    Some("rejected") => CaseStatus::Rejected,
                    other => return Err(DriverError::Http(format!("a case with status {other:?}"))),
                };
                Ok((kind, status))
            })
            .collect()
    }

    fn open_cases(&mut self, kind: CaseKind) -> Result<Vec<HeldPayment>, DriverError> {
        let queue = match kind {
            CaseKind::PaymentReview => "payment_review",
            CaseKind::Interception => "interception",
            CaseKind::Theft => "theft",
        };
        let path = format!("/v1/cases?queue={queue}&status=open");
        let sent = self.operator(&path, None)?;
        let bad = || DriverError::Http(format!("{path} answered {}", sent.text));
        let listed = sent.body["cases"].as_array().ok_or_else(bad)?;
        let number = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<u64>().ok());
        let mut held = Vec::with_capacity(listed.len());
        for case in listed {
            let (Some(id), Some(account), Some(txn), Some(opened_at)) = (
                number(&case["case_id"]),
                number(&case["customer_id"]),
                number(&case["txn_ids"][0]),
                case["opened_at"].as_str().and_then(|t| t.parse::<Timestamp>().ok()),
            ) else {
                return Err(bad());
            };
            held.push(HeldPayment {
                case: engine::CaseId(id),
                account: AccountId(account),
                txn: TxnId(txn),
                opened_at,
            });
        }
        held.sort_by_key(|h| (h.opened_at, h.case));
        Ok(held)
    }

    fn list_fraud(&mut self, devices: &[DeviceId], ips: &[IpAddr]) -> Result<(), DriverError> {
        for device in devices {
            if let Some(text) = route::device_text(*device) {
                self.operator("/v1/risk/lists", Some(json!({"device_id": text})))?;
            }
        }
        for ip in ips {
            self.operator("/v1/risk/lists", Some(json!({"ip": ip.to_string()})))?;
        }
        Ok(())
    }

    fn product(&self) -> &Product {
        &self.product
    }

    fn requests(&self) -> u64 {
        self.requests
    }

    fn name(&self) -> &'static str {
        "HTTP"
    }

    fn applications(&mut self) -> Option<&mut dyn Applications> {
        Some(&mut self.applicants)
    }
}
