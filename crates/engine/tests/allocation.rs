//! The per-packet path allocates nothing once a flow is known: counted with dhat's testing
//! allocator while packets of established flows go by (a TCP stream of an unrecognised
//! protocol, NTP and DNS exchanges parsed and reported message by message, a Modbus/TCP poll
//! paired request by response, MQTT publications acknowledged).

use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

mod frames;
use frames::{tcp_between, udp_between};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

fn tcp(from_client: bool, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let hosts = ([0, 0x1b, 0x1b, 0, 0, 1], [0, 0x0e, 0x8c, 0, 0, 2]);
    tcp_between(hosts, (40000, 20000), from_client, (seq, ack), payload)
}

/// A Modbus/TCP client (port 40001) and server (502) on their own connection.
fn modbus_tcp(from_client: bool, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let hosts = ([0, 0x1b, 0x1b, 0, 0, 4], [0, 0x80, 0xf4, 0, 0, 5]);
    tcp_between(hosts, (40001, 502), from_client, (seq, ack), payload)
}

/// An MQTT client (port 40002) and broker (1883) on their own connection.
fn mqtt_tcp(from_client: bool, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let hosts = ([0, 0x1b, 0x1b, 0, 0, 6], [0, 0x80, 0xf4, 0, 0, 7]);
    tcp_between(hosts, (40002, 1883), from_client, (seq, ack), payload)
}

/// A QoS 1 PUBLISH to `plant/t1` with packet id `id` and 4 bytes of payload (MQTT 3.1.1
/// §3.3), or its PUBACK (§3.4).
fn mqtt(id: u16, ack: bool) -> Vec<u8> {
    let [hi, lo] = id.to_be_bytes();
    if ack {
        return vec![0x40, 0x02, hi, lo];
    }
    let mut m = vec![0x32, 0x10, 0x00, 0x08];
    m.extend_from_slice(b"plant/t1");
    m.extend_from_slice(&[hi, lo, 1, 2, 3, 4]);
    m
}

/// Read Holding Registers of 10 registers from address 0 (Modbus spec §6.3), transaction
/// `tid`, and its answer.
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

fn udp(from_client: bool, payload: &[u8]) -> Vec<u8> {
    udp_port(from_client, 123, payload)
}

fn udp_port(from_client: bool, port: u16, payload: &[u8]) -> Vec<u8> {
    let hosts = ([0, 0x1b, 0x1b, 0, 0, 1], [0, 0x1b, 0x1b, 0, 0, 3]);
    udp_between(hosts, (50000, port), from_client, payload)
}

/// An NTP v4 client request and server reply (RFC 5905 §7.3), 48 bytes each.
fn ntp(mode: u8) -> [u8; 48] {
    let mut m = [0u8; 48];
    m[0] = (4 << 3) | mode; // version 4, mode
    m[1] = 2; // stratum
    m
}

/// A DNS query or answer for `plc.plant` (RFC 1035 §4.1) with id `id`.
fn dns(id: u16, answer: bool) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[
        if answer { 0x81 } else { 0x01 },
        0x00,
        0,
        1,
        0,
        u8::from(answer),
        0,
        0,
        0,
        0,
    ]);
    m.extend_from_slice(&[
        3, b'p', b'l', b'c', 5, b'p', b'l', b'a', b'n', b't', 0, 0, 1, 0, 1,
    ]);
    if answer {
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9]);
    }
    m
}

#[test]
fn established_flows_cost_no_allocation_per_packet() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    let payload = [0x5au8; 100];
    let (mut c, mut s) = (1000u32, 9000u32);
    let (mut mc, mut ms) = (5000u32, 7000u32);
    let (mut qc, mut qs) = (3000u32, 4000u32);
    let mut time = 1_000_000_000u64;
    let mut step = |engine: &mut Engine, frame: &[u8]| {
        time += 1_000_000;
        engine.packet(Timestamp(time), 1, frame, frame.len() as u32);
    };
    // Warm up: the flows are created, probed and their buffers sized.
    for _ in 0..50 {
        step(&mut engine, &tcp(true, c, s, &payload));
        c += 100;
        step(&mut engine, &tcp(false, s, c, &payload));
        s += 100;
        step(&mut engine, &udp(true, &ntp(3)));
        step(&mut engine, &udp(false, &ntp(4)));
        step(&mut engine, &udp_port(true, 53, &dns(7, false)));
        step(&mut engine, &udp_port(false, 53, &dns(7, true)));
        step(&mut engine, &modbus_tcp(true, mc, ms, &modbus(1, false)));
        mc += 12;
        step(&mut engine, &modbus_tcp(false, ms, mc, &modbus(1, true)));
        ms += 29;
        step(&mut engine, &mqtt_tcp(true, qc, qs, &mqtt(1, false)));
        qc += 18;
        step(&mut engine, &mqtt_tcp(false, qs, qc, &mqtt(1, true)));
        qs += 4;
    }
    let frames: Vec<Vec<u8>> = (0..1000)
        .flat_map(|i| {
            let out = [
                tcp(true, c + 100 * i, s + 100 * i, &payload),
                tcp(false, s + 100 * i, c + 100 * i + 100, &payload),
                udp(true, &ntp(3)),
                udp(false, &ntp(4)),
                udp_port(true, 53, &dns(i as u16, false)),
                udp_port(false, 53, &dns(i as u16, true)),
                modbus_tcp(true, mc + 12 * i, ms + 29 * i, &modbus(i as u16, false)),
                modbus_tcp(
                    false,
                    ms + 29 * i,
                    mc + 12 * i + 12,
                    &modbus(i as u16, true),
                ),
                mqtt_tcp(true, qc + 18 * i, qs + 4 * i, &mqtt(i as u16, false)),
                mqtt_tcp(false, qs + 4 * i, qc + 18 * i + 18, &mqtt(i as u16, true)),
            ];
            out.into_iter()
        })
        .collect();
    let before = dhat::HeapStats::get().total_blocks;
    for frame in &frames {
        step(&mut engine, frame);
    }
    let allocations = dhat::HeapStats::get().total_blocks - before;
    assert_eq!(engine.stats().packets, 10500);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations for 10000 packets of established flows"
    );
}
