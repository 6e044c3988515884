//! Turning address observations into devices.

use std::collections::{BTreeMap, BTreeSet};

use crate::{FastMap, FastSet};
use std::fmt;
use std::net::IpAddr;

use rampart_event::{Attribute, Confidence, Mac};

use crate::Inventory;
use crate::Service;
use crate::address::{is_internet, is_unicast_host};
use crate::classify;
use crate::observe::{
    ActivitySummary, Attributes, FindingSummary, HostObs, ModuleInfo, Observed, Seen, StationObs,
    Traffic, TtlSeen, add_module, merge_activities,
};

/// How a device is identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKey {
    /// By its MAC, on the local segment.
    Mac(Mac),
    /// By its IP, when only routed traffic of it is seen.
    Ip(IpAddr),
}

impl fmt::Display for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceKey::Mac(m) => write!(f, "mac:{m}"),
            DeviceKey::Ip(ip) => write!(f, "ip:{ip}"),
        }
    }
}

/// A best guess (OS, device type, vendor) with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    /// The value guessed.
    pub value: String,
    /// How sure.
    pub confidence: Confidence,
    /// What it rests on, one line per source (`dhcp: MSFT 5.0`).
    pub evidence: Vec<String>,
}

/// One device of the inventory.
#[derive(Debug, Clone)]
pub struct Device {
    /// The key, which is also its stable id (`mac:…` or `ip:…`).
    pub key: DeviceKey,
    /// MAC addresses, with when each was seen.
    pub macs: Vec<(Mac, Seen)>,
    /// IP addresses, with when each was seen.
    pub ips: Vec<(IpAddr, Seen)>,
    /// The maker, from the OUI registry or a protocol.
    pub vendor: Option<Guess>,
    /// Host names with their sources.
    pub hostnames: Vec<Observed>,
    /// Operating system.
    pub os: Option<Guess>,
    /// Device type (`plc`, `hmi`, `engineering_workstation`, …), from classification.
    pub device_type: Option<Guess>,
    /// The category of the type (`industrial`, `supervisory`, `it`, …).
    pub category: Option<&'static str>,
    /// The default Purdue level of the type.
    pub purdue_level: Option<u8>,
    /// Protocol roles (`modbus server`, `dnp3 master`, `goose publisher`).
    pub roles: BTreeSet<String>,
    /// Every other attribute observed.
    pub attributes: BTreeMap<Attribute, Vec<Observed>>,
    /// Services it used as a client.
    pub client_of: BTreeSet<String>,
    /// Services it offered as a server.
    pub server_of: BTreeSet<String>,
    /// Link-layer protocols it sent.
    pub l2_protocols: BTreeSet<String>,
    /// When.
    pub seen: Seen,
    /// Traffic totals.
    pub traffic: Traffic,
    /// Distinct IP peers.
    pub peers: usize,
    /// Security findings.
    pub findings: Vec<FindingSummary>,
    /// Modules of a modular device (CPU, communication and I/O cards).
    pub modules: Vec<ModuleInfo>,
    /// What it did to other devices and what was done to it, per protocol.
    pub activities: Vec<ActivitySummary>,
    /// True when the device forwards traffic of other hosts (its MAC carries their IPs).
    pub forwards: bool,
}

impl Device {
    /// Return the stable id.
    pub fn id(&self) -> String {
        self.key.to_string()
    }

    /// Return the value of an identity attribute an inventory shows: the strongest
    /// observation, except the PLC mode, which is the one observed last.
    pub fn identity(&self, attribute: Attribute) -> Option<&str> {
        let list = self.attributes.get(&attribute)?;
        let chosen = if attribute == Attribute::PlcMode {
            list.iter().max_by_key(|o| o.seen.last)
        } else {
            strongest(list)
        };
        chosen.map(|o| o.value.as_str())
    }
}

/// A device-level conversation: who talked to whom, over what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The client's device id, or `internet`.
    pub client: String,
    /// The server's device id, or `internet`.
    pub server: String,
    /// Services and their flow counts.
    pub services: BTreeMap<String, u64>,
    /// Flows.
    pub flows: u64,
    /// Packets client → server, server → client.
    pub packets: [u64; 2],
    /// Bytes client → server, server → client.
    pub bytes: [u64; 2],
    /// When.
    pub seen: Seen,
}

/// One public address the network talked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternetPeer {
    /// The address.
    pub ip: IpAddr,
    /// Bytes exchanged.
    pub bytes: u64,
    /// Services used with it.
    pub services: BTreeSet<String>,
    /// Local devices that talked to it.
    pub devices: BTreeSet<String>,
}

/// Internet peers, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InternetSummary {
    /// Distinct public addresses.
    pub peers: usize,
    /// Bytes exchanged with them.
    pub bytes: u64,
    /// Local devices that talked to them.
    pub devices: BTreeSet<String>,
    /// The peers with the most bytes (at most 25).
    pub top: Vec<InternetPeer>,
}

/// Where an IP address belongs.
enum Home {
    Station(Mac),
    Own,
    Internet,
    Nowhere,
}

/// Source IPv4 addresses a MAC may carry, not claimed as its own, before it counts as a router.
const ROUTER_MIN_FOREIGN_IPS: usize = 3;

struct Resolver<'a> {
    inv: &'a Inventory,
    routers: BTreeSet<Mac>,
}

impl<'a> Resolver<'a> {
    fn new(inv: &'a Inventory) -> Resolver<'a> {
        let routers = inv
            .stations
            .iter()
            .filter(|(_, s)| forwards(s))
            .map(|(m, _)| *m)
            .collect();
        Resolver { inv, routers }
    }

    fn home(&self, ip: IpAddr, host: &HostObs) -> Home {
        let sender = host.macs.last().or(host.claimed_by.last()).copied();
        match sender {
            Some(mac) if self.claims(mac, ip) => Home::Station(mac),
            Some(mac) if !self.routers.contains(&mac) && !host.looks_routed() => Home::Station(mac),
            Some(_) if is_internet(ip) => Home::Internet,
            Some(_) => Home::Own,
            // No MAC at all (raw IP or loopback captures): an address that sent traffic or was
            // claimed is a device of its own.
            None if host.traffic.packets_sent == 0 && host.claimed_by.is_empty() => Home::Nowhere,
            None if is_internet(ip) => Home::Internet,
            None => Home::Own,
        }
    }

    fn claims(&self, mac: Mac, ip: IpAddr) -> bool {
        self.inv
            .stations
            .get(&mac)
            .is_some_and(|s| s.claimed.contains(&ip))
    }

    fn device_id(&self, ip: IpAddr) -> Option<String> {
        let host = self.inv.hosts.get(&ip)?;
        match self.home(ip, host) {
            Home::Station(mac) => Some(DeviceKey::Mac(mac).to_string()),
            Home::Own => Some(DeviceKey::Ip(ip).to_string()),
            Home::Internet => Some("internet".to_string()),
            Home::Nowhere => None,
        }
    }
}

/// Tell whether a MAC carries the traffic of many hosts: a router or another forwarder.
fn forwards(s: &StationObs) -> bool {
    let foreign: Vec<&IpAddr> = s.ipv4.iter().filter(|ip| !s.claimed.contains(ip)).collect();
    let subnets: BTreeSet<[u8; 3]> = foreign
        .iter()
        .filter_map(|ip| match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                Some([o[0], o[1], o[2]])
            }
            IpAddr::V6(_) => None,
        })
        .collect();
    s.ipv4_overflow || foreign.len() >= ROUTER_MIN_FOREIGN_IPS || subnets.len() >= 2
}

/// Accumulates one device from its station and hosts.
struct Builder {
    device: Device,
    carried: Traffic,
    attributes: Attributes,
    ttl: TtlSeen,
}

impl Builder {
    fn new(key: DeviceKey, seen: Seen) -> Builder {
        Builder {
            device: Device {
                key,
                macs: Vec::new(),
                ips: Vec::new(),
                vendor: None,
                hostnames: Vec::new(),
                os: None,
                device_type: None,
                category: None,
                purdue_level: None,
                roles: BTreeSet::new(),
                attributes: BTreeMap::new(),
                client_of: BTreeSet::new(),
                server_of: BTreeSet::new(),
                l2_protocols: BTreeSet::new(),
                seen,
                traffic: Traffic::default(),
                peers: 0,
                findings: Vec::new(),
                modules: Vec::new(),
                activities: Vec::new(),
                forwards: false,
            },
            attributes: Attributes::default(),
            carried: Traffic::default(),
            ttl: TtlSeen::default(),
        }
    }

    fn add_station(&mut self, mac: Mac, s: &StationObs, forwards: bool) {
        let d = &mut self.device;
        d.macs.push((mac, s.seen));
        d.seen.merge(s.seen);
        d.traffic.add(&s.l2_traffic);
        self.carried.add(&s.carried);
        d.l2_protocols.extend(s.l2_protocols.iter().cloned());
        d.findings.extend(s.findings.iter().cloned());
        s.modules.iter().for_each(|m| add_module(&mut d.modules, m));
        merge_activities(&mut d.activities, &s.activities);
        d.forwards = forwards;
        self.attributes.merge(&s.attributes);
    }

    fn add_host(&mut self, ip: IpAddr, h: &HostObs) {
        let d = &mut self.device;
        d.ips.push((ip, h.seen));
        d.seen.merge(h.seen);
        d.traffic.add(&h.traffic);
        d.client_of
            .extend(h.client_of.iter().map(Service::to_string));
        d.server_of
            .extend(h.server_of.iter().map(Service::to_string));
        d.findings.extend(h.findings.iter().cloned());
        h.modules.iter().for_each(|m| add_module(&mut d.modules, m));
        merge_activities(&mut d.activities, &h.activities);
        self.attributes.merge(&h.attributes);
        self.ttl.merge(h.ttl);
    }

    fn finish(mut self, vendor_of: Option<fn(Mac) -> Option<&'static str>>) -> Device {
        let mut values = std::mem::take(&mut self.attributes.values);
        let d = &mut self.device;
        if d.ips.is_empty() {
            // A MAC with no address of its own: what it carried is all there is to count.
            d.traffic.add(&self.carried);
        }
        d.hostnames = values.remove(&Attribute::Hostname).unwrap_or_default();
        d.vendor = vendor(d, values.remove(&Attribute::Vendor), vendor_of);
        d.os = os(values.remove(&Attribute::Os), self.ttl);
        let hints = values.remove(&Attribute::DeviceType).unwrap_or_default();
        let stated_roles = values.remove(&Attribute::Role).unwrap_or_default();
        d.roles = classify::roles(d, &stated_roles);
        if let Some(c) = classify::classify(d, &hints) {
            d.device_type = Some(c.device_type);
            d.category = Some(c.category);
            d.purdue_level = c.purdue_level;
        }
        values.insert(Attribute::DeviceType, hints);
        values.retain(|_, list| !list.is_empty());
        d.attributes = values;
        d.findings.sort_by(|a, b| {
            (a.kind, &a.protocol, &a.detail).cmp(&(b.kind, &b.protocol, &b.detail))
        });
        d.findings
            .dedup_by(|a, b| a.kind == b.kind && a.protocol == b.protocol && a.detail == b.detail);
        d.modules.sort();
        d.activities.sort_by(|a, b| {
            (a.performed, a.activity, &a.protocol).cmp(&(b.performed, b.activity, &b.protocol))
        });
        for a in &mut d.activities {
            a.peers.sort();
        }
        self.device
    }
}

/// Pick the strongest observation, most often seen on a tie.
fn strongest(list: &[Observed]) -> Option<&Observed> {
    list.iter().max_by(|a, b| {
        (a.confidence, a.count)
            .cmp(&(b.confidence, b.count))
            .then_with(|| b.value.cmp(&a.value))
    })
}

fn evidence(list: &[Observed]) -> Vec<String> {
    list.iter()
        .flat_map(|o| o.sources.iter().map(move |s| [s, ": ", &o.value].concat()))
        .collect()
}

fn guess_from(list: &[Observed]) -> Option<Guess> {
    strongest(list).map(|best| Guess {
        value: best.value.clone(),
        confidence: best.confidence,
        evidence: evidence(list),
    })
}

fn vendor(
    d: &Device,
    stated: Option<Vec<Observed>>,
    vendor_of: Option<fn(Mac) -> Option<&'static str>>,
) -> Option<Guess> {
    let from_oui = d
        .macs
        .iter()
        .find_map(|(m, _)| vendor_of.and_then(|f| f(*m)).map(|v| (*m, v)));
    let stated = stated.as_deref().and_then(guess_from);
    match (stated, from_oui) {
        (Some(mut g), Some((mac, v))) => {
            g.evidence.push(format!("oui {mac}: {v}"));
            Some(g)
        }
        (Some(g), None) => Some(g),
        (None, Some((mac, v))) => Some(Guess {
            value: v.to_string(),
            confidence: Confidence::STRONG,
            evidence: vec![format!("oui {mac}: {v}")],
        }),
        (None, None) => None,
    }
}

/// Guess the OS: stated hints first, else the initial TTL of the packets it sent.
fn os(hints: Option<Vec<Observed>>, ttl: TtlSeen) -> Option<Guess> {
    if let Some(g) = hints.as_deref().and_then(guess_from) {
        return Some(g);
    }
    let ttl = Some(ttl.max).filter(|&t| t > 0)?;
    let (value, initial) = match ttl {
        0..=64 => ("Linux/Unix or embedded", 64),
        65..=128 => ("Windows", 128),
        _ => ("network device or RTOS", 255),
    };
    Some(Guess {
        value: value.to_string(),
        confidence: Confidence(25),
        evidence: vec![format!("ip ttl {ttl} (initial {initial})")],
    })
}

pub(crate) fn build(inv: &Inventory) -> Vec<Device> {
    let resolver = Resolver::new(inv);
    // Boxed so that each builder's memory is returned as it becomes a device: with the
    // builders inline, the whole table outlived the collection of every device.
    let mut builders: FastMap<DeviceKey, Box<Builder>> = FastMap::default();
    // In address order, not the maps' order: a device merges what each of its addresses saw,
    // and the merged counts and the order of its candidate values depend on that order.
    for (mac, station) in sorted(&inv.stations) {
        let key = DeviceKey::Mac(*mac);
        let b = builders
            .entry(key)
            .or_insert_with(|| Box::new(Builder::new(key, station.seen)));
        b.add_station(*mac, station, resolver.routers.contains(mac));
    }
    for (ip, host) in sorted(&inv.hosts) {
        if !is_unicast_host(*ip) {
            continue;
        }
        let key = match resolver.home(*ip, host) {
            Home::Station(mac) => DeviceKey::Mac(mac),
            Home::Own => DeviceKey::Ip(*ip),
            Home::Internet | Home::Nowhere => continue,
        };
        builders
            .entry(key)
            .or_insert_with(|| Box::new(Builder::new(key, host.seen)))
            .add_host(*ip, host);
    }
    let peers = peer_counts(inv, &resolver);
    // Sorted as builders, which are a key and a pointer, not as devices, which are large.
    let mut builders: Vec<(DeviceKey, Box<Builder>)> = builders.into_iter().collect();
    builders.sort_unstable_by_key(|(key, _)| *key);
    let mut devices: Vec<Device> = builders
        .into_iter()
        .map(|(_, b)| (*b).finish(inv.vendor_of))
        .collect();
    for d in &mut devices {
        d.peers = peers.get(&d.key).map_or(0, FastSet::len);
        d.ips.sort_by_key(|(ip, _)| *ip);
        d.macs.sort_by_key(|(mac, _)| *mac);
    }
    devices
}

/// The entries of `map` in key order.
fn sorted<K: Ord, V>(map: &FastMap<K, V>) -> Vec<(&K, &V)> {
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Count each device's distinct peer addresses, from the conversations.
fn peer_counts(inv: &Inventory, resolver: &Resolver<'_>) -> FastMap<DeviceKey, FastSet<IpAddr>> {
    let key_of = |ip: IpAddr| {
        let host = inv.hosts.get(&ip)?;
        match resolver.home(ip, host) {
            Home::Station(mac) => Some(DeviceKey::Mac(mac)),
            Home::Own => Some(DeviceKey::Ip(ip)),
            Home::Internet | Home::Nowhere => None,
        }
    };
    let mut peers: FastMap<DeviceKey, FastSet<IpAddr>> = FastMap::default();
    for key in inv.conversations.keys() {
        for (me, other) in [(key.client, key.server), (key.server, key.client)] {
            if let Some(device) = key_of(me) {
                peers.entry(device).or_default().insert(other);
            }
        }
    }
    peers
}

pub(crate) fn conversations(inv: &Inventory) -> (Vec<Conversation>, InternetSummary) {
    let resolver = Resolver::new(inv);
    let mut merged: BTreeMap<(String, String), Conversation> = BTreeMap::new();
    let mut internet: BTreeMap<IpAddr, InternetPeer> = BTreeMap::new();
    // Formatted once per address: an address is in as many conversations as it has peers.
    let mut ids: FastMap<IpAddr, Option<String>> = FastMap::default();
    let mut device_id = |ip| {
        ids.entry(ip)
            .or_insert_with(|| resolver.device_id(ip))
            .clone()
    };
    for (key, c) in &inv.conversations {
        let (Some(client), Some(server)) = (device_id(key.client), device_id(key.server)) else {
            continue;
        };
        let Some(seen) = c.seen else {
            continue;
        };
        for (remote, remote_id, local) in [
            (key.client, &client, &server),
            (key.server, &server, &client),
        ] {
            if remote_id == "internet" && local != "internet" {
                let peer = internet.entry(remote).or_insert_with(|| InternetPeer {
                    ip: remote,
                    bytes: 0,
                    services: BTreeSet::new(),
                    devices: BTreeSet::new(),
                });
                peer.bytes += c.bytes[0] + c.bytes[1];
                peer.services
                    .extend(c.services.iter().map(|(s, _)| s.to_string()));
                peer.devices.insert(local.clone());
            }
        }
        let entry = merged
            .entry((client.clone(), server.clone()))
            .or_insert_with(|| Conversation {
                client,
                server,
                services: BTreeMap::new(),
                flows: 0,
                packets: [0; 2],
                bytes: [0; 2],
                seen,
            });
        for (service, n) in &c.services {
            *entry.services.entry(service.to_string()).or_default() += n;
        }
        entry.flows += c.flows;
        for i in 0..2 {
            entry.packets[i] += c.packets[i];
            entry.bytes[i] += c.bytes[i];
        }
        entry.seen.merge(seen);
    }
    let mut peers: Vec<InternetPeer> = internet.into_values().collect();
    let summary = InternetSummary {
        peers: peers.len(),
        bytes: peers.iter().map(|p| p.bytes).sum(),
        devices: peers
            .iter()
            .flat_map(|p| p.devices.iter().cloned())
            .collect(),
        top: {
            peers.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.ip.cmp(&b.ip)));
            peers.truncate(25);
            peers
        },
    };
    (merged.into_values().collect(), summary)
}
