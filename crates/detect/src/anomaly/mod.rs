//! The anomaly engine: rates and thresholds (scans, ARP abuse, login guessing, session
//! floods) and deviations from a learned rhythm (traffic spikes, polling changes, silence).
//!
//! One detector per family, each with its own bounded tables ([`window::Tracked`]), because
//! the families watch different observations (flow starts, ARP records, login outcomes,
//! packets, requests) and a single detector would match every observation against all of
//! them. Threshold rules raise in both modes; the three that compare with a learned normal
//! raise only in monitoring mode, though they keep learning in both. A threshold raises once
//! per key per window episode: after it fires, the key starts counting afresh one window
//! later, so a scan that goes on for ten minutes is one alert counted five times.

pub mod arp;
pub mod config;
pub mod login;
pub mod periodic;
pub mod scan;
pub mod session;
pub mod traffic;
pub mod window;

use std::fmt;
use std::net::IpAddr;

use rampart_event::{Direction, Fields, Mac, Origin, Record, Value};

use crate::alert::{AlertDraft, Endpoint, EngineKind, Rule, Severity};
use crate::{DetectConfig, Detector};

pub use config::AnomalyConfig;

const ENGINE: EngineKind = EngineKind::Anomaly;

/// One source reaching many addresses of one network.
pub static ADDRESS_SCAN: Rule = Rule {
    id: "anomaly.address_scan",
    title: "Address scan detected",
    engine: ENGINE,
    category: "scan",
    severity: Severity::Major,
    techniques: &["T0846"],
    remediation: "Find out what runs on the source. If it is not an authorised discovery tool, \
                  isolate it; if it is, mark it as a scanner in the detection configuration.",
};

/// One source reaching many ports.
pub static PORT_SCAN: Rule = Rule {
    id: "anomaly.port_scan",
    title: "Port scan detected",
    engine: ENGINE,
    category: "scan",
    severity: Severity::Major,
    techniques: &["T0846"],
    remediation: "Find out what runs on the source. If it is not an authorised scanner, isolate \
                  it and check the destination for the services it found; if it is, mark it as \
                  a scanner.",
};

/// One source asking many industrial devices who they are, or sweeping unit ids.
pub static OT_SCAN: Rule = Rule {
    id: "anomaly.ot_scan",
    title: "Industrial protocol scan detected",
    engine: ENGINE,
    category: "scan",
    severity: Severity::Major,
    techniques: &["T0846", "T0888"],
    remediation: "Identify who enumerates the controllers. Asset-inventory tools and engineering \
                  software do this at start-up; anything else is reconnaissance. Mark authorised \
                  tools as scanners.",
};

/// One host asking ARP for many addresses.
pub static ARP_SCAN: Rule = Rule {
    id: "anomaly.arp_scan",
    title: "ARP address scan detected",
    engine: ENGINE,
    category: "scan",
    severity: Severity::Major,
    techniques: &["T0846"],
    remediation: "Find the host by its MAC on the switch. A router resolving many hosts at once \
                  is normal after a restart; a workstation doing so is discovering the network.",
};

/// An address claimed by a second MAC while the first still uses it.
pub static ARP_SPOOFING: Rule = Rule {
    id: "anomaly.arp_spoofing",
    title: "ARP spoofing: an address claimed by two MACs",
    engine: ENGINE,
    category: "spoofing",
    severity: Severity::Major,
    techniques: &["T0830"],
    remediation: "Locate both MACs on the switches. Unless the address moved between redundant \
                  devices, one of them is intercepting traffic: disconnect it and enable dynamic \
                  ARP inspection or static entries for critical devices.",
};

/// A host sending gratuitous ARPs at a rate no announcement needs.
pub static GRATUITOUS_ARP_FLOOD: Rule = Rule {
    id: "anomaly.gratuitous_arp_flood",
    title: "Gratuitous ARP flood",
    engine: ENGINE,
    category: "spoofing",
    severity: Severity::Minor,
    techniques: &["T0830"],
    remediation: "Find the host by its MAC. Repeated gratuitous ARPs keep poisoned caches \
                  poisoned; unless it is a failover cluster announcing itself, disconnect it.",
};

/// Many failed logins from one source.
pub static LOGIN_ATTEMPTS: Rule = Rule {
    id: "anomaly.login_attempts",
    title: "Excessive failed login attempts",
    engine: ENGINE,
    category: "authentication",
    severity: Severity::Major,
    techniques: &["T0859"],
    remediation: "Check the source: a misconfigured service retries stored credentials, an \
                  attacker tries many. Fix or block it, and review the accounts it tried.",
};

/// Many failed logins from one source to one destination.
pub static PASSWORD_GUESSING: Rule = Rule {
    id: "anomaly.password_guessing",
    title: "Password guessing attempt detected",
    engine: ENGINE,
    category: "authentication",
    severity: Severity::Major,
    techniques: &["T0859", "T0812"],
    remediation: "Block the source, check the destination for a successful login after the \
                  failures, and replace default or weak passwords on it.",
};

/// One source opening sessions at a rate no client needs.
pub static EXCESSIVE_SESSIONS: Rule = Rule {
    id: "anomaly.excessive_sessions",
    title: "Excessive number of sessions",
    engine: ENGINE,
    category: "flood",
    severity: Severity::Minor,
    techniques: &["T0814"],
    remediation: "Check whether the source is flooding its peers or reconnecting in a loop \
                  after an error; fix the client or rate-limit it.",
};

/// An edge carrying far more bytes in a minute than it usually does.
pub static TRAFFIC_SPIKE: Rule = Rule {
    id: "anomaly.traffic_spike",
    title: "Traffic spike between devices",
    engine: ENGINE,
    category: "bandwidth",
    severity: Severity::Warning,
    techniques: &["T0814"],
    remediation: "See what the edge carried (the PCAP): a backup or firmware transfer explains \
                  it; a flood or a bulk read of a controller does not.",
};

/// A request that used to come at a stable period now comes at another.
pub static POLLING_CHANGE: Rule = Rule {
    id: "anomaly.polling_change",
    title: "Abnormal change of a polling period",
    engine: ENGINE,
    category: "timing",
    severity: Severity::Warning,
    techniques: &["T0806"],
    remediation: "Ask whether the master's configuration changed. A much faster period of \
                  commands can be an attacker driving outputs; a slower one a failing master.",
};

/// A channel that used to be periodic went quiet.
pub static SILENT_CHANNEL: Rule = Rule {
    id: "anomaly.silent_channel",
    title: "Periodic channel went silent",
    engine: ENGINE,
    category: "timing",
    severity: Severity::Minor,
    techniques: &["T0826", "T0815"],
    remediation: "Check that the master and the device are up and reachable; a stopped poll \
                  means operators no longer see or control this part of the process.",
};

/// Every rule of the anomaly engine.
pub static RULES: &[&Rule] = &[
    &ADDRESS_SCAN,
    &PORT_SCAN,
    &OT_SCAN,
    &ARP_SCAN,
    &ARP_SPOOFING,
    &GRATUITOUS_ARP_FLOOD,
    &LOGIN_ATTEMPTS,
    &PASSWORD_GUESSING,
    &EXCESSIVE_SESSIONS,
    &TRAFFIC_SPIKE,
    &POLLING_CHANGE,
    &SILENT_CHANNEL,
];

/// The anomaly engine's detectors, configured by `config.anomaly` and `config.devices`.
pub fn detectors(config: &DetectConfig) -> Vec<Box<dyn Detector>> {
    let anomaly = &config.anomaly;
    vec![
        Box::new(scan::Scans::new(anomaly, &config.devices)),
        Box::new(arp::Arp::new(anomaly, &config.devices)),
        Box::new(login::Logins::new(anomaly)),
        Box::new(session::Sessions::new(anomaly)),
        Box::new(traffic::Traffic::new(anomaly)),
        Box::new(periodic::Periodic::new(anomaly)),
    ]
}

/// A device as the anomaly engine keys it: by IP when the traffic has one, else by MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Host {
    /// An IP host.
    Ip(IpAddr),
    /// A link-layer host (PROFINET DCP, ARP).
    Mac(Mac),
}

/// Hashed as one number (see [`crate::hash_ip`]): the anomaly tables are probed by host for
/// every request.
impl std::hash::Hash for Host {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match *self {
            Host::Ip(ip) => crate::hash_ip(ip, state),
            Host::Mac(mac) => crate::hash_mac(mac, state),
        }
    }
}

impl Host {
    /// The host as one side of an alert.
    pub fn endpoint(self) -> Endpoint {
        match self {
            Host::Ip(ip) => Endpoint {
                ip: Some(ip),
                ..Endpoint::default()
            },
            Host::Mac(mac) => Endpoint {
                mac: Some(mac),
                ..Endpoint::default()
            },
        }
    }

    /// The IP address, when the host has one.
    pub fn ip(self) -> Option<IpAddr> {
        match self {
            Host::Ip(ip) => Some(ip),
            Host::Mac(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(ip) => ip.fmt(f),
            Host::Mac(mac) => mac.fmt(f),
        }
    }
}

/// The sender and the receiver of a request record (a request, or a paired transaction),
/// or `None` for responses and for events outside flows and frames.
pub fn request_sides(origin: &Origin, record: &Record<'_>) -> Option<(Host, Host)> {
    if record.direction == Some(Direction::ToClient) {
        return None;
    }
    match origin {
        Origin::Flow(f) => Some((Host::Ip(f.client.0), Host::Ip(f.server.0))),
        Origin::Frame(f) => Some((Host::Mac(f.src), Host::Mac(f.dst))),
        Origin::Capture => None,
    }
}

/// The flow an event came from.
pub fn flow_of(origin: &Origin) -> Option<u64> {
    match origin {
        Origin::Flow(f) => Some(f.id),
        _ => None,
    }
}

/// A numeric field.
pub fn field_u64(fields: &Fields<'_>, name: &str) -> Option<u64> {
    match crate::facts::field(fields, name)? {
        Value::U64(v) => Some(v),
        Value::I64(v) => u64::try_from(v).ok(),
        _ => None,
    }
}

/// A text field.
pub fn field_str<'a>(fields: &Fields<'a>, name: &str) -> Option<&'a str> {
    match crate::facts::field(fields, name)? {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// A flag field.
pub fn field_bool(fields: &Fields<'_>, name: &str) -> Option<bool> {
    match crate::facts::field(fields, name)? {
        Value::Bool(b) => Some(b),
        _ => None,
    }
}

/// Name the flows whose recent packets make the alert's PCAP.
pub fn with_flows(mut draft: AlertDraft, flows: impl Iterator<Item = u64>) -> AlertDraft {
    for id in flows {
        draft = draft.flow(Some(id));
    }
    draft
}

/// The first targets of an episode as evidence (at most ten, as text).
pub fn first_targets<T: fmt::Display>(items: impl Iterator<Item = T>) -> serde_json::Value {
    serde_json::Value::Array(
        items
            .take(10)
            .map(|t| serde_json::Value::String(t.to_string()))
            .collect(),
    )
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_anomaly_rules_with_known_techniques() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 12);
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 12);
        for rule in RULES {
            assert!(rule.id.starts_with("anomaly."), "{}", rule.id);
            assert_eq!(rule.engine, EngineKind::Anomaly);
            assert!(!rule.techniques.is_empty() && !rule.remediation.is_empty());
            for t in rule.techniques {
                assert!(crate::technique::name(t).is_some(), "{} names {t}", rule.id);
            }
        }
        assert_eq!(PORT_SCAN.techniques, &["T0846"]);
        assert_eq!(ADDRESS_SCAN.techniques, &["T0846"]);
        assert_eq!(OT_SCAN.techniques, &["T0846", "T0888"]);
    }

    /// The "Anomaly engine" section of `docs/detection.md`.
    fn documented_section() -> &'static str {
        include_str!("../../../../docs/detection.md")
            .split("\n## ")
            .find(|s| s.starts_with("Anomaly engine"))
            .expect("an Anomaly engine section")
    }

    #[test]
    fn every_rule_is_documented() {
        let section = documented_section();
        for rule in RULES {
            assert!(
                section.contains(&format!("`{}`", rule.id)),
                "{} undocumented",
                rule.id
            );
            for t in rule.techniques {
                assert!(
                    section.contains(t),
                    "{} technique {t} undocumented",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn the_documented_settings_are_the_defaults() {
        let section = documented_section();
        let toml = section
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("a TOML example");
        let parsed = DetectConfig::parse(toml, std::path::Path::new("detection.md"))
            .expect("the example parses");
        assert_eq!(parsed.anomaly, AnomalyConfig::default());
    }

    #[test]
    fn the_section_reads_from_toml_and_refuses_mistakes() {
        let c = DetectConfig::parse(
            "[anomaly.address_scan]\ndestinations = 20\n[anomaly.traffic_spike]\nfactor = 3.5\n",
            std::path::Path::new("d.toml"),
        )
        .expect("valid");
        assert_eq!(c.anomaly.address_scan.destinations.get(), 20);
        assert_eq!(c.anomaly.address_scan.window_secs.secs(), 120);
        assert_eq!(c.anomaly.traffic_spike.factor.get(), 3.5);
        assert_eq!(c.anomaly.port_scan.ports.get(), 25);
        for bad in [
            "[anomaly.port_scan]\nports = 0\n",
            "[anomaly.port_scan]\nport = 3\n",
            "[anomaly.polling_change]\nfactor = 0.5\n",
            "[anomaly.silent_channel]\nperiods = 5000\n",
        ] {
            let err =
                DetectConfig::parse(bad, std::path::Path::new("d.toml")).expect_err("invalid");
            assert!(err.to_string().contains("line"), "{err}");
        }
    }
}
