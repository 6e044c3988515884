//! `rampart alerts` and `rampart incidents` on a database written through the store, as
//! `rampart analyze --out DIR` writes it at the end of a run.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

use rampart_detect::{Alert, AlertDraft, AlertId, Endpoint, EngineKind, Rule, Severity, incident};
use rampart_event::Timestamp;
use rampart_store::Store;
use serde_json::Value;

mod support;
use support::rampart;

static STOP: Rule = Rule {
    id: "protocol_policy.plc_stop",
    title: "PLC stop",
    engine: EngineKind::ProtocolPolicy,
    category: "operating_mode",
    severity: Severity::Critical,
    techniques: &["T0858", "T0816"],
    remediation: "Confirm with the process engineer that the stop was planned.",
};
static SCAN: Rule = Rule {
    id: "anomaly.port_scan",
    title: "Port scan",
    engine: EngineKind::Anomaly,
    category: "scan",
    severity: Severity::Major,
    techniques: &["T0846"],
    remediation: "Find out who runs the scanner.",
};
static NEW_DEVICE: Rule = Rule {
    id: "policy.new_device",
    title: "New device",
    engine: EngineKind::Policy,
    category: "discovery",
    severity: Severity::Minor,
    techniques: &["T0864"],
    remediation: "Authorise or remove the device.",
};

/// A pcap file header and one 60-byte packet record.
fn pcap_bytes() -> Vec<u8> {
    let mut bytes = vec![
        0xd4, 0xc3, 0xb2, 0xa1, // magic, microseconds, little-endian
        0x02, 0x00, 0x04, 0x00, // version 2.4
        0, 0, 0, 0, 0, 0, 0, 0, // zone, accuracy
        0xff, 0xff, 0x00, 0x00, // snap length 65535
        0x01, 0x00, 0x00, 0x00, // link type 1, Ethernet
        0x0a, 0, 0, 0, 0, 0, 0, 0, // time 10 s, 0 µs
        0x3c, 0, 0, 0, 0x3c, 0, 0, 0, // captured and wire length 60
    ];
    bytes.extend([0u8; 60]);
    bytes
}

fn host(last: u8) -> Option<Endpoint> {
    Some(Endpoint {
        ip: Some(IpAddr::from([10, 0, 0, last])),
        mac: None,
        port: None,
    })
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    stop: AlertId,
    scan: AlertId,
    new_device: AlertId,
}

/// A database with a story on 10.0.0.9 (new device, scan, PLC stop; the new device alert
/// suppressed by an exclusion) and a PCAP for the stop.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("rampart.sqlite");
    let mut new_device = Alert::open(
        AlertDraft::new(
            &NEW_DEVICE,
            Timestamp::from_parts(100, 0),
            "10.0.0.9 appeared.",
        )
        .between(host(9), None),
    );
    new_device.suppressed = Some("exclusion rule 'lab': commissioning".to_string());
    let scan = Alert::open(
        AlertDraft::new(
            &SCAN,
            Timestamp::from_parts(160, 0),
            "25 ports in 2 minutes.",
        )
        .between(host(9), host(3))
        .evidence("ports", 25),
    );
    let mut stop = Alert::open(
        AlertDraft::new(
            &STOP,
            Timestamp::from_parts(220, 0),
            "S7 PLC stop from 10.0.0.9.",
        )
        .between(host(9), host(2))
        .protocol("s7comm")
        .evidence("function", "0x29")
        .flow(Some(4)),
    );
    stop.count = 3;
    stop.last_seen = Timestamp::from_parts(280, 0);
    let alerts = vec![new_device, scan, stop];
    let pcaps = HashMap::from([(alerts[2].id, pcap_bytes())]);
    let incidents = incident::group(&alerts, incident::DEFAULT_WINDOW);
    let mut store = Store::create(&db).expect("database created");
    store
        .write_alerts(&alerts, |id| pcaps.get(&id).map(Vec::as_slice), &incidents)
        .expect("alerts stored");
    drop(store);
    Fixture {
        db,
        stop: alerts[2].id,
        scan: alerts[1].id,
        new_device: alerts[0].id,
        _dir: dir,
    }
}

fn alerts(f: &Fixture, args: &[&str]) -> Output {
    let db = f.db.to_str().expect("utf-8 path");
    let mut all = vec!["alerts", "--db", db];
    all.extend_from_slice(args);
    rampart(&all)
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The error line of a failed command.
fn failed(out: Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).expect("utf-8 error")
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// Everything an analyst could lose: every alert with its history.
fn snapshot(f: &Fixture) -> Vec<Value> {
    [f.stop, f.scan, f.new_device]
        .iter()
        .map(|id| {
            let text = ok(alerts(f, &["show", &id.to_string(), "--json"]));
            serde_json::from_str(&text).expect("JSON")
        })
        .collect()
}

#[test]
fn list_puts_the_most_severe_first_and_filters() {
    let f = fixture();
    let text = ok(alerts(&f, &["list"]));
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert!(rows[0].starts_with("ID"));
    assert!(rows[1].starts_with(&f.stop.to_string()));
    assert!(rows[1].contains("critical") && rows[1].contains("PLC stop (10.0.0.9 -> 10.0.0.2)"));
    assert!(rows[2].starts_with(&f.scan.to_string()));
    assert!(rows[3].starts_with(&f.new_device.to_string()));
    assert!(
        rows[3].ends_with("New device (10.0.0.9) [suppressed]"),
        "{}",
        rows[3]
    );

    let major = json_lines(&ok(alerts(&f, &["list", "--severity", "major", "--json"])));
    let ids: Vec<&str> = major.iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, vec![f.stop.to_string(), f.scan.to_string()]);
    assert_eq!(major[0]["count"], 3);
    assert_eq!(major[0]["pcap"], format!("alerts/{}.pcap", f.stop));
    assert_eq!(major[0]["source"]["ip"], "10.0.0.9");

    let anomaly = json_lines(&ok(alerts(&f, &["list", "--engine", "anomaly", "--json"])));
    assert_eq!(anomaly.len(), 1);
    assert_eq!(anomaly[0]["rule"], "anomaly.port_scan");

    assert_eq!(
        ok(alerts(&f, &["list", "--status", "resolved"])),
        "No alerts.\n"
    );
    let err = alerts(&f, &["list", "--status", "open"]);
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("expected one of new, acknowledged"));
}

#[test]
fn show_prints_every_field_the_evidence_and_the_history() {
    let f = fixture();
    let id = f.stop.to_string();
    let text = ok(alerts(&f, &["show", &id]));
    for expected in [
        format!("Alert {id}: PLC stop"),
        "protocol_policy.plc_stop (protocol_policy, operating_mode)".to_string(),
        "status        new".to_string(),
        "protocol      s7comm".to_string(),
        "1970-01-01T00:03:40.000000Z to 1970-01-01T00:04:40.000000Z, 3 occurrence(s)".to_string(),
        "T0858 Change Operating Mode, T0816 Device Restart/Shutdown".to_string(),
        "description   S7 PLC stop from 10.0.0.9.".to_string(),
        "remediation   Confirm with the process engineer".to_string(),
        format!("pcap          alerts/{id}.pcap (100 bytes)"),
        "function      0x29".to_string(),
        "raised".to_string(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    let suppressed = ok(alerts(&f, &["show", &f.new_device.to_string()]));
    assert!(suppressed.contains("suppressed    exclusion rule 'lab': commissioning"));
    assert!(suppressed.contains("pcap          none"));
}

#[test]
fn ack_resolve_and_reopen_are_recorded_with_their_notes() {
    let f = fixture();
    let id = f.scan.to_string();
    assert_eq!(
        ok(alerts(
            &f,
            &["ack", &id, "--note", "looking at the historian"]
        )),
        format!("Alert {id}: new → acknowledged.\n")
    );
    let acked = json_lines(&ok(alerts(
        &f,
        &["list", "--status", "acknowledged", "--json"],
    )));
    assert_eq!(acked.len(), 1);
    assert_eq!(acked[0]["id"], id);
    ok(alerts(&f, &["resolve", &id, "--note", "authorised scan"]));
    ok(alerts(&f, &["reopen", &id]));
    let shown: Value =
        serde_json::from_str(&ok(alerts(&f, &["show", &id, "--json"]))).expect("JSON");
    assert_eq!(shown["status"], "new");
    let history: Vec<(String, String, String)> = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| {
            let text = |k: &str| h[k].as_str().unwrap_or("").to_string();
            (text("action"), text("to"), text("note"))
        })
        .collect();
    assert_eq!(history.len(), 4);
    assert_eq!(
        history[1],
        (
            "acknowledged".into(),
            "acknowledged".into(),
            "looking at the historian".into()
        )
    );
    assert_eq!(
        history[2],
        (
            "resolved".into(),
            "resolved".into(),
            "authorised scan".into()
        )
    );
    assert_eq!(history[3], ("reopened".into(), "new".into(), String::new()));
    assert_eq!(shown["evidence"]["ports"], 25);
    assert_eq!(shown["techniques"], serde_json::json!(["T0846"]));
    let text = ok(alerts(&f, &["show", &id]));
    assert!(
        text.contains("acknowledged  new → acknowledged  looking at the historian"),
        "{text}"
    );
    assert_eq!(
        ok(alerts(&f, &["mark-muted", &id])),
        format!("Alert {id}: new → muted.\n")
    );
}

#[test]
fn a_refused_change_says_why_and_changes_nothing() {
    let f = fixture();
    let id = f.stop.to_string();
    ok(alerts(&f, &["resolve", &id]));
    let before = snapshot(&f);
    let err = failed(alerts(&f, &["ack", &id, "--note", "too late"]));
    assert_eq!(
        err,
        format!(
            "rampart: alert {id}: resolved alert cannot be acknowledged; only new alerts can\n"
        )
    );
    let err = failed(alerts(&f, &["resolve", &id]));
    assert!(err.contains("resolved alert cannot be resolved"), "{err}");
    let err = failed(alerts(&f, &["ack", "00000000000000aa"]));
    assert_eq!(err, "rampart: no alert 00000000000000aa in the database\n");
    let err = alerts(&f, &["ack", "12345"]);
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("expected 16 hex digits"));
    let blocked = f.db.with_file_name("blocked");
    std::fs::create_dir(&blocked).expect("directory");
    let err = failed(alerts(
        &f,
        &["pcap", &id, "--out", blocked.to_str().expect("utf-8")],
    ));
    assert!(
        err.starts_with(&format!("rampart: cannot write {}", blocked.display())),
        "{err}"
    );
    assert_eq!(snapshot(&f), before);
}

#[test]
fn pcap_writes_the_alerts_packets() {
    let f = fixture();
    let out = f.db.with_file_name("stop.pcap");
    let path = out.to_str().expect("utf-8 path");
    let text = ok(alerts(&f, &["pcap", &f.stop.to_string(), "--out", path]));
    assert_eq!(text, format!("Wrote 100 bytes to {path}.\n"));
    assert_eq!(std::fs::read(&out).expect("written"), pcap_bytes());
    let none = f.db.with_file_name("none.pcap");
    let err = failed(alerts(
        &f,
        &[
            "pcap",
            &f.scan.to_string(),
            "--out",
            none.to_str().expect("utf-8"),
        ],
    ));
    assert!(
        err.contains(&format!("alert {} has no PCAP", f.scan)),
        "{err}"
    );
    assert!(!none.exists());
}

#[test]
fn incidents_list_and_show_the_story_with_current_statuses() {
    let f = fixture();
    ok(alerts(&f, &["ack", &f.stop.to_string()]));
    let db = f.db.to_str().expect("utf-8 path");
    let text = ok(rampart(&["incidents", "--db", db, "list"]));
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[1].contains("critical")
            && rows[1].ends_with("10.0.0.2: PLC stop after new device (+1 more)")
    );
    let listed = json_lines(&ok(rampart(&["incidents", "--db", db, "list", "--json"])));
    let id = listed[0]["id"].as_str().expect("id").to_string();
    assert_eq!(listed[0]["record"], "incident");
    assert_eq!(listed[0]["incident"]["alert_count"], 3);

    let text = ok(rampart(&["incidents", "--db", db, "show", &id]));
    assert!(
        text.contains("devices       10.0.0.9, 10.0.0.3, 10.0.0.2"),
        "{text}"
    );
    assert!(
        text.contains("T0864 Transient Cyber Asset, T0846 Remote System Discovery, T0858"),
        "{text}"
    );
    let timeline: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Timeline")
        .skip(1)
        .collect();
    assert_eq!(timeline.len(), 3);
    assert!(timeline[0].contains(&f.new_device.to_string()) && timeline[0].contains("New device"));
    assert!(timeline[2].contains(&f.stop.to_string()) && timeline[2].contains("acknowledged"));
    let shown: Value = serde_json::from_str(&ok(rampart(&[
        "incidents",
        "--db",
        db,
        "show",
        &id,
        "--json",
    ])))
    .expect("JSON");
    assert_eq!(
        shown["incident"]["timeline"][2]["alert"]["status"],
        "acknowledged"
    );
    let err = failed(rampart(&[
        "incidents",
        "--db",
        db,
        "show",
        "00000000000000aa",
    ]));
    assert_eq!(
        err,
        "rampart: no incident 00000000000000aa in the database\n"
    );
}

#[test]
fn the_output_directory_stands_for_its_database() {
    let f = fixture();
    let dir =
        f.db.parent()
            .expect("directory")
            .to_str()
            .expect("utf-8 path");
    let text = ok(rampart(&["alerts", "--db", dir, "list", "--json"]));
    assert_eq!(json_lines(&text).len(), 3);
}

#[test]
fn a_missing_or_damaged_database_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let missing: PathBuf = dir.path().join("absent.sqlite");
    let m = missing.to_str().expect("utf-8 path");
    let err = failed(rampart(&["alerts", "--db", m, "list"]));
    assert_eq!(
        err,
        format!(
            "rampart: no database at {m}; `rampart analyze --out DIR` writes DIR/rampart.sqlite\n"
        )
    );
    assert!(!missing.exists());
    let garbage = dir.path().join("garbage.sqlite");
    let text = b"not sqlite at all, just some text that is long enough to read".as_slice();
    std::fs::write(&garbage, text).expect("written");
    let err = failed(rampart(&[
        "incidents",
        "--db",
        garbage.to_str().expect("utf-8"),
        "list",
    ]));
    assert!(
        err.contains(&format!("database {}", garbage.display())) && err.contains("not a database"),
        "{err}"
    );
    assert_eq!(std::fs::read(&garbage).expect("kept"), text);
    let foreign = dir.path().join("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .and_then(|c| c.execute_batch("CREATE TABLE flows (x)"))
        .expect("foreign database");
    let err = failed(rampart(&[
        "alerts",
        "--db",
        foreign.to_str().expect("utf-8"),
        "list",
    ]));
    assert!(err.contains("holds no alerts"), "{err}");
    assert!(Path::new(&foreign).exists());
}
