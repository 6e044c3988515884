//! The asset inventory: one record per device, from what flows and protocols revealed.
//!
//! Domain tier: stateful, synchronous, no I/O. The engine reports flows (once each, when they
//! end or are reported), address bindings (ARP, DHCP), link-layer frames, identity
//! observations and findings; nothing here runs per packet. [`Inventory::devices`] then
//! decides which addresses make one device:
//!
//! - on the local segment a device is its MAC, with every IP its frames carried;
//! - a MAC that carries many unrelated source IPs is a router's: the hosts behind it are keyed
//!   by IP (a router's MAC must not swallow every remote host), and the router keeps only the
//!   addresses it claimed itself in ARP or DHCP;
//! - routed addresses in public space are internet peers, summarised rather than listed;
//! - broadcast, multicast and unspecified addresses, and addresses that never sent a packet,
//!   are not devices.

#![forbid(unsafe_code)]

mod address;
mod classify;
mod device;
mod observe;

use std::collections::hash_map::Entry;
use std::net::IpAddr;

use rampart_event::{Activity, Attribute, Confidence, FindingKind, Mac, Timestamp};

/// A hash map with a fast non-cryptographic hasher: the inventory is probed per record, and
/// its keys (addresses) are not attacker-chosen in a way that matters for a bounded map.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
/// The set counterpart of [`FastMap`].
pub(crate) type FastSet<T> = std::collections::HashSet<T, ahash::RandomState>;

pub use address::{is_internet, is_unicast_host};
pub use classify::is_industrial;
pub use device::{Conversation, Device, DeviceKey, Guess, InternetPeer, InternetSummary};
pub use observe::{ActivitySummary, FindingSummary, ModuleInfo, Observed, Seen, Tally, Traffic};

use observe::{HostObs, StationObs, add_activity, add_finding, add_module, add_service};

/// Addresses tracked at most; past it new addresses are counted, not stored.
const MAX_ADDRESSES: usize = 131_072;
/// Conversations (client, server) tracked at most.
const MAX_CONVERSATIONS: usize = 131_072;
/// Services remembered per address and side.
const MAX_SERVICES: usize = 64;

/// One ended (or reported) flow, as the inventory needs it.
#[derive(Debug, Clone, Copy)]
pub struct FlowFacts {
    /// Client address.
    pub client: IpAddr,
    /// Server address.
    pub server: IpAddr,
    /// Source MAC of the client's frames.
    pub client_mac: Option<Mac>,
    /// Source MAC of the server's frames.
    pub server_mac: Option<Mac>,
    /// The service the flow used.
    pub service: Service,
    /// Packets client → server, server → client.
    pub packets: [u64; 2],
    /// Bytes client → server, server → client.
    pub bytes: [u64; 2],
    /// IP TTL of the first packet each side sent (0 when it sent none).
    pub ttl: [u8; 2],
    /// First packet.
    pub start: Timestamp,
    /// Last packet.
    pub last: Timestamp,
}

/// A service as inventories list it: the application protocol, or `transport/port` when
/// none was recognised. Copied, never allocated, so recording one costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Service {
    /// Application protocol, when detected.
    pub app: Option<&'static str>,
    /// Transport name (`tcp`, `udp`, `icmp`, …).
    pub transport: &'static str,
    /// Server port (0 without ports).
    pub port: u16,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.app {
            Some(app) => f.write_str(app),
            None if self.port == 0 => f.write_str(self.transport),
            None => write!(f, "{}/{}", self.transport, self.port),
        }
    }
}

/// Where a device is, as far as an observation says: its IP, its MAC, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Address {
    /// The IP address, when known.
    pub ip: Option<IpAddr>,
    /// The MAC address, when known.
    pub mac: Option<Mac>,
}

/// Counters the inventory reports about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InventoryStats {
    /// Addresses not tracked because the bound was reached.
    pub addresses_dropped: u64,
    /// Conversations not tracked because the bound was reached.
    pub conversations_dropped: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct ConversationKey {
    client: IpAddr,
    server: IpAddr,
}

#[derive(Debug, Clone, Default)]
struct ConversationObs {
    services: Vec<(Service, u64)>,
    packets: [u64; 2],
    bytes: [u64; 2],
    flows: u64,
    seen: Option<Seen>,
}

/// The inventory under construction.
#[derive(Debug, Default)]
pub struct Inventory {
    hosts: FastMap<IpAddr, HostObs>,
    stations: FastMap<Mac, StationObs>,
    conversations: FastMap<ConversationKey, ConversationObs>,
    vendor_of: Option<fn(Mac) -> Option<&'static str>>,
    stats: InventoryStats,
}

impl Inventory {
    /// Create an empty inventory; `vendor_of` names the maker of a MAC (the OUI registry).
    pub fn new(vendor_of: fn(Mac) -> Option<&'static str>) -> Inventory {
        Inventory {
            vendor_of: Some(vendor_of),
            ..Inventory::default()
        }
    }

    /// Return the counters so far.
    pub fn stats(&self) -> InventoryStats {
        self.stats
    }

    /// Record a flow (once, when it ends or is reported).
    ///
    /// A flow nobody answered (a scan, a flood from spoofed addresses) creates new addresses
    /// only while the inventory is less than half full, so such traffic cannot crowd out the
    /// devices that really talk; it still counts on addresses already known.
    pub fn observe_flow(&mut self, f: &FlowFacts) {
        let answered = f.packets[0] > 0 && f.packets[1] > 0;
        let may_create = answered || !is_unicast_host(f.server) || self.below_half();
        let sides = [
            (f.client, f.client_mac, 0usize),
            (f.server, f.server_mac, 1usize),
        ];
        for (ip, mac, i) in sides {
            let sent = f.packets[i] > 0;
            if !is_unicast_host(ip) {
                continue;
            }
            let Some(host) = self.host(ip, f.start, may_create) else {
                continue;
            };
            host.seen.extend(f.start, f.last);
            host.traffic.add(&Traffic {
                packets_sent: f.packets[i],
                packets_received: f.packets[1 - i],
                bytes_sent: f.bytes[i],
                bytes_received: f.bytes[1 - i],
            });
            if sent && f.ttl[i] > 0 {
                host.ttl.note(f.ttl[i]);
            }
            if i == 0 {
                add_service(&mut host.client_of, f.service);
            } else if sent {
                add_service(&mut host.server_of, f.service);
            }
            if let (true, Some(mac)) = (sent, mac) {
                host.note_mac(mac);
                if let Some(station) = self.station(mac, f.start, may_create) {
                    station.seen.extend(f.start, f.last);
                    station.note_ip(ip);
                    station.carried.packets_sent += f.packets[i];
                    station.carried.bytes_sent += f.bytes[i];
                    station.carried.packets_received += f.packets[1 - i];
                    station.carried.bytes_received += f.bytes[1 - i];
                }
            }
        }
        self.note_conversation(f, may_create);
    }

    fn below_half(&self) -> bool {
        self.hosts.len() + self.stations.len() < MAX_ADDRESSES / 2
    }

    /// Record a frame that is not IP (ARP, LLDP, Profinet, …) sent by `src`.
    pub fn observe_frame(
        &mut self,
        src: Mac,
        dst: Mac,
        protocol: &str,
        wire_len: u32,
        time: Timestamp,
    ) {
        if let Some(station) = self.station(src, time, true) {
            station.seen.extend(time, time);
            station.l2_traffic.packets_sent += 1;
            station.l2_traffic.bytes_sent += u64::from(wire_len);
            if !station.l2_protocols.contains(protocol) {
                station.l2_protocols.insert(protocol.to_string());
            }
        }
        if !dst.is_group()
            && let Some(station) = self.stations.get_mut(&dst)
        {
            station.l2_traffic.packets_received += 1;
            station.l2_traffic.bytes_received += u64::from(wire_len);
        }
    }

    /// Record that `mac` claimed `ip` as its own (an ARP sender, a DHCP lease); return whether
    /// the binding is new.
    pub fn observe_binding(&mut self, ip: IpAddr, mac: Mac, time: Timestamp) -> bool {
        if !is_unicast_host(ip) || mac.is_group() || mac == Mac::default() {
            return false;
        }
        let mut new = false;
        if let Some(station) = self.station(mac, time, true) {
            station.seen.extend(time, time);
            if !station.claimed.contains(&ip) && station.claimed.len() < observe::MAX_IPS_PER_MAC {
                station.claimed.push(ip);
                new = true;
            }
        }
        if let Some(host) = self.host(ip, time, true) {
            host.seen.extend(time, time);
            observe::remember(&mut host.claimed_by, mac, observe::MAX_MACS_PER_IP);
        }
        new
    }

    /// Record an identity observation about the device at `at`; return whether it told
    /// something new about the device.
    pub fn observe_identity(
        &mut self,
        at: Address,
        attribute: Attribute,
        value: &str,
        protocol: &str,
        confidence: Confidence,
        time: Timestamp,
    ) -> bool {
        let attributes = match (
            at.ip.filter(|ip| is_unicast_host(*ip)),
            at.mac.filter(|m| !m.is_group()),
        ) {
            (Some(ip), _) => self.host(ip, time, true).map(|h| &mut h.attributes),
            (None, Some(mac)) => self.station(mac, time, true).map(|s| &mut s.attributes),
            (None, None) => None,
        };
        attributes.is_some_and(|a| a.add(attribute, value, protocol, confidence, time))
    }

    /// Record a security finding about the device at `at`.
    pub fn observe_finding(
        &mut self,
        at: Address,
        kind: FindingKind,
        protocol: &str,
        detail: &str,
        time: Timestamp,
    ) {
        match (
            at.ip.filter(|ip| is_unicast_host(*ip)),
            at.mac.filter(|m| !m.is_group()),
        ) {
            (Some(ip), _) => {
                if let Some(host) = self.host(ip, time, true) {
                    add_finding(&mut host.findings, kind, protocol, detail, time);
                }
            }
            (None, Some(mac)) => {
                if let Some(station) = self.station(mac, time, true) {
                    add_finding(&mut station.findings, kind, protocol, detail, time);
                }
            }
            (None, None) => {}
        }
    }

    /// Record a module of the device at `at` (a CPU, a card in its rack).
    pub fn observe_module(&mut self, at: Address, module: &ModuleInfo, time: Timestamp) {
        match (
            at.ip.filter(|ip| is_unicast_host(*ip)),
            at.mac.filter(|m| !m.is_group()),
        ) {
            (Some(ip), _) => {
                if let Some(host) = self.host(ip, time, true) {
                    add_module(&mut host.modules, module);
                }
            }
            (None, Some(mac)) => {
                if let Some(station) = self.station(mac, time, true) {
                    add_module(&mut station.modules, module);
                }
            }
            (None, None) => {}
        }
    }

    /// Record that `client` performed `activity` on `server` (a program download, a write, a
    /// stop): on both sides, which is what classification reads. Runs per message, so it
    /// allocates only for a combination not seen before.
    pub fn observe_activity(
        &mut self,
        client: Address,
        server: Address,
        activity: Activity,
        protocol: &str,
        time: Timestamp,
    ) {
        let once = Tally {
            count: 1,
            first: time,
            last: time,
        };
        self.observe_activities(client, server, activity, protocol, once);
    }

    /// Record `tally.count` messages of one activity between `client` and `server` at once:
    /// what the engine tallied over a flow, so the inventory is touched per flow, not per
    /// message.
    pub fn observe_activities(
        &mut self,
        client: Address,
        server: Address,
        activity: Activity,
        protocol: &str,
        tally: Tally,
    ) {
        let time = tally.first;
        for (me, other, performed) in [(client, server, true), (server, client, false)] {
            let list = match (
                me.ip.filter(|ip| is_unicast_host(*ip)),
                me.mac.filter(|m| !m.is_group()),
            ) {
                (Some(ip), _) => self.host(ip, time, true).map(|h| &mut h.activities),
                (None, Some(mac)) => self.station(mac, time, true).map(|s| &mut s.activities),
                (None, None) => None,
            };
            if let Some(list) = list {
                add_activity(list, activity, protocol, performed, other.ip, tally);
            }
        }
    }

    /// The host at `ip`, created when `may_create` and there is room.
    fn host(&mut self, ip: IpAddr, time: Timestamp, may_create: bool) -> Option<&mut HostObs> {
        let room = may_create && self.hosts.len() + self.stations.len() < MAX_ADDRESSES;
        let dropped = &mut self.stats.addresses_dropped;
        find_or_create(&mut self.hosts, ip, room, dropped, || HostObs::new(time))
    }

    fn station(&mut self, mac: Mac, time: Timestamp, may_create: bool) -> Option<&mut StationObs> {
        if mac.is_group() || mac == Mac::default() {
            return None;
        }
        let room = may_create && self.hosts.len() + self.stations.len() < MAX_ADDRESSES;
        let dropped = &mut self.stats.addresses_dropped;
        find_or_create(&mut self.stations, mac, room, dropped, || {
            StationObs::new(time)
        })
    }

    fn note_conversation(&mut self, f: &FlowFacts, may_create: bool) {
        let key = ConversationKey {
            client: f.client,
            server: f.server,
        };
        if !self.conversations.contains_key(&key)
            && (!may_create || self.conversations.len() >= MAX_CONVERSATIONS)
        {
            self.stats.conversations_dropped += 1;
            return;
        }
        let c = self.conversations.entry(key).or_default();
        if let Some((_, n)) = c.services.iter_mut().find(|(s, _)| *s == f.service) {
            *n += 1;
        } else if c.services.len() < MAX_SERVICES {
            c.services.push((f.service, 1));
        }
        c.flows += 1;
        for i in 0..2 {
            c.packets[i] += f.packets[i];
            c.bytes[i] += f.bytes[i];
        }
        match &mut c.seen {
            Some(seen) => seen.extend(f.start, f.last),
            None => {
                c.seen = Some(Seen {
                    first: f.start,
                    last: f.last,
                })
            }
        }
    }

    /// Decide the devices from everything observed, sorted by key.
    pub fn devices(&self) -> Vec<Device> {
        device::build(self)
    }

    /// Return the device-level conversations and the internet summary.
    pub fn conversations(&self) -> (Vec<Conversation>, InternetSummary) {
        device::conversations(self)
    }
}

/// The entry of `key`, created by `new` when there is `room`, else counted in `dropped`. One
/// hash lookup: this runs for most events.
fn find_or_create<'m, K: std::hash::Hash + Eq, V>(
    map: &'m mut FastMap<K, V>,
    key: K,
    room: bool,
    dropped: &mut u64,
    new: impl FnOnce() -> V,
) -> Option<&'m mut V> {
    match map.entry(key) {
        Entry::Occupied(e) => Some(e.into_mut()),
        Entry::Vacant(e) if room => Some(e.insert(new())),
        Entry::Vacant(_) => {
            *dropped += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests;
