//! The one door for the cargo-fuzz targets (`fuzz/fuzz_targets/`): drive any registered
//! dissector with arbitrary bytes exactly as the engine would.

use rampart_dissect::{Direction, Event, EventSink, Frame, Mac, Session, Transport};

/// Counts events and renders each one, so that every field a dissector emits is touched.
#[derive(Default)]
struct TouchingSink {
    events: usize,
}

impl EventSink for TouchingSink {
    fn emit(&mut self, event: Event<'_>) {
        self.events += 1;
        std::hint::black_box(rampart_event::describe(&event));
    }
}

/// Feed `data` to the flow protocol `name`. The input is a sequence of chunks, each a control
/// byte followed by data: bit 7 picks the direction, bit 6 asks for a gap before the chunk,
/// and the low six bits (plus one) give the chunk's length, except that `0x3f` means the
/// length follows in two bytes (big-endian), so that whole datagrams of any size are reached.
/// TCP protocols see the chunks as stream deliveries, UDP protocols as datagrams.
///
/// # Panics
/// When `name` is not a registered flow protocol (a bug in the fuzz target, not an input).
pub fn flow(name: &str, data: &[u8]) {
    let registration = crate::flow_protocols()
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} is not a registered flow protocol"));
    let _ = (registration.probe)(Direction::ToServer, data);
    let _ = (registration.probe)(Direction::ToClient, data);
    let udp = !registration.runs_on(Transport::Tcp);
    let transport = if udp { Transport::Udp } else { Transport::Tcp };
    let mut session = Session::new(registration, transport);
    let mut sink = TouchingSink::default();
    let mut rest = data;
    while let Some((&control, tail)) = rest.split_first() {
        let dir = if control & 0x80 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let (len, tail) = match (control & 0x3f, tail) {
            (0x3f, [hi, lo, rest @ ..]) => (usize::from(u16::from_be_bytes([*hi, *lo])), rest),
            (short, rest) => (usize::from(short) + 1, rest),
        };
        let (chunk, tail) = tail.split_at(len.min(tail.len()));
        if control & 0x40 != 0 {
            session.gap(dir, 17, &mut sink);
        }
        if udp {
            session.datagram(dir, chunk, &mut sink);
        } else {
            session.deliver(dir, chunk, &mut sink);
        }
        rest = tail;
    }
    session.close(&mut sink);
}

/// Feed `data` as one frame payload to the link-layer protocol `name`.
///
/// # Panics
/// When `name` is not a registered frame protocol.
pub fn frame(name: &str, data: &[u8]) {
    let registration = crate::frame_protocols()
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} is not a registered frame protocol"));
    let frame = Frame {
        src: Mac([0, 0x1b, 0x1b, 1, 2, 3]),
        dst: Mac::BROADCAST,
        vlan: None,
        payload: data,
    };
    (registration.dissect)(&frame, &mut TouchingSink::default());
}
