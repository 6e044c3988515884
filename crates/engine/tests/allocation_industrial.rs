//! The steady state of industrial polling allocates nothing per packet: an EtherNet/IP
//! client reading tags over a class 3 connection and the Identity object of a backplane slot
//! through an Unconnected Send, CIP class 1 I/O, and Profinet cyclic real-time frames, counted
//! with dhat's testing allocator once the flows exist (as `allocation.rs` does for IT
//! protocols; a second binary because dhat allows one profiler per process).

use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

mod frames;
use frames::{tcp_between, udp_between};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const CLIENT: [u8; 6] = [0, 0x1b, 0x1b, 0, 0, 1];
const PLC: [u8; 6] = [0, 0x00, 0xbc, 0, 0, 2];

fn tcp(from_client: bool, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    tcp_between(
        (CLIENT, PLC),
        (50000, 44818),
        from_client,
        (seq, ack),
        payload,
    )
}

/// A CIP class 1 datagram from the PLC to the client.
fn udp(payload: &[u8]) -> Vec<u8> {
    udp_between((CLIENT, PLC), (2222, 2222), false, payload)
}

/// An encapsulation message (ODVA Vol. 2 §2-3.1) around `body`, with sender context `ctx`.
fn encap(command: u16, ctx: u8, body: &[u8]) -> Vec<u8> {
    let mut m = command.to_le_bytes().to_vec();
    m.extend_from_slice(&(body.len() as u16).to_le_bytes());
    m.extend_from_slice(&0x1302_0500u32.to_le_bytes()); // session handle
    m.extend_from_slice(&[0; 4]); // status
    m.extend_from_slice(&[ctx, 0, 0, 0, 0, 0, 0, 0]); // sender context
    m.extend_from_slice(&[0; 4]); // options
    m.extend_from_slice(body);
    m
}

/// SendRRData data: null address and unconnected data items around `cip`.
fn rr(cip: &[u8]) -> Vec<u8> {
    let mut d = vec![0, 0, 0, 0, 0x14, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0];
    d.extend_from_slice(&(cip.len() as u16).to_le_bytes());
    d.extend_from_slice(cip);
    d
}

/// SendUnitData data: connected address `id`, connected data with sequence `seq`.
fn unit(id: u32, seq: u16, cip: &[u8]) -> Vec<u8> {
    let mut d = vec![0, 0, 0, 0, 0, 0, 2, 0, 0xa1, 0, 4, 0];
    d.extend_from_slice(&id.to_le_bytes());
    d.extend_from_slice(&[0xb1, 0]);
    d.extend_from_slice(&(cip.len() as u16 + 2).to_le_bytes());
    d.extend_from_slice(&seq.to_le_bytes());
    d.extend_from_slice(cip);
    d
}

/// A Multiple Service Packet reading the tags "Speed" and "Level" (1756-PM020 Read Tag).
const READ_TAGS: &[u8] = &[
    0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, 0x02, 0x00, 0x06, 0x00, 0x12, 0x00, // MSP, offsets
    0x4c, 0x04, 0x91, 0x05, b'S', b'p', b'e', b'e', b'd', 0x00, 0x01, 0x00, // read "Speed"
    0x4c, 0x04, 0x91, 0x05, b'L', b'e', b'v', b'e', b'l', 0x00, 0x01, 0x00, // read "Level"
];
const TAG_VALUES: &[u8] = &[
    0x8a, 0x00, 0x00, 0x00, 0x02, 0x00, 0x06, 0x00, 0x0e, 0x00, // MSP reply, offsets
    0xcc, 0x00, 0x00, 0x00, 0xc4, 0x00, 0x2a, 0x00, // DINT 42
    0xcc, 0x00, 0x00, 0x00, 0xc4, 0x00, 0x07, 0x00, // DINT 7
];
/// Get_Attributes_All of the Identity object in slot 2, through an Unconnected Send.
const ROUTED_IDENTITY: &[u8] = &[
    0x52, 0x02, 0x20, 0x06, 0x24, 0x01, 0x07, 0xe9, 0x06, 0x00, 0x01, 0x02, 0x20, 0x01, 0x24, 0x01,
    0x01, 0x00, 0x01, 0x02,
];
const IDENTITY: &[u8] = &[
    0x81, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0e, 0x00, 0x36, 0x00, 0x10, 0x14, 0x60, 0x30, 0x3f, 0x82,
    0x51, 0x00, 0x0a, b'1', b'7', b'5', b'6', b'-', b'L', b'6', b'1', b'/', b'B',
];

/// A class 1 I/O datagram of connection 0x1234.
fn io(seq: u32) -> Vec<u8> {
    let mut d = vec![0x02, 0x00, 0x02, 0x80, 0x08, 0x00, 0x34, 0x12, 0, 0];
    d.extend_from_slice(&seq.to_le_bytes());
    d.extend_from_slice(&[0xb1, 0x00, 0x04, 0x00, 0x01, 0x00, 0xaa, 0xbb]);
    udp(&d)
}

/// A Profinet cyclic real-time frame (frame id 0x8000) of 40 data bytes.
fn profinet_rt() -> Vec<u8> {
    let mut f = PLC.to_vec();
    f.extend_from_slice(&CLIENT);
    f.extend_from_slice(&[0x88, 0x92, 0x80, 0x00]);
    f.extend_from_slice(&[0x80; 40]);
    f
}

#[test]
fn industrial_polling_costs_no_allocation_per_packet() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    let (mut c, mut s) = (1000u32, 9000u32);
    let mut time = 1_000_000_000u64;
    let mut frames = Vec::new();
    for i in 0..1050u32 {
        let seq = i as u16;
        let ctx = i as u8;
        let exchange = [
            (true, encap(0x70, 0, &unit(0x11, seq, READ_TAGS))),
            (false, encap(0x70, 0, &unit(0x99, seq, TAG_VALUES))),
            (true, encap(0x6f, ctx, &rr(ROUTED_IDENTITY))),
            (false, encap(0x6f, ctx, &rr(IDENTITY))),
        ];
        for (from_client, payload) in exchange {
            let len = payload.len() as u32;
            if from_client {
                frames.push(tcp(true, c, s, &payload));
                c += len;
            } else {
                frames.push(tcp(false, s, c, &payload));
                s += len;
            }
        }
        frames.push(io(i));
        frames.push(profinet_rt());
    }
    let mut step = |engine: &mut Engine, frame: &[u8]| {
        time += 1_000_000;
        engine.packet(Timestamp(time), 1, frame, frame.len() as u32);
    };
    // Warm up: the flows are created, probed and their buffers sized.
    let (warm, measured) = frames.split_at(50 * 6);
    for frame in warm {
        step(&mut engine, frame);
    }
    let before = dhat::HeapStats::get().total_blocks;
    for frame in measured {
        step(&mut engine, frame);
    }
    let allocations = dhat::HeapStats::get().total_blocks - before;
    assert_eq!(engine.stats().packets, 1050 * 6);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations for 6000 packets of established industrial flows"
    );
}
