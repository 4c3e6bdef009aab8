//! The webhook target rules, with an injected resolver.

use std::collections::HashMap;

use super::*;

/// A resolver answering from a table; a name not in it does not resolve.
#[derive(Debug, Default)]
struct Table(HashMap<&'static str, Vec<IpAddr>>);

impl Resolver for Table {
    fn lookup<'a>(&'a self, host: &'a str) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>> {
        let answer = self
            .0
            .get(host)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such name"));
        Box::pin(async move { answer })
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn policy(allow_insecure: bool) -> Arc<TargetPolicy> {
    let mut table = Table::default();
    table.0.insert("shop.example", vec![ip("93.184.216.34")]);
    table.0.insert("localhost", vec![ip("127.0.0.1"), ip("::1")]);
    table.0.insert("inside.example", vec![ip("10.1.2.3")]);
    // One public and one private address: refused (every address must pass).
    table
        .0
        .insert("mixed.example", vec![ip("93.184.216.34"), ip("192.168.1.10")]);
    Arc::new(TargetPolicy::with_resolver(allow_insecure, Arc::new(table)))
}

fn block_on<T>(f: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn special_use_addresses_are_named() {
    for (addr, kind) in [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private (unique-local)"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("255.255.255.255", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),
    ] {
        assert_eq!(special_use(ip(addr)), Some(kind), "{addr}");
    }
    for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"] {
        assert_eq!(special_use(ip(public)), None, "{public}");
    }
}

#[test]
fn registration_refuses_insecure_and_special_targets() {
    let strict = policy(false);
    let refused = |url: &str| block_on(strict.check_url(url)).unwrap_err();
    assert_eq!(refused("http://shop.example/hooks").code, ErrorCode::InsecureWebhookUrl);
    for url in [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.8/hooks",
        "https://192.168.1.1/hooks",
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
        "https://inside.example/hooks",
        "https://mixed.example/hooks",
        "https://2130706433/hooks",
    ] {
        let error = refused(url);
        assert_eq!(
            (error.code, error.field.as_deref()),
            (ErrorCode::ForbiddenWebhookAddress, Some("url")),
            "{url}"
        );
    }
    assert_eq!(
        refused("https://nowhere.example/").code,
        ErrorCode::UnresolvableWebhookHost
    );
    assert_eq!(
        block_on(strict.check_url("https://shop.example/hooks")).unwrap(),
        "https://shop.example/hooks"
    );
}

#[test]
fn the_insecure_flag_admits_http_and_loopback_only() {
    let lax = policy(true);
    assert!(block_on(lax.check_url("http://127.0.0.1:9000/hooks")).is_ok());
    assert!(block_on(lax.check_url("http://localhost:9000/hooks")).is_ok());
    for url in ["http://169.254.169.254/", "http://10.0.0.8/", "http://inside.example/"] {
        assert_eq!(
            block_on(lax.check_url(url)).unwrap_err().code,
            ErrorCode::ForbiddenWebhookAddress,
            "{url}"
        );
    }
}

#[test]
fn delivery_resolution_refuses_a_name_that_now_points_inside() {
    // Registered while public; at delivery the checked resolver sees a private address.
    let strict = policy(false);
    let resolver = CheckedResolver(strict.clone());
    let outcome = block_on(resolver.resolve("inside.example".parse().unwrap()));
    let error = outcome.err().expect("refused");
    assert!(
        error.to_string().contains("10.1.2.3") || error.to_string().contains("private"),
        "{error}"
    );
    let addrs: Vec<SocketAddr> = block_on(resolver.resolve("shop.example".parse().unwrap()))
        .unwrap()
        .collect();
    assert_eq!(
        addrs,
        vec![SocketAddr::new(ip("93.184.216.34"), 0)],
        "the checked address is the one connected to"
    );
}
