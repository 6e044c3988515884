//! Threat intelligence and custom rules end to end: real captures through the engine with
//! the detectors `rampart_detect::detectors` builds from a configuration.

mod support;

use std::path::{Path, PathBuf};

use rampart_capture::CaptureFile;
use rampart_detect::{Alert, DetectConfig, Detection, EngineKind, Learning};
use rampart_engine::{Engine, EngineConfig, NullSink};

/// Write `text` to a file of the test's scratch directory.
fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("intel_rules");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("scratch file");
    path
}

/// The alerts of a run over `capture` (relative to the corpus) with `config`.
/// The threat-intelligence and custom-rule alerts of a run with every engine on (the other
/// engines' alerts on these captures are theirs to test).
fn alerts(capture: &str, config: &DetectConfig) -> Option<Vec<Alert>> {
    let path = support::corpus()?.join(capture);
    let detection = Detection::new(Learning::Off, rampart_detect::detectors(config), 1 << 20);
    let mut engine =
        Engine::new(EngineConfig::default(), Box::new(NullSink)).with_detection(detection);
    let mut file = CaptureFile::open(&path).expect("capture opens");
    while let Some(p) = file.next_packet().expect("capture reads") {
        engine.packet(p.timestamp, p.link_type.0, p.data, p.wire_len);
    }
    let (report, _) = engine.finish();
    Some(
        report
            .detection
            .expect("detection on")
            .book()
            .alerts()
            .iter()
            .filter(|a| matches!(a.engine, EngineKind::Malware | EngineKind::Custom))
            .cloned()
            .collect(),
    )
}

fn ip(alert: &Alert, destination: bool) -> String {
    let side = if destination {
        alert.destination
    } else {
        alert.source
    };
    side.and_then(|s| s.ip)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

#[test]
fn a_listed_domain_and_resolver_raise_on_a_real_dns_capture() {
    let list = scratch("dns-iocs.txt", "# test feed\ngoogle.com\n8.8.8.8\n");
    let mut config = DetectConfig::default();
    config.intel.files = vec![list];
    let Some(alerts) = alerts("it/dns-google-a-aaaa-mx.pcap", &config) else {
        return;
    };
    let found: Vec<_> = alerts
        .iter()
        .map(|a| (a.rule, ip(a, false), ip(a, true), a.count))
        .collect();
    // Three queries for google.com, each answered: six records name the domain (each one
    // occurrence however many answers repeat it); three flows go to the listed resolver.
    assert_eq!(
        found,
        [
            ("malware.ioc_ip", "10.16.1.11".into(), "8.8.8.8".into(), 3),
            (
                "malware.ioc_domain",
                "10.16.1.11".into(),
                "8.8.8.8".into(),
                6
            ),
        ]
    );
    let domain = &alerts[1];
    assert_eq!(domain.evidence["matched"], "google.com");
    assert_eq!(domain.evidence["field"], "qname");
    assert!(
        domain.evidence["feed"]
            .as_str()
            .is_some_and(|s| s.ends_with("dns-iocs.txt:2"))
    );
    assert_eq!(domain.techniques, ["T0869"]);
}

#[test]
fn a_stix_fingerprint_bundle_raises_on_a_real_tls_capture() {
    let list = scratch("tls-iocs.txt", "ja4:t12i1810s1_27d4652c4487_06a4338d0495\n");
    let bundle = scratch(
        "tls-iocs.json",
        r#"{"type": "bundle", "id": "bundle--t", "objects": [
            {"type": "indicator", "id": "indicator--net", "pattern_type": "stix",
             "name": "Lab web server", "confidence": 90,
             "pattern": "[ipv4-addr:value ISSUBSET '192.168.56.0/24']"}]}"#,
    );
    let mut config = DetectConfig::default();
    config.intel.files = vec![list, bundle];
    let Some(alerts) = alerts("it/tls12-ja4-suricata.pcap", &config) else {
        return;
    };
    let found: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.rule,
                ip(a, false),
                ip(a, true),
                a.severity.as_str(),
                a.count,
            )
        })
        .collect();
    // Both ends of the one flow are in the network: one flow start, two occurrences.
    assert_eq!(
        found,
        [
            (
                "malware.ioc_ip",
                "192.168.56.1".into(),
                "192.168.56.101".into(),
                "critical",
                2
            ),
            (
                "malware.ioc_tls_fingerprint",
                "192.168.56.1".into(),
                "192.168.56.101".into(),
                "major",
                1
            ),
        ]
    );
    assert_eq!(alerts[0].evidence["name"], "Lab web server");
    assert_eq!(alerts[1].evidence["field"], "ja4");
}

#[test]
fn a_custom_rule_on_modbus_writes_raises_with_the_writing_host() {
    // The capture writes coils 1 and 2 and register 5 of unit 10 on 10.0.0.3, from 10.0.0.9.
    let rules = scratch(
        "modbus-rules.toml",
        r#"
[[rule]]
id = "unit10-low-outputs"
title = "Write to the first outputs of unit 10"
techniques = ["T0855", "T0836"]
protocol = "modbus"
action = "write"
where = "unit_id == 10 and address in 0..4 and source.ip not in [10.0.0.57]"

[[rule]]
id = "writes-from-the-hmi"
protocol = "modbus"
action = "write"
where = "source.ip == 10.0.0.57"
"#,
    );
    let mut config = DetectConfig::default();
    config.rules.files = vec![rules];
    let Some(alerts) = alerts("modbus/modbus-test-data-part1.pcap", &config) else {
        return;
    };
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.rule, "custom.unit10-low-outputs");
    assert_eq!(a.title, "Write to the first outputs of unit 10");
    assert_eq!(
        (ip(a, false).as_str(), ip(a, true).as_str()),
        ("10.0.0.9", "10.0.0.3")
    );
    assert_eq!(a.count, 2);
    assert_eq!(a.techniques, ["T0855", "T0836"]);
    assert_eq!(a.evidence["fields"]["unit_id"], 10);
    assert_eq!(a.evidence["fields"]["address"], 2);
}
