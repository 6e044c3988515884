//! Profinet DCP: service id/type counts and the device blocks (name of station, ids, role,
//! type of station, IP parameters) of every PDU that carries one.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// A number as tshark prints a hex field of `width` digits, or nothing when absent.
fn hex(v: &Value, width: usize) -> String {
    v.as_u64()
        .map(|n| format!("{n:#0w$x}", w = width + 2))
        .unwrap_or_default()
}

/// Service id/type counts and device blocks.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let events: Vec<&Value> = run
        .events
        .iter()
        .filter(|e| e["kind"] == "protocol" && e.get("profinet_dcp").is_some())
        .collect();
    let mut types = BTreeMap::new();
    for e in &events {
        let r = &e["profinet_dcp"];
        let key = format!("{}/{}", r["service_id"], r["service_type"]);
        *types.entry(key).or_default() += 1;
    }
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let blocks: BTreeSet<String> = events
        .iter()
        .filter(|e| {
            let r = &e["profinet_dcp"];
            r["name_of_station"].is_string() || r["device_id"].is_u64() || r["ip"].is_string()
        })
        .map(|e| {
            let r = &e["profinet_dcp"];
            format!(
                "{} {}/{} name={:?} vendor={} device={} type={:?} role={} ip={} mask={}",
                text(&e["source"]["mac"]),
                r["service_id"],
                r["service_type"],
                text(&r["name_of_station"]),
                hex(&r["vendor_id"], 4),
                hex(&r["device_id"], 4),
                text(&r["type_of_station"]),
                hex(&r["device_role"], 2),
                text(&r["ip"]),
                text(&r["netmask"]),
            )
        })
        .collect();
    let want: Vec<Value> = expected["device_blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            Value::String(format!(
                "{} {}/{} name={:?} vendor={} device={} type={:?} role={} ip={} mask={}",
                text(&b["eth_src"]),
                text(&b["service_id"]),
                text(&b["service_type"]),
                text(&b["name_of_station"]),
                text(&b["vendor_id"]),
                text(&b["device_id"]),
                text(&b["device_vendor_value"]),
                text(&b["device_role"]),
                text(&b["ip"]),
                text(&b["netmask"]),
            ))
        })
        .collect();
    [
        common::counts(
            "service_id_type_counts",
            &expected["service_id_type_counts"],
            &types,
        ),
        common::set("device_blocks", &Value::Array(want), &blocks),
    ]
    .into_iter()
    .flatten()
    .collect()
}
