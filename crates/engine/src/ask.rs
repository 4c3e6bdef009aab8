//! Typed asks: one small struct per request kind a caller sends, each with the reply it gets.
//!
//! An [`Ask`] turns into its [`Request`](crate::Request), and builds its reply from the op the
//! request resolved to and the events it made ([`Ask::reply`]), so a caller never digs ids out
//! of journal ops or scans events: `Authorize` answers [`AuthorizeReply`] (the transaction the
//! partition assigned, the hold's expiry), `LinkMerchant` answers [`LinkReply`], and so on. A
//! reply that does not fit its op is a [`ReplyMismatch`], never a panic.
//!
//! | ask | request | reply |
//! | --- | --- | --- |
//! | [`Authorize`] | `Authorize` | [`AuthorizeReply`] |
//! | [`Capture`], [`Void`], [`Refund`] | `Txn` | [`CaptureReply`], [`VoidReply`], [`RefundReply`] |
//! | [`OpenAccount`] | `Account` | [`OpenAccountReply`] |
//! | [`ChangeLimit`], [`SetTemporaryLimit`], [`Freeze`], [`Unfreeze`] | `Account` | [`Done`] |
//! | [`BillInstallment`] | `Account` | [`BillInstallReply`] |
//! | [`Hardship`] | `Account` | [`HardshipReply`] |
//! | [`LinkMerchant`] | `LinkMerchant` | [`LinkReply`] |
//! | [`SetCreditProfile`], [`Checkpoint`] | the same | [`Done`] (a checkpoint's decision is the reply's `risk`) |
//! | [`ReportTheft`] | `ReportTheft` | [`TheftReportReply`] |
//! | [`ResolveCase`] | `ResolveCase` | [`CaseResolvedReply`] |
//! | [`ExemptFraud`] | `ExemptFraud` | [`ExemptReply`] |
//! | [`VerifiedUnfreeze`] | `VerifiedUnfreeze` | [`Done`] |
//! | [`FreezeUnlessFrozen`] | `FreezeUnlessFrozen` | [`Done`] |
//! | [`StartFunding`] | `StartFunding` | [`FundingReply`] |
//! | [`UpdateFunding`] | `UpdateFunding` | [`FundingUpdateReply`] |

mod accounts;
mod cases;
mod contract;
mod funding;
mod payments;

pub use accounts::{
    BillInstallReply, BillInstallment, ChangeLimit, Checkpoint, Freeze, FreezeUnlessFrozen, Hardship, HardshipReply,
    LinkMerchant, LinkReply, OpenAccount, OpenAccountReply, OpenPricedLine, SetCreditProfile, SetTemporaryLimit,
    Unfreeze,
};
pub use cases::{
    CaseResolvedReply, ExemptFraud, ExemptReply, Exemption, ReportTheft, ResolveCase, TheftReportReply,
    VerifiedUnfreeze,
};
pub use contract::{Ask, Done, ReplyMismatch};
pub use funding::{FundingEffect, FundingReply, FundingUpdateReply, StartFunding, UpdateFunding};
pub use payments::{Authorize, AuthorizeReply, Capture, CaptureReply, Refund, RefundReply, Void, VoidReply};
