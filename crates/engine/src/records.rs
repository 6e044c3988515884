//! The records the engine hands to outputs, and their JSON shape.
//!
//! One schema for every output (JSON Lines, SQLite, SIEM): each record names its kind and the
//! schema version, uses ECS field names where ECS has them (`@timestamp`, `source.ip`,
//! `destination.port`, `network.transport`), and puts protocol fields under the protocol's
//! name the way Suricata EVE does. `docs/schema.md` documents it; a test pins it.

use std::net::IpAddr;

use rampart_event::json::{self, Object};
use rampart_event::{Direction, Event, Fields, Mac, SCHEMA_VERSION, Timestamp, Value};
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

impl Side {
    fn write(&self, out: &mut Vec<u8>) {
        let mut m = Object::new(out);
        json::ip(m.key("ip"), self.ip);
        m.number("port", self.port.into());
        if let Some(mac) = self.mac {
            json::mac(m.key("mac"), mac);
        }
        if let Some((packets, bytes)) = self.counts {
            m.number("packets", packets);
            m.number("bytes", bytes);
        }
        m.end();
    }
}

struct Network<'a> {
    transport: &'a str,
    protocol: Option<&'a str>,
    vlan: u16,
    totals: Option<(u64, u64)>,
}

impl Network<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        let mut m = Object::new(out);
        m.str("transport", self.transport);
        if let Some(p) = self.protocol {
            m.str("protocol", p);
        }
        if self.vlan != 0 {
            m.number("vlan", self.vlan.into());
        }
        if let Some((packets, bytes)) = self.totals {
            m.number("packets", packets);
            m.number("bytes", bytes);
        }
        m.end();
    }
}

/// Write a value through serde_json: the parts of records that are rare enough for its
/// speed not to matter.
fn serde_value(out: &mut Vec<u8>, value: &impl Serialize) {
    let _ = serde_json::to_writer(&mut *out, value);
}

impl FlowRecord {
    /// Append the record's JSON (its line in `flows.jsonl`, without the newline) to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let c = &self.context;
        let mut m = Object::new(out);
        m.number("schema_version", SCHEMA_VERSION.into());
        m.str("record", "flow");
        json::timestamp(m.key("@timestamp"), self.start);
        m.number("flow_id", c.id);
        json::timestamp(m.key("start"), self.start);
        json::timestamp(m.key("end"), self.end);
        let duration = self.end.nanos_since(self.start) as f64 / 1e9;
        m.value("duration", &Value::F64(duration));
        Network {
            transport: c.transport,
            protocol: c.app,
            vlan: c.vlan,
            totals: Some((
                self.packets[0] + self.packets[1],
                self.bytes[0] + self.bytes[1],
            )),
        }
        .write(m.key("network"));
        let ends = [(c.client, c.client_mac), (c.server, c.server_mac)];
        for (i, (key, ((ip, port), mac))) in
            ["source", "destination"].into_iter().zip(ends).enumerate()
        {
            let counts = Some((self.packets[i], self.bytes[i]));
            Side {
                ip,
                port,
                mac,
                counts,
            }
            .write(m.key(key));
        }
        m.value("payload_bytes", &Value::U64s(&self.payload_bytes));
        if let Some(tcp) = &self.tcp {
            serde_value(m.key("tcp"), tcp);
        }
        m.str("close_reason", self.close_reason);
        m.end();
    }

    /// The record's JSON.
    pub fn to_json(&self) -> String {
        json::text(|out| self.write_json(out))
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

impl EventRecord<'_> {
    /// Append the record's JSON (its line in `events.jsonl`, without the newline) to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut m = Object::new(out);
        m.number("schema_version", SCHEMA_VERSION.into());
        m.str("record", "event");
        json::timestamp(m.key("@timestamp"), self.time);
        let (kind, _) = kind_of(self.event);
        let protocol = self.event.protocol();
        let direction = match self.event {
            Event::Record(r) => r.direction,
            _ => None,
        };
        m.str("kind", kind);
        if let Event::Record(r) = self.event {
            json::joined(m.key("dataset"), &[r.protocol, ".", r.kind]);
            if let Some(action) = r.activity {
                m.str("action", action.as_str());
            }
        }
        match self.origin {
            Origin::Flow(c) => {
                m.number("flow_id", c.id);
                Network {
                    transport: c.transport,
                    protocol: c.app.or(Some(protocol)),
                    vlan: c.vlan,
                    totals: None,
                }
                .write(m.key("network"));
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
                src.write(m.key("source"));
                dst.write(m.key("destination"));
            }
            Origin::Frame(f) => {
                Network {
                    transport: "link",
                    protocol: Some(protocol),
                    vlan: f.vlan,
                    totals: None,
                }
                .write(m.key("network"));
                mac_only(m.key("source"), f.src);
                mac_only(m.key("destination"), f.dst);
            }
            Origin::Capture => {}
        }
        self.write_body(&mut m);
        m.end();
    }

    /// The event's own member: the protocol's fields, or the identity, anomaly, module or
    /// finding.
    fn write_body(&self, m: &mut Object<'_>) {
        match self.event {
            Event::Record(r) => {
                m.str(
                    "direction",
                    r.direction.map_or("transaction", Direction::as_str),
                );
                let mut body = Object::new(m.key(r.protocol));
                body.str("kind", r.kind);
                body.fields(r.fields);
                body.end();
            }
            Event::Identity(i) => {
                let (ip, mac) = subject_address(self.origin, i.subject);
                let body = IdentityBody {
                    protocol: i.protocol,
                    subject: SubjectAddress { ip, mac },
                    attribute: i.attribute.as_str(),
                    value: i.value,
                    confidence: i.confidence.0,
                };
                serde_value(m.key("identity"), &body);
            }
            Event::Anomaly(a) => {
                let body = Labelled {
                    protocol: a.protocol,
                    code: a.code,
                    offset: a.offset,
                    detail: a.detail,
                };
                serde_value(m.key("anomaly"), &body);
            }
            Event::Module(module) => {
                let (ip, mac) = subject_address(self.origin, module.subject);
                let body = ModuleBody {
                    module,
                    subject: SubjectAddress { ip, mac },
                };
                serde_value(m.key("module"), &body);
            }
            Event::Finding(f) => {
                let (ip, mac) = subject_address(self.origin, f.subject);
                let body = FindingBody {
                    kind: f.kind.as_str(),
                    protocol: f.protocol,
                    subject: SubjectAddress { ip, mac },
                    fields: f.fields,
                };
                serde_value(m.key("finding"), &body);
            }
        }
    }

    /// The record's JSON.
    pub fn to_json(&self) -> String {
        json::text(|out| self.write_json(out))
    }
}

/// The `source` or `destination` of a link-layer event: `{"mac": …}`.
fn mac_only(out: &mut Vec<u8>, mac: Mac) {
    let mut m = Object::new(out);
    json::mac(m.key("mac"), mac);
    m.end();
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
