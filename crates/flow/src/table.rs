//! The bidirectional flow table.
//!
//! Flows live in a slab (a `Vec` with a free list) indexed by a hash map from the normalised
//! 5-tuple + VLAN, so a lookup is one hash probe and a flow never moves while it lives. The
//! table has a hard size: when it is full the least recently active of a small sample of flows
//! is evicted (approximate LRU, as Redis does) and the eviction is counted. Timeouts are
//! checked incrementally, a few slots per packet, so expiry costs O(1) per packet whatever the
//! table size, and the output order depends only on the input.

use std::net::IpAddr;

use hashbrown::HashMap;
use rampart_event::{Direction, Mac, Timestamp};

use crate::reassembly::Stream;

/// One end of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// IP address.
    pub ip: IpAddr,
    /// Port (0 for protocols without ports).
    pub port: u16,
}

/// The normalised identity of a flow: the lower endpoint first.
///
/// Packed into integers rather than holding two [`Endpoint`]s: the table hashes and compares
/// a key on every packet, and an `IpAddr` enum hashes field by field (discriminant, length,
/// bytes) where this hashes three words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowKey {
    low: u128,
    high: u128,
    /// Both ports, the protocol, the VLAN and the address family.
    rest: u64,
}

impl FlowKey {
    /// Build the key of a packet from `a` to `b`.
    pub fn new(a: Endpoint, b: Endpoint, protocol: u8, vlan: u16) -> FlowKey {
        let (a_ip, a_v6) = packed_ip(a.ip);
        let (b_ip, b_v6) = packed_ip(b.ip);
        let ((low, low_port), (high, high_port)) = if (a_ip, a.port) <= (b_ip, b.port) {
            ((a_ip, a.port), (b_ip, b.port))
        } else {
            ((b_ip, b.port), (a_ip, a.port))
        };
        let family = u64::from(a_v6) | u64::from(b_v6) << 1;
        let rest = u64::from(low_port) << 48
            | u64::from(high_port) << 32
            | u64::from(vlan) << 16
            | u64::from(protocol) << 8
            | family;
        FlowKey { low, high, rest }
    }
}

impl std::hash::Hash for FlowKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u128(self.low);
        state.write_u128(self.high);
        state.write_u64(self.rest);
    }
}

/// An address as one integer, and whether it is IPv6 (so that `::a.b.c.d` and `a.b.c.d`
/// stay apart).
#[inline]
fn packed_ip(ip: IpAddr) -> (u128, bool) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), false),
        IpAddr::V6(v6) => (u128::from(v6), true),
    }
}

/// Timeouts and bounds of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowConfig {
    /// Flows held at once; past it the least recently active is evicted.
    pub max_flows: usize,
    /// Idle timeout of an established TCP connection (seconds). OT sessions poll every few
    /// seconds for months, so this only ends connections that really went quiet.
    pub tcp_idle_secs: u64,
    /// How long a TCP connection lingers after FIN/RST, to count the last ACKs.
    pub tcp_closed_secs: u64,
    /// Idle timeout of a connection that never completed its handshake.
    pub tcp_embryonic_secs: u64,
    /// Idle timeout of UDP flows.
    pub udp_idle_secs: u64,
    /// Idle timeout of other IP protocols (ICMP, …).
    pub other_idle_secs: u64,
    /// After this long a flow still active is reported (an interim record) and goes on.
    pub active_secs: u64,
    /// Bytes of out-of-order TCP data buffered per direction before declaring a gap.
    pub reassembly_buffer: usize,
}

impl Default for FlowConfig {
    fn default() -> FlowConfig {
        FlowConfig {
            max_flows: 131_072,
            tcp_idle_secs: 3600,
            tcp_closed_secs: 10,
            tcp_embryonic_secs: 30,
            udp_idle_secs: 180,
            other_idle_secs: 60,
            active_secs: 3600,
            reassembly_buffer: 256 * 1024,
        }
    }
}

/// Why a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CloseReason {
    /// Both sides sent FIN.
    Fin,
    /// A side sent RST.
    Rst,
    /// No packet for the idle timeout.
    Idle,
    /// The table was full and this flow was the least recently active.
    Evicted,
    /// A new connection reused the same addresses and ports.
    Reused,
    /// The capture ended.
    EndOfCapture,
}

impl CloseReason {
    /// Name the reason the way flow records spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Fin => "fin",
            CloseReason::Rst => "rst",
            CloseReason::Idle => "idle_timeout",
            CloseReason::Evicted => "evicted",
            CloseReason::Reused => "port_reuse",
            CloseReason::EndOfCapture => "end_of_capture",
        }
    }
}

/// TCP handshake and teardown seen so far, per direction (client, server).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpTrack {
    /// SYN seen from the client / SYN-ACK from the server.
    pub syn: [bool; 2],
    /// FIN seen per direction.
    pub fin: [bool; 2],
    /// RST seen per direction.
    pub rst: [bool; 2],
    /// Payload seen per direction.
    pub data: [bool; 2],
    /// True when the first packet seen was not a SYN: the connection predates the capture.
    pub midstream: bool,
}

impl TcpTrack {
    /// Tell whether the connection is over (both FINs, or a RST).
    pub fn closed(&self) -> bool {
        self.rst[0] || self.rst[1] || (self.fin[0] && self.fin[1])
    }

    /// Summarise the connection the way Zeek's `conn_state` does, so analysts can read it.
    pub fn conn_state(&self) -> &'static str {
        let established = self.syn[0] && self.syn[1];
        match () {
            _ if self.midstream => "OTH",
            _ if self.syn[0] && !self.syn[1] && self.rst[1] => "REJ",
            _ if self.syn[0] && !self.syn[1] => "S0",
            _ if established && self.rst[0] => "RSTO",
            _ if established && self.rst[1] => "RSTR",
            _ if established && self.fin[0] && self.fin[1] => "SF",
            _ if established && (self.fin[0] || self.fin[1]) => "S2",
            _ if established => "S1",
            _ => "OTH",
        }
    }
}

/// One bidirectional flow and the caller's per-flow state `T`.
#[derive(Debug)]
pub struct Flow<T> {
    /// A sequence number, unique within the run, in order of creation.
    pub id: u64,
    /// The initiator.
    pub client: Endpoint,
    /// The responder.
    pub server: Endpoint,
    /// The client's MAC as last seen on its frames.
    pub client_mac: Option<Mac>,
    /// The server's MAC as last seen on its frames.
    pub server_mac: Option<Mac>,
    /// IP protocol number.
    pub protocol: u8,
    /// VLAN id (0 when untagged).
    pub vlan: u16,
    /// First packet.
    pub start: Timestamp,
    /// Last packet.
    pub last: Timestamp,
    /// Packets per direction (to server, to client).
    pub packets: [u64; 2],
    /// Frame bytes on the wire per direction.
    pub bytes: [u64; 2],
    /// Transport payload bytes per direction.
    pub payload_bytes: [u64; 2],
    /// TCP handshake and teardown.
    pub tcp: TcpTrack,
    /// Reassembly per direction (to server, to client); unused for UDP.
    pub streams: [Stream; 2],
    /// The caller's state (dissector sessions, device references, …).
    pub data: T,
}

impl<T> Flow<T> {
    /// Swap client and server: for a connection picked up mid-stream whose payload shows that
    /// the guess from its ports was wrong.
    pub fn flip(&mut self) {
        std::mem::swap(&mut self.client, &mut self.server);
        std::mem::swap(&mut self.client_mac, &mut self.server_mac);
        self.packets.swap(0, 1);
        self.bytes.swap(0, 1);
        self.payload_bytes.swap(0, 1);
        self.tcp.syn.swap(0, 1);
        self.tcp.fin.swap(0, 1);
        self.tcp.rst.swap(0, 1);
        self.tcp.data.swap(0, 1);
        self.streams.swap(0, 1);
    }

    /// Return the direction of a packet sent from `src`.
    pub fn direction_from(&self, src: Endpoint) -> Direction {
        if src == self.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        }
    }

    /// Return the idle timeout that applies now, in nanoseconds.
    fn idle_limit(&self, config: &FlowConfig) -> u64 {
        let secs = match self.protocol {
            6 if self.tcp.closed() => config.tcp_closed_secs,
            6 if !(self.tcp.syn[1] || self.tcp.midstream) => config.tcp_embryonic_secs,
            6 => config.tcp_idle_secs,
            17 => config.udp_idle_secs,
            _ => config.other_idle_secs,
        };
        secs * 1_000_000_000
    }
}

/// Return the array index of a direction.
pub fn side(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

/// What the table needs to know about a packet to find or create its flow.
#[derive(Debug, Clone, Copy)]
pub struct PacketKey {
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// IP protocol number.
    pub protocol: u8,
    /// VLAN id.
    pub vlan: u16,
    /// TCP flags, when TCP.
    pub tcp_flags: Option<u8>,
    /// Capture time.
    pub time: Timestamp,
}

/// Counters a run reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Flows created.
    pub created: u64,
    /// Flows evicted because the table was full.
    pub evicted: u64,
    /// Flows ended by a timeout.
    pub timed_out: u64,
    /// Most flows held at once.
    pub peak: usize,
}

/// The flow table.
pub struct FlowTable<T> {
    config: FlowConfig,
    index: HashMap<FlowKey, u32, ahash::RandomState>,
    slots: Vec<Option<Flow<T>>>,
    /// When each slot's flow times out if no packet comes ([`FREE`] when the slot is free),
    /// beside the slots so that the sweep reads a dense array instead of touching every flow.
    deadlines: Vec<u64>,
    /// When each slot's flow was last reported (created, or the active timeout), likewise.
    reports: Vec<u64>,
    free: Vec<u32>,
    next_id: u64,
    cursor: usize,
    stats: TableStats,
}

/// Slots examined for timeouts per packet.
const SWEEP_PER_PACKET: usize = 2;
/// The last-packet time of a free slot.
const FREE: u64 = u64::MAX;
/// Flows sampled to pick an eviction victim.
const EVICTION_SAMPLE: usize = 8;

impl<T> FlowTable<T> {
    /// Create an empty table.
    pub fn new(config: FlowConfig) -> FlowTable<T> {
        FlowTable {
            config,
            index: HashMap::with_hasher(ahash::RandomState::new()),
            slots: Vec::new(),
            deadlines: Vec::new(),
            reports: Vec::new(),
            free: Vec::new(),
            next_id: 0,
            cursor: 0,
            stats: TableStats::default(),
        }
    }

    /// Return the configuration.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// Return the counters so far.
    pub fn stats(&self) -> TableStats {
        self.stats
    }

    /// Return how many flows are live.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Tell whether no flow is live.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Find the flow of `packet`, creating it (with `data`) when new. `is_service_port` says
    /// whether a port is a known server port, to orient connections picked up mid-stream.
    /// Flows that end on the way (timeouts, eviction, port reuse) are handed to `ended`.
    /// Returns the flow's slot and whether the flow is new.
    pub fn find_or_create(
        &mut self,
        packet: &PacketKey,
        is_service_port: &dyn Fn(u16) -> bool,
        new_data: &mut dyn FnMut() -> T,
        ended: &mut dyn FnMut(Flow<T>, CloseReason),
    ) -> (usize, bool) {
        self.sweep(packet.time, SWEEP_PER_PACKET, ended);
        let key = FlowKey::new(packet.src, packet.dst, packet.protocol, packet.vlan);
        if let Some(&slot) = self.index.get(&key) {
            let slot = slot as usize;
            if !self.reused(slot, packet) {
                return (slot, false);
            }
            if let Some(old) = self.remove(slot) {
                ended(old, CloseReason::Reused);
            }
        }
        if self.index.len() >= self.config.max_flows.max(1) {
            self.evict(packet.time, ended);
        }
        let flow = self.new_flow(packet, is_service_port, new_data());
        let last = flow.last.0;
        let deadline = last.saturating_add(flow.idle_limit(&self.config));
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(flow);
                self.deadlines[slot as usize] = deadline;
                self.reports[slot as usize] = last;
                slot
            }
            None => {
                self.slots.push(Some(flow));
                self.deadlines.push(deadline);
                self.reports.push(last);
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(key, slot);
        self.stats.created += 1;
        self.stats.peak = self.stats.peak.max(self.index.len());
        (slot as usize, true)
    }

    /// Return the flow in `slot`.
    pub fn get_mut(&mut self, slot: usize) -> Option<&mut Flow<T>> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    /// Record a packet of the flow in `slot` at `time` (after its TCP state was updated, which
    /// decides the idle timeout), and return the flow.
    pub fn touch(&mut self, slot: usize, time: Timestamp) -> Option<&mut Flow<T>> {
        let flow = self.slots.get_mut(slot).and_then(Option::as_mut)?;
        flow.last = flow.last.max(time);
        if let Some(deadline) = self.deadlines.get_mut(slot) {
            *deadline = flow.last.0.saturating_add(flow.idle_limit(&self.config));
        }
        Some(flow)
    }

    /// Examine up to `budget` slots and end the flows whose timeout has passed.
    ///
    /// Inline because it runs on every packet and almost never finds a flow due: the loop is
    /// a few comparisons on the dense deadline array, and the rare ending is out of line.
    #[inline]
    pub fn sweep(
        &mut self,
        now: Timestamp,
        budget: usize,
        ended: &mut dyn FnMut(Flow<T>, CloseReason),
    ) {
        for _ in 0..budget.min(self.deadlines.len()) {
            self.cursor += 1;
            if self.cursor >= self.deadlines.len() {
                self.cursor = 0;
            }
            // A free slot's deadline is FREE (u64::MAX), which no time passes.
            if now.0 > self.deadlines[self.cursor] {
                self.time_out(self.cursor, ended);
            }
        }
    }

    /// End the flow in `slot`, whose idle timeout has passed.
    #[cold]
    #[inline(never)]
    fn time_out(&mut self, slot: usize, ended: &mut dyn FnMut(Flow<T>, CloseReason)) {
        if let Some(flow) = self.remove(slot) {
            self.stats.timed_out += 1;
            let reason = close_reason_on_timeout(&flow);
            ended(flow, reason);
        }
    }

    /// Return the flows whose active timeout passed since they were last reported, marking
    /// them reported at `now`. Checks the slot just swept, so it is O(1) per call.
    pub fn due_for_report(&mut self, now: Timestamp) -> Option<&mut Flow<T>> {
        let active = self.config.active_secs * 1_000_000_000;
        let reported = *self.reports.get(self.cursor)?;
        if reported == FREE || now.0.saturating_sub(reported) <= active {
            return None;
        }
        self.reports[self.cursor] = now.0;
        self.slots.get_mut(self.cursor)?.as_mut()
    }

    /// End every flow (end of capture), in creation order.
    pub fn drain(&mut self, ended: &mut dyn FnMut(Flow<T>, CloseReason)) {
        let mut flows: Vec<Flow<T>> = self.slots.drain(..).flatten().collect();
        self.deadlines.clear();
        self.reports.clear();
        self.index.clear();
        self.free.clear();
        self.cursor = 0;
        flows.sort_by_key(|f| f.id);
        for flow in flows {
            let reason = match flow.protocol {
                6 if flow.tcp.rst[0] || flow.tcp.rst[1] => CloseReason::Rst,
                6 if flow.tcp.closed() => CloseReason::Fin,
                _ => CloseReason::EndOfCapture,
            };
            ended(flow, reason);
        }
    }

    /// Tell whether `packet` opens a new connection on the addresses of the flow in `slot`.
    fn reused(&self, slot: usize, packet: &PacketKey) -> bool {
        let Some(flow) = self.slots[slot].as_ref() else {
            return false;
        };
        let Some(flags) = packet.tcp_flags else {
            return false;
        };
        let syn_only = flags & 0x12 == 0x02;
        syn_only && flow.tcp.closed()
    }

    fn remove(&mut self, slot: usize) -> Option<Flow<T>> {
        let flow = self.slots.get_mut(slot)?.take()?;
        self.deadlines[slot] = FREE;
        self.reports[slot] = FREE;
        let key = FlowKey::new(flow.client, flow.server, flow.protocol, flow.vlan);
        self.index.remove(&key);
        self.free.push(slot as u32);
        Some(flow)
    }

    fn evict(&mut self, now: Timestamp, ended: &mut dyn FnMut(Flow<T>, CloseReason)) {
        self.sweep(now, EVICTION_SAMPLE, ended);
        if self.index.len() < self.config.max_flows.max(1) {
            return;
        }
        let n = self.slots.len();
        let victim = (0..n)
            .map(|i| (self.cursor + i) % n)
            .filter(|&slot| self.deadlines[slot] != FREE)
            .filter_map(|slot| self.slots[slot].as_ref().map(|f| (slot, f.last)))
            .take(EVICTION_SAMPLE)
            .min_by_key(|&(_, last)| last)
            .map(|(slot, _)| slot);
        if let Some(flow) = victim.and_then(|slot| self.remove(slot)) {
            self.stats.evicted += 1;
            ended(flow, CloseReason::Evicted);
        }
    }

    fn new_flow(
        &mut self,
        p: &PacketKey,
        is_service_port: &dyn Fn(u16) -> bool,
        data: T,
    ) -> Flow<T> {
        let src_is_client = match p.tcp_flags {
            Some(flags) if flags & 0x12 == 0x02 => true,
            Some(flags) if flags & 0x12 == 0x12 => false,
            _ => src_looks_like_client(p.src.port, p.dst.port, is_service_port),
        };
        let (client, server) = if src_is_client {
            (p.src, p.dst)
        } else {
            (p.dst, p.src)
        };
        let id = self.next_id;
        self.next_id += 1;
        Flow {
            id,
            client,
            server,
            client_mac: None,
            server_mac: None,
            protocol: p.protocol,
            vlan: p.vlan,
            start: p.time,
            last: p.time,
            packets: [0; 2],
            bytes: [0; 2],
            payload_bytes: [0; 2],
            tcp: TcpTrack {
                midstream: p.tcp_flags.is_some_and(|f| f & 0x02 == 0),
                ..TcpTrack::default()
            },
            streams: [Stream::default(), Stream::default()],
            data,
        }
    }
}

fn close_reason_on_timeout<T>(flow: &Flow<T>) -> CloseReason {
    match flow.protocol {
        6 if flow.tcp.rst[0] || flow.tcp.rst[1] => CloseReason::Rst,
        6 if flow.tcp.closed() => CloseReason::Fin,
        _ => CloseReason::Idle,
    }
}

/// Guess, for a flow whose first packet says nothing, whether its sender is the client: a
/// known service port marks the server; otherwise the lower port usually is.
fn src_looks_like_client(
    src_port: u16,
    dst_port: u16,
    is_service_port: &dyn Fn(u16) -> bool,
) -> bool {
    match (is_service_port(src_port), is_service_port(dst_port)) {
        (false, true) => true,
        (true, false) => false,
        _ if src_port == dst_port => true,
        _ => dst_port < src_port,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            port,
        }
    }

    fn packet(src: Endpoint, dst: Endpoint, flags: Option<u8>, secs: u64) -> PacketKey {
        PacketKey {
            src,
            dst,
            protocol: if flags.is_some() { 6 } else { 17 },
            vlan: 0,
            tcp_flags: flags,
            time: Timestamp::from_parts(secs, 0),
        }
    }

    fn no_service(_: u16) -> bool {
        false
    }

    #[test]
    fn keys_are_the_same_both_ways_and_keep_families_ports_and_vlans_apart() {
        let v4 = Endpoint {
            ip: IpAddr::from([10, 0, 0, 1]),
            port: 502,
        };
        let compatible_v6 = Endpoint {
            ip: IpAddr::from(std::net::Ipv6Addr::from(0x0a00_0001_u128)),
            port: 502,
        };
        let peer = ep(2, 40000);
        assert_eq!(FlowKey::new(v4, peer, 6, 0), FlowKey::new(peer, v4, 6, 0));
        assert_ne!(
            FlowKey::new(v4, peer, 6, 0),
            FlowKey::new(compatible_v6, peer, 6, 0)
        );
        assert_ne!(
            FlowKey::new(v4, peer, 6, 0),
            FlowKey::new(v4, ep(2, 40001), 6, 0)
        );
        assert_ne!(FlowKey::new(v4, peer, 6, 0), FlowKey::new(v4, peer, 17, 0));
        assert_ne!(FlowKey::new(v4, peer, 6, 0), FlowKey::new(v4, peer, 6, 7));
        let (a, b) = (ep(1, 2), ep(2, 1));
        assert_ne!(
            FlowKey::new(a, b, 6, 0),
            FlowKey::new(ep(1, 1), ep(2, 2), 6, 0)
        );
    }

    #[test]
    fn one_flow_for_both_directions_oriented_by_syn() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default());
        let mut ended = |_: Flow<()>, _| panic!("nothing ends");
        let (a, new_a) = t.find_or_create(
            &packet(ep(1, 40000), ep(2, 502), Some(0x02), 0),
            &no_service,
            &mut || (),
            &mut ended,
        );
        let (b, new_b) = t.find_or_create(
            &packet(ep(2, 502), ep(1, 40000), Some(0x12), 0),
            &no_service,
            &mut || (),
            &mut ended,
        );
        assert_eq!((a, new_a, new_b), (b, true, false));
        let flow = t.get_mut(a).expect("live");
        assert_eq!(flow.client, ep(1, 40000));
        assert_eq!(flow.direction_from(ep(2, 502)), Direction::ToClient);
    }

    #[test]
    fn orients_midstream_connection_by_service_port() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default());
        let (slot, _) = t.find_or_create(
            &packet(ep(2, 502), ep(1, 40000), Some(0x18), 0),
            &|p| p == 502,
            &mut || (),
            &mut |_, _| {},
        );
        let flow = t.get_mut(slot).expect("live");
        assert_eq!(flow.server, ep(2, 502));
        assert!(flow.tcp.midstream);
    }

    #[test]
    fn flipping_swaps_every_per_side_counter() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default());
        let (slot, _) = t.find_or_create(
            &packet(ep(2, 39976), ep(1, 64000), Some(0x18), 0),
            &no_service,
            &mut || (),
            &mut |_, _| {},
        );
        let flow = t.get_mut(slot).expect("live");
        assert_eq!(
            flow.server,
            ep(2, 39976),
            "the lower port was guessed to be the server"
        );
        flow.packets = [1, 0];
        flow.flip();
        assert_eq!((flow.client, flow.server), (ep(2, 39976), ep(1, 64000)));
        assert_eq!(flow.packets, [0, 1]);
        assert_eq!(flow.direction_from(ep(2, 39976)), Direction::ToServer);
    }

    #[test]
    fn new_syn_after_close_starts_a_new_flow() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default());
        let mut reasons = Vec::new();
        let p = packet(ep(1, 40000), ep(2, 80), Some(0x02), 0);
        let (slot, _) = t.find_or_create(&p, &no_service, &mut || (), &mut |_, r| reasons.push(r));
        t.get_mut(slot).expect("live").tcp.rst[1] = true;
        let (_, new) = t.find_or_create(&p, &no_service, &mut || (), &mut |_, r| reasons.push(r));
        assert!(new);
        assert_eq!(reasons, vec![CloseReason::Reused]);
    }

    #[test]
    fn times_out_idle_flows_incrementally() {
        let mut t: FlowTable<()> = FlowTable::new(FlowConfig::default());
        let mut ended = Vec::new();
        t.find_or_create(
            &packet(ep(1, 5000), ep(2, 53), None, 0),
            &no_service,
            &mut || (),
            &mut |f, r| ended.push((f.id, r)),
        );
        t.find_or_create(
            &packet(ep(3, 5000), ep(2, 53), None, 1000),
            &no_service,
            &mut || (),
            &mut |f, r| ended.push((f.id, r)),
        );
        assert_eq!(ended, vec![(0, CloseReason::Idle)]);
        assert_eq!(t.stats().timed_out, 1);
    }

    #[test]
    fn stays_within_max_flows_under_a_flood_and_counts_evictions() {
        let config = FlowConfig {
            max_flows: 100,
            ..FlowConfig::default()
        };
        let mut t: FlowTable<()> = FlowTable::new(config);
        let mut evicted = 0;
        for port in 0..10_000u16 {
            t.find_or_create(
                &packet(ep(1, port), ep(2, 80), Some(0x02), 1),
                &no_service,
                &mut || (),
                &mut |_, r| {
                    if r == CloseReason::Evicted {
                        evicted += 1;
                    }
                },
            );
            assert!(t.len() <= 100);
        }
        assert_eq!(evicted, 9_900);
        assert_eq!(t.stats().evicted, 9_900);
        assert!(
            t.slots.len() <= 100,
            "the slab does not grow past the bound"
        );
    }

    #[test]
    fn reports_a_long_lived_flow_once_per_active_timeout() {
        let config = FlowConfig {
            active_secs: 60,
            ..FlowConfig::default()
        };
        let mut t: FlowTable<()> = FlowTable::new(config);
        let p = packet(ep(1, 40000), ep(2, 502), Some(0x02), 0);
        let (slot, _) = t.find_or_create(&p, &no_service, &mut || (), &mut |_, _| {});
        t.cursor = slot;
        assert!(t.due_for_report(Timestamp::from_parts(30, 0)).is_none());
        assert!(t.due_for_report(Timestamp::from_parts(61, 0)).is_some());
        assert!(
            t.due_for_report(Timestamp::from_parts(90, 0)).is_none(),
            "reported at 61 s"
        );
        assert!(t.due_for_report(Timestamp::from_parts(122, 0)).is_some());
    }

    #[test]
    fn summarises_connection_state_like_zeek() {
        let mut track = TcpTrack::default();
        track.syn[0] = true;
        assert_eq!(track.conn_state(), "S0");
        track.rst[1] = true;
        assert_eq!(track.conn_state(), "REJ");
        let done = TcpTrack {
            syn: [true, true],
            fin: [true, true],
            ..TcpTrack::default()
        };
        assert_eq!(done.conn_state(), "SF");
    }
}
