//! The records the engine hands to outputs, and their JSON shape.
//!
//! One schema for every output (JSON Lines, SQLite, SIEM): each record names its kind and the
//! schema version, uses ECS field names where ECS has them (`@timestamp`, `source.ip`,
//! `destination.port`, `network.transport`), and puts protocol fields under the protocol's
//! name the way Suricata EVE does. `docs/schema.md` documents it; a test pins it.

use std::net::IpAddr;

use rampart_event::{Direction, Event, Fields, Mac, SCHEMA_VERSION, Timestamp};
pub use rampart_event::{FlowContext, FrameContext, Origin, subject_address};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// One event with its time and origin.
#[derive(Debug, Clone, Copy)]
pub struct EventRecord<'a> {
    /// Capture time of the packet that produced it.
    pub time: Timestamp,
    /// Where it came from.
    pub origin: &'a Origin,
    /// The event.
    pub event: &'a Event<'a>,
}

/// TCP details of a flow record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TcpSummary {
    /// Zeek-style connection state (`S0`, `SF`, `REJ`, `OTH`, …).
    pub conn_state: &'static str,
    /// True when the connection began before the capture.
    pub midstream: bool,
    /// Bytes never seen (capture loss), client → server, server → client.
    pub gap_bytes: [u64; 2],
    /// Retransmitted segments per direction.
    pub retransmissions: [u32; 2],
    /// Out-of-order segments per direction.
    pub out_of_order: [u32; 2],
}

/// One flow, when it ends or when its active timeout reports it.
#[derive(Debug, Clone, Copy)]
pub struct FlowRecord {
    /// The addressing.
    pub context: FlowContext,
    /// First packet.
    pub start: Timestamp,
    /// Last packet.
    pub end: Timestamp,
    /// Packets client → server, server → client.
    pub packets: [u64; 2],
    /// Frame bytes client → server, server → client.
    pub bytes: [u64; 2],
    /// Transport payload bytes client → server, server → client.
    pub payload_bytes: [u64; 2],
    /// TCP details.
    pub tcp: Option<TcpSummary>,
    /// Why it ended (`fin`, `rst`, `idle_timeout`, `evicted`, …), or `active` for an interim report.
    pub close_reason: &'static str,
}

struct Side {
    ip: IpAddr,
    port: u16,
    mac: Option<Mac>,
    counts: Option<(u64, u64)>,
}

impl Serialize for Side {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ip", &self.ip)?;
        m.serialize_entry("port", &self.port)?;
        if let Some(mac) = self.mac {
            m.serialize_entry("mac", &mac)?;
        }
        if let Some((packets, bytes)) = self.counts {
            m.serialize_entry("packets", &packets)?;
            m.serialize_entry("bytes", &bytes)?;
        }
        m.end()
    }
}

struct Network<'a> {
    transport: &'a str,
    protocol: Option<&'a str>,
    vlan: u16,
    totals: Option<(u64, u64)>,
}

impl Serialize for Network<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("transport", self.transport)?;
        if let Some(p) = self.protocol {
            m.serialize_entry("protocol", p)?;
        }
        if self.vlan != 0 {
            m.serialize_entry("vlan", &self.vlan)?;
        }
        if let Some((packets, bytes)) = self.totals {
            m.serialize_entry("packets", &packets)?;
            m.serialize_entry("bytes", &bytes)?;
        }
        m.end()
    }
}

impl Serialize for FlowRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = &self.context;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema_version", &SCHEMA_VERSION)?;
        m.serialize_entry("record", "flow")?;
        m.serialize_entry("@timestamp", &self.start)?;
        m.serialize_entry("flow_id", &c.id)?;
        m.serialize_entry("start", &self.start)?;
        m.serialize_entry("end", &self.end)?;
        let duration = self.end.nanos_since(self.start) as f64 / 1e9;
        m.serialize_entry("duration", &duration)?;
        m.serialize_entry(
            "network",
            &Network {
                transport: c.transport,
                protocol: c.app,
                vlan: c.vlan,
                totals: Some((
                    self.packets[0] + self.packets[1],
                    self.bytes[0] + self.bytes[1],
                )),
            },
        )?;
        m.serialize_entry(
            "source",
            &Side {
                ip: c.client.0,
                port: c.client.1,
                mac: c.client_mac,
                counts: Some((self.packets[0], self.bytes[0])),
            },
        )?;
        m.serialize_entry(
            "destination",
            &Side {
                ip: c.server.0,
                port: c.server.1,
                mac: c.server_mac,
                counts: Some((self.packets[1], self.bytes[1])),
            },
        )?;
        m.serialize_entry("payload_bytes", &self.payload_bytes)?;
        if let Some(tcp) = &self.tcp {
            m.serialize_entry("tcp", tcp)?;
        }
        m.serialize_entry("close_reason", self.close_reason)?;
        m.end()
    }
}

/// The JSON object of an identity or finding subject.
struct SubjectAddress {
    ip: Option<IpAddr>,
    mac: Option<Mac>,
}

impl Serialize for SubjectAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(ip) = self.ip {
            m.serialize_entry("ip", &ip)?;
        }
        if let Some(mac) = self.mac {
            m.serialize_entry("mac", &mac)?;
        }
        m.end()
    }
}

struct Labelled<'a> {
    protocol: &'a str,
    code: &'a str,
    offset: Option<usize>,
    detail: &'a dyn std::fmt::Display,
}

impl Serialize for Labelled<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("protocol", self.protocol)?;
        m.serialize_entry("code", self.code)?;
        if let Some(offset) = self.offset {
            m.serialize_entry("offset", &offset)?;
        }
        m.serialize_entry("detail", &format_args!("{}", self.detail))?;
        m.end()
    }
}

struct FindingBody<'a> {
    kind: &'a str,
    protocol: &'a str,
    subject: SubjectAddress,
    fields: Fields<'a>,
}

impl Serialize for FindingBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.kind)?;
        m.serialize_entry("protocol", self.protocol)?;
        m.serialize_entry("subject", &self.subject)?;
        for (name, value) in self.fields.0 {
            m.serialize_entry(name, value)?;
        }
        m.end()
    }
}

struct IdentityBody<'a> {
    protocol: &'a str,
    subject: SubjectAddress,
    attribute: &'a str,
    value: &'a str,
    confidence: u8,
}

impl Serialize for IdentityBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("protocol", self.protocol)?;
        m.serialize_entry("subject", &self.subject)?;
        m.serialize_entry("attribute", self.attribute)?;
        m.serialize_entry("value", self.value)?;
        m.serialize_entry("confidence", &self.confidence)?;
        m.end()
    }
}

struct ModuleBody<'a> {
    module: &'a rampart_event::Module<'a>,
    subject: SubjectAddress,
}

impl Serialize for ModuleBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let module = self.module;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("protocol", module.protocol)?;
        m.serialize_entry("subject", &self.subject)?;
        if let Some(rack) = module.rack {
            m.serialize_entry("rack", &rack)?;
        }
        if let Some(slot) = module.slot {
            m.serialize_entry("slot", &slot)?;
        }
        let texts = [
            ("kind", module.kind),
            ("model", module.model),
            ("order_number", module.order_number),
            ("firmware", module.firmware),
            ("hardware", module.hardware),
            ("serial", module.serial),
        ];
        for (name, value) in texts.into_iter().filter(|(_, v)| !v.is_empty()) {
            m.serialize_entry(name, value)?;
        }
        m.end()
    }
}

/// The kind and dataset (`dns.query`) of an event, as the records name them.
pub fn kind_of(event: &Event<'_>) -> (&'static str, &'static str) {
    match event {
        Event::Record(_) => ("protocol", "record"),
        Event::Identity(_) => ("identity", "identity"),
        Event::Anomaly(_) => ("anomaly", "anomaly"),
        Event::Finding(_) => ("finding", "finding"),
        Event::Module(_) => ("module", "module"),
    }
}

impl Serialize for EventRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema_version", &SCHEMA_VERSION)?;
        m.serialize_entry("record", "event")?;
        m.serialize_entry("@timestamp", &self.time)?;
        let (kind, _) = kind_of(self.event);
        let protocol = self.event.protocol();
        let direction = match self.event {
            Event::Record(r) => r.direction,
            _ => None,
        };
        m.serialize_entry("kind", kind)?;
        if let Event::Record(r) = self.event {
            m.serialize_entry("dataset", &format_args!("{}.{}", r.protocol, r.kind))?;
            if let Some(action) = r.activity {
                m.serialize_entry("action", &action)?;
            }
        }
        match self.origin {
            Origin::Flow(c) => {
                m.serialize_entry("flow_id", &c.id)?;
                m.serialize_entry(
                    "network",
                    &Network {
                        transport: c.transport,
                        protocol: c.app.or(Some(protocol)),
                        vlan: c.vlan,
                        totals: None,
                    },
                )?;
                let client = Side {
                    ip: c.client.0,
                    port: c.client.1,
                    mac: c.client_mac,
                    counts: None,
                };
                let server = Side {
                    ip: c.server.0,
                    port: c.server.1,
                    mac: c.server_mac,
                    counts: None,
                };
                let (src, dst) = match direction {
                    Some(Direction::ToClient) => (server, client),
                    _ => (client, server),
                };
                m.serialize_entry("source", &src)?;
                m.serialize_entry("destination", &dst)?;
            }
            Origin::Frame(f) => {
                m.serialize_entry(
                    "network",
                    &Network {
                        transport: "link",
                        protocol: Some(protocol),
                        vlan: f.vlan,
                        totals: None,
                    },
                )?;
                m.serialize_entry("source", &MacOnly(f.src))?;
                m.serialize_entry("destination", &MacOnly(f.dst))?;
            }
            Origin::Capture => {}
        }
        match self.event {
            Event::Record(r) => {
                m.serialize_entry(
                    "direction",
                    r.direction.map_or("transaction", Direction::as_str),
                )?;
                m.serialize_entry(r.protocol, &RecordBody(r.kind, r.fields))?;
            }
            Event::Identity(i) => {
                let (ip, mac) = subject_address(self.origin, i.subject);
                m.serialize_entry(
                    "identity",
                    &IdentityBody {
                        protocol: i.protocol,
                        subject: SubjectAddress { ip, mac },
                        attribute: i.attribute.as_str(),
                        value: i.value,
                        confidence: i.confidence.0,
                    },
                )?;
            }
            Event::Anomaly(a) => {
                m.serialize_entry(
                    "anomaly",
                    &Labelled {
                        protocol: a.protocol,
                        code: a.code,
                        offset: a.offset,
                        detail: a.detail,
                    },
                )?;
            }
            Event::Module(module) => {
                let (ip, mac) = subject_address(self.origin, module.subject);
                m.serialize_entry(
                    "module",
                    &ModuleBody {
                        module,
                        subject: SubjectAddress { ip, mac },
                    },
                )?;
            }
            Event::Finding(f) => {
                let (ip, mac) = subject_address(self.origin, f.subject);
                m.serialize_entry(
                    "finding",
                    &FindingBody {
                        kind: f.kind.as_str(),
                        protocol: f.protocol,
                        subject: SubjectAddress { ip, mac },
                        fields: f.fields,
                    },
                )?;
            }
        }
        m.end()
    }
}

struct MacOnly(Mac);

impl Serialize for MacOnly {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("mac", &self.0)?;
        m.end()
    }
}

/// A protocol record's body: its kind plus its fields.
struct RecordBody<'a>(&'a str, Fields<'a>);

impl Serialize for RecordBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.0)?;
        for (name, value) in self.1.0 {
            m.serialize_entry(name, value)?;
        }
        m.end()
    }
}

/// Where the engine sends records as they happen.
pub trait RecordSink {
    /// Take an ended (or reported) flow.
    fn flow(&mut self, record: &FlowRecord);
    /// Take an event.
    fn event(&mut self, record: &EventRecord<'_>);
    /// Flush what is buffered and report the first error met while writing.
    fn finish(&mut self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }
}

/// A sink that drops everything (benchmarks of the pipeline alone).
#[derive(Debug, Default)]
pub struct NullSink;

impl RecordSink for NullSink {
    fn flow(&mut self, _: &FlowRecord) {}
    fn event(&mut self, _: &EventRecord<'_>) {}
}
