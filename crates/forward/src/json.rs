//! The JSON shape of an alert: one line of `alerts.jsonl`, the body of a webhook and the JSON
//! syslog payload are the same object, so a SOC parses one schema whichever way alerts reach
//! it. Field names follow ECS where it has one (`@timestamp`, `event.severity`, `source.ip`,
//! `threat.technique.id`); the rest sits under `alert`.

use rampart_detect::technique;
use rampart_detect::{Alert, Endpoint};
use serde_json::{Map, Value, json};

/// The alert as the alerts.jsonl object of the detection contract. `pcap` is the alert's
/// PCAP path relative to the output directory (`alerts/<id>.pcap`) when one was written.
pub fn serialize_alert_json(alert: &Alert, pcap: Option<&str>) -> Value {
    let mut details = json!({
        "title": alert.title,
        "description": alert.description,
        "engine": alert.engine.as_str(),
        "severity": alert.severity.as_str(),
        "status": alert.status,
        "remediation": alert.remediation,
        "discriminator": alert.discriminator,
        "count": alert.count,
        "first_seen": alert.first_seen,
        "last_seen": alert.last_seen,
    });
    if let Some(path) = pcap {
        details["pcap"] = json!(path);
    }
    if let Some(reason) = &alert.suppressed {
        details["suppressed"] = json!(reason);
    }
    let names: Vec<&str> = alert
        .techniques
        .iter()
        .map(|id| technique::name(id).unwrap_or(id))
        .collect();
    let mut object = json!({
        "@timestamp": alert.first_seen,
        "kind": "alert",
        "schema_version": rampart_event::SCHEMA_VERSION,
        "id": alert.id,
        "rule": {"id": alert.rule, "name": alert.title, "category": alert.category},
        "event": {
            "kind": "alert",
            "severity": alert.severity.cef(),
            "start": alert.first_seen,
            "end": alert.last_seen,
            "count": alert.count,
        },
        "alert": details,
        "threat": {
            "framework": "MITRE ATT&CK for ICS",
            "technique": {"id": alert.techniques, "name": names},
        },
        "evidence": alert.evidence,
    });
    for (key, side) in [("source", alert.source), ("destination", alert.destination)] {
        if let Some(side) = side.filter(|s| *s != Endpoint::default()) {
            object[key] = json!(side);
        }
    }
    if let Some(protocol) = &alert.protocol {
        object["network"] = json!({ "protocol": protocol });
    }
    object
}

/// The alert as one compact JSON line (no trailing newline).
pub fn alert_line(alert: &Alert, pcap: Option<&str>) -> String {
    let value = serialize_alert_json(alert, pcap);
    // A `Value` always serialises; the fallback is an empty object rather than a panic.
    serde_json::to_string(&value).unwrap_or_else(|_| Value::Object(Map::new()).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn follows_the_alerts_jsonl_shape_of_the_contract() {
        let alert = fixture::alert();
        let v = serialize_alert_json(&alert, Some("alerts/00000000000000aa.pcap"));
        assert_eq!(v["@timestamp"], "2024-03-01T10:00:00.250000Z");
        assert_eq!(v["kind"], "alert");
        assert_eq!(v["schema_version"], rampart_event::SCHEMA_VERSION);
        assert_eq!(v["id"], alert.id.to_string());
        assert_eq!(v["rule"]["id"], "policy.new_command");
        assert_eq!(v["rule"]["category"], "command");
        assert_eq!(v["event"]["severity"], 8);
        assert_eq!(v["event"]["count"], 3);
        assert_eq!(v["event"]["end"], "2024-03-01T10:05:00.000000Z");
        assert_eq!(v["alert"]["engine"], "policy");
        assert_eq!(v["alert"]["severity"], "major");
        assert_eq!(v["alert"]["status"], "new");
        assert_eq!(v["alert"]["pcap"], "alerts/00000000000000aa.pcap");
        assert!(v["alert"].get("suppressed").is_none());
        assert_eq!(v["threat"]["technique"]["id"], json!(["T0855", "T0836"]));
        assert_eq!(
            v["threat"]["technique"]["name"],
            json!(["Unauthorized Command Message", "Modify Parameter"])
        );
        assert_eq!(v["source"]["ip"], "10.0.0.5");
        assert_eq!(v["source"]["mac"], "00:1b:1b:0a:0b:0c");
        assert_eq!(v["destination"]["port"], 502);
        assert_eq!(v["network"]["protocol"], "modbus");
        assert_eq!(v["evidence"]["function_code"], 16);
    }

    #[test]
    fn leaves_out_what_the_alert_does_not_have() {
        let mut alert = fixture::alert();
        alert.source = None;
        alert.protocol = None;
        alert.suppressed = Some("maintenance window".into());
        let v = serialize_alert_json(&alert, None);
        assert!(v.get("source").is_none());
        assert!(v.get("network").is_none());
        assert!(v["alert"].get("pcap").is_none());
        assert_eq!(v["alert"]["suppressed"], "maintenance window");
    }

    #[test]
    fn one_line_even_with_line_breaks_in_the_description() {
        let line = alert_line(&fixture::alert(), None);
        assert!(!line.contains('\n'));
        let back: Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(back["alert"]["description"], fixture::HOSTILE);
    }
}
