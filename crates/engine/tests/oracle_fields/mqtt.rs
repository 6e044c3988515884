//! MQTT: packet types, CONNECT fields, CONNACK return codes and topics.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// Compare tshark's `mqtt` fields with Rampart's records. tshark 4.0 fills
/// `mqtt.conack.val` only once it has seen the connection's CONNECT and only for MQTT 3.1 and
/// 3.1.1, so CONNACKs of MQTT 5 connections and of connections picked up after their CONNECT
/// are left out of the return-code counts.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let mut types: BTreeMap<String, u64> = BTreeMap::new();
    let mut connects = BTreeSet::new();
    let mut topics = BTreeSet::new();
    let mut v3_flows = BTreeSet::new();
    let records: Vec<(&Value, &Value)> = run
        .events
        .iter()
        .filter(|e| e["kind"] == "protocol")
        .filter_map(|e| Some((e, e.get("mqtt")?)))
        .collect();
    for (event, r) in &records {
        *types.entry(common::text(&r["msg_type"])).or_default() += 1;
        if r["kind"] == "connect" {
            if r["protocol_version"] != 5 {
                v3_flows.insert(event["flow_id"].to_string());
            }
            let flags = r["connect_flags"].as_u64().unwrap_or(0);
            connects.insert(
                json!({
                    "src": event["source"]["ip"],
                    "proto_name": r["protocol_name"],
                    "protocol_version": common::text(&r["protocol_version"]),
                    "client_id": r["client_id"],
                    "username": r.get("username").unwrap_or(&json!("")),
                    "connect_flags": format!("0x{flags:02x}"),
                    "keep_alive": common::text(&r["keep_alive"]),
                })
                .to_string(),
            );
        }
        if let Some(t) = r.get("topic") {
            topics.insert(common::text(t));
        }
        for t in r["topics"].as_array().into_iter().flatten() {
            topics.insert(common::text(t));
        }
    }
    let connacks = common::tally(
        records
            .iter()
            .filter(|(e, r)| r["kind"] == "connack" && v3_flows.contains(&e["flow_id"].to_string()))
            .map(|(_, r)| &r["return_code"]),
    );
    [
        common::counts("msgtype_counts", &expected["msgtype_counts"], &types),
        common::counts(
            "connack_return_codes",
            &expected["connack_return_codes"],
            &connacks,
        ),
        common::set("topics", &expected["topics"], &topics),
        common::rows("connects", &expected["connects"], &connects),
    ]
    .into_iter()
    .flatten()
    .collect()
}
