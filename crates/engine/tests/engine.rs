//! The engine's wiring, on frames built in the test.

use etherparse::PacketBuilder;
use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

fn frame(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    flags: &str,
    payload: &[u8],
) -> Vec<u8> {
    let eth =
        PacketBuilder::ethernet2([0, 0x1b, 0x1b, 0, 0, src[3]], [0, 0x1b, 0x1b, 0, 0, dst[3]]);
    let mut tcp = eth.ipv4(src, dst, 64).tcp(
        sport,
        dport,
        if flags.contains('A') { 101 } else { 100 },
        8192,
    );
    if flags.contains('S') {
        tcp = tcp.syn();
    }
    if flags.contains('A') {
        tcp = tcp.ack(1);
    }
    let mut out = Vec::new();
    tcp.write(&mut out, payload).expect("in-memory write");
    out
}

#[test]
fn pcapng_name_records_become_host_names_of_the_device() {
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    let a = frame([10, 0, 0, 1], [10, 0, 0, 2], 40000, 80, "S", b"");
    let b = frame([10, 0, 0, 2], [10, 0, 0, 1], 80, 40000, "SA", b"");
    engine.packet(Timestamp(1), 1, &a, a.len() as u32);
    engine.packet(Timestamp(2), 1, &b, b.len() as u32);
    engine.name_record(
        "10.0.0.2".parse().expect("ip"),
        "historian.plant",
        Timestamp(3),
    );
    let (report, _) = engine.finish();
    let server = report
        .devices
        .iter()
        .find(|d| d.ips.iter().any(|(ip, _)| ip.to_string() == "10.0.0.2"))
        .expect("server device");
    assert_eq!(server.hostnames[0].value, "historian.plant");
    assert!(server.hostnames[0].sources.contains("pcapng"));
}

#[test]
fn capture_problems_are_counted_as_anomalies() {
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    engine.capture_error(
        Timestamp(5),
        "corrupt_record",
        &"x.pcap: corrupt pcap record at offset 100",
    );
    let (report, _) = engine.finish();
    assert_eq!(report.stats.capture_errors, 1);
    assert_eq!(report.stats.anomalies["capture"]["corrupt_record"], 1);
}

#[test]
fn a_port_reused_after_reset_is_a_new_flow() {
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    for round in 0..2u64 {
        let syn = frame([10, 0, 0, 1], [10, 0, 0, 2], 40000, 502, "S", b"");
        let rst = {
            let mut out = Vec::new();
            PacketBuilder::ethernet2([0, 0x1b, 0x1b, 0, 0, 2], [0, 0x1b, 0x1b, 0, 0, 1])
                .ipv4([10, 0, 0, 2], [10, 0, 0, 1], 64)
                .tcp(502, 40000, 0, 0)
                .rst()
                .ack(101)
                .write(&mut out, b"")
                .expect("in-memory write");
            out
        };
        engine.packet(Timestamp(10 * round + 1), 1, &syn, syn.len() as u32);
        engine.packet(Timestamp(10 * round + 2), 1, &rst, rst.len() as u32);
    }
    let (report, _) = engine.finish();
    assert_eq!(report.stats.flows.created, 2);
}
