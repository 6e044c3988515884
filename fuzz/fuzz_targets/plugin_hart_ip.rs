#![no_main]
//! The example plugin's parser, built natively: the first byte picks the transport and the
//! direction, the rest is fed as one chunk (TCP: then again after what was consumed).
use rampart_plugin_sdk::{Direction, Feed, Flow, Plugin, Transport};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let transport = if control & 1 == 0 { Transport::Tcp } else { Transport::Udp };
    let dir = if control & 2 == 0 { Direction::ToServer } else { Direction::ToClient };
    let _ = hart_ip::HartIp::probe(dir, rest);
    let mut flow = hart_ip::HartIp::open(transport);
    if let Feed::Consumed(n) = flow.feed(dir, rest) {
        assert!(n <= rest.len(), "consumed {n} of {}", rest.len());
    }
    flow.close();
    std::hint::black_box(rampart_plugin_sdk::testing::take_lines());
});
