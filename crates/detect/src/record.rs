//! The JSON record of an alert: one object per line of `alerts.jsonl`, and the JSON payload
//! forwarded to a SIEM. ECS names where ECS has them (`event.kind: alert`, `rule.id`,
//! `threat.technique.id`, `source.ip`), Rampart's own under `alert`.

use rampart_event::SCHEMA_VERSION;
use serde_json::{Map, Value, json};

use crate::alert::{Alert, Endpoint};
use crate::technique;

/// The ATT&CK framework name ECS `threat.framework` carries.
pub const FRAMEWORK: &str = "MITRE ATT&CK for ICS";

/// The record of `alert`; `pcap` is the path of its PCAP relative to the output directory.
pub fn alert_record(alert: &Alert, pcap: Option<&str>) -> Value {
    let names: Vec<&str> = alert
        .techniques
        .iter()
        .map(|id| technique::name(id).unwrap_or(id))
        .collect();
    let mut body = Map::new();
    body.insert("title".into(), json!(alert.title));
    body.insert("description".into(), json!(alert.description));
    body.insert("engine".into(), json!(alert.engine.as_str()));
    body.insert("severity".into(), json!(alert.severity.as_str()));
    body.insert("status".into(), json!(alert.status));
    body.insert("remediation".into(), json!(alert.remediation));
    body.insert("discriminator".into(), json!(alert.discriminator));
    body.insert("count".into(), json!(alert.count));
    body.insert("first_seen".into(), json!(alert.first_seen));
    body.insert("last_seen".into(), json!(alert.last_seen));
    body.insert("flows".into(), json!(alert.flows));
    if let Some(pcap) = pcap {
        body.insert("pcap".into(), json!(pcap));
    }
    if let Some(reason) = &alert.suppressed {
        body.insert("suppressed".into(), json!(reason));
    }
    let mut record = Map::new();
    record.insert("@timestamp".into(), json!(alert.first_seen));
    record.insert("record".into(), json!("alert"));
    record.insert("schema_version".into(), json!(SCHEMA_VERSION));
    record.insert("id".into(), json!(alert.id));
    record.insert(
        "rule".into(),
        json!({"id": alert.rule, "name": alert.title, "category": alert.category}),
    );
    record.insert(
        "event".into(),
        json!({
            "kind": "alert",
            "severity": alert.severity.cef(),
            "start": alert.first_seen,
            "end": alert.last_seen,
            "count": alert.count,
        }),
    );
    record.insert("alert".into(), Value::Object(body));
    record.insert(
        "threat".into(),
        json!({"framework": FRAMEWORK, "technique": {"id": alert.techniques, "name": names}}),
    );
    insert_side(&mut record, "source", alert.source);
    insert_side(&mut record, "destination", alert.destination);
    if let Some(protocol) = &alert.protocol {
        record.insert("network".into(), json!({"protocol": protocol}));
    }
    record.insert("evidence".into(), Value::Object(alert.evidence.clone()));
    Value::Object(record)
}

fn insert_side(record: &mut Map<String, Value>, name: &str, side: Option<Endpoint>) {
    if let Some(side) = side {
        record.insert(name.into(), json!(side));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertDraft, EngineKind, Rule, Severity};
    use rampart_event::Timestamp;

    static STOP: Rule = Rule {
        id: "protocol_policy.plc_stop",
        title: "PLC stop",
        engine: EngineKind::ProtocolPolicy,
        category: "operating_mode",
        severity: Severity::Critical,
        techniques: &["T0858", "T0816"],
        remediation: "Confirm the stop was planned.",
    };

    #[test]
    fn the_record_has_ecs_and_rampart_fields() {
        let src = Endpoint {
            ip: Some([10, 0, 0, 9].into()),
            mac: None,
            port: Some(50000),
        };
        let draft = AlertDraft::new(&STOP, Timestamp::from_parts(1_700_000_000, 0), "stop")
            .between(Some(src), None)
            .protocol("s7comm")
            .evidence("function", "PLC Stop");
        let alert = Alert::open(draft);
        let r = alert_record(&alert, Some("alerts/x.pcap"));
        assert_eq!(r["record"], "alert");
        assert_eq!(r["rule"]["id"], "protocol_policy.plc_stop");
        assert_eq!(r["event"]["severity"], 10);
        assert_eq!(r["alert"]["severity"], "critical");
        assert_eq!(r["alert"]["pcap"], "alerts/x.pcap");
        assert_eq!(r["threat"]["technique"]["id"][0], "T0858");
        assert_eq!(r["threat"]["technique"]["name"][0], "Change Operating Mode");
        assert_eq!(r["source"]["ip"], "10.0.0.9");
        assert_eq!(r["network"]["protocol"], "s7comm");
        assert_eq!(r["evidence"]["function"], "PLC Stop");
        assert_eq!(r["@timestamp"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(r["id"].as_str().map(str::len), Some(16));
        assert!(r.get("destination").is_none());
    }
}
