//! What an alert is: the draft an engine raises and the aggregated alert the book keeps.

use std::fmt::Write as _;
use std::net::IpAddr;

use rampart_event::{Mac, Timestamp};
use serde::Serialize;

/// How bad an alert is. The four levels and their order are Defender for IoT's, so a SOC
/// that maps one maps the other the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Warning,
    /// Unusual but probably harmless.
    Minor,
    /// Likely malicious or a real operational risk.
    Major,
    /// Act now.
    Critical,
}

impl Severity {
    /// Every level, least severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Warning,
        Severity::Minor,
        Severity::Major,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }

    /// Parse a lowercase name.
    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The CEF severity (0–10) Defender for IoT sends for this level: 1, 4, 8, 10.
    pub fn cef(self) -> u8 {
        match self {
            Severity::Warning => 1,
            Severity::Minor => 4,
            Severity::Major => 8,
            Severity::Critical => 10,
        }
    }
}

/// Which engine raised an alert. An analyst filters and forwards by engine, so the set is
/// closed and named like Defender for IoT's engines, plus Rampart's own custom rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// Deviation from the learned baseline.
    Policy,
    /// Protocol knowledge that is true without a baseline (PLC stop, program download).
    ProtocolPolicy,
    /// Rates and thresholds (scans, floods, spoofing, polling changes).
    Anomaly,
    /// Malformed or illegal protocol use.
    ProtocolViolation,
    /// Threat intelligence and known malware behaviour.
    Malware,
    /// The health of the process: unresponsive devices, restarts, stop mode, silence.
    Operational,
    /// Rules the user wrote.
    Custom,
}

impl EngineKind {
    /// Every engine.
    pub const ALL: [EngineKind; 7] = [
        EngineKind::Policy,
        EngineKind::ProtocolPolicy,
        EngineKind::Anomaly,
        EngineKind::ProtocolViolation,
        EngineKind::Malware,
        EngineKind::Operational,
        EngineKind::Custom,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Policy => "policy",
            EngineKind::ProtocolPolicy => "protocol_policy",
            EngineKind::Anomaly => "anomaly",
            EngineKind::ProtocolViolation => "protocol_violation",
            EngineKind::Malware => "malware",
            EngineKind::Operational => "operational",
            EngineKind::Custom => "custom",
        }
    }

    /// Parse a snake_case name.
    pub fn from_name(name: &str) -> Option<EngineKind> {
        EngineKind::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// One side of an alert: a device, or a device's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Endpoint {
    /// IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// MAC address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<Mac>,
    /// Transport port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

impl Endpoint {
    /// The device part (address without the port), which is what aggregation keys on.
    pub fn device(self) -> Endpoint {
        Endpoint { port: None, ..self }
    }
}

/// The static description of one kind of alert: what the catalogue documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable identifier (`policy.new_device`), used to filter, mute and document.
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// Raising engine.
    pub engine: EngineKind,
    /// Category (`discovery`, `program_change`, `scan`, …).
    pub category: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// MITRE ATT&CK for ICS technique ids.
    pub techniques: &'static [&'static str],
    /// What to do about it.
    pub remediation: &'static str,
}

/// An alert as an engine raises it, before aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertDraft {
    /// The kind of alert.
    pub rule: &'static Rule,
    /// The title for this occurrence when it says more than the rule's (custom rules).
    pub title: Option<String>,
    /// What happened, in one or two sentences with the specifics.
    pub description: String,
    /// Severity when it differs from the rule's default.
    pub severity: Severity,
    /// Who did it.
    pub source: Option<Endpoint>,
    /// To whom.
    pub destination: Option<Endpoint>,
    /// Application protocol.
    pub protocol: Option<String>,
    /// What distinguishes this alert from another of the same rule between the same devices
    /// (a function code, a register range): part of the aggregation key.
    pub discriminator: String,
    /// The facts: event fields, counts, thresholds.
    pub evidence: serde_json::Map<String, serde_json::Value>,
    /// Flows whose recent packets are the alert's PCAP.
    pub flows: Vec<u64>,
    /// Capture time.
    pub time: Timestamp,
}

impl AlertDraft {
    /// A draft of `rule` at `time` with the rule's severity and nothing else set.
    pub fn new(rule: &'static Rule, time: Timestamp, description: impl Into<String>) -> AlertDraft {
        AlertDraft {
            rule,
            title: None,
            description: description.into(),
            severity: rule.severity,
            source: None,
            destination: None,
            protocol: None,
            discriminator: String::new(),
            evidence: serde_json::Map::new(),
            flows: Vec::new(),
            time,
        }
    }

    /// Set the two sides.
    pub fn between(mut self, source: Option<Endpoint>, destination: Option<Endpoint>) -> Self {
        self.source = source;
        self.destination = destination;
        self
    }

    /// Set the protocol.
    pub fn protocol(mut self, protocol: &str) -> Self {
        self.protocol = Some(protocol.to_string());
        self
    }

    /// Set the discriminator.
    pub fn discriminator(mut self, discriminator: impl Into<String>) -> Self {
        self.discriminator = discriminator.into();
        self
    }

    /// Add one piece of evidence.
    pub fn evidence(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.evidence.insert(name.to_string(), value.into());
        self
    }

    /// Name a flow whose packets are evidence.
    pub fn flow(mut self, flow: Option<u64>) -> Self {
        if let Some(id) = flow
            && !self.flows.contains(&id)
        {
            self.flows.push(id);
        }
        self
    }

    /// Set the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The stable id of the alert this draft aggregates into: the same rule between the same
    /// devices with the same discriminator is the same alert, in this run and the next, so an
    /// analyst can mute or learn it by id.
    pub fn alert_id(&self) -> AlertId {
        AlertKey {
            rule: self.rule,
            source: self.source,
            destination: self.destination,
            discriminator: &[&self.discriminator],
        }
        .id()
    }
}

/// What makes occurrences one alert, without the rest of a draft: enough to tell whether
/// the alert is open before a description or evidence is built for it.
#[derive(Debug, Clone, Copy)]
pub struct AlertKey<'a> {
    /// The kind of alert.
    pub rule: &'static Rule,
    /// Who did it (the device part counts).
    pub source: Option<Endpoint>,
    /// To whom.
    pub destination: Option<Endpoint>,
    /// The discriminator in pieces that make it when joined (`["enip", "/", "timeout"]`), so
    /// that it need not be formatted to be looked up.
    pub discriminator: &'a [&'a str],
}

impl AlertKey<'_> {
    /// A draft of this alert at `time`: its rule, its two sides and its discriminator joined,
    /// so that the draft aggregates into the alert the key looked up.
    pub fn draft(&self, time: Timestamp, description: impl Into<String>) -> AlertDraft {
        AlertDraft::new(self.rule, time, description)
            .between(self.source, self.destination)
            .discriminator(self.discriminator.concat())
    }

    /// The id of the alert (see [`AlertDraft::alert_id`]).
    pub fn id(&self) -> AlertId {
        let mut h = Fnv1a::default();
        h.write(self.rule.id.as_bytes());
        for side in [self.source, self.destination] {
            h.write(b"|");
            if let Some(side) = side {
                let device = side.device();
                match device.ip {
                    Some(IpAddr::V4(ip)) => h.write(&ip.octets()),
                    Some(IpAddr::V6(ip)) => h.write(&ip.octets()),
                    None => {}
                }
                h.write(b"/");
                if let Some(mac) = device.mac {
                    h.write(&mac.0);
                }
            }
        }
        h.write(b"|");
        for piece in self.discriminator {
            h.write(piece.as_bytes());
        }
        AlertId(h.0)
    }
}

/// Another occurrence of an open alert, counted without a draft: what
/// [`Alert::repeat`] takes from a draft other than its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    /// The alert.
    pub id: AlertId,
    /// Capture time.
    pub time: Timestamp,
    /// Severity of this occurrence.
    pub severity: Severity,
    flows: [u64; MAX_ALERT_FLOWS],
    len: usize,
}

impl Repeat {
    /// An occurrence of `id` with its first [`MAX_ALERT_FLOWS`] distinct flows, which are
    /// all an alert can take in.
    pub fn new(
        id: AlertId,
        time: Timestamp,
        severity: Severity,
        flows: impl IntoIterator<Item = u64>,
    ) -> Repeat {
        let mut repeat = Repeat {
            id,
            time,
            severity,
            flows: [0; MAX_ALERT_FLOWS],
            len: 0,
        };
        for flow in flows {
            if repeat.len == MAX_ALERT_FLOWS {
                break;
            }
            if !repeat.flows().contains(&flow) {
                repeat.flows[repeat.len] = flow;
                repeat.len += 1;
            }
        }
        repeat
    }

    /// The flows, in the order given.
    pub fn flows(&self) -> &[u64] {
        &self.flows[..self.len]
    }
}

/// 64-bit FNV-1a: a fixed, documented function, so an alert's id is the same in every build
/// and on every machine (the standard hasher promises neither), and cheap enough to compute
/// for every occurrence an engine raises.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The stable id of an alert, printed as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertId(pub u64);

impl std::fmt::Display for AlertId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for AlertId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<AlertId, Self::Err> {
        u64::from_str_radix(s, 16).map(AlertId)
    }
}

impl Serialize for AlertId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Raised, nobody has looked.
    New,
    /// Someone is on it.
    Acknowledged,
    /// Dealt with.
    Resolved,
    /// Folded into the baseline: the deviation is now normal.
    Learned,
    /// Suppressed without learning.
    Muted,
}

/// An aggregated alert: the first occurrence's details plus how often and until when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Stable id.
    pub id: AlertId,
    /// Rule id.
    pub rule: &'static str,
    /// Title.
    pub title: String,
    /// Description of the first occurrence.
    pub description: String,
    /// Raising engine.
    pub engine: EngineKind,
    /// Category.
    pub category: &'static str,
    /// Severity (the highest seen among occurrences).
    pub severity: Severity,
    /// MITRE ATT&CK for ICS technique ids.
    pub techniques: &'static [&'static str],
    /// Source device.
    pub source: Option<Endpoint>,
    /// Destination device.
    pub destination: Option<Endpoint>,
    /// Protocol.
    pub protocol: Option<String>,
    /// The discriminator.
    pub discriminator: String,
    /// Evidence of the first occurrence, plus anything later occurrences added.
    pub evidence: serde_json::Map<String, serde_json::Value>,
    /// What to do.
    pub remediation: &'static str,
    /// First occurrence.
    pub first_seen: Timestamp,
    /// Last occurrence.
    pub last_seen: Timestamp,
    /// Occurrences.
    pub count: u64,
    /// Lifecycle state.
    pub status: Status,
    /// Flows whose packets are the evidence.
    pub flows: Vec<u64>,
    /// Why the alert is suppressed (a mute, an exclusion rule, a maintenance window): kept
    /// and counted, not forwarded.
    pub suppressed: Option<String>,
}

impl Alert {
    /// The alert a first draft opens.
    pub fn open(draft: AlertDraft) -> Alert {
        let id = draft.alert_id();
        let rule = draft.rule;
        Alert {
            id,
            rule: rule.id,
            title: draft.title.unwrap_or_else(|| rule.title.to_string()),
            description: draft.description,
            engine: rule.engine,
            category: rule.category,
            severity: draft.severity,
            techniques: rule.techniques,
            source: draft.source,
            destination: draft.destination,
            protocol: draft.protocol,
            discriminator: draft.discriminator,
            evidence: draft.evidence,
            remediation: rule.remediation,
            first_seen: draft.time,
            last_seen: draft.time,
            count: 1,
            status: Status::New,
            flows: draft.flows,
            suppressed: None,
        }
    }

    /// Fold a repeat in: count it, move last-seen, keep the worst severity, add flows (a few)
    /// and evidence keys the first occurrence did not have.
    pub fn repeat(&mut self, draft: AlertDraft) {
        self.count_again(draft.time, draft.severity, &draft.flows);
        for (k, v) in draft.evidence {
            self.evidence.entry(k).or_insert(v);
        }
    }

    /// Count an occurrence that brings no evidence.
    pub fn count_again(&mut self, time: Timestamp, severity: Severity, flows: &[u64]) {
        self.count += 1;
        self.first_seen = self.first_seen.min(time);
        self.last_seen = self.last_seen.max(time);
        self.severity = self.severity.max(severity);
        for &flow in flows {
            if self.flows.len() < MAX_ALERT_FLOWS && !self.flows.contains(&flow) {
                self.flows.push(flow);
            }
        }
    }

    /// A one-line summary for logs and terminals.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "[{}] {} ({})",
            self.severity.as_str(),
            self.title,
            self.rule
        );
        let side = |e: &Option<Endpoint>| {
            e.and_then(|e| {
                e.ip.map(|ip| ip.to_string())
                    .or(e.mac.map(|m| m.to_string()))
            })
        };
        if let Some(src) = side(&self.source) {
            let _ = write!(line, " {src}");
        }
        if let Some(dst) = side(&self.destination) {
            let _ = write!(line, " -> {dst}");
        }
        if self.count > 1 {
            let _ = write!(line, " x{}", self.count);
        }
        line
    }
}

/// Flows kept per alert for its PCAP.
pub const MAX_ALERT_FLOWS: usize = 8;
