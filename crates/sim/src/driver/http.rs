//! The HTTP driver (`iou simulate --url`): not available yet.
//!
//! The API (crates/api) exists, but a simulation needs three things it does not offer yet:
//! (1) a way to move the server's clock (a remote server runs on its own clock, so "days in
//! seconds" cannot happen there), (2) the customer's device, address and location on a
//! payment (the risk context; without it every payment looks like one unknown device, which
//! the device-farm rule denies), and (3) the risk-only endpoints the workload uses (credit
//! profile, login, device change, delivery checkpoints, theft reports, fraud lists). Until
//! they exist this module only explains why.

use super::DriverError;

/// Why `--url` cannot run a simulation yet.
pub fn unavailable(url: &str) -> DriverError {
    DriverError::NotSupported(format!(
        "driving a server over HTTP ({url}) is not available yet: the API has no way to move the \
         server's clock, takes no device or location with a payment, and has no endpoints for \
         credit profiles, risk checkpoints, theft reports or fraud lists; run in-process (without --url)"
    ))
}
