//! Alert exclusion rules and maintenance windows: the operator's reasons to keep an alert
//! quiet, from the detection configuration (`[[exclusion]]`, `[[maintenance]]`).
//!
//! A suppressed alert is still kept and counted, with the reason saying which rule or window
//! and why; it is only kept from forwarding. An exclusion without any condition is refused
//! when the configuration loads: it would silence every alert, which nobody means to write.
//!
//! Matching runs only when an engine raises (never per packet), so it may allocate the reason.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use rampart_event::{Mac, Timestamp};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::Suppress;
use crate::alert::{AlertDraft, Endpoint, EngineKind, Severity};

/// A device or a network as the configuration names one: `10.0.0.5`, `10.1.0.0/16`,
/// `00:1b:1b:0a:0b:0c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceMatch {
    /// An address (a host network) or a subnet.
    Net(IpNet),
    /// A MAC address.
    Mac(Mac),
}

impl DeviceMatch {
    /// True when `side` is this device or lies in this network.
    pub fn matches(&self, side: &Endpoint) -> bool {
        match self {
            DeviceMatch::Net(net) => side.ip.is_some_and(|ip| net.contains(&ip)),
            DeviceMatch::Mac(mac) => side.mac == Some(*mac),
        }
    }
}

impl std::str::FromStr for DeviceMatch {
    type Err = String;

    fn from_str(text: &str) -> Result<DeviceMatch, String> {
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(DeviceMatch::Net(net));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(DeviceMatch::Net(IpNet::from(ip)));
        }
        parse_mac(text).map(DeviceMatch::Mac).ok_or_else(|| {
            format!("{text:?} is not an IP address, a subnet (10.0.0.0/24) or a MAC address")
        })
    }
}

/// `00:1b:1b:0a:0b:0c` or `00-1B-1B-0A-0B-0C`.
fn parse_mac(text: &str) -> Option<Mac> {
    let mut bytes = [0u8; 6];
    let mut parts = text.split([':', '-']);
    for byte in &mut bytes {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    parts.next().is_none().then_some(Mac(bytes))
}

impl<'de> Deserialize<'de> for DeviceMatch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DeviceMatch, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(de::Error::custom)
    }
}

fn deserialize_engines<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EngineKind>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|name| {
            EngineKind::from_name(name).ok_or_else(|| {
                let known: Vec<&str> = EngineKind::ALL.iter().map(|e| e.as_str()).collect();
                de::Error::custom(format!(
                    "unknown engine {name:?}; expected one of {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

fn deserialize_severity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Severity>, D::Error> {
    let name = String::deserialize(d)?;
    Severity::from_name(&name).map(Some).ok_or_else(|| {
        de::Error::custom(format!(
            "unknown severity {name:?}; expected warning, minor, major or critical"
        ))
    })
}

/// An RFC 3339 time, written as a TOML datetime (`start = 2026-03-01T08:00:00Z`) or a string.
fn deserialize_time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    struct TimeVisitor;

    impl<'de> Visitor<'de> for TimeVisitor {
        type Value = Timestamp;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 time with a UTC offset (2026-03-01T08:00:00Z)")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
            parse_rfc3339(text).map_err(E::custom)
        }

        // A TOML datetime arrives as a one-entry map holding its text.
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Timestamp, A::Error> {
            let _key: Option<String> = map.next_key()?;
            let text: String = map.next_value()?;
            parse_rfc3339(&text).map_err(de::Error::custom)
        }
    }

    d.deserialize_any(TimeVisitor)
}

fn parse_rfc3339(text: &str) -> Result<Timestamp, String> {
    let time = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time with a UTC offset: {e}"))?;
    u64::try_from(time.unix_timestamp_nanos())
        .map(Timestamp)
        .map_err(|_| format!("{text:?} is before 1970"))
}

/// An alert exclusion rule: alerts matching every condition it sets are suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// Name, quoted in the suppression reason.
    pub name: String,
    /// Why, quoted in the suppression reason.
    pub reason: String,
    /// Rule ids (`anomaly.port_scan`), or whole namespaces (`anomaly.*`).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Raising engines.
    #[serde(default, deserialize_with = "deserialize_engines")]
    pub engines: Vec<EngineKind>,
    /// Only alerts of this severity or lower.
    #[serde(default, deserialize_with = "deserialize_severity")]
    pub max_severity: Option<Severity>,
    /// Source devices or subnets.
    #[serde(default)]
    pub sources: Vec<DeviceMatch>,
    /// Destination devices or subnets.
    #[serde(default)]
    pub destinations: Vec<DeviceMatch>,
    /// Devices or subnets on either side.
    #[serde(default)]
    pub devices: Vec<DeviceMatch>,
    /// Application protocols (`modbus`, `s7comm`).
    #[serde(default)]
    pub protocols: Vec<String>,
}

fn any_side(devices: &[DeviceMatch], sides: [Option<Endpoint>; 2]) -> bool {
    sides
        .iter()
        .flatten()
        .any(|side| devices.iter().any(|d| d.matches(side)))
}

/// True when `list` is empty (no condition) or `f` holds for one of its entries.
fn unset_or_any<T>(list: &[T], f: impl Fn(&T) -> bool) -> bool {
    list.is_empty() || list.iter().any(f)
}

fn rule_matches(pattern: &str, rule: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(namespace) => rule
            .strip_prefix(namespace)
            .is_some_and(|rest| rest.starts_with('.')),
        None => pattern == rule,
    }
}

impl Exclusion {
    /// True when the rule sets no condition at all.
    fn is_unconditional(&self) -> bool {
        self.rules.is_empty()
            && self.engines.is_empty()
            && self.max_severity.is_none()
            && self.sources.is_empty()
            && self.destinations.is_empty()
            && self.devices.is_empty()
            && self.protocols.is_empty()
    }

    /// True when `draft` meets every condition this rule sets.
    pub fn matches(&self, draft: &AlertDraft) -> bool {
        unset_or_any(&self.rules, |p| rule_matches(p, draft.rule.id))
            && unset_or_any(&self.engines, |e| *e == draft.rule.engine)
            && self.max_severity.is_none_or(|max| draft.severity <= max)
            && (self.sources.is_empty() || any_side(&self.sources, [draft.source, None]))
            && (self.destinations.is_empty()
                || any_side(&self.destinations, [draft.destination, None]))
            && (self.devices.is_empty()
                || any_side(&self.devices, [draft.source, draft.destination]))
            && unset_or_any(&self.protocols, |p| draft.protocol.as_deref() == Some(p))
    }
}

impl Suppress for Exclusion {
    fn suppress(&self, draft: &AlertDraft) -> Option<String> {
        self.matches(draft)
            .then(|| format!("exclusion rule '{}': {}", self.name, self.reason))
    }
}

/// A maintenance window: alerts from its devices (or all devices) and engines (or all
/// engines) between its start and end are suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    /// Name, quoted in the suppression reason.
    pub name: String,
    /// Why, quoted in the suppression reason.
    pub reason: String,
    /// Start (inclusive), RFC 3339 with an offset.
    #[serde(deserialize_with = "deserialize_time")]
    pub start: Timestamp,
    /// End (exclusive), RFC 3339 with an offset.
    #[serde(deserialize_with = "deserialize_time")]
    pub end: Timestamp,
    /// Devices or subnets on either side; empty means every device.
    #[serde(default)]
    pub devices: Vec<DeviceMatch>,
    /// Engines; empty means every engine.
    #[serde(default, deserialize_with = "deserialize_engines")]
    pub engines: Vec<EngineKind>,
}

impl MaintenanceWindow {
    /// True when `draft` falls in this window.
    pub fn matches(&self, draft: &AlertDraft) -> bool {
        (self.start..self.end).contains(&draft.time)
            && unset_or_any(&self.engines, |e| *e == draft.rule.engine)
            && (self.devices.is_empty()
                || any_side(&self.devices, [draft.source, draft.destination]))
    }

    /// `2026-03-01T08:00Z–12:00Z`: the end without its date when it is the start's day.
    fn span(&self) -> String {
        let (start, end) = (short_time(self.start), short_time(self.end));
        match (start.split_once('T'), end.split_once('T')) {
            (Some((day, _)), Some((end_day, end_clock))) if day == end_day => {
                format!("{start}–{end_clock}")
            }
            _ => format!("{start}–{end}"),
        }
    }
}

/// RFC 3339 without the fractions, seconds or both when they are zero.
fn short_time(t: Timestamp) -> String {
    let full = t.to_string();
    match full.strip_suffix(".000000Z") {
        Some(whole) => format!("{}Z", whole.strip_suffix(":00").unwrap_or(whole)),
        None => full,
    }
}

impl Suppress for MaintenanceWindow {
    fn suppress(&self, draft: &AlertDraft) -> Option<String> {
        self.matches(draft).then(|| {
            format!(
                "maintenance window '{}' ({}): {}",
                self.name,
                self.span(),
                self.reason
            )
        })
    }
}

/// Why the exclusions and windows of a configuration cannot be used.
pub fn validate(exclusions: &[Exclusion], windows: &[MaintenanceWindow]) -> Result<(), String> {
    if let Some(e) = exclusions.iter().find(|e| e.is_unconditional()) {
        return Err(format!(
            "exclusion '{}' sets no condition (rules, engines, max_severity, sources, destinations, devices, protocols) and would suppress every alert",
            e.name
        ));
    }
    if let Some(w) = windows.iter().find(|w| w.end <= w.start) {
        return Err(format!(
            "maintenance window '{}' ends ({}) before it starts ({})",
            w.name, w.end, w.start
        ));
    }
    Ok(())
}

/// The suppressors a configuration asks for, exclusions first, in the file's order.
pub fn suppressors(config: &crate::DetectConfig) -> Vec<Box<dyn Suppress>> {
    let exclusions = config
        .exclusions
        .iter()
        .map(|e| Box::new(e.clone()) as Box<dyn Suppress>);
    let windows = config
        .maintenance
        .iter()
        .map(|w| Box::new(w.clone()) as Box<dyn Suppress>);
    exclusions.chain(windows).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DetectConfig;
    use crate::alert::Rule;
    use std::path::Path;

    static SCAN: Rule = Rule {
        id: "anomaly.port_scan",
        title: "Port scan",
        engine: EngineKind::Anomaly,
        category: "scan",
        severity: Severity::Major,
        techniques: &["T0846"],
        remediation: "",
    };
    static DOWNLOAD: Rule = Rule {
        id: "protocol_policy.program_download",
        title: "Program download",
        engine: EngineKind::ProtocolPolicy,
        category: "program_change",
        severity: Severity::Critical,
        techniques: &["T0843"],
        remediation: "",
    };

    fn side(ip: [u8; 4]) -> Option<Endpoint> {
        Some(Endpoint {
            ip: Some(IpAddr::from(ip)),
            mac: Some(Mac([0, 0x1b, 0x1b, 0, 0, ip[3]])),
            port: None,
        })
    }

    fn draft(rule: &'static Rule, secs: u64, src: [u8; 4], dst: [u8; 4]) -> AlertDraft {
        AlertDraft::new(rule, Timestamp::from_parts(secs, 0), "t")
            .between(side(src), side(dst))
            .protocol("modbus")
    }

    fn config(text: &str) -> DetectConfig {
        DetectConfig::parse(text, Path::new("d.toml")).expect("valid configuration")
    }

    /// 2026-03-01T08:00:00Z.
    const EIGHT: u64 = 1_772_352_000;

    #[test]
    fn an_exclusion_suppresses_what_meets_every_condition() {
        let c = config(
            r#"
[[exclusion]]
name = "scanner subnet"
reason = "vulnerability scans every night"
rules = ["anomaly.*"]
max_severity = "major"
sources = ["10.9.0.0/16", "10.0.0.7"]
protocols = ["modbus"]
"#,
        );
        let e = &c.exclusions[0];
        let reason = e.suppress(&draft(&SCAN, 1, [10, 9, 1, 1], [10, 0, 0, 2]));
        assert_eq!(
            reason.as_deref(),
            Some("exclusion rule 'scanner subnet': vulnerability scans every night")
        );
        assert!(e.matches(&draft(&SCAN, 1, [10, 0, 0, 7], [10, 0, 0, 2])));
        // The scanner as a destination, another engine, a higher severity, another protocol.
        assert!(!e.matches(&draft(&SCAN, 1, [10, 0, 0, 2], [10, 9, 1, 1])));
        assert!(!e.matches(&draft(&DOWNLOAD, 1, [10, 9, 1, 1], [10, 0, 0, 2])));
        let worse = draft(&SCAN, 1, [10, 9, 1, 1], [10, 0, 0, 2]).severity(Severity::Critical);
        assert!(!e.matches(&worse));
        let mut other = draft(&SCAN, 1, [10, 9, 1, 1], [10, 0, 0, 2]);
        other.protocol = Some("dnp3".into());
        assert!(!e.matches(&other));
    }

    #[test]
    fn exclusions_match_macs_engines_and_exact_rule_ids() {
        let c = config(
            r#"
[[exclusion]]
name = "historian"
reason = "polls everything"
rules = ["anomaly.port_scan"]
engines = ["anomaly"]
devices = ["00-1B-1B-00-00-05"]
"#,
        );
        let e = &c.exclusions[0];
        assert!(e.matches(&draft(&SCAN, 1, [10, 0, 0, 1], [10, 0, 0, 5])));
        assert!(!e.matches(&draft(&SCAN, 1, [10, 0, 0, 1], [10, 0, 0, 6])));
        assert!(!rule_matches("anomaly.port", "anomaly.port_scan"));
        assert!(!rule_matches("anomaly.*", "anomalyx.port_scan"));
    }

    #[test]
    fn a_maintenance_window_suppresses_inside_its_time_and_devices() {
        let c = config(
            r#"
[[maintenance]]
name = "line-2 firmware"
reason = "planned update"
start = 2026-03-01T08:00:00Z
end = "2026-03-01T13:00:00+01:00"
devices = ["10.0.2.0/24"]
engines = ["protocol_policy"]
"#,
        );
        let w = &c.maintenance[0];
        assert_eq!(w.start, Timestamp::from_parts(EIGHT, 0));
        assert_eq!(w.end, Timestamp::from_parts(EIGHT + 4 * 3600, 0));
        let reason = w.suppress(&draft(&DOWNLOAD, EIGHT, [10, 0, 0, 5], [10, 0, 2, 2]));
        assert_eq!(
            reason.as_deref(),
            Some("maintenance window 'line-2 firmware' (2026-03-01T08:00Z–12:00Z): planned update")
        );
        // The end is exclusive; one second before the start is outside too.
        assert!(!w.matches(&draft(
            &DOWNLOAD,
            EIGHT + 4 * 3600,
            [10, 0, 0, 5],
            [10, 0, 2, 2]
        )));
        assert!(!w.matches(&draft(&DOWNLOAD, EIGHT - 1, [10, 0, 0, 5], [10, 0, 2, 2])));
        assert!(!w.matches(&draft(&DOWNLOAD, EIGHT, [10, 0, 0, 5], [10, 0, 3, 2])));
        assert!(!w.matches(&draft(&SCAN, EIGHT, [10, 0, 0, 5], [10, 0, 2, 2])));
    }

    #[test]
    fn a_window_over_midnight_names_both_days() {
        let w = MaintenanceWindow {
            name: "n".into(),
            reason: "r".into(),
            start: Timestamp::from_parts(EIGHT + 15 * 3600 + 30 * 60, 0),
            end: Timestamp::from_parts(EIGHT + 17 * 3600 + 1, 0),
            devices: Vec::new(),
            engines: Vec::new(),
        };
        assert_eq!(w.span(), "2026-03-01T23:30Z–2026-03-02T01:00:01Z");
    }

    #[test]
    fn suppressors_come_from_the_configuration_in_order() {
        let c = config(
            r#"
[[exclusion]]
name = "a"
reason = "first"
engines = ["anomaly"]
[[maintenance]]
name = "b"
reason = "second"
start = 2026-03-01T08:00:00Z
end = 2026-03-01T09:00:00Z
"#,
        );
        let all = suppressors(&c);
        assert_eq!(all.len(), 2);
        let scan = draft(&SCAN, EIGHT, [10, 0, 0, 1], [10, 0, 0, 2]);
        let reasons: Vec<Option<String>> = all.iter().map(|s| s.suppress(&scan)).collect();
        assert!(reasons[0].as_deref().is_some_and(|r| r.ends_with("first")));
        assert!(reasons[1].as_deref().is_some_and(|r| r.ends_with("second")));
    }

    fn error(text: &str) -> String {
        DetectConfig::parse(text, Path::new("d.toml"))
            .expect_err("invalid configuration")
            .to_string()
    }

    #[test]
    fn mistakes_are_refused_with_the_line() {
        let e = error("[[exclusion]]\nname = \"a\"\nreason = \"b\"\nengines = [\"polcy\"]\n");
        assert!(
            e.contains("line 4") && e.contains("unknown engine \"polcy\""),
            "{e}"
        );
        let e = error("[[exclusion]]\nname = \"a\"\nreason = \"b\"\nsources = [\"10.0.0.300\"]\n");
        assert!(
            e.contains("line 4") && e.contains("not an IP address"),
            "{e}"
        );
        let e = error("[[exclusion]]\nname = \"a\"\nreason = \"b\"\nmax_severity = \"high\"\n");
        assert!(
            e.contains("line 4") && e.contains("unknown severity"),
            "{e}"
        );
        let e = error("[[exclusion]]\nname = \"a\"\nreason = \"b\"\nrule = [\"x\"]\n");
        assert!(e.contains("line 4") && e.contains("rule"), "{e}");
        let e = error(
            "[[maintenance]]\nname = \"a\"\nreason = \"b\"\nstart = \"tomorrow\"\nend = 2026-03-01T09:00:00Z\n",
        );
        assert!(e.contains("line 4") && e.contains("RFC 3339"), "{e}");
        let e = error(
            "[[maintenance]]\nname = \"a\"\nreason = \"b\"\nstart = 2026-03-01T08:00:00\nend = 2026-03-01T09:00:00Z\n",
        );
        assert!(e.contains("line 4"), "{e}");
        let e = error(
            "[[maintenance]]\nname = \"a\"\nstart = 2026-03-01T08:00:00Z\nend = 2026-03-01T09:00:00Z\n",
        );
        assert!(e.contains("reason"), "{e}");
    }

    #[test]
    fn rules_that_mean_nothing_or_everything_are_refused() {
        let e = error("[[exclusion]]\nname = \"all\"\nreason = \"quiet\"\n");
        assert!(e.contains("exclusion 'all' sets no condition"), "{e}");
        let e = error(
            "[[maintenance]]\nname = \"w\"\nreason = \"r\"\nstart = 2026-03-01T09:00:00Z\nend = 2026-03-01T08:00:00Z\n",
        );
        assert!(e.contains("maintenance window 'w' ends"), "{e}");
    }
}
