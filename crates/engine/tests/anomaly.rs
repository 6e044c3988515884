//! The anomaly engine on real captures from the shared corpus, through the engine with
//! detection on: a scan and ARP conflicts are found, and clean captures stay quiet.

mod support;

use std::path::Path;

use rampart_detect::{Alert, DetectConfig, Detection, Learning, detectors};
use rampart_engine::{Engine, EngineConfig, NullSink};

/// Run the engine with the detectors of `config` over `path`, monitoring throughout; the
/// detection state.
fn detect(path: &Path, config: &DetectConfig) -> Detection {
    detect_learning(path, config, Learning::Off)
}

/// The same, learning as `learning` says.
fn detect_learning(path: &Path, config: &DetectConfig, learning: Learning) -> Detection {
    let detection = Detection::new(learning, detectors(config), 1 << 22);
    let mut engine =
        Engine::new(EngineConfig::default(), Box::new(NullSink)).with_detection(detection);
    support::feed(&mut engine, path);
    let (report, _) = engine.finish();
    report.detection.expect("detection was on")
}

fn rules(detection: &Detection) -> Vec<&'static str> {
    let mut ids: Vec<&str> = detection.book().alerts().iter().map(|a| a.rule).collect();
    ids.sort_unstable();
    ids
}

fn ip(alert: &Alert, destination: bool) -> Option<String> {
    let side = if destination {
        alert.destination
    } else {
        alert.source
    };
    side.and_then(|s| s.ip).map(|ip| ip.to_string())
}

#[test]
fn an_nmap_syn_scan_is_one_port_scan_with_its_packets() {
    let Some(dir) = support::corpus() else {
        return;
    };
    let path = dir.join("attack/nmap-synscan-ndpi.pcap");
    let detection = detect(&path, &DetectConfig::default());
    // 1000 ports of one host in 23 s: one port scan (the episode lasts two minutes) and,
    // with a thousand connections, excessive sessions.
    assert_eq!(
        rules(&detection),
        ["anomaly.excessive_sessions", "anomaly.port_scan"]
    );
    let scan = detection
        .book()
        .alerts()
        .iter()
        .find(|a| a.rule == "anomaly.port_scan")
        .expect("a port scan");
    assert_eq!(ip(scan, false).as_deref(), Some("172.16.0.8"));
    assert_eq!(ip(scan, true).as_deref(), Some("64.13.134.52"));
    assert_eq!(scan.count, 1);
    assert_eq!(scan.techniques, ["T0846"]);
    assert_eq!(scan.evidence["ports"], 25);
    assert_eq!(scan.evidence["first_targets"][0], "443");
    assert_eq!(scan.flows.len(), 8);
    let pcap = detection.pcap(scan.id).expect("the scan's packets");
    assert!(pcap.len() > 24 + 8 * (16 + 54), "{} bytes", pcap.len());
}

#[test]
fn a_marked_scanner_raises_no_scan() {
    let Some(dir) = support::corpus() else {
        return;
    };
    let config = DetectConfig::parse(
        "[devices]\nscanners = [\"172.16.0.8/32\"]\n",
        Path::new("scanners.toml"),
    )
    .expect("valid");
    let detection = detect(&dir.join("attack/nmap-synscan-ndpi.pcap"), &config);
    assert_eq!(rules(&detection), ["anomaly.excessive_sessions"]);
}

#[test]
fn conflicting_arp_claims_in_a_real_capture_are_spoofing() {
    let Some(dir) = support::corpus() else {
        return;
    };
    // tcpdump's ARP regression capture: 192.168.1.104 is claimed by 00:1f:29:da:2d:79 and,
    // in damaged copies of its frames, by MACs a bit away from it.
    let detection = detect(
        &dir.join("attack/arp-oobr-tcpdump.pcap"),
        &DetectConfig::default(),
    );
    let alerts = detection.book().alerts();
    assert!(alerts.iter().all(|a| a.rule == "anomaly.arp_spoofing"));
    let genuine = serde_json::json!("00:1f:29:da:2d:79");
    let mut with_genuine = 0;
    for alert in alerts {
        let macs = [&alert.evidence["first_mac"], &alert.evidence["second_mac"]];
        assert_ne!(macs[0], macs[1]);
        assert_eq!(ip(alert, false), ip(alert, true), "one address, two MACs");
        assert_eq!(alert.techniques, ["T0830"]);
        assert!(detection.pcap(alert.id).is_some(), "the ARP frames");
        if ip(alert, false).as_deref() == Some("192.168.1.104") && macs.contains(&&genuine) {
            with_genuine += 1;
        }
    }
    assert!(
        with_genuine > 10,
        "{with_genuine} conflicts with the genuine MAC"
    );
}

#[test]
fn a_real_pause_in_a_modbus_poll_is_a_silent_channel_only_when_monitoring() {
    let Some(dir) = support::corpus() else {
        return;
    };
    // 141.81.0.10 polls 141.81.0.46 with read coils every 2 s and read discrete inputs every
    // second, then pauses and reconnects (tshark: no read coils from 11:03:44.5 to 11:04:06.5).
    let path = dir.join("modbus/modbus-tcp-pipelined.pcap");
    let detection = detect(&path, &DetectConfig::default());
    let mut silent: Vec<(String, u64)> = detection
        .book()
        .alerts()
        .iter()
        .filter(|a| a.rule == "anomaly.silent_channel")
        .map(|a| {
            assert_eq!(ip(a, false).as_deref(), Some("141.81.0.10"));
            assert_eq!(ip(a, true).as_deref(), Some("141.81.0.46"));
            let period = a.evidence["period_ms"].as_f64().unwrap_or_default();
            (a.discriminator.clone(), (period / 100.0).round() as u64)
        })
        .collect();
    silent.sort();
    assert_eq!(
        silent,
        [
            ("read_coils".to_string(), 20),
            ("read_discrete_inputs".to_string(), 10)
        ]
    );
    let learning = detect_learning(&path, &DetectConfig::default(), Learning::Always);
    assert!(
        learning.book().alerts().is_empty(),
        "learning raises no deviation"
    );
}

#[test]
fn clean_captures_raise_no_scan_spoofing_or_guessing() {
    let Some(dir) = support::corpus() else {
        return;
    };
    let mut noisy = Vec::new();
    for path in support::captures(&dir) {
        if path.starts_with(dir.join("attack")) {
            continue;
        }
        let detection = detect(&path, &DetectConfig::default());
        for alert in detection.book().alerts() {
            if matches!(alert.category, "scan" | "spoofing" | "authentication") {
                noisy.push(format!("{}: {}", path.display(), alert.summary_line()));
            }
        }
    }
    assert!(noisy.is_empty(), "{noisy:#?}");
}
