//! Customer notifications over a simulated run: every kind the run's facts call for is told,
//! each delivery ends sent or dead (none left behind), preferences keep e-mail from every
//! fifth customer but never a theft message from anyone, and retries recover the simulator's
//! outages.

use super::common::shared;

#[test]
fn every_delivery_is_accounted_for_and_preferences_hold() {
    let figures = shared();
    let n = figures.notifications.as_ref().expect("an in-memory run notifies");
    let total: u64 = n.by_kind_channel_status.values().sum();
    assert_eq!(total, n.deliveries, "each delivery ends sent or dead: {n:?}");
    let count = |kind: &str, channel: &str| {
        n.by_kind_channel_status
            .get(&format!("{kind}/{channel}/sent"))
            .copied()
            .unwrap_or(0)
    };
    for kind in ["statement_issued", "due_soon", "payment_received"] {
        assert!(count(kind, "sms") > 0, "{kind}: {n:?}");
        // Every fifth customer switched e-mail off for everything but security messages.
        assert!(count(kind, "email") < count(kind, "sms"), "{kind}: {n:?}");
    }
    assert!(n.switched_off > 0, "{n:?}");
    if figures.theft_reports > 0 {
        let theft = count("theft_case", "sms");
        assert!(theft > 0 && count("theft_case", "email") == theft, "{n:?}");
    }
    // The simulator fails one attempt in 50; the retries succeed long before the dead-letter.
    assert!(n.retries > 0 && n.dead == 0, "{n:?}");
    assert!(n.intents <= n.deliveries, "{n:?}");
}
