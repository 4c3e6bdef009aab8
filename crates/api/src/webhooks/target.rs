//! Where webhooks may go ([`TargetPolicy`]): `https` URLs (plain `http` only on a server
//! started with `--allow-insecure-webhooks`, for tests) whose host resolves only to public
//! addresses: never loopback, link-local (169.254.169.254, the cloud metadata service),
//! private (RFC 1918, fc00::/7), shared (100.64.0.0/10), multicast, unspecified, documentation
//! or other special-use ranges ([`special_use`]). The insecure flag also admits loopback, so
//! tests can run a receiver on 127.0.0.1; nothing else.
//!
//! Checked twice: at registration ([`TargetPolicy::check_url`], the name resolved now) and at
//! every delivery ([`TargetPolicy::check_literal`] for an address in the URL; for a name, the
//! HTTP client's resolver is [`CheckedResolver`]: it resolves the name, refuses it if any
//! address is special, and hands the client exactly the addresses it checked, so the
//! connection goes to a checked address and a name re-pointed at 127.0.0.1 after the check
//! does not get through: DNS rebinding). The delivery client follows no redirects and uses no
//! proxy.

use std::fmt::Debug;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::http::error::{ApiError, ErrorCode};

/// The request field a webhook URL comes in.
const FIELD: &str = "url";

/// Resolves a host name to addresses (the system's resolver; tests inject their own).
pub trait Resolver: Send + Sync + Debug {
    fn lookup<'a>(&'a self, host: &'a str) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;
}

/// The system's resolver (getaddrinfo on tokio's blocking pool), given [`LOOKUP_TIMEOUT`].
#[derive(Debug)]
pub struct SystemResolver;

/// How long a name may take to resolve.
pub const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Resolver for SystemResolver {
    fn lookup<'a>(&'a self, host: &'a str) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>> {
        Box::pin(async move {
            let addrs = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, 0)))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the name did not resolve in time"))??;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// Why a webhook target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("url must be https (http only on a server started with --allow-insecure-webhooks)")]
    Insecure,
    #[error("{host} is or resolves to a {kind} address: webhooks go to public addresses only")]
    Forbidden { host: String, kind: &'static str },
    #[error("{host} does not resolve")]
    Unresolvable { host: String },
}

impl TargetError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            TargetError::Insecure => ErrorCode::InsecureWebhookUrl,
            TargetError::Forbidden { .. } => ErrorCode::ForbiddenWebhookAddress,
            TargetError::Unresolvable { .. } => ErrorCode::UnresolvableWebhookHost,
        }
    }
}

impl From<TargetError> for ApiError {
    fn from(error: TargetError) -> ApiError {
        ApiError::new(error.code(), error.to_string()).with_field(FIELD)
    }
}

/// Special-use ranges and what they are. IPv4-mapped IPv6 addresses are checked as IPv4.
static SPECIAL: LazyLock<Vec<(IpNet, &'static str)>> = LazyLock::new(|| {
    [
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "special-use"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "special-use"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "special-use"),
        ("100::/64", "special-use"),
        ("2001::/23", "special-use"),
        ("2001:db8::/32", "documentation"),
        ("2002::/16", "special-use"),
        ("fc00::/7", "private (unique-local)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    ]
    .into_iter()
    .filter_map(|(net, kind)| net.parse().ok().map(|net| (net, kind)))
    .collect()
});

/// What kind of special-use address `ip` is, or `None` for a public one.
pub fn special_use(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip.to_canonical() {
        // NAT64 (64:ff9b::/96): the IPv4 address it stands for decides.
        IpAddr::V6(v6) if v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] => {
            IpAddr::V4(Ipv4Addr::from((u128::from(v6) & 0xffff_ffff) as u32))
        }
        other => other,
    };
    SPECIAL.iter().find(|(net, _)| net.contains(&ip)).map(|(_, kind)| *kind)
}

/// The webhook target rules of a server.
#[derive(Debug)]
pub struct TargetPolicy {
    allow_insecure: bool,
    resolver: Arc<dyn Resolver>,
}

/// The host of a URL: an address written in it, or a name.
enum Host<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

fn host_of(url: &Url) -> Option<Host<'_>> {
    let host = url.host_str().filter(|h| !h.is_empty())?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    Some(match bare.parse::<IpAddr>() {
        Ok(ip) => Host::Ip(ip),
        Err(_) => Host::Name(host),
    })
}

impl TargetPolicy {
    /// The rules with the system's resolver.
    pub fn system(allow_insecure: bool) -> TargetPolicy {
        TargetPolicy::with_resolver(allow_insecure, Arc::new(SystemResolver))
    }

    pub fn with_resolver(allow_insecure: bool, resolver: Arc<dyn Resolver>) -> TargetPolicy {
        TargetPolicy {
            allow_insecure,
            resolver,
        }
    }

    fn allowed(&self, host: &str, ip: IpAddr) -> Result<(), TargetError> {
        match special_use(ip) {
            None => Ok(()),
            Some("loopback") if self.allow_insecure => Ok(()),
            Some(kind) => Err(TargetError::Forbidden {
                host: host.to_owned(),
                kind,
            }),
        }
    }

    /// Resolves `host` and checks every address; the addresses to connect to.
    pub async fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, TargetError> {
        let unresolvable = || TargetError::Unresolvable { host: host.to_owned() };
        let addrs = self.resolver.lookup(host).await.map_err(|_| unresolvable())?;
        if addrs.is_empty() {
            return Err(unresolvable());
        }
        for ip in &addrs {
            self.allowed(host, *ip)?;
        }
        Ok(addrs)
    }

    /// The checks that need no resolver: the scheme, and an address written in the URL. `Ok`
    /// carries the name to resolve, if the host is one.
    pub fn check_literal<'a>(&self, url: &'a Url) -> Result<Option<&'a str>, TargetError> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure => {}
            _ => return Err(TargetError::Insecure),
        }
        match host_of(url) {
            Some(Host::Ip(ip)) => self.allowed(&ip.to_string(), ip).map(|()| None),
            Some(Host::Name(name)) => Ok(Some(name)),
            None => Err(TargetError::Unresolvable { host: String::new() }),
        }
    }

    /// Registration: the URL parses (`webhooks::parse_url`), its scheme is allowed, and its
    /// host is or resolves to public addresses only. The normalized URL.
    pub async fn check_url(&self, text: &str) -> Result<String, ApiError> {
        let normalized = super::parse_url(text)?;
        let url = Url::parse(&normalized)
            .map_err(|_| ApiError::new(ErrorCode::InvalidField, "url is not a URL").with_field(FIELD))?;
        if let Some(name) = self.check_literal(&url)? {
            self.resolve(name).await?;
        }
        Ok(normalized)
    }
}

/// The delivery client's resolver: [`TargetPolicy::resolve`].
#[derive(Debug)]
pub struct CheckedResolver(pub Arc<TargetPolicy>);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addrs = policy.resolve(name.as_str()).await?;
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The HTTP client deliveries use: the checked resolver, no redirects, no proxy.
pub fn delivery_client(policy: Arc<TargetPolicy>) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(CheckedResolver(policy)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|e| format!("the webhook client: {e}"))
}

#[cfg(test)]
mod tests;
