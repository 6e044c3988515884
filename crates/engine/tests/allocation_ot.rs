//! The industrial pairing dissectors allocate nothing per message once a flow is known:
//! counted with dhat's testing allocator while a BACnet ReadProperty poll, an OPC UA Read
//! poll and a FINS memory area read poll go by, each request paired with its response.

use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

mod frames;
use frames::{tcp_between, udp_between};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// The client (10.0.0.1) and the server (10.0.0.2).
const HOSTS: ([u8; 6], [u8; 6]) = ([0, 0x1b, 0x1b, 0, 0, 1], [0, 0x1b, 0x1b, 0, 0, 2]);

fn udp(from_client: bool, port: u16, payload: &[u8]) -> Vec<u8> {
    udp_between(HOSTS, (50000, port), from_client, payload)
}

fn tcp(from_client: bool, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    tcp_between(HOSTS, (40000, 4840), from_client, (seq, ack), payload)
}

/// A BACnet/IP readProperty of analog-input 1 present-value, invoke id `id`, and its ACK
/// carrying Real 21.5 (ASHRAE 135 §15.5).
fn bacnet(id: u8, ack: bool) -> Vec<u8> {
    if ack {
        vec![
            0x81, 0x0a, 0x00, 0x17, 0x01, 0x00, // BVLC unicast, 23 bytes; NPDU
            0x30, id, 0x0c, // complex ACK, readProperty
            0x0c, 0x00, 0x00, 0x00, 0x01, 0x19, 0x55, // analog-input,1 present-value
            0x3e, 0x44, 0x41, 0xac, 0x00, 0x00, 0x3f, // { Real 21.5 }
        ]
    } else {
        vec![
            0x81, 0x0a, 0x00, 0x11, 0x01,
            0x04, // BVLC unicast, 17 bytes; NPDU expecting reply
            0x00, 0x05, id, 0x0c, // confirmed request, readProperty
            0x0c, 0x00, 0x00, 0x00, 0x01, 0x19, 0x55, // analog-input,1 present-value
        ]
    }
}

/// A FINS memory area read of DM 100 and its response (W342 §5-3-2).
fn fins(sid: u8, response: bool) -> Vec<u8> {
    let mut f = vec![
        if response { 0xc0 } else { 0x80 },
        0,
        2,
        0,
        0x0a,
        0,
        0,
        1,
        0,
        sid,
        1,
        1,
    ];
    if response {
        f.extend_from_slice(&[0, 0, 0x12, 0x34]);
    } else {
        f.extend_from_slice(&[0x82, 0x00, 0x64, 0x00, 0x00, 0x01]);
    }
    f
}

/// An OPC UA MSG chunk on channel 9 carrying type `service` and `body` (OPC 10000-6 §6.7).
fn opcua_msg(n: u32, service: u16, body: &[u8]) -> Vec<u8> {
    let mut b = vec![9, 0, 0, 0, 1, 0, 0, 0]; // channel 9, token 1
    b.extend_from_slice(&n.to_le_bytes()); // sequence number
    b.extend_from_slice(&n.to_le_bytes()); // request id
    b.extend_from_slice(&[0x01, 0x00]);
    b.extend_from_slice(&service.to_le_bytes());
    b.extend_from_slice(body);
    let mut m = b"MSGF".to_vec();
    m.extend_from_slice(&u32::try_from(b.len() + 8).expect("small").to_le_bytes());
    m.extend_from_slice(&b);
    m
}

/// A ReadRequest of ns=2;i=16 (OPC 10000-4 §5.10.2) with handle `h`, or its response.
fn opcua_read(h: u32, response: bool) -> Vec<u8> {
    let mut body = Vec::new();
    if response {
        body.extend_from_slice(&[0; 8]); // timestamp
        body.extend_from_slice(&h.to_le_bytes());
        body.extend_from_slice(&[0, 0, 0, 0, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 0, 0]);
        body.extend_from_slice(&[1, 0, 0, 0, 0x01, 0x06, 42, 0, 0, 0]); // one Int32 value
        body.extend_from_slice(&[0xff; 4]); // no diagnostic infos
        opcua_msg(h, 634, &body)
    } else {
        body.extend_from_slice(&[0x00, 0x00]); // authentication token
        body.extend_from_slice(&[0; 8]);
        body.extend_from_slice(&h.to_le_bytes());
        body.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0]);
        body.extend_from_slice(&[0; 8]); // max age
        body.extend_from_slice(&[2, 0, 0, 0, 1, 0, 0, 0]); // both timestamps, one node
        body.extend_from_slice(&[0x01, 0x02, 0x10, 0x00, 13, 0, 0, 0]); // ns=2;i=16, Value
        body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        opcua_msg(h, 631, &body)
    }
}

#[test]
fn industrial_polls_cost_no_allocation_per_exchange() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    let mut time = 1_000_000_000u64;
    let mut step = |engine: &mut Engine, frame: &[u8]| {
        time += 1_000_000;
        engine.packet(Timestamp(time), 1, frame, frame.len() as u32);
    };
    let hello = {
        let mut m = b"HELF\x20\0\0\0".to_vec();
        m.extend_from_slice(&[0; 20]); // version, buffer sizes, no limits
        m.extend_from_slice(&[0xff; 4]); // endpoint URL: null
        m
    };
    let (mut c, mut s) = (1000u32, 9000u32);
    step(&mut engine, &tcp(true, c, s, &hello));
    c += hello.len() as u32;
    let exchange = |i: u32, c: u32, s: u32| {
        let request = opcua_read(i, false);
        let response = opcua_read(i, true);
        let frames = vec![
            udp(true, 47808, &bacnet(i as u8, false)),
            udp(false, 47808, &bacnet(i as u8, true)),
            udp(true, 9600, &fins(i as u8, false)),
            udp(false, 9600, &fins(i as u8, true)),
            tcp(true, c, s, &request),
            tcp(false, s, c + request.len() as u32, &response),
        ];
        (frames, request.len() as u32, response.len() as u32)
    };
    // Warm up: the flows are created, probed and their buffers sized.
    for i in 0..50 {
        let (frames, up, down) = exchange(i, c, s);
        frames.iter().for_each(|f| step(&mut engine, f));
        c += up;
        s += down;
    }
    let mut batches = Vec::new();
    for i in 50..1050 {
        let (frames, up, down) = exchange(i, c, s);
        batches.extend(frames);
        c += up;
        s += down;
    }
    let before = dhat::HeapStats::get().total_blocks;
    for frame in &batches {
        step(&mut engine, frame);
    }
    let allocations = dhat::HeapStats::get().total_blocks - before;
    let stats = engine.stats();
    assert_eq!(stats.packets, 6301);
    // Each exchange is one paired record per protocol, and nothing was wrong with any.
    for protocol in ["bacnet", "fins", "opcua"] {
        assert!(
            stats.records.get(protocol).is_some_and(|&n| n >= 1000),
            "{protocol} records: {:?}",
            stats.records
        );
    }
    assert_eq!(stats.anomaly_total(), 0, "{:?}", stats.anomalies);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations for 6000 packets of established BACnet, FINS and OPC UA flows"
    );
}
