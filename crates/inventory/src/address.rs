//! Which addresses can be devices, and which are the internet.

use std::net::IpAddr;

/// Tell whether `ip` can belong to one device: not unspecified, broadcast or multicast.
pub fn is_unicast_host(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || v4.octets()[0] == 0)
        }
        IpAddr::V6(v6) => !(v6.is_unspecified() || v6.is_multicast()),
    }
}

/// Tell whether `ip` is a public internet address: not private, loopback, link-local,
/// carrier-grade NAT, documentation, benchmarking or reserved space.
pub fn is_internet(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            let special = v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b)) // 100.64.0.0/10 shared address space
                || (a == 198 && (b == 18 || b == 19)) // 198.18.0.0/15 benchmarking
                || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24 IETF protocol assignments
                || a >= 240; // reserved and broadcast
            is_unicast_host(ip) && !special
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let global_unicast = s[0] & 0xe000 == 0x2000; // 2000::/3
            let documentation = s[0] == 0x2001 && s[1] == 0x0db8;
            global_unicast && !documentation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("valid address literal")
    }

    #[test]
    fn private_and_special_ranges_are_not_internet() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "192.0.2.1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "::1",
        ] {
            assert!(!is_internet(ip(a)), "{a}");
        }
        for a in ["8.8.8.8", "141.81.0.10", "2a00:1450::1"] {
            assert!(is_internet(ip(a)), "{a}");
        }
    }

    #[test]
    fn broadcast_multicast_and_unspecified_are_not_hosts() {
        for a in ["255.255.255.255", "224.0.0.251", "0.0.0.0", "ff02::1", "::"] {
            assert!(!is_unicast_host(ip(a)), "{a}");
        }
        assert!(is_unicast_host(ip("10.0.0.1")));
    }
}
