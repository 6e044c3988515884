//! `rampart analyze --forward FILE`: the configuration is checked before any input is read,
//! and the run reports each destination's counters.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

mod support;
use support::{rampart, sample};

fn analyze_forwarding(config: &str) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("forward.toml");
    std::fs::write(&path, config).expect("config");
    rampart(&[
        OsStr::new("analyze"),
        sample().as_os_str(),
        OsStr::new("--forward"),
        path.as_os_str(),
    ])
}

#[test]
fn a_bad_forwarding_configuration_stops_the_run_with_its_position() {
    let out =
        analyze_forwarding("[[destination]]\nname = \"siem\"\nkind = \"syslog\"\nadress = \"h\"\n");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("forward.toml:4:1: unknown field `adress`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing analysed");
}

#[test]
fn a_run_reports_what_each_destination_got() {
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let config = format!(
        "[[destination]]\nname = \"siem\"\nkind = \"syslog\"\naddress = \"{}\"\n",
        receiver.local_addr().expect("addr")
    );
    let out = analyze_forwarding(&config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Forwarded to siem: 0 sent, 0 dropped (queue full), 0 failed, 0 retries, 0 unsent at the deadline."),
        "{stdout}"
    );
}

#[test]
fn the_alerts_of_a_run_reach_a_syslog_receiver_as_cef_and_summary_json_counts_them() {
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    receiver
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .expect("timeout");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("forward.toml");
    std::fs::write(
        &config,
        format!(
            "[[destination]]\nname = \"siem\"\nkind = \"syslog\"\ntransport = \"udp\"\nformat = \"cef\"\naddress = \"{}\"\n",
            receiver.local_addr().expect("addr")
        ),
    )
    .expect("config");
    let story = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/stories/attack.pcap");
    let out = rampart(&[
        OsStr::new("analyze"),
        OsStr::new("-q"),
        OsStr::new("--learn-until"),
        OsStr::new("60s"),
        OsStr::new("--forward"),
        config.as_os_str(),
        OsStr::new("--out"),
        dir.path().join("out").as_os_str(),
        story.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut messages = Vec::new();
    let mut buf = [0u8; 65536];
    while let Ok(n) = receiver.recv(&mut buf) {
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let alerts = std::fs::read_to_string(dir.path().join("out/alerts.jsonl")).expect("alerts");
    assert_eq!(messages.len(), alerts.lines().count(), "{messages:#?}");
    assert!(
        messages
            .iter()
            .all(|m| m.starts_with('<') && m.contains("CEF:0|Rampart|"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("|protocol_policy.plc_stop|") && m.contains("|10|")),
        "the PLC stop goes out at CEF severity 10: {messages:#?}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).expect("summary"),
    )
    .expect("JSON");
    assert_eq!(summary["forwarding"][0]["name"], "siem");
    assert_eq!(summary["forwarding"][0]["sent"], messages.len());
    assert_eq!(summary["forwarding"][0]["dropped"], 0);
}
