//! `rampart baseline …` and `rampart analyze --baseline` with the real binary, on the
//! bundled sample: learn, show, export, import, diff, learn and unlearn an alert, mute.

use std::path::Path;

use serde_json::{Value, json};

mod support;
use support::{rampart, sample};

/// Run and expect success; the standard output.
fn ok(args: &[&str]) -> String {
    let out = rampart(args);
    assert!(
        out.status.success(),
        "rampart {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run and expect exit status 2; the standard error.
fn fails(args: &[&str]) -> String {
    let out = rampart(args);
    assert_eq!(out.status.code(), Some(2), "rampart {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `rampart baseline learn|unlearn FILE --alerts ALERTS ID`, expecting success.
fn fold(verb: &str, file: &Path, alerts: &Path, id: &str, note: &[&str]) -> String {
    let mut args = vec!["baseline", verb, s(file), "--alerts", s(alerts), id];
    args.extend_from_slice(note);
    ok(&args)
}

fn revision(path: &Path) -> u64 {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("baseline")).expect("json");
    doc["revision"].as_u64().expect("revision")
}

/// A policy alert as `alerts.jsonl` carries it (shape of the detection contract).
fn alert_line(id: &str, rule: &str, evidence: Value) -> String {
    json!({
        "@timestamp": "2026-12-02T01:00:00.000000Z", "kind": "alert", "schema_version": 3,
        "id": id, "rule": {"id": rule, "name": "New write command between devices", "category": "baseline"},
        "event": {"kind": "alert", "severity": 8, "count": 1},
        "alert": {"title": "New write command between devices", "engine": "policy", "severity": "major",
                  "status": "new", "discriminator": "modbus unit 1 function 16", "count": 1},
        "source": {"ip": "10.77.0.20", "port": 40001}, "destination": {"ip": "10.77.0.10", "port": 502},
        "network": {"protocol": "modbus"}, "evidence": evidence
    })
    .to_string()
}

#[test]
fn analyze_learns_a_baseline_that_shows_exports_imports_and_diffs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let b = dir.path().join("b.json");
    let out = dir.path().join("out");
    ok(&[
        "analyze",
        s(&sample()),
        "--baseline",
        s(&b),
        "--out",
        s(&out),
        "-q",
    ]);
    assert_eq!(revision(&b), 1);
    let saved = std::fs::read_to_string(&b).expect("baseline");
    assert_eq!(
        std::fs::read_to_string(out.join("baseline.json")).expect("copy"),
        saved
    );

    let shown = ok(&["baseline", "show", s(&b)]);
    assert!(shown.starts_with("Baseline revision 1 (format rampart-baseline 1): 7 devices, 6 edges, 3 commands, 0 mutes."), "{shown}");
    assert!(shown.contains("  10.77.0.20 -> 10.77.0.10 [tcp/502] 1 flows, 73 packets, 5821 bytes; protocols: modbus\n"), "{shown}");
    assert!(
        shown.contains("    modbus unit 1 function 3 x20 every 0.501 s addresses 0-9\n"),
        "{shown}"
    );
    assert!(shown.contains("    mqtt subscribe plant/# x1\n"), "{shown}");
    assert!(
        shown.contains("  r1 ") && shown.contains(" analyze: learned from "),
        "{shown}"
    );

    // An existing baseline monitors: the same capture learns nothing and the file stays.
    ok(&["analyze", s(&sample()), "--baseline", s(&b), "-q"]);
    assert_eq!(std::fs::read_to_string(&b).expect("baseline"), saved);

    let portable = dir.path().join("portable.json");
    ok(&["baseline", "export", s(&b), "--out", s(&portable)]);
    let text = std::fs::read_to_string(&portable).expect("export");
    assert!(
        !text.contains("\"history\""),
        "the export leaves the local history out"
    );
    let c = dir.path().join("c.json");
    let imported = ok(&["baseline", "import", s(&portable), "--into", s(&c)]);
    assert!(imported.contains("revision 1"), "{imported}");
    assert_eq!(ok(&["baseline", "diff", s(&b), s(&c)]), "No differences.\n");
    // Importing the same again merges into what is there: nothing new, a new revision.
    let again = ok(&["baseline", "import", s(&portable), "--into", s(&c)]);
    assert!(again.contains(": 0 new entries, revision 2."), "{again}");
}

#[test]
fn an_alert_is_learned_unlearned_and_muted_with_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let b = dir.path().join("b.json");
    ok(&["analyze", s(&sample()), "--baseline", s(&b), "-q"]);
    let before = dir.path().join("before.json");
    std::fs::copy(&b, &before).expect("copy");
    let alerts = dir.path().join("alerts.jsonl");
    let write = alert_line(
        "00000000000000aa",
        "policy.new_command",
        json!({"edge": {"client": "10.77.0.20", "server": "10.77.0.10"},
               "command": {"protocol": "modbus", "unit": 1, "function": 16},
               "ranges": [[10, 11]], "kind": "write_multiple_registers", "action": "write"}),
    );
    let scan = alert_line("00000000000000cc", "anomaly.port_scan", json!({}));
    std::fs::write(&alerts, format!("{write}\n{scan}\n")).expect("alerts");

    let learned = fold(
        "learn",
        &b,
        &alerts,
        "00000000000000aa",
        &["--note", "new recipe download"],
    );
    assert_eq!(learned, "Alert 00000000000000aa learned: revision 2.\n");
    assert_eq!(
        ok(&["baseline", "diff", s(&before), s(&b)]),
        "+ command 10.77.0.20 -> 10.77.0.10 modbus unit 1 function 16\n\
         + range 10.77.0.20 -> 10.77.0.10 modbus unit 1 function 16 addresses 10-11\n"
    );
    let diff: Value = serde_json::from_str(&ok(&["baseline", "diff", s(&before), s(&b), "--json"]))
        .expect("json");
    assert_eq!(
        diff["added"][0],
        json!({"kind": "command", "client": "10.77.0.20", "server": "10.77.0.10",
               "command": {"protocol": "modbus", "unit": 1, "function": 16}})
    );
    assert_eq!(diff["removed"], json!([]));
    let twice = fold("learn", &b, &alerts, "00000000000000aa", &[]);
    assert!(twice.contains("nothing to change"), "{twice}");
    assert_eq!(revision(&b), 2);

    fold("unlearn", &b, &alerts, "00000000000000aa", &[]);
    assert_eq!(
        ok(&["baseline", "diff", s(&before), s(&b)]),
        "No differences.\n"
    );
    assert_eq!(revision(&b), 3);

    let refused = fails(&[
        "baseline",
        "learn",
        s(&b),
        "--alerts",
        s(&alerts),
        "00000000000000cc",
    ]);
    assert!(
        refused.contains("anomaly.port_scan") && refused.contains("mute it instead"),
        "{refused}"
    );
    let missing = fails(&[
        "baseline",
        "learn",
        s(&b),
        "--alerts",
        s(&alerts),
        "00000000000000dd",
    ]);
    assert!(
        missing.contains("no alert 00000000000000dd in"),
        "{missing}"
    );

    ok(&[
        "baseline",
        "mute",
        s(&b),
        "00000000000000CC",
        "--note",
        "authorised scanner",
        "--alerts",
        s(&alerts),
    ]);
    let shown = ok(&["baseline", "show", s(&b)]);
    assert!(
        shown.contains("Muted alerts:\n  00000000000000cc anomaly.port_scan: authorised scanner\n"),
        "{shown}"
    );
    assert!(
        shown.contains("r4 ") && shown.contains(" mute 00000000000000cc: authorised scanner"),
        "{shown}"
    );
    assert!(
        shown.contains(" learn 00000000000000aa: new recipe download"),
        "{shown}"
    );
    ok(&["baseline", "unmute", s(&b), "00000000000000cc"]);
    let again = fails(&["baseline", "unmute", s(&b), "00000000000000cc"]);
    assert!(again.contains("is not muted"), "{again}");
    assert!(fails(&["baseline", "mute", s(&b), "xyz", "--note", "n"]).contains("16 hex digits"));
    assert_eq!(revision(&b), 5);
}

#[test]
fn a_bad_baseline_is_refused_with_its_position_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.json");
    let text =
        "{\n  \"format\": \"rampart-baseline\",\n  \"version\": 1,\n  \"revision\": \"one\"\n}\n";
    std::fs::write(&bad, text).expect("write");
    let err = fails(&["baseline", "show", s(&bad)]);
    assert!(err.contains(&format!("{}:4:", bad.display())), "{err}");
    let err = fails(&["analyze", s(&sample()), "--baseline", s(&bad), "-q"]);
    assert!(err.contains("not a valid baseline"), "{err}");
    assert_eq!(std::fs::read_to_string(&bad).expect("still there"), text);
    let err = fails(&["baseline", "show", s(&dir.path().join("none.json"))]);
    assert!(err.contains("cannot read baseline"), "{err}");
}
