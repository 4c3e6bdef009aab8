//! [`client_ip`]: the client's address. The TCP peer, unless the peer is a trusted proxy: then
//! `X-Forwarded-For` is read from the right, each hop a proxy appended, and the first address
//! that is not a trusted proxy is the client (the left part of the header is whatever the
//! client sent, so it is never believed). With no trusted proxy configured the header is
//! ignored entirely.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

/// The client of a request from `peer` with `headers`, given the trusted proxies.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    if proxies.is_empty() || !trusted(peer, proxies) {
        return peer;
    }
    let mut client = peer;
    // Later header lines were appended later: read the lines, and each line's hops, backwards.
    for line in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(line) = line.to_str() else { return client };
        for hop in line.rsplit(',') {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                return client;
            };
            client = ip.to_canonical();
            if !trusted(client, proxies) {
                return client;
            }
        }
    }
    client
}

/// The TCP peer of a request, when the server recorded it (it always does; a router served
/// some other way may not).
pub fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The client of a request (see [`client_ip`]), `None` without a recorded peer.
pub fn of(parts: &Parts, proxies: &[IpNet]) -> Option<IpAddr> {
    peer(parts).map(|peer| client_ip(peer, &parts.headers, proxies))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append("x-forwarded-for", line.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let h = headers(&["1.2.3.4"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &[]), ip("10.0.0.5"));
        let proxies = ["192.168.0.0/16".parse().unwrap()];
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &proxies), ip("10.0.0.5"));
    }

    #[test]
    fn from_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client forged 6.6.6.6; the first proxy appended the real 1.2.3.4.
        let h = headers(&["6.6.6.6, 1.2.3.4, 10.0.0.9"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &proxies), ip("1.2.3.4"));
        let h = headers(&["6.6.6.6", "1.2.3.4"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &proxies), ip("1.2.3.4"));
        // No header: the proxy itself. Garbage: the last good hop.
        assert_eq!(client_ip(ip("10.0.0.5"), &HeaderMap::new(), &proxies), ip("10.0.0.5"));
        let h = headers(&["1.2.3.4, garbage, 10.0.0.7"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &proxies), ip("10.0.0.7"));
        // An IPv4 peer seen as IPv4-mapped IPv6 is matched as IPv4.
        let h = headers(&["1.2.3.4"]);
        assert_eq!(client_ip(ip("::ffff:10.0.0.5"), &h, &proxies), ip("1.2.3.4"));
    }
}
