//! `iou serve --cluster`: the flags that make this process one of several on one PostgreSQL
//! store, each owning some partitions through leases (see `engine::cluster` and
//! ARCHITECTURE.md, "Scale").

use std::time::Duration;

use anyhow::{Context, bail};

#[derive(Debug, Default, clap::Args)]
pub struct ClusterArgs {
    /// Serve as one of several processes on one PostgreSQL store (`--store`): own the
    /// partitions this process holds leases on, forward other customers' calls to their owner,
    /// and take over a dead owner's partitions when its leases expire.
    #[arg(long)]
    cluster: bool,
    /// This process's node id in the leases (unique among live processes; a restart may reuse
    /// it). Default: the advertised URL.
    #[arg(long, requires = "cluster")]
    node_id: Option<String>,
    /// The URL other processes forward this one's calls to, e.g. `http://10.0.0.7:8080`.
    /// Default: `http://` and the address it listens on (port 0 needs an explicit one).
    #[arg(long, requires = "cluster", value_name = "URL")]
    advertise: Option<String>,
    /// How long a lease lasts unrenewed (milliseconds; renewed every third of it): the longest
    /// a dead process's customers wait before another process takes them over.
    #[arg(long, requires = "cluster", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(300..=600_000))]
    lease_ttl_ms: u64,
    /// The processes expected: each takes `partitions / nodes` (rounded up) at start. A
    /// partition nobody took within three lease ttls of a start is taken by whoever sees it.
    #[arg(long, requires = "cluster", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=256))]
    cluster_nodes: u32,
}

impl ClusterArgs {
    /// The engine's cluster settings; `None` without `--cluster`.
    pub fn config(&self, listen: std::net::SocketAddr) -> anyhow::Result<Option<engine::cluster::ClusterConfig>> {
        if !self.cluster {
            return Ok(None);
        }
        let advertise = match &self.advertise {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if listen.port() == 0 => bail!("--cluster with --listen on port 0 needs --advertise"),
            None => format!("http://{listen}"),
        };
        let host = advertise
            .strip_prefix("http://")
            .or_else(|| advertise.strip_prefix("https://"))
            .with_context(|| format!("--advertise must be an http(s) URL, not {advertise:?}"))?;
        if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
            bail!("--advertise must be a scheme and a host (and port), without a path: {advertise:?}");
        }
        let node = self.node_id.clone().unwrap_or_else(|| advertise.clone());
        if node.is_empty() || node.len() > 200 {
            bail!("--node-id must be 1 to 200 characters");
        }
        let ttl = Duration::from_millis(self.lease_ttl_ms);
        Ok(Some(engine::cluster::ClusterConfig {
            node,
            advertise,
            ttl,
            nodes: self.cluster_nodes,
            grace: ttl * 3,
        }))
    }
}
