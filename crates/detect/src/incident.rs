//! Incidents: related alerts on the same devices, grouped into one story with a timeline.
//!
//! Two alerts are related when they share a device (an IP or a MAC address on either side)
//! and the later one opened at most a window after the last occurrence of an earlier alert
//! on that device. Relation is transitive (union-find), so an alert that touches two groups
//! merges them: a new host that scans, then programs a PLC, then stops it is one incident.
//!
//! Grouping is a pure function over a run's final alerts rather than incremental on the packet
//! path: aggregation can still move an alert's last occurrence until the end of the run, and
//! the alerts are already bounded by the book ([`crate::book::MAX_ALERTS`]), so memory here is
//! linear in them. Group addresses (broadcast, multicast) never link alerts: they are not
//! devices, and every ARP or discovery alert would otherwise fall into one incident.

use std::collections::HashMap;
use std::net::IpAddr;

use rampart_event::{Mac, Timestamp};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::alert::{Alert, AlertId, Endpoint, EngineKind, Severity};

/// The default gap between consecutive alerts on a device that still joins them.
pub const DEFAULT_WINDOW: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Incident settings (`[incidents]` in the detection configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentConfig {
    /// Longest gap between consecutive alerts on a shared device that keeps them in one
    /// incident (`"30m"`, `"2h"`); default 30 minutes.
    #[serde(default = "default_window", with = "window_text")]
    pub window: std::time::Duration,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            window: DEFAULT_WINDOW,
        }
    }
}

fn default_window() -> std::time::Duration {
    DEFAULT_WINDOW
}

/// `window = "30m"`: a humantime duration, refused when zero (nothing would ever group).
mod window_text {
    use serde::{Deserialize, Deserializer, de::Error};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<std::time::Duration, D::Error> {
        let text = String::deserialize(d)?;
        let window = humantime::parse_duration(&text)
            .map_err(|e| D::Error::custom(format!("window {text:?}: {e}")))?;
        if window.is_zero() {
            return Err(D::Error::custom("window must be longer than zero"));
        }
        Ok(window)
    }
}

/// The stable id of an incident, printed as 16 hex digits: derived from its first alert, so
/// the same story gets the same id in every run that sees it begin the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentId(pub u64);

impl IncidentId {
    /// The id of the incident that `first` opens.
    pub fn of_first_alert(first: AlertId) -> IncidentId {
        let mut h = Sha256::new();
        h.update(b"incident|");
        h.update(first.0.to_be_bytes());
        let digest = h.finalize();
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        IncidentId(u64::from_be_bytes(id))
    }
}

impl std::fmt::Display for IncidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for IncidentId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<IncidentId, Self::Err> {
        u64::from_str_radix(s, 16).map(IncidentId)
    }
}

/// One alert in an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// When the alert first occurred.
    pub time: Timestamp,
    /// When it last occurred.
    pub last_seen: Timestamp,
    /// The alert.
    pub alert: AlertId,
    /// Its rule id.
    pub rule: &'static str,
    /// Its title.
    pub title: String,
    /// Its engine.
    pub engine: EngineKind,
    /// Its severity.
    pub severity: Severity,
    /// Its occurrences.
    pub count: u64,
}

/// Related alerts on the same devices, in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Stable id, from the first alert.
    pub id: IncidentId,
    /// The most severe alert's title on its device, with how the story began.
    pub title: String,
    /// The highest severity among the alerts.
    pub severity: Severity,
    /// Devices involved (address parts of the alerts' sides), in order of first appearance.
    pub devices: Vec<Endpoint>,
    /// ATT&CK for ICS technique ids, each once, in the order the timeline first shows them.
    pub techniques: Vec<&'static str>,
    /// First occurrence of any alert.
    pub first_seen: Timestamp,
    /// Last occurrence of any alert.
    pub last_seen: Timestamp,
    /// The alerts, ordered by first occurrence (then id).
    pub timeline: Vec<TimelineEntry>,
}

/// One address that identifies a device for grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DeviceKey {
    Ip(IpAddr),
    Mac(Mac),
}

fn is_group_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_broadcast() || v4.is_multicast() || v4.is_unspecified(),
        IpAddr::V6(v6) => v6.is_multicast() || v6.is_unspecified(),
    }
}

/// The addresses of an alert that link it to others.
fn device_keys(alert: &Alert) -> impl Iterator<Item = DeviceKey> + '_ {
    [alert.source, alert.destination]
        .into_iter()
        .flatten()
        .flat_map(|side| {
            let ip = side.ip.filter(|ip| !is_group_ip(*ip)).map(DeviceKey::Ip);
            let mac = side.mac.filter(|m| !m.is_group()).map(DeviceKey::Mac);
            [ip, mac].into_iter().flatten()
        })
}

/// Disjoint sets over alert positions, with path halving.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Join two sets; the root is the earlier position, so a set's root is its first alert.
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (root, child) = (ra.min(rb), ra.max(rb));
            self.parent[child] = root;
        }
    }
}

/// Group `alerts` into incidents: every alert lands in exactly one, an alert related to none
/// is an incident of its own. `window` is the longest gap between consecutive alerts on a
/// shared device. The result does not depend on the order of `alerts`; incidents come in the
/// order of their first alert.
pub fn group(alerts: &[Alert], window: std::time::Duration) -> Vec<Incident> {
    let window = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
    let mut order: Vec<&Alert> = alerts.iter().collect();
    order.sort_by_key(|a| (a.first_seen, a.id));
    let mut sets = UnionFind::new(order.len());
    // Per device: the latest alert position on it and the last occurrence seen there.
    let mut latest: HashMap<DeviceKey, (usize, Timestamp)> = HashMap::new();
    for (i, alert) in order.iter().enumerate() {
        for key in device_keys(alert) {
            let last = match latest.get(&key) {
                Some(&(j, last)) if alert.first_seen.nanos_since(last) <= window => {
                    sets.union(i, j);
                    last.max(alert.last_seen)
                }
                _ => alert.last_seen,
            };
            latest.insert(key, (i, last));
        }
    }
    let mut members: HashMap<usize, Vec<&Alert>> = HashMap::new();
    for (i, alert) in order.iter().enumerate() {
        members.entry(sets.find(i)).or_default().push(alert);
    }
    let mut roots: Vec<usize> = members.keys().copied().collect();
    roots.sort_unstable();
    roots
        .into_iter()
        .filter_map(|root| members.remove(&root))
        .map(|alerts| incident(&alerts))
        .collect()
}

/// The incident of a group of alerts ordered by first occurrence; `alerts` is never empty.
fn incident(alerts: &[&Alert]) -> Incident {
    let mut devices: Vec<Endpoint> = Vec::new();
    let mut techniques: Vec<&'static str> = Vec::new();
    for alert in alerts {
        for side in [alert.source, alert.destination].into_iter().flatten() {
            let device = side.device();
            if (device.ip.is_some() || device.mac.is_some()) && !devices.contains(&device) {
                devices.push(device);
            }
        }
        for t in alert.techniques {
            if !techniques.contains(t) {
                techniques.push(t);
            }
        }
    }
    let first = alerts.first().map_or(AlertId(0), |a| a.id);
    Incident {
        id: IncidentId::of_first_alert(first),
        title: title(alerts),
        severity: alerts
            .iter()
            .map(|a| a.severity)
            .max()
            .unwrap_or(Severity::Warning),
        devices,
        techniques,
        first_seen: alerts
            .iter()
            .map(|a| a.first_seen)
            .min()
            .unwrap_or_default(),
        last_seen: alerts.iter().map(|a| a.last_seen).max().unwrap_or_default(),
        timeline: alerts
            .iter()
            .map(|a| TimelineEntry {
                time: a.first_seen,
                last_seen: a.last_seen,
                alert: a.id,
                rule: a.rule,
                title: a.title.clone(),
                engine: a.engine,
                severity: a.severity,
                count: a.count,
            })
            .collect(),
    }
}

/// `10.0.0.2: Program download after new device`: the most severe alert (the earliest among
/// equals) on the device it targets, then how the incident began or how much else it holds.
fn title(alerts: &[&Alert]) -> String {
    let Some(worst) = alerts
        .iter()
        .enumerate()
        .max_by_key(|(i, a)| (a.severity, std::cmp::Reverse(*i)))
        .map(|(_, a)| *a)
    else {
        return String::new();
    };
    let mut title = match device_name(worst) {
        Some(device) => format!("{device}: {}", worst.title),
        None => worst.title.clone(),
    };
    let others = alerts.len() - 1;
    match alerts.first() {
        Some(first) if first.id != worst.id => {
            title.push_str(" after ");
            title.push_str(&lowercase_first_word(&first.title));
            if others > 1 {
                title.push_str(&format!(" (+{} more)", others - 1));
            }
        }
        _ if others > 0 => title.push_str(&format!(" (+{others} more)")),
        _ => {}
    }
    title
}

/// The device an alert is about: its target when it has one, else its source.
fn device_name(alert: &Alert) -> Option<String> {
    [alert.destination, alert.source]
        .into_iter()
        .flatten()
        .find_map(|e| {
            e.ip.map(|ip| ip.to_string())
                .or_else(|| e.mac.map(|m| m.to_string()))
        })
}

/// `New device` → `new device`, but `PLC stop` stays as it is.
fn lowercase_first_word(title: &str) -> String {
    let mut chars = title.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(title.chars().skip(1)).collect()
        }
        _ => title.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertDraft, Rule};
    use proptest::prelude::*;
    use std::collections::HashSet;

    static NEW_DEVICE: Rule = Rule {
        id: "policy.new_device",
        title: "New device",
        engine: EngineKind::Policy,
        category: "discovery",
        severity: Severity::Minor,
        techniques: &["T0864"],
        remediation: "",
    };
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
        techniques: &["T0843", "T0846"],
        remediation: "",
    };

    const MINUTE: u64 = 60_000_000_000;

    fn host(last: u8) -> Endpoint {
        Endpoint {
            ip: Some(IpAddr::from([10, 0, 0, last])),
            ..Endpoint::default()
        }
    }

    fn alert(rule: &'static Rule, minute: u64, src: Option<u8>, dst: Option<u8>) -> Alert {
        Alert::open(
            AlertDraft::new(rule, Timestamp(minute * MINUTE), "test")
                .between(src.map(host), dst.map(host)),
        )
    }

    const WINDOW: std::time::Duration = DEFAULT_WINDOW;

    #[test]
    fn a_story_on_one_device_is_one_incident_with_its_timeline() {
        let alerts = vec![
            alert(&DOWNLOAD, 20, Some(9), Some(2)),
            alert(&NEW_DEVICE, 0, Some(9), None),
            alert(&SCAN, 10, Some(9), Some(3)),
        ];
        let incidents = group(&alerts, WINDOW);
        assert_eq!(incidents.len(), 1);
        let i = &incidents[0];
        assert_eq!(i.id, IncidentId::of_first_alert(alerts[1].id));
        assert_eq!(
            i.title,
            "10.0.0.2: Program download after new device (+1 more)"
        );
        assert_eq!(i.severity, Severity::Critical);
        assert_eq!(i.devices, vec![host(9), host(3), host(2)]);
        assert_eq!(i.techniques, vec!["T0864", "T0846", "T0843"]);
        assert_eq!(i.first_seen, Timestamp(0));
        assert_eq!(i.last_seen, Timestamp(20 * MINUTE));
        let timeline: Vec<_> = i
            .timeline
            .iter()
            .map(|e| (e.time.0 / MINUTE, e.rule))
            .collect();
        assert_eq!(
            timeline,
            vec![
                (0, "policy.new_device"),
                (10, "anomaly.port_scan"),
                (20, "protocol_policy.program_download")
            ]
        );
    }

    #[test]
    fn a_gap_longer_than_the_window_splits_the_incident() {
        let alerts = vec![
            alert(&NEW_DEVICE, 0, Some(9), None),
            alert(&SCAN, 30, Some(9), Some(3)),
            alert(&DOWNLOAD, 61, Some(9), Some(2)),
        ];
        let incidents = group(&alerts, WINDOW);
        let sizes: Vec<usize> = incidents.iter().map(|i| i.timeline.len()).collect();
        // 30 minutes is within the window (inclusive); 31 is not.
        assert_eq!(sizes, vec![2, 1]);
        assert_eq!(incidents[1].title, "10.0.0.2: Program download");
    }

    #[test]
    fn repeats_extend_the_window_from_the_last_occurrence() {
        let mut scan = alert(&SCAN, 0, Some(9), Some(3));
        scan.last_seen = Timestamp(50 * MINUTE);
        let alerts = vec![scan, alert(&DOWNLOAD, 70, Some(9), Some(2))];
        assert_eq!(group(&alerts, WINDOW).len(), 1);
    }

    #[test]
    fn an_alert_on_two_devices_merges_their_incidents() {
        let alerts = vec![
            alert(&NEW_DEVICE, 0, Some(4), None),
            alert(&NEW_DEVICE, 1, Some(5), None),
            alert(&SCAN, 2, Some(4), Some(5)),
        ];
        let incidents = group(&alerts, WINDOW);
        assert_eq!(incidents.len(), 1);
        assert_eq!(incidents[0].timeline.len(), 3);
        assert_eq!(
            incidents[0].title,
            "10.0.0.5: Port scan after new device (+1 more)"
        );
        let unrelated = vec![
            alert(&NEW_DEVICE, 0, Some(4), None),
            alert(&NEW_DEVICE, 1, Some(5), None),
        ];
        assert_eq!(group(&unrelated, WINDOW).len(), 2);
    }

    #[test]
    fn a_shared_mac_relates_alerts_and_a_broadcast_does_not() {
        let mac = |b: u8| Endpoint {
            mac: Some(Mac([0, 0x1b, 0x1b, 0, 0, b])),
            ..Endpoint::default()
        };
        let broadcast = Endpoint {
            ip: Some(IpAddr::from([255, 255, 255, 255])),
            mac: Some(Mac::BROADCAST),
            port: None,
        };
        let draft = |src: Endpoint, dst: Endpoint, minute: u64| {
            Alert::open(
                AlertDraft::new(&SCAN, Timestamp(minute * MINUTE), "t")
                    .between(Some(src), Some(dst))
                    .discriminator(minute.to_string()),
            )
        };
        let alerts = vec![
            draft(mac(1), broadcast, 0),
            draft(mac(2), broadcast, 1),
            draft(host(7), mac(1), 2),
        ];
        let sizes: Vec<usize> = group(&alerts, WINDOW)
            .iter()
            .map(|i| i.timeline.len())
            .collect();
        assert_eq!(sizes, vec![2, 1]);
    }

    #[test]
    fn an_alert_without_devices_is_an_incident_of_its_own() {
        let alerts = vec![alert(&SCAN, 0, None, None), alert(&SCAN, 1, Some(1), None)];
        let incidents = group(&alerts, WINDOW);
        assert_eq!(incidents.len(), 2);
        assert_eq!(incidents[0].title, "Port scan");
        assert!(incidents[0].devices.is_empty());
    }

    #[test]
    fn the_window_reads_as_a_duration_and_refuses_zero() {
        let c: IncidentConfig = toml::from_str("window = \"2h\"").expect("valid");
        assert_eq!(c.window, std::time::Duration::from_secs(7200));
        let c: IncidentConfig = toml::from_str("").expect("empty");
        assert_eq!(c.window, DEFAULT_WINDOW);
        let err = toml::from_str::<IncidentConfig>("window = \"0s\"").expect_err("zero");
        assert!(err.to_string().contains("longer than zero"), "{err}");
        let err = toml::from_str::<IncidentConfig>("window = \"soon\"").expect_err("bad");
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn the_detection_configuration_sets_the_window() {
        let path = std::path::Path::new("d.toml");
        let c = crate::DetectConfig::parse("[incidents]\nwindow = \"10m\"\n", path).expect("valid");
        assert_eq!(c.incidents.window, std::time::Duration::from_secs(600));
        let err = crate::DetectConfig::parse("[incidents]\nwindw = \"10m\"\n", path)
            .expect_err("unknown key");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn ids_read_back_from_text() {
        let id = IncidentId::of_first_alert(AlertId(42));
        assert_eq!(id.to_string().parse::<IncidentId>().ok(), Some(id));
        assert_ne!(id.0, 42);
    }

    fn arbitrary_alerts() -> impl Strategy<Value = Vec<Alert>> {
        proptest::collection::vec((0u8..3, 0u64..200, 0u64..40, 0u8..6, 0u8..6), 0..80).prop_map(
            |specs| {
                specs
                    .into_iter()
                    .enumerate()
                    .map(|(n, (rule, minute, span, src, dst))| {
                        let rule = [&NEW_DEVICE, &SCAN, &DOWNLOAD][usize::from(rule)];
                        let side = |b: u8| (b > 0).then(|| host(b));
                        let mut a = Alert::open(
                            AlertDraft::new(rule, Timestamp(minute * MINUTE), "p")
                                .between(side(src), side(dst))
                                .discriminator(n.to_string()),
                        );
                        a.last_seen = Timestamp((minute + span) * MINUTE);
                        a
                    })
                    .collect()
            },
        )
    }

    proptest! {
        /// Every alert lands in exactly one incident, whatever the alerts and their order.
        #[test]
        fn every_alert_lands_in_exactly_one_incident(alerts in arbitrary_alerts(), seed in 0usize..1000) {
            let incidents = group(&alerts, WINDOW);
            let mut seen = HashSet::new();
            for entry in incidents.iter().flat_map(|i| &i.timeline) {
                prop_assert!(seen.insert(entry.alert), "alert {} in two incidents", entry.alert);
            }
            let ids: HashSet<AlertId> = alerts.iter().map(|a| a.id).collect();
            prop_assert_eq!(seen, ids);
            let mut shuffled = alerts.clone();
            if !shuffled.is_empty() {
                let len = shuffled.len();
                shuffled.rotate_left(seed % len);
                shuffled.reverse();
            }
            prop_assert_eq!(group(&shuffled, WINDOW), incidents);
        }
    }
}
