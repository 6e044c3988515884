//! With the anomaly engine on, the per-packet path still allocates nothing once a flow and
//! its rhythm are known: a Modbus/TCP poll every 100 ms and an ARP request with each, through
//! ticks and minute boundaries, counted with dhat's testing allocator.

use rampart_detect::{DetectConfig, Detection, Learning, detectors};
use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

mod frames;
use frames::tcp_between;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const CLIENT: [u8; 6] = [0, 0x1b, 0x1b, 0, 0, 4];
const SERVER: [u8; 6] = [0, 0x80, 0xf4, 0, 0, 5];

/// A Modbus/TCP segment between 10.0.0.4:40001 and 10.0.0.5:502.
fn modbus_tcp(from_client: bool, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    tcp_between(
        (CLIENT, SERVER),
        (40001, 502),
        from_client,
        (seq, ack),
        payload,
    )
}

/// Read holding registers 0–9 of unit 1 (request) or its 20-byte answer.
fn modbus(tid: u16, answer: bool) -> Vec<u8> {
    let mut m = tid.to_be_bytes().to_vec();
    if answer {
        m.extend_from_slice(&[0, 0, 0, 23, 1, 3, 20]);
        m.extend_from_slice(&[0x12; 20]);
    } else {
        m.extend_from_slice(&[0, 0, 0, 6, 1, 3, 0, 0, 0, 10]);
    }
    m
}

/// The client asking ARP for the server's address.
fn arp_request() -> Vec<u8> {
    let mut frame = vec![0xff; 6];
    frame.extend_from_slice(&CLIENT);
    frame.extend_from_slice(&[0x08, 0x06]); // ARP
    frame.extend_from_slice(&[0, 1, 0x08, 0, 6, 4, 0, 1]); // Ethernet, IPv4, request
    frame.extend_from_slice(&CLIENT);
    frame.extend_from_slice(&[10, 0, 0, 4]);
    frame.extend_from_slice(&[0; 6]);
    frame.extend_from_slice(&[10, 0, 0, 5]);
    frame.resize(60, 0);
    frame
}

#[test]
fn a_known_poll_costs_no_allocation_per_packet_with_anomaly_detection() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let detection = Detection::new(Learning::Off, detectors(&DetectConfig::default()), 1 << 20);
    let mut engine =
        Engine::new(EngineConfig::default(), Box::new(NullSink)).with_detection(detection);
    let (mut c, mut s) = (5000u32, 7000u32);
    let mut frames = Vec::new();
    for i in 0..6000u32 {
        frames.push(modbus_tcp(true, c, s, &modbus(i as u16, false)));
        c += 12;
        frames.push(modbus_tcp(false, s, c, &modbus(i as u16, true)));
        s += 29;
        frames.push(arp_request());
    }
    let mut time = 1_700_000_000_000_000_000u64;
    let mut before = 0;
    for (n, frame) in frames.iter().enumerate() {
        if n == 3 * 1000 {
            before = dhat::HeapStats::get().total_blocks;
        }
        // Request, answer 2 ms later, ARP; the next poll 100 ms after the last.
        time += if n % 3 == 0 { 98_000_000 } else { 1_000_000 };
        engine.packet(Timestamp(time), 1, frame, frame.len() as u32);
    }
    let allocations = dhat::HeapStats::get().total_blocks - before;
    assert_eq!(engine.stats().packets, 18_000);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations for 15000 packets over 500 s of a known poll"
    );
    // The poll stops while ARP goes on: the channel was learned, so its silence is an alert.
    let arp = arp_request();
    for _ in 0..20 {
        time += 1_000_000_000;
        engine.packet(Timestamp(time), 1, &arp, arp.len() as u32);
    }
    let (report, _) = engine.finish();
    let detection = report.detection.expect("on");
    let rules: Vec<&str> = detection.book().alerts().iter().map(|a| a.rule).collect();
    assert_eq!(rules, ["anomaly.silent_channel"]);
}
