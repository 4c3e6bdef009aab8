//! [`AccountCommand`]: a credit command a caller may send as it is, for one account. The
//! commands that have requests of their own cannot be one, so a request can no longer hold a
//! command the engine would refuse for its shape.

use credit::{AccountId, Command};

/// A credit command for one account that has no request of its own: open, limits, freeze,
/// unfreeze, repay, early payoff, bill installment, credit cash-out. The only way to make one
/// is `TryFrom<Command>`, which refuses the others ([`NotAnAccountCommand`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AccountCommand {
    account: AccountId,
    command: Command,
}

/// Why a credit command is not an [`AccountCommand`]: it has its own request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotAnAccountCommand {
    /// The engine assigns the transaction id: send `Request::Authorize`.
    #[error("an authorization is sent as Request::Authorize")]
    Authorize,
    /// A merchant acts on its own transaction: send `Request::Txn`.
    #[error("a capture, void or refund is sent as Request::Txn")]
    TxnAction,
    /// The engine reads the account's history from the journal: send `Request::ExemptFraud`.
    #[error("a fraud exemption is sent as Request::ExemptFraud")]
    ExemptFraud,
    /// It is for every account of a partition: send `Request::Advance` (or `Engine::advance`).
    #[error("the daily advance is sent as Request::Advance")]
    Advance,
}

impl TryFrom<Command> for AccountCommand {
    type Error = NotAnAccountCommand;

    fn try_from(command: Command) -> Result<AccountCommand, NotAnAccountCommand> {
        match command {
            Command::Authorize { .. } => Err(NotAnAccountCommand::Authorize),
            Command::Capture { .. } | Command::Void { .. } | Command::Refund { .. } => {
                Err(NotAnAccountCommand::TxnAction)
            }
            Command::ExemptFraud { .. } => Err(NotAnAccountCommand::ExemptFraud),
            Command::Advance => Err(NotAnAccountCommand::Advance),
            command => match command.account() {
                Some(account) => Ok(AccountCommand { account, command }),
                // Every command above `Advance` names its account (`Command::account`).
                None => Err(NotAnAccountCommand::Advance),
            },
        }
    }
}

impl AccountCommand {
    /// An account command the engine's own asks make: each ask's command is one by its type
    /// (`ask::accounts`'s test checks every one against `TryFrom`).
    pub(crate) fn of_ask(account: AccountId, command: Command) -> AccountCommand {
        debug_assert_eq!(command.account(), Some(account));
        AccountCommand { account, command }
    }

    /// The account it is for.
    pub fn account(&self) -> AccountId {
        self.account
    }

    pub fn command(&self) -> &Command {
        &self.command
    }

    pub fn into_command(self) -> Command {
        self.command
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credit::{FreezeReason, MerchantId, OpId, TxnId};
    use money::Amount;

    #[test]
    fn only_commands_without_a_request_of_their_own_are_account_commands() {
        let (account, txn, amount) = (AccountId(7), TxnId(512), Amount::from_fen(100));
        let refused = [
            (
                Command::Authorize {
                    account,
                    txn,
                    merchant: MerchantId(1),
                    amount,
                    plan: None,
                },
                NotAnAccountCommand::Authorize,
            ),
            (
                Command::Capture { account, txn, amount },
                NotAnAccountCommand::TxnAction,
            ),
            (Command::Void { account, txn }, NotAnAccountCommand::TxnAction),
            (
                Command::Refund {
                    account,
                    txn,
                    op: OpId(1),
                    amount,
                },
                NotAnAccountCommand::TxnAction,
            ),
            (
                Command::ExemptFraud {
                    account,
                    txns: vec![txn],
                    history: Vec::new(),
                },
                NotAnAccountCommand::ExemptFraud,
            ),
            (Command::Advance, NotAnAccountCommand::Advance),
        ];
        for (command, why) in refused {
            assert_eq!(AccountCommand::try_from(command), Err(why));
        }
        let freeze = Command::Freeze {
            account,
            reason: FreezeReason::Operator,
        };
        let taken = AccountCommand::try_from(freeze.clone()).unwrap();
        assert_eq!((taken.account(), taken.command()), (account, &freeze));
        let repay = Command::Repay {
            account,
            op: OpId(3),
            amount,
        };
        assert_eq!(
            AccountCommand::try_from(repay.clone()).map(AccountCommand::into_command),
            Ok(repay)
        );
    }
}
