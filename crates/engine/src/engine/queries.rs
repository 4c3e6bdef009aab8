//! The engine's questions to its partitions: an account, a transaction's owner, cases, risk
//! sightings, states and fundings, each answered by the owning writer after the requests queued
//! before it; and requests sent to every partition at once.

use credit::{Account, AccountId, MerchantId, TxnId};
use tokio::sync::oneshot;

use super::{Engine, conflict};
use crate::idempotency::Idempotency;
use crate::keys::Claim;
use crate::partition_payments::MerchantTxn;
use crate::pricing::CreditProfile;
use crate::request::{Reply, Request, SubmitError};
use crate::route::{partition_of, txn_partition};
use crate::worker::Msg;

impl Engine {
    /// The account as of now, after every request queued before this one is durable.
    pub fn account(&self, account: AccountId) -> Result<oneshot::Receiver<Option<Box<Account>>>, SubmitError> {
        let (reply, receiver) = oneshot::channel();
        self.send(
            partition_of(account, self.config.partitions),
            Msg::Account { account, reply },
        )?;
        Ok(receiver)
    }

    /// Every account in collections (days past due, or charged off with something owed), as of
    /// now and after every request queued before this one is durable, from every partition.
    /// Each partition walks its accounts once: for the collections queue, not the request path.
    pub fn delinquent(&self) -> Result<Vec<oneshot::Receiver<Vec<Account>>>, SubmitError> {
        self.ask(self.owned(), |reply| Msg::Delinquent { reply })
    }

    /// The credit profile of an account (model scores and the price tier onboarding approved
    /// it at), after every request queued before this one is durable. `None` for an account
    /// opened without one.
    pub fn credit_profile(&self, account: AccountId) -> Result<oneshot::Receiver<Option<CreditProfile>>, SubmitError> {
        let (reply, receiver) = oneshot::channel();
        self.send(
            partition_of(account, self.config.partitions),
            Msg::Profile { account, reply },
        )?;
        Ok(receiver)
    }

    /// A merchant's own transaction: its account and the merchant's reference (`None` for
    /// another merchant's).
    pub fn merchant_txn(
        &self,
        merchant: MerchantId,
        txn: TxnId,
    ) -> Result<oneshot::Receiver<Option<MerchantTxn>>, SubmitError> {
        let (reply, receiver) = oneshot::channel();
        let partition = txn_partition(txn);
        if partition >= self.config.partitions {
            let _ = reply.send(None);
            return Ok(receiver);
        }
        self.send(partition, Msg::MerchantTxn { merchant, txn, reply })?;
        Ok(receiver)
    }

    /// The account behind a merchant's link (`None` for an unknown link or another
    /// merchant's): the API binds a step-up token presented with a link payment to it.
    pub fn link_account(
        &self,
        merchant: MerchantId,
        link: crate::ids::LinkId,
    ) -> Result<oneshot::Receiver<Option<AccountId>>, SubmitError> {
        let (reply, receiver) = oneshot::channel();
        let partition = link.partition();
        if partition >= self.config.partitions {
            let _ = reply.send(None);
            return Ok(receiver);
        }
        self.send(partition, Msg::LinkAccount { merchant, link, reply })?;
        Ok(receiver)
    }

    /// Sends a request to every partition (a fraud-list entry every partition must record and
    /// act on). The receivers answer in partition order.
    pub fn broadcast(&self, request: Request) -> Result<Vec<oneshot::Receiver<Reply>>, SubmitError> {
        self.broadcast_once(request, None)
    }

    /// [`Engine::broadcast`] under an idempotency key: the key is claimed system-wide first
    /// (another request under it gets one [`Outcome::Conflict`](crate::Outcome) reply) and each
    /// partition records it, so a retry gets every partition's stored reply. The claim is
    /// released only when no partition took the request.
    pub fn broadcast_once(
        &self,
        request: Request,
        idempotency: Option<Idempotency>,
    ) -> Result<Vec<oneshot::Receiver<Reply>>, SubmitError> {
        if let Some(partition) = (0..self.config.partitions).find(|&p| !self.shared.owned(p)) {
            // A fact every partition must record: refused unless this process owns them all.
            return Err(SubmitError::NotOwned { partition });
        }
        let claimed = match &idempotency {
            Some(key) => match self.keys.claim(key, self.clock.now().as_microsecond()) {
                Claim::New => true,
                Claim::Same => false,
                Claim::Conflict => return Ok(vec![conflict(0)]),
            },
            None => false,
        };
        let mut receivers = Vec::new();
        for p in 0..self.config.partitions {
            let (reply, receiver) = oneshot::channel();
            let msg = Msg::Request {
                request: request.clone(),
                idempotency,
                context: None,
                reply,
            };
            if let Err(error) = self.send(p, msg) {
                if let (true, Some(key), true) = (claimed, &idempotency, receivers.is_empty()) {
                    self.keys.release(key);
                }
                return Err(error);
            }
            receivers.push(receiver);
        }
        Ok(receivers)
    }

    /// Cases: those of `account`, or every case in every partition.
    pub fn cases(
        &self,
        account: Option<AccountId>,
    ) -> Result<Vec<oneshot::Receiver<Vec<crate::cases::Case>>>, SubmitError> {
        let partitions: Vec<u32> = match account {
            Some(a) => vec![partition_of(a, self.config.partitions)],
            None => self.owned(),
        };
        self.ask(partitions, |reply| Msg::Cases { account, reply })
    }

    /// The devices, IPs and cards `account` was seen with (its partition's risk features; empty
    /// without risk). Answered in the partition's order, after the requests queued before it.
    pub fn sightings(&self, account: AccountId) -> Result<oneshot::Receiver<risk::features::Sightings>, SubmitError> {
        let partition = partition_of(account, self.config.partitions);
        let mut receivers = self.ask([partition], |reply| Msg::Sightings { account, reply })?;
        Ok(receivers.remove(0))
    }

    /// The accounts a shared key (device, IP, card) was seen with, as the risk features still
    /// remember them (bounded by the key kind's set cap; empty without risk).
    pub fn sharing(&self, key: risk::features::EntityKey) -> Vec<AccountId> {
        self.risk()
            .map(|r| r.users_of(key).into_iter().map(|u| AccountId(u.0)).collect())
            .unwrap_or_default()
    }

    /// Every partition's state in the canonical form [`crate::journal::verify`] rebuilds from
    /// the journal, after the requests queued before this call are durable. It copies every
    /// account: for tests and checks, not for the request path.
    pub fn states(&self) -> Result<Vec<oneshot::Receiver<crate::journal::PartitionState>>, SubmitError> {
        self.ask(self.owned(), |reply| Msg::State { reply })
    }

    /// Funding operations: the one with this id (`query` = `One`, asked of the partition the
    /// id names; none for an id no partition could have made), or every pending one of every
    /// partition (`Pending`). Answered after the requests queued before this one are durable.
    pub fn fundings(
        &self,
        query: crate::funding::FundingQuery,
    ) -> Result<Vec<oneshot::Receiver<Vec<crate::funding::Funding>>>, SubmitError> {
        let partitions: Vec<u32> = match query {
            crate::funding::FundingQuery::One(id) => {
                let p = crate::route::partition_of_id(id);
                if p < self.config.partitions {
                    vec![p]
                } else {
                    Vec::new()
                }
            }
            crate::funding::FundingQuery::Pending => self.owned(),
        };
        self.ask(partitions, |reply| Msg::Fundings { query, reply })
    }

    /// Sends each of `partitions` the message `msg` makes around a reply channel; the
    /// receivers, in order.
    fn ask<T>(
        &self,
        partitions: impl IntoIterator<Item = u32>,
        msg: impl Fn(oneshot::Sender<T>) -> Msg,
    ) -> Result<Vec<oneshot::Receiver<T>>, SubmitError> {
        partitions
            .into_iter()
            .map(|p| {
                let (reply, receiver) = oneshot::channel();
                self.send(p, msg(reply))?;
                Ok(receiver)
            })
            .collect()
    }
}
