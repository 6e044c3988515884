//! `rampart analyze` end to end, on the bundled sample recorded with real peers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod support;
use support::{rampart, sample};

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

fn analyse_sample(dir: &Path) -> Output {
    let out = rampart(&[
        "analyze",
        sample().to_str().expect("utf-8 path"),
        "--out",
        dir.to_str().expect("utf-8 path"),
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn inventories_the_sample_plant() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = analyse_sample(dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Read 1 input(s): 279 packets"), "{stdout}");
    let devices = lines(&dir.path().join("devices.jsonl"));
    let by_ip: BTreeMap<String, &Value> = devices
        .iter()
        .flat_map(|d| {
            d["ips"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |ip| (ip["ip"].as_str().unwrap_or("").to_string(), d))
        })
        .collect();
    for ip in [
        "10.77.0.1",
        "10.77.0.10",
        "10.77.0.20",
        "10.77.0.30",
        "10.77.0.31",
        "10.77.0.40",
    ] {
        assert!(by_ip.contains_key(ip), "device for {ip} in {by_ip:?}");
    }
    let plc = by_ip["10.77.0.10"];
    // The PLC names its maker in Modbus Read Device Identification, which outranks the OUI
    // of its MAC; the OUI stays as evidence.
    assert_eq!(
        plc["vendor"]["value"], "Rampart Sample Controls",
        "vendor the PLC states in Modbus device identification"
    );
    assert!(
        plc["vendor"]["evidence"]
            .as_array()
            .is_some_and(|e| e.iter().any(|v| v == "oui 00:1b:1b:77:00:10: Siemens AG")),
        "OUI vendor of the PLC's MAC as evidence: {}",
        plc["vendor"]
    );
    let served: BTreeSet<&str> = plc["protocols"]["server"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        served.contains("modbus"),
        "the PLC serves Modbus: {served:?}"
    );
    let ews = by_ip["10.77.0.40"];
    let used: BTreeSet<&str> = ews["protocols"]["client"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        used.contains("http") && used.contains("snmp") && used.contains("ssh"),
        "{used:?}"
    );
    for d in &devices {
        assert_eq!(d["schema_version"], rampart_event::SCHEMA_VERSION);
        assert_eq!(d["record"], "device");
    }
    let flows = lines(&dir.path().join("flows.jsonl"));
    assert!(flows.iter().all(|f| f["record"] == "flow"));
    let packets: u64 = flows
        .iter()
        .map(|f| f["network"]["packets"].as_u64().unwrap_or(0))
        .sum();
    assert!(packets > 200, "most packets belong to flows ({packets})");
    let events = lines(&dir.path().join("events.jsonl"));
    let findings: Vec<&Value> = events.iter().filter(|e| e["kind"] == "finding").collect();
    let protocols: BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["finding"]["protocol"].as_str())
        .collect();
    assert!(
        protocols.contains("http") && protocols.contains("snmp"),
        "cleartext credential findings: {protocols:?}"
    );
    for f in [
        "conversations.jsonl",
        "summary.json",
        "report.html",
        "rampart.sqlite",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} written");
    }
}

#[test]
fn same_input_gives_same_output() {
    let (a, b) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    analyse_sample(a.path());
    analyse_sample(b.path());
    for f in [
        "flows.jsonl",
        "events.jsonl",
        "devices.jsonl",
        "conversations.jsonl",
        "summary.json",
        "report.html",
    ] {
        let left = std::fs::read(a.path().join(f)).expect("first run output");
        let right = std::fs::read(b.path().join(f)).expect("second run output");
        assert!(
            left == right,
            "{f} differs between two runs on the same input"
        );
    }
}

#[test]
fn the_database_holds_the_same_records_as_the_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    analyse_sample(dir.path());
    let db = rusqlite::Connection::open(dir.path().join("rampart.sqlite")).expect("database opens");
    for (table, file) in [
        ("flows", "flows.jsonl"),
        ("events", "events.jsonl"),
        ("devices", "devices.jsonl"),
        ("conversations", "conversations.jsonl"),
    ] {
        let mut statement = db
            .prepare(&format!("SELECT json FROM {table} ORDER BY rowid"))
            .expect("query");
        let rows: Vec<Value> = statement
            .query_map([], |r| r.get::<_, String>(0))
            .expect("rows")
            .map(|r| serde_json::from_str(&r.expect("text")).expect("JSON"))
            .collect();
        assert_eq!(
            rows,
            lines(&dir.path().join(file)),
            "{table} matches {file}"
        );
    }
    let version: String = db
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .expect("schema version stored");
    assert_eq!(version, rampart_event::SCHEMA_VERSION.to_string());
}

#[test]
fn a_truncated_capture_is_reported_with_its_offset_and_analysed_up_to_the_cut() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = std::fs::read(sample()).expect("sample");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).expect("write cut capture");
    let out = rampart(&["analyze", cut.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut.pcap: truncated pcap record at offset"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Read 1 input(s): 278 packets"), "{stdout}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "a damaged capture still counts as read"
    );
}

#[test]
fn a_file_that_is_not_a_capture_says_so_and_the_others_are_still_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are not packets\n").expect("write");
    let out = rampart(&[
        "analyze",
        text.to_str().expect("utf-8"),
        sample().to_str().expect("utf-8"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("notes.txt: not a capture file (first bytes 74 68 65 73"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("279 packets"));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn nothing_to_analyse_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = rampart(&["analyze", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no capture files"));
}

#[test]
fn the_html_report_is_self_contained() {
    let dir = tempfile::tempdir().expect("temp dir");
    analyse_sample(dir.path());
    let page = std::fs::read_to_string(dir.path().join("report.html")).expect("report");
    assert!(
        page.contains("<svg") && page.contains("Conversation matrix") && page.contains("Inventory")
    );
    for forbidden in ["<script", "src=\"http", "href=\"http", "@import"] {
        assert!(
            !page.contains(forbidden),
            "report must not load {forbidden}"
        );
    }
}

#[test]
fn reads_gzip_compressed_captures_and_directories_of_them() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let nested = dir.path().join("site-a/line-1");
    std::fs::create_dir_all(&nested).expect("mkdir");
    let bytes = std::fs::read(sample()).expect("sample");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).expect("compress");
    std::fs::write(nested.join("plant.pcap.gz"), gz.finish().expect("finish")).expect("write");
    std::fs::write(dir.path().join("plant.pcap"), &bytes).expect("write");
    let out = rampart(&["analyze", dir.path().to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Read 2 input(s): 558 packets"), "{stdout}");
}
