//! The ISO protocols' steady state allocates nothing per packet: an S7comm read-var poll, an
//! MMS read poll over the OSI upper layers, and GOOSE retransmissions, counted with dhat's
//! testing allocator once the flows are known. (A test binary of its own: dhat allows one
//! profiler per process, and `allocation.rs` holds the other protocols' poll.)

use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

mod frames;
use frames::tcp_between;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// A TCP segment between client port `port` and server port 102.
fn tcp(from_client: bool, port: u16, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let hosts = ([0, 0x1b, 0x1b, 0, 0, 1], [0, 0x1b, 0x1b, 0, 0, 2]);
    tcp_between(hosts, (port, 102), from_client, (seq, ack), payload)
}

/// A TPKT with one class 0 DT and EOT (RFC 1006, ISO 8073 §13.7) around `payload`.
fn dt(payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 7).expect("small");
    let mut out = vec![0x03, 0x00];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[0x02, 0xf0, 0x80]);
    out.extend_from_slice(payload);
    out
}

/// An S7comm read var job for DB1.DBB0, 4 bytes, and its ack_data, with PDU reference `r`.
fn s7(request: bool, r: u16) -> Vec<u8> {
    let [hi, lo] = r.to_be_bytes();
    if request {
        dt(&[
            0x32, 0x01, 0x00, 0x00, hi, lo, 0x00, 0x0e, 0x00,
            0x00, // job, 14 octets of parameter
            0x04, 0x01, 0x12, 0x0a, 0x10, 0x02, 0x00, 0x04, 0x00, 0x01, 0x84, 0x00, 0x00, 0x00,
        ])
    } else {
        dt(&[
            0x32, 0x03, 0x00, 0x00, hi, lo, 0x00, 0x02, 0x00, 0x08, 0x00, 0x00, // ack_data
            0x04, 0x01, // read var, one item
            0xff, 0x04, 0x00, 0x20, 0xde, 0xad, 0xbe, 0xef, // success, 32 bits
        ])
    }
}

/// An MMS read of `LD0/LLN0$ST$Mod` or its response, invoke id `id`, in session DATA
/// TRANSFER SPDUs and fully encoded presentation data (ISO 8327-1, ISO 8823-1, ISO 9506-2).
fn mms(request: bool, id: u8) -> Vec<u8> {
    let pdu: Vec<u8> = if request {
        let mut p = vec![
            0xa0, 0x20, 0x02, 0x01, id, 0xa4, 0x1b, 0xa1, 0x19, 0xa0, 0x17,
        ];
        p.extend_from_slice(&[0x30, 0x15, 0xa0, 0x13, 0xa1, 0x11, 0x1a, 0x03]);
        p.extend_from_slice(b"LD0");
        p.push(0x1a);
        p.push(0x0a);
        p.extend_from_slice(b"LLN0$ST$Mo");
        p
    } else {
        vec![
            0xa1, 0x0a, 0x02, 0x01, id, 0xa4, 0x05, 0xa1, 0x03, 0x85, 0x01, 0x01,
        ]
    };
    let mut pdv = vec![0x30, 0x00, 0x02, 0x01, 0x03, 0xa0, 0x00];
    pdv[6] = u8::try_from(pdu.len()).expect("small");
    pdv.extend_from_slice(&pdu);
    pdv[1] = u8::try_from(pdv.len() - 2).expect("small");
    let mut spdus = vec![
        0x01,
        0x00,
        0x01,
        0x00,
        0x61,
        u8::try_from(pdv.len()).expect("small"),
    ];
    spdus.extend_from_slice(&pdv);
    dt(&spdus)
}

/// A GOOSE frame (IEC 61850-8-1 Annex C) with state 5, sequence `sq`.
fn goose(sq: u8) -> Vec<u8> {
    let mut pdu = vec![0x80, 0x03, b'I', b'E', b'D', 0x81, 0x02, 0x07, 0xd0];
    pdu.extend_from_slice(&[0x82, 0x02, b'D', b'S']);
    pdu.extend_from_slice(&[0x84, 0x08, 0x48, 0x80, 0x8d, 0x67, 0x80, 0x00, 0x00, 0x0a]);
    pdu.extend_from_slice(&[0x85, 0x01, 0x05, 0x86, 0x01, sq, 0x87, 0x01, 0x00]);
    pdu.extend_from_slice(&[0x88, 0x01, 0x01, 0x89, 0x01, 0x00, 0x8a, 0x01, 0x01]);
    pdu.extend_from_slice(&[0xab, 0x03, 0x83, 0x01, 0x01]);
    let mut apdu = vec![0x61, u8::try_from(pdu.len()).expect("small")];
    apdu.extend_from_slice(&pdu);
    let mut out = vec![
        0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01, 0x00, 0x0a, 0xdc, 0x01, 0x02, 0x03,
    ];
    out.extend_from_slice(&[0x88, 0xb8, 0x30, 0x01]);
    out.extend_from_slice(&u16::try_from(apdu.len() + 8).expect("small").to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&apdu);
    out
}

/// Both sides of a TCP stream, advancing their sequence numbers.
struct Stream {
    port: u16,
    client: u32,
    server: u32,
}

impl Stream {
    fn exchange(&mut self, request: &[u8], response: &[u8]) -> [Vec<u8>; 2] {
        let out = [
            tcp(true, self.port, self.client, self.server, request),
            tcp(
                false,
                self.port,
                self.server,
                self.client + request.len() as u32,
                response,
            ),
        ];
        self.client += request.len() as u32;
        self.server += response.len() as u32;
        out
    }
}

#[test]
fn iso_polls_cost_no_allocation_per_packet() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    let mut time = 1_000_000_000u64;
    let mut step = |engine: &mut Engine, frame: &[u8]| {
        time += 1_000_000;
        engine.packet(Timestamp(time), 1, frame, frame.len() as u32);
    };
    let mut plc = Stream {
        port: 40000,
        client: 1000,
        server: 9000,
    };
    let mut ied = Stream {
        port: 40001,
        client: 5000,
        server: 7000,
    };
    let mut frames = |i: u16| -> Vec<Vec<u8>> {
        let [a, b] = plc.exchange(&s7(true, i), &s7(false, i));
        let id = (i % 100) as u8;
        let [c, d] = ied.exchange(&mms(true, id), &mms(false, id));
        vec![a, b, c, d, goose(id)]
    };
    // Warm up: the flows are created, probed and their buffers sized.
    for i in 0..50 {
        for frame in frames(i) {
            step(&mut engine, &frame);
        }
    }
    let polls: Vec<Vec<u8>> = (50..1050).flat_map(&mut frames).collect();
    let before = dhat::HeapStats::get().total_blocks;
    for frame in &polls {
        step(&mut engine, frame);
    }
    let allocations = dhat::HeapStats::get().total_blocks - before;
    let stats = engine.stats();
    assert_eq!(stats.packets, 5250);
    for (protocol, records) in [("s7comm", 1050), ("mms", 1050), ("goose", 1050)] {
        assert_eq!(
            stats.records.get(protocol),
            Some(&records),
            "{protocol} records"
        );
    }
    assert!(stats.anomalies.is_empty(), "{:?}", stats.anomalies);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations for 5000 packets of established S7comm, MMS and GOOSE traffic"
    );
}
