//! What the inventory accumulates while traffic flows: observations per IP address and per
//! MAC address, kept apart until the end.
//!
//! Which addresses make one device cannot be decided packet by packet: the first frames of a
//! remote host arrive through a router's MAC before anything shows that the MAC is a router's.
//! So the run records *observations* (cheaply, per flow and per identity event, never per
//! packet) and [`crate::Inventory::devices`] decides the device boundaries from all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rampart_event::{Activity, Attribute, Confidence, FindingKind, Mac, Timestamp};

use crate::Service;

/// Distinct values kept per attribute per address; more are counted, not stored.
pub(crate) const MAX_VALUES: usize = 16;
/// Distinct IPs remembered per MAC (enough to recognise a router).
pub(crate) const MAX_IPS_PER_MAC: usize = 64;
/// Initial IP TTLs of common stacks (Linux/macOS 64, Windows 128, network gear 255, old
/// stacks 32 and 60); a host seen with another value is at least one router away.
const INITIAL_TTLS: [u8; 5] = [32, 60, 64, 128, 255];
/// Distinct MACs remembered per IP.
pub(crate) const MAX_MACS_PER_IP: usize = 8;

/// A first/last-seen window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// First observation.
    pub first: Timestamp,
    /// Last observation.
    pub last: Timestamp,
}

impl Seen {
    pub(crate) fn at(t: Timestamp) -> Seen {
        Seen { first: t, last: t }
    }

    pub(crate) fn extend(&mut self, first: Timestamp, last: Timestamp) {
        self.first = self.first.min(first);
        self.last = self.last.max(last);
    }

    pub(crate) fn merge(&mut self, other: Seen) {
        self.extend(other.first, other.last);
    }
}

/// One value of an attribute, with everything that vouched for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The value as seen.
    pub value: String,
    /// The protocols that reported it.
    pub sources: Sources,
    /// The highest confidence any source gave.
    pub confidence: Confidence,
    /// How many times it was reported.
    pub count: u64,
    /// When.
    pub seen: Seen,
}

/// The protocols that reported a value, sorted and without repeats. A value has one or two;
/// a set per value cost a tree node (hundreds of bytes) for each of hundreds of thousands of
/// values, a third of the peak memory of a large run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources(Vec<String>);

impl Sources {
    /// Start with one source.
    pub fn one(source: &str) -> Sources {
        Sources(vec![source.to_string()])
    }

    /// Tell whether `source` is among them.
    pub fn contains(&self, source: &str) -> bool {
        self.position(source).is_ok()
    }

    /// Add `source`; return whether it was new.
    pub fn insert(&mut self, source: &str) -> bool {
        match self.position(source) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, source.to_string());
                true
            }
        }
    }

    /// Return the sources in order.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }

    /// Return the sources in order, as a slice (what the outputs write as a list).
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Return how many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Tell whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, source: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|s| s.as_str().cmp(source))
    }
}

/// Attribute values of one address.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attributes {
    pub(crate) values: BTreeMap<Attribute, Vec<Observed>>,
    pub(crate) dropped: u64,
}

impl Attributes {
    /// Add an observation; return whether it told something new (a value, or a source for a
    /// value, not seen before).
    pub(crate) fn add(
        &mut self,
        attribute: Attribute,
        value: &str,
        source: &str,
        confidence: Confidence,
        time: Timestamp,
    ) -> bool {
        let value = value.trim();
        if value.is_empty() {
            return false;
        }
        let list = self.values.entry(attribute).or_default();
        if let Some(o) = list.iter_mut().find(|o| o.value == value) {
            o.count += 1;
            o.confidence = o.confidence.max(confidence);
            o.seen.extend(time, time);
            return o.sources.insert(source);
        }
        if list.len() >= MAX_VALUES {
            self.dropped += 1;
            return false;
        }
        list.push(Observed {
            value: value.to_string(),
            sources: Sources::one(source),
            confidence,
            count: 1,
            seen: Seen::at(time),
        });
        true
    }

    /// Fold in what another address of the same device saw: each observation was recorded on
    /// one address only, so counts add up.
    pub(crate) fn merge(&mut self, other: &Attributes) {
        for (attribute, list) in &other.values {
            for o in list {
                self.merge_one(*attribute, o);
            }
        }
        self.dropped += other.dropped;
    }

    fn merge_one(&mut self, attribute: Attribute, o: &Observed) {
        let list = self.values.entry(attribute).or_default();
        if let Some(mine) = list.iter_mut().find(|m| m.value == o.value) {
            mine.count += o.count;
            mine.confidence = mine.confidence.max(o.confidence);
            mine.seen.merge(o.seen);
            for source in o.sources.iter() {
                mine.sources.insert(source);
            }
        } else if list.len() >= MAX_VALUES {
            self.dropped += 1;
        } else {
            list.push(o.clone());
        }
    }
}

/// A security finding about an address, aggregated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingSummary {
    /// What kind.
    pub kind: FindingKind,
    /// The protocol it was seen in.
    pub protocol: String,
    /// A one-line description of the evidence (user name, mechanism, version).
    pub detail: String,
    /// How often it was seen.
    pub count: u64,
    /// When.
    pub seen: Seen,
}

/// One module of a modular device, as a protocol described it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModuleInfo {
    /// The rack, when known.
    pub rack: Option<u16>,
    /// The slot, when known.
    pub slot: Option<u16>,
    /// What kind of module (`cpu`, `communication`, …), or empty.
    pub kind: String,
    /// Model or product name.
    pub model: String,
    /// Order number.
    pub order_number: String,
    /// Firmware version.
    pub firmware: String,
    /// Hardware version.
    pub hardware: String,
    /// Serial number.
    pub serial: String,
    /// The protocol that described it.
    pub protocol: String,
}

impl ModuleInfo {
    /// Tell whether `other` describes the same physical module (same place, same part).
    fn same_module(&self, other: &ModuleInfo) -> bool {
        (self.rack, self.slot) == (other.rack, other.slot)
            && (self.order_number == other.order_number || other.order_number.is_empty())
            && (self.model == other.model || other.model.is_empty())
    }

    /// Fill what this description lacks from `other`.
    fn absorb(&mut self, other: &ModuleInfo) {
        for (mine, theirs) in [
            (&mut self.kind, &other.kind),
            (&mut self.model, &other.model),
            (&mut self.order_number, &other.order_number),
            (&mut self.firmware, &other.firmware),
            (&mut self.hardware, &other.hardware),
            (&mut self.serial, &other.serial),
        ] {
            if mine.is_empty() && !theirs.is_empty() {
                mine.clone_from(theirs);
            }
        }
    }
}

/// Add a module description to a bounded list, merging descriptions of the same module.
pub(crate) fn add_module(list: &mut Vec<ModuleInfo>, module: &ModuleInfo) {
    if let Some(known) = list
        .iter_mut()
        .find(|m| m.same_module(module) || module.same_module(m))
    {
        known.absorb(module);
        return;
    }
    if list.len() < MAX_VALUES * 4 {
        list.push(module.clone());
    }
}

/// Peers remembered per activity; more are counted.
pub(crate) const MAX_ACTIVITY_PEERS: usize = 64;

/// What an address did (as a client) or had done to it (as a server), per protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivitySummary {
    /// The activity.
    pub activity: Activity,
    /// The protocol it was seen in.
    pub protocol: String,
    /// True when the address performed it (sent the request); false when it was the target.
    pub performed: bool,
    /// The addresses on the other side.
    pub peers: Vec<IpAddr>,
    /// Peers beyond [`MAX_ACTIVITY_PEERS`], counted.
    pub peers_dropped: u64,
    /// How many messages.
    pub count: u64,
    /// When.
    pub seen: Seen,
}

/// Note one activity in a bounded list; allocation-free once the (activity, protocol, side)
/// is known and the peer remembered.
/// Messages of one kind counted together, with the first and last time seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// How many.
    pub count: u64,
    /// First seen.
    pub first: Timestamp,
    /// Last seen.
    pub last: Timestamp,
}

pub(crate) fn add_activity(
    list: &mut Vec<ActivitySummary>,
    activity: Activity,
    protocol: &str,
    performed: bool,
    peer: Option<IpAddr>,
    tally: Tally,
) {
    let time = tally.first;
    let summary = match list
        .iter_mut()
        .position(|a| a.activity == activity && a.performed == performed && a.protocol == protocol)
    {
        Some(i) => &mut list[i],
        None if list.len() >= MAX_VALUES * 4 => return,
        None => {
            list.push(ActivitySummary {
                activity,
                protocol: protocol.to_string(),
                performed,
                peers: Vec::new(),
                peers_dropped: 0,
                count: 0,
                seen: Seen::at(time),
            });
            let last = list.len() - 1;
            &mut list[last]
        }
    };
    summary.count += tally.count;
    summary.seen.extend(tally.first, tally.last);
    if let Some(peer) = peer.filter(|p| !summary.peers.contains(p)) {
        if summary.peers.len() < MAX_ACTIVITY_PEERS {
            summary.peers.push(peer);
        } else {
            summary.peers_dropped += 1;
        }
    }
}

/// Merge activity lists of addresses that make one device.
pub(crate) fn merge_activities(into: &mut Vec<ActivitySummary>, from: &[ActivitySummary]) {
    for a in from {
        match into.iter_mut().find(|b| {
            b.activity == a.activity && b.performed == a.performed && b.protocol == a.protocol
        }) {
            Some(b) => {
                b.count += a.count;
                b.seen.merge(a.seen);
                b.peers_dropped += a.peers_dropped;
                for p in &a.peers {
                    if !b.peers.contains(p) {
                        b.peers.push(*p);
                    }
                }
            }
            None => into.push(a.clone()),
        }
    }
}

/// Traffic counters of one address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Packets sent.
    pub packets_sent: u64,
    /// Packets received.
    pub packets_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
}

impl Traffic {
    pub(crate) fn add(&mut self, other: &Traffic) {
        self.packets_sent += other.packets_sent;
        self.packets_received += other.packets_received;
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
    }
}

/// Everything seen of one IP address.
#[derive(Debug, Clone)]
pub(crate) struct HostObs {
    pub(crate) seen: Seen,
    /// MACs its frames came from (source MAC of packets it sent), most recent last.
    pub(crate) macs: Vec<Mac>,
    /// MACs that claimed it in ARP or DHCP.
    pub(crate) claimed_by: Vec<Mac>,
    pub(crate) traffic: Traffic,
    pub(crate) client_of: Vec<Service>,
    pub(crate) server_of: Vec<Service>,
    pub(crate) attributes: Attributes,
    pub(crate) findings: Vec<FindingSummary>,
    pub(crate) modules: Vec<ModuleInfo>,
    pub(crate) activities: Vec<ActivitySummary>,
    /// The IP TTLs of packets it sent (initial-TTL guess input).
    pub(crate) ttl: TtlSeen,
}

/// What the TTLs an address sent with say: the highest, and whether any was an initial value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TtlSeen {
    /// The highest TTL seen (0 when none).
    pub(crate) max: u8,
    /// Whether some TTL was a usual initial value (the host is on the sensor's segment).
    pub(crate) initial: bool,
}

impl TtlSeen {
    pub(crate) fn note(&mut self, ttl: u8) {
        self.max = self.max.max(ttl);
        self.initial |= INITIAL_TTLS.contains(&ttl);
    }

    pub(crate) fn merge(&mut self, other: TtlSeen) {
        self.max = self.max.max(other.max);
        self.initial |= other.initial;
    }
}

/// Remember a service in a bounded list.
pub(crate) fn add_service(list: &mut Vec<Service>, service: Service) {
    if !list.contains(&service) && list.len() < MAX_VALUES * 4 {
        list.push(service);
    }
}

impl HostObs {
    pub(crate) fn new(t: Timestamp) -> HostObs {
        HostObs {
            seen: Seen::at(t),
            macs: Vec::new(),
            claimed_by: Vec::new(),
            traffic: Traffic::default(),
            client_of: Vec::new(),
            server_of: Vec::new(),
            attributes: Attributes::default(),
            findings: Vec::new(),
            modules: Vec::new(),
            activities: Vec::new(),
            ttl: TtlSeen::default(),
        }
    }

    pub(crate) fn note_mac(&mut self, mac: Mac) {
        if mac != Mac::default() && !mac.is_group() {
            remember(&mut self.macs, mac, MAX_MACS_PER_IP);
        }
    }

    /// Tell whether every TTL it sent with is below a usual initial value: its packets
    /// crossed a router on the way to the sensor.
    pub(crate) fn looks_routed(&self) -> bool {
        self.ttl.max > 0 && !self.ttl.initial
    }
}

/// Everything seen of one MAC address.
#[derive(Debug, Clone)]
pub(crate) struct StationObs {
    pub(crate) seen: Seen,
    /// IPv4 sources its frames carried (a router's MAC carries many).
    pub(crate) ipv4: Vec<IpAddr>,
    /// IPv6 sources its frames carried.
    pub(crate) ipv6: Vec<IpAddr>,
    pub(crate) ipv4_overflow: bool,
    /// IPs it claimed in ARP or DHCP.
    pub(crate) claimed: Vec<IpAddr>,
    /// Traffic of frames that are not IP (ARP, LLDP, Profinet, …).
    pub(crate) l2_traffic: Traffic,
    /// IP traffic its frames carried, whoever's it was (what a router forwarded).
    pub(crate) carried: Traffic,
    pub(crate) l2_protocols: BTreeSet<String>,
    pub(crate) attributes: Attributes,
    pub(crate) findings: Vec<FindingSummary>,
    pub(crate) modules: Vec<ModuleInfo>,
    pub(crate) activities: Vec<ActivitySummary>,
}

impl StationObs {
    pub(crate) fn new(t: Timestamp) -> StationObs {
        StationObs {
            seen: Seen::at(t),
            ipv4: Vec::new(),
            ipv6: Vec::new(),
            ipv4_overflow: false,
            claimed: Vec::new(),
            l2_traffic: Traffic::default(),
            carried: Traffic::default(),
            l2_protocols: BTreeSet::new(),
            attributes: Attributes::default(),
            findings: Vec::new(),
            modules: Vec::new(),
            activities: Vec::new(),
        }
    }

    pub(crate) fn note_ip(&mut self, ip: IpAddr) {
        match ip {
            IpAddr::V4(_) => {
                if !self.ipv4.contains(&ip) {
                    if self.ipv4.len() >= MAX_IPS_PER_MAC {
                        self.ipv4_overflow = true;
                    } else {
                        self.ipv4.push(ip);
                    }
                }
            }
            IpAddr::V6(_) => remember(&mut self.ipv6, ip, MAX_IPS_PER_MAC),
        }
    }
}

/// Keep `item` in a bounded most-recent-last list.
pub(crate) fn remember<T: PartialEq + Copy>(list: &mut Vec<T>, item: T, cap: usize) {
    if let Some(pos) = list.iter().position(|x| *x == item) {
        if pos + 1 != list.len() {
            list.remove(pos);
            list.push(item);
        }
        return;
    }
    if list.len() >= cap {
        list.remove(0);
    }
    list.push(item);
}

pub(crate) fn add_finding(
    list: &mut Vec<FindingSummary>,
    kind: FindingKind,
    protocol: &str,
    detail: &str,
    time: Timestamp,
) {
    if let Some(f) = list
        .iter_mut()
        .find(|f| f.kind == kind && f.protocol == protocol && f.detail == detail)
    {
        f.count += 1;
        f.seen.extend(time, time);
        return;
    }
    if list.len() >= MAX_VALUES * 4 {
        return;
    }
    list.push(FindingSummary {
        kind,
        protocol: protocol.to_string(),
        detail: detail.to_string(),
        count: 1,
        seen: Seen::at(time),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sources_sorted_and_once_each() {
        let mut sources = Sources::one("modbus");
        assert!(sources.insert("enip"));
        assert!(sources.insert("snmp"));
        assert!(!sources.insert("modbus"));
        assert_eq!(sources.as_slice(), ["enip", "modbus", "snmp"]);
        assert!(sources.contains("snmp") && !sources.contains("dns"));
        assert_eq!(sources.len(), 3);
    }

    #[test]
    fn attribute_values_are_bounded_and_merged_by_value() {
        let mut a = Attributes::default();
        let t = Timestamp(1);
        a.add(Attribute::Hostname, "plc1", "dhcp", Confidence::STATED, t);
        a.add(Attribute::Hostname, "plc1", "nbns", Confidence::STRONG, t);
        for i in 0..40 {
            a.add(
                Attribute::Software,
                &format!("v{i}"),
                "http",
                Confidence::WEAK,
                t,
            );
        }
        let names = &a.values[&Attribute::Hostname];
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].count, 2);
        assert_eq!(names[0].sources.len(), 2);
        assert_eq!(a.values[&Attribute::Software].len(), MAX_VALUES);
        assert_eq!(a.dropped, 40 - MAX_VALUES as u64);
    }

    #[test]
    fn remembered_lists_keep_most_recent_last_within_cap() {
        let mut l = vec![];
        for i in 0..5 {
            remember(&mut l, i, 3);
        }
        remember(&mut l, 3, 3);
        assert_eq!(l, vec![2, 4, 3]);
    }
}
