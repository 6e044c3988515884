#![no_main]
//! The frame decoder, for every link type it knows: the first byte picks the link type.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    const LINK_TYPES: [u16; 9] = [0, 1, 12, 14, 101, 108, 113, 228, 229];
    if let Some((&pick, frame)) = data.split_first() {
        let link = LINK_TYPES[usize::from(pick) % LINK_TYPES.len()];
        let decoded = rampart_packet::decode(link, frame);
        std::hint::black_box(&decoded);
        if let Some(ip) = decoded.ip() {
            let _ = rampart_packet::decode_transport(ip.protocol, ip.src.is_ipv6(), frame);
        }
    }
});
