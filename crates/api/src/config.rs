//! [`Config`]: how the server runs.

use std::net::SocketAddr;
use std::path::PathBuf;

use engine::EngineConfig;

#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen (`127.0.0.1:0` picks a free port; see `Server::addr`).
    pub listen: SocketAddr,
    /// The embedded store's directory (created on first start).
    pub data_dir: PathBuf,
    pub engine: EngineConfig,
    /// The operator's bootstrap token (`IOU_ADMIN_TOKEN`); without it the store's is used, or
    /// one is generated at the first start and returned once by `Server::generated_admin_token`.
    pub admin_token: Option<String>,
    /// How long a customer token is valid after it is issued, rotated or refreshed, in days
    /// ([`Config::TOKEN_LIFETIME_DAYS`] by default).
    pub token_lifetime_days: u32,
}

impl Config {
    /// The default customer token lifetime: 30 days.
    pub const TOKEN_LIFETIME_DAYS: u32 = 30;
}
