//! The record schema is pinned: the shape of every record `rampart analyze` writes for the
//! bundled sample (each record kind, each protocol dataset, every key path) is compared with
//! `docs/schema/v<SCHEMA_VERSION>.keys`. A change of shape without a new schema version fails;
//! after bumping `rampart_event::SCHEMA_VERSION` and documenting the change in
//! `docs/schema.md`, `cargo xtask bless-schema` writes the new file.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn paths(prefix: &str, value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                paths(&p, v, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(&format!("{prefix}[]"), item, out);
            }
        }
        _ => {}
    }
}

/// Keys whose names are data (which rule said what), not schema.
fn is_data(key: &str) -> bool {
    key.starts_with("evidence.")
}

fn shape(dir: &Path) -> String {
    let mut keys = BTreeSet::new();
    for file in [
        "flows.jsonl",
        "events.jsonl",
        "devices.jsonl",
        "conversations.jsonl",
        "alerts.jsonl",
        "incidents.jsonl",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect("output file");
        for line in text.lines() {
            let record: Value = serde_json::from_str(line).expect("JSON line");
            let kind = format!(
                "{}\t{}",
                record["record"].as_str().unwrap_or("?"),
                record["dataset"]
                    .as_str()
                    .or(record["kind"].as_str())
                    .unwrap_or("-")
            );
            let mut p = BTreeSet::new();
            paths("", &record, &mut p);
            keys.extend(
                p.into_iter()
                    .filter(|k| !is_data(k))
                    .map(|k| format!("{kind}\t{k}")),
            );
        }
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary"))
            .expect("summary is JSON");
    let mut p = BTreeSet::new();
    paths("", &summary, &mut p);
    // Protocol and anomaly names under stats are data, not schema.
    keys.extend(
        p.into_iter()
            .filter(|k| {
                !k.starts_with("stats.protocols.")
                    && !k.starts_with("stats.anomalies.")
                    && !k.starts_with("stats.records.")
                    && !k.starts_with("stats.decode_problems.")
            })
            .map(|k| format!("summary\t-\t{k}")),
    );
    keys.into_iter().map(|k| k + "\n").collect()
}

/// The record shapes of one run of `rampart analyze` over `sample` with `options`.
fn shape_of(sample: &str, options: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(sample);
    let status = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["analyze", "-q", "--no-sqlite"])
        .args(options)
        .arg(&sample)
        .arg("--out")
        .arg(dir.path())
        .status()
        .expect("rampart runs");
    assert!(status.success());
    shape(dir.path())
}

#[test]
fn record_shapes_match_the_pinned_schema_version() {
    // The plant sample has every protocol record; the attack story has alerts and incidents.
    let mut lines: BTreeSet<String> = shape_of("plant-sample.pcap", &[])
        .lines()
        .map(str::to_string)
        .collect();
    lines.extend(
        shape_of("stories/attack.pcap", &["--learn-until", "60s"])
            .lines()
            .map(str::to_string),
    );
    let actual: String = lines.into_iter().map(|k| k + "\n").collect();
    let version = rampart_event::SCHEMA_VERSION;
    let pinned =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../docs/schema/v{version}.keys"));
    if std::env::var_os("RAMPART_BLESS").is_some() {
        std::fs::create_dir_all(pinned.parent().expect("docs/schema")).expect("create docs/schema");
        std::fs::write(&pinned, &actual).expect("write pinned schema");
        return;
    }
    let expected = std::fs::read_to_string(&pinned).unwrap_or_else(|_| {
        panic!(
            "{} is missing: a new schema version needs `cargo xtask bless-schema`",
            pinned.display()
        )
    });
    if expected != actual {
        let (e, a): (BTreeSet<&str>, BTreeSet<&str>) =
            (expected.lines().collect(), actual.lines().collect());
        let gone: Vec<_> = e.difference(&a).collect();
        let new: Vec<_> = a.difference(&e).collect();
        panic!(
            "record shapes changed but SCHEMA_VERSION is still {version}.\nremoved: {gone:#?}\nadded: {new:#?}\n\
             Bump rampart_event::SCHEMA_VERSION, document the change in docs/schema.md, then run `cargo xtask bless-schema`."
        );
    }
}
