//! BACnet: BVLC functions, APDU types and service choices counted per message; the I-Am
//! rows (sender, device instance, vendor id); object names.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// Count `key` as tshark counts a field that every message carries once.
fn bump(counts: &mut BTreeMap<String, u64>, key: String) {
    *counts.entry(key).or_default() += 1;
}

/// APDU types whose PDU carries a confirmed service choice (tshark `bacapp.confirmed_service`):
/// confirmed request, SimpleACK, ComplexACK, Error.
fn has_confirmed_service(pdu_type: u64) -> bool {
    matches!(pdu_type, 0 | 2 | 3 | 5)
}

/// Compare what tshark's bvlc/bacapp fields count with Rampart's records. A paired
/// transaction record stands for two messages: its request and its `response_*` answer.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let mut bvlc = BTreeMap::new();
    let mut apdu = BTreeMap::new();
    let mut confirmed = BTreeMap::new();
    let mut unconfirmed = BTreeMap::new();
    let mut i_am = BTreeSet::new();
    let mut names = BTreeSet::new();
    for event in run.events.iter().filter(|e| e["kind"] == "protocol") {
        let Some(r) = event.get("bacnet") else {
            continue;
        };
        let code = |k: &str| r[k].as_u64();
        if let Some(f) = code("bvlc_function_code") {
            bump(&mut bvlc, format!("0x{f:02x}"));
        }
        if let Some(f) = code("response_bvlc_function_code") {
            bump(&mut bvlc, format!("0x{f:02x}"));
        }
        let service = code("service_choice");
        if let Some(t) = code("pdu_type_code") {
            bump(&mut apdu, t.to_string());
            match (t, service) {
                (1, Some(s)) => bump(&mut unconfirmed, s.to_string()),
                (t, Some(s)) if has_confirmed_service(t) => bump(&mut confirmed, s.to_string()),
                _ => {}
            }
        }
        if let Some(t) = code("response_pdu_type_code") {
            bump(&mut apdu, t.to_string());
            let answered = code("response_service_choice").or(service);
            if let (true, Some(s)) = (has_confirmed_service(t), answered) {
                bump(&mut confirmed, s.to_string());
            }
        }
        if code("pdu_type_code") == Some(1) && service == Some(0) {
            let src = common::text(&event["source"]["ip"]);
            let instance = common::text(&r["device_instance"]);
            let vendor = common::text(&r["vendor_id"]);
            i_am.insert(format!("{src} {instance} {vendor}"));
        }
        if let Some(name) = r["object_name"].as_str() {
            names.insert(name.to_string());
        }
        for name in r["object_names"].as_array().into_iter().flatten() {
            names.insert(common::text(name));
        }
    }
    let want_i_am: BTreeSet<String> = expected["i_am"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            format!(
                "{} {} {}",
                common::text(&row["src"]),
                common::text(&row["device_instance"]),
                common::text(&row["vendor_id"])
            )
        })
        .collect();
    let i_am_differs = (want_i_am != i_am).then(|| {
        let missing: Vec<_> = want_i_am.difference(&i_am).collect();
        let extra: Vec<_> = i_am.difference(&want_i_am).collect();
        format!("i_am: missing {missing:?}, only in rampart {extra:?}")
    });
    [
        common::counts(
            "bvlc_function_counts",
            &expected["bvlc_function_counts"],
            &bvlc,
        ),
        common::counts("apdu_type_counts", &expected["apdu_type_counts"], &apdu),
        common::counts(
            "confirmed_service_counts",
            &expected["confirmed_service_counts"],
            &confirmed,
        ),
        common::counts(
            "unconfirmed_service_counts",
            &expected["unconfirmed_service_counts"],
            &unconfirmed,
        ),
        i_am_differs,
        common::set("object_names", &expected["object_names"], &names),
    ]
    .into_iter()
    .flatten()
    .collect()
}
