//! `rampart analyze --forward FILE`: the configuration is checked before any input is read,
//! and the run reports each destination's counters.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/plant-sample.pcap")
}

fn analyze_forwarding(config: &str) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("forward.toml");
    std::fs::write(&path, config).expect("config");
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args([
            "analyze",
            sample().to_str().expect("utf-8 path"),
            "--forward",
        ])
        .arg(&path)
        .output()
        .expect("rampart runs")
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
