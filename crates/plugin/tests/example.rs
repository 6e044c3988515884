//! The example plugin (`plugins/hart-ip`), built from source for wasm32 by this test, loaded
//! by the host and run end to end: on bytes through the seam, and through the whole engine on
//! the HART-IP capture of the shared corpus, against tshark's count of HART-IP frames.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use rampart_capture::CaptureFile;
use rampart_dissect::{Direction, FlowProtocol, Session, Transport};
use rampart_engine::{Engine, EngineConfig, EventRecord, FlowRecord, RecordSink, Registry};
use rampart_event::CollectingSink;
use rampart_plugin::{Limits, Plugin};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Build the example with cargo for wasm32 (once per test run) and return the module's path;
/// `None`, saying why, when the wasm32 target is not installed outside CI.
fn example_wasm() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target_dir = repo().join("target/plugins");
            let status = Command::new(env!("CARGO"))
                .args(["build", "--release", "--target", "wasm32-unknown-unknown", "--manifest-path"])
                .arg(repo().join("plugins/Cargo.toml"))
                .env("CARGO_TARGET_DIR", &target_dir)
                .status()
                .expect("cargo runs");
            if !status.success() {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must build the example plugin: is `rustup target add wasm32-unknown-unknown` done?"
                );
                eprintln!("skipping: the example plugin does not build here (no wasm32 target?)");
                return None;
            }
            Some(target_dir.join("wasm32-unknown-unknown/release/hart_ip.wasm"))
        })
        .clone()
}

/// A fresh instance of the example plugin (each test counts its own).
fn hart_ip() -> Option<&'static Plugin> {
    let path = example_wasm()?;
    Some(
        Plugin::load(&path, Limits::default(), &[])
            .expect("the example plugin loads")
            .leak(),
    )
}

/// A command 0 request over UDP, and the device's answer (the frames of the corpus capture).
const REQUEST: &str = "010003000003001182264e0000d2000038";
const RESPONSE: &str =
    "010103000003002986264e0000d2001800d0fe264e050704010e0c0000d205020002d00026002684e4";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn the_example_plugin_dissects_hart_ip_through_the_seam() {
    let Some(plugin) = hart_ip() else {
        return;
    };
    assert_eq!(plugin.name(), "hart_ip");
    assert_eq!(plugin.ports(), &[5094]);
    let mut sink = CollectingSink::default();
    let mut session = Session::new(plugin, Transport::Udp);
    session.datagram(Direction::ToServer, &hex(REQUEST), &mut sink);
    session.datagram(Direction::ToClient, &hex(RESPONSE), &mut sink);
    session.close(&mut sink);
    assert!(
        sink.lines[0].starts_with("record hart_ip message request [identify] {\"version\":1,\"message_type\":0,\"message_type_name\":\"request\",\"message_id\":3"),
        "{:?}",
        sink.lines
    );
    for expected in [
        "identity hart_ip Server product_code 0x264e",
        "identity hart_ip Server firmware 1",
        "identity hart_ip Server serial 0000d2",
    ] {
        assert!(
            sink.lines.iter().any(|l| l == expected),
            "{expected}: {:?}",
            sink.lines
        );
    }
    assert!(
        sink.lines
            .iter()
            .any(|l| l.contains("\"manufacturer_id\":38")
                && l.starts_with("record hart_ip message response")),
        "{:?}",
        sink.lines
    );
}

#[derive(Default)]
struct Events(Arc<Mutex<Vec<serde_json::Value>>>);

impl RecordSink for Events {
    fn flow(&mut self, _: &FlowRecord) {}

    fn event(&mut self, record: &EventRecord<'_>) {
        let json: serde_json::Value = serde_json::from_str(&record.to_json()).expect("event JSON");
        self.0.lock().expect("unpoisoned").push(json);
    }
}

#[test]
fn the_engine_runs_the_plugin_on_a_real_capture_like_tshark() {
    let Some(plugin) = hart_ip() else {
        return;
    };
    let corpus = repo().join("../shared/captures");
    if !corpus.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {}",
            corpus.display()
        );
        eprintln!("skipping: {} not found", corpus.display());
        return;
    }
    let capture = corpus.join("other-ot/hart-ip-ndpi.pcap");
    let oracle: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(capture.with_extension("expected.json")).expect("oracle"),
    )
    .expect("JSON");
    let tshark_frames: u64 = oracle["protocol_stacks"]
        .as_object()
        .expect("stacks")
        .iter()
        .filter(|(stack, _)| stack.ends_with(":hart_ip"))
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum();
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut engine = Engine::with_registry(
        EngineConfig::default(),
        Registry::with_plugins(&[plugin]),
        Box::new(Events(events.clone())),
    );
    let mut file = CaptureFile::open(&capture).expect("opens");
    while let Ok(Some(p)) = file.next_packet() {
        engine.packet(p.timestamp, p.link_type.0, p.data, p.wire_len);
    }
    let (report, _) = engine.finish();
    let events = events.lock().expect("unpoisoned");
    let records = events
        .iter()
        .filter(|e| e["dataset"] == "hart_ip.message")
        .count() as u64;
    assert_eq!(
        records, tshark_frames,
        "one record per HART-IP message, as tshark counts them"
    );
    let anomalies: Vec<_> = events.iter().filter(|e| e["kind"] == "anomaly").collect();
    assert!(anomalies.is_empty(), "{anomalies:?}");
    let plugins = &report.stats.plugins;
    assert_eq!(plugins.len(), 1);
    assert_eq!(plugins[0].name, "hart_ip");
    assert_eq!(plugins[0].records, records);
    assert_eq!(plugins[0].disabled, None);
    let gateway = report
        .devices
        .iter()
        .find(|d| d.ips.iter().any(|(ip, _)| ip.to_string() == "192.168.0.10"))
        .expect("the HART-IP server is a device");
    assert!(
        gateway.server_of.contains("hart_ip"),
        "{:?}",
        gateway.server_of
    );
    let serials: Vec<&str> = gateway.attributes[&rampart_event::Attribute::Serial]
        .iter()
        .map(|o| o.value.as_str())
        .collect();
    assert_eq!(serials, vec!["0000d2"]);
    let names: Vec<&str> = gateway.hostnames.iter().map(|o| o.value.as_str()).collect();
    assert!(names.contains(&"wihartgw"), "{names:?}");
}
