//! The shared pieces of the risk tests.

use std::net::IpAddr;
use std::sync::Arc;

use engine::{EngineConfig, RiskContext, RiskShared};
use risk::{Channel, DeviceId, RuleSetCell};

use super::config;

pub fn risk_config(partitions: u32) -> EngineConfig {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let rules = engine::rules_dir::load_dir(&dir, risk::EvaluatorChoice::Auto).expect("the shipped rules load");
    let shared = RiskShared::new(
        Arc::new(RuleSetCell::new(Arc::new(rules))),
        risk::FeatureConfig::default(),
    );
    EngineConfig {
        risk: Some(Arc::new(shared)),
        ..config(partitions)
    }
}

pub fn context(device: u64) -> RiskContext {
    RiskContext {
        device: DeviceId(device),
        ip: IpAddr::from([10, 0, 0, (device % 250) as u8]),
        ..RiskContext::unknown(Channel::Online)
    }
}
