//! S7comm: PDU types, functions, user data groups, SZL lists and module identification.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// Render a number as tshark prints a hex field of `width` digits.
fn hex(v: &Value, width: usize) -> String {
    format!("0x{:0width$x}", v.as_u64().unwrap_or(0))
}

/// The numbers of a list-valued field.
fn numbers(v: &Value) -> Vec<u64> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect()
}

/// The texts of a list-valued field.
fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(common::text)
        .collect()
}

/// The events' S7comm bodies with the address of the side that sent the response.
fn bodies(run: &Analysis) -> Vec<(&Value, String)> {
    run.events
        .iter()
        .filter(|e| e["kind"] == "protocol")
        .filter_map(|e| {
            let body = e.get("s7comm")?;
            let responder = if e["direction"] == "transaction" {
                &e["destination"]["ip"]
            } else {
                &e["source"]["ip"]
            };
            Some((body, common::text(responder)))
        })
        .collect()
}

/// Everything tshark's `protocol_fields.s7comm` holds.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let records = bodies(run);
    let mut rosctr = BTreeMap::new();
    let mut functions = BTreeMap::new();
    let mut groups = BTreeSet::new();
    let mut szl = BTreeSet::new();
    let mut modules = BTreeSet::new();
    let mut components: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (r, responder) in &records {
        if r["kind"].as_str().is_some_and(|k| k.starts_with("cotp_")) {
            continue;
        }
        for key in ["rosctr", "response_rosctr"] {
            if let Some(n) = r[key].as_u64() {
                *rosctr.entry(n.to_string()).or_insert(0) += 1;
            }
        }
        for key in ["function_code", "response_function_code"] {
            if !r[key].is_null() {
                *functions.entry(hex(&r[key], 2)).or_insert(0) += 1;
            }
        }
        if let Some(group) = r["function_group"].as_u64() {
            let sub = r["subfunction"]
                .as_u64()
                .map_or(String::new(), |s| s.to_string());
            groups.insert(format!("{group}/{sub}"));
        }
        for (id, index) in [
            ("szl_id", "szl_index"),
            ("response_szl_id", "response_szl_index"),
        ] {
            if !r[id].is_null() {
                szl.insert(format!("{}/{}", hex(&r[id], 4), hex(&r[index], 4)));
            }
        }
        let indexes = numbers(&r["module_indexes"]);
        let orders = texts(&r["order_numbers"]);
        let (bgtyp, ausbg, ausbe) = (
            numbers(&r["module_bgtyp"]),
            numbers(&r["module_ausbg"]),
            numbers(&r["module_ausbe"]),
        );
        let versions = texts(&r["module_versions"]);
        for (i, index) in indexes.iter().enumerate() {
            modules.insert(format!(
                "{responder} 0x{index:04x} {:?} 0x{:04x} {} {} {:?}",
                orders.get(i).map_or("", String::as_str),
                bgtyp.get(i).copied().unwrap_or(0),
                ausbg.get(i).copied().unwrap_or(0),
                ausbe.get(i).copied().unwrap_or(0),
                versions.get(i).map_or("", String::as_str),
            ));
        }
        for key in [
            "plc_name",
            "module_name",
            "plant_id",
            "copyright",
            "serial_number",
            "module_type_name",
            "memory_card_serial",
            "location",
        ] {
            if let Some(v) = r[key].as_str() {
                components
                    .entry(key.to_string())
                    .or_default()
                    .insert(v.to_string());
            }
        }
        if !r["oem_id"].is_null() {
            components
                .entry("oem_id".into())
                .or_default()
                .insert(hex(&r["oem_id"], 4));
        }
    }
    let mut out: Vec<String> = [
        common::counts("rosctr_counts", &expected["rosctr_counts"], &rosctr),
        common::counts(
            "job_function_counts",
            &expected["job_function_counts"],
            &functions,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let pairs = |key: &str| -> BTreeSet<String> {
        expected[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| format!("{}/{}", common::text(&p[0]), common::text(&p[1])))
            .collect()
    };
    for (key, actual) in [
        ("userdata_funcgroup_subfunc", &groups),
        ("szl_id_index", &szl),
    ] {
        let want = pairs(key);
        if want != *actual {
            out.push(format!("{key}: tshark {want:?}, rampart {actual:?}"));
        }
    }
    let want_modules: BTreeSet<String> = expected["szl_0x0011_module_identification"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let number = |k: &str| common::text(&m[k]).parse::<u64>().unwrap_or(0);
            let bgtyp = u64::from_str_radix(common::text(&m["bgtyp"]).trim_start_matches("0x"), 16)
                .unwrap_or(0);
            format!(
                "{} {} {:?} 0x{bgtyp:04x} {} {} {:?}",
                common::text(&m["src"]),
                common::text(&m["index"]),
                common::text(&m["order_number"]),
                number("ausbg"),
                number("ausbe"),
                m["derived_version"].as_str().unwrap_or(""),
            )
        })
        .collect();
    if want_modules != modules {
        out.push(format!(
            "szl_0x0011_module_identification: missing {:?}, only in rampart {:?}",
            want_modules.difference(&modules).collect::<Vec<_>>(),
            modules.difference(&want_modules).collect::<Vec<_>>()
        ));
    }
    let want_components: BTreeMap<String, BTreeSet<String>> =
        expected["szl_0x001c_component_identification"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), texts(v).into_iter().collect()))
            .collect();
    if want_components != components {
        out.push(format!(
            "szl_0x001c_component_identification: tshark {want_components:?}, rampart {components:?}"
        ));
    }
    out.extend(identity_checks(expected, run, &want_components));
    out
}

/// The identification tshark decoded must reach the inventory as identity observations.
fn identity_checks(
    expected: &Value,
    run: &Analysis,
    components: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let seen: BTreeSet<(String, String)> = run
        .identities("s7comm")
        .map(|(a, v)| (a.to_string(), v.to_string()))
        .collect();
    let mut want = BTreeSet::new();
    for m in expected["szl_0x0011_module_identification"]
        .as_array()
        .into_iter()
        .flatten()
    {
        match (
            common::text(&m["index"]).as_str(),
            m["derived_version"].as_str(),
        ) {
            ("0x0001", _) => {
                want.insert(("order_number".to_string(), common::text(&m["order_number"])));
            }
            ("0x0007", Some(v)) => {
                want.insert(("firmware".to_string(), v.to_string()));
            }
            _ => {}
        }
    }
    for (key, attribute) in [
        ("plc_name", "hostname"),
        ("module_type_name", "model"),
        ("serial_number", "serial"),
    ] {
        for v in components.get(key).into_iter().flatten() {
            want.insert((attribute.to_string(), v.clone()));
        }
    }
    want.difference(&seen)
        .map(|(a, v)| {
            format!("identity {a} {v:?}: tshark decodes it, rampart reports no such identity")
        })
        .collect()
}
