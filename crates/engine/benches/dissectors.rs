//! Per-protocol throughput: every capture named by a golden case
//! (`crates/engine/tests/golden/<protocol>/cases.txt`), read into memory, run through the whole
//! engine with records discarded, repeated until a quarter of a second has passed. Prints
//! packets and megabytes per second per capture. `cargo bench -p rampart-engine --bench
//! dissectors -- <filter>` keeps the protocols whose name contains the filter.
//!
//! A protocol added with `cargo xtask new-protocol` has a golden case, so it is benchmarked
//! from its first build. The sensor-level benchmark beside other tools is `scripts/bench.sh`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rampart_capture::CaptureFile;
use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

struct Packet {
    time: Timestamp,
    link_type: u16,
    data: Vec<u8>,
    wire_len: u32,
}

fn load(path: &Path) -> Option<Vec<Packet>> {
    let mut file = CaptureFile::open(path).ok()?;
    let mut packets = Vec::new();
    loop {
        match file.next_packet() {
            Ok(Some(p)) => packets.push(Packet {
                time: p.timestamp,
                link_type: p.link_type.0,
                data: p.data.to_vec(),
                wire_len: p.wire_len,
            }),
            Ok(None) => break,
            Err(e) if e.is_recoverable() => continue,
            Err(_) => break,
        }
    }
    Some(packets)
}

fn run(packets: &[Packet]) {
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    for p in packets {
        engine.packet(p.time, p.link_type, &p.data, p.wire_len);
    }
    std::hint::black_box(engine.finish());
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = std::env::var_os("RAMPART_SHARED_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/captures"));
    let golden = root.join("crates/engine/tests/golden");
    let mut protocols: Vec<PathBuf> = std::fs::read_dir(&golden)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    protocols.sort();
    println!(
        "{:<14} {:<48} {:>9} {:>12} {:>9}",
        "protocol", "capture", "packets", "packets/s", "MB/s"
    );
    for dir in protocols {
        let protocol = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if filter.as_deref().is_some_and(|f| !protocol.contains(f)) {
            continue;
        }
        let cases = std::fs::read_to_string(dir.join("cases.txt")).unwrap_or_default();
        for case in cases
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let path = if case.starts_with("samples/") || case.starts_with("crates/") {
                root.join(case)
            } else {
                corpus.join(case)
            };
            let Some(packets) = load(&path) else {
                println!("{protocol:<14} {case:<48} (not readable here)");
                continue;
            };
            let bytes: usize = packets.iter().map(|p| p.data.len()).sum();
            let started = Instant::now();
            let mut rounds = 0u32;
            while rounds == 0 || started.elapsed() < Duration::from_millis(250) {
                run(&packets);
                rounds += 1;
            }
            let secs = started.elapsed().as_secs_f64();
            let pps = packets.len() as f64 * f64::from(rounds) / secs;
            let mbps = bytes as f64 * f64::from(rounds) / secs / 1e6;
            println!(
                "{protocol:<14} {case:<48} {:>9} {pps:>12.0} {mbps:>9.1}",
                packets.len()
            );
        }
    }
}
