//! EtherNet/IP and CIP: encapsulation commands and CIP services counted message by message,
//! ListIdentity replies and Identity object replies.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// Whether a record holds a request, a reply, or both.
fn sides(event: &Value) -> (bool, bool) {
    match event["direction"].as_str() {
        Some("request") => (true, false),
        Some("response") => (false, true),
        _ => (true, true),
    }
}

/// The address of the side that sent the reply.
fn responder(event: &Value) -> String {
    let side = if event["direction"] == "response" {
        "source"
    } else {
        "destination"
    };
    common::text(&event[side]["ip"])
}

fn codes(v: &Value) -> Vec<u64> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect()
}

/// Count the CIP service codes of one record as tshark counts `cip.sc`: every request and
/// reply, the Unconnected Send around a routed request, and every embedded service.
fn count_services(r: &Value, request: bool, reply: bool, out: &mut BTreeMap<String, u64>) {
    let Some(service) = r["service_code"].as_u64() else {
        return;
    };
    let mut add = |code: u64| *out.entry(format!("{code:#04x}")).or_default() += 1;
    let embedded = codes(&r["embedded_service_codes"]);
    if request {
        if r["unconnected_send"] == true {
            add(0x52);
        }
        add(service);
        embedded.iter().for_each(|&c| add(c));
    }
    if reply {
        add(r["reply_service_code"].as_u64().unwrap_or(service));
        let replies = if r["embedded_reply_codes"].is_array() {
            codes(&r["embedded_reply_codes"])
        } else if request {
            let n = r["embedded_statuses"].as_array().map_or(0, Vec::len);
            embedded.iter().copied().take(n).collect()
        } else {
            embedded
        };
        replies.iter().for_each(|&c| add(c));
    }
}

/// Encapsulation command counts, CIP service counts, ListIdentity and Identity object replies.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let events: Vec<&Value> = run
        .events
        .iter()
        .filter(|e| e["kind"] == "protocol" && e.get("enip").is_some())
        .collect();
    let mut commands = BTreeMap::new();
    let mut services = BTreeMap::new();
    let mut listed = BTreeSet::new();
    let mut objects = BTreeSet::new();
    for e in &events {
        let r = &e["enip"];
        let (request, reply) = sides(e);
        let code = format!("{:#06x}", r["command_code"].as_u64().unwrap_or(0));
        *commands.entry(code).or_default() += u64::from(request) + u64::from(reply);
        count_services(r, request, reply, &mut services);
        if !reply || !r["product_name"].is_string() {
            continue;
        }
        let revision = common::text(&r["revision"]);
        let (major, minor) = revision.split_once('.').unwrap_or_default();
        let number = |key: &str| r[key].as_u64().unwrap_or(0);
        if r["kind"] == "list_identity" {
            let raw = major.parse::<u64>().unwrap_or(0) * 256 + minor.parse::<u64>().unwrap_or(0);
            listed.insert(format!(
                "{} vendor={:#06x} type={} product={} revision={raw} ({revision}) serial={} name={} state={:#04x}",
                responder(e),
                number("vendor_id"),
                number("device_type_code"),
                number("product_code"),
                common::text(&r["serial"]),
                common::text(&r["product_name"]),
                number("state"),
            ));
        } else {
            objects.insert(format!(
                "{} vendor={:#06x} type={:#06x} product={} revision={}.{} serial={} name={}",
                responder(e),
                number("vendor_id"),
                number("device_type_code"),
                number("product_code"),
                major.parse::<u64>().unwrap_or(0),
                minor.parse::<u64>().unwrap_or(0),
                common::text(&r["serial"]),
                common::text(&r["product_name"]),
            ));
        }
    }
    let want_listed: Vec<Value> = expected["list_identity_responses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let revision = l["revision"].as_str().unwrap_or_default();
            Value::String(format!(
                "{} vendor={} type={} product={} revision={revision} ({}) serial={} name={} state={}",
                common::text(&l["src"]),
                common::text(&l["vendor_id"]),
                common::text(&l["device_type"]),
                common::text(&l["product_code"]),
                common::text(&l["derived_revision"]),
                common::text(&l["serial"]),
                common::text(&l["product_name"]),
                common::text(&l["state"]),
            ))
        })
        .collect();
    let want_objects: Vec<Value> = expected["cip_identity_object_responses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            Value::String(format!(
                "{} vendor={} type={} product={} revision={}.{} serial={} name={}",
                common::text(&o["src"]),
                common::text(&o["vendor_id"]),
                common::text(&o["device_type"]),
                common::text(&o["product_code"]),
                common::text(&o["major_rev"]),
                common::text(&o["minor_rev"]),
                common::text(&o["serial"]),
                common::text(&o["product_name"]),
            ))
        })
        .collect();
    [
        common::counts(
            "encap_command_counts",
            &expected["encap_command_counts"],
            &commands,
        ),
        common::counts(
            "cip_service_counts",
            &expected["cip_service_counts"],
            &services,
        ),
        common::set(
            "list_identity_responses",
            &Value::Array(want_listed),
            &listed,
        ),
        common::set(
            "cip_identity_object_responses",
            &Value::Array(want_objects),
            &objects,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}
