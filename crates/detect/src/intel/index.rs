//! The lookup tables a match on the packet path goes through: hash probes only.
//!
//! Addresses are one probe in a map of addresses plus one per distinct prefix length in the
//! CIDR table (most specific first); a name is one probe per label suffix (`a.b.c`, `b.c`,
//! `c`), each a slice of the name as seen, hashed and compared without case and without
//! allocating. A value several sources name keeps every indicator; the first one still valid
//! at the capture time is the one reported.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use hashbrown::{Equivalent, HashMap};
use rampart_event::Timestamp;

use super::indicator::{Indicator, Target};

/// A lowercase key of the name tables.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name(Box<str>);

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_caseless(&self.0, state);
    }
}

/// A name as seen on the wire, looked up without copying or lowercasing it.
struct Caseless<'a>(&'a str);

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_caseless(self.0, state);
    }
}

impl Equivalent<Name> for Caseless<'_> {
    fn equivalent(&self, key: &Name) -> bool {
        key.0.eq_ignore_ascii_case(self.0)
    }
}

fn hash_caseless<H: Hasher>(text: &str, state: &mut H) {
    for b in text.bytes() {
        state.write_u8(b.to_ascii_lowercase());
    }
    state.write_u8(0xff);
}

/// Indicator positions in [`Index::indicators`].
type Ids = Vec<u32>;

/// Every loaded indicator, by what it matches.
#[derive(Debug, Default)]
pub struct Index {
    indicators: Vec<Indicator>,
    ips: HashMap<IpAddr, Ids>,
    v4_nets: Vec<(u8, HashMap<u32, Ids>)>,
    v6_nets: Vec<(u8, HashMap<u128, Ids>)>,
    domains: HashMap<Name, Ids>,
    urls: HashMap<Name, Vec<(String, u32)>>,
    fingerprints: HashMap<Name, Ids>,
}

impl Index {
    /// Add an indicator.
    pub fn insert(&mut self, indicator: Indicator) {
        let Ok(id) = u32::try_from(self.indicators.len()) else {
            return;
        };
        match &indicator.target {
            Target::Ip(ip) => self.ips.entry(*ip).or_default().push(id),
            Target::Cidr(net) => match net.network() {
                IpAddr::V4(a) => {
                    let key = mask_v4(u32::from(a), net.prefix_len());
                    prefix_table(&mut self.v4_nets, net.prefix_len())
                        .entry(key)
                        .or_default()
                        .push(id);
                }
                IpAddr::V6(a) => {
                    let key = mask_v6(u128::from(a), net.prefix_len());
                    prefix_table(&mut self.v6_nets, net.prefix_len())
                        .entry(key)
                        .or_default()
                        .push(id);
                }
            },
            Target::Domain(d) => self.domains.entry(name(d)).or_default().push(id),
            Target::Url { host, path } => {
                self.urls
                    .entry(name(host))
                    .or_default()
                    .push((path.clone(), id));
            }
            Target::Ja3(h) | Target::Ja4(h) => {
                self.fingerprints.entry(name(h)).or_default().push(id);
            }
        }
        self.indicators.push(indicator);
    }

    /// Every indicator, in load order.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// How many indicators of each type, as (type, count), for logs.
    pub fn counts(&self) -> [(&'static str, usize); 6] {
        let mut counts = [
            ("ip", 0),
            ("cidr", 0),
            ("domain", 0),
            ("url", 0),
            ("ja3", 0),
            ("ja4", 0),
        ];
        for i in &self.indicators {
            if let Some(c) = counts.iter_mut().find(|(t, _)| *t == i.target.type_name()) {
                c.1 += 1;
            }
        }
        counts
    }

    /// The indicator naming `ip` (itself or a network holding it), most specific first.
    pub fn ip(&self, ip: IpAddr, time: Timestamp) -> Option<&Indicator> {
        if let Some(hit) = self
            .ips
            .get(&ip)
            .and_then(|ids| self.first_valid(ids, time))
        {
            return Some(hit);
        }
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4_nets.iter().find_map(|(len, table)| {
                    table
                        .get(&mask_v4(a, *len))
                        .and_then(|ids| self.first_valid(ids, time))
                })
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6_nets.iter().find_map(|(len, table)| {
                    table
                        .get(&mask_v6(a, *len))
                        .and_then(|ids| self.first_valid(ids, time))
                })
            }
        }
    }

    /// The indicator naming `domain` or a domain it is a subdomain of.
    pub fn domain(&self, domain: &str, time: Timestamp) -> Option<&Indicator> {
        if self.domains.is_empty() {
            return None;
        }
        let mut rest = domain.strip_suffix('.').unwrap_or(domain);
        loop {
            let hit = self.domains.get(&Caseless(rest));
            if let Some(hit) = hit.and_then(|ids| self.first_valid(ids, time)) {
                return Some(hit);
            }
            rest = &rest[rest.find('.')? + 1..];
        }
    }

    /// The indicator naming the URL of an HTTP request to `host` (a Host header, perhaps with
    /// a port) for `uri` (origin form `/a?b`, or absolute form `http://h/a?b`, which wins).
    pub fn url(&self, host: &str, uri: &str, time: Timestamp) -> Option<&Indicator> {
        if self.urls.is_empty() {
            return None;
        }
        let (host, path) = match split_absolute(uri) {
            Some((h, p)) => (h, p),
            None => (host, uri),
        };
        let host = strip_port(host);
        let host = host.strip_suffix('.').unwrap_or(host);
        let candidates = self.urls.get(&Caseless(host))?;
        let without_query = path.split('?').next().unwrap_or(path);
        candidates
            .iter()
            .filter(|(p, _)| p.is_empty() || p == path || (!p.contains('?') && p == without_query))
            .find_map(|(_, id)| self.valid(*id, time))
    }

    /// The indicator naming a JA3 hash or a JA4 fingerprint.
    pub fn fingerprint(&self, fingerprint: &str, time: Timestamp) -> Option<&Indicator> {
        if self.fingerprints.is_empty() {
            return None;
        }
        let ids = self.fingerprints.get(&Caseless(fingerprint))?;
        self.first_valid(ids, time)
    }

    fn first_valid(&self, ids: &[u32], time: Timestamp) -> Option<&Indicator> {
        ids.iter().find_map(|id| self.valid(*id, time))
    }

    fn valid(&self, id: u32, time: Timestamp) -> Option<&Indicator> {
        let indicator = self.indicators.get(id as usize)?;
        indicator.valid_at(time).then_some(indicator)
    }
}

fn name(text: &str) -> Name {
    Name(text.to_ascii_lowercase().into_boxed_str())
}

/// The table of one prefix length, created in order: longest prefixes first.
fn prefix_table<K>(tables: &mut Vec<(u8, HashMap<K, Ids>)>, len: u8) -> &mut HashMap<K, Ids> {
    let at = match tables.iter().position(|(l, _)| *l <= len) {
        Some(i) if tables[i].0 == len => i,
        Some(i) => {
            tables.insert(i, (len, HashMap::new()));
            i
        }
        None => {
            tables.push((len, HashMap::new()));
            tables.len() - 1
        }
    };
    &mut tables[at].1
}

fn mask_v4(addr: u32, len: u8) -> u32 {
    addr & u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0)
}

fn mask_v6(addr: u128, len: u8) -> u128 {
    addr & u128::MAX
        .checked_shl(128 - u32::from(len.min(128)))
        .unwrap_or(0)
}

/// Host and path of an absolute-form request target (`http://host:port/path`).
pub(crate) fn split_absolute(uri: &str) -> Option<(&str, &str)> {
    let rest =
        strip_prefix_caseless(uri, "http://").or_else(|| strip_prefix_caseless(uri, "https://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    Some((host, &rest[end..]))
}

fn strip_prefix_caseless<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A host without its `:port` (an IPv6 literal keeps its brackets' content).
pub(crate) fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::indicator::Indicator;

    fn index(targets: Vec<Target>) -> Index {
        let mut index = Index::default();
        for t in targets {
            index.insert(Indicator::listed(t, "test".into()));
        }
        index
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    const T: Timestamp = Timestamp(1);

    #[test]
    fn matches_addresses_and_the_most_specific_network() {
        let i = index(vec![
            Target::Ip(ip("192.0.2.7")),
            Target::Cidr("10.0.0.0/8".parse().expect("net")),
            Target::Cidr("10.1.2.0/24".parse().expect("net")),
            Target::Cidr("2001:db8::/32".parse().expect("net")),
            Target::Cidr("0.0.0.0/0".parse().expect("net")),
        ]);
        assert_eq!(
            i.ip(ip("192.0.2.7"), T).map(|h| &h.target),
            Some(&Target::Ip(ip("192.0.2.7")))
        );
        let hit = i.ip(ip("10.1.2.200"), T).expect("in the /24");
        assert_eq!(hit.target.to_string(), "10.1.2.0/24");
        assert_eq!(
            i.ip(ip("10.9.9.9"), T)
                .map(|h| h.target.to_string())
                .as_deref(),
            Some("10.0.0.0/8")
        );
        assert_eq!(
            i.ip(ip("172.16.0.1"), T)
                .map(|h| h.target.to_string())
                .as_deref(),
            Some("0.0.0.0/0")
        );
        assert!(i.ip(ip("2001:db8:ffff::1"), T).is_some());
        assert!(i.ip(ip("2001:db9::1"), T).is_none());
        assert_eq!(
            i.v4_nets.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            vec![24, 8, 0]
        );
    }

    #[test]
    fn a_domain_matches_itself_and_its_subdomains_in_any_case() {
        let i = index(vec![Target::Domain("evil.example".into())]);
        assert!(i.domain("evil.example", T).is_some());
        assert!(i.domain("C2.Evil.Example.", T).is_some());
        assert!(i.domain("a.b.evil.example", T).is_some());
        assert!(i.domain("notevil.example", T).is_none());
        assert!(i.domain("example", T).is_none());
        assert!(i.domain("evil.example.org", T).is_none());
        assert!(i.domain("", T).is_none());
    }

    #[test]
    fn a_url_matches_by_host_and_path_with_or_without_query() {
        let i = index(vec![
            Target::Url {
                host: "dl.example".into(),
                path: "/payload.bin".into(),
            },
            Target::Url {
                host: "c2.example".into(),
                path: String::new(),
            },
            Target::Url {
                host: "q.example".into(),
                path: "/a?id=1".into(),
            },
        ]);
        assert!(i.url("DL.example:8080", "/payload.bin", T).is_some());
        assert!(i.url("dl.example", "/payload.bin?x=1", T).is_some());
        assert!(i.url("dl.example", "/payload.binx", T).is_none());
        assert!(i.url("proxy", "http://dl.example/payload.bin", T).is_some());
        assert!(i.url("c2.example", "/anything", T).is_some());
        assert!(i.url("q.example", "/a?id=1", T).is_some());
        assert!(i.url("q.example", "/a?id=2", T).is_none());
        assert!(i.url("other.example", "/payload.bin", T).is_none());
    }

    #[test]
    fn fingerprints_match_without_case() {
        let i = index(vec![
            Target::Ja3("308b0bd904abbef5e0034a1ff7a78920".into()),
            Target::Ja4("t12i1810s1_27d4652c4487_06a4338d0495".into()),
        ]);
        assert!(
            i.fingerprint("308B0BD904ABBEF5E0034A1FF7A78920", T)
                .is_some()
        );
        assert!(
            i.fingerprint("t12i1810s1_27d4652c4487_06a4338d0495", T)
                .is_some()
        );
        assert!(
            i.fingerprint("t12i1810s1_27d4652c4487_06a4338d0496", T)
                .is_none()
        );
    }

    #[test]
    fn an_expired_indicator_stops_matching_and_a_later_one_still_does() {
        let mut i = Index::default();
        let mut old = Indicator::listed(Target::Ip(ip("192.0.2.1")), "a".into());
        old.valid_until = Some(Timestamp(100));
        i.insert(old);
        assert!(i.ip(ip("192.0.2.1"), Timestamp(99)).is_some());
        assert!(i.ip(ip("192.0.2.1"), Timestamp(100)).is_none());
        i.insert(Indicator::listed(Target::Ip(ip("192.0.2.1")), "b".into()));
        assert_eq!(
            i.ip(ip("192.0.2.1"), Timestamp(100))
                .map(|h| h.source.as_str()),
            Some("b")
        );
    }

    #[test]
    fn ports_are_stripped_from_hosts() {
        assert_eq!(strip_port("a.example:80"), "a.example");
        assert_eq!(strip_port("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(
            split_absolute("HTTP://u@h.example:81/x?y"),
            Some(("h.example:81", "/x?y"))
        );
    }
}
