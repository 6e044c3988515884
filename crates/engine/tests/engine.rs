//! The engine's wiring, on frames built in the test.

use etherparse::PacketBuilder;
use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

mod frames;
use frames::tcp_between;

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

/// Counts the events written, by kind.
#[derive(Default)]
struct Kinds(std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, usize>>>);

impl rampart_engine::RecordSink for Kinds {
    fn flow(&mut self, _: &rampart_engine::FlowRecord) {}

    fn event(&mut self, record: &rampart_engine::EventRecord<'_>) {
        let kind = match record.event {
            rampart_event::Event::Record(r) => format!("{}.{}", r.protocol, r.kind),
            rampart_event::Event::Identity(i) => format!("identity.{}", i.protocol),
            rampart_event::Event::Anomaly(a) => format!("anomaly.{}", a.protocol),
            rampart_event::Event::Finding(f) => format!("finding.{}", f.protocol),
            rampart_event::Event::Module(m) => format!("module.{}", m.protocol),
        };
        *self.0.lock().expect("unpoisoned").entry(kind).or_default() += 1;
    }
}

/// An LLDP frame (IEEE 802.1AB §8.5): chassis id (MAC), port id, TTL, system name "sw1".
fn lldp() -> Vec<u8> {
    let mut f = vec![
        0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 0x00, 0x1b, 0x1b, 0, 0, 7, 0x88, 0xcc,
    ];
    f.extend_from_slice(&[0x02, 0x07, 0x04, 0x00, 0x1b, 0x1b, 0, 0, 7]); // chassis id, MAC
    f.extend_from_slice(&[0x04, 0x03, 0x07, b'p', b'1']); // port id, locally assigned "p1"
    f.extend_from_slice(&[0x06, 0x02, 0x00, 0x78]); // TTL 120 s
    f.extend_from_slice(&[0x0a, 0x03, b's', b'w', b'1']); // system name "sw1"
    f.extend_from_slice(&[0x00, 0x00]); // end of LLDPDU
    f
}

#[test]
fn repeated_identity_is_written_once_and_arp_requests_only_when_they_bind_something_new() {
    let kinds = Kinds::default();
    let counts = kinds.0.clone();
    let mut engine = Engine::new(EngineConfig::default(), Box::new(kinds));
    let frame = lldp();
    for t in 0..3 {
        engine.packet(Timestamp(t), 1, &frame, frame.len() as u32);
    }
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[0x00, 0x1b, 0x1b, 0, 0, 8, 0x08, 0x06]);
    arp.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]); // Ethernet/IPv4, request
    arp.extend_from_slice(&[0x00, 0x1b, 0x1b, 0, 0, 8, 10, 0, 0, 8]); // sender
    arp.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, 1]); // target
    arp.extend_from_slice(&[0; 18]); // padding to the Ethernet minimum
    for t in 3..6 {
        engine.packet(Timestamp(t), 1, &arp, arp.len() as u32);
    }
    let (report, _) = engine.finish();
    let counts = counts.lock().expect("unpoisoned");
    assert_eq!(
        counts.get("lldp.advertisement"),
        Some(&3),
        "every advertisement is a record"
    );
    let identities = counts.get("identity.lldp").copied().unwrap_or(0);
    assert!(identities > 0 && identities < 3 * 2, "{counts:?}");
    assert_eq!(counts.get("arp.request"), Some(&1), "{counts:?}");
    assert_eq!(
        report.stats.records["arp"], 3,
        "all requests are still counted"
    );
}

/// Keeps the protocol records' JSON.
struct Records(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl rampart_engine::RecordSink for Records {
    fn flow(&mut self, _: &rampart_engine::FlowRecord) {}

    fn event(&mut self, record: &rampart_engine::EventRecord<'_>) {
        let json = record.to_json();
        self.0.lock().expect("unpoisoned").push(json);
    }
}

/// A TCP segment between 10.0.0.1:40000 and 10.0.0.2:102, with explicit sequence and
/// acknowledgement numbers.
fn segment(from_client: bool, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let hosts = ([0, 0x1b, 0x1b, 0, 0, 1], [0, 0x1b, 0x1b, 0, 0, 2]);
    tcp_between(hosts, (40000, 102), from_client, (seq, ack), payload)
}

#[test]
fn a_request_behind_a_capture_hole_reaches_the_dissector_before_the_response_acking_it() {
    // S7comm setup communication job and ack_data in TPKT/COTP DT (RFC 1006, ISO 8073).
    let job = [
        0x03, 0x00, 0x00, 0x19, 0x02, 0xf0, 0x80, 0x32, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08,
        0x00, 0x00, 0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0,
    ];
    let ack = [
        0x03, 0x00, 0x00, 0x1b, 0x02, 0xf0, 0x80, 0x32, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08,
        0x00, 0x00, 0x00, 0x00, 0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0xf0,
    ];
    let mut second_job = job;
    second_job[12] = 0x02;
    let mut second_ack = ack;
    second_ack[12] = 0x02;
    let records = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut engine = Engine::new(EngineConfig::default(), Box::new(Records(records.clone())));
    // Seven client octets (an empty DT) between the two jobs never reached the capture.
    let (c, s) = (1000u32, 5000u32);
    let hole = 7;
    let second = c + job.len() as u32 + hole;
    let frames = [
        segment(true, c, s, &job),
        segment(false, s, c + job.len() as u32, &ack),
        segment(true, second, s + ack.len() as u32, &second_job),
        segment(
            false,
            s + ack.len() as u32,
            second + job.len() as u32,
            &second_ack,
        ),
    ];
    for (i, f) in frames.iter().enumerate() {
        engine.packet(Timestamp(1 + i as u64), 1, f, f.len() as u32);
    }
    let _ = engine.finish();
    let records = records.lock().expect("unpoisoned");
    let setups: Vec<&String> = records
        .iter()
        .filter(|r| r.contains(r#""dataset":"s7comm.setup_communication""#))
        .collect();
    assert_eq!(setups.len(), 2, "{records:?}");
    assert!(
        setups
            .iter()
            .all(|r| r.contains(r#""direction":"transaction""#)),
        "both jobs paired with their ack_data: {setups:?}"
    );
}
