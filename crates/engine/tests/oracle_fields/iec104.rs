//! IEC 104: APCI formats, U functions, ASDU types and causes, common addresses.
//!
//! tshark counts `iec60870_104.type` and `utype` once per APDU and `iec60870_asdu.typeid`
//! and `causetx` once per ASDU, printing the APCI codes as `0x%08x`; Rampart's records are
//! one per APDU with the same codes (`apci_type`, `u_code`, `type_id`, `cot`). A truncated
//! ASDU still counts with the type and cause its short header holds, as in tshark.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// Compare the counts and the common addresses.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let mut apci: BTreeMap<String, u64> = BTreeMap::new();
    let mut u: BTreeMap<String, u64> = BTreeMap::new();
    let hex = |v: &Value| format!("0x{:08x}", v.as_u64().unwrap_or_default());
    let records: Vec<&Value> = run.records("iec104").collect();
    for r in &records {
        *apci.entry(hex(&r["apci_type"])).or_default() += 1;
        if r["kind"] == "u_format" {
            *u.entry(hex(&r["u_code"])).or_default() += 1;
        }
    }
    let asdus = || records.iter().copied().filter(|r| !r["type_id"].is_null());
    let types = common::tally(asdus().map(|r| &r["type_id"]));
    let causes = common::tally(asdus().filter_map(|r| r.get("cot")));
    let addresses: BTreeSet<String> = asdus()
        .filter_map(|r| r.get("common_address"))
        .map(common::text)
        .collect();
    [
        common::counts("apci_type_counts", &expected["apci_type_counts"], &apci),
        common::counts("u_format_counts", &expected["u_format_counts"], &u),
        common::counts(
            "asdu_typeid_counts",
            &expected["asdu_typeid_counts"],
            &types,
        ),
        common::counts(
            "cause_of_transmission_counts",
            &expected["cause_of_transmission_counts"],
            &causes,
        ),
        common::set(
            "common_addresses",
            &expected["common_addresses"],
            &addresses,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}
