//! The JSON payload of an alert: the body of a webhook and the JSON syslog payload are the
//! object of one `alerts.jsonl` line ([`rampart_detect::record::alert_record`]), so a SOC
//! parses one schema whichever way alerts reach it.

use rampart_detect::Alert;
pub use rampart_detect::record::alert_record as serialize_alert_json;
use serde_json::{Map, Value};

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
    use serde_json::json;

    #[test]
    fn follows_the_alerts_jsonl_shape_of_the_contract() {
        let alert = fixture::alert();
        let v = serialize_alert_json(&alert, Some("alerts/00000000000000aa.pcap"));
        assert_eq!(v["@timestamp"], "2024-03-01T10:00:00.250000Z");
        assert_eq!(v["record"], "alert");
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
