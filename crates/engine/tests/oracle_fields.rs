//! Rampart's protocol fields against tshark's, capture by capture.
//!
//! Each `*.expected.json` of the shared corpus has `protocol_fields`: per protocol, what
//! tshark 4.0 decoded (function-code counts, addresses, identity strings, object ids). For
//! every protocol key listed in [`CHECKS`], the module of the same name in
//! `tests/oracle_fields/` compares them with what Rampart's dissector reported and lists the
//! disagreements. A disagreement with a good reason is named in that module's `EXCEPTIONS`
//! with the reason; an exception that no longer applies fails the test, so the lists cannot
//! rot. In CI the corpus must be present; elsewhere the test skips, saying so.

mod support;

#[path = "oracle_fields/bacnet.rs"]
mod bacnet;
#[path = "oracle_fields/common.rs"]
mod common;
#[path = "oracle_fields/dnp3.rs"]
mod dnp3;
#[path = "oracle_fields/dns.rs"]
mod dns;
#[path = "oracle_fields/enip_cip.rs"]
mod enip_cip;
#[path = "oracle_fields/goose.rs"]
mod goose;
#[path = "oracle_fields/iec104.rs"]
mod iec104;
#[path = "oracle_fields/mms.rs"]
mod mms;
#[path = "oracle_fields/modbus.rs"]
mod modbus;
#[path = "oracle_fields/mqtt.rs"]
mod mqtt;
#[path = "oracle_fields/opcua.rs"]
mod opcua;
#[path = "oracle_fields/profinet_dcp.rs"]
mod profinet_dcp;
#[path = "oracle_fields/s7comm.rs"]
mod s7comm;
#[path = "oracle_fields/s7commplus.rs"]
mod s7commplus;

use std::collections::BTreeSet;

use serde_json::Value;
use support::Analysis;

/// A protocol's comparison: tshark's `protocol_fields.<key>` and Rampart's run → disagreements.
type Check = fn(&Value, &Analysis) -> Vec<String>;

/// Disagreements that are right, as (capture, reason).
type Exceptions = &'static [(&'static str, &'static str)];

/// (tshark's key in `protocol_fields`, the comparison, its exceptions).
const CHECKS: &[(&str, Check, Exceptions)] = &[
    ("dns", dns::check, dns::EXCEPTIONS),
    ("dnp3", dnp3::check, dnp3::EXCEPTIONS),
    ("iec104", iec104::check, iec104::EXCEPTIONS),
    ("modbus", modbus::check, modbus::EXCEPTIONS),
    ("mqtt", mqtt::check, mqtt::EXCEPTIONS),
    ("enip_cip", enip_cip::check, enip_cip::EXCEPTIONS),
    (
        "profinet_dcp",
        profinet_dcp::check,
        profinet_dcp::EXCEPTIONS,
    ),
    ("bacnet", bacnet::check, bacnet::EXCEPTIONS),
    ("opcua", opcua::check, opcua::EXCEPTIONS),
    ("s7comm", s7comm::check, s7comm::EXCEPTIONS),
];

/// Protocols for which tshark writes no `protocol_fields`, checked against the oracle's
/// protocol counts and stacks instead: (the layers, `:`-joined, whose presence in tshark's
/// stacks selects a capture; the comparison over the whole oracle; its exceptions).
const STACK_CHECKS: &[(&str, Check, Exceptions)] = &[
    ("ses", mms::check, mms::EXCEPTIONS),
    ("goose", goose::check, goose::EXCEPTIONS),
    ("cotp:data", s7commplus::check, s7commplus::EXCEPTIONS),
];

/// Run `checks` over every capture of the corpus: a check runs where `has(oracle, key)`, on
/// `input(oracle, key)`. Returns how many (capture, check) pairs were compared and the
/// disagreements, exceptions applied (and stale exceptions reported).
fn run_checks(
    checks: &[(&str, Check, Exceptions)],
    has: fn(&Value, &str) -> bool,
    input: for<'a> fn(&'a Value, &str) -> &'a Value,
) -> Option<(usize, Vec<String>)> {
    let dir = support::corpus()?;
    let mut failures = Vec::new();
    let mut excused = BTreeSet::new();
    let mut compared = 0;
    for path in support::captures(&dir) {
        let text = std::fs::read_to_string(path.with_extension("expected.json"))
            .expect("oracle file next to capture");
        let oracle: Value = serde_json::from_str(&text).expect("oracle is JSON");
        let name = oracle["file"].as_str().expect("file").to_string();
        let present: Vec<_> = checks
            .iter()
            .filter(|(key, _, _)| has(&oracle, key))
            .collect();
        if present.is_empty() {
            continue;
        }
        let run = support::analyse(&path);
        for (key, check, exceptions) in present {
            compared += 1;
            let found = check(input(&oracle, key), &run);
            if found.is_empty() {
                continue;
            }
            match exceptions.iter().find(|(file, _)| *file == name) {
                Some(_) => {
                    excused.insert((*key, name.clone()));
                }
                None => failures.extend(found.into_iter().map(|d| format!("{name} [{key}] {d}"))),
            }
        }
    }
    for (key, _, exceptions) in checks {
        for (file, reason) in *exceptions {
            if !excused.contains(&(*key, file.to_string())) {
                failures.push(format!(
                    "{file} [{key}] exception no longer needed: {reason}"
                ));
            }
        }
    }
    Some((compared, failures))
}

#[test]
fn protocol_stacks_agree_with_tshark() {
    let Some((compared, failures)) = run_checks(
        STACK_CHECKS,
        |oracle, key| common::in_stacks(oracle, &key.split(':').collect::<Vec<_>>()),
        |oracle, _| oracle,
    ) else {
        return;
    };
    eprintln!("{compared} (capture, protocol) stack counts compared");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn protocol_fields_agree_with_tshark() {
    let Some((compared, failures)) = run_checks(
        CHECKS,
        |oracle, key| oracle["protocol_fields"].get(key).is_some(),
        |oracle, key| &oracle["protocol_fields"][key],
    ) else {
        return;
    };
    eprintln!("{compared} (capture, protocol) pairs compared");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
