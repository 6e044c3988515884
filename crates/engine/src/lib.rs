//! The sensor pipeline, wired: frames in; flows, events, inventory and counters out.
//!
//! One [`Engine`] owns one shard of the traffic: its flow table, reassembly, dissector sessions
//! and inventory. The per-packet path is synchronous and allocation-free once a flow exists:
//! decode (borrowed views), one hash probe into the flow table, reassembly that hands out
//! slices of the packet, and dissectors that emit borrowed events. Allocation happens per flow
//! (its dissector state), per out-of-order segment, and per record a consumer decides to keep.

#![forbid(unsafe_code)]

mod app;
mod records;
mod registry;
mod route;
mod stats;

use rampart_detect::{Detection, FlowEnd, Observation, Stored};
use rampart_dissect::{Frame, Transport as Carrier};
use rampart_event::{Direction, Mac, Timestamp};
use rampart_flow::{CloseReason, Delivery, Endpoint, Flow, FlowConfig, FlowTable, PacketKey, side};
use rampart_inventory::{Conversation, Device, FlowFacts, InternetSummary, Inventory, Service};
use rampart_packet::{
    DecodeProblem, DefragLimits, DefragOutcome, Defragmenter, IpHeader, Network, Transport, decode,
    decode_transport, tcp_flags,
};

pub use app::{App, FlowState};
pub use records::{
    EventRecord, FlowContext, FlowRecord, FrameContext, NullSink, Origin, RecordSink, TcpSummary,
};
pub use registry::Registry;
pub use route::{ANOMALY_EVENTS_PER_KIND, Endpoints, Outputs};
pub use stats::{Layer, ProtocolCount, Stats};

use route::Emitter;

/// Settings of one engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineConfig {
    /// Flow table bounds and timeouts.
    pub flow: FlowConfig,
    /// IP reassembly budget.
    pub defrag: DefragLimits,
}

/// What a run produced beyond the streamed records.
#[derive(Debug)]
pub struct Report {
    /// Counters.
    pub stats: Stats,
    /// The inventory.
    pub devices: Vec<Device>,
    /// Device-level conversations.
    pub conversations: Vec<Conversation>,
    /// Internet peers.
    pub internet: InternetSummary,
    /// Addresses seen.
    pub endpoints: Endpoints,
    /// Detection's alerts and evidence, when it was on.
    pub detection: Option<Detection>,
    /// What the devices and conversations were built from, held rather than freed when the
    /// run ends: freeing it is the holder's to time (a command about to exit need not).
    _observations: Inventory,
}

/// The pipeline for one shard of traffic.
pub struct Engine {
    registry: Registry,
    flows: FlowTable<FlowState>,
    defrag: Defragmenter,
    out: Outputs,
    scratch: Vec<u8>,
}

/// One IP packet's transport, ready for the flow table.
struct Segment<'a> {
    time: Timestamp,
    ip: IpHeader<'a>,
    src_mac: Option<Mac>,
    dst_mac: Option<Mac>,
    vlan: u16,
    transport: Transport<'a>,
    frames: u64,
    wire_bytes: u64,
    /// False for the accounting of a first fragment, whose payload arrives with the rest of
    /// the datagram: the packet counts, nothing is delivered.
    deliver: bool,
}

fn transport_name(protocol: u8) -> &'static str {
    match protocol {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        58 => "icmpv6",
        2 => "igmp",
        47 => "gre",
        50 => "esp",
        89 => "ospf",
        112 => "vrrp",
        132 => "sctp",
        _ => "ip",
    }
}

impl Engine {
    /// Create an engine with the built-in protocols, sending records to `sink`.
    pub fn new(config: EngineConfig, sink: Box<dyn RecordSink>) -> Engine {
        Engine::with_registry(config, Registry::builtin(), sink)
    }

    /// Create an engine with the protocols of `registry` (built-ins and plugins).
    pub fn with_registry(
        config: EngineConfig,
        registry: Registry,
        sink: Box<dyn RecordSink>,
    ) -> Engine {
        Engine {
            registry,
            flows: FlowTable::new(config.flow),
            defrag: Defragmenter::new(config.defrag),
            out: Outputs {
                stats: Stats::default(),
                inventory: Inventory::new(rampart_oui::vendor),
                sink,
                endpoints: Endpoints::default(),
                detection: None,
                activities: Default::default(),
            },
            scratch: Vec::new(),
        }
    }

    /// Turn detection on: every packet and observation goes through `detection` too.
    pub fn with_detection(mut self, detection: Detection) -> Engine {
        self.out.detection = Some(detection);
        self
    }

    /// The detection, when it is on: to take the alerts it opened as they happen.
    pub fn detection_mut(&mut self) -> Option<&mut Detection> {
        self.out.detection.as_mut()
    }

    /// Return the counters so far.
    pub fn stats(&self) -> &Stats {
        &self.out.stats
    }

    /// Process one captured frame of link type `link_type`, `wire_len` bytes long on the wire.
    pub fn packet(&mut self, time: Timestamp, link_type: u16, data: &[u8], wire_len: u32) {
        self.packet_stored(time, link_type, data, wire_len, None);
    }

    /// [`Engine::packet`] for a frame whose bytes can be read again where `stored` says
    /// (a capture file named to [`Detection::evidence_file`]): the evidence ring keeps that
    /// place instead of a copy.
    pub fn packet_stored(
        &mut self,
        time: Timestamp,
        link_type: u16,
        data: &[u8],
        wire_len: u32,
        stored: Option<Stored>,
    ) {
        let stats = &mut self.out.stats;
        stats.packets += 1;
        stats.bytes += u64::from(wire_len);
        stats.first_packet = Some(stats.first_packet.map_or(time, |t| t.min(time)));
        stats.last_packet = Some(stats.last_packet.map_or(time, |t| t.max(time)));
        if let Some(detection) = &mut self.out.detection {
            detection.packet(time, link_type, data, wire_len, stored);
        }
        let d = decode(link_type, data);
        if d.src_mac.is_some() {
            stats.layer(Layer::Ethernet);
        }
        if d.vlans[0] != 0 {
            stats.layer(Layer::Vlan);
        }
        if let Some(problem) = d.problem {
            self.decode_problem(time, problem);
        }
        match d.network {
            Network::Ip(ip) => {
                let segment = Segment {
                    time,
                    ip,
                    src_mac: d.src_mac,
                    dst_mac: d.dst_mac,
                    vlan: d.vlan(),
                    transport: d.transport,
                    frames: 1,
                    wire_bytes: u64::from(wire_len),
                    deliver: true,
                };
                self.ip(segment);
            }
            Network::EtherType {
                ether_type,
                payload,
            } => {
                let registration = self.registry.frame_for_ether_type(ether_type);
                let name = registration.map_or(registry::ether_type_name(ether_type), |r| r.name);
                self.frame(time, &d, name, registration, payload, wire_len);
            }
            Network::Llc {
                dsap,
                snap,
                payload,
                ..
            } => {
                let registration =
                    snap.and_then(|(oui, pid)| self.registry.frame_for_snap(oui, pid));
                let name = registration.map_or(registry::llc_name(dsap, snap), |r| r.name);
                self.frame(time, &d, name, registration, payload, wire_len);
            }
            Network::None => {}
        }
        self.report_active(time);
    }

    /// Record a name a pcapng name resolution block gives to an address: what the capturing
    /// host's resolver knew, worth keeping as a host name of middling confidence.
    pub fn name_record(&mut self, ip: std::net::IpAddr, name: &str, time: Timestamp) {
        self.out.inventory.observe_identity(
            rampart_inventory::Address {
                ip: Some(ip),
                mac: None,
            },
            rampart_event::Attribute::Hostname,
            name,
            "pcapng",
            rampart_event::Confidence(50),
            time,
        );
    }

    /// Record a capture-file problem (truncation, corruption) as an anomaly event.
    pub fn capture_error(&mut self, time: Timestamp, code: &str, detail: &dyn std::fmt::Display) {
        self.out.stats.capture_errors += 1;
        let mut emitter = Emitter {
            outputs: &mut self.out,
            origin: Origin::Capture,
            time,
        };
        rampart_dissect::report(&mut emitter, "capture", code, None, detail);
    }

    /// End every flow and build the report; returns the sink for final writes.
    pub fn finish(mut self) -> (Report, Box<dyn RecordSink>) {
        let out = &mut self.out;
        let registry = &self.registry;
        self.flows
            .drain(&mut |flow, reason| end_flow(out, registry, flow, reason));
        let last = self.out.stats.last_packet.unwrap_or_default();
        if let Some(detection) = &mut self.out.detection {
            detection.finish(last);
        }
        let mut stats = std::mem::take(&mut self.out.stats);
        stats.flows = self.flows.stats();
        stats.reassembly = self.defrag.stats();
        stats.inventory = self.out.inventory.stats();
        stats.plugins = self.registry.plugin_reports();
        let (conversations, internet) = self.out.inventory.conversations();
        let report = Report {
            stats,
            devices: self.out.inventory.devices(),
            conversations,
            internet,
            endpoints: std::mem::take(&mut self.out.endpoints),
            detection: self.out.detection.take(),
            _observations: std::mem::take(&mut self.out.inventory),
        };
        (report, self.out.sink)
    }

    fn decode_problem(&mut self, time: Timestamp, problem: DecodeProblem) {
        let key = format!("{}.{}", problem.layer, problem.code);
        *self.out.stats.decode_problems.entry(key).or_default() += 1;
        let mut emitter = Emitter {
            outputs: &mut self.out,
            origin: Origin::Capture,
            time,
        };
        rampart_dissect::report(
            &mut emitter,
            problem.layer,
            problem.code,
            Some(problem.offset),
            &format_args!(
                "{} header could not be decoded at frame offset {}",
                problem.layer, problem.offset
            ),
        );
    }

    fn frame(
        &mut self,
        time: Timestamp,
        d: &rampart_packet::Decoded<'_>,
        name: &'static str,
        registration: Option<&'static rampart_dissect::FrameRegistration>,
        payload: &[u8],
        wire_len: u32,
    ) {
        self.out.stats.protocol(name, 1, 1);
        let (Some(src), Some(dst)) = (d.src_mac, d.dst_mac) else {
            return;
        };
        self.out.endpoints.mac(Some(src));
        self.out.endpoints.mac(Some(dst));
        self.out
            .inventory
            .observe_frame(src, dst, name, wire_len, time);
        if let Some(registration) = registration {
            let frame = Frame {
                src,
                dst,
                vlan: (d.vlan() != 0).then_some(d.vlan()),
                payload,
            };
            let mut emitter = Emitter {
                outputs: &mut self.out,
                origin: Origin::Frame(FrameContext {
                    src,
                    dst,
                    vlan: d.vlan(),
                }),
                time,
            };
            (registration.dissect)(&frame, &mut emitter);
        }
    }

    fn ip(&mut self, segment: Segment<'_>) {
        let stats = &mut self.out.stats;
        stats.layer(if segment.ip.src.is_ipv4() {
            Layer::Ipv4
        } else {
            Layer::Ipv6
        });
        let Some(fragment) = segment.ip.fragment else {
            self.transport(segment);
            return;
        };
        stats.layer(Layer::Fragment);
        let ip = segment.ip;
        // A first fragment carries the transport header: count the frame in its flow now, so
        // the flow is right even when later fragments never arrive.
        let accounted = fragment.offset == 0
            && match decode_transport(ip.protocol, ip.src.is_ipv6(), fragment.payload) {
                Ok(Transport::None) | Err(_) => false,
                Ok(transport) => {
                    self.transport(Segment {
                        transport,
                        deliver: false,
                        ..segment
                    });
                    true
                }
            };
        if !accounted {
            self.out.endpoints.ip(ip.src);
            self.out.endpoints.ip(ip.dst);
        }
        let mut buffer = std::mem::take(&mut self.scratch);
        buffer.clear();
        let complete = match self.defrag.add(
            ip.src,
            ip.dst,
            ip.protocol,
            segment.vlan,
            &fragment,
            segment.wire_bytes as u32,
            accounted,
            segment.time.0,
        ) {
            DefragOutcome::Complete {
                payload,
                frames,
                wire_bytes,
            } => {
                buffer.extend_from_slice(payload);
                Some((frames, wire_bytes))
            }
            DefragOutcome::Incomplete | DefragOutcome::Oversized => None,
        };
        if self.defrag.last_overlapped() {
            let mut emitter = Emitter {
                outputs: &mut self.out,
                origin: Origin::Capture,
                time: segment.time,
            };
            rampart_dissect::report(
                &mut emitter,
                if ip.src.is_ipv4() { "ipv4" } else { "ipv6" },
                "overlapping_fragments",
                Some(usize::from(fragment.offset)),
                &format_args!(
                    "fragment of datagram {} from {} overlaps bytes already received",
                    fragment.id, ip.src
                ),
            );
        }
        if let Some((frames, wire_bytes)) = complete {
            match decode_transport(ip.protocol, ip.src.is_ipv6(), &buffer) {
                Ok(transport) => self.transport(Segment {
                    transport,
                    frames,
                    wire_bytes,
                    deliver: true,
                    ..segment
                }),
                Err(problem) => self.decode_problem(segment.time, problem),
            }
        }
        self.scratch = buffer;
    }

    fn transport(&mut self, s: Segment<'_>) {
        let (src_port, dst_port, tcp, payload, layer) = match s.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port, Some(t), t.payload, Layer::Tcp),
            Transport::Udp {
                src_port,
                dst_port,
                payload,
            } => (src_port, dst_port, None, payload, Layer::Udp),
            Transport::Icmp { v6, .. } => (
                0,
                0,
                None,
                &[][..],
                if v6 { Layer::Icmpv6 } else { Layer::Icmp },
            ),
            Transport::Other(_) => (0, 0, None, &[][..], Layer::OtherIp),
            Transport::None => {
                // No flow will name these addresses (an undecodable transport header).
                self.out.endpoints.ip(s.ip.src);
                self.out.endpoints.ip(s.ip.dst);
                return;
            }
        };
        self.out.stats.layer(layer);
        let key = PacketKey {
            src: Endpoint {
                ip: s.ip.src,
                port: src_port,
            },
            dst: Endpoint {
                ip: s.ip.dst,
                port: dst_port,
            },
            protocol: s.ip.protocol,
            vlan: s.vlan,
            tcp_flags: tcp.map(|t| t.flags),
            time: s.time,
        };
        let Engine {
            registry,
            flows,
            out,
            ..
        } = self;
        let cap = flows.config().reassembly_buffer;
        let (slot, created) = flows.find_or_create(
            &key,
            &|port| registry.is_service_port(port),
            &mut FlowState::default,
            &mut |flow, reason| end_flow(out, registry, flow, reason),
        );
        let Some(flow) = flows.get_mut(slot) else {
            return;
        };
        let mut dir = flow.direction_from(key.src);
        let midstream = flow.tcp.midstream || (tcp.is_none() && flow.packets == [0, 0]);
        let carrier_guess = if tcp.is_some() {
            Carrier::Tcp
        } else {
            Carrier::Udp
        };
        // A datagram to a broadcast or multicast address is never an answer: its sender is
        // the client whatever a probe thinks of the payload's direction.
        let to_group = s.dst_mac.is_some_and(Mac::is_group) || s.ip.dst.is_multicast();
        if midstream
            && !to_group
            && flow
                .data
                .seen_backwards(carrier_guess, dir, payload, registry)
        {
            flow.flip();
            flow.data.ttl.swap(0, 1);
            flow.data.dst_mac.swap(0, 1);
            dir = dir.reverse();
        }
        if let Some(detection) = &mut out.detection {
            detection.packet_flow(flow.id);
            if created {
                detection.observe(s.time, &Observation::FlowStart(&context_of(flow)));
            }
        }
        let i = side(dir);
        flow.packets[i] += s.frames;
        flow.bytes[i] += s.wire_bytes;
        flow.payload_bytes[i] += payload.len() as u64;
        if flow.data.ttl[i] == 0 {
            flow.data.ttl[i] = s.ip.ttl;
        }
        let (sender_mac, receiver_mac) = match dir {
            Direction::ToServer => (&mut flow.client_mac, &mut flow.server_mac),
            Direction::ToClient => (&mut flow.server_mac, &mut flow.client_mac),
        };
        if let Some(mac) = s.src_mac {
            *sender_mac = Some(mac);
        }
        if let Some(mac) = s.dst_mac.filter(|m| !m.is_group()) {
            *receiver_mac = Some(mac);
        }
        if s.dst_mac != flow.data.dst_mac[i] {
            out.endpoints.mac(s.dst_mac);
            flow.data.dst_mac[i] = s.dst_mac;
        }
        if let (Some(t), true) = (tcp, s.deliver) {
            track_tcp(&mut flow.tcp, i, t.flags, !payload.is_empty());
        }
        // Touch after the TCP state is updated: a FIN or RST shortens the idle timeout.
        let Some(flow) = flows.touch(slot, s.time) else {
            return;
        };
        if !s.deliver {
            return;
        }
        let carrier = match (tcp, s.ip.protocol) {
            (Some(_), _) => Carrier::Tcp,
            (None, 17) => Carrier::Udp,
            _ => return,
        };
        if !flow.data.wants_payload() {
            return;
        }
        let ports = (flow.server.port, flow.client.port);
        match tcp {
            Some(t) => {
                let (syn, fin) = (t.has(tcp_flags::SYN), t.has(tcp_flags::FIN));
                // An empty segment delivers nothing unless it acknowledges data held back
                // behind a hole; most such packets are bare ACKs, which skip the emitter.
                let acknowledges = t.has(tcp_flags::ACK) && flow.streams[1 - i].buffered() > 0;
                if payload.is_empty() && !acknowledges {
                    flow.streams[i].segment(t.seq, syn, fin, payload, cap, &mut |_| {});
                    return;
                }
                let mut emitter = flow_emitter(out, flow, s.time);
                let Flow { streams, data, .. } = flow;
                let [to_server, to_client] = streams;
                let (mine, theirs) = if i == 0 {
                    (to_server, to_client)
                } else {
                    (to_client, to_server)
                };
                // The acknowledgement first: what this segment acknowledges was sent before
                // it, so a request stuck behind a capture hole reaches the dissector before
                // the response that acknowledges it.
                if acknowledges {
                    let mut deliver_back = |d: Delivery<'_>| match d {
                        Delivery::Data(bytes) => {
                            data.data(ports, carrier, dir.reverse(), bytes, registry, &mut emitter)
                        }
                        Delivery::Gap(len) => data.gap(dir.reverse(), len, &mut emitter),
                    };
                    theirs.acknowledged(t.ack, &mut deliver_back);
                }
                let mut deliver = |d: Delivery<'_>| match d {
                    Delivery::Data(bytes) => {
                        data.data(ports, carrier, dir, bytes, registry, &mut emitter)
                    }
                    Delivery::Gap(len) => data.gap(dir, len, &mut emitter),
                };
                mine.segment(t.seq, syn, fin, payload, cap, &mut deliver);
            }
            None => {
                if !payload.is_empty() {
                    let mut emitter = flow_emitter(out, flow, s.time);
                    flow.data
                        .data(ports, carrier, dir, payload, registry, &mut emitter);
                }
            }
        }
    }

    fn report_active(&mut self, now: Timestamp) {
        if let Some(flow) = self.flows.due_for_report(now) {
            let record = flow_record(flow, "active");
            self.out.sink.flow(&record);
        }
    }
}

fn track_tcp(track: &mut rampart_flow::TcpTrack, i: usize, flags: u8, data: bool) {
    if flags & tcp_flags::SYN != 0 {
        track.syn[i] = true;
    }
    if flags & tcp_flags::FIN != 0 {
        track.fin[i] = true;
    }
    if flags & tcp_flags::RST != 0 {
        track.rst[i] = true;
    }
    if data {
        track.data[i] = true;
    }
}

/// Where the events of a packet of `flow` at `time` go.
#[inline]
fn flow_emitter<'o>(
    outputs: &'o mut Outputs,
    flow: &Flow<FlowState>,
    time: Timestamp,
) -> Emitter<'o> {
    Emitter {
        outputs,
        origin: Origin::Flow(context_of(flow)),
        time,
    }
}

fn context_of(flow: &Flow<FlowState>) -> FlowContext {
    FlowContext {
        id: flow.id,
        transport: transport_name(flow.protocol),
        app: flow.data.app_name(),
        client: (flow.client.ip, flow.client.port),
        server: (flow.server.ip, flow.server.port),
        client_mac: flow.client_mac,
        server_mac: flow.server_mac,
        vlan: flow.vlan,
    }
}

fn flow_record(flow: &Flow<FlowState>, close_reason: &'static str) -> FlowRecord {
    let tcp = (flow.protocol == 6).then(|| {
        let [a, b] = [flow.streams[0].stats(), flow.streams[1].stats()];
        TcpSummary {
            conn_state: flow.tcp.conn_state(),
            midstream: flow.tcp.midstream,
            gap_bytes: [a.gap_bytes, b.gap_bytes],
            retransmissions: [a.retransmissions, b.retransmissions],
            out_of_order: [a.out_of_order, b.out_of_order],
        }
    });
    FlowRecord {
        context: context_of(flow),
        start: flow.start,
        end: flow.last,
        packets: flow.packets,
        bytes: flow.bytes,
        payload_bytes: flow.payload_bytes,
        tcp,
        close_reason,
    }
}

/// Finish a flow: flush reassembly, close its dissector, write its record, feed the inventory.
fn end_flow(
    out: &mut Outputs,
    registry: &Registry,
    mut flow: Flow<FlowState>,
    reason: CloseReason,
) {
    let mut emitter = flow_emitter(out, &flow, flow.last);
    if flow.protocol == 6 && flow.data.wants_payload() {
        let ports = (flow.server.port, flow.client.port);
        let Flow { streams, data, .. } = &mut flow;
        for (i, stream) in streams.iter_mut().enumerate() {
            let dir = if i == 0 {
                Direction::ToServer
            } else {
                Direction::ToClient
            };
            stream.flush(&mut |d| match d {
                Delivery::Data(bytes) => {
                    data.data(ports, Carrier::Tcp, dir, bytes, registry, &mut emitter)
                }
                Delivery::Gap(len) => data.gap(dir, len, &mut emitter),
            });
        }
    }
    flow.data.close(&mut emitter);
    out.activities.flush(&mut out.inventory, flow.id);
    let record = flow_record(&flow, reason.as_str());
    out.sink.flow(&record);
    if let Some(detection) = &mut out.detection {
        let end = FlowEnd {
            context: record.context,
            start: record.start,
            end: record.end,
            packets: record.packets,
            bytes: record.bytes,
            conn_state: record.tcp.map(|t| t.conn_state),
        };
        detection.observe(flow.last, &Observation::FlowEnd(&end));
    }
    let transport = transport_name(flow.protocol);
    let app = flow.data.app_name();
    let packets = flow.packets[0] + flow.packets[1];
    out.stats.protocol(app.unwrap_or(transport), 1, packets);
    out.endpoints.ip(flow.client.ip);
    out.endpoints.ip(flow.server.ip);
    out.endpoints.mac(flow.client_mac);
    out.endpoints.mac(flow.server_mac);
    out.inventory.observe_flow(&FlowFacts {
        client: flow.client.ip,
        server: flow.server.ip,
        client_mac: flow.client_mac,
        server_mac: flow.server_mac,
        service: Service {
            app,
            transport,
            port: flow.server.port,
        },
        packets: flow.packets,
        bytes: flow.bytes,
        ttl: flow.data.ttl,
        start: flow.start,
        last: flow.last,
    });
}
