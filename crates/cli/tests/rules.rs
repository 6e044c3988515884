//! `rampart rules check` and `rampart analyze --rules`, end to end on the bundled sample.

use std::path::Path;

use serde_json::Value;

mod support;
use support::{rampart, sample};

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The sample's operator (10.77.0.20) writes register 4 of unit 1 on the PLC (10.77.0.10).
const RULES: &str = r#"[[rule]]
id = "plant-setpoints"
title = "Write to the set-points of unit 1"
techniques = ["T0836"]
protocol = "modbus"
action = "write"
where = "unit_id == 1 and address in 0..9 and source.ip not in [10.77.0.5]"
"#;

#[test]
fn check_prints_the_rules_or_the_mistake() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, RULES).expect("write");
    let out = rampart(&["rules", "check", text(&good)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("good.toml:2: custom.plant-setpoints [major] T0836 protocol=modbus action=write where unit_id == 1 and address in 0..9 and source.ip not in [10.77.0.5]"), "{stdout}");
    assert!(stdout.ends_with("1 rule valid\n"), "{stdout}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, RULES.replace("0..9", "9..0")).expect("write");
    let out = rampart(&["rules", "check", text(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.ends_with("bad.toml:7: rule `plant-setpoints` (line 2): where, column 32: the range 9..0 is empty\n"), "{stderr}");
}

#[test]
fn analyze_raises_custom_rules_given_with_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("plant.toml");
    std::fs::write(&rules, RULES).expect("write");
    let out_dir = dir.path().join("out");
    let out = rampart(&[
        "analyze",
        text(&sample()),
        "--quiet",
        "--rules",
        text(&rules),
        "--out",
        text(&out_dir),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<Value> = std::fs::read_to_string(out_dir.join("alerts.jsonl"))
        .expect("alerts.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .filter(|a: &Value| a["rule"]["id"] == "custom.plant-setpoints")
        .collect();
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a["source"]["ip"], "10.77.0.20");
    assert_eq!(a["destination"]["ip"], "10.77.0.10");
    assert_eq!(a["alert"]["engine"], "custom");
    assert_eq!(a["threat"]["technique"]["id"], serde_json::json!(["T0836"]));
    assert_eq!(a["evidence"]["fields"]["address"], 4);

    std::fs::write(
        &rules,
        "[[rule]]\nid = \"x\"\nseverity = \"loud\"\naction = \"write\"\n",
    )
    .expect("write");
    let out = rampart(&[
        "analyze",
        text(&sample()),
        "--quiet",
        "--rules",
        text(&rules),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad rule file refuses the run"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("plant.toml:3: rule `x` (line 2): unknown severity `loud`")
    );
}
