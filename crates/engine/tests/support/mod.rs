//! What the corpus tests share: finding the shared captures and running the engine over one,
//! keeping every record as JSON, the way the outputs write it.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rampart_capture::CaptureFile;
use rampart_engine::{Engine, EngineConfig, EventRecord, FlowRecord, RecordSink, Report};
use serde_json::Value;

/// The shared corpus of real captures (`../shared/captures`, or `$RAMPART_SHARED_CAPTURES`).
/// In CI it must be there; elsewhere its absence skips the test, saying so.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("RAMPART_SHARED_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/captures"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the oracle tests, but {} is missing",
        dir.display()
    );
    eprintln!(
        "skipping: {} not found (set RAMPART_SHARED_CAPTURES)",
        dir.display()
    );
    None
}

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every capture file under `dir`, sorted.
pub fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .expect("readable corpus directory")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// What one run over a capture produced.
pub struct Analysis {
    /// The end-of-run report (inventory, counters).
    pub report: Report,
    /// Ended flows (interim `active` reports left out).
    pub flows: Vec<FlowRecord>,
    /// Every event record, as its JSON.
    pub events: Vec<Value>,
}

impl Analysis {
    /// The protocol bodies (`record[protocol]`) of the protocol records of `protocol`.
    pub fn records<'a>(&'a self, protocol: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.events
            .iter()
            .filter(move |e| e["kind"] == "protocol" && e["network"]["protocol"].is_string())
            .filter_map(move |e| e.get(protocol))
    }

    /// The identity observations a protocol reported, as (attribute, value).
    pub fn identities<'a>(
        &'a self,
        protocol: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.events
            .iter()
            .filter_map(|e| e.get("identity"))
            .filter(move |i| i["protocol"] == protocol)
            .filter_map(|i| Some((i["attribute"].as_str()?, i["value"].as_str()?)))
    }

    /// The anomaly codes a protocol reported, with counts (from the run's counters, which
    /// count past the write limit).
    pub fn anomaly_count(&self, protocol: &str) -> u64 {
        self.report
            .stats
            .anomalies
            .get(protocol)
            .map_or(0, |codes| codes.iter().map(|(_, &n)| n).sum())
    }
}

#[derive(Default)]
struct Collected {
    flows: Vec<FlowRecord>,
    events: Vec<Value>,
}

struct CollectingSink(Arc<Mutex<Collected>>);

impl RecordSink for CollectingSink {
    fn flow(&mut self, record: &FlowRecord) {
        if record.close_reason != "active" {
            self.0.lock().expect("unpoisoned").flows.push(*record);
        }
    }

    fn event(&mut self, record: &EventRecord<'_>) {
        let json: serde_json::Value = serde_json::from_str(&record.to_json()).expect("event JSON");
        self.0.lock().expect("unpoisoned").events.push(json);
    }
}

/// Feed every packet of the capture at `path` to `engine`, skipping recoverable read errors
/// as `rampart analyze` does.
pub fn feed(engine: &mut Engine, path: &Path) {
    let mut file = CaptureFile::open(path)
        .unwrap_or_else(|e| panic!("{}: capture opens: {e}", path.display()));
    loop {
        match file.next_packet() {
            Ok(Some(p)) => engine.packet(p.timestamp, p.link_type.0, p.data, p.wire_len),
            Ok(None) => break,
            Err(e) if e.is_recoverable() => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
}

/// Run the engine over the capture at `path`, skipping recoverable read errors as
/// `rampart analyze` does.
pub fn analyse(path: &Path) -> Analysis {
    let collected = Arc::new(Mutex::new(Collected::default()));
    let mut engine = Engine::new(
        EngineConfig::default(),
        Box::new(CollectingSink(collected.clone())),
    );
    feed(&mut engine, path);
    let (report, _) = engine.finish();
    let mut collected = collected.lock().expect("unpoisoned");
    Analysis {
        report,
        flows: std::mem::take(&mut collected.flows),
        events: std::mem::take(&mut collected.events),
    }
}
