//! The detection stories: captures with a known story, recorded with real peers in network
//! namespaces by `scripts/stories/make-stories.sh` (samples/stories/README.md tells them).
//! `rampart analyze --learn-until` must raise on the attack story exactly the alerts that
//! `samples/stories/attack.expected.toml` lists, between the listed devices, with the listed
//! ATT&CK techniques, each with a PCAP of its packets, and no deviation while it learns; on
//! the clean story (the same plant, nothing injected) no deviation at all. Cleartext
//! credentials are findings on a device, never alerts.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use rampart_capture::{CaptureFile, Format};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Engines whose alerts are deviations from the learned baseline: never raised while learning.
const DEVIATION_ENGINES: [&str; 2] = ["policy", "anomaly"];

/// What the stories must raise, as `attack.expected.toml` says it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    attack: AttackStory,
    clean: CleanStory,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttackStory {
    capture: String,
    learn_until_secs: u64,
    alert: Vec<ExpectedAlert>,
    finding: Vec<ExpectedFinding>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedAlert {
    step: String,
    at_secs: f64,
    rule: String,
    source: IpAddr,
    destination: Option<IpAddr>,
    techniques: Vec<String>,
    severity: Option<String>,
    protocol: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFinding {
    device: IpAddr,
    kind: String,
    protocol: String,
    user: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CleanStory {
    capture: String,
    learn_until_secs: u64,
    quiet_engines: Vec<String>,
}

/// An alert's first occurrence may trail its injection by this much: a scan is alerted when
/// its 25th port is reached, a couple of seconds into it.
const STEP_SLACK_SECS: f64 = 5.0;

/// Which alert: the rule and the two devices (no port), as the expectation names them.
type Key = (String, Option<IpAddr>, Option<IpAddr>);

fn stories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/stories")
}

fn expectation() -> Expectation {
    let path = stories().join("attack.expected.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The output of one `rampart analyze` run, in a directory removed with it.
struct Analysis {
    dir: tempfile::TempDir,
    /// The capture's first packet, nanoseconds since the epoch: where `--learn-until` counts from.
    first_packet: u64,
    learn_until_secs: u64,
}

impl Analysis {
    fn run(capture: &str, learn_until_secs: u64) -> Analysis {
        let pcap = stories().join(capture);
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .arg("analyze")
            .arg("--learn-until")
            .arg(format!("{learn_until_secs}s"))
            .arg("--out")
            .arg(dir.path())
            .arg(&pcap)
            .output()
            .expect("rampart runs");
        assert!(
            out.status.success(),
            "rampart analyze {}: {}",
            pcap.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Analysis {
            dir,
            first_packet: first_packet_nanos(&pcap),
            learn_until_secs,
        }
    }

    fn lines(&self, file: &str) -> Vec<Value> {
        let path = self.dir.path().join(file);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .lines()
            .map(|l| serde_json::from_str(l).expect("every line is JSON"))
            .collect()
    }

    fn alerts(&self) -> Vec<Value> {
        self.lines("alerts.jsonl")
    }

    /// Seconds from the first packet to `time` (an RFC 3339 string).
    fn offset_secs(&self, time: &Value) -> f64 {
        let nanos = rfc3339_nanos(time);
        (nanos as f64 - self.first_packet as f64) / 1e9
    }

    fn in_learning(&self, alert: &Value) -> bool {
        self.offset_secs(&alert["alert"]["first_seen"]) < self.learn_until_secs as f64
    }
}

fn first_packet_nanos(pcap: &Path) -> u64 {
    let mut file = CaptureFile::open(pcap).unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
    let packet = file
        .next_packet()
        .unwrap_or_else(|e| panic!("{}: {e}", pcap.display()))
        .unwrap_or_else(|| panic!("{} holds no packet", pcap.display()));
    packet.timestamp.0
}

fn rfc3339_nanos(time: &Value) -> u64 {
    let text = time
        .as_str()
        .unwrap_or_else(|| panic!("a time string, not {time}"));
    let parsed = OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text}: {e}"));
    u64::try_from(parsed.unix_timestamp_nanos()).expect("a time after 1970")
}

fn ip_of(side: &Value) -> Option<IpAddr> {
    side["ip"]
        .as_str()
        .map(|s| s.parse().unwrap_or_else(|e| panic!("{s}: {e}")))
}

fn key_of(alert: &Value) -> Key {
    (
        alert["rule"]["id"].as_str().unwrap_or("").to_string(),
        ip_of(&alert["source"]),
        ip_of(&alert["destination"]),
    )
}

fn techniques_of(alert: &Value) -> Vec<String> {
    let mut ids: Vec<String> = alert["threat"]["technique"]["id"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

fn describe(alerts: &[&Value]) -> String {
    let lines: Vec<String> = alerts
        .iter()
        .map(|a| {
            format!(
                "  {} {} -> {} [{}] {}",
                a["rule"]["id"],
                a["source"]["ip"],
                a["destination"]["ip"],
                a["alert"]["first_seen"],
                a["alert"]["description"]
            )
        })
        .collect();
    lines.join("\n")
}

/// Fail with `what` and the alerts when there are any.
fn assert_none(alerts: &[&Value], what: std::fmt::Arguments<'_>) {
    assert!(alerts.is_empty(), "{what}:\n{}", describe(alerts));
}

fn engine_of(alert: &Value) -> &str {
    alert["alert"]["engine"].as_str().unwrap_or("")
}

#[test]
fn attack_story_raises_exactly_the_expected_alerts() {
    let expected = expectation().attack;
    let run = Analysis::run(&expected.capture, expected.learn_until_secs);
    let alerts = run.alerts();
    let mut raised: BTreeMap<Key, Vec<&Value>> = BTreeMap::new();
    for alert in &alerts {
        raised.entry(key_of(alert)).or_default().push(alert);
    }
    let wanted: BTreeMap<Key, &ExpectedAlert> = expected
        .alert
        .iter()
        .map(|e| ((e.rule.clone(), Some(e.source), e.destination), e))
        .collect();
    assert_eq!(
        wanted.len(),
        expected.alert.len(),
        "each expected alert listed once"
    );
    let missing: Vec<&Key> = wanted.keys().filter(|k| !raised.contains_key(*k)).collect();
    let extra: Vec<&Value> = raised
        .iter()
        .filter(|(k, _)| !wanted.contains_key(*k))
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:?}\nextra:\n{}\nall raised:\n{}",
        describe(&extra),
        describe(&alerts.iter().collect::<Vec<_>>())
    );
    for (key, want) in &wanted {
        for alert in &raised[key] {
            check_alert(&run, want, alert);
        }
    }
}

/// One raised alert against its expectation: techniques, severity and protocol where the
/// expectation fixes them, and a first occurrence at its step of the story.
fn check_alert(run: &Analysis, want: &ExpectedAlert, alert: &Value) {
    let what = format!(
        "step {} {}: {}",
        want.step, want.rule, alert["alert"]["description"]
    );
    let mut techniques = want.techniques.clone();
    techniques.sort();
    assert_eq!(techniques_of(alert), techniques, "{what}");
    if let Some(severity) = &want.severity {
        assert_eq!(alert["alert"]["severity"], severity.as_str(), "{what}");
    }
    if let Some(protocol) = &want.protocol {
        assert_eq!(alert["network"]["protocol"], protocol.as_str(), "{what}");
    }
    let at = run.offset_secs(&alert["alert"]["first_seen"]);
    assert!(
        at >= want.at_secs - 1.0 && at < want.at_secs + STEP_SLACK_SECS,
        "{what}: first seen {at:.1} s into the capture, the step is at {} s",
        want.at_secs
    );
}

#[test]
fn no_deviation_alert_is_raised_while_learning() {
    let expectation = expectation();
    for (capture, learn) in [
        (
            &expectation.attack.capture,
            expectation.attack.learn_until_secs,
        ),
        (
            &expectation.clean.capture,
            expectation.clean.learn_until_secs,
        ),
    ] {
        let run = Analysis::run(capture, learn);
        let alerts = run.alerts();
        let early: Vec<&Value> = alerts
            .iter()
            .filter(|a| DEVIATION_ENGINES.contains(&engine_of(a)) && run.in_learning(a))
            .collect();
        assert_none(
            &early,
            format_args!("{capture}: deviations in the first {learn} s"),
        );
    }
}

#[test]
fn clean_story_raises_no_deviation() {
    let clean = expectation().clean;
    let run = Analysis::run(&clean.capture, clean.learn_until_secs);
    let alerts = run.alerts();
    let deviations: Vec<&Value> = alerts
        .iter()
        .filter(|a| clean.quiet_engines.iter().any(|e| e == engine_of(a)))
        .collect();
    let engines = clean.quiet_engines.join(", ");
    assert_none(
        &deviations,
        format_args!("{engines} alerts on {}", clean.capture),
    );
}

#[test]
fn every_alert_has_a_pcap_of_its_packets() {
    let expected = expectation().attack;
    let run = Analysis::run(&expected.capture, expected.learn_until_secs);
    let alerts = run.alerts();
    assert!(!alerts.is_empty(), "the attack story raises alerts");
    for alert in &alerts {
        let id = alert["id"].as_str().expect("alert id");
        let what = format!("{} {id}", alert["rule"]["id"]);
        let relative = format!("alerts/{id}.pcap");
        assert_eq!(alert["alert"]["pcap"], relative.as_str(), "{what}");
        let packets = pcap_packets(&run.dir.path().join(&relative));
        assert!(!packets.is_empty(), "{what}: the PCAP holds packets");
        if let Some(source) = ip_of(&alert["source"]) {
            assert!(
                packets.iter().any(|p| ipv4_ends(p).contains(&Some(source))),
                "{what}: a packet of {source} among the {} in its PCAP",
                packets.len()
            );
        }
    }
}

/// The frames of a classic PCAP file (pcapng or anything else fails the test).
fn pcap_packets(path: &Path) -> Vec<Vec<u8>> {
    let mut file = CaptureFile::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        matches!(file.format(), Format::Pcap { .. }),
        "{}: {} is not classic PCAP",
        path.display(),
        file.format()
    );
    let mut packets = Vec::new();
    while let Some(p) = file
        .next_packet()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        packets.push(p.data.to_vec());
    }
    packets
}

/// The IPv4 source and destination of an untagged Ethernet frame (the stories have no VLANs).
fn ipv4_ends(frame: &[u8]) -> [Option<IpAddr>; 2] {
    let addr = |at: usize| {
        frame
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(IpAddr::from)
    };
    if frame.get(12..14) != Some(&[0x08, 0x00]) {
        return [None, None];
    }
    [addr(26), addr(30)]
}

#[test]
fn cleartext_mqtt_credential_is_a_finding_on_the_device() {
    let expected = expectation().attack;
    let run = Analysis::run(&expected.capture, expected.learn_until_secs);
    let devices = run.lines("devices.jsonl");
    assert!(
        !expected.finding.is_empty(),
        "the attack story has findings"
    );
    for want in &expected.finding {
        let ip = want.device.to_string();
        let device = devices
            .iter()
            .find(|d| {
                d["ips"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|a| a["ip"] == ip.as_str())
            })
            .unwrap_or_else(|| panic!("a device for {ip}"));
        let findings: Vec<&Value> = device["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        assert!(
            findings.iter().any(|f| f["kind"] == want.kind.as_str()
                && f["protocol"] == want.protocol.as_str()
                && f["detail"].as_str().is_some_and(|d| d.contains(&want.user))),
            "{} {} finding naming {} on {ip}: {findings:?}",
            want.protocol,
            want.kind,
            want.user
        );
    }
    let alerts = run.alerts();
    let credential_alerts: BTreeSet<&str> = alerts
        .iter()
        .filter(|a| {
            a["rule"]["id"]
                .as_str()
                .is_some_and(|r| r.contains("credential"))
        })
        .filter_map(|a| a["rule"]["id"].as_str())
        .collect();
    assert!(
        credential_alerts.is_empty(),
        "cleartext credentials are findings, not alerts: {credential_alerts:?}"
    );
}
