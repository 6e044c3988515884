//! Read the input as a capture file (pcap, pcapng, or either gzip-compressed) to the end.
#![no_main]

use std::io::Cursor;

use rampart_capture::CaptureFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = CaptureFile::from_reader("fuzz", Cursor::new(data.to_vec())) else {
        return;
    };
    // Every recoverable error consumes at least one byte, so the errors are bounded by the
    // (decompressed) stream length, at most ~1032 times the input; more means it is stuck.
    let limit = data.len().saturating_mul(1100).saturating_add(64);
    let mut errors = 0usize;
    loop {
        match file.next_packet() {
            Ok(Some(packet)) => assert!(packet.data.len() <= 1 << 20),
            Ok(None) => break,
            Err(e) => {
                errors += 1;
                assert!(errors <= limit, "reader stuck: {e}");
                assert!(!e.to_string().is_empty());
            }
        }
    }
    assert!(file.next_packet().is_ok_and(|p| p.is_none()));
    file.names().for_each(drop);
});
