//! JSON shapes of the end-of-run records: devices, conversations, the run summary.
//!
//! Flow and event records are shaped in the engine, which streams them; these are shaped here
//! because only outputs build them, once, from the report. Every record carries
//! `schema_version` and `record`, as the streamed ones do.

use std::collections::BTreeMap;

use rampart_engine::{Report, Stats};
use rampart_event::{Attribute, SCHEMA_VERSION};
use rampart_forward::ForwardStats;
use rampart_inventory::{
    ActivitySummary, Conversation, Device, FindingSummary, Guess, InternetSummary, ModuleInfo,
    Observed, Seen,
};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

struct SeenFields<'a>(&'a Seen);

struct ObservedList<'a>(&'a [Observed]);

impl Serialize for ObservedList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for o in self.0 {
            seq.serialize_element(&ObservedJson(o))?;
        }
        seq.end()
    }
}

struct ObservedJson<'a>(&'a Observed);

impl Serialize for ObservedJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("value", &o.value)?;
        m.serialize_entry("sources", o.sources.as_slice())?;
        m.serialize_entry("confidence", &o.confidence.0)?;
        m.serialize_entry("count", &o.count)?;
        m.serialize_entry("first_seen", &o.seen.first)?;
        m.serialize_entry("last_seen", &o.seen.last)?;
        m.end()
    }
}

impl Serialize for SeenFields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("first_seen", &self.0.first)?;
        m.serialize_entry("last_seen", &self.0.last)?;
        m.end()
    }
}

struct GuessJson<'a>(&'a Guess);

impl Serialize for GuessJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("value", &self.0.value)?;
        m.serialize_entry("confidence", &self.0.confidence.0)?;
        m.serialize_entry("evidence", &self.0.evidence)?;
        m.end()
    }
}

struct Addresses<'a, A: Serialize>(&'a [(A, Seen)], &'static str);

impl<A: Serialize> Serialize for Addresses<'_, A> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (address, seen) in self.0 {
            seq.serialize_element(&AddressJson(address, seen, self.1))?;
        }
        seq.end()
    }
}

struct AddressJson<'a, A: Serialize>(&'a A, &'a Seen, &'static str);

impl<A: Serialize> Serialize for AddressJson<'_, A> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry(self.2, self.0)?;
        m.serialize_entry("first_seen", &self.1.first)?;
        m.serialize_entry("last_seen", &self.1.last)?;
        m.end()
    }
}

struct Findings<'a>(&'a [FindingSummary]);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for f in self.0 {
            seq.serialize_element(&FindingJson(f))?;
        }
        seq.end()
    }
}

struct FindingJson<'a>(&'a FindingSummary);

impl Serialize for FindingJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", f.kind.as_str())?;
        m.serialize_entry("protocol", &f.protocol)?;
        m.serialize_entry("detail", &f.detail)?;
        m.serialize_entry("count", &f.count)?;
        m.serialize_entry("first_seen", &f.seen.first)?;
        m.serialize_entry("last_seen", &f.seen.last)?;
        m.end()
    }
}

struct AttributeMap<'a>(&'a BTreeMap<Attribute, Vec<Observed>>);

impl Serialize for AttributeMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (attribute, list) in self.0 {
            m.serialize_entry(attribute.as_str(), &ObservedList(list))?;
        }
        m.end()
    }
}

/// A device as a `devices.jsonl` line.
pub struct DeviceJson<'a>(pub &'a Device);

impl Serialize for DeviceJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema_version", &SCHEMA_VERSION)?;
        m.serialize_entry("record", "device")?;
        m.serialize_entry("@timestamp", &d.seen.last)?;
        m.serialize_entry("device_id", &d.id())?;
        m.serialize_entry("macs", &Addresses(&d.macs, "mac"))?;
        m.serialize_entry("ips", &Addresses(&d.ips, "ip"))?;
        if let Some(v) = &d.vendor {
            m.serialize_entry("vendor", &GuessJson(v))?;
        }
        m.serialize_entry("hostnames", &ObservedList(&d.hostnames))?;
        if let Some(os) = &d.os {
            m.serialize_entry("os", &GuessJson(os))?;
        }
        if let Some(t) = &d.device_type {
            m.serialize_entry("device_type", &GuessJson(t))?;
        }
        if let Some(category) = d.category {
            m.serialize_entry("category", category)?;
        }
        if let Some(level) = d.purdue_level {
            m.serialize_entry("purdue_level", &level)?;
        }
        m.serialize_entry("identity", &IdentityJson(d))?;
        m.serialize_entry("roles", &d.roles)?;
        m.serialize_entry("modules", &Modules(&d.modules))?;
        m.serialize_entry("attributes", &AttributeMap(&d.attributes))?;
        m.serialize_entry(
            "protocols",
            &Protocols {
                client: &d.client_of,
                server: &d.server_of,
                link: &d.l2_protocols,
            },
        )?;
        m.serialize_entry("forwards_traffic", &d.forwards)?;
        m.serialize_entry("first_seen", &d.seen.first)?;
        m.serialize_entry("last_seen", &d.seen.last)?;
        m.serialize_entry("packets_sent", &d.traffic.packets_sent)?;
        m.serialize_entry("packets_received", &d.traffic.packets_received)?;
        m.serialize_entry("bytes_sent", &d.traffic.bytes_sent)?;
        m.serialize_entry("bytes_received", &d.traffic.bytes_received)?;
        m.serialize_entry("peers", &d.peers)?;
        m.serialize_entry("findings", &Findings(&d.findings))?;
        m.serialize_entry("activities", &Activities(&d.activities))?;
        m.end()
    }
}

/// The identity attributes an inventory shows in columns, each the strongest value seen
/// (the PLC mode: the latest), beside the full lists in `attributes`.
const IDENTITY_COLUMNS: [Attribute; 7] = [
    Attribute::Model,
    Attribute::ProductCode,
    Attribute::Firmware,
    Attribute::HardwareVersion,
    Attribute::Serial,
    Attribute::OrderNumber,
    Attribute::PlcMode,
];

struct IdentityJson<'a>(&'a Device);

impl Serialize for IdentityJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for attribute in IDENTITY_COLUMNS {
            if let Some(value) = self.0.identity(attribute) {
                m.serialize_entry(attribute.as_str(), value)?;
            }
        }
        m.end()
    }
}

struct Modules<'a>(&'a [ModuleInfo]);

impl Serialize for Modules<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for module in self.0 {
            seq.serialize_element(&ModuleJson(module))?;
        }
        seq.end()
    }
}

struct ModuleJson<'a>(&'a ModuleInfo);

impl Serialize for ModuleJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let module = self.0;
        let mut m = s.serialize_map(None)?;
        if let Some(rack) = module.rack {
            m.serialize_entry("rack", &rack)?;
        }
        if let Some(slot) = module.slot {
            m.serialize_entry("slot", &slot)?;
        }
        let texts = [
            ("kind", &module.kind),
            ("model", &module.model),
            ("order_number", &module.order_number),
            ("firmware", &module.firmware),
            ("hardware", &module.hardware),
            ("serial", &module.serial),
        ];
        for (name, value) in texts.into_iter().filter(|(_, v)| !v.is_empty()) {
            m.serialize_entry(name, value)?;
        }
        m.serialize_entry("protocol", &module.protocol)?;
        m.end()
    }
}

struct Activities<'a>(&'a [ActivitySummary]);

impl Serialize for Activities<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&ActivityJson(a))?;
        }
        seq.end()
    }
}

struct ActivityJson<'a>(&'a ActivitySummary);

impl Serialize for ActivityJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("action", &a.activity)?;
        m.serialize_entry("protocol", &a.protocol)?;
        m.serialize_entry("side", if a.performed { "performed" } else { "target" })?;
        m.serialize_entry("peers", &a.peers)?;
        if a.peers_dropped > 0 {
            m.serialize_entry("peers_dropped", &a.peers_dropped)?;
        }
        m.serialize_entry("count", &a.count)?;
        m.serialize_entry("first_seen", &a.seen.first)?;
        m.serialize_entry("last_seen", &a.seen.last)?;
        m.end()
    }
}

#[derive(Serialize)]
struct Protocols<'a> {
    client: &'a std::collections::BTreeSet<String>,
    server: &'a std::collections::BTreeSet<String>,
    link: &'a std::collections::BTreeSet<String>,
}

/// A conversation as a `conversations.jsonl` line.
pub struct ConversationJson<'a>(pub &'a Conversation);

impl Serialize for ConversationJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema_version", &SCHEMA_VERSION)?;
        m.serialize_entry("record", "conversation")?;
        m.serialize_entry("@timestamp", &c.seen.first)?;
        m.serialize_entry("client", &c.client)?;
        m.serialize_entry("server", &c.server)?;
        m.serialize_entry("services", &c.services)?;
        m.serialize_entry("flows", &c.flows)?;
        m.serialize_entry("packets", &c.packets)?;
        m.serialize_entry("bytes", &c.bytes)?;
        m.serialize_entry("seen", &SeenFields(&c.seen))?;
        m.end()
    }
}

struct InternetJson<'a>(&'a InternetSummary);

impl Serialize for InternetJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("peers", &i.peers)?;
        m.serialize_entry("bytes", &i.bytes)?;
        m.serialize_entry("devices", &i.devices)?;
        let top: Vec<_> = i
            .top
            .iter()
            .map(|p| {
                serde_json::json!({
                    "ip": p.ip, "bytes": p.bytes, "services": p.services, "devices": p.devices
                })
            })
            .collect();
        m.serialize_entry("top", &top)?;
        m.end()
    }
}

/// The whole run in one JSON document (`summary.json`).
pub struct SummaryJson<'a> {
    /// The report.
    pub report: &'a Report,
    /// The inputs read, with their formats.
    pub inputs: &'a [InputSummary],
    /// What each alert forwarding destination got (`--forward`); empty without it.
    pub forwarding: &'a [ForwardStats],
}

/// One input of the run.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    /// Its path.
    pub path: String,
    /// Its format (`pcap`, `pcapng`, with `+gzip`).
    pub format: String,
    /// Packets read from it.
    pub packets: u64,
    /// Problems met reading it.
    pub errors: Vec<String>,
}

impl Serialize for SummaryJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.report;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema_version", &SCHEMA_VERSION)?;
        m.serialize_entry("record", "summary")?;
        m.serialize_entry("inputs", self.inputs)?;
        m.serialize_entry("stats", &StatsJson(&r.stats))?;
        m.serialize_entry("devices", &r.devices.len())?;
        m.serialize_entry("conversations", &r.conversations.len())?;
        m.serialize_entry("internet", &InternetJson(&r.internet))?;
        if let Some(detection) = &r.detection {
            m.serialize_entry("detection", &detection.stats())?;
        }
        if !self.forwarding.is_empty() {
            m.serialize_entry("forwarding", self.forwarding)?;
        }
        m.end()
    }
}

struct StatsJson<'a>(&'a Stats);

impl Serialize for StatsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
