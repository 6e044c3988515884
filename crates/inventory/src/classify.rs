//! What kind of device each one is: type, category and default Purdue level, with evidence.
//!
//! A device rarely says what it is. It says *who* it is (a ListIdentity, an SZL read, an I-Am),
//! and it behaves: it answers Modbus, it downloads programs to PLCs, it polls a dozen RTUs, it
//! forwards other hosts' traffic. Classification weighs both kinds of evidence as candidates,
//! each with a confidence and a sentence saying why, and keeps the strongest:
//!
//! - a type the device states of itself (a CIP device type, an LLDP capability, a Profinet
//!   role), as the protocol reported it;
//! - the industrial services it offers: a Modbus, S7, EtherNet/IP, FINS, SLMP or SRTP server is
//!   a controller, a DNP3 outstation or IEC 104 controlled station an RTU, an MMS server or
//!   GOOSE publisher an IED, a BACnet device a building controller, an OPC UA server an OPC
//!   server, an MQTT broker a broker;
//! - what it does to others: programming, stopping or reconfiguring controllers is the work of
//!   an engineering workstation; polling industrial servers is an HMI's, and polling many of
//!   them a SCADA server's; reading industrial data while serving a database is a historian's;
//! - forwarding other hosts' traffic makes a network device; a host whose every service is IT
//!   is an IT host.
//!
//! Behaviour beats a weak self-description but not a stated one: a PLC that also runs a web
//! server stays a PLC. The rejected alternative, a fixed precedence of sources, misclassifies
//! the hosts that matter most: an engineering workstation is a Windows PC by every IT signal.

use std::collections::BTreeSet;
use std::net::IpAddr;

use rampart_event::{Activity, Confidence};

use crate::device::{Device, Guess};
use crate::observe::Observed;

/// A device type, with what it implies for the threat model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kind {
    /// The type as records spell it.
    name: &'static str,
    /// The category: `industrial`, `supervisory`, `building_automation`, `iot`, `network`,
    /// `it`.
    category: &'static str,
    /// The default Purdue level (0 process, 1 basic control, 2 supervisory, 3 site
    /// operations, 4 enterprise), when the type has one.
    purdue: Option<u8>,
}

const fn kind(name: &'static str, category: &'static str, purdue: Option<u8>) -> Kind {
    Kind {
        name,
        category,
        purdue,
    }
}

/// Every type classification can give, with its category and default level.
const KINDS: &[Kind] = &[
    kind("plc", "industrial", Some(1)),
    kind("rtu", "industrial", Some(1)),
    kind("ied", "industrial", Some(1)),
    kind("io_device", "industrial", Some(1)),
    kind("drive", "industrial", Some(1)),
    kind("communication_adapter", "industrial", Some(1)),
    kind("sensor", "industrial", Some(0)),
    kind("hmi", "supervisory", Some(2)),
    kind("scada_server", "supervisory", Some(2)),
    kind("engineering_workstation", "supervisory", Some(2)),
    kind("opc_server", "supervisory", Some(3)),
    kind("historian", "supervisory", Some(3)),
    kind("building_controller", "building_automation", Some(1)),
    kind("mqtt_broker", "iot", Some(3)),
    kind("iot_device", "iot", Some(1)),
    kind("camera", "iot", None),
    kind("printer", "it", None),
    kind("phone", "it", None),
    kind("router", "network", None),
    kind("switch", "network", None),
    kind("access_point", "network", None),
    kind("firewall", "network", None),
    kind("network_device", "network", None),
    kind("it_host", "it", Some(4)),
];

/// How device-type hints that protocols report are spelled, mapped to a type above.
const HINT_SYNONYMS: &[(&str, &str)] = &[
    ("programmable_logic_controller", "plc"),
    ("controller", "plc"),
    ("io", "io_device"),
    ("remote_io", "io_device"),
    ("ac_drive", "drive"),
    ("dc_drive", "drive"),
    ("communications_adapter", "communication_adapter"),
    ("outstation", "rtu"),
    ("opc_ua_server", "opc_server"),
    ("broker", "mqtt_broker"),
    ("cable_modem", "network_device"),
    ("repeater", "network_device"),
    ("bridge", "switch"),
    ("webcam", "camera"),
];

/// The type an industrial service implies for the device that offers it.
const SERVER_KINDS: &[(&str, &str)] = &[
    ("modbus", "plc"),
    ("s7comm", "plc"),
    ("s7commplus", "plc"),
    ("enip", "plc"),
    ("fins", "plc"),
    ("slmp", "plc"),
    ("srtp", "plc"),
    ("dnp3", "rtu"),
    ("iec104", "rtu"),
    ("mms", "ied"),
    ("bacnet", "building_controller"),
    ("opcua", "opc_server"),
    ("mqtt", "mqtt_broker"),
];

/// Link-layer protocols that only a certain kind of device sends.
const LINK_KINDS: &[(&str, &str)] = &[("goose", "ied")];

/// Services a historian offers: databases and historian protocols.
const DATABASE_PORTS: &[u16] = &[1433, 1521, 3306, 5432, 5450, 5457, 8086, 27017];

/// Well-known ports of industrial and IoT protocols: a service on one of them that no
/// dissector recognised still rules out "only IT".
const OT_PORTS: &[u16] = &[
    102, 502, 1883, 2222, 2404, 4840, 5007, 8883, 9600, 18245, 20000, 34962, 34963, 34964, 44818,
    47808,
];

/// Industrial servers polled from which a poller counts as a SCADA server rather than an HMI.
const SCADA_MIN_SERVERS: usize = 5;

/// The classification of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The type (`plc`, `engineering_workstation`, …), its confidence and evidence.
    pub device_type: Guess,
    /// The category of the type.
    pub category: &'static str,
    /// The default Purdue level of the type, when it has one.
    pub purdue_level: Option<u8>,
}

/// One reason to believe a device is of a type.
struct Candidate {
    kind: Kind,
    confidence: Confidence,
    evidence: String,
}

fn lookup(name: &str) -> Option<Kind> {
    let normalised = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let name = HINT_SYNONYMS
        .iter()
        .find(|(hint, _)| *hint == normalised)
        .map_or(normalised.as_str(), |(_, kind)| kind);
    KINDS.iter().find(|k| k.name == name).copied()
}

/// Tell whether a service name is an industrial protocol.
pub fn is_industrial(service: &str) -> bool {
    SERVER_KINDS
        .iter()
        .any(|(s, _)| *s == service && !matches!(*s, "mqtt" | "opcua"))
}

/// Classify a device from what it stated, offered, did and forwarded.
pub(crate) fn classify(d: &Device, hints: &[Observed]) -> Option<Classification> {
    let mut candidates = Vec::new();
    stated(hints, &mut candidates);
    offered(d, &mut candidates);
    behaved(d, &mut candidates);
    if d.forwards {
        candidates.push(Candidate {
            kind: kind("router", "network", None),
            confidence: Confidence::STRONG,
            evidence: "its MAC carries traffic of several other hosts".to_string(),
        });
    }
    if d.client_of.contains("mqtt") {
        candidates.push(Candidate {
            kind: kind("iot_device", "iot", Some(1)),
            confidence: Confidence(40),
            evidence: "is an MQTT client".to_string(),
        });
    }
    if candidates.is_empty() {
        it_host(d, &mut candidates);
    }
    decide(candidates)
}

/// The roles a device plays, per protocol: what it stated, plus the side of each industrial
/// service it used or offered, named the way the protocol names its parties.
pub(crate) fn roles(d: &Device, stated: &[Observed]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = stated.iter().map(|o| o.value.clone()).collect();
    // From the device's few services to the table, not the table's rows to the services:
    // this runs for every device.
    for (services, as_client) in [(&d.client_of, true), (&d.server_of, false)] {
        for service in services {
            for (protocol, client, server) in ROLE_NAMES.iter().filter(|r| r.0 == service) {
                let role = if as_client { client } else { server };
                out.insert([*protocol, " ", *role].concat());
            }
        }
    }
    for (protocol, role) in LINK_ROLES {
        if d.l2_protocols.contains(*protocol) {
            out.insert([*protocol, " ", *role].concat());
        }
    }
    out
}

/// (protocol, name of the side that opens the conversation, name of the side that answers).
const ROLE_NAMES: &[(&str, &str, &str)] = &[
    ("modbus", "client", "server"),
    ("dnp3", "master", "outstation"),
    ("iec104", "controlling station", "controlled station"),
    ("s7comm", "client", "server"),
    ("s7commplus", "client", "server"),
    ("enip", "originator", "target"),
    ("cip_io", "originator", "target"),
    ("bacnet", "client", "server"),
    ("opcua", "client", "server"),
    ("mms", "client", "server"),
    ("mqtt", "client", "broker"),
    ("fins", "client", "server"),
    ("slmp", "client", "server"),
    ("srtp", "client", "server"),
];

/// (link-layer protocol, the role of its sender).
const LINK_ROLES: &[(&str, &str)] = &[("goose", "publisher")];

/// A device with IP services, none of them industrial, and nothing else to go by.
fn it_host(d: &Device, out: &mut Vec<Candidate>) {
    let services: BTreeSet<&str> = d
        .server_of
        .iter()
        .chain(&d.client_of)
        .map(String::as_str)
        .collect();
    let ot = |s: &str| {
        SERVER_KINDS.iter().any(|(k, _)| *k == s)
            || s.rsplit_once('/')
                .and_then(|(_, port)| port.parse::<u16>().ok())
                .is_some_and(|port| OT_PORTS.contains(&port))
    };
    if services.is_empty() || services.iter().any(|s| ot(s)) {
        return;
    }
    let listed: Vec<&str> = services.into_iter().take(6).collect();
    out.push(Candidate {
        kind: kind("it_host", "it", Some(4)),
        confidence: Confidence(30),
        evidence: format!("speaks only IT protocols: {}", listed.join(", ")),
    });
}

/// Types the device or its neighbours stated (protocol device-type hints).
fn stated(hints: &[Observed], out: &mut Vec<Candidate>) {
    for o in hints {
        if let Some(kind) = lookup(&o.value) {
            let sources: Vec<&str> = o.sources.iter().map(String::as_str).collect();
            out.push(Candidate {
                kind,
                confidence: o.confidence,
                evidence: format!("{} says {}", sources.join(", "), o.value),
            });
        }
    }
}

/// Types implied by the industrial services the device offers or the frames it sends.
fn offered(d: &Device, out: &mut Vec<Candidate>) {
    let serves = !d.server_of.is_empty();
    for (service, name) in SERVER_KINDS.iter().filter(|_| serves) {
        if d.server_of.contains(*service)
            && let Some(kind) = lookup(name)
        {
            out.push(Candidate {
                kind,
                confidence: Confidence(60),
                evidence: format!("serves {service}"),
            });
        }
    }
    for (protocol, name) in LINK_KINDS {
        if d.l2_protocols.contains(*protocol)
            && let Some(kind) = lookup(name)
        {
            out.push(Candidate {
                kind,
                confidence: Confidence(60),
                evidence: format!("publishes {protocol}"),
            });
        }
    }
}

/// Types implied by what the device does to industrial devices.
fn behaved(d: &Device, out: &mut Vec<Candidate>) {
    let performed = d.activities.iter().filter(|a| a.performed);
    let mut engineering: Vec<String> = Vec::new();
    let mut engineered: BTreeSet<IpAddr> = BTreeSet::new();
    let mut polled: BTreeSet<IpAddr> = BTreeSet::new();
    let mut polled_protocols: BTreeSet<&str> = BTreeSet::new();
    for a in performed {
        if a.activity.is_engineering() {
            engineering.push(format!("{} ({}, {}×)", a.activity, a.protocol, a.count));
            engineered.extend(a.peers.iter().copied());
        } else if matches!(
            a.activity,
            Activity::Read | Activity::Write | Activity::Command
        ) && is_industrial(&a.protocol)
        {
            polled.extend(a.peers.iter().copied());
            polled_protocols.insert(&a.protocol);
        }
    }
    if !engineering.is_empty() {
        out.push(Candidate {
            kind: kind("engineering_workstation", "supervisory", Some(2)),
            confidence: Confidence(75),
            evidence: format!(
                "performs engineering on {} device(s): {}",
                engineered.len(),
                engineering.join(", ")
            ),
        });
    }
    if polled.is_empty() {
        return;
    }
    let protocols: Vec<&str> = polled_protocols.into_iter().collect();
    let offers_database = d.server_of.iter().any(|s| {
        DATABASE_PORTS
            .iter()
            .any(|p| s.ends_with(&format!("/{p}")) || s == "tds" || s == "postgres")
    });
    let (name, confidence) = if offers_database {
        ("historian", 55)
    } else if polled.len() >= SCADA_MIN_SERVERS {
        ("scada_server", 55)
    } else {
        ("hmi", 50)
    };
    if let Some(kind) = lookup(name) {
        out.push(Candidate {
            kind,
            confidence: Confidence(confidence),
            evidence: format!(
                "polls {} industrial server(s) over {}{}",
                polled.len(),
                protocols.join(", "),
                if offers_database {
                    " and serves a database"
                } else {
                    ""
                }
            ),
        });
    }
}

/// Keep the strongest candidate; its evidence is joined by every candidate of the same type.
fn decide(candidates: Vec<Candidate>) -> Option<Classification> {
    let best = candidates
        .iter()
        .max_by(|a, b| {
            a.confidence
                .cmp(&b.confidence)
                .then_with(|| b.kind.name.cmp(a.kind.name))
        })?
        .kind;
    let agreeing: Vec<&Candidate> = candidates.iter().filter(|c| c.kind == best).collect();
    let confidence = agreeing
        .iter()
        .map(|c| c.confidence)
        .max()
        .unwrap_or(Confidence::WEAK);
    // Independent agreeing reasons make the type surer, never certain.
    let boost = u8::try_from(agreeing.len().saturating_sub(1) * 5).unwrap_or(u8::MAX);
    let confidence = Confidence(confidence.0.saturating_add(boost).min(95));
    let mut evidence: Vec<String> = agreeing.iter().map(|c| c.evidence.clone()).collect();
    evidence.extend(
        candidates
            .iter()
            .filter(|c| c.kind != best)
            .map(|c| format!("also: {} ({})", c.kind.name, c.evidence)),
    );
    Some(Classification {
        device_type: Guess {
            value: best.name.to_string(),
            confidence,
            evidence,
        },
        category: best.category,
        purdue_level: best.purdue,
    })
}
