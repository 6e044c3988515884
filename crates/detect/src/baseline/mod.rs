//! The learned baseline: what normal looks like on this network.
//!
//! Per **edge** (an ordered pair client → server of devices, or a device and "the internet"
//! for public addresses, or a device and a broadcast/multicast group) it keeps the transports
//! and server ports, the application protocols, and per protocol the commands seen
//! ([`Command`], MQTT topics per client), each with a count, first and last seen, an EWMA of
//! the interval between occurrences (the polling period) and, for Modbus, the address ranges
//! touched; plus the edge's volume (flows, packets, bytes). Per **device** (keyed by IP; by MAC
//! for link-layer-only devices) it keeps the MAC, the roles it plays (`modbus server`,
//! `dnp3 master`) and identity values (firmware, model, PLC mode, DHCP/LLDP names).
//!
//! The baseline is plain data with lookups that allocate nothing; the policy engine
//! ([`crate::policy`]) decides what to learn and what to raise. It is stored as JSON
//! ([`file`]) with a format version, a revision counter, the mutes, and a history of edits.
//!
//! Bounds: [`MAX_DEVICES`], [`MAX_EDGES`], and per edge [`MAX_COMMANDS_PER_EDGE`],
//! [`MAX_TOPICS_PER_EDGE`], [`MAX_PROTOCOLS_PER_EDGE`], [`MAX_SERVICES_PER_EDGE`]; per
//! command [`MAX_SPANS`]; per device [`MAX_ROLES`] and [`MAX_IDENTITY_VALUES`]. A full map
//! stops learning and counts what it refused in `overflow` rather than evicting: forgetting
//! something normal would turn it into an alert, while a refused entry is visible in
//! `rampart baseline show`.

pub mod command;
pub mod edit;
pub mod file;
mod keyed;

use std::collections::BTreeMap;
use std::collections::hash_map::Entry;

use crate::FastMap as HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rampart_event::{Mac, Timestamp};
use serde::{Deserialize, Serialize};

pub use command::{Command, Observed, ShortName, Span, TopicAction};
pub use edit::{EditError, Fold};
pub use file::{BaselineError, Diff, Edit, Item, Mute};

/// Devices kept at most.
pub const MAX_DEVICES: usize = 65_536;
/// Edges kept at most.
pub const MAX_EDGES: usize = 262_144;
/// Distinct commands kept per edge.
pub const MAX_COMMANDS_PER_EDGE: usize = 256;
/// Distinct MQTT topics kept per edge and action.
pub const MAX_TOPICS_PER_EDGE: usize = 256;
/// Application protocols kept per edge.
pub const MAX_PROTOCOLS_PER_EDGE: usize = 16;
/// Transport/port pairs kept per edge.
pub const MAX_SERVICES_PER_EDGE: usize = 64;
/// Disjoint address ranges kept per Modbus command; past it the two closest merge.
pub const MAX_SPANS: usize = 16;
/// Roles kept per device.
pub const MAX_ROLES: usize = 32;
/// Values kept per identity attribute of a device.
pub const MAX_IDENTITY_VALUES: usize = 8;
/// Intervals longer than this are a pause, not a polling period (nanoseconds: one hour).
pub const MAX_PERIOD_NS: u64 = 3_600_000_000_000;
/// Intervals shorter than this are one burst, not a polling period (nanoseconds: 1 ms).
pub const MIN_PERIOD_NS: u64 = 1_000_000;

/// One side of an edge: a device by IP (or a group address), a link-layer-only device by
/// MAC, or any public address. Written as the address, or `internet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    /// A local unicast address (a device) or a broadcast/multicast group.
    Ip(IpAddr),
    /// A device seen only at the link layer, or a link-layer group.
    Mac(Mac),
    /// Any public address.
    Internet,
}

/// Hashed as one number (see [`crate::hash_ip`]): the baseline is probed by peer for every
/// record it learns.
impl std::hash::Hash for Peer {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match *self {
            Peer::Ip(ip) => crate::hash_ip(ip, state),
            Peer::Mac(mac) => crate::hash_mac(mac, state),
            Peer::Internet => state.write_u64(u64::MAX),
        }
    }
}

impl Peer {
    /// The peer an address is: `None` for the unspecified address (a DHCP client without
    /// one), [`Peer::Internet`] for public unicast addresses.
    pub fn of_ip(ip: IpAddr) -> Option<Peer> {
        if ip.is_unspecified() {
            None
        } else if is_public(ip) {
            Some(Peer::Internet)
        } else {
            Some(Peer::Ip(ip))
        }
    }

    /// True for broadcast and multicast addresses. An IPv4 address ending in `.255` is taken
    /// for a directed broadcast: the netmask is not on the wire, and /24 is the common case.
    pub fn is_group(&self) -> bool {
        match *self {
            Peer::Ip(IpAddr::V4(v4)) => {
                v4.is_multicast() || v4.is_broadcast() || v4.octets()[3] == 255
            }
            Peer::Ip(IpAddr::V6(v6)) => v6.is_multicast(),
            Peer::Mac(mac) => mac.is_group(),
            Peer::Internet => false,
        }
    }

    /// True for a device: a local unicast address or a unicast MAC.
    pub fn is_device(&self) -> bool {
        !matches!(self, Peer::Internet) && !self.is_group()
    }

    /// The IP address, for an IP peer.
    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            Peer::Ip(ip) => Some(ip),
            _ => None,
        }
    }
}

/// True for addresses routed on the internet: not private, loopback, link-local, shared
/// (100.64/10), documentation, benchmarking, reserved, multicast or unique-local.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && c == 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // Global unicast is 2000::/3, less documentation 2001:db8::/32.
            (s[0] & 0xe000) == 0x2000 && !(s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Peer::Ip(ip) => write!(f, "{ip}"),
            Peer::Mac(mac) => write!(f, "{mac}"),
            Peer::Internet => f.write_str("internet"),
        }
    }
}

impl std::str::FromStr for Peer {
    type Err = String;

    fn from_str(s: &str) -> Result<Peer, String> {
        if s == "internet" {
            return Ok(Peer::Internet);
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Peer::Ip(ip));
        }
        parse_mac(s).map(Peer::Mac).ok_or_else(|| {
            format!("{s:?} is neither an IP address, a MAC address nor \"internet\"")
        })
    }
}

/// Read `00:1b:1b:0a:0b:0c`.
pub fn parse_mac(s: &str) -> Option<Mac> {
    let mut bytes = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut bytes {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        *b = u8::from_str_radix(part, 16).ok()?;
    }
    parts.next().is_none().then_some(Mac(bytes))
}

impl Serialize for Peer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Peer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Peer, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A MAC address in the file: `"00:1b:1b:0a:0b:0c"`.
mod mac_text {
    use rampart_event::Mac;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(mac: &Option<Mac>, s: S) -> Result<S::Ok, S::Error> {
        match mac {
            Some(m) => s.collect_str(m),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Mac>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => super::parse_mac(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a MAC address"))),
        }
    }
}

/// The side of a conversation a device played, with the protocol's own name for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// The protocol.
    pub protocol: String,
    /// `client`, `server`, `master`, `outstation`, `broker`, …
    pub role: String,
}

/// The names a protocol gives its two sides (client, server).
pub fn role_names(protocol: &str) -> (&'static str, &'static str) {
    match protocol {
        "dnp3" => ("master", "outstation"),
        "iec104" => ("controlling_station", "controlled_station"),
        "mqtt" => ("client", "broker"),
        "enip" | "cip_io" => ("originator", "target"),
        "goose" => ("publisher", "subscriber"),
        _ => ("client", "server"),
    }
}

/// Industrial protocols: a device that plays a role in one is an OT device, and an OT device
/// talking to the internet is an alert.
pub const OT_PROTOCOLS: &[&str] = &[
    "modbus",
    "dnp3",
    "s7comm",
    "s7commplus",
    "cotp",
    "enip",
    "cip_io",
    "bacnet",
    "iec104",
    "opcua",
    "mms",
    "goose",
    "profinet_dcp",
    "fins",
    "slmp",
    "srtp",
];

/// A device as learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// The device: its IP address, or its MAC when it was seen only at the link layer.
    pub peer: Peer,
    /// Its MAC, when seen.
    #[serde(default, with = "mac_text", skip_serializing_if = "Option::is_none")]
    pub mac: Option<Mac>,
    /// First seen (nanoseconds since the epoch, capture time).
    pub first_seen_ns: u64,
    /// Last seen.
    pub last_seen_ns: u64,
    /// Roles played.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Identity values by attribute (`firmware`, `model`, `plc_mode`, `hostname`, …).
    #[serde(default)]
    pub identity: BTreeMap<String, Vec<String>>,
}

impl Device {
    fn new(peer: Peer, time: Timestamp) -> Device {
        Device {
            peer,
            mac: None,
            first_seen_ns: time.0,
            last_seen_ns: time.0,
            roles: Vec::new(),
            identity: BTreeMap::new(),
        }
    }

    /// True when the device plays `role` in `protocol`.
    pub fn has_role(&self, protocol: &str, role: &str) -> bool {
        self.roles
            .iter()
            .any(|r| r.protocol == protocol && r.role == role)
    }

    /// True when the device plays any role in an industrial protocol.
    pub fn is_ot(&self) -> bool {
        self.roles
            .iter()
            .any(|r| OT_PROTOCOLS.contains(&r.protocol.as_str()))
    }

    /// The learned values of an identity attribute.
    pub fn identity(&self, attribute: &str) -> &[String] {
        self.identity.get(attribute).map_or(&[], Vec::as_slice)
    }

    /// Learn a role; false when the device has [`MAX_ROLES`] already.
    pub fn learn_role(&mut self, protocol: &str, role: &str) -> bool {
        if self.has_role(protocol, role) {
            return true;
        }
        if self.roles.len() >= MAX_ROLES {
            return false;
        }
        self.roles.push(Role {
            protocol: protocol.to_string(),
            role: role.to_string(),
        });
        self.roles.sort();
        true
    }

    /// Learn an identity value; false when the attribute has [`MAX_IDENTITY_VALUES`].
    pub fn learn_identity(&mut self, attribute: &str, value: &str) -> bool {
        if self.identity(attribute).iter().any(|v| v == value) {
            return true;
        }
        let values = self.identity.entry(attribute.to_string()).or_default();
        if values.len() >= MAX_IDENTITY_VALUES {
            return false;
        }
        values.push(value.to_string());
        values.sort();
        true
    }

    /// Take in what another record of the same device learned.
    pub fn absorb(&mut self, other: &Device) {
        self.first_seen_ns = self.first_seen_ns.min(other.first_seen_ns);
        self.last_seen_ns = self.last_seen_ns.max(other.last_seen_ns);
        for role in &other.roles {
            self.learn_role(&role.protocol, &role.role);
        }
        for (attribute, values) in &other.identity {
            for v in values {
                self.learn_identity(attribute, v);
            }
        }
    }

    /// Forget an identity value.
    pub fn unlearn_identity(&mut self, attribute: &str, value: &str) -> bool {
        let Some(values) = self.identity.get_mut(attribute) else {
            return false;
        };
        let before = values.len();
        values.retain(|v| v != value);
        let removed = values.len() != before;
        if values.is_empty() {
            self.identity.remove(attribute);
        }
        removed
    }
}

/// A transport and server port seen on an edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// `tcp`, `udp`, …
    pub transport: String,
    /// The server's port.
    pub port: u16,
}

/// How often and when something was seen, with its typical period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Occurrences learned.
    pub count: u64,
    /// First seen (nanoseconds since the epoch).
    pub first_seen_ns: u64,
    /// Last seen.
    pub last_seen_ns: u64,
    /// EWMA (weight 1/8) of the interval between occurrences, ignoring bursts under
    /// [`MIN_PERIOD_NS`] and pauses over [`MAX_PERIOD_NS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_ns: Option<u64>,
}

impl Usage {
    fn first(time: Timestamp) -> Usage {
        Usage {
            count: 1,
            first_seen_ns: time.0,
            last_seen_ns: time.0,
            period_ns: None,
        }
    }

    /// Count one more occurrence at `time` and move the period.
    pub fn seen(&mut self, time: Timestamp) {
        let interval = time.0.saturating_sub(self.last_seen_ns);
        if self.count > 0 && (MIN_PERIOD_NS..=MAX_PERIOD_NS).contains(&interval) {
            self.period_ns = Some(match self.period_ns {
                None => interval,
                Some(p) => p - p / 8 + interval / 8,
            });
        }
        self.count += 1;
        self.first_seen_ns = self.first_seen_ns.min(time.0);
        self.last_seen_ns = self.last_seen_ns.max(time.0);
    }

    /// Fold another record of the same thing in (imports).
    fn merge(&mut self, other: &Usage) {
        self.count += other.count;
        self.first_seen_ns = self.first_seen_ns.min(other.first_seen_ns);
        self.last_seen_ns = self.last_seen_ns.max(other.last_seen_ns);
        self.period_ns = self.period_ns.or(other.period_ns);
    }
}

/// A command as learned on an edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    /// The command.
    pub command: Command,
    /// How often and when.
    #[serde(flatten)]
    pub usage: Usage,
    /// Modbus address ranges touched, inclusive, disjoint and sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Span>,
}

impl Learned {
    /// True when the span lies inside the learned ranges.
    pub fn covers(&self, span: Span) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= span.0 && span.1 <= b)
    }

    /// Learn an address range: merge it with the ranges it overlaps or touches.
    pub fn learn_span(&mut self, span: Span) {
        if self.covers(span) {
            return;
        }
        self.ranges.push(span);
        self.ranges.sort_unstable();
        let mut merged: Vec<Span> = Vec::with_capacity(self.ranges.len());
        for &(a, b) in &self.ranges {
            match merged.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        while merged.len() > MAX_SPANS {
            let closest = (1..merged.len())
                .min_by_key(|&i| merged[i].0 - merged[i - 1].1)
                .unwrap_or(1);
            merged[closest - 1].1 = merged[closest].1;
            merged.remove(closest);
        }
        self.ranges = merged;
    }

    /// Forget an address range (the part of the learned ranges inside it).
    pub fn unlearn_span(&mut self, (a, b): Span) {
        let mut kept = Vec::with_capacity(self.ranges.len() + 1);
        for &(x, y) in &self.ranges {
            if y < a || x > b {
                kept.push((x, y));
                continue;
            }
            if x < a {
                kept.push((x, a - 1));
            }
            if y > b {
                kept.push((b + 1, y));
            }
        }
        self.ranges = kept;
    }
}

/// An MQTT topic as learned on an edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// The topic (publish) or filter (subscribe).
    pub topic: String,
    /// How often and when.
    #[serde(flatten)]
    pub usage: Usage,
}

/// The traffic of an edge, learned from flows that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Flows.
    pub flows: u64,
    /// Packets client → server, server → client.
    pub packets: [u64; 2],
    /// Bytes client → server, server → client.
    pub bytes: [u64; 2],
}

/// An edge: who talks to whom, how and with what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// The side that opens conversations.
    pub client: Peer,
    /// The side that answers (or the group address).
    pub server: Peer,
    /// First seen (nanoseconds since the epoch).
    pub first_seen_ns: u64,
    /// Last seen.
    pub last_seen_ns: u64,
    /// Transports and server ports.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Application protocols.
    #[serde(default)]
    pub protocols: Vec<String>,
    /// Commands.
    #[serde(default, with = "keyed")]
    pub commands: HashMap<Command, Learned>,
    /// MQTT topics the client published to.
    #[serde(default, with = "keyed", skip_serializing_if = "HashMap::is_empty")]
    pub published: HashMap<String, Topic>,
    /// MQTT filters the client subscribed to.
    #[serde(default, with = "keyed", skip_serializing_if = "HashMap::is_empty")]
    pub subscribed: HashMap<String, Topic>,
    /// Traffic.
    #[serde(default)]
    pub volume: Volume,
}

impl Edge {
    fn new(client: Peer, server: Peer, time: Timestamp) -> Edge {
        Edge {
            client,
            server,
            first_seen_ns: time.0,
            last_seen_ns: time.0,
            services: Vec::new(),
            protocols: Vec::new(),
            commands: HashMap::default(),
            published: HashMap::default(),
            subscribed: HashMap::default(),
            volume: Volume::default(),
        }
    }

    /// True when `protocol` was learned on the edge.
    pub fn has_protocol(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|p| p == protocol)
    }

    /// True when the transport and port were learned on the edge.
    pub fn has_service(&self, transport: &str, port: u16) -> bool {
        self.services
            .iter()
            .any(|s| s.transport == transport && s.port == port)
    }

    /// Learn a protocol; false when full.
    pub fn learn_protocol(&mut self, protocol: &str) -> bool {
        if self.has_protocol(protocol) {
            return true;
        }
        if self.protocols.len() >= MAX_PROTOCOLS_PER_EDGE {
            return false;
        }
        self.protocols.push(protocol.to_string());
        self.protocols.sort();
        true
    }

    /// Learn a transport and port; false when full.
    pub fn learn_service(&mut self, transport: &str, port: u16) -> bool {
        if self.has_service(transport, port) {
            return true;
        }
        if self.services.len() >= MAX_SERVICES_PER_EDGE {
            return false;
        }
        self.services.push(Service {
            transport: transport.to_string(),
            port,
        });
        self.services.sort();
        true
    }

    /// Learn one occurrence of a command with the spans it touched; false when full.
    pub fn learn_command(
        &mut self,
        command: Command,
        spans: [Option<Span>; 2],
        time: Timestamp,
    ) -> bool {
        let learned = match self.commands.get_mut(&command) {
            Some(l) => {
                l.usage.seen(time);
                l
            }
            None => {
                if self.commands.len() >= MAX_COMMANDS_PER_EDGE {
                    return false;
                }
                self.commands.entry(command).or_insert(Learned {
                    command,
                    usage: Usage::first(time),
                    ranges: Vec::new(),
                })
            }
        };
        for span in spans.into_iter().flatten() {
            learned.learn_span(span);
        }
        true
    }

    /// The topics of an action.
    pub fn topics(&self, action: TopicAction) -> &HashMap<String, Topic> {
        match action {
            TopicAction::Publish => &self.published,
            TopicAction::Subscribe => &self.subscribed,
        }
    }

    /// The topics of an action, to change.
    pub fn topics_mut(&mut self, action: TopicAction) -> &mut HashMap<String, Topic> {
        match action {
            TopicAction::Publish => &mut self.published,
            TopicAction::Subscribe => &mut self.subscribed,
        }
    }

    /// Learn one use of a topic; false when full.
    pub fn learn_topic(&mut self, action: TopicAction, topic: &str, time: Timestamp) -> bool {
        let topics = self.topics_mut(action);
        if let Some(t) = topics.get_mut(topic) {
            t.usage.seen(time);
            return true;
        }
        if topics.len() >= MAX_TOPICS_PER_EDGE {
            return false;
        }
        topics.insert(
            topic.to_string(),
            Topic {
                topic: topic.to_string(),
                usage: Usage::first(time),
            },
        );
        true
    }
}

/// The IP device that owns a MAC, and whether a link-layer device of that MAC may be in the
/// baseline (made by a link-layer observation since the owner was last learned): when not,
/// learning the owner again skips looking for one.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MacOwner {
    ip: IpAddr,
    twin: bool,
}

/// Who to whom: the key of an edge.
pub type EdgeKey = (Peer, Peer);

/// The learned baseline, with its mutes and history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Baseline {
    /// Bumped on every save that changed something.
    pub revision: u64,
    /// Devices.
    pub devices: HashMap<Peer, Device>,
    /// Edges.
    pub edges: HashMap<EdgeKey, Edge>,
    /// Muted alerts by id.
    pub mutes: BTreeMap<String, Mute>,
    /// Edits, oldest first (at most [`file::MAX_HISTORY`]).
    pub history: Vec<Edit>,
    /// Entries not learned because a map was full.
    pub overflow: u64,
    /// MACs of IP devices, to find the device a link-layer observation is about.
    mac_index: HashMap<Mac, MacOwner>,
    /// Set when something was learned since the last save.
    changed: bool,
    /// Bumped whenever something learned is forgotten: while it stands still, what a
    /// learner found in the baseline is still there (see [`Baseline::forgets`]).
    forgets: u64,
    /// Bumped whenever the MAC index changes (see [`Baseline::mac_epoch`]).
    mac_epoch: u64,
}

impl Baseline {
    /// The device with this key.
    pub fn device(&self, peer: &Peer) -> Option<&Device> {
        self.devices.get(peer)
    }

    /// The device with this key, to change.
    pub fn device_mut(&mut self, peer: &Peer) -> Option<&mut Device> {
        self.devices.get_mut(peer)
    }

    /// The edge from `client` to `server`.
    pub fn edge(&self, client: Peer, server: Peer) -> Option<&Edge> {
        self.edges.get(&(client, server))
    }

    /// The edge from `client` to `server`, to change.
    pub fn edge_mut(&mut self, client: Peer, server: Peer) -> Option<&mut Edge> {
        self.edges.get_mut(&(client, server))
    }

    /// The device an observation with this IP and MAC is about: by IP; else the IP device
    /// that has the MAC; else the link-layer device.
    pub fn resolve(&self, ip: Option<IpAddr>, mac: Option<Mac>) -> Option<Peer> {
        if let Some(peer) = ip.and_then(Peer::of_ip) {
            return Some(peer);
        }
        let mac = mac.filter(|m| !m.is_group())?;
        Some(match self.mac_index.get(&mac) {
            Some(owner) => Peer::Ip(owner.ip),
            None => Peer::Mac(mac),
        })
    }

    /// The devices an identity observation may have been learned on: the resolved device
    /// and, when it is an IP device, the link-layer device of its MAC.
    pub fn identity_known(
        &self,
        peer: Peer,
        mac: Option<Mac>,
        attribute: &str,
        value: &str,
    ) -> bool {
        let has = |p: &Peer| {
            self.devices
                .get(p)
                .is_some_and(|d| d.identity(attribute).iter().any(|v| v == value))
        };
        has(&peer) || mac.is_some_and(|m| has(&Peer::Mac(m)))
    }

    /// Learn a device (or see it again); `None` when the baseline is full.
    pub fn learn_device(
        &mut self,
        peer: Peer,
        mac: Option<Mac>,
        time: Timestamp,
    ) -> Option<&mut Device> {
        self.learn_device_claimed(peer, mac, time, false)
    }

    /// [`Baseline::learn_device`], told with `claimed` that the device's claim of `mac`
    /// would change nothing: the caller learned this device with this MAC before and
    /// [`Baseline::mac_epoch`] has not moved since. That spares a lookup in the MAC index.
    pub(crate) fn learn_device_claimed(
        &mut self,
        peer: Peer,
        mac: Option<Mac>,
        time: Timestamp,
        claimed: bool,
    ) -> Option<&mut Device> {
        if !peer.is_device() {
            return None;
        }
        let full = self.devices.len() >= MAX_DEVICES;
        if full && !self.devices.contains_key(&peer) {
            self.overflow += 1;
            return None;
        }
        let mac = mac.filter(|m| !m.is_group());
        self.changed = true;
        // A device first seen at the link layer (LLDP, DHCP before its lease) is the IP
        // device that later shows its MAC: one device, not two.
        let link_layer = match (peer, mac) {
            (Peer::Ip(ip), Some(m)) if !claimed && self.claim_mac(m, ip) => {
                self.devices.remove(&Peer::Mac(m))
            }
            _ => None,
        };
        let device = match self.devices.entry(peer) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => {
                if let Peer::Mac(m) = peer
                    && let Some(owner) = self.mac_index.get_mut(&m)
                {
                    owner.twin = true;
                    self.mac_epoch += 1;
                }
                new.insert(Device::new(peer, time))
            }
        };
        device.last_seen_ns = device.last_seen_ns.max(time.0);
        if mac.is_some() {
            device.mac = mac;
        }
        if let Some(old) = link_layer {
            device.absorb(&old);
        }
        Some(device)
    }

    /// Note that the IP device `ip` shows `mac`: the first IP device to show a MAC keeps it,
    /// since behind a router many addresses share one MAC and link-layer observations must
    /// land on the same device every time. True when `ip` owns the MAC and a link-layer
    /// device of it may be in the baseline, to be absorbed.
    fn claim_mac(&mut self, mac: Mac, ip: IpAddr) -> bool {
        let room = self.mac_index.len() < MAX_DEVICES;
        let owner = match self.mac_index.entry(mac) {
            Entry::Occupied(owner) => owner.into_mut(),
            Entry::Vacant(none) if room => none.insert(MacOwner { ip, twin: true }),
            Entry::Vacant(_) => return false,
        };
        // Only a claim that owns the MAC (and so is true) changes the index.
        let owns = owner.ip == ip && std::mem::replace(&mut owner.twin, false);
        self.mac_epoch += u64::from(owns);
        owns
    }

    /// Learn an edge (or see it again); `None` when the baseline is full.
    pub fn learn_edge(&mut self, client: Peer, server: Peer, time: Timestamp) -> Option<&mut Edge> {
        let key = (client, server);
        if self.edges.len() >= MAX_EDGES && !self.edges.contains_key(&key) {
            self.overflow += 1;
            return None;
        }
        self.changed = true;
        let edge = self
            .edges
            .entry(key)
            .or_insert_with(|| Edge::new(client, server, time));
        edge.last_seen_ns = edge.last_seen_ns.max(time.0);
        Some(edge)
    }

    /// Count an entry a full map refused.
    pub fn refused(&mut self) {
        self.overflow += 1;
    }

    /// Note that something was learned into an existing entry.
    pub fn touch(&mut self) {
        self.changed = true;
    }

    /// True when something was learned since the baseline was loaded or saved.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// How many times something learned was forgotten ([`Baseline::unlearn_device`],
    /// [`Fold::unlearn`]): a learner may take what it found learned as still learned while
    /// this stays the same, since learning only adds.
    pub(crate) fn forgets(&self) -> u64 {
        self.forgets
    }

    /// How many times the MAC index changed: a device's claim of a MAC changes nothing a
    /// second time while this stays the same.
    pub(crate) fn mac_epoch(&self) -> u64 {
        self.mac_epoch
    }

    /// Note that something learned was forgotten.
    pub(crate) fn forgot(&mut self) {
        self.forgets += 1;
    }

    /// Forget a device and every edge it is a side of.
    pub fn unlearn_device(&mut self, peer: &Peer) -> bool {
        let removed = self.devices.remove(peer).is_some();
        self.edges.retain(|(c, s), _| c != peer && s != peer);
        self.mac_index
            .retain(|_, owner| Some(owner.ip) != peer.ip());
        self.mac_epoch += 1;
        self.changed |= removed;
        self.forgot();
        removed
    }

    /// Rebuild the MAC index from the devices (after loading or merging).
    fn index_macs(&mut self) {
        // The earliest device with a MAC keeps it, as when it was learned.
        let mut owners: Vec<(u64, Peer, Mac, IpAddr)> = self
            .devices
            .values()
            .filter_map(|d| Some((d.first_seen_ns, d.peer, d.mac?, d.peer.ip()?)))
            .collect();
        owners.sort_unstable();
        self.mac_index.clear();
        self.mac_epoch += 1;
        for (_, _, mac, ip) in owners.into_iter().take(MAX_DEVICES) {
            self.mac_index
                .entry(mac)
                .or_insert(MacOwner { ip, twin: true });
        }
    }
}

/// The baseline shared between the policy engine (which learns into it and reads it on the
/// packet path) and the command that loads and saves it.
pub type BaselineHandle = Arc<Mutex<Baseline>>;

/// Share a baseline.
pub fn handle(baseline: Baseline) -> BaselineHandle {
    Arc::new(Mutex::new(baseline))
}

/// Lock a baseline; a panic elsewhere while it was held leaves plain data, still usable.
pub fn lock(handle: &BaselineHandle) -> MutexGuard<'_, Baseline> {
    handle.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn public_addresses_are_the_internet_and_groups_are_not_devices() {
        assert_eq!(Peer::of_ip(ip("8.8.8.8")), Some(Peer::Internet));
        assert_eq!(Peer::of_ip(ip("2a00:1450::1")), Some(Peer::Internet));
        assert_eq!(Peer::of_ip(ip("10.0.0.5")), Some(Peer::Ip(ip("10.0.0.5"))));
        assert_eq!(
            Peer::of_ip(ip("100.64.1.1")),
            Some(Peer::Ip(ip("100.64.1.1")))
        );
        assert_eq!(Peer::of_ip(ip("fd00::1")), Some(Peer::Ip(ip("fd00::1"))));
        assert_eq!(Peer::of_ip(ip("0.0.0.0")), None);
        assert!(Peer::Ip(ip("224.0.0.251")).is_group());
        assert!(Peer::Ip(ip("192.168.1.255")).is_group());
        assert!(Peer::Ip(ip("255.255.255.255")).is_group());
        assert!(!Peer::Ip(ip("10.0.0.5")).is_group());
        assert!(!Peer::Internet.is_device());
    }

    #[test]
    fn peers_read_back_from_their_text() {
        for p in [
            Peer::Internet,
            Peer::Ip(ip("10.0.0.5")),
            Peer::Mac(Mac([0, 0x1b, 0x1b, 1, 2, 3])),
        ] {
            assert_eq!(p.to_string().parse::<Peer>(), Ok(p));
        }
        assert!("10.0.0.300".parse::<Peer>().is_err());
        assert!("00:1b:1b:01:02".parse::<Peer>().is_err());
    }

    #[test]
    fn polling_period_is_an_ewma_of_intervals_ignoring_bursts_and_pauses() {
        let mut u = Usage::first(Timestamp::from_parts(100, 0));
        u.seen(Timestamp::from_parts(101, 0));
        assert_eq!(u.period_ns, Some(1_000_000_000));
        // A burst inside one millisecond does not move the period.
        u.seen(Timestamp::from_parts(101, 500));
        assert_eq!(u.period_ns, Some(1_000_000_000));
        u.seen(Timestamp::from_parts(103, 500));
        assert_eq!(u.period_ns, Some(1_000_000_000 - 125_000_000 + 250_000_000));
        // A two-hour pause is not a period.
        u.seen(Timestamp::from_parts(103 + 7200, 500));
        assert_eq!(u.period_ns, Some(1_125_000_000));
        assert_eq!(u.count, 5);
    }

    #[test]
    fn address_ranges_merge_when_they_touch_and_stay_bounded() {
        let mut l = Learned {
            command: Command::Modbus {
                unit: 1,
                function: 3,
                sub: None,
            },
            usage: Usage::default(),
            ranges: Vec::new(),
        };
        l.learn_span((0, 9));
        l.learn_span((10, 19));
        l.learn_span((100, 109));
        assert_eq!(l.ranges, vec![(0, 19), (100, 109)]);
        assert!(l.covers((5, 15)));
        assert!(!l.covers((15, 25)));
        for i in 0..40u16 {
            l.learn_span((1000 + i * 10, 1000 + i * 10 + 1));
        }
        assert_eq!(l.ranges.len(), MAX_SPANS);
        assert!(l.covers((1000, 1001)) && l.covers((1390, 1391)));
        l.ranges = vec![(0, 19), (100, 109)];
        l.unlearn_span((5, 104));
        assert_eq!(l.ranges, vec![(0, 4), (105, 109)]);
    }

    #[test]
    fn full_maps_refuse_and_count_instead_of_evicting() {
        let mut b = Baseline::default();
        let t = Timestamp(1);
        let edge = b
            .learn_edge(Peer::Ip(ip("10.0.0.1")), Peer::Ip(ip("10.0.0.2")), t)
            .expect("room");
        for unit in 0..=255u8 {
            assert!(edge.learn_command(
                Command::Modbus {
                    unit,
                    function: 3,
                    sub: None
                },
                [None, None],
                t
            ));
        }
        assert!(!edge.learn_command(
            Command::Modbus {
                unit: 0,
                function: 4,
                sub: None
            },
            [None, None],
            t
        ));
        assert_eq!(edge.commands.len(), MAX_COMMANDS_PER_EDGE);
    }

    #[test]
    fn a_link_layer_device_made_after_its_owner_is_absorbed_when_the_owner_is_seen_again() {
        let mut b = Baseline::default();
        let (mac, owner) = (Mac([0, 0x1b, 0x1b, 4, 5, 6]), Peer::Ip(ip("10.0.0.7")));
        b.learn_device(owner, Some(mac), Timestamp(1));
        b.learn_device(owner, Some(mac), Timestamp(2));
        // A link-layer observation (a GOOSE frame) learns the MAC as a device of its own.
        b.learn_device(Peer::Mac(mac), None, Timestamp(3))
            .expect("room")
            .learn_role("goose", "publisher");
        assert!(b.device(&Peer::Mac(mac)).is_some());
        b.learn_device(owner, Some(mac), Timestamp(4));
        assert!(b.device(&Peer::Mac(mac)).is_none());
        let merged = b.device(&owner).expect("owner");
        assert!(merged.has_role("goose", "publisher"));
        assert_eq!(merged.last_seen_ns, 4);
        // Another address showing the MAC neither owns nor absorbs it.
        b.learn_device(Peer::Mac(mac), None, Timestamp(5));
        b.learn_device(Peer::Ip(ip("10.0.0.8")), Some(mac), Timestamp(6));
        assert!(b.device(&Peer::Mac(mac)).is_some());
        b.learn_device(owner, Some(mac), Timestamp(7));
        assert!(b.device(&Peer::Mac(mac)).is_none());
    }

    #[test]
    fn link_layer_observations_find_the_ip_device_by_its_mac() {
        let mut b = Baseline::default();
        let mac = Mac([0, 0x1b, 0x1b, 1, 2, 3]);
        b.learn_device(Peer::Ip(ip("10.0.0.5")), Some(mac), Timestamp(1));
        assert_eq!(b.resolve(None, Some(mac)), Some(Peer::Ip(ip("10.0.0.5"))));
        let other = Mac([0, 0x1b, 0x1b, 9, 9, 9]);
        assert_eq!(b.resolve(None, Some(other)), Some(Peer::Mac(other)));
        assert_eq!(b.resolve(None, Some(Mac::BROADCAST)), None);
        b.learn_device(Peer::Mac(other), None, Timestamp(1))
            .expect("room")
            .learn_identity("hostname", "plc-1");
        assert!(b.identity_known(Peer::Mac(other), None, "hostname", "plc-1"));
        assert!(!b.identity_known(Peer::Mac(other), None, "hostname", "plc-2"));
        // Once an IP device shows that MAC, the two are one device.
        b.learn_device(Peer::Ip(ip("10.0.0.6")), Some(other), Timestamp(2));
        assert!(b.device(&Peer::Mac(other)).is_none());
        let merged = b.device(&Peer::Ip(ip("10.0.0.6"))).expect("merged");
        assert_eq!(merged.identity("hostname"), ["plc-1"]);
        assert_eq!(b.resolve(None, Some(other)), Some(Peer::Ip(ip("10.0.0.6"))));
    }
}
