#![no_main]
//! The whole engine: the input is a sequence of Ethernet frames, each preceded by its length in
//! two bytes; every layer (decoding, reassembly, flows, detection, dissectors, inventory)
//! sees them as it would a capture, and the report is built at the end.
use rampart_engine::{Engine, EngineConfig, NullSink};
use rampart_event::Timestamp;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut engine = Engine::new(EngineConfig::default(), Box::new(NullSink));
    let mut rest = data;
    let mut time = 1_700_000_000_000_000_000u64;
    while let [hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (frame, tail) = tail.split_at(len);
        time += 1_000_000;
        engine.packet(Timestamp(time), 1, frame, frame.len() as u32);
        rest = tail;
    }
    std::hint::black_box(engine.finish());
});
