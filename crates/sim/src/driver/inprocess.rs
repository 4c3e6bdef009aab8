//! [`InProcess`]: the engine in this process, its clock in the simulator's hand.
//!
//! A wave is submitted without waiting between calls (so the engine batches and group-commits
//! it) except where order across partitions could change an answer: risk features of devices,
//! IPs, merchants and cards are shared by every partition, so a call whose shared key is already
//! in flight first waits for what is outstanding. Calls of one account always reach its
//! partition in submission order. The result is the same for every run of a seed.
//!
//! The engine alone has no application route (that is the API's onboarding service): given a
//! client of a server on this engine ([`InProcess::with_applications`], the demo's own server),
//! the driver's applicants apply through it.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use credit::{Account, AccountId, Event, Product};
use engine::{CaseKind, CaseStatus, Engine, FraudLists, Outcome, Reply, Request, SubmitError};
use jiff::Timestamp;
use risk::DeviceId;
use tokio::sync::oneshot;

use super::{Answer, Applications, Call, Driver, DriverError, HeldPayment};
use crate::clock::SwitchClock;

pub struct InProcess<'e> {
    engine: &'e Engine,
    clock: Arc<SwitchClock>,
    requests: u64,
    applicants: Option<Box<dyn Applications + 'e>>,
}

impl std::fmt::Debug for InProcess<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess")
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

impl<'e> InProcess<'e> {
    /// Drives `engine`, which must run on `clock` with its scheduler off (the simulator sends
    /// the daily advance itself, so it sees every event).
    pub fn new(engine: &'e Engine, clock: Arc<SwitchClock>) -> InProcess<'e> {
        InProcess {
            engine,
            clock,
            requests: 0,
            applicants: None,
        }
    }

    /// Applicants apply through `applicants`: a client of the API serving this engine
    /// ([`super::http::Applicants`]), or a stand-in in tests.
    #[must_use]
    pub fn with_applications(mut self, applicants: Box<dyn Applications + 'e>) -> InProcess<'e> {
        self.applicants = Some(applicants);
        self
    }
}

/// The shared risk keys a call touches, tagged by kind.
pub(super) fn shared_keys(call: &Call, out: &mut Vec<(u8, u128)>) {
    out.clear();
    let Some(ctx) = &call.context else { return };
    let assessed = match &call.request {
        Request::Authorize { merchant, .. } => {
            out.push((3, u128::from(merchant.0)));
            true
        }
        // The merchant's ship request is decided with the authorization's context.
        Request::Deliver { merchant, .. } => {
            out.push((3, u128::from(merchant.0)));
            true
        }
        Request::Checkpoint { detail, .. } => {
            match detail {
                risk::CheckpointDetail::Delivery { merchant, .. } => out.push((3, u128::from(merchant.0))),
                risk::CheckpointDetail::ProfileChange { card: Some(card), .. } => out.push((4, u128::from(card.0))),
                _ => {}
            }
            true
        }
        // A repayment with a context is assessed; its card is always card 0 today.
        Request::Account(command) if matches!(command.command(), credit::Command::Repay { .. }) => {
            out.push((4, 0));
            true
        }
        _ => false,
    };
    if assessed {
        out.push((1, u128::from(ctx.device.0)));
        out.push((2, risk::features::ip_key(ctx.ip)));
    }
}

fn wait(receiver: oneshot::Receiver<Reply>) -> Result<Answer, DriverError> {
    let reply = receiver
        .blocking_recv()
        .map_err(|_| DriverError::Unavailable("the engine stopped before answering".into()))?;
    Ok(Answer {
        outcome: reply.outcome,
        risk: reply.risk,
    })
}

impl InProcess<'_> {
    fn submit(&self, call: &Call) -> Result<oneshot::Receiver<Reply>, SubmitError> {
        self.engine
            .submit_with(call.request.clone(), None, call.context.clone())
    }

    fn drain(&self, pending: &mut Vec<oneshot::Receiver<Reply>>, answers: &mut Vec<Answer>) -> Result<(), DriverError> {
        for receiver in pending.drain(..) {
            answers.push(wait(receiver)?);
        }
        Ok(())
    }
}

impl Driver for InProcess<'_> {
    fn set_time(&mut self, at: Timestamp) -> Result<(), DriverError> {
        if !self.clock.is_manual() {
            return Err(DriverError::NotSupported(
                "the clock was switched to the system's".into(),
            ));
        }
        self.clock.set(at);
        Ok(())
    }

    fn send(&mut self, calls: &[Call]) -> Result<Vec<Answer>, DriverError> {
        let mut answers = Vec::with_capacity(calls.len());
        let mut pending = Vec::new();
        let mut in_flight: HashSet<(u8, u128)> = HashSet::new();
        let mut keys = Vec::new();
        for call in calls {
            shared_keys(call, &mut keys);
            if keys.iter().any(|k| in_flight.contains(k)) {
                self.drain(&mut pending, &mut answers)?;
                in_flight.clear();
            }
            in_flight.extend(keys.iter().copied());
            self.requests += 1;
            loop {
                match self.submit(call) {
                    Ok(receiver) => {
                        pending.push(receiver);
                        break;
                    }
                    Err(SubmitError::Busy) => {
                        // The queue is full: let what is outstanding finish, then retry.
                        self.drain(&mut pending, &mut answers)?;
                        in_flight.clear();
                    }
                    Err(SubmitError::Unavailable | SubmitError::NotOwned { .. }) => {
                        return Err(DriverError::Unavailable("the engine refused the request".into()));
                    }
                }
            }
        }
        self.drain(&mut pending, &mut answers)?;
        Ok(answers)
    }

    fn advance(&mut self) -> Result<Vec<Event>, DriverError> {
        let receivers = self
            .engine
            .advance()
            .map_err(|e| DriverError::Unavailable(e.to_string()))?;
        self.requests += receivers.len() as u64;
        let mut events = Vec::new();
        for receiver in receivers {
            match wait(receiver)?.outcome {
                Outcome::Applied { events: mut e, .. } => events.append(&mut e),
                other => return Err(DriverError::Unavailable(format!("the advance was refused: {other:?}"))),
            }
        }
        Ok(events)
    }

    fn accounts(&mut self, ids: &[AccountId]) -> Result<Vec<Option<Box<Account>>>, DriverError> {
        let mut receivers = Vec::with_capacity(ids.len());
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            loop {
                match self.engine.account(*id) {
                    Ok(receiver) => {
                        receivers.push(receiver);
                        break;
                    }
                    Err(SubmitError::Busy) => {
                        for r in receivers.drain(..) {
                            found.push(
                                r.blocking_recv()
                                    .map_err(|_| DriverError::Unavailable("stopped".into()))?,
                            );
                        }
                    }
                    Err(SubmitError::Unavailable | SubmitError::NotOwned { .. }) => {
                        return Err(DriverError::Unavailable("stopped".into()));
                    }
                }
            }
        }
        for r in receivers {
            found.push(
                r.blocking_recv()
                    .map_err(|_| DriverError::Unavailable("stopped".into()))?,
            );
        }
        Ok(found)
    }

    fn cases(&mut self) -> Result<Vec<(CaseKind, CaseStatus)>, DriverError> {
        let receivers = self
            .engine
            .cases(None)
            .map_err(|e| DriverError::Unavailable(e.to_string()))?;
        let mut found = Vec::new();
        for receiver in receivers {
            let cases = receiver
                .blocking_recv()
                .map_err(|_| DriverError::Unavailable("stopped".into()))?;
            found.extend(cases.iter().map(|c| (c.kind, c.status)));
        }
        Ok(found)
    }

    fn open_cases(&mut self, kind: CaseKind) -> Result<Vec<HeldPayment>, DriverError> {
        let receivers = self
            .engine
            .cases(None)
            .map_err(|e| DriverError::Unavailable(e.to_string()))?;
        let mut held = Vec::new();
        for receiver in receivers {
            let cases = receiver
                .blocking_recv()
                .map_err(|_| DriverError::Unavailable("stopped".into()))?;
            held.extend(
                cases
                    .iter()
                    .filter(|c| c.kind == kind && c.status == CaseStatus::Open)
                    .filter_map(|c| {
                        let txn = *c.txns.first()?;
                        Some(HeldPayment {
                            case: c.id,
                            account: c.account,
                            txn,
                            opened_at: c.opened_at,
                        })
                    }),
            );
        }
        held.sort_by_key(|h| (h.opened_at, h.case));
        Ok(held)
    }

    fn list_fraud(&mut self, devices: &[DeviceId], ips: &[IpAddr]) -> Result<(), DriverError> {
        let Some(risk) = self.engine.risk() else {
            return Ok(());
        };
        let mut lists = FraudLists::clone(&risk.lists.load());
        lists.devices.extend(devices.iter().copied());
        lists.ips.extend(ips.iter().copied());
        risk.lists.store(Arc::new(lists));
        Ok(())
    }

    fn product(&self) -> &Product {
        &self.engine.config().product
    }

    fn requests(&self) -> u64 {
        self.requests
    }

    fn applications(&mut self) -> Option<&mut dyn Applications> {
        match &mut self.applicants {
            Some(a) => Some(a.as_mut()),
            None => None,
        }
    }
}
