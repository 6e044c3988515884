//! Comparison helpers the protocol modules share.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

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
