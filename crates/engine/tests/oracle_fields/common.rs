//! Comparison helpers the protocol modules share.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::Analysis;

/// Compare tshark's `{"code": count}` map with Rampart's counts; describe the difference.
pub fn counts(label: &str, expected: &Value, actual: &BTreeMap<String, u64>) -> Option<String> {
    let want: BTreeMap<String, u64> = expected
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    (want != *actual).then(|| format!("{label}: tshark {want:?}, rampart {actual:?}"))
}

/// Compare tshark's list of strings, as a set, with Rampart's.
pub fn set(label: &str, expected: &Value, actual: &BTreeSet<String>) -> Option<String> {
    let want: BTreeSet<String> = expected
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    difference(label, &want, actual)
}

/// Describe how two sets differ, if they do.
fn difference(label: &str, want: &BTreeSet<String>, actual: &BTreeSet<String>) -> Option<String> {
    (want != actual).then(|| {
        let missing: Vec<_> = want.difference(actual).collect();
        let extra: Vec<_> = actual.difference(want).collect();
        format!("{label}: missing {missing:?}, only in rampart {extra:?}")
    })
}

/// A JSON value as the text tshark would print: strings as they are, numbers in decimal.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Count the values of one field over records.
pub fn tally<'a>(values: impl Iterator<Item = &'a Value>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for v in values {
        *out.entry(text(v)).or_default() += 1;
    }
    out
}

/// Compare tshark's list of rows (JSON objects), as a set of their JSON texts, with Rampart's.
pub fn rows(label: &str, expected: &Value, actual: &BTreeSet<String>) -> Option<String> {
    let want: BTreeSet<String> = expected
        .as_array()
        .into_iter()
        .flatten()
        .map(Value::to_string)
        .collect();
    difference(label, &want, actual)
}

/// How many times the layers `run` (consecutive, such as `["cotp", "data"]`) occur in the
/// frames of tshark's protocol stacks, or `None` when the oracle lists only the 50 commonest
/// stacks and may have left some out.
pub fn layer_count(oracle: &Value, run: &[&str]) -> Option<u64> {
    let stacks = oracle["protocol_stacks"].as_object()?;
    if stacks.len() >= 50 {
        return None;
    }
    Some(
        stacks
            .iter()
            .map(|(stack, frames)| {
                let layers: Vec<&str> = stack.split(':').collect();
                let n = layers.windows(run.len()).filter(|w| w == &run).count() as u64;
                n * frames.as_u64().unwrap_or(0)
            })
            .sum(),
    )
}

/// Tell whether the layers `run` occur in one of tshark's protocol stacks.
pub fn in_stacks(oracle: &Value, run: &[&str]) -> bool {
    oracle["protocol_stacks"]
        .as_object()
        .into_iter()
        .flatten()
        .any(|(stack, _)| {
            let layers: Vec<&str> = stack.split(':').collect();
            layers.windows(run.len()).any(|w| w == run)
        })
}

/// How many transport units a protocol's records account for, each record counting as
/// `per_record` says; COTP connection records count none.
pub fn units(run: &Analysis, protocol: &str, per_record: impl Fn(&Value) -> u64) -> u64 {
    run.events
        .iter()
        .filter(|e| e["kind"] == "protocol" && e["network"]["protocol"] == protocol)
        .filter(|e| {
            !e[protocol]["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("cotp_"))
        })
        .map(per_record)
        .sum()
}
