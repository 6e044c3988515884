//! Modbus: function and exception codes, unit ids, MEI types and device identification
//! objects, request and response alike, as tshark counts them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "mixed/plant-mixed-mb2.pcap",
        "TCP retransmissions that carry new bytes past the original segment: frames 1131, \
         1537, 2326 and 2992 (port 60689) resend 12 bytes and add requests 22506-22509, frame \
         3674 resends a response and adds 13 more bytes, frame 13176 (port 64338) adds the \
         responses to 9824 and 9825; tshark does not dissect retransmitted frames, Rampart's \
         reassembly delivers the new bytes, so it counts one function 2 and six function 4 \
         ADUs more",
    ),
    (
        "modbus/modbus-fuzz-72.pcap",
        "a fuzzed capture whose TCP sequence numbers are mangled: tshark takes the server's \
         exception replies in frames 19, 21, 25, 26, 27 and 32 and the request in frame 7 for \
         retransmissions or out-of-order segments and does not dissect them, Rampart's \
         reassembly delivers them as new data (functions 0x22, 0x2f, 0x33, 0x36, 0x3a, 0x3b, \
         0x42 and six more exception code 1)",
    ),
];

/// The standard object names of Read Device Identification (spec §6.21), by record field.
const OBJECTS: [(&str, &str, &str); 7] = [
    ("vendor_name", "0", "VendorName"),
    ("product_code", "1", "ProductCode"),
    ("revision", "2", "MajorMinorRevision"),
    ("vendor_url", "3", "VendorUrl"),
    ("product_name", "4", "ProductName"),
    ("model_name", "5", "ModelName"),
    ("user_application_name", "6", "UserApplicationName"),
];

/// Compare what tshark found in `mbtcp`/`modbus` frames with Rampart's records: a transaction
/// record stands for its request and its response frame, the others for one frame.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let mut functions: BTreeMap<String, u64> = BTreeMap::new();
    let mut exceptions: BTreeMap<String, u64> = BTreeMap::new();
    let mut meis: BTreeMap<String, u64> = BTreeMap::new();
    let mut units = BTreeSet::new();
    let mut objects = BTreeSet::new();
    for event in run.events.iter().filter(|e| e["kind"] == "protocol") {
        let Some(r) = event.get("modbus") else {
            continue;
        };
        let direction = event["direction"].as_str().unwrap_or_default();
        let (request, response) = match direction {
            "transaction" => (true, true),
            "request" if r.get("exception_code").is_some() => (false, true),
            "request" => (true, false),
            _ => (false, true),
        };
        let fc = common::text(&r["function_code"]);
        if request {
            *functions.entry(fc.clone()).or_default() += 1;
        }
        if response {
            let answered = r.get("response_function_code").map_or(fc, common::text);
            *functions.entry(answered).or_default() += 1;
        }
        if let Some(code) = r.get("exception_code") {
            *exceptions.entry(common::text(code)).or_default() += 1;
        }
        if let Some(mei) = r.get("mei_type") {
            let frames =
                u64::from(request) + u64::from(response && r.get("exception_code").is_none());
            *meis.entry(common::text(mei)).or_default() += frames;
        }
        units.insert(common::text(&r["unit_id"]));
        let server = if direction == "response" {
            &event["source"]["ip"]
        } else {
            &event["destination"]["ip"]
        };
        for (field, id, name) in OBJECTS {
            if let Some(v) = r.get(field) {
                objects.insert(object(server, id, name, v.as_str().unwrap_or_default()));
            }
        }
        for item in r["extended_objects"].as_array().into_iter().flatten() {
            let text = item.as_str().unwrap_or_default();
            if let Some((id, value)) = text.split_once('=') {
                let id = u8::from_str_radix(id.trim_start_matches("0x"), 16).unwrap_or(0);
                objects.insert(object(server, &id.to_string(), "other", value));
            }
        }
    }
    [
        common::counts(
            "function_code_counts",
            &expected["function_code_counts"],
            &functions,
        ),
        common::counts(
            "exception_code_counts",
            &expected["exception_code_counts"],
            &exceptions,
        ),
        common::counts("mei_types", &expected["mei_types"], &meis),
        common::set("unit_ids", &expected["unit_ids"], &units),
        common::rows(
            "device_identification_objects",
            &expected["device_identification_objects"],
            &objects,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// One device identification object in the oracle's shape.
fn object(server: &Value, id: &str, name: &str, value: &str) -> String {
    json!({"src": server, "object_id": id, "object_name": name, "value": value}).to_string()
}
