//! `incidents.jsonl`: one line per incident of a run, beside `alerts.jsonl`.
//!
//! The shape follows ECS where ECS has a name (`@timestamp`, `event.kind`, `event.severity`,
//! `event.start`, `event.end`, `event.duration` in nanoseconds, `threat.technique`,
//! `related.ip`); what ECS has no name for sits under `incident`. The SQLite store keeps the
//! same text in its `incidents` table.

use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;

use rampart_detect::incident::TimelineEntry;
use rampart_detect::{Endpoint, Incident, technique};
use rampart_event::{SCHEMA_VERSION, Timestamp};
use serde::Serialize;

use crate::OutputError;

/// The JSON of one incident.
#[derive(Serialize)]
pub struct IncidentJson<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: Timestamp,
    record: &'static str,
    schema_version: u32,
    id: String,
    event: EventJson,
    incident: IncidentFields<'a>,
    threat: ThreatJson<'a>,
    related: RelatedJson,
}

#[derive(Serialize)]
struct EventJson {
    kind: &'static str,
    severity: u8,
    start: Timestamp,
    end: Timestamp,
    duration: u64,
}

#[derive(Serialize)]
struct IncidentFields<'a> {
    title: &'a str,
    severity: &'static str,
    alert_count: usize,
    occurrences: u64,
    first_seen: Timestamp,
    last_seen: Timestamp,
    devices: &'a [Endpoint],
    timeline: Vec<TimelineJson<'a>>,
}

#[derive(Serialize)]
struct TimelineJson<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: Timestamp,
    last_seen: Timestamp,
    alert: TimelineAlert<'a>,
}

#[derive(Serialize)]
struct TimelineAlert<'a> {
    id: String,
    rule: &'static str,
    title: &'a str,
    engine: &'static str,
    severity: &'static str,
    count: u64,
}

#[derive(Serialize)]
struct ThreatJson<'a> {
    framework: &'static str,
    technique: TechniqueJson<'a>,
}

#[derive(Serialize)]
struct TechniqueJson<'a> {
    id: &'a [&'static str],
    name: Vec<&'static str>,
}

#[derive(Serialize)]
struct RelatedJson {
    ip: Vec<IpAddr>,
}

impl<'a> IncidentJson<'a> {
    /// Shape `incident` for output.
    pub fn new(incident: &'a Incident) -> IncidentJson<'a> {
        let timeline = incident.timeline.iter().map(timeline_json).collect();
        let mut ips: Vec<IpAddr> = Vec::new();
        for ip in incident.devices.iter().filter_map(|d| d.ip) {
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        IncidentJson {
            timestamp: incident.first_seen,
            record: "incident",
            schema_version: SCHEMA_VERSION,
            id: incident.id.to_string(),
            event: EventJson {
                kind: "alert",
                severity: incident.severity.cef(),
                start: incident.first_seen,
                end: incident.last_seen,
                duration: incident.last_seen.nanos_since(incident.first_seen),
            },
            incident: IncidentFields {
                title: &incident.title,
                severity: incident.severity.as_str(),
                alert_count: incident.timeline.len(),
                occurrences: incident.timeline.iter().map(|e| e.count).sum(),
                first_seen: incident.first_seen,
                last_seen: incident.last_seen,
                devices: &incident.devices,
                timeline,
            },
            threat: ThreatJson {
                framework: "MITRE ATT&CK for ICS",
                technique: TechniqueJson {
                    id: &incident.techniques,
                    name: incident
                        .techniques
                        .iter()
                        .map(|id| technique::name(id).unwrap_or(id))
                        .collect(),
                },
            },
            related: RelatedJson { ip: ips },
        }
    }
}

fn timeline_json(entry: &TimelineEntry) -> TimelineJson<'_> {
    TimelineJson {
        timestamp: entry.time,
        last_seen: entry.last_seen,
        alert: TimelineAlert {
            id: entry.alert.to_string(),
            rule: entry.rule,
            title: &entry.title,
            engine: entry.engine.as_str(),
            severity: entry.severity.as_str(),
            count: entry.count,
        },
    }
}

/// Write `incidents.jsonl` in `dir` (which must exist), one line per incident.
pub fn write_incidents(dir: &Path, incidents: &[Incident]) -> Result<(), OutputError> {
    let path = dir.join("incidents.jsonl");
    let fail = |source: io::Error| OutputError {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::create(&path).map_err(fail)?;
    let mut out = io::BufWriter::new(file);
    for incident in incidents {
        serde_json::to_writer(&mut out, &IncidentJson::new(incident))
            .map_err(io::Error::other)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(fail)?;
    }
    out.flush().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_detect::{Alert, AlertDraft, EngineKind, Rule, Severity, incident};

    static NEW_DEVICE: Rule = Rule {
        id: "policy.new_device",
        title: "New device",
        engine: EngineKind::Policy,
        category: "discovery",
        severity: Severity::Minor,
        techniques: &["T0864"],
        remediation: "",
    };
    static STOP: Rule = Rule {
        id: "protocol_policy.plc_stop",
        title: "PLC stop",
        engine: EngineKind::ProtocolPolicy,
        category: "operating_mode",
        severity: Severity::Critical,
        techniques: &["T0858", "T0816"],
        remediation: "",
    };

    fn side(last: u8) -> Option<Endpoint> {
        Some(Endpoint {
            ip: Some(IpAddr::from([10, 0, 0, last])),
            ..Endpoint::default()
        })
    }

    #[test]
    fn writes_one_ecs_shaped_line_per_incident() {
        let alerts = vec![
            Alert::open(
                AlertDraft::new(&NEW_DEVICE, Timestamp::from_parts(100, 0), "new")
                    .between(side(9), None),
            ),
            Alert::open(
                AlertDraft::new(&STOP, Timestamp::from_parts(160, 0), "stop")
                    .between(side(9), side(2)),
            ),
            Alert::open(
                AlertDraft::new(&NEW_DEVICE, Timestamp::from_parts(170, 0), "new")
                    .between(side(7), None),
            ),
        ];
        let incidents = incident::group(&alerts, incident::DEFAULT_WINDOW);
        let dir = tempfile::tempdir().expect("temporary directory");
        write_incidents(dir.path(), &incidents).expect("written");
        let text = std::fs::read_to_string(dir.path().join("incidents.jsonl")).expect("read");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 2);
        let first = &lines[0];
        assert_eq!(first["record"], "incident");
        assert_eq!(first["id"], incidents[0].id.to_string());
        assert_eq!(first["@timestamp"], "1970-01-01T00:01:40.000000Z");
        assert_eq!(first["event"]["severity"], 10);
        assert_eq!(first["event"]["duration"], 60_000_000_000u64);
        assert_eq!(
            first["incident"]["title"],
            "10.0.0.2: PLC stop after new device"
        );
        assert_eq!(first["incident"]["severity"], "critical");
        assert_eq!(first["incident"]["alert_count"], 2);
        assert_eq!(
            first["threat"]["technique"]["id"],
            serde_json::json!(["T0864", "T0858", "T0816"])
        );
        assert_eq!(
            first["threat"]["technique"]["name"][1],
            "Change Operating Mode"
        );
        assert_eq!(
            first["related"]["ip"],
            serde_json::json!(["10.0.0.9", "10.0.0.2"])
        );
        let timeline = &first["incident"]["timeline"];
        assert_eq!(timeline[1]["alert"]["rule"], "protocol_policy.plc_stop");
        assert_eq!(timeline[1]["alert"]["engine"], "protocol_policy");
        assert_eq!(timeline[1]["@timestamp"], "1970-01-01T00:02:40.000000Z");
        assert_eq!(
            lines[1]["incident"]["devices"],
            serde_json::json!([{"ip": "10.0.0.7"}])
        );
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let err = write_incidents(&dir.path().join("absent"), &[]).expect_err("no directory");
        assert!(err.to_string().contains("incidents.jsonl"), "{err}");
    }
}
