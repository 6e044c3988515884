//! ARP (RFC 826), EtherType 0x0806: who claims which IP address on the local segment.
//!
//! One record per frame, kind `request` (opcode 1, direction `request`), `reply` (opcode 2,
//! direction `response`) or `other` (RARP, InARP, … and unknown opcodes; no direction), with
//! fields `hw_type`, `proto_type`, `hw_size`, `proto_size`, `opcode`, `opcode_name`,
//! `sender_mac`, `sender_ip`, `target_mac`, `target_ip` and the RFC 5227 flags `gratuitous`,
//! `probe`, `announcement`. Only Ethernet hardware addresses and IPv4 protocol addresses are
//! decoded; other address kinds are kept as bytes (`sender_hw`, `sender_proto`, `target_hw`,
//! `target_proto`). The engine binds IP to MAC from these records, so no identity is emitted.
//!
//! ARP is a favourite of spoofing tools and of fuzzers (tcpdump's out-of-bounds-read
//! regression capture is 2,000 mutated ARP frames), so every oddity is an anomaly: address
//! sizes that run past the frame (`address_length_mismatch`), sizes that contradict the
//! address types (`bad_hardware_size`, `bad_protocol_size`), unexpected types
//! (`unexpected_hardware_type`, `unexpected_protocol_type`), `unknown_opcode`, a sender MAC
//! that differs from the Ethernet source (`sender_mac_mismatch`) or is a group address
//! (`group_sender_mac`), and non-zero bytes in the Ethernet padding (`nonzero_padding`, the
//! "Etherleak" information leak of CVE-2003-0001).

mod dissector;
mod parse;

use rampart_dissect::{FrameMatch, FrameRegistration};

/// The ARP link-layer protocol.
pub static FRAME_REGISTRATION: FrameRegistration = FrameRegistration {
    name: "arp",
    matches: &[FrameMatch::EtherType(0x0806)],
    dissect: dissector::dissect,
};
